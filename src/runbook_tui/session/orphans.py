"""Processes a dead runbook-tui left running.

A step runs in its own process group and session, so when runbook-tui is killed
(`kill -9`, the OOM killer) the step goes on. Every step's environment carries
RUNBOOK_TUI_SESSION, which is how `resume` finds it before running anything again.
"""

from __future__ import annotations

import os

import psutil


def session_processes(session_id: str) -> list[psutil.Process]:
    """Live processes (not this one) whose environment says they belong to the session."""
    found = []
    me = os.getpid()
    for proc in psutil.process_iter(["pid"]):
        if proc.pid == me:
            continue
        try:
            ours = proc.environ().get("RUNBOOK_TUI_SESSION") == session_id
            if ours and proc.status() != psutil.STATUS_ZOMBIE:
                found.append(proc)
        except (psutil.Error, OSError):
            continue  # gone, or another user's: not ours to report
    return found


def describe(procs: list[psutil.Process], limit: int = 5) -> str:
    parts = []
    for proc in procs[:limit]:
        try:
            cmd = " ".join(proc.cmdline())[:80] or proc.name()
        except (psutil.Error, OSError):
            cmd = "?"
        parts.append(f"pid {proc.pid}: {cmd}")
    more = f" and {len(procs) - limit} more" if len(procs) > limit else ""
    return "; ".join(parts) + more
