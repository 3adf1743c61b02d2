"""Service checks against real things: HTTP and TCP servers on 127.0.0.1, real
processes, real commands. Only systemd is absent here (and in CI): its `systemctl show`
parsing is tested on recorded output, and the no-systemd path for real."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from runbook_tui.runbook.model import Service
from runbook_tui.sources.services import (
    ServiceCheck,
    check_http,
    check_process,
    check_tcp,
    parse_systemctl_show,
    split_host_port,
    systemd_outcome,
    systemd_running,
)

from .conftest import Server, wait_until


def service(check: str, target: str, **kw: object) -> ServiceCheck:
    return ServiceCheck(Service(name="svc", check=check, target=target, **kw))  # type: ignore[arg-type]


def gone(pid: int) -> bool:
    """Exited, or a zombie waiting to be reaped (nothing left to stop)."""
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


# -- http ------------------------------------------------------------------------------


def test_http_200_is_up_with_its_latency(http_server: Server) -> None:
    outcome = check_http(f"{http_server.url}/ok", None, 5)
    assert outcome.state == "up"
    assert outcome.detail == "HTTP 200 OK"
    assert outcome.latency_ms is not None and outcome.latency_ms >= 0


def test_http_redirect_is_up_and_not_followed(http_server: Server) -> None:
    outcome = check_http(f"{http_server.url}/moved", None, 5)
    assert (outcome.state, outcome.detail) == ("up", "HTTP 301 Moved Permanently")


def test_http_500_is_down_and_says_what_was_expected(http_server: Server) -> None:
    outcome = check_http(f"{http_server.url}/broken", None, 5)
    assert outcome.state == "down"
    assert outcome.detail == "HTTP 500 Internal Server Error, expected 200-399"


def test_expect_status_replaces_the_200_to_399_rule(http_server: Server) -> None:
    assert check_http(f"{http_server.url}/teapot", 418, 5).state == "up"
    moved = check_http(f"{http_server.url}/moved", 200, 5)
    assert moved.state == "down" and moved.detail.endswith("expected 200")


def test_http_server_that_never_answers_is_down_after_the_timeout(
    silent_listener: Server,
) -> None:
    outcome = check_http(f"{silent_listener.url}/ok", None, 0.3)
    assert (outcome.state, outcome.detail) == ("down", "no response within 0.3s")
    assert outcome.latency_ms is None


def test_http_refused_and_bad_urls_are_down(closed_port: int) -> None:
    assert check_http(f"http://127.0.0.1:{closed_port}/", None, 5).detail == "connection refused"
    assert check_http("ftp://example/", None, 5).state == "down"
    assert check_http("http://127.0.0.1:${PORT}/", None, 5).detail.startswith("bad port")


# -- tcp -------------------------------------------------------------------------------


def test_tcp_listener_is_up_and_a_closed_port_down(http_server: Server, closed_port: int) -> None:
    up = check_tcp(f"127.0.0.1:{http_server.port}", 5)
    assert (up.state, up.detail) == ("up", "connected") and up.latency_ms is not None
    down = check_tcp(f"127.0.0.1:{closed_port}", 5)
    assert (down.state, down.detail) == ("down", "connection refused")


def test_host_port_forms() -> None:
    assert split_host_port("db.internal:5432") == ("db.internal", 5432)
    assert split_host_port("[::1]:80") == ("::1", 80)
    assert split_host_port("db.internal") is None
    assert split_host_port("db:0") is None
    assert check_tcp("nonsense", 1).detail == "not host:port: nonsense"


# -- process ---------------------------------------------------------------------------


@pytest.fixture
def orphan_sleep() -> Iterator[tuple[str, int]]:
    """A `sleep` that is not our descendant (its shell exited, init adopted it), with a
    unique marker as its argv[0]."""
    marker = f"rbt-mark-{uuid.uuid4().hex[:12]}"
    done = subprocess.run(
        ["bash", "-c", f"(exec -a {marker} sleep 600) >/dev/null 2>&1 & echo $!"],
        capture_output=True,
        text=True,
        check=True,
    )
    pid = int(done.stdout.strip())
    try:
        yield marker, pid
    finally:
        psutil.Process(pid).kill()


def test_process_whose_command_line_contains_the_text_is_up(
    orphan_sleep: tuple[str, int],
) -> None:
    marker, pid = orphan_sleep
    outcome = check_process(marker)
    assert outcome.state == "up"
    assert outcome.detail.startswith(f"pid {pid}: {marker} 600")


def test_process_check_is_down_once_the_process_is_gone(orphan_sleep: tuple[str, int]) -> None:
    marker, pid = orphan_sleep
    psutil.Process(pid).kill()
    assert wait_until(lambda: gone(pid))
    outcome = check_process(marker)
    assert outcome.state == "down"
    assert outcome.detail == f"no process's command line contains {marker!r}"


def test_process_check_never_counts_our_own_children() -> None:
    marker = f"rbt-mark-{uuid.uuid4().hex[:12]}"
    child = subprocess.Popen([marker, "600"], executable="sleep")
    try:
        assert check_process(marker).state == "down"
    finally:
        child.kill()
        child.wait()


def test_process_check_never_counts_itself_or_its_parents() -> None:
    """The checker's own command line and its shell's both hold the text."""
    marker = f"rbt-mark-{uuid.uuid4().hex[:12]}"
    code = (
        "import sys; from runbook_tui.sources.services import check_process; "
        "print(check_process(sys.argv[1]).state)"
    )
    done = subprocess.run(
        ["bash", "-c", f'"$0" -c "{code}" {marker}; true', sys.executable],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.stdout.strip() == "down", done.stderr


def _orphan(argv: list[str], cwd: Path) -> int:
    """`argv` started by a shell that exits at once: init adopts it (not our child)."""
    done = subprocess.run(
        ["bash", "-c", '("$@") >/dev/null 2>&1 & echo $!', "bash", *argv],
        capture_output=True,
        text=True,
        check=True,
        cwd=cwd,
    )
    return int(done.stdout.strip())


def test_process_check_never_counts_another_runbook_tui(tmp_path: Path) -> None:
    """A walk of `nginx-fix.md` in another terminal names the text on its command line
    (`runbook-tui nginx-fix.md`, `python -m runbook_tui run nginx-fix.md`): it is not
    the service. A process that is not runbook-tui's with the same text still counts."""
    marker = f"rbt-fix-{uuid.uuid4().hex[:12]}"
    script = tmp_path / "bin" / "runbook-tui"
    script.parent.mkdir()
    script.write_text("import time\ntime.sleep(600)\n")
    package = tmp_path / "runbook_tui"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "__main__.py").write_text("import time\ntime.sleep(600)\n")
    pids = [
        _orphan([sys.executable, str(script), f"{marker}.md"], tmp_path),
        _orphan([sys.executable, "-B", "-m", "runbook_tui", "run", f"{marker}.md"], tmp_path),
    ]
    try:
        for pid in pids:
            assert wait_until(lambda pid=pid: marker in " ".join(psutil.Process(pid).cmdline()))
        assert check_process(marker).state == "down"
        # Both still run (the fake package, not the real tool, answered `-m runbook_tui`).
        assert all(psutil.Process(pid).status() != psutil.STATUS_ZOMBIE for pid in pids)
        other = _orphan([sys.executable, "-c", "import time; time.sleep(600)", marker], tmp_path)
        pids.append(other)
        assert wait_until(lambda: marker in " ".join(psutil.Process(other).cmdline()))
        outcome = check_process(marker)
        assert outcome.state == "up" and outcome.detail.startswith(f"pid {other}:"), outcome
    finally:
        for pid in pids:
            with contextlib.suppress(psutil.Error):
                psutil.Process(pid).kill()


