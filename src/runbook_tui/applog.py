"""runbook-tui's own log: `<state home>/runbook-tui.log`, rotated, private.

It records what the tool did and what went wrong (with tracebacks), never command
output or variable values: those belong to the session journal, masked.
"""

from __future__ import annotations

import logging
import os
from logging.handlers import RotatingFileHandler
from pathlib import Path

LOG_NAME = "runbook-tui.log"
_MAX_BYTES = 1 << 20
_BACKUPS = 3


class _PrivateRotatingFileHandler(RotatingFileHandler):
    """Every file it opens, rotated ones included, is 0600 whatever the umask."""

    def _open(self):  # type: ignore[no-untyped-def]
        fd = os.open(self.baseFilename, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        os.fchmod(fd, 0o600)
        return os.fdopen(fd, "a", encoding=self.encoding or "utf-8", errors=self.errors)

    def handleError(self, record: logging.LogRecord) -> None:
        """A log that cannot be written (a full disk, a removed folder) stays quiet:
        logging's default prints a traceback to stderr, over the operator's screen. The
        command says what went wrong in its own words; only this record is lost."""


def configure(home: Path) -> Path | None:
    """Send the `runbook_tui` loggers to the log file in `home`. Level from
    $RUNBOOK_TUI_LOG_LEVEL (default INFO). Returns the path, or None when the file
    cannot be opened (the tool still works; it just cannot log)."""
    path = home / LOG_NAME
    root = logging.getLogger("runbook_tui")
    if any(isinstance(h, RotatingFileHandler) for h in root.handlers):
        return path
    try:
        handler = _PrivateRotatingFileHandler(path, maxBytes=_MAX_BYTES, backupCount=_BACKUPS)
    except OSError:
        return None
    handler.setFormatter(
        logging.Formatter("%(asctime)s %(process)d %(levelname)s %(name)s: %(message)s")
    )
    root.addHandler(handler)
    level = os.environ.get("RUNBOOK_TUI_LOG_LEVEL", "INFO").upper()
    root.setLevel(getattr(logging, level, logging.INFO))
    return path
