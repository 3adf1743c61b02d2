"""Faults and the messages they give (issue 9): each test reproduces what an operator
hit, with real processes and files, and checks what they see and what is kept."""

from __future__ import annotations

import contextlib
import errno
import json
import os
import select
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest
from test_run import cli, sessions_json, start, wait_for_file

ONE_STEP = "# One\n\n```sh {name=a}\necho hi\n```\n"


@pytest.fixture
def full_disk(tmp_path: Path) -> Iterator[Path]:
    """A folder on a 64 KiB tmpfs that is already full: creating a file works (it holds
    no data yet), writing to it fails with ENOSPC, as on a real full disk. Needs root
    (or CAP_SYS_ADMIN) to mount; skipped where mounting is impossible."""
    mnt = tmp_path / "full"
    mnt.mkdir()
    res = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64k,mode=0700", "tmpfs", str(mnt)],
        capture_output=True,
        text=True,
    )
    if res.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {res.stderr.strip()}")
    try:
        (mnt / "home").mkdir()
        fd = os.open(mnt / "filler", os.O_WRONLY | os.O_CREAT, 0o600)
        with contextlib.suppress(OSError):
            while os.write(fd, b"\0" * 4096):
                pass
        os.close(fd)
        yield mnt / "home"
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=False)


def test_a_session_that_cannot_be_created_leaves_nothing_and_says_so_once(
    tmp_path: Path, full_disk: Path
) -> None:
    """Before: a 0-byte journal stayed (listed `interrupted`, title `?`) and logging
    printed `--- Logging error ---` with a traceback over the operator's screen."""
    (tmp_path / "one.md").write_text(ONE_STEP)
    res = cli("run", "one.md", "--yes", cwd=tmp_path, home=full_disk)
    assert res.returncode == 2
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1, res.stderr
    assert lines[0].startswith("runbook-tui run: cannot create the session in ")
    assert lines[0].endswith(": No space left on device")
    assert "Traceback" not in res.stderr and "Logging error" not in res.stderr
    assert list((full_disk / "sessions").iterdir()) == []
    listed = cli("sessions", "--json", cwd=tmp_path, home=full_disk)
    assert listed.returncode == 0 and listed.stderr == ""
    assert json.loads(listed.stdout) == []


def test_engine_start_on_a_full_disk_leaves_no_session_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same fault without a mount: ENOSPC is simulated in-process by making the
    journal's `os.write` raise OSError(ENOSPC), so this runs where tmpfs cannot be
    mounted."""
    from runbook_tui.runbook.parser import load
    from runbook_tui.session import journal
    from runbook_tui.session.engine import Engine, EngineError

    (tmp_path / "one.md").write_text(ONE_STEP)
    runbook = load(tmp_path / "one.md").runbook

    def no_space(fd: int, data: object) -> int:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(journal.os, "write", no_space)
    with pytest.raises(EngineError, match=r"cannot create the session in .*: No space left"):
        Engine.start(runbook, home=tmp_path / "home")
    monkeypatch.undo()
    assert list((tmp_path / "home" / "sessions").iterdir()) == []


def test_a_log_that_cannot_be_written_stays_quiet(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    """A write to the tool's own log fails with ENOSPC (a stream that raises it, in
    process): nothing reaches stderr; logging's default would print a traceback."""
    from runbook_tui import applog

    logger = logging_root()
    path = applog.configure(tmp_path)
    assert path is not None
    [handler] = [h for h in logger.handlers if isinstance(h, applog.RotatingFileHandler)]

    class Full:
        def write(self, text: str) -> int:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

        def tell(self) -> int:
            return 0

        def seek(self, *args: object) -> int:
            return 0

        def flush(self) -> None:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

        def close(self) -> None:
            pass

    real = handler.stream
    handler.stream = Full()
    try:
        logger.info("session %s started", uuid.uuid4().hex)
        logger.error("something went wrong")
    finally:
        handler.stream = real
        logger.removeHandler(handler)
        handler.close()
    out, err = capfd.readouterr()
    assert err == "" and out == ""


def logging_root():  # type: ignore[no-untyped-def]
    import logging

    return logging.getLogger("runbook_tui")


def _bare_env(home: Path) -> dict[str, str]:
    """The environment with HOME faked and no state home chosen: the default applies."""
    env = {k: v for k, v in os.environ.items() if k not in ("RUNBOOK_TUI_HOME", "XDG_STATE_HOME")}
    env["HOME"] = str(home)
    return env


