"""The session store with real directories, real locks and real processes."""

from __future__ import annotations

import fcntl
import os
import signal
import socket
import stat
import subprocess
import sys
import textwrap
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest

from runbook_tui.session.journal import Journal
from runbook_tui.session.store import (
    SessionAmbiguous,
    SessionDir,
    SessionError,
    SessionLock,
    SessionLocked,
    SessionNotFound,
    create_session,
    find_session,
    is_live,
    is_session_id,
    list_sessions,
    new_session_id,
    state_home,
)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def first_fields(sid: str, title: str = "Deploy", drill: bool = False) -> dict[str, object]:
    return {
        "session_id": sid,
        "runbook": {
            "path": f"/rb/{title.lower()}.md",
            "sha256": "0" * 64,
            "git_commit": None,
            "title": title,
            "kind": "deploy",
        },
        "tool_version": "0.1.0",
        "operator": "alice",
        "host": "web1",
        "pid": os.getpid(),
        "variables": {},
        "drill": drill,
        "started_at": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
    }


def make_session(
    home: Path, *, end: str | None = None, title: str = "Deploy", when: datetime | None = None
) -> SessionDir:
    sdir = create_session(home, now=when)
    fields = first_fields(sdir.id, title)
    if when is not None:
        fields["started_at"] = when.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    j = Journal.create(sdir.journal_path, fields)
    j.append("step_started", step_id="a", attempt=1)
    if end is not None:
        j.append("step_finished", step_id="a", attempt=1, exit_code=0, verdict="succeeded")
        j.append("session_ended", status=end, reason=f"{end} on purpose")
    j.close()
    return sdir


# -- homes, ids, directories --------------------------------------------------------------


def test_state_home_precedence_and_mode(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "h"))
    monkeypatch.delenv("RUNBOOK_TUI_HOME", raising=False)
    monkeypatch.delenv("XDG_STATE_HOME", raising=False)
    default = state_home()
    assert default == tmp_path / "h" / ".local" / "state" / "runbook-tui"
    assert mode(default) == 0o700
    monkeypatch.setenv("XDG_STATE_HOME", "relative/ignored")
    assert state_home() == default
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg"))
    assert state_home() == tmp_path / "xdg" / "runbook-tui"
    monkeypatch.setenv("RUNBOOK_TUI_HOME", str(tmp_path / "env"))
    assert state_home() == tmp_path / "env"
    assert state_home(str(tmp_path / "flag")) == tmp_path / "flag"
    for name in ("xdg/runbook-tui", "env", "flag"):
        assert mode(tmp_path / name) == 0o700


def test_session_ids_sort_by_time_and_are_readable() -> None:
    a = new_session_id(datetime(2026, 11, 26, 14, 15, 0, tzinfo=UTC))
    b = new_session_id(datetime(2026, 11, 26, 14, 15, 1, tzinfo=UTC))
    assert a.startswith("20261126T141500Z-") and len(a) == len("20261126T141500Z-3f9a")
    assert a < b and is_session_id(a) and not is_session_id("../etc")


def test_create_session_is_private_and_never_reuses_a_directory(tmp_path: Path) -> None:
    home = state_home(str(tmp_path / "home"))
    when = datetime(2026, 11, 26, 14, 15, 0, tzinfo=UTC)
    dirs = {create_session(home, now=when).id for _ in range(50)}  # same second
    assert len(dirs) == 50
    sdir = create_session(home)
    assert mode(sdir.path) == 0o700 and mode(home / "sessions") == 0o700
    assert sdir.journal_path == sdir.path / "journal.jsonl"
    j = Journal.create(sdir.journal_path, first_fields(sdir.id))
    j.close()
    with SessionLock(sdir.path):
        pass
    assert mode(sdir.journal_path) == 0o600 and mode(sdir.lock_path) == 0o600


