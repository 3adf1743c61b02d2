"""The walk's rules (session/plan.py) on folds of real journals, without a UI."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from runbook_tui.runbook.model import Runbook, Section, Step, Variable
from runbook_tui.session.clock import open_seconds, rto_level
from runbook_tui.session.engine import Engine
from runbook_tui.session.journal import read_journal
from runbook_tui.session.plan import Plan
from runbook_tui.session.state import fold
from runbook_tui.session.store import list_sessions


def shell(step_id: str, command: str) -> Step:
    return Step(id=step_id, kind="shell", command=command, line=1, language="sh")


def events_of(engine: Engine) -> list[dict]:
    return read_journal(engine.journal_path).events


def book(
    tmp_path: Path, *steps: Step, variables: tuple[Variable, ...] = (), **kw: object
) -> Runbook:
    path = tmp_path / "book.md"
    path.write_text("# b\n" + "".join(f"<!-- {s.id} -->\n" for s in steps))
    return Runbook(title="b", path=str(path), steps=steps, variables=variables, **kw)  # type: ignore[arg-type]


def undo(step_id: str, command: str = "true") -> Step:
    return dataclasses.replace(shell(step_id, command), rollback=True)


def test_next_is_the_first_step_after_the_given_one_that_needs_doing(tmp_path: Path) -> None:
    rb = book(tmp_path, shell("a", "true"), shell("b", "false"), shell("c", "true"))
    engine = Engine.start(rb, home=tmp_path / "home")
    assert engine.plan.first_step().id == "a"  # type: ignore[union-attr]
    engine.run_step("a")
    engine.run_step("b")
    plan = engine.plan
    assert plan.next_step().id == "b"  # type: ignore[union-attr]  # failed: needs doing
    assert plan.next_step("b").id == "c"  # type: ignore[union-attr]
    assert plan.next_step("c").id == "b"  # type: ignore[union-attr]  # wraps around
    assert not plan.over
    engine.skip("c", "not tonight")
    assert engine.plan.over  # a failed step has ended; nothing is pending
    assert engine.plan.earned_status() == "failed"
    assert engine.finish() == "failed"


def test_a_walk_of_succeeded_and_skipped_steps_earns_completed(tmp_path: Path) -> None:
    rb = book(tmp_path, shell("a", "true"), shell("b", "true"), undo("u"))
    engine = Engine.start(rb, home=tmp_path / "home")
    engine.run_step("a")
    assert engine.plan.earned_status() == "paused"  # b is left
    engine.skip("b", "done by hand")
    progress = engine.plan.progress()
    assert (progress.total, progress.succeeded, progress.skipped, progress.failed) == (2, 1, 1, 0)
    assert progress.describe() == "2 of 2 steps done (1 succeeded, 1 skipped)"
    assert engine.finish() == "completed"
    [summary] = list_sessions(tmp_path / "home")
    assert summary.status == "completed"


def test_the_walk_is_a_journal_event_and_a_finished_rollback_earns_rolled_back(
    tmp_path: Path,
) -> None:
    rb = book(tmp_path, shell("a", "false"), undo("u1"), undo("u2"))
    engine = Engine.start(rb, home=tmp_path / "home")
    engine.run_step("a")
    engine.switch_walk("rollback", "after a failed")
    assert engine.walk == "rollback" and engine.plan.steps == rb.rollback_steps
    engine.run_step("u1")
    assert engine.plan.earned_status() == "paused"
    engine.run_step("u2")
    assert engine.plan.over
    assert engine.finish("rollback walk completed") == "rolled_back"
    events = events_of(engine)
    [changed] = [e for e in events if e["type"] == "walk_changed"]
    assert changed["walk"] == "rollback" and changed["reason"] == "after a failed"
    assert fold(events).walk == "rollback"
    assert fold(events).status == "rolled_back"
    [summary] = list_sessions(tmp_path / "home")
    assert summary.status == "rolled_back"


def test_a_failed_rollback_step_ends_failed(tmp_path: Path) -> None:
    rb = book(tmp_path, shell("a", "false"), undo("u", "exit 4"))
    engine = Engine.start(rb, home=tmp_path / "home", walk="rollback")
    engine.run_step("u")
    assert engine.plan.over and engine.finish() == "failed"


def test_a_rollback_step_done_before_a_newer_main_attempt_counts_again(tmp_path: Path) -> None:
    rb = book(tmp_path, shell("a", "true"), undo("u"))
    engine = Engine.start(rb, home=tmp_path / "home")
    engine.switch_walk("rollback", "drill")
    engine.run_step("u")
    assert engine.plan.is_done("u")
    engine.switch_walk("main", "try again")
    engine.run_step("a")  # a newer main attempt: the rollback must undo it
    engine.switch_walk("rollback", "again")
    assert engine.plan.status("u") == "pending"
    assert engine.plan.next_step().id == "u"  # type: ignore[union-attr]
    # The main walk sees the fold's own status.
    assert Plan(rb, engine.state, walk="main").status("a") == "succeeded"


def test_an_old_journal_keeps_its_walk_from_session_started_and_reads_notes_as_notes(
    tmp_path: Path,
) -> None:
    events = [
        {"seq": 1, "ts": "2026-01-01T00:00:00.000Z", "type": "session_started", "walk": "rollback"},
        {
            "seq": 2,
            "ts": "2026-01-01T00:00:01.000Z",
            "type": "note",
            "text": "Switched to the rollback steps.",
        },
        {"seq": 3, "ts": "2026-01-01T00:00:02.000Z", "type": "session_ended", "status": "aborted"},
    ]
    state = fold(events)
    assert state.walk == "rollback" and state.status == "aborted"
    assert [n.text for n in state.notes] == ["Switched to the rollback steps."]


def test_the_engine_hands_out_frozen_snapshots(tmp_path: Path) -> None:
    rb = book(tmp_path, shell("a", "echo hi"))
    engine = Engine.start(rb, home=tmp_path / "home")
    before = engine.state
    with pytest.raises(dataclasses.FrozenInstanceError):
        before.status = "completed"  # type: ignore[misc]
    with pytest.raises(TypeError):
        before.steps["x"] = before.steps["a"]  # type: ignore[index]
    engine.run_step("a")
    after = engine.state
    assert before.steps["a"].status == "pending"  # an old snapshot does not change
    assert after.steps["a"].status == "succeeded" and "hi" in after.steps["a"].output
    assert after is engine.state  # rebuilt only when the fold changes


def test_a_dropped_subscription_hears_nothing_more(tmp_path: Path) -> None:
    rb = book(tmp_path, shell("a", "echo hi"))
    engine = Engine.start(rb, home=tmp_path / "home")
    heard: list[str] = []
    unsubscribe = engine.subscribe(lambda e: heard.append(e["type"]))
    engine.note("one")
    unsubscribe()
    unsubscribe()  # twice is harmless
    engine.note("two")
    engine.run_step("a")
    assert heard == ["note"]


def test_output_events_say_how_far_the_attempt_had_got(tmp_path: Path) -> None:
    rb = book(tmp_path, shell("a", "printf abc; sleep 0.3; printf defg"))
    engine = Engine.start(rb, home=tmp_path / "home", use_pty=False)
    chunks: list[tuple[str, int]] = []
    engine.subscribe(
        lambda e: chunks.append((e["data"], e["upto"])) if e["type"] == "output" else None
    )
    engine.run_step("a")
    total = 0
    for data, upto in chunks:
        total += len(data)
        assert upto == total
    assert total == len("abcdefg")


def test_the_clock_counts_the_spans_a_process_had_the_session_open(tmp_path: Path) -> None:
    events = [
        {"seq": 1, "ts": "2026-01-01T09:00:00.000Z", "type": "session_started"},
        {"seq": 2, "ts": "2026-01-01T09:01:00.000Z", "type": "note", "text": "x"},
        # The process died here; a resume an hour later.
        {"seq": 3, "ts": "2026-01-01T10:01:00.000Z", "type": "session_resumed"},
        {"seq": 4, "ts": "2026-01-01T10:01:30.000Z", "type": "session_ended", "status": "paused"},
        {"seq": 5, "ts": "2026-01-01T11:00:00.000Z", "type": "session_resumed"},
    ]
    state = fold(events, live=True)
    assert state.segments[:2] == [
        ["2026-01-01T09:00:00.000Z", "2026-01-01T09:01:00.000Z"],
        ["2026-01-01T10:01:00.000Z", "2026-01-01T10:01:30.000Z"],
    ]
    now = 1767265210.0  # 2026-01-01T11:00:10Z
    assert open_seconds([tuple(s) for s in state.segments], now) == 60 + 30 + 10  # type: ignore[misc]


def test_rto_level_warns_near_and_after_the_rto() -> None:
    assert rto_level(100, None) == "ok"
    assert rto_level(100, 1800) == "ok"
    assert rto_level(1500, 1800) == "near"
    assert rto_level(1800, 1800) == "over"


def test_the_rollback_walk_needs_only_the_variables_its_steps_left_mention(tmp_path: Path) -> None:
    variables = (
        Variable(name="RELEASE"),
        Variable(name="TOKEN", secret=True),
        Variable(name="REGION"),
        Variable(name="WHY"),
    )
    steps = (
        shell("deploy", 'deploy "$RELEASE" --token "$TOKEN"'),
        dataclasses.replace(
            undo("restore", 'restore "${REGION}"'), section=("Rollback",), section_line=3
        ),
        undo("announce", "echo rolled back"),
    )
    sections = (Section(title="Rollback", level=2, line=3, path=("Rollback",), prose="Say $WHY."),)
    rb = book(tmp_path, *steps, variables=variables, sections=sections)
    engine = Engine.start(
        rb,
        home=tmp_path / "home",
        variables={"RELEASE": "1", "TOKEN": "t0ps3cret", "REGION": "eu", "WHY": "x"},
    )
    assert Plan(rb, engine.state, walk="rollback").needed_variables() == {"REGION", "WHY"}
    assert Plan(rb, engine.state).needed_variables() is None  # the main walk: all of them


def test_a_snapshot_shares_unchanged_steps_and_equals_a_full_freeze(tmp_path: Path) -> None:
    from runbook_tui.session.state import freeze

    rb = book(tmp_path, *(shell(f"s{n}", f"echo {n}") for n in range(5)), undo("u"))
    engine = Engine.start(rb, home=tmp_path / "home")
    first = engine.state
    engine.run_step("s1")
    second = engine.state
    assert second.steps["s0"] is first.steps["s0"]  # untouched: shared
    assert second.steps["s1"] is not first.steps["s1"]
    engine.note("a note changes no step")
    engine.skip("s2", "later")
    engine.switch_walk("rollback", "drill")
    engine.run_step("u")
    # A step only the journal knows (a changed runbook) joins the snapshot too.
    engine._write("step_started", step_id="ghost", attempt=1, name="ghost", kind="shell")
    with engine._state_lock:
        full = freeze(engine._folder.state)
    assert engine.state == full and "ghost" in engine.state.steps
    engine.close()
