"""`make demo`: the sandbox it builds, and the app it opens in a real terminal."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from runbook_tui.demo.__main__ import build_sandbox
from runbook_tui.runbook.parser import load

from .tmux import Tmux

pytestmark = pytest.mark.e2e


def test_the_demo_sandbox_holds_a_clean_runbook_and_an_app(tmp_path: Path) -> None:
    runbook = build_sandbox(tmp_path, port=8765)
    result = load(runbook)
    assert not result.errors, [d.format() for d in result.errors]
    assert result.runbook.rollback_steps and result.runbook.main_steps
    assert (tmp_path / "app/current/VERSION").read_text() == "41\n"
    assert "{{PORT}}" not in runbook.read_text()


TMUX_SIZE = (110, 34)


def test_make_demo_opens_the_walk_and_records_it(tmp_path: Path, tmux: Tmux) -> None:
    sandbox = tmp_path / "demo"
    tmux.start([sys.executable, "-m", "runbook_tui.demo", str(sandbox)], cwd=tmp_path)
    tmux.wait_for("Release number to deploy", timeout=60)
    tmux.keys("C-s")
    tmux.wait_for("Deploy the demo web app ·", timeout=30)
    tmux.keys("Enter")  # the manual step: tell #deploys
    tmux.wait_for(lambda s: "✓ Tell #deploys" in s, timeout=30)
    tmux.keys("Enter")  # preflight
    tmux.wait_for(lambda s: "✓ preflight" in s, timeout=30)
    tmux.keys("q")
    assert tmux.exit_code(timeout=30) == 0
    [journal] = (sandbox / "state").rglob("journal.jsonl")
    events = [json.loads(line) for line in journal.read_text().splitlines()]
    finished = [e for e in events if e["type"] == "step_finished"]
    assert finished and finished[0]["step_id"] == "preflight"
    assert finished[0]["verdict"] == "succeeded"
    token_masked = events[0]["variables"]["DEPLOY_TOKEN"] == "********"
    assert token_masked