# -- command ---------------------------------------------------------------------------


def test_command_exit_0_is_up_and_other_exits_down(tmp_path: Path) -> None:
    up = service("command", "echo all good").poll()
    assert (up.state, up.detail) == ("up", "exit 0: all good")
    down = service("command", "echo >&2 'db: no route'; exit 3").poll()
    assert (down.state, down.detail) == ("down", "exit 3: db: no route")


def test_command_gets_the_variables_in_its_environment_and_runs_in_its_folder(
    tmp_path: Path,
) -> None:
    check = ServiceCheck(
        Service(name="svc", check="command", target='test "${PORT}" = 8080 && pwd'),
        env={**os.environ, "PORT": "8080"},
        cwd=str(tmp_path),
    )
    reading = check.poll()
    assert (reading.state, reading.detail) == ("up", f"exit 0: {tmp_path}")


def test_command_that_hangs_is_killed_with_its_children_at_its_timeout(tmp_path: Path) -> None:
    pids = tmp_path / "pids"
    script = (
        f"echo $$ >> {pids}; sleep 600 & echo $! >> {pids}; "
        f"setsid sleep 600 & echo $! >> {pids}; wait"
    )
    check = service("command", script, timeout_seconds=0.5)
    reading = check.poll()
    assert (reading.state, reading.detail) == ("down", "timed out after 0.5s")
    started = [int(p) for p in pids.read_text().split()]
    assert len(started) == 3
    assert wait_until(lambda: all(gone(p) for p in started)), [p for p in started if not gone(p)]


