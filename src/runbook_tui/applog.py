"""runbook-tui's own log: `<state home>/runbook-tui.log`, rotated, private.

It records what the tool did and what went wrong (with tracebacks), never command
output or variable values: those belong to the session journal, masked. What it does
record (a path, an error message, a traceback) is masked with the secrets of every
session open in the process (`_MaskSecrets`), as the journal is.
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


class _MaskSecrets(logging.Filter):
    """Masks each record's message, traceback and stack with the redactors of the
    sessions open in this process (session/redaction.py `register`), before any
    formatter sees it: the arguments are merged into the message, the traceback is
    formatted here so the formatter uses the masked text."""

    def filter(self, record: logging.LogRecord) -> bool:
        from runbook_tui.session.redaction import mask_active

        try:
            record.msg, record.args = mask_active(record.getMessage()), None
        except Exception:  # a bad format string: leave it to logging's own error report
            return True
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_active(record.exc_text)
        if record.stack_info:
            record.stack_info = mask_active(record.stack_info)
        return True


_current: Path | None = None


def current() -> Path | None:
    """The log file this process writes, once `configure` opened one."""
    return _current


def configure(home: Path, *, debug: bool = False) -> Path | None:
    """Send the `runbook_tui` loggers to the log file in `home`. Warnings and errors
    only, unless `debug` (everything the tool says about what it does) or
    $RUNBOOK_TUI_LOG_LEVEL names another level. Returns the path, or None when the file
    cannot be opened (the tool still works; it just cannot log)."""
    global _current
    path = home / LOG_NAME
    root = logging.getLogger("runbook_tui")
    if any(isinstance(h, RotatingFileHandler) for h in root.handlers):
        return path
    try:
        handler = _PrivateRotatingFileHandler(path, maxBytes=_MAX_BYTES, backupCount=_BACKUPS)
    except OSError:
        return None
    handler.addFilter(_MaskSecrets())
    handler.setFormatter(
        logging.Formatter("%(asctime)s %(process)d %(levelname)s %(name)s: %(message)s")
    )
    root.addHandler(handler)
    level = "DEBUG" if debug else os.environ.get("RUNBOOK_TUI_LOG_LEVEL", "WARNING").upper()
    root.setLevel(getattr(logging, level, logging.WARNING))
    _current = path
    return path
