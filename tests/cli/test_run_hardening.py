"""Regressions found by review: each test is a reproduction of a defect a tired operator
would have hit, run against the real command."""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

import psutil
from test_run import cli, gone, sessions_json, start, wait_for_file


def journal(tmp_path: Path, session_id: str) -> list[dict]:
    path = tmp_path / "home" / "sessions" / session_id / "journal.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_resume_refuses_while_the_killed_runs_step_is_still_running(tmp_path: Path) -> None:
    (tmp_path / "k9.md").write_text("# K9\n\n```sh {name=slow}\necho $$ > pid; sleep 30\n```\n")
    proc = start(["run", "k9.md", "--yes"], tmp_path)
    wait_for_file(tmp_path / "pid")
    proc.kill()
    proc.wait()
    orphan = int((tmp_path / "pid").read_text())
    assert psutil.pid_exists(orphan)  # kill -9 cannot take the step's group with it
    session = sessions_json(tmp_path)[0]["id"]
    res = cli("resume", session, "--yes", cwd=tmp_path, home=tmp_path / "home")
    assert res.returncode == 2
    assert "still has processes running" in res.stderr and f"pid {orphan}" in res.stderr
    os.killpg(orphan, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while not gone(orphan):
        assert time.monotonic() < deadline, f"pid {orphan} outlived SIGKILL"
        time.sleep(0.05)
    # The step would sleep 30 s again; it is enough that resume now gets past the check.
    proc = start(["resume", session, "--yes"], tmp_path)
    deadline = time.monotonic() + 20
    while not any(e["type"] == "session_resumed" for e in journal(tmp_path, session)):
        assert time.monotonic() < deadline
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=20) == 130


def test_resume_continues_the_rollback_walk_it_was_doing(tmp_path: Path) -> None:
    (tmp_path / "rb.md").write_text(
        "# RB\n\n```sh {name=deploy}\necho deploy >> log\n```\n\n## Rollback\n\n"
        "```sh {name=undo1}\necho undo1 >> log; exit 1\n```\n\n"
        "```sh {name=undo2}\necho undo2 >> log\n```\n"
    )
    res = cli("run", "rb.md", "--yes", "--rollback", cwd=tmp_path, home=tmp_path / "home")
    assert res.returncode == 1
    assert "(rollback walk)" in res.stdout
    session = sessions_json(tmp_path)[0]["id"]
    (tmp_path / "rb.md").write_text((tmp_path / "rb.md").read_text().replace("; exit 1", ""))
    res = cli("resume", session, "--yes", "--allow-changed", cwd=tmp_path, home=tmp_path / "home")
    assert res.returncode == 0, res.stdout + res.stderr
    # The forward deploy never ran: resume kept to the rollback walk.
    assert (tmp_path / "log").read_text().split() == ["undo1", "undo1", "undo2"]


def test_rollback_after_a_new_main_attempt_runs_again(tmp_path: Path) -> None:
    (tmp_path / "rr.md").write_text(
        "# RR\n\n```sh {name=deploy}\necho deploy >> log; exit 1\n```\n\n## Rollback\n\n"
        "```sh {name=undo}\necho undo >> log\n```\n"
    )
    home = tmp_path / "home"
    assert cli("run", "rr.md", "--yes", cwd=tmp_path, home=home).returncode == 1
    session = sessions_json(tmp_path)[0]["id"]
    assert cli("resume", session, "--yes", "--rollback", cwd=tmp_path, home=home).returncode == 0
    assert cli("resume", session, "--yes", cwd=tmp_path, home=home).returncode == 2  # completed
    # A new session deploys and fails again; its rollback runs, whatever happened before.
    assert cli("run", "rr.md", "--yes", cwd=tmp_path, home=home).returncode == 1
    again = sessions_json(tmp_path)[0]["id"]
    assert cli("resume", again, "--yes", "--rollback", cwd=tmp_path, home=home).returncode == 0
    assert (tmp_path / "log").read_text().split() == ["deploy", "undo", "deploy", "undo"]


def test_values_given_on_resume_are_recorded(tmp_path: Path) -> None:
    (tmp_path / "v.md").write_text(
        "---\nvariables:\n  TARGET:\n    default: staging\n---\n# V\n\n"
        '```sh {name=go}\necho "to $TARGET"; test "$TARGET" = production\n```\n'
    )
    home = tmp_path / "home"
    assert cli("run", "v.md", "--yes", cwd=tmp_path, home=home).returncode == 1
    session = sessions_json(tmp_path)[0]["id"]
    res = cli("resume", session, "--yes", "--var", "TARGET=production", cwd=tmp_path, home=home)
    assert res.returncode == 0, res.stderr
    shown = json.loads(cli("sessions", "show", session, "--json", cwd=tmp_path, home=home).stdout)
    assert shown["variables"]["TARGET"] == "production"
    resumed = [e for e in journal(tmp_path, session) if e["type"] == "session_resumed"]
    assert resumed[0]["variables"] == {"TARGET": "production"}


