"""Drills as a team runs them: `run --drill` and its report, drills stopped and resumed,
`drills [FILE] [--json]`, and the freshness gate `check --max-drill-age`, all against
a real session store written by real runs."""

from __future__ import annotations

import itertools
import json
import os
import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

import psutil
import pytest
from test_run import cli, gone, sessions_json, start, wait_for_file

RESTORE = """\
---
title: Restore orders
kind: restore
rto: {rto}
restores: [orders-nightly]
backups:
  - {{name: orders-nightly, path: "/nonexistent/orders-*.tgz"}}
---

# Restore orders

```sh {{"name":"prepare"}}
echo preparing
```

```sh {{"name":"restore"}}
{restore}
```

## Rollback

```sh {{"name":"undo"}}
echo undone
```
"""


def restore_book(tmp_path: Path, *, rto: str = "1h", restore: str = "echo restored") -> Path:
    path = tmp_path / "restore.md"
    path.write_text(RESTORE.format(rto=rto, restore=restore))
    return path


def journal(tmp_path: Path, session: str) -> list[dict]:
    path = tmp_path / "home" / "sessions" / session / "journal.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()]


def verdict(tmp_path: Path, session: str) -> dict:
    return [e for e in journal(tmp_path, session) if e["type"] == "session_ended"][-1]["drill"]


def ts(event: dict) -> float:
    return datetime.fromisoformat(event["ts"].replace("Z", "+00:00")).timestamp()


def drill(tmp_path: Path, book: Path) -> subprocess.CompletedProcess[str]:
    return cli("run", str(book), "--yes", "--drill", cwd=tmp_path, home=tmp_path / "home")


def test_run_drill_ends_with_the_report_and_records_a_pass(tmp_path: Path) -> None:
    res = drill(tmp_path, restore_book(tmp_path))
    assert res.returncode == 0, res.stderr
    [session] = sessions_json(tmp_path)
    assert session["drill"] is True
    recorded = verdict(tmp_path, session["id"])
    assert recorded["passed"] is True and recorded["rto_seconds"] == 3600.0
    tail = res.stdout[res.stdout.index(f"session {session['id']} completed") :]
    lines = tail.splitlines()
    assert lines[2].startswith("Drill passed in ") and "within the RTO of 1h00m" in lines[2]
    assert "Steps:" in lines and any(line.split()[:2] == ["succeeded", "restore"] for line in lines)
    assert any(line.startswith("Slowest: ") for line in lines)


def test_run_drill_slower_than_its_rto_reports_a_failure(tmp_path: Path) -> None:
    # The step's sleep is the workload: longer than the 1s RTO.
    res = drill(tmp_path, restore_book(tmp_path, rto="1s", restore="sleep 1.5"))
    assert res.returncode == 0, res.stderr  # the walk completed; the drill did not pass
    [session] = sessions_json(tmp_path)
    recorded = verdict(tmp_path, session["id"])
    assert recorded["passed"] is False and recorded["duration_seconds"] > 1.0
    assert "Drill FAILED in " in res.stdout and "over the RTO of 1.0s by " in res.stdout
    assert "longer than the RTO of 1.0s" in res.stdout


def test_run_drill_with_a_failed_step_reports_it_and_exits_1(tmp_path: Path) -> None:
    res = drill(tmp_path, restore_book(tmp_path, restore="echo no space; exit 28"))
    assert res.returncode == 1
    [session] = sessions_json(tmp_path)
    assert session["status"] == "failed"
    assert verdict(tmp_path, session["id"])["passed"] is False
    assert "Drill FAILED in " in res.stdout
    assert "  - “restore” failed" in res.stdout
    assert "  restore (attempt 1): exit 28, expected 0" in res.stdout


def _alive_in(group: int) -> bool:
    """Whether a process of the process group lives (zombies waiting to be reaped do
    not count: they run nothing)."""
    for proc in psutil.process_iter():
        try:
            if os.getpgid(proc.pid) == group and not gone(proc.pid):
                return True
        except OSError:
            continue  # gone while we looked
    return False


def _segments_total(events: list[dict]) -> tuple[float, float]:
    """(the time a process had the session open, the time between them), from the
    journal: a segment ends at the process's last event before the next resume."""
    open_time = gap = 0.0
    begin = ts(events[0])
    for before, event in itertools.pairwise(events):
        if event["type"] == "session_resumed":
            open_time += ts(before) - begin
            gap += ts(event) - ts(before)
            begin = ts(event)
    return open_time + ts(events[-1]) - begin, gap


