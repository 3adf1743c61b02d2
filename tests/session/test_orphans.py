"""Which leftover processes block a resume: real processes, told apart by environment."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator

import pytest

from runbook_tui.session import orphans


@pytest.fixture
def sleepers() -> Iterator[dict[str, subprocess.Popen[bytes]]]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("RUNBOOK_TUI_")}
    envs = {
        "a1": {"RUNBOOK_TUI_SESSION": "S", "RUNBOOK_TUI_STEP": "a", "RUNBOOK_TUI_ATTEMPT": "1"},
        "a2": {"RUNBOOK_TUI_SESSION": "S", "RUNBOOK_TUI_STEP": "a", "RUNBOOK_TUI_ATTEMPT": "2"},
        "b1": {"RUNBOOK_TUI_SESSION": "S", "RUNBOOK_TUI_STEP": "b", "RUNBOOK_TUI_ATTEMPT": "1"},
        "old": {"RUNBOOK_TUI_SESSION": "S"},  # an older runbook-tui set only the session
        "other": {"RUNBOOK_TUI_SESSION": "T", "RUNBOOK_TUI_STEP": "a"},
    }
    procs = {name: subprocess.Popen(["sleep", "60"], env={**base, **e}) for name, e in envs.items()}
    try:
        yield procs
    finally:
        for p in procs.values():
            p.kill()
            p.wait()


def test_only_the_interrupted_attempt_and_unlabelled_processes_count(
    sleepers: dict[str, subprocess.Popen[bytes]],
) -> None:
    def found(*args: object) -> set[str]:
        pids = {p.pid for p in orphans.session_processes(*args)}  # type: ignore[arg-type]
        return {name for name, p in sleepers.items() if p.pid in pids}

    assert found("S") == {"a1", "a2", "b1", "old"}
    assert found("S", "a") == {"a1", "a2", "old"}
    assert found("S", "a", 2) == {"a2", "old"}
    assert found("S", "b", 1) == {"b1", "old"}


def test_the_interrupted_attempt_comes_from_the_journal() -> None:
    events = [
        {"type": "session_started"},
        {"type": "step_started", "step_id": "a", "attempt": 1},
        {"type": "step_finished", "step_id": "a", "attempt": 1},
        {"type": "step_started", "step_id": "b", "attempt": 1},
        {"type": "session_resumed"},
        {"type": "step_interrupted", "step_id": "b", "attempt": 1},
        {"type": "step_started", "step_id": "b", "attempt": 2},
    ]
    assert orphans.interrupted_attempts(events) == [("b", 2)]
    assert orphans.interrupted_attempts(events[:3]) == []
