"""The demo's sandbox, for real: the shop is a process that answers HTTP on 127.0.0.1,
its database is SQLite, its backups are made by SQLite's online backup API, and the
tools the runbooks call are the files in the sandbox's bin/."""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from runbook_tui.demo import sandbox
from runbook_tui.demo.sandbox import Sandbox
from runbook_tui.demo.servicectl import Paths, get_health, running_pid

DEADLINE = 30.0  # a failure guard only: every wait below ends on a condition


def wait_until(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + DEADLINE
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


@pytest.fixture
def box(tmp_path: Path) -> Iterator[Sandbox]:
    made = sandbox.create(tmp_path / "demo" / "sandbox")
    try:
        yield made
    finally:
        sandbox.stop_service(made.root, say=lambda _: None)


def ctl(box: Sandbox, *args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    """bin/servicectl as a runbook step runs it: a child process, in the sandbox."""
    done = subprocess.run(
        [str(box.paths.bin / "servicectl"), *args],
        cwd=box.root,
        env={**os.environ, **box.environment(), **(env or {})},
        capture_output=True,
        text=True,
        timeout=60,
    )
    return done.returncode, done.stdout + done.stderr


def log_lines(box: Sandbox) -> list[str]:
    return box.paths.log.read_text().splitlines()


def test_a_new_sandbox_holds_two_releases_a_database_a_backup_and_a_port(box: Sandbox) -> None:
    paths = box.paths
    assert oct(box.root.stat().st_mode & 0o777) == "0o700"
    assert os.readlink(paths.current) == "releases/v1"
    for release, schema in (("v1", 1), ("v2", 2)):
        info = json.loads((paths.releases / release / "release.json").read_text())
        assert info == {"release": release, "schema": schema}
        assert (paths.releases / release / "shop.py").is_file()
    with sqlite3.connect(paths.db) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == 1
        assert db.execute("SELECT count(*) FROM orders").fetchone()[0] == 120
    [backup] = paths.backups.glob("shop-*.db")
    assert backup.with_suffix(".counts").read_text() == "customers 8\norders 120\n"
    with sqlite3.connect(backup) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    config = json.loads(paths.config.read_text())
    assert config["port"] == box.port and config["format"] == sandbox.FORMAT
    # The tools run with this Python, whatever python3 on PATH is.
    for tool in ("servicectl", "sql"):
        first = (paths.bin / tool).read_text().splitlines()[0]
        assert first == f"#!{sys.executable}" and os.access(paths.bin / tool, os.X_OK)
    assert box.environment()["DEMO_PORT"] == str(box.port)
    assert box.environment()["DEMO_SANDBOX"] == str(box.root)


def test_the_shop_starts_answers_crashes_restarts_and_stops(box: Sandbox) -> None:
    code, out = ctl(box, "start")
    assert code == 0, out
    assert "started the shop: release v1" in out and f"127.0.0.1:{box.port}" in out
    status, body = get_health(box.port)
    assert status == 200
    answer = json.loads(body)
    assert answer["release"] == "v1" and answer["orders"] == 120 and answer["schema"] == 1
    pid = running_pid(box.paths)
    assert pid is not None and answer["pid"] == pid
    # Started twice is still one shop.
    assert ctl(box, "start") == (0, f"the shop is already running (pid {pid}, release v1)\n")

    code, out = ctl(box, "break")
    assert code == 0, out
    assert running_pid(box.paths) is None
    assert any("FATAL worker crashed" in line for line in log_lines(box))
    assert get_health(box.port)[0] is None
    code, out = ctl(box, "health")
    assert code == 1 and "no answer from" in out
    assert ctl(box, "status")[0] == 3

    code, out = ctl(box, "restart")
    assert code == 0, out
    assert "the shop is not running" in out and "started the shop" in out
    assert ctl(box, "status")[0] == 0
    pid = running_pid(box.paths)
    assert ctl(box, "stop") == (0, f"stopped the shop (pid {pid})\n")
    assert running_pid(box.paths) is None and not box.paths.pidfile.exists()
    assert "INFO stopping: SIGTERM" in log_lines(box)[-2]


def test_release_v2_refuses_the_old_schema_until_it_is_migrated(box: Sandbox) -> None:
    os.remove(box.paths.current)
    os.symlink("releases/v2", box.paths.current)
    code, out = ctl(box, "start")
    assert code == 1
    assert "release v2 needs database schema 2, found 1" in out
    code, out = ctl(box, "migrate", "v2")
    assert code == 0 and "schema 1 -> 2" in out
    assert ctl(box, "migrate", "v2") == (0, "the database is already at schema 2; nothing to do\n")
    code, out = ctl(box, "start")
    assert code == 0, out
    assert json.loads(get_health(box.port)[1])["release"] == "v2"
    # The migration only added a column: v1 runs on schema 2 (a rollback needs no restore).
    os.remove(box.paths.current)
    os.symlink("releases/v1", box.paths.current)
    code, out = ctl(box, "restart")
    assert code == 0, out
    assert json.loads(get_health(box.port)[1]) | {"pid": 0, "uptime_seconds": 0} == {
        "status": "ok", "release": "v1", "schema": 2, "orders": 120, "pid": 0, "uptime_seconds": 0
    }  # fmt: skip
    assert ctl(box, "migrate", "v9") == (
        2,
        "no release v9 in service/releases (there are: v1, v2)\n",
    )


def test_a_backup_taken_while_the_shop_writes_is_whole(box: Sandbox) -> None:
    assert ctl(box, "start")[0] == 0
    with sqlite3.connect(box.paths.db) as db:
        db.execute(
            "INSERT INTO orders (customer_id, total_cents, created_at) VALUES (1, 500, 'now')"
        )
        db.commit()
        code, out = ctl(box, "backup")
    assert code == 0, out
    assert "backed up 8 customers, 121 orders to backups/shop-" in out
    newest = max(box.paths.backups.glob("shop-*.db"), key=lambda p: p.stat().st_mtime_ns)
    assert newest.with_suffix(".counts").read_text() == "customers 8\norders 121\n"
    assert not list(box.paths.backups.glob("*.partial"))
    code, rows = _sql(box, str(newest), "PRAGMA integrity_check", "SELECT count(*) FROM orders")
    assert (code, rows) == (0, "ok\n121\n")


def _sql(box: Sandbox, *args: str) -> tuple[int, str]:
    done = subprocess.run(
        [str(box.paths.bin / "sql"), *args], cwd=box.root, capture_output=True, text=True
    )
    return done.returncode, done.stdout + done.stderr


def test_sql_never_makes_a_database_that_was_not_there(box: Sandbox) -> None:
    assert _sql(box, "scratch/none.db", "SELECT 1") == (1, "sql: no database at scratch/none.db\n")
    assert not (box.root / "scratch" / "none.db").exists()
    code, out = _sql(box, "service/data/shop.db", "SELECT nope FROM orders")
    assert code == 1 and "no such column: nope" in out


def test_the_shop_stops_by_itself_when_the_demo_that_owns_it_is_gone(box: Sandbox) -> None:
    """A demo killed with kill -9 (or hung up) runs no clean-up: the shop watches the
    demo's pid and stops."""
    owner = subprocess.Popen(
        [sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE
    )
    try:
        code, out = ctl(box, "start", env={"DEMO_OWNER_PID": str(owner.pid)})
        assert code == 0, out
        assert running_pid(box.paths) is not None
    finally:
        owner.communicate(b"")  # ends it, and reaps it: its pid is gone
    wait_until(lambda: running_pid(box.paths) is None, "the shop to stop")
    assert (
        f"stopping: the demo that started it (pid {owner.pid}) has exited"
        in box.paths.log.read_text()
    )


def test_reusing_a_sandbox_keeps_its_port_and_data_or_moves_off_a_taken_port(
    tmp_path: Path,
) -> None:
    root = tmp_path / "sandbox"
    first = sandbox.create(root)
    (first.paths.backups / "mine").write_text("kept")
    again = sandbox.ensure(root)
    assert again.port == first.port and (again.paths.backups / "mine").exists()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", first.port))
        taken.listen()
        moved = sandbox.ensure(root)
    assert moved.port != first.port
    assert json.loads(moved.paths.config.read_text())["port"] == moved.port
    # Another format (an older runbook-tui's sandbox) is made anew.
    config = json.loads(moved.paths.config.read_text())
    moved.paths.config.write_text(json.dumps({**config, "format": 0}))
    fresh = sandbox.ensure(root)
    assert not (fresh.paths.backups / "mine").exists()


def test_the_port_the_last_shop_answered_on_is_kept_when_the_demo_opens_again(
    box: Sandbox,
) -> None:
    """The shop closes the connections it answered, which leaves them in TIME_WAIT for
    a minute: the port is still free for a shop (it binds with SO_REUSEADDR), so a demo
    opened again keeps it, and a paused session resumed there (its PORT was recorded)
    still finds the shop."""
    assert ctl(box, "start")[0] == 0
    assert get_health(box.port)[0] == 200
    assert ctl(box, "stop")[0] == 0
    again = sandbox.ensure(box.root)
    assert again.port == box.port
    assert ctl(again, "start")[0] == 0  # and a shop does start on it
    assert get_health(again.port)[0] == 200


def test_one_demo_at_a_time_holds_a_sandbox(tmp_path: Path) -> None:
    root = tmp_path / "sandbox"
    with (
        sandbox.locked(root),
        pytest.raises(sandbox.SandboxBusy, match=f"open in another demo \\(pid {os.getpid()}\\)"),
        sandbox.locked(root),
    ):
        pass
    with sandbox.locked(root):  # released
        pass


def test_removing_a_sandbox_stops_its_shop(tmp_path: Path) -> None:
    made = sandbox.create(tmp_path / "sandbox")
    assert ctl(made, "start")[0] == 0
    pid = running_pid(made.paths)
    sandbox.remove(made.root)
    assert not made.root.exists()
    assert running_pid(Paths(made.root)) is None
    assert (
        not Path(f"/proc/{pid}/cmdline").exists()
        or b"shop.py" not in Path(f"/proc/{pid}/cmdline").read_bytes()
    )
