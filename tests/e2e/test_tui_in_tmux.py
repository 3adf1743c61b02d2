"""The installed `runbook-tui` in a real terminal (tmux): keys typed as a person would,
the screen read back, and the journal checked to agree with what was seen."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from .tmux import COMMAND, Tmux

# tmux is part of every machine this project runs on: without it these fail, never skip.
pytestmark = [pytest.mark.e2e]


RUNBOOK = """\
---
title: Rotate the TLS certificate
kind: maintenance
---

# Rotate the TLS certificate

## Prepare

- [ ] Announce the rotation in #ops

```sh {"name":"fetch"}
printf 'fetched \\033[32mcert-2026\\033[0m\\n'
```

## Swap

```sh {"name":"install","confirm":true}
echo installed > installed.txt
```

```sh {"name":"reload","danger":"reload edge"}
echo reloaded >> installed.txt
```

```sh {"name":"ask-name","interactive":true}
printf 'who is on call? '; read who; echo "on call: $who" > oncall.txt
```

```sh {"name":"soak"}
echo soaking for a while to see errors; sleep 60
```
"""


@pytest.fixture
def book(tmp_path: Path) -> Path:
    path = tmp_path / "rotate.md"
    path.write_text(RUNBOOK)
    return path


def journal(home: Path) -> list[dict[str, Any]]:
    [session] = list((home / "sessions").iterdir())
    lines = (session / "journal.jsonl").read_text().splitlines()
    return [json.loads(line) for line in lines]


def kinds(events: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [e for e in events if e["type"] == kind]


def test_operator_walks_the_runbook_and_the_journal_agrees(tmux: Tmux, book: Path, tmp_path):
    home = tmp_path / "home"
    tmux.start([COMMAND, str(book), "--home", str(home)], cwd=tmp_path)
    tmux.wait_for("Rotate the TLS certificate")
    tmux.wait_for("○ Announce the rotation")
    tmux.keys("Enter")  # the manual step
    tmux.wait_for("✓ Announce the rotation")
    tmux.keys("Enter")  # fetch
    tmux.wait_for("✓ fetch")
    # fetch's output stays in view: the first Enter moves on, the second performs.
    tmux.wait_for("Enter moves on to “install”")
    tmux.keys("Enter")
    tmux.keys("Enter")  # install asks first
    tmux.wait_for("Yes, run it")
    tmux.keys("y")
    tmux.wait_for("✓ install")
    tmux.wait_for("Enter moves on to “reload”")
    tmux.keys("Enter")
    tmux.keys("Enter")  # reload wants the phrase
    tmux.wait_for("type exactly")
    tmux.type("reload edg")
    tmux.keys("Enter")
    tmux.wait_for("did not match: nothing was run")
    tmux.type("reload edge")
    tmux.keys("Enter")
    tmux.wait_for("✓ reload")
    tmux.keys("n")
    tmux.wait_for("A note for the record")
    tmux.type("edge looks healthy")
    tmux.keys("Enter")
    tmux.wait_for("Note saved: edge looks healthy")
    tmux.keys("q")
    assert tmux.exit_code() == 0
    assert "To resume it, open the runbook" in tmux.screen()

    events = journal(home)
    [confirmed] = kinds(events, "manual_confirmed")
    assert confirmed["text"] == "Announce the rotation in #ops"
    finished = [(e["step_id"], e["verdict"]) for e in kinds(events, "step_finished")]
    assert finished == [("fetch", "succeeded"), ("install", "succeeded"), ("reload", "succeeded")]
    assert [n["text"] for n in kinds(events, "note")] == ["edge looks healthy"]
    # Quitting pauses the session: ended with steps left, resumable.
    assert [e["status"] for e in kinds(events, "session_ended")] == ["paused"]
    assert (tmp_path / "installed.txt").read_text() == "installed\nreloaded\n"


def test_interactive_step_gets_the_real_terminal_and_comes_back(tmux: Tmux, book, tmp_path):
    home = tmp_path / "home"
    tmux.start([COMMAND, str(book), "--home", str(home)], cwd=tmp_path)
    tmux.wait_for("○ ask-name")
    for _ in range(4):  # down to ask-name: past the manual step and three shell steps
        tmux.keys("Down")
    tmux.wait_for(lambda s: "interactive" in s)
    tmux.keys("Enter")
    tmux.wait_for("who is on call?")
    # Keys typed before the terminal is handed to the step can be lost (the prompt may
    # print a moment earlier); a person cannot type that fast, a test can: wait for it.
    tmux.wait_for(lambda _screen: tmux.foreground_command() == "bash")
    tmux.type("ada")
    tmux.keys("Enter")
    tmux.wait_for("✓ ask-name")
    tmux.keys("q")
    assert tmux.exit_code() == 0
    assert (tmp_path / "oncall.txt").read_text() == "on call: ada\n"
    [started] = kinds(journal(home), "step_started")
    assert started["step_id"] == "ask-name" and started["interactive"] is True
    [finished] = kinds(journal(home), "step_finished")
    assert finished["exit_code"] == 0 and finished["verdict"] == "succeeded"


def test_quit_while_a_step_runs_then_resume(tmux: Tmux, book, tmp_path):
    home = tmp_path / "home"
    tmux.start([COMMAND, str(book), "--home", str(home)], cwd=tmp_path)
    tmux.wait_for("○ soak")
    for _ in range(5):
        tmux.keys("Down")
    tmux.wait_for(lambda s: "sleep 60" in s)
    tmux.keys("Enter")
    tmux.wait_for("▶ soak")
    tmux.keys("q")
    tmux.wait_for("is still running")
    tmux.keys("y")
    assert tmux.exit_code() == 0
    first = journal(home)
    [finished] = kinds(first, "step_finished")
    assert finished["step_id"] == "soak" and finished["cancelled"] is True

    tmux.kill()
    again = Tmux(width=100, height=30)
    try:
        again.start([COMMAND, str(book), "--home", str(home)], cwd=tmp_path)
        again.wait_for("Unfinished session")
        again.keys("r")
        again.wait_for("✗ soak")
        again.keys("q")
        code = again.exit_code()
        logs = "".join(p.read_text() for p in home.rglob("*.log"))
        assert code == 0, again.screen() + logs
    finally:
        again.kill()
    assert len(kinds(journal(home), "session_resumed")) == 1