def test_a_run_under_nohup_ignores_sighup(tmp_path: Path) -> None:
    (tmp_path / "h.md").write_text("# H\n\n```sh\necho $$ > pid; sleep 1\n```\n")
    proc = start(
        ["run", "h.md", "--yes"], tmp_path,
        preexec_fn=lambda: signal.signal(signal.SIGHUP, signal.SIG_IGN),
    )  # fmt: skip
    wait_for_file(tmp_path / "pid")
    proc.send_signal(signal.SIGHUP)
    assert proc.wait(timeout=20) == 0
    assert sessions_json(tmp_path)[0]["status"] == "completed"


def test_a_closed_stdout_does_not_stop_the_walk_or_the_record(tmp_path: Path) -> None:
    (tmp_path / "c.md").write_text(
        "# C\n\n```sh\necho one >> marks\n```\n\n```sh\necho two >> marks\n```\n"
    )
    proc = start(["run", "c.md", "--yes"], tmp_path, preexec_fn=lambda: os.close(1))
    assert proc.wait(timeout=30) == 0
    assert (tmp_path / "marks").read_text() == "one\ntwo\n"
    assert sessions_json(tmp_path)[0]["status"] == "completed"


def test_vars_file_values_are_kept_as_written_and_typos_refused(tmp_path: Path) -> None:
    (tmp_path / "y.md").write_text(
        "---\nvariables:\n  RELEASE: {}\n  MODE: {}\n---\n# Y\n\n"
        '```sh\nprintf "%s %s" "$RELEASE" "$MODE" > seen\n```\n'
    )
    (tmp_path / "ok.yml").write_text("RELEASE: 1.10\nMODE: 0755\n")
    res = cli("run", "y.md", "--yes", "--vars-file", "ok.yml", cwd=tmp_path, home=tmp_path / "h")
    assert res.returncode == 0, res.stderr
    assert (tmp_path / "seen").read_text() == "1.10 0755"
    (tmp_path / "typo.yml").write_text("RELEASE: 2\nMODE: 1\nRELAESE: 3\n")
    res = cli("run", "y.md", "--yes", "--vars-file", "typo.yml", cwd=tmp_path, home=tmp_path / "h")
    assert res.returncode == 2 and "unknown variable RELAESE" in res.stderr


def test_errors_about_values_do_not_print_the_value(tmp_path: Path) -> None:
    # A step, so the run gets as far as the values (a runbook without steps exits 2 first).
    (tmp_path / "s.md").write_text(
        "---\nvariables:\n  TOKEN: {secret: true}\n---\n# S\n\n```sh\ntrue\n```\n"
    )
    res = cli("run", "s.md", "--yes", "--var", "TOKEN:s3cr3tvalue", cwd=tmp_path,
              home=tmp_path / "h")  # fmt: skip
    assert res.returncode == 2 and "s3cr3tvalue" not in res.stderr
    (tmp_path / "bad.yml").write_text("TOKEN: s3cr3tvalue: oops\n")
    res = cli("run", "s.md", "--yes", "--vars-file", "bad.yml", cwd=tmp_path, home=tmp_path / "h")
    assert res.returncode == 2 and "line 1" in res.stderr and "s3cr3tvalue" not in res.stderr


def test_the_step_header_is_masked_like_the_journal(tmp_path: Path) -> None:
    (tmp_path / "m.md").write_text(
        "# M\n\n```sh\ncurl -s -H 'Authorization: Bearer abcdefghijklmnop1234' "
        "http://127.0.0.1:9 || true\n```\n"
    )
    res = cli("run", "m.md", "--yes", cwd=tmp_path, home=tmp_path / "h")
    assert res.returncode == 0
    assert "abcdefghijklmnop1234" not in res.stdout


def test_how_a_danger_step_was_allowed_is_recorded(tmp_path: Path) -> None:
    (tmp_path / "d.md").write_text('# D\n\n```sh {"danger":"drop it"}\ntrue\n```\n')
    assert cli("run", "d.md", "--yes", cwd=tmp_path, home=tmp_path / "home").returncode == 0
    started = [
        e for e in journal(tmp_path, sessions_json(tmp_path)[0]["id"])
        if e["type"] == "step_started"
    ]  # fmt: skip
    assert started[0]["confirmed_by"] == "--yes"


def test_refusals_are_usage_errors(tmp_path: Path) -> None:
    (tmp_path / "n.md").write_text("# N\n\n```sh\ntrue\n```\n")
    home = tmp_path / "home"
    res = cli("run", "n.md", "--yes", "--rollback", cwd=tmp_path, home=home)
    assert res.returncode == 2 and "no rollback steps" in res.stderr
    assert cli("run", "n.md", "--yes", cwd=tmp_path, home=home).returncode == 0
    res = cli("resume", sessions_json(tmp_path)[0]["id"], "--yes", cwd=tmp_path, home=home)
    assert res.returncode == 2 and "already completed" in res.stderr
    (tmp_path / "afile").write_text("")
    res = cli("sessions", cwd=tmp_path, home=tmp_path / "afile" / "x")
    assert res.returncode == 2 and "Traceback" not in res.stderr
