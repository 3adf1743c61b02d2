"""Where a session's first step starts. The runbook's sources (sources/hub.py) run their
commands and read relative paths from the same folder, so both ask here."""

from __future__ import annotations

from pathlib import Path

from runbook_tui.runbook.model import Runbook


def workdir_for(runbook: Runbook, workdir: str | Path | None) -> Path:
    """`workdir` when given, else the runbook file's folder (as in Runme), else the
    current one."""
    if workdir is not None:
        return Path(workdir).resolve()
    return Path(runbook.path).resolve().parent if runbook.path else Path.cwd()
