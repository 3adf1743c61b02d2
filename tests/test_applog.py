"""The tool's own log: private, rotated, and free of secrets."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from runbook_tui import applog


def test_log_files_stay_private_across_rotation(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        path = applog.configure(tmp_path)
        assert path is not None
        log = logging.getLogger("runbook_tui.test")
        for _ in range(3000):  # past 1 MiB: at least one rotation
            log.info("x" * 500)
    finally:
        os.umask(old)
        for h in list(logging.getLogger("runbook_tui").handlers):
            logging.getLogger("runbook_tui").removeHandler(h)
            h.close()
    files = sorted(tmp_path.glob("runbook-tui.log*"))
    assert len(files) >= 2
    for f in files:
        assert oct(f.stat().st_mode & 0o777) == "0o600", f
