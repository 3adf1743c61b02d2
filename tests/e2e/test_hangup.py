"""The terminal goes away (a dropped SSH session): the UI must cancel and record the
running step, close the journal, and exit, never spin on a dead terminal."""

from __future__ import annotations

import json
import shlex
import time
from pathlib import Path

import psutil
import pytest

from .tmux import COMMAND, Tmux

pytestmark = pytest.mark.e2e


def gone(pid: int) -> bool:
    """Exited (or a zombie waiting to be reaped): checked in one call, so a process that
    exits between two looks cannot raise NoSuchProcess."""
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def app_process(home: Path) -> psutil.Process:
    found = []
    for proc in psutil.process_iter(["cmdline"]):
        cmd = " ".join(proc.info["cmdline"] or [])
        if "runbook-tui" in cmd and str(home) in cmd and "sh -c" not in cmd:
            found.append(proc)
    assert len(found) == 1, found
    return found[0]


def wait_gone(proc: psutil.Process, timeout: float = 20) -> None:
    try:
        proc.wait(timeout)
    except psutil.TimeoutExpired:
        cpu = proc.cpu_percent(0.5)
        proc.kill()
        raise AssertionError(
            f"runbook-tui outlived its terminal (spinning at {cpu}% CPU)"
        ) from None


def events(home: Path) -> list[dict]:
    [journal] = home.rglob("journal.jsonl")
    return [json.loads(line) for line in journal.read_text().splitlines()]


def run_a_long_step(tmux: Tmux, tmp_path: Path, *, under_make: bool = False) -> Path:
    """Open a runbook whose one step sleeps, start the step, and wait until its shell
    wrote its pid to `pid`. Under make, make is the pane's session leader. The home."""
    (tmp_path / "h.md").write_text("# Hang up\n\n```sh {name=soak}\necho $$ > pid; sleep 60\n```\n")
    home = tmp_path / "home"
    argv = [COMMAND, "h.md", "--home", str(home)]
    if under_make:
        (tmp_path / "Makefile").write_text(f"run:\n\t{shlex.join(argv)}\n")
        tmux.start(["make", "-s", "run"], cwd=tmp_path, leader=True)
    else:
        tmux.start(argv, cwd=tmp_path)
    tmux.wait_for("soak")
    tmux.keys("Enter")
    deadline = time.monotonic() + 20
    while not (tmp_path / "pid").exists() or not (tmp_path / "pid").read_text().strip():
        assert time.monotonic() < deadline, tmux.screen()
        time.sleep(0.05)
    return home


def test_a_hang_up_cancels_and_records_the_running_step(tmp_path: Path, tmux: Tmux) -> None:
    home = run_a_long_step(tmux, tmp_path)
    app = app_process(home)
    step_shell = int((tmp_path / "pid").read_text())
    tmux.kill()  # the terminal is gone
    wait_gone(app)
    assert gone(step_shell)
    finished = [e for e in events(home) if e["type"] == "step_finished"]
    assert finished and finished[0]["cancelled"] is True


def test_a_hang_up_during_an_interactive_step_ends_the_app(tmp_path: Path, tmux: Tmux) -> None:
    (tmp_path / "i.md").write_text(
        '# Ask\n\n```sh {"name":"ask","interactive":true}\nread answer; echo "$answer"\n```\n'
    )
    home = tmp_path / "home"
    tmux.start([COMMAND, "i.md", "--home", str(home)], cwd=tmp_path)
    tmux.wait_for("ask")
    tmux.keys("Enter")
    tmux.wait_for(lambda _: tmux.foreground_command() == "bash", timeout=20)
    app = app_process(home)
    tmux.kill()
    wait_gone(app)
    types = [e["type"] for e in events(home)]
    assert "step_started" in types and "step_finished" in types


def test_a_hang_up_under_make_ends_the_app_without_a_signal(tmp_path: Path, tmux: Tmux) -> None:
    """`make demo` on a dropped SSH session: make is the session leader, takes the
    SIGHUP and waits for its children, so no SIGHUP ever reaches the UI."""
    home = run_a_long_step(tmux, tmp_path, under_make=True)
    app = app_process(home)
    tmux.kill()
    wait_gone(app)
    finished = [e for e in events(home) if e["type"] == "step_finished"]
    assert finished and finished[0]["cancelled"] is True
