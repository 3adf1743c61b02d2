"""`runbook-tui status` end to end, as a script calls it: a real process, real servers
and files, its exit codes and its JSON."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from runbook_tui.session.journal import Journal
from runbook_tui.session.store import create_session

from .conftest import Server

SERVICE_KEYS = ["name", "state", "detail", "latency_ms", "checked_at"]
BACKUP_KEYS = [
    "name",
    "state",
    "newest_at",
    "age_seconds",
    "count",
    "total_bytes",
    "last_restore_drill",
    "detail",
]


def status(
    tmp_path: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "runbook_tui", "status", *args, "--home", str(tmp_path / "home")],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
        cwd=tmp_path,
    )


def book(tmp_path: Path, front: str, name: str = "book.md") -> str:
    path = tmp_path / name
    path.write_text(f"---\ntitle: Orders\n{front}---\n# Orders\n\n```sh\necho hi\n```\n")
    return str(path)


def fresh_backup(tmp_path: Path, age: float = 60) -> None:
    (tmp_path / "backups").mkdir(exist_ok=True)
    dump = tmp_path / "backups" / "orders.dump"
    dump.write_bytes(b"x" * 2048)
    when = time.time() - age
    os.utime(dump, (when, when))


def test_nothing_declared_is_exit_0_with_empty_lists(tmp_path: Path) -> None:
    path = book(tmp_path, "")
    done = status(tmp_path, path, "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"services": [], "backups": [], "logs": []}
    plain = status(tmp_path, path)
    assert plain.returncode == 0
    assert plain.stdout == "Orders\n  no services, backups or logs declared\n"


def test_every_service_up_and_every_backup_fresh_is_exit_0(
    tmp_path: Path, http_server: Server
) -> None:
    fresh_backup(tmp_path)
    path = book(
        tmp_path,
        "services:\n"
        f"  - {{name: web, http: '{http_server.url}/ok'}}\n"
        f"  - {{name: port, tcp: '127.0.0.1:{http_server.port}'}}\n"
        "  - {name: cmd, command: 'echo fine'}\n"
        "backups:\n  - {name: orders, path: 'backups/*.dump', max_age: 1d}\n",
    )
    done = status(tmp_path, path, "--json")
    assert done.returncode == 0, done.stdout + done.stderr
    doc = json.loads(done.stdout)
    assert list(doc) == ["services", "backups", "logs"]
    assert [list(s) for s in doc["services"]] == [SERVICE_KEYS] * 3
    assert [s["state"] for s in doc["services"]] == ["up", "up", "up"]
    web = doc["services"][0]
    assert web["detail"] == "HTTP 200 OK" and isinstance(web["latency_ms"], float)
    assert web["checked_at"].endswith("Z")
    (orders,) = doc["backups"]
    assert list(orders) == BACKUP_KEYS
    assert orders["state"] == "ok" and orders["count"] == 1 and orders["total_bytes"] == 2048
    assert orders["age_seconds"] >= 60 and orders["newest_at"].endswith("Z")
    assert orders["last_restore_drill"] is None
    plain = status(tmp_path, path)
    assert plain.returncode == 0
    lines = plain.stdout.splitlines()
    assert lines[:2] == ["Orders", "services"]
    assert lines[2].split()[:4] == ["up", "web", "HTTP", "200"]
    assert "last restore drill: never tested" in plain.stdout


def test_a_service_down_or_a_backup_not_fresh_is_exit_1(
    tmp_path: Path, http_server: Server, closed_port: int
) -> None:
    fresh_backup(tmp_path, age=3 * 86400)
    down = book(tmp_path, f"services:\n  - {{name: db, tcp: '127.0.0.1:{closed_port}'}}\n", "a.md")
    done = status(tmp_path, down, "--json")
    assert done.returncode == 1
    assert json.loads(done.stdout)["services"][0]["detail"] == "connection refused"
    stale = book(tmp_path, "backups:\n  - {name: o, path: 'backups/*', max_age: 1d}\n", "b.md")
    done = status(tmp_path, stale, "--json")
    assert done.returncode == 1
    assert json.loads(done.stdout)["backups"][0]["state"] == "stale"
    missing = book(tmp_path, "backups:\n  - {name: o, path: 'nothing/*'}\n", "c.md")
    assert status(tmp_path, missing).returncode == 1
    # `unknown` is not up (no systemd here, for real), `error` is not fresh.
    unknown = book(tmp_path, "services:\n  - {name: u, systemd: 'app.service'}\n", "d.md")
    done = status(tmp_path, unknown, "--json")
    assert done.returncode == 1
    assert json.loads(done.stdout)["services"][0]["state"] == "unknown"
    failed = book(
        tmp_path,
        "backups:\n  - {name: r, restic: /nowhere, password_env: NO_SUCH_PASSWORD_VAR}\n",
        "e.md",
    )
    done = status(tmp_path, failed, "--json")
    assert done.returncode == 1
    assert json.loads(done.stdout)["backups"][0]["state"] == "error"
    plain = status(tmp_path, down)
    assert plain.stdout.splitlines()[2].split()[:2] == ["down", "db"]


def test_usage_errors_are_exit_2(tmp_path: Path) -> None:
    assert status(tmp_path, str(tmp_path / "nope.md")).returncode == 2
    assert status(tmp_path, str(tmp_path)).returncode == 2
    broken = book(tmp_path, "services:\n  - {name: x}\n")
    done = status(tmp_path, broken)
    assert done.returncode == 2 and "error" in done.stderr
    fine = book(tmp_path, "", "fine.md")
    assert status(tmp_path, fine, "--lines", "-1").returncode == 2
    assert status(tmp_path, fine, "--wait", "soon").returncode == 2


def test_details_are_masked_and_control_characters_escaped(tmp_path: Path) -> None:
    path = book(
        tmp_path,
        "variables:\n  TOKEN: {secret: true, from_env: ORDERS_TOKEN}\n"
        "services:\n"
        '  - {name: leak, command: \'printf "key %s \\033[2J ghp_%s\\n" "$TOKEN" '
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa; exit 4'}\n",
    )
    env = {"ORDERS_TOKEN": "s3cret-token-value"}
    plain = status(tmp_path, path, env=env)
    assert plain.returncode == 1, plain.stderr
    assert "s3cret-token-value" not in plain.stdout and "ghp_aaaa" not in plain.stdout
    assert "\x1b" not in plain.stdout
    assert "exit 4: key ******** \\x1b[2J ********" in plain.stdout
    doc = json.loads(status(tmp_path, path, "--json", env=env).stdout)
    assert doc["services"][0]["detail"] == "exit 4: key ******** \x1b[2J ********"


def test_unknown_names_in_values_are_said(tmp_path: Path) -> None:
    path = book(
        tmp_path,
        "variables:\n  HOST: {default: 127.0.0.1}\n"
        "services:\n  - {name: web, tcp: '${HOST}:${NO_SUCH_PORT}'}\n",
    )
    done = status(tmp_path, path, "--json")
    detail = json.loads(done.stdout)["services"][0]["detail"]
    assert detail.startswith("${NO_SUCH_PORT} is not set")
    assert "127.0.0.1:${NO_SUCH_PORT}" in detail


def drill_session(home: Path, restores: list[str], ended: dict[str, Any]) -> str:
    sdir = create_session(home)
    journal = Journal.create(
        sdir.journal_path,
        {
            "session_id": sdir.id,
            "runbook": {"path": "/rb/r.md", "title": "R", "kind": "restore", "restores": restores},
            "drill": True,
            "started_at": "2026-11-30T09:00:00.000Z",
        },
    )
    journal.append("session_ended", **ended)
    journal.close()
    return sdir.id


def test_the_last_restore_drill_of_each_set(tmp_path: Path) -> None:
    fresh_backup(tmp_path)
    sid = drill_session(
        tmp_path / "home",
        ["orders"],
        {"status": "completed", "reason": "", "drill": {"passed": True}},
    )
    path = book(
        tmp_path,
        "backups:\n  - {name: orders, path: 'backups/*'}\n  - {name: other, path: 'backups/*'}\n",
    )
    done = status(tmp_path, path, "--json")
    assert done.returncode == 0, done.stderr
    orders, other = json.loads(done.stdout)["backups"]
    assert orders["last_restore_drill"] == {
        "at": "2026-11-30T09:00:00.000Z",
        "passed": True,
        "session": sid,
    }
    assert other["last_restore_drill"] is None
    plain = status(tmp_path, path).stdout
    assert f"last restore drill: 2026-11-30T09:00:00.000Z passed ({sid})" in plain
    assert "last restore drill: never tested" in plain


def test_logs_show_their_last_lines(tmp_path: Path) -> None:
    (tmp_path / "app.log").write_text("".join(f"line {i}\n" for i in range(100)))
    path = book(
        tmp_path,
        "logs:\n  - {name: app, path: app.log}\n"
        "  - {name: once, command: 'echo first; echo second'}\n"
        "  - {name: gone, path: nothing.log}\n",
    )
    done = status(tmp_path, path, "--json", "--lines", "3")
    assert done.returncode == 0, done.stderr  # logs do not decide the exit status
    assert json.loads(done.stdout)["logs"] == [
        {"name": "app", "lines": ["line 97", "line 98", "line 99"]},
        {"name": "once", "lines": ["first", "second"]},
        {"name": "gone", "lines": []},
    ]
    plain = status(tmp_path, path, "--lines", "2").stdout
    assert "log app: last 2 line(s)\n  line 98\n  line 99\n" in plain
    # The default: the last 50.
    default = json.loads(status(tmp_path, path, "--json").stdout)["logs"][0]
    assert default == {"name": "app", "lines": [f"line {i}" for i in range(50, 100)]}
    assert "log gone: last 0 line(s) (no such file: " in plain
    assert status(tmp_path, path, "--json", "--lines", "0").stdout.count('"lines": []') == 3


def test_a_command_log_runs_for_wait_then_is_stopped_masked_and_escaped(tmp_path: Path) -> None:
    pid_file = tmp_path / "pid"
    path = book(
        tmp_path,
        "variables:\n  TOKEN: {secret: true, from_env: ORDERS_TOKEN}\n"
        "logs:\n  - {name: follow, command: 'echo $$ > pid; "
        'printf "token=%s \\033[2J\\n" "$TOKEN"; exec sleep 600\'}\n',
    )
    done = status(tmp_path, path, "--wait", "300ms", env={"ORDERS_TOKEN": "s3cret-token-value"})
    assert done.returncode == 0, done.stderr
    assert "log follow: last 1 line(s)\n  token=******** \\x1b[2J\n" in done.stdout
    assert "s3cret-token-value" not in done.stdout
    pid = int(pid_file.read_text())

    import psutil

    try:
        alive = psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        alive = False
    assert not alive  # stopped with its group when status ended


def test_a_command_log_runs_for_2_s_unless_wait_says_otherwise() -> None:
    """The issue's `--wait S` and its default of 2 s, as the parser reads them."""
    from runbook_tui.cli import build_parser

    parser = build_parser()
    assert parser.parse_args(["status", "f.md"]).wait == 2.0
    assert parser.parse_args(["status", "f.md", "--wait", "500ms"]).wait == 0.5
    assert parser.parse_args(["status", "f.md", "--wait", "5"]).wait == 5.0


