"""Drills in the core: the verdict the engine writes into `session_ended`, the report
both views print, the history read back from a real store, and the restore evidence.
Real runbook files, real steps (subprocesses), real journals."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from runbook_tui.runbook.parser import load
from runbook_tui.session.clock import epoch
from runbook_tui.session.drills import (
    drill_history,
    drill_report,
    last_drill_restoring,
    stale_drill,
)
from runbook_tui.session.engine import Engine
from runbook_tui.session.journal import read_journal
from runbook_tui.session.readback import fold_journal

BOOK = """\
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

- [ ] Tell the team

```sh {{"name":"restore"}}
{restore}
```

## Rollback

```sh {{"name":"undo"}}
echo undone
```
"""


def write_book(tmp_path: Path, *, rto: str = "1h", restore: str = "echo restored") -> Path:
    path = tmp_path / "restore.md"
    path.write_text(BOOK.format(rto=rto, restore=restore))
    return path


def start(path: Path, home: Path, **kw: object) -> Engine:
    result = load(path)
    assert result.ok, result.diagnostics
    return Engine.start(result.runbook, home=home, variables={}, drill=True, **kw)  # type: ignore[arg-type]


def ended(engine: Engine) -> dict:
    return [e for e in read_journal(engine.journal_path).events if e["type"] == "session_ended"][-1]


def manual(engine: Engine) -> str:
    """The id of the runbook's manual step ("Tell the team")."""
    return next(s.id for s in engine.runbook.steps if s.kind == "manual")


def walk_all(engine: Engine) -> None:
    engine.run_step("prepare")
    engine.confirm_manual(manual(engine))
    engine.run_step("restore")


def test_a_drill_within_its_rto_with_every_step_done_passes(tmp_path: Path) -> None:
    engine = start(write_book(tmp_path), tmp_path / "home")
    walk_all(engine)
    assert engine.finish() == "completed"
    events = read_journal(engine.journal_path).events
    drill = ended(engine)["drill"]
    assert set(drill) == {"passed", "rto_seconds", "duration_seconds"}
    assert drill["passed"] is True and drill["rto_seconds"] == 3600.0
    # Timed by the journal's own clock: no longer than its first to its last event.
    span = epoch(events[-1]["ts"]) - epoch(events[0]["ts"])
    assert 0 < drill["duration_seconds"] <= span + 0.002
    report = engine.drill_report()
    assert report.passed is True and report.duration_seconds == drill["duration_seconds"]
    text = "\n".join(report.lines())
    assert text.startswith("Drill passed in ") and "within the RTO of 1h00m" in text
    assert "Why it failed" not in text and "prepare" in text and "Slowest: " in text


def test_a_drill_slower_than_its_rto_fails_though_every_step_succeeded(tmp_path: Path) -> None:
    # The step's own sleep is the workload that takes longer than the 1s RTO.
    engine = start(write_book(tmp_path, rto="1s", restore="sleep 1.5"), tmp_path / "home")
    walk_all(engine)
    assert engine.finish() == "completed"
    drill = ended(engine)["drill"]
    assert drill["passed"] is False and drill["rto_seconds"] == 1.0
    assert drill["duration_seconds"] > 1.0
    report = engine.drill_report()
    assert report.headline().startswith("Drill FAILED in ")
    assert "over the RTO of 1.0s by" in report.headline()
    assert any("longer than the RTO" in why for why in report.why)
    assert report.slowest[0].id == "restore"


def test_a_failed_step_fails_the_drill_and_is_in_the_report(tmp_path: Path) -> None:
    engine = start(write_book(tmp_path, restore="echo nope; exit 4"), tmp_path / "home")
    walk_all(engine)
    assert engine.finish() == "failed"
    assert ended(engine)["drill"]["passed"] is False
    report = engine.drill_report()
    assert "“restore” failed" in report.why
    assert [(f.step_id, f.attempt, f.reason) for f in report.failures] == [
        ("restore", 1, "exit 4, expected 0")
    ]
    assert "  restore (attempt 1): exit 4, expected 0" in report.lines()