def test_find_session_by_id_and_prefix(tmp_path: Path) -> None:
    home = tmp_path
    a = make_session(home, end="completed", when=datetime(2026, 11, 26, 9, 0, 0, tzinfo=UTC))
    b = make_session(home, end="completed", when=datetime(2026, 11, 26, 9, 0, 1, tzinfo=UTC))
    c = make_session(home, end="completed", when=datetime(2026, 11, 27, 9, 0, 0, tzinfo=UTC))
    assert find_session(home, a.id) == a
    assert find_session(home, "20261127") == c
    assert find_session(home, b.id[:17]) == b
    with pytest.raises(SessionAmbiguous, match="matches 2 sessions"):
        find_session(home, "20261126T0900")
    with pytest.raises(SessionNotFound, match="no session matches '2025'"):
        find_session(home, "2025")
    for bad in ("", "..", "a/b"):
        with pytest.raises(SessionNotFound):
            find_session(home, bad)


# -- locking ------------------------------------------------------------------------------

HOLD = textwrap.dedent(
    """
    import sys, time, subprocess
    from runbook_tui.session.journal import Journal
    from runbook_tui.session.store import SessionLock
    lock = SessionLock(sys.argv[1]).acquire()
    j = Journal.create(sys.argv[1] + "/journal.jsonl", {"session_id": "x",
        "runbook": {"path": "/rb/x.md", "title": "Held"}, "operator": "carol"})
    j.append("step_started", step_id="a", attempt=1)
    if len(sys.argv) > 2:
        # A child that would keep the lock alive if it inherited the lock's fd.
        child = subprocess.Popen(["sleep", "60"], close_fds=False)
        print(child.pid, flush=True)
    print("locked", flush=True)
    time.sleep(60)
    """
)

TRY = textwrap.dedent(
    """
    import sys
    from runbook_tui.session.store import SessionLock, SessionLocked
    try:
        SessionLock(sys.argv[1]).acquire()
    except SessionLocked as exc:
        print("LOCKED:", exc)
    else:
        print("ACQUIRED")
    """
)