def test_a_state_folder_in_the_way_is_exit_2_once_there_is_something_to_look_at(
    tmp_path: Path,
) -> None:
    (tmp_path / "home").write_text("a file, not a folder")
    declared = book(tmp_path, "services:\n  - {name: db, tcp: '127.0.0.1:1'}\n", "a.md")
    done = status(tmp_path, declared)
    assert done.returncode == 2
    assert "is a file, not a folder" in done.stderr
    # Nothing declared: nothing is read from the state folder, and nothing fails.
    assert status(tmp_path, book(tmp_path, "", "b.md")).returncode == 0


def test_workdir_moves_the_relative_paths_and_the_command_checks(tmp_path: Path) -> None:
    """`--workdir DIR`: the sources see what the steps started in DIR would see."""
    work = tmp_path / "work"
    (work / "backups").mkdir(parents=True)
    (work / "backups" / "orders.dump").write_bytes(b"x" * 10)
    (work / "app.log").write_text("from the workdir\n")
    (work / "flag").write_text("")
    path = book(
        tmp_path,
        'services:\n  - {name: here, command: "test -f flag"}\n'
        'backups:\n  - {name: orders, path: "backups/*.dump", max_age: 1d}\n'
        "logs:\n  - {name: app, path: app.log}\n",
    )
    beside = json.loads(status(tmp_path, path, "--json").stdout)
    assert beside["backups"][0]["state"] == "missing"
    assert beside["services"][0]["state"] == "down"
    moved = status(tmp_path, path, "--json", "--workdir", str(work))
    found = json.loads(moved.stdout)
    assert moved.returncode == 0, moved.stderr
    assert found["backups"][0]["state"] == "ok"
    assert found["services"][0]["state"] == "up"
    assert found["logs"] == [{"name": "app", "lines": ["from the workdir"]}]
    missing = status(tmp_path, path, "--workdir", str(tmp_path / "nowhere"))
    assert missing.returncode == 2
    assert "--workdir" in missing.stderr and "is not a folder" in missing.stderr


def test_json_lines_and_details_reach_the_terminal_with_no_control_or_bidi_character(
    tmp_path: Path,
) -> None:
    """JSON escapes C0 itself; DEL, C1 (U+009B, a one-character CSI) and the bidi
    overrides it leaves raw, so `status --json` writes them as \\u escapes: the same
    strings once decoded, nothing a terminal acts on when printed."""
    shady = "a \x1b[2J \x7f \u009b \u202e b"
    (tmp_path / "app.log").write_text(f"{shady}\n", encoding="utf-8")
    (tmp_path / "say.sh").write_text(f"printf '%s\\n' '{shady}'; exit 3\n", encoding="utf-8")
    path = book(
        tmp_path,
        "services:\n  - {name: say, command: 'bash say.sh'}\n"
        "logs:\n  - {name: app, path: app.log}\n",
    )
    done = status(tmp_path, path, "--json")
    assert done.returncode == 1, done.stderr
    for char in "\x1b\x7f\u009b\u202e":
        assert char not in done.stdout, repr(char)
    doc = json.loads(done.stdout)
    assert doc["logs"] == [{"name": "app", "lines": [shady]}]
    assert doc["services"][0]["detail"] == f"exit 3: {shady}"
