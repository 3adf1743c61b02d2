"""CommandLog with real bash processes: lines read by a thread into a bounded ring, the
whole process group (and children that left it) stopped on close or when the reader is
dropped, exit statuses reported."""

from __future__ import annotations

import gc
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import psutil

from runbook_tui.session.redaction import MASK, Redactor
from runbook_tui.sources.logs import CommandLog, LogReading


def poll_until(log: CommandLog, done: Callable[[LogReading], bool]) -> LogReading:
    """Poll until `done` holds; the deadline only guards against a hang."""
    deadline = time.monotonic() + 20
    while True:
        reading = log.poll()
        if done(reading):
            return reading
        assert time.monotonic() < deadline, reading
        time.sleep(0.02)


def gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def family(pid: int) -> list[int]:
    return [pid, *(p.pid for p in psutil.Process(pid).children(recursive=True))]


# Prints ticks forever, with two children in its group and one that left it (setsid).
FOREVER = (
    "sleep 1000 & sleep 1000 & setsid sleep 1000 & "
    "i=0; while true; do echo tick $i; i=$((i+1)); sleep 0.02; done"
)


def test_lines_arrive_and_close_stops_the_whole_group(tmp_path: Path) -> None:
    log = CommandLog("ticks", FOREVER, cwd=str(tmp_path))
    r = poll_until(log, lambda r: r.total_lines >= 3)
    assert r.lines[:3] == ("tick 0", "tick 1", "tick 2")
    assert r.detail == f"running (pid {log.pid})" and r.error is None
    assert log.pid is not None
    pids = family(log.pid)
    assert len(pids) >= 4, pids  # bash, two sleeps, the setsid sleep (and a tick's sleep)
    log.close()
    assert [p for p in pids if not gone(p)] == []
    assert log.poll().error == "closed"


def test_the_ring_keeps_only_the_newest_lines(tmp_path: Path) -> None:
    log = CommandLog("seq", "seq 1 20000", keep=50, cwd=str(tmp_path))
    r = poll_until(log, lambda r: r.detail == "exited 0" and r.total_lines == 20000)
    assert r.lines == tuple(str(i) for i in range(19951, 20001))
    assert r.error is None
    assert log.tail(3) == ("19998", "19999", "20000")
    log.close()


def test_errors_are_counted_and_lines_masked(tmp_path: Path) -> None:
    script = "echo 'connect ok'; echo 'FATAL: password hunter2secret rejected' >&2; echo 'warn: x'"
    log = CommandLog("app", script, cwd=str(tmp_path), mask=Redactor(["hunter2secret"]).mask)
    r = poll_until(log, lambda r: r.total_lines == 3)
    assert r.lines == ("connect ok", f"FATAL: password {MASK} rejected", "warn: x")
    assert (r.error_lines, r.warning_lines) == (1, 1)
    log.close()


def test_a_failing_command_reports_its_exit_status(tmp_path: Path) -> None:
    log = CommandLog("bad", "echo 'no such unit'; exit 3", cwd=str(tmp_path))
    r = poll_until(log, lambda r: r.error is not None)
    assert r.error == "exited 3" and r.lines == ("no such unit",)
    log.close()


def test_a_command_killed_by_a_signal_says_so(tmp_path: Path) -> None:
    log = CommandLog("k", "echo up; kill -9 $$", cwd=str(tmp_path))
    r = poll_until(log, lambda r: r.error is not None)
    assert r.error == "killed by signal 9"
    log.close()


def test_a_command_that_cannot_start_is_an_error(tmp_path: Path) -> None:
    log = CommandLog("x", "true", cwd=str(tmp_path / "missing"))
    r = log.poll()
    assert r.error is not None and r.error.startswith("cannot start: ")
    assert log.pid is None
    log.close()


def test_a_dropped_reader_stops_its_command(tmp_path: Path) -> None:
    log = CommandLog("ticks", FOREVER, cwd=str(tmp_path))
    poll_until(log, lambda r: r.total_lines >= 1)
    assert log.pid is not None
    pids = family(log.pid)
    del log
    gc.collect()
    assert [p for p in pids if not gone(p)] == []


def test_a_group_that_ignores_sigterm_is_killed(tmp_path: Path) -> None:
    log = CommandLog(
        "stubborn", "trap '' TERM; echo ready; while true; do sleep 0.05; done",
        cwd=str(tmp_path), stop_grace=0.2,
    )  # fmt: skip
    poll_until(log, lambda r: r.lines == ("ready",))
    assert log.pid is not None
    pids = family(log.pid)
    log.close()
    assert [p for p in pids if not gone(p)] == []


def test_a_huge_line_without_newline_stays_bounded(tmp_path: Path) -> None:
    log = CommandLog(
        "huge", "head -c 1000000 /dev/zero | tr '\\0' x; echo; echo after",
        cwd=str(tmp_path),
    )  # fmt: skip
    r = poll_until(log, lambda r: r.total_lines == 2)
    cut, after = r.lines
    assert after == "after"
    assert cut.startswith("x" * 100) and cut.endswith(f" …[+{1_000_000 - 65536} bytes]")
    assert len(cut) < 65536 + 40
    log.close()


def test_lines_around_a_time_among_the_kept_lines(tmp_path: Path) -> None:
    from datetime import UTC, datetime

    script = "for m in 10 11 12 13 14; do echo 2026-01-02T09:$m:00Z at $m; echo '  detail'; done"
    log = CommandLog("t", script, cwd=str(tmp_path))
    poll_until(log, lambda r: r.total_lines == 10)
    jump = log.lines_around(datetime(2026, 1, 2, 9, 12, tzinfo=UTC), 4)
    assert jump.lines == (
        "2026-01-02T09:11:00Z at 11",
        "  detail",
        "2026-01-02T09:12:00Z at 12",
        "  detail",
    )
    assert jump.index == 2 and jump.at == datetime(2026, 1, 2, 9, 12, tzinfo=UTC)
    log.close()


OWNER = """
import sys, time
import psutil
from runbook_tui.sources.logs import CommandLog

log = CommandLog("ticks", sys.argv[1])
deadline = time.monotonic() + 20
while log.poll().total_lines < 2:
    assert time.monotonic() < deadline
    time.sleep(0.02)
kids = psutil.Process(log.pid).children(recursive=True)
print(" ".join(str(p) for p in [log.pid, *(k.pid for k in kids)]), flush=True)
# Exits without close(): the reader is still referenced, so only the exit stops it.
"""


def test_the_command_is_stopped_when_its_owner_exits(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", OWNER, FOREVER],
        capture_output=True, text=True, timeout=60, cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    pids = [int(p) for p in done.stdout.split()]
    assert len(pids) >= 4
    assert [p for p in pids if not gone(p)] == []
