"""Processes a dead runbook-tui left running.

A step runs in its own process group and session, so when runbook-tui is killed
(`kill -9`, the OOM killer) the step goes on. Every step's environment carries
RUNBOOK_TUI_SESSION, RUNBOOK_TUI_STEP and RUNBOOK_TUI_ATTEMPT, which is how `resume`
finds the interrupted step's processes before running it again. Processes of other
steps do not count: a daemon a finished step started on purpose (`setsid -f`, `nohup
... &`) carries the session too, and must not block the resume.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from typing import Any

import psutil


def interrupted_attempts(events: Iterable[Mapping[str, Any]]) -> list[tuple[str, int]]:
    """(step id, attempt) of each step the journal shows started and not ended: the
    step that was running when the writer died."""
    open_: dict[str, int] = {}
    for ev in events:
        kind, step = ev.get("type"), ev.get("step_id")
        if kind == "step_started" and isinstance(step, str):
            attempt = ev.get("attempt")
            open_[step] = attempt if isinstance(attempt, int) else 0
        elif kind in ("step_finished", "step_interrupted", "step_skipped") and step in open_:
            del open_[step]
    return list(open_.items())


def session_processes(
    session_id: str, step_id: str | None = None, attempt: int | None = None
) -> list[psutil.Process]:
    """Live processes (not this one) whose environment says they belong to the session;
    with `step_id`, only to that step, and with `attempt`, to that attempt. A process
    without the step or attempt variable (started by an older runbook-tui) counts as
    belonging to any step or attempt: when unsure, it blocks."""
    found = []
    me = os.getpid()
    for proc in psutil.process_iter(["pid"]):
        if proc.pid == me:
            continue
        try:
            env = proc.environ()
            ours = env.get("RUNBOOK_TUI_SESSION") == session_id
            if ours and step_id is not None:
                ours = env.get("RUNBOOK_TUI_STEP", step_id) == step_id
            if ours and attempt is not None:
                ours = env.get("RUNBOOK_TUI_ATTEMPT", str(attempt)) == str(attempt)
            if ours and proc.status() != psutil.STATUS_ZOMBIE:
                found.append(proc)
        except (psutil.Error, OSError):
            continue  # gone, or another user's: not ours to report
    return found


def interrupted_step_processes(
    session_id: str, events: Iterable[Mapping[str, Any]]
) -> list[psutil.Process]:
    """The live processes of the step(s) the journal shows were running when the
    writer died; none when no step was running."""
    return [
        proc
        for step_id, attempt in interrupted_attempts(events)
        for proc in session_processes(session_id, step_id, attempt or None)
    ]


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