def test_folders_made_above_the_state_home_are_private_under_umask_000(tmp_path: Path) -> None:
    """Before: `~/.local/state` was made with the default mode, 0777 under umask 000.
    A folder that already exists keeps its mode."""
    home = tmp_path / "fakehome"
    home.mkdir()
    (home / ".local").mkdir(mode=0o755)
    os.chmod(home / ".local", 0o755)
    res = subprocess.run(
        [sys.executable, "-m", "runbook_tui", "sessions"],
        cwd=tmp_path,
        env=_bare_env(home),
        capture_output=True,
        text=True,
        timeout=60,
        preexec_fn=lambda: os.umask(0),
    )
    assert res.returncode == 0, res.stderr

    def mode(p: Path) -> int:
        return p.stat().st_mode & 0o777

    assert mode(home / ".local") == 0o755  # the operator's own: untouched
    assert mode(home / ".local" / "state") == 0o700
    assert mode(home / ".local" / "state" / "runbook-tui") == 0o700

    # Nothing above it exists: every folder made is private.
    other = tmp_path / "nothing" / "here"
    res = subprocess.run(
        [sys.executable, "-m", "runbook_tui", "sessions", "--home", str(other / "state")],
        cwd=tmp_path,
        env=_bare_env(home),
        capture_output=True,
        text=True,
        timeout=60,
        preexec_fn=lambda: os.umask(0),
    )
    assert res.returncode == 0, res.stderr
    for folder in (tmp_path / "nothing", other, other / "state"):
        assert mode(folder) == 0o700, folder


@pytest.mark.parametrize("what", ["file", "broken link", "file above"])
def test_a_state_home_in_the_way_is_named_not_errno_17(tmp_path: Path, what: str) -> None:
    """Before: `[Errno 17] File exists` (and run: `cannot create the session`)."""
    (tmp_path / "one.md").write_text(ONE_STEP)
    state = tmp_path / "state"
    if what == "file":
        state.write_text("")
        expected = f"runbook-tui: the state folder {state} is a file, not a folder"
    elif what == "broken link":
        state.symlink_to(tmp_path / "gone")
        expected = (
            f"runbook-tui: the state folder {state} is a broken symbolic link to {tmp_path}/gone"
        )
    else:
        state.write_text("")
        state = state / "below"
        expected = (
            f"runbook-tui: the state folder {state} cannot be created: "
            f"{tmp_path}/state is a file, not a folder"
        )
    for args in (["run", "one.md", "--yes"], ["sessions"], ["resume", "x", "--yes"]):
        res = cli(*args, cwd=tmp_path, home=state)
        assert res.returncode == 2, (args, res.stderr)
        assert res.stderr.strip() == expected, args
    assert not (tmp_path / "gone").exists()


def test_run_on_a_folder_says_it_is_a_folder(tmp_path: Path) -> None:
    """Before: `no such file` for a folder that plainly exists."""
    (tmp_path / "books").mkdir()
    res = cli("run", "books", "--yes", cwd=tmp_path, home=tmp_path / "home")
    assert res.returncode == 2
    assert res.stderr.strip() == "runbook-tui run: books is a folder, not a runbook file"


def test_check_on_a_folder_without_runbooks_is_a_usage_error(tmp_path: Path) -> None:
    """Before: exit 0, `0 file(s): 0 error(s)`, as if every runbook had passed."""
    (tmp_path / "empty").mkdir()
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "todo.txt").write_text("x\n")
    (tmp_path / "ok.md").write_text(ONE_STEP)
    res = cli("check", "empty", cwd=tmp_path, home=tmp_path / "home")
    assert res.returncode == 2
    assert "runbook-tui check: no .md files in empty (it holds no files)" in res.stderr
    res = cli("check", "notes", "ok.md", cwd=tmp_path, home=tmp_path / "home")
    assert res.returncode == 2  # ok.md is checked, and the folder is still reported
    assert "runbook-tui check: no .md files in notes (it holds 1 other file)" in res.stderr
    assert "1 file(s): 0 error(s)" in res.stderr


