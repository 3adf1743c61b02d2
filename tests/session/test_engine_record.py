"""Engine.record and Engine.on_step: how the sources write into a session's journal
with the engine still its only writer."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from runbook_tui.runbook.model import Runbook, Step, Variable
from runbook_tui.session.engine import RECORDED_EVENTS, Engine, EngineError
from runbook_tui.session.journal import read_journal
from runbook_tui.session.state import fold


def make_runbook(tmp_path: Path, *steps: Step, variables: tuple[Variable, ...] = ()) -> Runbook:
    path = tmp_path / "book.md"
    path.write_text("# test runbook\n")
    return Runbook(title="test runbook", path=str(path), steps=steps, variables=variables)


def shell(step_id: str, command: str) -> Step:
    return Step(id=step_id, kind="shell", command=command, line=1, language="sh")


def test_record_writes_only_the_sources_events(tmp_path: Path) -> None:
    engine = Engine.start(make_runbook(tmp_path, shell("a", "true")), home=tmp_path / "h")
    with pytest.raises(ValueError):
        engine.record("step_finished", step_id="a")
    event = engine.record(
        "service_changed", name="api", detail="", at="x", **{"from": "unknown", "to": "up"}
    )
    assert event["type"] == "service_changed" and event["seq"] == 2
    assert {
        "service_changed",
        "evidence",
        "commands_allowed",
        "commands_refused",
    } == RECORDED_EVENTS
    engine.end("completed")


def test_nothing_is_recorded_after_the_session_ended(tmp_path: Path) -> None:
    engine = Engine.start(make_runbook(tmp_path, shell("a", "true")), home=tmp_path / "h")
    engine.end("completed")
    with pytest.raises(EngineError):
        engine.record("service_changed", name="api", **{"from": "up", "to": "down"})
    assert read_journal(engine.journal_path).events[-1]["type"] == "session_ended"


def test_record_is_masked_like_every_event(tmp_path: Path) -> None:
    secret = "hunter2-hunter2"
    book = make_runbook(tmp_path, shell("a", "true"), variables=(Variable("PW", secret=True),))
    engine = Engine.start(book, home=tmp_path / "h", variables={"PW": secret})
    engine.record("service_changed", name="api", detail=f"token {secret}", at="t")
    engine.record("evidence", step_id="a", at="step_start", logs={"app": 0}, note=[secret])
    engine.end("completed")
    text = engine.journal_path.read_text()
    assert secret not in text
    assert "token ********" in text


def test_a_hook_sees_the_step_before_its_command_runs_and_writes_after_it(
    tmp_path: Path,
) -> None:
    marker = tmp_path / "ran"
    engine = Engine.start(
        make_runbook(tmp_path, shell("a", f"touch {marker}")), home=tmp_path / "h", use_pty=False
    )
    seen: list[tuple[str, bool]] = []
    delivered: list[str] = []

    def hook(event: dict[str, Any]) -> None:
        seen.append((event["type"], marker.exists()))
        engine.record("evidence", step_id=event["step_id"], at=event["type"])

    engine.on_step(hook)
    engine.subscribe(lambda e: delivered.append(e["type"]))
    engine.run_step("a")
    assert seen == [("step_started", False), ("step_finished", True)]
    types = [e["type"] for e in read_journal(engine.journal_path).events if e["type"] != "output"]
    assert types == ["session_started", "step_started", "evidence", "step_finished", "evidence"]
    # Subscribers get the step's event before what the hook wrote about it.
    assert [t for t in delivered if t != "output"] == types[1:]
    engine.end("completed")


def test_a_failing_hook_costs_no_step(tmp_path: Path) -> None:
    engine = Engine.start(make_runbook(tmp_path, shell("a", "true")), home=tmp_path / "h")

    def broken(event: dict[str, Any]) -> None:
        raise RuntimeError("boom")

    stop = engine.on_step(broken)
    assert engine.run_step("a").succeeded
    stop()
    calls: list[str] = []
    engine.on_step(lambda e: calls.append(e["type"]))
    assert engine.run_step("a").succeeded
    assert calls == ["step_started", "step_finished"]
    engine.end("completed")


def test_events_from_other_threads_fold_in_seq_order(tmp_path: Path) -> None:
    """The sources write from their threads while a step runs: the live fold holds
    the changes in the journal's order."""
    engine = Engine.start(make_runbook(tmp_path, shell("a", "true")), home=tmp_path / "h")
    go = threading.Event()

    def writer(n: int) -> None:
        go.wait()
        for i in range(30):
            engine.record("service_changed", name=f"s{n}", detail=str(i), at=str(i))

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(3)]
    for t in threads:
        t.start()
    go.set()
    for _ in range(5):
        engine.run_step("a")
    for t in threads:
        t.join()
    live = [(c.name, c.detail) for c in engine.state.service_changes]
    engine.end("completed")
    recorded = [
        (e["name"], e["detail"])
        for e in read_journal(engine.journal_path).events
        if e["type"] == "service_changed"
    ]
    assert len(recorded) == 90
    assert live == recorded
    assert [
        (c.name, c.detail) for c in fold(read_journal(engine.journal_path).events).service_changes
    ] == recorded