@pytest.mark.parametrize("how", [signal.SIGTERM, signal.SIGKILL], ids=["sigterm", "kill-9"])
def test_a_stopped_and_resumed_drill_counts_only_the_time_it_ran(
    tmp_path: Path, how: signal.Signals
) -> None:
    book = restore_book(tmp_path, restore="echo $$ > started; test -e go || sleep 300")
    proc = start(["run", str(book), "--yes", "--drill"], tmp_path)
    wait_for_file(tmp_path / "started")
    proc.send_signal(how)
    proc.wait(timeout=30)
    [session] = sessions_json(tmp_path)  # a process started in the pause, at least
    assert session["status"] == ("aborted" if how == signal.SIGTERM else "interrupted")
    if how == signal.SIGTERM:
        assert verdict(tmp_path, session["id"])["passed"] is None  # unfinished
    else:
        # The step outlived the killed tool (its own process group): stop it, as the
        # operator would before resuming.
        group = int((tmp_path / "started").read_text())  # bash leads the step's group
        os.killpg(group, signal.SIGKILL)
        deadline = time.monotonic() + 20
        while _alive_in(group):
            assert time.monotonic() < deadline, "the orphaned step did not go"
            time.sleep(0.02)
    (tmp_path / "go").touch()
    time.sleep(1.0)  # the pause between the stop and the resume: the scenario
    res = cli("resume", session["id"], "--yes", cwd=tmp_path, home=tmp_path / "home")
    assert res.returncode == 0, res.stdout + res.stderr
    events = journal(tmp_path, session["id"])
    recorded = verdict(tmp_path, session["id"])
    assert recorded["passed"] is True  # the retry that then succeeded counts
    ran, paused = _segments_total(events)
    assert paused >= 1.0  # the pause, as the journal tells it
    # Only the time the processes ran (the slack: between the verdict and its line).
    assert recorded["duration_seconds"] == pytest.approx(ran, abs=0.1)
    assert recorded["duration_seconds"] < ts(events[-1]) - ts(events[0]) - paused + 0.1
    assert "Drill passed in " in res.stdout
    assert "  restore: succeeded on attempt 2" in res.stdout


def test_drills_json_lists_the_store_newest_first_with_exact_keys(tmp_path: Path) -> None:
    book = restore_book(tmp_path)
    other = tmp_path / "other.md"
    other.write_text("# Other\n\n```sh {name=x}\nexit 3\n```\n")
    assert drill(tmp_path, book).returncode == 0
    assert cli("run", str(book), "--yes", cwd=tmp_path, home=tmp_path / "home").returncode == 0
    assert drill(tmp_path, other).returncode == 1
    out = cli("drills", "--json", cwd=tmp_path, home=tmp_path / "home")
    assert out.returncode == 0, out.stderr
    rows = json.loads(out.stdout)
    assert [set(r) for r in rows] == [
        {"session", "runbook", "title", "started_at", "duration_seconds", "rto_seconds", "passed"}
    ] * 2
    newer, older = rows
    assert (newer["title"], newer["passed"], newer["rto_seconds"]) == ("Other", False, None)
    assert (older["title"], older["passed"], older["rto_seconds"]) == (
        "Restore orders",
        True,
        3600.0,
    )
    assert older["runbook"] == str(book.resolve())
    assert newer["started_at"] > older["started_at"]
    assert older["duration_seconds"] == verdict(tmp_path, older["session"])["duration_seconds"]
    # FILE by resolved path: a relative, roundabout name finds the same runbook.
    (tmp_path / "sub").mkdir()
    mine = cli("drills", "sub/../restore.md", "--json", cwd=tmp_path, home=tmp_path / "home")
    assert [r["session"] for r in json.loads(mine.stdout)] == [older["session"]]
    text = cli("drills", cwd=tmp_path, home=tmp_path / "home").stdout.splitlines()
    assert text[0].split()[:2] == ["SESSION", "STARTED"]
    assert text[1].startswith(newer["session"]) and " FAILED " in text[1]
    assert text[2].startswith(older["session"]) and " passed " in text[2]
    never = cli("drills", "renamed.md", cwd=tmp_path, home=tmp_path / "home")
    assert never.returncode == 0 and never.stdout.strip() == "renamed.md was never drilled"


def _age(tmp_path: Path, session: str, days: int) -> None:
    """Make a recorded session `days` older: every timestamp of its (real) journal moved
    back, written in the journal's own form."""
    path = tmp_path / "home" / "sessions" / session / "journal.jsonl"
    lines = []
    for line in path.read_text().splitlines():
        event = json.loads(line)
        for key in ("ts", "started_at"):
            if key in event:
                when = datetime.fromisoformat(event[key].replace("Z", "+00:00"))
                moved = when - timedelta(days=days)
                event[key] = (
                    moved.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moved.microsecond // 1000:03d}Z"
                )
        lines.append(json.dumps(event, ensure_ascii=False, separators=(",", ":")))
    path.write_text("\n".join(lines) + "\n")