def _gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def _wait_gone(pid: int, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not _gone(pid):
        assert time.monotonic() < deadline, f"pid {pid} still alive"
        time.sleep(0.05)


def test_a_daemon_a_finished_step_started_does_not_block_resume(tmp_path: Path) -> None:
    """Before: the daemon (it carries RUNBOOK_TUI_SESSION too) made resume refuse, as
    if it were the interrupted step; only the interrupted step's processes block."""
    (tmp_path / "d.md").write_text(
        "# D\n\n"
        "```sh {name=daemon}\n"
        "setsid -f sh -c 'echo $$ > daemon.pid; exec sleep 1000' </dev/null >/dev/null 2>&1\n"
        "while [ ! -s daemon.pid ]; do sleep 0.05; done\n"
        "```\n\n"
        "```sh {name=slow}\necho $$ > slow.pid; [ -e resumed ] || sleep 30\n```\n"
    )
    proc = start(["run", "d.md", "--yes"], tmp_path)
    daemon = None
    try:
        wait_for_file(tmp_path / "slow.pid")
        daemon = int((tmp_path / "daemon.pid").read_text())
        proc.kill()  # kill -9: the slow step goes on, and so does the daemon
        proc.wait()
        slow = int((tmp_path / "slow.pid").read_text())
        session = sessions_json(tmp_path)[0]["id"]
        res = cli("resume", session, "--yes", cwd=tmp_path, home=tmp_path / "home")
        assert res.returncode == 2
        assert f"pid {slow}" in res.stderr and f"pid {daemon}" not in res.stderr
        os.killpg(slow, signal.SIGKILL)
        _wait_gone(slow)
        (tmp_path / "resumed").touch()
        res = cli("resume", session, "--yes", cwd=tmp_path, home=tmp_path / "home")
        assert res.returncode == 0, res.stderr
        assert not _gone(daemon)  # started on purpose: resume leaves it alone
    finally:
        if daemon is not None and not _gone(daemon):
            os.kill(daemon, signal.SIGKILL)


def _journal(home: Path) -> list[dict]:
    [path] = (home / "sessions").glob("*/journal.jsonl")
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_a_second_sigterm_while_stopping_still_exits_130_and_records_the_end(
    tmp_path: Path,
) -> None:
    """Before: a second SIGTERM 50 ms after the first (a supervisor that insists) could
    kill the process with the default disposition, exit 143 (-15 here), because Python
    restores it while shutting down. Here the second comes 50 ms after the first and
    more follow every 50 ms until the process exits, so every phase is hit: the
    cancel, the recording and the shutdown."""
    (tmp_path / "s.md").write_text("# S\n\n```sh {name=slow}\necho $$ > pid; sleep 30\n```\n")
    proc = start(["run", "s.md", "--yes"], tmp_path, stdout=subprocess.PIPE, text=True)
    wait_for_file(tmp_path / "pid")
    proc.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + 30
    while proc.poll() is None:
        assert time.monotonic() < deadline
        time.sleep(0.05)
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(signal.SIGTERM)
    out = proc.stdout.read() if proc.stdout else ""
    assert proc.returncode == 130, out
    assert "interrupted; resume with:" in out
    events = _journal(tmp_path / "home")
    [finished] = [e for e in events if e["type"] == "step_finished"]
    assert finished["cancelled"] and finished["reason"] == "cancelled by the operator"
    assert events[-1]["type"] == "session_ended" and events[-1]["status"] == "aborted"


def _interrupted_session(tmp_path: Path) -> str:
    """A session killed (-9) while its step `once` sleeps, after its side effect and 30
    lines of output reached the journal; the step's own processes are gone too."""
    (tmp_path / "once.md").write_text(
        "# Once\n\n```sh {name=once}\n"
        "echo effect >> effects\n"
        "for i in $(seq 1 30); do echo line$i; done\n"
        "echo $$ > pid; [ -e resumed ] || sleep 30\n```\n"
    )
    proc = start(["run", "once.md", "--yes"], tmp_path)
    wait_for_file(tmp_path / "pid")
    journal = next((tmp_path / "home" / "sessions").glob("*/journal.jsonl"))
    deadline = time.monotonic() + 20
    while "line30" not in journal.read_text():  # output is flushed within 0.25 s
        assert time.monotonic() < deadline
        time.sleep(0.05)
    proc.kill()
    proc.wait()
    step = int((tmp_path / "pid").read_text())
    os.killpg(step, signal.SIGKILL)
    _wait_gone(step)
    (tmp_path / "resumed").touch()
    return journal.parent.name


def test_resume_asks_about_an_interrupted_step_showing_its_recorded_output(
    tmp_path: Path,
) -> None:
    """Before: `run it? [Y]es` as for any step, though its side effect may be done."""
    import pty

    session = _interrupted_session(tmp_path)
    master, slave = pty.openpty()
    env = {**os.environ, "RUNBOOK_TUI_HOME": str(tmp_path / "home")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "runbook_tui", "resume", session],
        cwd=tmp_path, env=env, stdin=slave, stdout=slave, stderr=slave,
    )  # fmt: skip
    os.close(slave)
    seen = b""

    def wait_for(text: bytes, count: int = 1) -> None:
        nonlocal seen
        deadline = time.monotonic() + 20
        while seen.count(text) < count:
            assert time.monotonic() < deadline, seen.decode(errors="replace")
            if select.select([master], [], [], 0.1)[0]:
                try:
                    seen += os.read(master, 4096)
                except OSError:
                    break

    try:
        wait_for(b"run it again? [y]es / [s]kip / [q]uit: ")
        shown = seen.decode()
        assert "this step was interrupted and may have run (its output is above)" in shown
        assert "| line11\r\n" in shown and "| line30\r\n" in shown
        assert "line10\r\n" not in shown  # the tail: the last 20 lines
        os.write(master, b"\n")  # no default: an empty answer asks again
        wait_for(b"run it again?", count=2)
        os.write(master, b"y\n")
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(master)
    assert (tmp_path / "effects").read_text().split() == ["effect", "effect"]


def test_resume_yes_says_the_interrupted_step_is_run_again(tmp_path: Path) -> None:
    session = _interrupted_session(tmp_path)
    res = cli("resume", session, "--yes", cwd=tmp_path, home=tmp_path / "home")
    assert res.returncode == 0, res.stderr
    assert "step once was interrupted and may have run; running it again (--yes)" in res.stdout
    assert "  | line30\n" in res.stdout