def test_a_retry_that_then_succeeded_counts_and_is_reported(tmp_path: Path) -> None:
    engine = start(
        write_book(tmp_path, restore="test -e again || { touch again; exit 1; }"),
        tmp_path / "home",
    )
    walk_all(engine)
    engine.run_step("restore")  # the second attempt finds the file
    assert engine.finish() == "completed"
    assert ended(engine)["drill"]["passed"] is True
    report = engine.drill_report()
    assert [(r.step_id, r.attempts, r.status) for r in report.retries] == [
        ("restore", 2, "succeeded")
    ]
    lines = report.lines()
    assert "  restore: succeeded on attempt 2" in lines
    assert "  restore (attempt 1): exit 1, expected 0" in lines
    assert any(line.split() == ["succeeded", "Tell", "the", "team", "confirmed"] for line in lines)


def test_a_switch_to_rollback_fails_the_drill(tmp_path: Path) -> None:
    engine = start(write_book(tmp_path, restore="exit 1"), tmp_path / "home")
    walk_all(engine)
    engine.switch_walk("rollback", "after “restore” failed")
    engine.run_step("undo")
    assert engine.finish() == "rolled_back"
    assert ended(engine)["drill"]["passed"] is False
    why = engine.drill_report().why
    assert "it switched to the rollback steps (after “restore” failed)" in why


def test_a_drill_of_the_rollback_walk_itself_passes_rolled_back(tmp_path: Path) -> None:
    engine = start(write_book(tmp_path), tmp_path / "home", walk="rollback")
    engine.run_step("undo")
    assert engine.finish() == "rolled_back"
    assert ended(engine)["drill"]["passed"] is True


def test_a_step_skipped_with_a_reason_passes_without_one_fails(tmp_path: Path) -> None:
    first = start(write_book(tmp_path), tmp_path / "home")
    first.run_step("prepare")
    first.skip(manual(first), "nobody to tell in a drill")
    first.run_step("restore")
    first.finish()
    assert ended(first)["drill"]["passed"] is True
    assert "skipped: nobody to tell in a drill" in "\n".join(first.drill_report().lines())

    second = start(write_book(tmp_path), tmp_path / "home")
    second.run_step("prepare")
    second.skip(manual(second), "   ")  # nothing said: the engine records no reason
    second.run_step("restore")
    second.finish()
    assert ended(second)["drill"]["passed"] is False
    assert "“Tell the team” was skipped without a reason" in second.drill_report().why


def test_a_paused_drill_is_unfinished_and_ends_later_with_its_verdict(tmp_path: Path) -> None:
    path, home = write_book(tmp_path), tmp_path / "home"
    engine = start(path, home)
    engine.run_step("prepare")
    assert engine.finish() == "paused"
    assert ended(engine)["drill"]["passed"] is None
    assert engine.drill_report().headline().startswith("Drill unfinished (paused): ")
    [record] = drill_history(home)
    assert record.passed is None and record.rto_seconds == 3600.0

    again = Engine.resume(home, engine.session_id, load(path).runbook)
    again.confirm_manual(manual(again))
    again.run_step("restore")
    assert again.finish() == "completed"
    assert ended(again)["drill"]["passed"] is True
    [record] = drill_history(home)
    assert record.passed is True


def test_an_ad_hoc_command_is_reported_but_does_not_decide(tmp_path: Path) -> None:
    engine = start(write_book(tmp_path), tmp_path / "home")
    engine.run_step("prepare")
    engine.run_adhoc("echo looking around; exit 2")
    engine.confirm_manual(manual(engine))
    engine.run_step("restore")
    engine.finish()
    assert ended(engine)["drill"]["passed"] is True
    report = engine.drill_report()
    assert [s.title for s in report.steps if s.id.startswith("adhoc-")] == ["adhoc-1 (ad hoc)"]
    assert [(f.title, f.reason) for f in report.failures] == [
        ("adhoc-1 (ad hoc)", "exit 2, expected 0")
    ]


def test_without_an_rto_only_the_steps_decide(tmp_path: Path) -> None:
    path = tmp_path / "plain.md"
    path.write_text("# Plain\n\n```sh {name=one}\nsleep 1.2\n```\n")
    engine = start(path, tmp_path / "home")
    engine.run_step("one")
    engine.finish()
    drill = ended(engine)["drill"]
    assert drill["passed"] is True and drill["rto_seconds"] is None
    assert "no RTO set" in engine.drill_report().headline()


def test_an_ordinary_session_records_no_verdict(tmp_path: Path) -> None:
    result = load(write_book(tmp_path))
    engine = Engine.start(result.runbook, home=tmp_path / "home", variables={})
    engine.finish()
    assert "drill" not in ended(engine)
    assert drill_history(tmp_path / "home") == []