def gate(tmp_path: Path, *files: Path, age: str = "30d") -> subprocess.CompletedProcess[str]:
    home = str(tmp_path / "home")
    names = [str(f) for f in files]
    return cli(
        "check",
        "--max-drill-age",
        age,
        "--home",
        home,
        *names,
        cwd=tmp_path,
        home=tmp_path / "elsewhere",
    )


def stale(res: subprocess.CompletedProcess[str]) -> list[str]:
    return [line for line in res.stdout.splitlines() if line.endswith("[stale-drill]")]


def test_the_freshness_gate_fails_a_restore_runbook_never_drilled(tmp_path: Path) -> None:
    book = restore_book(tmp_path)
    plain = tmp_path / "deploy.md"
    plain.write_text("---\nkind: deploy\n---\n# Deploy\n\n```sh\ntrue\n```\n")
    by_kind = tmp_path / "kind.md"
    by_kind.write_text("---\nkind: restore\n---\n# Restore by kind\n\n```sh\ntrue\n```\n")
    res = gate(tmp_path, book, plain, by_kind)
    assert res.returncode == 1
    never = "error: never drilled (a passing drill within 30 days is required) [stale-drill]"
    assert stale(res) == [f"{book}:1:1: {never}", f"{by_kind}:1:1: {never}"]
    assert not (tmp_path / "home").exists()  # the gate reads the store, never makes one
    as_json = json.loads(
        cli(
            "check", "--json", "--max-drill-age", "30d", "--home", str(tmp_path / "home"),
            str(book), cwd=tmp_path, home=tmp_path / "elsewhere",
        ).stdout
    )  # fmt: skip
    assert [(d["code"], d["severity"], d["line"]) for d in as_json] == [("stale-drill", "error", 1)]


def test_the_freshness_gate_passes_a_recent_passing_drill_and_fails_an_old_one(
    tmp_path: Path,
) -> None:
    book = restore_book(tmp_path)
    assert drill(tmp_path, book).returncode == 0
    res = gate(tmp_path, book)
    assert res.returncode == 0, res.stdout + res.stderr
    assert stale(res) == []
    [session] = sessions_json(tmp_path)
    _age(tmp_path, session["id"], 40)
    res = gate(tmp_path, book)
    assert res.returncode == 1
    [line] = stale(res)
    assert f"the last passing drill ({session['id']}, " in line
    assert "is 40 days old, older than 30 days" in line
    assert gate(tmp_path, book, age="6w").returncode == 0  # a longer allowance


def test_the_freshness_gate_wants_a_passing_drill_not_just_a_recent_one(tmp_path: Path) -> None:
    book = restore_book(tmp_path)
    assert drill(tmp_path, book).returncode == 0
    [older] = sessions_json(tmp_path)
    _age(tmp_path, older["id"], 40)
    book.write_text(RESTORE.format(rto="1h", restore="exit 1"))
    assert drill(tmp_path, book).returncode == 1
    res = gate(tmp_path, book)
    assert res.returncode == 1
    [line] = stale(res)
    assert "is 40 days old" in line  # the failed drill is newer, but only a pass counts
    (tmp_path / "sub").mkdir()
    fresh = restore_book(tmp_path / "sub", restore="exit 1")  # drilled, never passed
    assert drill(tmp_path, fresh).returncode == 1
    [line] = stale(gate(tmp_path, fresh))
    assert "no passing drill: the last drill (" in line and ") failed;" in line


def test_a_bad_max_drill_age_is_a_usage_error(tmp_path: Path) -> None:
    res = gate(tmp_path, restore_book(tmp_path), age="soon")
    assert res.returncode == 2
    assert "--max-drill-age: not a duration: 'soon'" in res.stderr


CHECK_ONLY = """
import sys
from runbook_tui import cli
code = cli.main(["check", "--home", sys.argv[2], sys.argv[1]])
session = sorted(m for m in sys.modules if m.startswith("runbook_tui.session"))
print(code, session)
"""


def test_check_without_the_gate_reads_no_state_home_and_no_session_code(tmp_path: Path) -> None:
    book = restore_book(tmp_path)
    home = tmp_path / "home"
    done = subprocess.run(
        [sys.executable, "-c", CHECK_ONLY, str(book), str(home)],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin", "RUNBOOK_TUI_HOME": str(tmp_path / "env-home")},
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["0", "[]"]
    assert not home.exists() and not (tmp_path / "env-home").exists()
