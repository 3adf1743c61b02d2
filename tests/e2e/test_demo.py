"""`make demo` as a newcomer runs it, in a real terminal: the picker on the bundled
runbooks, the whole deploy walked against the demo's shop, and the hints it prints at
the end, pasted as printed."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
from pathlib import Path

import pytest

from runbook_tui.demo.servicectl import Paths, running_pid

from .tmux import Tmux

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
# Wide enough that the hints printed at the end are one line each.
TMUX_SIZE = (200, 40)


def printed(screen: str, label: str) -> str:
    """The command after `label` on the screen."""
    [line] = [line for line in screen.splitlines() if line.startswith(label)]
    return line[len(label) :].strip()


def run_step(tmux: Tmux, name: str) -> None:
    """Select the step the walk offers next and run it (Enter moves on, Enter runs)."""
    tmux.wait_for(f"Enter moves on to “{name}”", timeout=60)
    tmux.keys("Enter")
    tmux.wait_for(f"pending · {name}", timeout=30)
    tmux.keys("Enter")


def test_make_demo_walks_the_deploy_against_the_real_shop(tmp_path: Path, tmux: Tmux) -> None:
    home = tmp_path / "demo-home"
    tmux.start(["make", "-s", "demo", f"DEMO_HOME={home}"], cwd=REPO)
    # First run: the venv may be made first, which takes a while.
    tmux.wait_for("Deploy a release of the shop", timeout=600)
    tmux.wait_for("Restore drill for the shop's database")
    tmux.keys("Enter")  # the first row: deploy.md
    tmux.wait_for("Release to deploy", timeout=30)
    tmux.keys("C-s")  # release v2, the port and the sandbox as the demo set them
    tmux.wait_for("☐ Tell #deploys", timeout=30)
    tmux.keys("Enter")
    tmux.wait_for("✓ Tell #deploys", timeout=30)
    tmux.keys("Enter")  # preflight: the shop answers
    run_step(tmux, "backup")
    run_step(tmux, "migrate")
    tmux.wait_for("To run it, type exactly:", timeout=30)
    tmux.type("migrate the database")
    tmux.keys("Enter")
    run_step(tmux, "switch")
    tmux.wait_for("Yes, run it", timeout=30)
    tmux.keys("y")
    run_step(tmux, "health")
    tmux.wait_for("release v2 answers", timeout=60)
    tmux.wait_for("Enter moves on to “The Logs panel", timeout=30)
    tmux.keys("Enter")
    tmux.wait_for("pending · manual", timeout=30)
    tmux.keys("Enter")
    tmux.wait_for("The walk is over", timeout=30)
    tmux.keys("Enter")  # end the session as completed
    # Back at the picker, where the deploy has a last run now: the next runbook of the
    # same demo, the restore drill (the third row), opens from there.
    tmux.wait_for("ended: completed", timeout=30)
    tmux.wait_for(lambda s: "never run" in s and s.count("never run") == 2, timeout=30)
    tmux.keys("Down", "Down", "d")
    tmux.wait_for("Restore drill for the shop's database: variables", timeout=30)
    tmux.keys("C-s")  # the sandbox, as the demo set it
    tmux.wait_for("Find the newest backup", timeout=30)  # its walk (the journal: a drill)
    tmux.keys("q")  # the drill is paused: back at the picker again
    tmux.wait_for(lambda s: "Runbooks in" in s and s.count("never run") == 1, timeout=30)
    tmux.keys("q")
    screen = tmux.wait_for("EXIT=", timeout=60)
    assert tmux.exit_code() == 0, screen

    root = home / "demo" / "sandbox"
    journals = {}
    for path in (root / "sessions").glob("*/journal.jsonl"):
        head = json.loads(path.read_text().splitlines()[0])
        journals[Path(head["runbook"]["path"]).name] = path
    assert sorted(journals) == ["deploy.md", "restore.md"]
    journal = journals["deploy.md"]
    drill = [json.loads(line) for line in journals["restore.md"].read_text().splitlines()]
    assert drill[0]["drill"] is True and drill[-1]["status"] == "paused"
    events = [json.loads(line) for line in journal.read_text().splitlines()]
    assert events[0]["workdir"] == str(root)
    assert events[-1]["type"] == "session_ended" and events[-1]["status"] == "completed"
    finished = [e["step_id"] for e in events if e["type"] == "step_finished"]
    assert finished == ["preflight", "backup", "migrate", "switch", "health"]
    paths = Paths(root)
    assert os.readlink(paths.current) == "releases/v2"
    assert running_pid(paths) is None  # stopped with the demo
    assert "release v2 listening" in paths.log.read_text()

    # The hints work pasted as printed: they name the demo's own state home.
    again = printed(screen, "Open the demo again:")
    assert again.endswith(f"demo --home {home}")
    listing = subprocess.run(
        shlex.split(printed(screen, "The demo's shop is stopped. Its sessions:")),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert listing.returncode == 0, listing.stderr
    assert journal.parent.name in listing.stdout and "completed" in listing.stdout


def test_demo_break_opens_on_a_crashed_shop_and_reset_starts_over(
    tmp_path: Path, tmux: Tmux
) -> None:
    from .tmux import COMMAND

    home = tmp_path / "home"
    paths = Paths(home / "demo" / "sandbox")
    tmux.start([COMMAND, "demo", "--break", "--home", str(home)], cwd=tmp_path)
    tmux.wait_for("The shop is down", timeout=60)  # the picker, on the incident runbook too
    log = paths.log.read_text()
    assert "FATAL worker crashed" in log and running_pid(paths) is None
    (paths.backups / "left-over").write_text("")
    tmux.keys("q")
    assert tmux.exit_code(timeout=60) == 0
    tmux.kill()

    again = Tmux(*TMUX_SIZE)
    try:
        again.start([COMMAND, "demo", "--reset", "--home", str(home)], cwd=tmp_path)
        again.wait_for("Deploy a release of the shop", timeout=60)
        assert running_pid(paths) is not None  # a new shop, up
        assert not (paths.backups / "left-over").exists()
        again.keys("q")
        screen = again.wait_for("EXIT=", timeout=60)
        assert "demo: starting over" in screen and again.exit_code() == 0
    finally:
        again.kill()
    assert running_pid(paths) is None
