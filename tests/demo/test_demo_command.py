"""`runbook-tui demo` as a user runs it: the installed command, real processes, a real
shop on 127.0.0.1, real sessions in the demo's own state home."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from runbook_tui.demo import sandbox
from runbook_tui.demo.bundled import runbooks_dir
from runbook_tui.demo.headless import run_all
from runbook_tui.demo.servicectl import Paths, running_pid

COMMAND = str(Path(sys.executable).parent / "runbook-tui")

pytestmark = pytest.mark.slow


def demo(home: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RUNBOOK_TUI_", "DEMO_"))}
    return subprocess.run(
        [COMMAND, "demo", *args, "--home", str(home)],
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=300,
    )


def events(journal: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in journal.read_text().splitlines()]


def digests() -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in runbooks_dir().glob("*.md")}


def test_headless_walks_every_bundled_runbook_against_a_fresh_sandbox(tmp_path: Path) -> None:
    home = tmp_path / "home"
    before = digests()
    done = demo(home, "--headless", cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    root = home / "demo" / "headless"
    assert lines[0] == f"runbook-tui demo --headless: a fresh sandbox in {root}"
    walked = [line.split()[1:3] for line in lines if line.startswith(("✓", "✗"))]
    assert walked == [
        ["deploy.md", "completed"],
        ["deploy.md", "(rollback)"],
        ["restore.md", "(drill)"],
        ["incident.md", "completed"],
    ], done.stdout
    assert all(line.startswith("✓") for line in lines if line.startswith(("✓", "✗")))
    assert "4 of 4 walks passed." in lines
    [drill] = [line for line in lines if "restore.md (drill)" in line]
    assert "(drill passed in " in drill and "of its RTO 300s)" in drill
    # The sessions are the demo's, in its own state home; the user's has none.
    listing = subprocess.run(
        [COMMAND, "sessions", "--json", "--home", str(root)], capture_output=True, text=True
    )
    sessions = sorted(json.loads(listing.stdout), key=lambda s: s["started_at"])
    assert [(Path(s["runbook_path"]).name, s["status"], s["drill"]) for s in sessions] == [
        ("deploy.md", "completed", False),
        ("deploy.md", "rolled_back", False),
        ("restore.md", "completed", True),
        ("incident.md", "completed", False),
    ]
    assert not (home / "sessions").exists() or not list((home / "sessions").iterdir())
    drills = [COMMAND, "drills", "--json", "--home"]
    mine = subprocess.run([*drills, str(home)], capture_output=True, text=True)
    assert json.loads(mine.stdout) == []  # demo drills never count in the user's
    theirs = json.loads(subprocess.run([*drills, str(root)], capture_output=True, text=True).stdout)
    assert [(Path(d["runbook"]).name, d["passed"]) for d in theirs] == [("restore.md", True)]
    for s in sessions:
        first = events(Path(s["path"]) / "journal.jsonl")[0]
        assert first["workdir"] == str(root)  # the sandbox, wherever the package is
        assert Path(first["runbook"]["path"]).parent == runbooks_dir()  # type: ignore[index]
    # The deploy really went to v2 and its rollback back to v1; the shop is stopped.
    paths = Paths(root)
    assert os.readlink(paths.current) == "releases/v1"
    assert (paths.service / "previous").read_text().strip() == "releases/v1"
    assert "release v2 listening" in paths.log.read_text()
    assert running_pid(paths) is None
    assert len(list(paths.backups.glob("shop-*.db"))) == 2  # the sandbox's and the deploy's
    # The incident's placeholder was filled, and says by whom.
    assert "cause: filled in by runbook-tui demo --headless" in (root / "incidents.log").read_text()
    assert len(list((root / "runs").glob("*.out"))) == 4
    # The demo's own log is in its folder, and nothing rewrote a runbook.
    assert (home / "demo" / "runbook-tui.log").exists()
    assert digests() == before


def test_a_failing_walk_fails_the_run_and_shows_its_end(tmp_path: Path) -> None:
    folder = tmp_path / "runbooks"
    folder.mkdir()
    (folder / "broken.md").write_text(
        "---\nkind: maintenance\n---\n# Broken\n\n```sh {name=look}\nbin/servicectl status\n"
        "echo about to fail; false\n```\n"
    )
    box = sandbox.create(tmp_path / "sandbox")
    said: list[str] = []
    assert run_all(box, folder, say=said.append) == 1
    assert said[0].startswith("✗ broken.md") and "failed" in said[0] and "exit 1" in said[0]
    assert any("about to fail" in line for line in said)
    assert said[-1] == "0 of 1 walks passed."
    assert running_pid(box.paths) is None


def test_a_demo_deploy_that_failed_resumes_in_the_sandbox_without_a_warning(
    tmp_path: Path,
) -> None:
    """The shop is down, so the deploy's preflight fails; once it is up again the session
    resumes: same runbook text (no 'changed'), and the first step runs in the sandbox
    it recorded, not in the runbooks' folder."""
    box = sandbox.create(tmp_path / "home" / "demo" / "sandbox")
    env = {**os.environ, **box.environment()}
    deploy = str(runbooks_dir() / "deploy.md")
    common = ["--home", str(box.root)]
    run = subprocess.run(
        [COMMAND, "run", deploy, "--yes", "--workdir", str(box.root), *common],
        env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert run.returncode == 1, run.stdout + run.stderr
    assert "the shop is not running" in run.stdout
    [session] = (box.root / "sessions").iterdir()
    try:
        assert box.servicectl("start", say=lambda _: None) == 0
        resumed = subprocess.run(
            [COMMAND, "resume", session.name, "--yes", *common],
            env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
    finally:
        sandbox.stop_service(box.root, say=lambda _: None)
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert "changed" not in resumed.stdout + resumed.stderr
    assert f"session {session.name} completed" in resumed.stdout
    assert os.readlink(box.paths.current) == "releases/v2"


def test_stop_stops_the_demos_shop(tmp_path: Path) -> None:
    home = tmp_path / "home"
    box = sandbox.create(home / "demo" / "sandbox")
    assert box.servicectl("start", say=lambda _: None) == 0
    pid = running_pid(box.paths)
    done = demo(home, "--stop", cwd=tmp_path)
    assert (done.returncode, done.stdout) == (0, f"demo: stopped the shop (pid {pid})\n")
    assert running_pid(box.paths) is None
    again = demo(home, "--stop", cwd=tmp_path)
    assert (again.returncode, again.stdout) == (0, "demo: the demo's shop is not running\n")


def test_the_interactive_demo_needs_a_terminal_and_flags_that_go_together(tmp_path: Path) -> None:
    home = tmp_path / "home"
    done = demo(home, cwd=tmp_path)
    assert done.returncode == 2
    assert "needs a terminal; `runbook-tui demo --headless` walks the runbooks" in done.stderr
    assert not (home / "demo" / "sandbox").exists()  # refused before making anything
    done = demo(home, "--stop", "--reset", cwd=tmp_path)
    assert (done.returncode, done.stderr) == (
        2,
        "runbook-tui demo: --stop and --reset do not go together\n",
    )


def test_a_sandbox_another_demo_holds_is_refused(tmp_path: Path) -> None:
    home = tmp_path / "home"
    with sandbox.locked(home / "demo" / "headless"):
        done = demo(home, "--headless", cwd=tmp_path)
    assert done.returncode == 2
    assert f"is open in another demo (pid {os.getpid()})" in done.stderr


def test_the_bundled_runbooks_pass_check_as_the_command_prints_it() -> None:
    """`runbook-tui check` on the folder, as the issue's contract says: no error, and the
    only warnings are the incident's placeholders (its prose says why)."""
    done = subprocess.run(
        [COMMAND, "check", "--json", str(runbooks_dir())], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr
    found = {(Path(d["path"]).name, d["severity"], d["code"]) for d in json.loads(done.stdout)}
    assert found == {("incident.md", "warning", "placeholder")}


def status_in(box: sandbox.Sandbox, name: str) -> tuple[int, dict[str, list[dict[str, object]]]]:
    """`runbook-tui status` of a bundled runbook as the demo's walk opens it: the
    sandbox's environment, the sandbox as its working directory."""
    env = {**os.environ, **box.environment()}
    done = subprocess.run(
        [COMMAND, "status", str(runbooks_dir() / name), "--json",
         "--workdir", str(box.root), "--home", str(box.root)],
        env=env, cwd=box.root.parent, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode in (0, 1), done.stdout + done.stderr
    return done.returncode, json.loads(done.stdout)


def test_the_bundled_runbooks_panels_show_the_sandbox_live(tmp_path: Path) -> None:
    """What the Services, Logs and Backups panels read (the same sources `status`
    reads): the sandbox's shop, its log and its backups, from `${PORT}` and
    `${SANDBOX}` expanded, and a shop that breaks reads as down."""
    box = sandbox.create(tmp_path / "home" / "demo" / "sandbox")
    try:
        assert box.servicectl("start", say=lambda _: None) == 0
        code, deploy = status_in(box, "deploy.md")
        assert code == 0, deploy
        [shop] = deploy["services"]
        assert (shop["name"], shop["state"]) == ("shop", "up")
        [log] = deploy["logs"]
        assert any("release v1 listening" in str(line) for line in log["lines"]), log
        [backups] = deploy["backups"]
        assert backups["state"] == "ok" and backups["count"] == 1
        code, restore = status_in(box, "restore.md")
        assert code == 0 and restore["backups"][0]["count"] == 1

        assert box.servicectl("break", say=lambda _: None) == 0
        code, incident = status_in(box, "incident.md")
        assert code == 1
        assert incident["services"][0]["state"] == "down"
        assert any("FATAL worker crashed" in str(line) for line in incident["logs"][0]["lines"])
    finally:
        sandbox.stop_service(box.root, say=lambda _: None)