def try_lock_in_another_process(path: Path) -> str:
    proc = subprocess.run(
        [sys.executable, "-c", TRY, str(path)], capture_output=True, text=True, timeout=30
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip()


def test_a_second_process_gets_session_locked_with_pid_and_host(tmp_path: Path) -> None:
    sdir = create_session(tmp_path)
    lock = SessionLock(sdir.path).acquire()
    try:
        out = try_lock_in_another_process(sdir.path)
        assert out == (
            f"LOCKED: session {sdir.id} is open in another runbook-tui process "
            f"(pid {os.getpid()} on host {socket.gethostname()})"
        )
        assert is_live(sdir.path)
        # A second lock object, even in this process, is refused as well.
        with pytest.raises(SessionLocked):
            SessionLock(sdir).acquire()
    finally:
        lock.release()
    assert not is_live(sdir.path)
    assert try_lock_in_another_process(sdir.path) == "ACQUIRED"


def test_locking_a_missing_session_directory_is_a_session_error(tmp_path: Path) -> None:
    with pytest.raises(SessionError, match="cannot open the lock of session gone"):
        SessionLock(tmp_path / "gone").acquire()


def test_is_live_does_not_create_a_lock_file(tmp_path: Path) -> None:
    sdir = create_session(tmp_path)
    assert not is_live(sdir)
    assert not sdir.lock_path.exists()


def start_holder(sdir: SessionDir, with_child: bool = False) -> tuple[subprocess.Popen[str], int]:
    args = [sys.executable, "-c", HOLD, str(sdir.path)] + (["child"] if with_child else [])
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    child = int(proc.stdout.readline()) if with_child else 0
    assert proc.stdout.readline() == "locked\n"
    return proc, child


def test_sigkill_releases_the_lock_and_the_session_lists_as_interrupted(tmp_path: Path) -> None:
    sdir = create_session(tmp_path)
    proc, _ = start_holder(sdir)
    try:
        assert is_live(sdir)
        (summary,) = list_sessions(tmp_path)
        assert summary.status == "running" and summary.live and summary.title == "Held"
        assert f"pid {proc.pid}" in try_lock_in_another_process(sdir.path)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert not is_live(sdir)
    (summary,) = list_sessions(tmp_path)
    assert summary.status == "interrupted" and not summary.live
    assert summary.operator == "carol" and summary.ended_at is None
    with SessionLock(sdir.path) as lock:
        assert lock.held


def test_lock_is_not_inherited_by_child_processes(tmp_path: Path) -> None:
    sdir = create_session(tmp_path)
    proc, child = start_holder(sdir, with_child=True)
    try:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        os.kill(child, 0)  # the child is still alive...
        assert not is_live(sdir)  # ...yet the lock died with its holder
    finally:
        os.kill(child, signal.SIGKILL)


def test_acquire_waits_out_a_momentary_is_live_probe(tmp_path: Path) -> None:
    sdir = create_session(tmp_path)
    sdir.lock_path.touch()
    fd = os.open(sdir.lock_path, os.O_RDONLY)
    fcntl.flock(fd, fcntl.LOCK_SH)  # what is_live does for an instant
    release = threading.Timer(0.05, os.close, args=(fd,))  # the probe ends: the scenario
    try:
        release.start()
        with SessionLock(sdir) as lock:
            assert lock.held
    finally:
        release.join()


# -- listing ------------------------------------------------------------------------------


def test_list_sessions_statuses_fields_and_order(tmp_path: Path) -> None:
    t = [datetime(2026, 11, 26, 10, m, 0, tzinfo=UTC) for m in range(6)]
    completed = make_session(tmp_path, end="completed", title="One", when=t[0])
    failed = make_session(tmp_path, end="failed", title="Two", when=t[1])
    aborted = make_session(tmp_path, end="aborted", title="Three", when=t[2])
    crashed = make_session(tmp_path, end=None, title="Four", when=t[3])
    resumed = make_session(tmp_path, end="failed", title="Five", when=t[4])
    j = Journal.open_append(resumed.journal_path)
    j.append("session_resumed", pid=os.getpid(), operator="bob", host="web2")
    j.close()
    live = make_session(tmp_path, end=None, title="Six", when=t[5])
    with SessionLock(live):
        summaries = list_sessions(tmp_path)
    by_id = {s.id: s for s in summaries}
    assert [s.id for s in summaries] == [
        live.id,
        resumed.id,
        crashed.id,
        aborted.id,
        failed.id,
        completed.id,
    ]
    assert by_id[completed.id].status == "completed"
    assert by_id[failed.id].status == "failed"
    assert by_id[failed.id].end_reason == "failed on purpose"
    assert by_id[aborted.id].status == "aborted"
    assert by_id[crashed.id].status == "interrupted"
    assert by_id[resumed.id].status == "interrupted"  # resumed, then died again
    assert by_id[live.id].status == "running" and by_id[live.id].live
    s = by_id[completed.id]
    assert (s.title, s.runbook_path, s.operator, s.drill) == ("One", "/rb/one.md", "alice", False)
    assert s.started_at == "2026-11-26T10:00:00.000Z" and s.ended_at is not None
    assert s.problems == ()
    assert s.to_dict()["status"] == "completed"


def test_list_sessions_survives_damaged_journals(tmp_path: Path) -> None:
    good = make_session(tmp_path, end="completed")
    with open(good.journal_path, "ab") as f:
        f.write(b'{"seq": 9, "ts": "2026')  # torn tail after the end
    empty = create_session(tmp_path)
    empty.journal_path.write_bytes(b"")
    create_session(tmp_path)  # a directory without a journal is not a session
    by_id = {s.id: s for s in list_sessions(tmp_path)}
    assert set(by_id) == {good.id, empty.id}
    assert by_id[good.id].status == "completed"
    assert by_id[empty.id].status == "interrupted" and by_id[empty.id].problems


def test_listing_hundreds_of_sessions_with_big_output(tmp_path: Path) -> None:
    # How fast (target < 1.5 s): bench/bench_session.py.
    big = "x" * 1024 * 1024
    for i in range(300):
        sdir = create_session(tmp_path)
        j = Journal.create(sdir.journal_path, first_fields(sdir.id, f"S{i}"))
        j.append("step_started", step_id="a", attempt=1)
        if i % 30 == 0:
            j.append_output("a", 1, big * 4)
        else:
            j.append_output("a", 1, "small output\n" * 50)
        j.append("step_finished", step_id="a", attempt=1, exit_code=0, verdict="succeeded")
        if i % 2:
            j.append("session_ended", status="completed", reason="")
        j.close()
    summaries = list_sessions(tmp_path)
    assert len(summaries) == 300
    assert sum(s.status == "completed" for s in summaries) == 150
    assert sum(s.status == "interrupted" for s in summaries) == 150