def test_command_that_exits_leaves_nothing_of_its_group_behind(tmp_path: Path) -> None:
    pid_file = tmp_path / "pid"
    reading = service("command", f"sleep 600 & echo $! > {pid_file}; exit 0").poll()
    assert reading.state == "up"
    pid = int(pid_file.read_text())
    assert wait_until(lambda: gone(pid))


def test_close_kills_a_running_command_check(tmp_path: Path) -> None:
    import threading

    pid_file = tmp_path / "pid"
    check = service("command", f"echo $$ > {pid_file}; exec sleep 600", timeout_seconds=600)
    got = []
    thread = threading.Thread(target=lambda: got.append(check.poll()))
    thread.start()
    assert wait_until(lambda: pid_file.exists() and pid_file.read_text().strip() != "")
    pid = int(pid_file.read_text())
    check.close()
    thread.join(30)
    assert got and got[0].state == "unknown" and got[0].detail == "stopped"
    assert wait_until(lambda: gone(pid))
    # Closed: it starts nothing more.
    assert check.poll().detail == "stopped"


def test_command_output_is_read_to_its_tail_only() -> None:
    reading = service("command", "head -c 5000000 /dev/zero | tr '\\0' x; echo; echo last").poll()
    assert (reading.state, reading.detail) == ("up", "exit 0: last")


# -- systemd ---------------------------------------------------------------------------


def test_no_systemd_here_is_unknown() -> None:
    """For real: this machine (and CI) has no systemd running."""
    assert not systemd_running(), "this test expects a machine without systemd"
    reading = service("systemd", "ssh.service").poll()
    assert (reading.state, reading.detail) == ("unknown", "no systemd here")


# Recorded `systemctl show UNIT --property=LoadState,ActiveState,SubState,Result` output
# (systemd 252, Debian 12): systemd cannot run here, so only this text is stood in.
RECORDED = {
    "running": "LoadState=loaded\nActiveState=active\nSubState=running\nResult=success\n",
    "failed": "Result=exit-code\nLoadState=loaded\nActiveState=failed\nSubState=failed\n",
    "stopped": "LoadState=loaded\nActiveState=inactive\nSubState=dead\nResult=success\n",
    "missing": "LoadState=not-found\nActiveState=inactive\nSubState=dead\nResult=success\n",
    "starting": "LoadState=loaded\nActiveState=activating\nSubState=start\nResult=success\n",
    "reloading": "LoadState=loaded\nActiveState=reloading\nSubState=running\nResult=success\n",
}


@pytest.mark.parametrize(
    ("recorded", "state", "detail"),
    [
        ("running", "up", "active (running)"),
        ("reloading", "up", "reloading (running)"),
        ("failed", "down", "failed (failed), result exit-code"),
        ("stopped", "down", "inactive (dead)"),
        ("missing", "down", "unit not found"),
        ("starting", "down", "activating (start)"),
    ],
)
def test_systemctl_show_output_is_read(recorded: str, state: str, detail: str) -> None:
    outcome = systemd_outcome(parse_systemctl_show(RECORDED[recorded]))
    assert (outcome.state, outcome.detail) == (state, detail)


def test_systemctl_show_without_an_active_state_is_unknown() -> None:
    assert systemd_outcome(parse_systemctl_show("garbage\n")).state == "unknown"


def test_a_note_from_expansion_leads_the_detail(closed_port: int) -> None:
    check = ServiceCheck(
        Service(name="svc", check="tcp", target=f"127.0.0.1:{closed_port}"),
        note="${X} is not set",
    )
    assert check.poll().detail == "${X} is not set; connection refused"


def test_overdue_reading_is_unknown() -> None:
    reading = service("tcp", "127.0.0.1:1").overdue(7.2)
    assert (reading.state, reading.detail) == ("unknown", "check still running after 7s")