def test_the_report_of_a_folded_journal_is_the_recorded_verdict(tmp_path: Path) -> None:
    path = write_book(tmp_path)
    engine = start(path, tmp_path / "home")
    walk_all(engine)
    engine.finish()
    recorded = ended(engine)["drill"]
    # Read back from the file alone (what `sessions show` or an export folds).
    state = fold_journal(engine.journal_path, runbook=load(path).runbook).state
    again = drill_report(load(path).runbook, state)
    assert again.verdict() == recorded


def test_history_is_newest_first_and_matches_a_file_by_resolved_path(tmp_path: Path) -> None:
    home = tmp_path / "home"
    restore = write_book(tmp_path)
    other = tmp_path / "other.md"
    other.write_text("---\ntitle: Other\nrto: 1h\n---\n# Other\n\n```sh {name=x}\ntrue\n```\n")
    older = start(restore, home)
    walk_all(older)
    older.finish()
    plain = Engine.start(load(other).runbook, home=home, variables={})  # not a drill
    plain.finish()
    newer = start(other, home)
    newer.run_step("x")
    newer.finish()
    records = drill_history(home)
    assert [r.session for r in records] == [newer.session_id, older.session_id]
    assert records[1].to_dict() == {
        "session": older.session_id,
        "runbook": str(restore.resolve()),
        "title": "Restore orders",
        "started_at": read_journal(older.journal_path).events[0]["started_at"],
        "duration_seconds": ended(older)["drill"]["duration_seconds"],
        "rto_seconds": 3600.0,
        "passed": True,
    }
    roundabout = tmp_path / "sub" / ".." / "restore.md"
    (tmp_path / "sub").mkdir()
    assert [r.session for r in drill_history(home, roundabout)] == [older.session_id]
    link = tmp_path / "link.md"
    link.symlink_to(restore)
    assert [r.session for r in drill_history(home, link)] == [older.session_id]
    assert drill_history(home, tmp_path / "renamed.md") == []


def test_restore_evidence_is_the_newest_drill_whose_runbook_restores_the_set(
    tmp_path: Path,
) -> None:
    home = tmp_path / "home"
    path = write_book(tmp_path, restore="exit 1")
    assert last_drill_restoring(home, "orders-nightly") is None
    first = start(path, home)
    walk_all(first)
    first.finish()
    assert last_drill_restoring(home, "orders-nightly") == {
        "at": read_journal(first.journal_path).events[0]["started_at"],
        "passed": False,
        "session": first.session_id,
    }
    path.write_text(BOOK.format(rto="1h", restore="true"))
    second = start(path, home)
    walk_all(second)
    second.finish()
    evidence = last_drill_restoring(home, "orders-nightly")
    assert evidence is not None
    assert evidence["session"] == second.session_id and evidence["passed"] is True
    assert last_drill_restoring(home, "another-set") is None
    started = read_journal(second.journal_path).events[0]
    assert started["runbook"]["restores"] == ["orders-nightly"]


@pytest.mark.parametrize(
    ("age_days", "passed", "expected"),
    [
        (None, None, "never drilled"),
        (3, True, None),
        (40, True, "is 40 days old, older than 30 days"),
        (3, False, "no passing drill: the last drill"),
    ],
)
def test_stale_drill_rules(
    tmp_path: Path, age_days: int | None, passed: bool | None, expected: str | None
) -> None:
    from runbook_tui.session.drills import DrillRecord
    from runbook_tui.session.journal import utc_timestamp

    now = 2_000_000_000.0
    path = str(tmp_path / "restore.md")
    history = []
    if age_days is not None:
        started = utc_timestamp(now - age_days * 86400)
        history.append(DrillRecord("s1", path, "R", "restore", (), started, 1.0, 60.0, passed))
    why = stale_drill(history, path, 30 * 86400, now)
    if expected is None:
        assert why is None
    else:
        assert why is not None and expected in why


def test_a_verdict_is_plain_json_in_the_journal(tmp_path: Path) -> None:
    engine = start(write_book(tmp_path), tmp_path / "home")
    walk_all(engine)
    engine.finish()
    last = engine.journal_path.read_text().splitlines()[-1]
    assert json.loads(last)["drill"]["passed"] is True
    assert '"drill":{"passed":true,"rto_seconds":3600.0,"duration_seconds":' in last
