"""`runbook-tui run`, `sessions` and `resume` as a user's script calls them: real
processes, real files, real signals."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import psutil
import pytest

RUNBOOK = """\
---
title: Three steps
kind: maintenance
variables:
  TARGET:
    prompt: Where to
    pattern: "[a-z]+"
  SECRET:
    secret: true
    from_env: TEST_SECRET
    required: false
---

# Three steps

## Prepare

```sh {"name":"prepare"}
echo "preparing $TARGET"
echo prepare >> marks
```

- [ ] Tell the team

## Do

```sh {"name":"do"}
echo do >> marks
```

## Rollback

```sh {"name":"undo"}
echo undo >> marks
```
"""


def gone(pid: int) -> bool:
    """Exited (or a zombie waiting to be reaped): checked in one call, so a process that
    exits between two looks cannot raise NoSuchProcess."""
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def cli(
    *args: str,
    cwd: Path,
    home: Path,
    env: dict[str, str] | None = None,
    stdin: int | None = subprocess.DEVNULL,
    timeout: float = 60,
) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "RUNBOOK_TUI_HOME": str(home), **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "runbook_tui", *args],
        cwd=cwd,
        env=full_env,
        stdin=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def start(args: list[str], tmp_path: Path, **kw: Any) -> subprocess.Popen[Any]:
    """The command running in the background, its state in `tmp_path/home`; output is
    discarded unless `stdout`/`stderr` say otherwise."""
    options: dict[str, Any] = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL, **kw}
    env = {**os.environ, "RUNBOOK_TUI_HOME": str(tmp_path / "home")}
    return subprocess.Popen(
        [sys.executable, "-m", "runbook_tui", *args],
        cwd=tmp_path, env=env, stdin=subprocess.DEVNULL, **options,
    )  # fmt: skip


def wait_for_file(path: Path, timeout: float = 20) -> None:
    """Until `path` exists with some content (a step wrote its pid, say)."""
    deadline = time.monotonic() + timeout
    while not (path.exists() and path.read_text().strip()):
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.05)


@pytest.fixture
def book(tmp_path: Path) -> Path:
    path = tmp_path / "three.md"
    path.write_text(RUNBOOK)
    return path


def sessions_json(tmp_path: Path) -> list[dict]:
    out = cli("sessions", "--json", cwd=tmp_path, home=tmp_path / "home")
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def test_run_yes_walks_every_main_step_and_records_a_completed_session(
    tmp_path: Path, book: Path
) -> None:
    res = cli(
        "run", str(book), "--yes", "--var", "TARGET=prod", cwd=tmp_path, home=tmp_path / "home"
    )
    assert res.returncode == 0, res.stderr
    assert "preparing prod" in res.stdout
    assert (tmp_path / "marks").read_text() == "prepare\ndo\n"  # rollback not run
    [session] = sessions_json(tmp_path)
    assert session["status"] == "completed" and session["drill"] is False
    assert set(session) >= {
        "id",
        "runbook_path",
        "title",
        "status",
        "drill",
        "started_at",
        "ended_at",
        "operator",
    }
    show = cli(
        "sessions", "show", session["id"][:12], "--json", cwd=tmp_path, home=tmp_path / "home"
    )
    doc = json.loads(show.stdout)
    steps = {s["id"]: s for s in doc["steps"]}
    assert steps["prepare"]["status"] == "succeeded" and steps["prepare"]["exit_code"] == 0
    assert "preparing prod" in steps["prepare"]["output"]
    assert steps["do"]["attempts"] == 1
    manual = [s for s in doc["steps"] if s["kind"] == "manual"]
    assert manual and manual[0]["status"] == "succeeded"
    for key in (
        "id",
        "name",
        "kind",
        "status",
        "exit_code",
        "attempts",
        "started_at",
        "finished_at",
        "output",
    ):
        assert key in steps["do"]


def test_run_stops_at_the_first_failed_step_with_exit_1(tmp_path: Path) -> None:
    path = tmp_path / "fail.md"
    path.write_text(
        "# Fail\n\n```sh\necho one >> marks; exit 4\n```\n\n```sh\necho two >> marks\n```\n"
    )
    res = cli("run", str(path), "--yes", cwd=tmp_path, home=tmp_path / "home")
    assert res.returncode == 1
    assert "exit 4, expected 0" in res.stdout
    assert (tmp_path / "marks").read_text() == "one\n"
    assert sessions_json(tmp_path)[0]["status"] == "failed"


def test_run_without_a_terminal_or_yes_refuses_with_exit_2(tmp_path: Path, book: Path) -> None:
    res = cli("run", str(book), "--var", "TARGET=x", cwd=tmp_path, home=tmp_path / "home")
    assert res.returncode == 2 and "--yes" in res.stderr
    assert not (tmp_path / "marks").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "TARGET is required"),
        (["--var", "TARGET=NOT-LOWER"], "does not match"),
        (["--var", "TARGET=ok", "--var", "TYPO=1"], "unknown variable TYPO"),
        (["--var", "nonsense"], "NAME=VALUE"),
    ],
)
def test_variable_problems_stop_before_any_step_runs(
    tmp_path: Path, book: Path, args: list[str], message: str
) -> None:
    res = cli("run", str(book), "--yes", *args, cwd=tmp_path, home=tmp_path / "home")
    assert res.returncode == 2
    assert message in res.stderr
    assert not (tmp_path / "marks").exists()


def test_vars_file_and_from_env_supply_values(tmp_path: Path, book: Path) -> None:
    (tmp_path / "vars.env").write_text("# comment\nTARGET=fromfile\n")
    res = cli(
        "run",
        str(book),
        "--yes",
        "--vars-file",
        str(tmp_path / "vars.env"),
        cwd=tmp_path,
        home=tmp_path / "home",
        env={"TEST_SECRET": "s3cr3t-value-xyz"},
    )
    assert res.returncode == 0, res.stderr
    assert "preparing fromfile" in res.stdout
    journal = next((tmp_path / "home").rglob("journal.jsonl")).read_text()
    assert "s3cr3t-value-xyz" not in journal


def test_a_runbook_with_errors_is_refused_with_exit_2(tmp_path: Path) -> None:
    path = tmp_path / "bad.md"
    path.write_text("---\ntitle: [unclosed\n---\n# x\n```sh\ntrue\n```\n")
    res = cli("run", str(path), "--yes", cwd=tmp_path, home=tmp_path / "home")
    assert res.returncode == 2
    assert "bad.md:" in res.stderr


def test_missing_file_is_a_usage_error(tmp_path: Path) -> None:
    res = cli("run", str(tmp_path / "nope.md"), "--yes", cwd=tmp_path, home=tmp_path / "home")
    assert res.returncode == 2 and "no such file" in res.stderr


def test_interrupt_cancels_the_running_step_and_exits_130(tmp_path: Path) -> None:
    path = tmp_path / "hang.md"
    path.write_text(
        "# Hang\n\n```sh\necho $$ > shell.pid; sleep 300 & echo $! > child.pid; wait\n```\n"
    )
    proc = start(
        ["run", str(path), "--yes"], tmp_path,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    wait_for_file(tmp_path / "child.pid")
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err
    assert "resume with" in out
    child = int((tmp_path / "child.pid").read_text())
    assert gone(child)
    [session] = sessions_json(tmp_path)
    assert session["status"] == "aborted"


def test_resume_continues_without_rerunning_finished_steps(tmp_path: Path, book: Path) -> None:
    path = tmp_path / "fail-once.md"
    path.write_text(
        "# Flaky\n\n```sh {name=first}\necho first >> marks\n```\n\n"
        "```sh {name=second}\necho second >> marks; test -e ok\n```\n"
    )
    res = cli("run", str(path), "--yes", cwd=tmp_path, home=tmp_path / "home")
    assert res.returncode == 1
    session = sessions_json(tmp_path)[0]["id"]
    (tmp_path / "ok").touch()
    res = cli("resume", session, "--yes", cwd=tmp_path, home=tmp_path / "home")
    assert res.returncode == 0, res.stdout + res.stderr
    assert (tmp_path / "marks").read_text() == "first\nsecond\nsecond\n"
    doc = json.loads(
        cli("sessions", "show", session, "--json", cwd=tmp_path, home=tmp_path / "home").stdout
    )
    second = next(s for s in doc["steps"] if s["id"] == "second")
    assert second["attempts"] == 2 and second["status"] == "succeeded"
    assert doc["status"] == "completed"


def test_resume_refuses_a_changed_runbook(tmp_path: Path) -> None:
    path = tmp_path / "x.md"
    path.write_text("# X\n\n```sh\nexit 1\n```\n")
    cli("run", str(path), "--yes", cwd=tmp_path, home=tmp_path / "home")
    session = sessions_json(tmp_path)[0]["id"]
    path.write_text("# X\n\n```sh\nexit 0\n```\n")
    res = cli("resume", session, "--yes", cwd=tmp_path, home=tmp_path / "home")
    assert res.returncode == 2 and "--allow-changed" in res.stderr
    res = cli("resume", session, "--yes", "--allow-changed", cwd=tmp_path, home=tmp_path / "home")
    assert res.returncode == 0, res.stderr


def test_unknown_session_id_is_a_usage_error(tmp_path: Path) -> None:
    res = cli("resume", "nope", "--yes", cwd=tmp_path, home=tmp_path / "home")
    assert res.returncode == 2


# The kill test's moments come from this seed; set it to replay a failing run.
SEED = int(os.environ.get("RUNBOOK_TUI_TEST_SEED") or 20261126)


@pytest.mark.slow
def test_kill_9_at_random_moments_never_loses_a_finished_step(tmp_path: Path) -> None:
    """Kill a headless run at random moments; every time the journal opens, every step
    it records as finished really ran exactly once, and resume completes the walk
    without running a finished step again."""
    rng = random.Random(SEED)
    steps = 6
    body = "".join(
        f"```sh {{name=s{i}}}\necho s{i} >> marks; sleep 0.{rng.randint(0, 2)}\n```\n\n"
        for i in range(steps)
    )
    path = tmp_path / "many.md"
    path.write_text("# Many\n\n" + body)
    for round_ in range(12):
        where = f"seed {SEED} (RUNBOOK_TUI_TEST_SEED), round {round_}"
        marks = tmp_path / "marks"
        marks.unlink(missing_ok=True)
        # Taken before the run starts: once it runs, its own session may already be listed.
        known = {s["id"] for s in sessions_json(tmp_path)}
        proc = start(["run", str(path), "--yes"], tmp_path)
        time.sleep(rng.uniform(0.2, 1.6))  # the random moment of the kill: the scenario
        proc.kill()
        proc.wait()
        new = [s for s in sessions_json(tmp_path) if s["id"] not in known]
        assert len(new) <= 1, f"{where}: one run made several sessions: {new}"
        if not new or not _has_steps_recorded(tmp_path, new[0]["id"]):
            # Killed before the session or its first step was recorded: nothing ran.
            assert not marks.exists(), f"{where}: a step ran unrecorded"
            continue
        [session] = new
        if session["status"] == "completed":
            continue
        assert session["status"] == "interrupted", (where, session)
        doc = json.loads(
            cli(
                "sessions", "show", session["id"], "--json", cwd=tmp_path, home=tmp_path / "home"
            ).stdout
        )
        ran = marks.read_text().split() if marks.exists() else []
        finished_before = {s["id"] for s in doc["steps"] if s["status"] == "succeeded"}
        assert finished_before <= set(ran), (where, finished_before, ran)
        res = cli("resume", session["id"], "--yes", cwd=tmp_path, home=tmp_path / "home")
        assert res.returncode == 0, (where, res.stdout + res.stderr)
        counts = {name: marks.read_text().split().count(name) for name in ran}
        for name in finished_before:
            assert counts[name] == 1, f"{where}: {name} ran again after resume"
        final = json.loads(
            cli(
                "sessions", "show", session["id"], "--json", cwd=tmp_path, home=tmp_path / "home"
            ).stdout
        )
        assert final["status"] == "completed", (where, final["status"])
        assert all(s["status"] == "succeeded" for s in final["steps"]), (where, final["steps"])


def test_on_a_terminal_run_asks_before_each_step(tmp_path: Path) -> None:
    """A real pseudo-terminal on stdin: the operator answers y, then s with a reason."""
    import pty

    path = tmp_path / "ask.md"
    path.write_text(
        "# Ask\n\n```sh {name=one}\necho one >> marks\n```\n\n"
        "```sh {name=two}\necho two >> marks\n```\n"
    )
    master, slave = pty.openpty()
    env = {**os.environ, "RUNBOOK_TUI_HOME": str(tmp_path / "home")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "runbook_tui", "run", str(path)],
        cwd=tmp_path,
        env=env,
        stdin=slave,
        stdout=slave,
        stderr=slave,
    )
    os.close(slave)
    seen = b""

    def wait_for(text: bytes) -> None:
        nonlocal seen
        deadline = time.monotonic() + 20
        while text not in seen:
            assert time.monotonic() < deadline, seen.decode(errors="replace")
            try:
                seen += os.read(master, 4096)
            except OSError:
                break

    wait_for(b"run it?")
    os.write(master, b"y\n")
    wait_for(b"two")
    wait_for(b"run it?")
    seen = seen[seen.rindex(b"run it?") + 1 :]
    os.write(master, b"s\n")
    wait_for(b"reason")
    os.write(master, b"not tonight\n")
    assert proc.wait(timeout=20) == 0
    os.close(master)
    assert (tmp_path / "marks").read_text() == "one\n"
    show = cli(
        "sessions",
        "show",
        sessions_json(tmp_path)[0]["id"],
        "--json",
        cwd=tmp_path,
        home=tmp_path / "home",
    )
    steps = {s["id"]: s for s in json.loads(show.stdout)["steps"]}
    assert steps["two"]["status"] == "skipped" and steps["two"]["skip_reason"] == "not tonight"


def _has_steps_recorded(tmp_path: Path, session_id: str) -> bool:
    show = cli("sessions", "show", session_id, "--json", cwd=tmp_path, home=tmp_path / "home")
    if show.returncode != 0:
        return False
    return any(s["attempts"] for s in json.loads(show.stdout)["steps"])
