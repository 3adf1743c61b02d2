"""The fold: every status path, incremental folding, runbook ordering, bounded output."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from runbook_tui.runbook.model import Runbook, Step
from runbook_tui.session.journal import Journal, read_journal
from runbook_tui.session.state import StateFolder, fold

RUNBOOK = Runbook(
    title="Restore the db",
    path="/rb/restore.md",
    kind="restore",
    steps=(
        Step(id="stop", kind="shell", command="systemctl stop api", line=5, name="Stop the api"),
        Step(id="tell", kind="manual", command="Tell #incident", line=9),
        Step(id="restore", kind="shell", command="pg_restore dump", line=12),
        Step(id="undo", kind="shell", command="systemctl start api", line=20, rollback=True),
    ),
)


class Log:
    """Builds event dicts as the journal would write them."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []

    def add(self, type_: str, **fields: Any) -> Log:
        n = len(self.events) + 1
        event = {"seq": n, "ts": f"2026-11-26T14:15:{n:02d}.000Z", "type": type_, **fields}
        self.events.append(event)
        return self

    def started(self) -> Log:
        return self.add(
            "session_started",
            format_version=1,
            session_id="20261126T141500Z-3f9a",
            runbook={
                "path": "/rb/restore.md",
                "sha256": "ab" * 32,
                "git_commit": None,
                "title": "Restore the db",
                "kind": "restore",
            },
            tool_version="0.1.0",
            operator="alice",
            host="db1",
            pid=4242,
            variables={"DB": "main", "TOKEN": "********"},
            drill=True,
            started_at="2026-11-26T14:15:00.000Z",
        )

    def run(
        self, step: str, attempt: int = 1, out: str = "", code: int | None = 0, **fin: Any
    ) -> Log:
        self.add("step_started", step_id=step, attempt=attempt, name=step, kind="shell")
        if out:
            self.add("output", step_id=step, attempt=attempt, data=out)
        if code is not None:
            verdict = fin.pop("verdict", "succeeded" if code == 0 else "failed")
            self.add(
                "step_finished",
                step_id=step,
                attempt=attempt,
                exit_code=code,
                signal=None,
                verdict=verdict,
                reason=fin.pop("reason", "" if code == 0 else f"exit {code}, expected 0"),
                duration_seconds=1.5,
                timed_out=fin.pop("timed_out", False),
                cancelled=fin.pop("cancelled", False),
            )
        return self


def test_header_fields_come_from_session_started() -> None:
    s = fold(Log().started().add("session_ended", status="completed", reason="").events)
    assert s.id == "20261126T141500Z-3f9a"
    assert (s.runbook_path, s.title, s.kind) == ("/rb/restore.md", "Restore the db", "restore")
    assert s.runbook_sha256 == "ab" * 32 and s.runbook_git_commit is None
    assert (s.operator, s.host, s.pid, s.drill) == ("alice", "db1", 4242, True)
    assert s.variables == {"DB": "main", "TOKEN": "********"}
    assert s.format_version == 1 and s.tool_version == "0.1.0"
    assert s.started_at == "2026-11-26T14:15:00.000Z"
    assert s.ended_at == "2026-11-26T14:15:02.000Z" and s.status == "completed"
    assert s.events == 2 and s.last_seq == 2


def test_success_path() -> None:
    log = Log().started().run("stop", out="stopped\n").run("restore", out="ok\n")
    log.add("session_ended", status="completed", reason="")
    s = fold(log.events, RUNBOOK)
    stop = s.steps["stop"]
    assert stop.status == "succeeded" and stop.exit_code == 0 and stop.verdict == "succeeded"
    assert stop.attempts == 1 and stop.output == "stopped\n" and stop.duration_seconds == 1.5
    assert stop.started_at == "2026-11-26T14:15:02.000Z"
    assert stop.finished_at == "2026-11-26T14:15:04.000Z"
    assert s.steps["tell"].status == "pending"
    assert s.status == "completed" and s.current_step_id is None


def test_failure_records_exit_code_verdict_and_reason() -> None:
    log = Log().started().run("stop", out="boom\n", code=3)
    log.add("session_ended", status="failed", reason="step stop failed")
    s = fold(log.events, RUNBOOK)
    stop = s.steps["stop"]
    assert (stop.status, stop.exit_code, stop.verdict) == ("failed", 3, "failed")
    assert stop.reason == "exit 3, expected 0"
    assert s.status == "failed" and s.end_reason == "step stop failed"


def test_verdict_not_exit_code_decides() -> None:
    log = Log().started()
    log.run("stop", code=0, verdict="failed", reason="expect_output did not match")
    log.run("restore", code=1, verdict="succeeded")  # expect_exit: 1
    s = fold(log.events, RUNBOOK)
    assert s.steps["stop"].status == "failed"
    assert s.steps["stop"].reason == "expect_output did not match"
    assert s.steps["restore"].status == "succeeded"


def test_timeout_and_cancel_flags() -> None:
    log = Log().started()
    log.run("stop", code=None).add(
        "step_finished",
        step_id="stop",
        attempt=1,
        exit_code=None,
        signal=15,
        verdict="failed",
        reason="timed out after 10s",
        duration_seconds=10.0,
        timed_out=True,
        cancelled=False,
    )
    s = fold(log.events)
    stop = s.steps["stop"]
    assert stop.status == "failed" and stop.timed_out and not stop.cancelled
    assert stop.signal == 15 and stop.exit_code is None


def test_retry_latest_attempt_decides_and_history_is_kept() -> None:
    log = Log().started()
    log.run("stop", 1, out="first try\n", code=1)
    log.run("stop", 2, out="second try\n", code=0)
    s = fold(log.events, RUNBOOK)
    stop = s.steps["stop"]
    assert stop.status == "succeeded" and stop.attempts == 2 and stop.exit_code == 0
    assert stop.output == "second try\n"  # the latest attempt's output
    assert [(a.attempt, a.status, a.exit_code) for a in stop.history] == [
        (1, "failed", 1),
        (2, "succeeded", 0),
    ]
    # And the other way round: a success then a failed re-run is failed.
    log.run("stop", 3, code=2)
    assert fold(log.events, RUNBOOK).steps["stop"].status == "failed"


def test_skip_and_manual_confirmation() -> None:
    log = Log().started()
    log.add("step_skipped", step_id="stop", reason="api already down")
    log.add("manual_confirmed", step_id="tell", text="Tell #incident")
    s = fold(log.events, RUNBOOK)
    assert s.steps["stop"].status == "skipped"
    assert s.steps["stop"].skip_reason == "api already down"
    tell = s.steps["tell"]
    assert tell.status == "succeeded" and tell.kind == "manual"
    assert tell.confirmed_at == log.events[-1]["ts"] and tell.confirmed_text == "Tell #incident"
    assert tell.attempts == 1 and tell.done


def test_unfinished_step_is_running_when_live_and_interrupted_when_not() -> None:
    log = Log().started().run("stop", out="working", code=None)
    live = fold(log.events, RUNBOOK, live=True)
    assert live.steps["stop"].status == "running" and live.status == "running"
    assert live.current_step_id == "stop" and live.steps["stop"].output == "working"
    dead = fold(log.events, RUNBOOK, live=False)
    assert dead.steps["stop"].status == "interrupted" and dead.status == "interrupted"
    assert dead.current_step_id is None
    assert dead.steps["stop"].history[-1].status == "interrupted"


def test_resume_interrupts_the_running_step_and_reruns_it_as_a_new_attempt() -> None:
    log = Log().started().run("stop").run("restore", out="half", code=None)
    log.add("session_resumed", pid=5151, operator="bob", host="db2")
    after_resume = fold(log.events, RUNBOOK, live=True)
    assert after_resume.steps["restore"].status == "interrupted"
    assert after_resume.status == "running"
    assert after_resume.resumes == [
        {"ts": log.events[-1]["ts"], "pid": 5151, "operator": "bob", "host": "db2"}
    ]
    log.add("step_interrupted", step_id="restore", attempt=1)
    log.run("restore", 2, out="whole\n")
    log.add("session_ended", status="completed", reason="")
    s = fold(log.events, RUNBOOK)
    restore = s.steps["restore"]
    assert restore.status == "succeeded" and restore.attempts == 2
    assert restore.output == "whole\n"
    assert [a.status for a in restore.history] == ["interrupted", "succeeded"]
    assert s.steps["stop"].attempts == 1 and s.status == "completed"


def test_resuming_a_failed_session_makes_it_running_again() -> None:
    log = Log().started().run("stop", code=1).add("session_ended", status="failed", reason="")
    assert fold(log.events).status == "failed"
    log.add("session_resumed", pid=1, operator="a", host="h")
    assert fold(log.events, live=True).status == "running"
    s = fold(log.events, live=False)
    assert s.status == "interrupted" and s.ended_at is None


@pytest.mark.parametrize("status", ["completed", "failed", "aborted", "interrupted"])
def test_session_end_statuses(status: str) -> None:
    log = Log().started().run("stop", code=None).add("session_ended", status=status, reason="r")
    s = fold(log.events, live=True)
    assert s.status == status and s.end_reason == "r"
    # Nothing runs after the session ended, even if the writer is still alive.
    assert s.steps["stop"].status == "interrupted"


def test_step_interrupted_for_an_older_attempt_is_ignored() -> None:
    log = Log().started().run("stop", 1, code=1).run("stop", 2, code=None)
    log.add("step_interrupted", step_id="stop", attempt=1)
    assert fold(log.events, live=True).steps["stop"].status == "running"


def test_late_output_of_an_earlier_attempt_does_not_pollute_the_current_one() -> None:
    log = Log().started().run("stop", 1, out="one", code=1).run("stop", 2, code=None)
    log.add("output", step_id="stop", attempt=1, data="late")
    log.add("output", step_id="stop", attempt=2, data="two")
    assert fold(log.events, live=True).steps["stop"].output == "two"


def test_with_a_runbook_unseen_steps_are_pending_in_runbook_order_with_rollback_flagged() -> None:
    log = Log().started().run("restore").run("extra")
    s = fold(log.events, RUNBOOK)
    assert list(s.steps) == ["stop", "tell", "restore", "undo", "extra"]
    assert [st.status for st in s.step_list] == [
        "pending",
        "pending",
        "succeeded",
        "pending",
        "succeeded",
    ]
    assert s.steps["undo"].rollback and not s.steps["stop"].rollback
    assert s.steps["stop"].name == "Stop the api"  # the runbook's name
    assert s.steps["tell"].kind == "manual"
    assert s.steps["extra"].in_runbook is False and s.steps["stop"].in_runbook


def test_without_a_runbook_steps_come_from_the_journal_in_order() -> None:
    log = Log().started().run("b").run("a").add("step_skipped", step_id="c", reason="n/a")
    s = fold(log.events)
    assert list(s.steps) == ["b", "a", "c"]
    assert s.steps["c"].status == "skipped" and s.steps["a"].kind == "shell"


def test_notes_and_unknown_events() -> None:
    log = Log().started()
    log.add("note", text="paged the dba")
    log.add("service_changed", service="api", state="DOWN")  # a newer event type
    log.add("note", text="api is back", step_id="stop")
    s = fold(log.events)
    assert [(n.text, n.step_id) for n in s.notes] == [
        ("paged the dba", None),
        ("api is back", "stop"),
    ]
    assert s.events == 4


def test_output_is_concatenated_and_can_be_bounded() -> None:
    log = Log().started().run("stop", code=None)
    pieces = [f"line {i}\n" for i in range(5000)]
    for p in pieces:
        log.add("output", step_id="stop", attempt=1, data=p)
    full = fold(log.events).steps["stop"]
    assert full.output == "".join(pieces) and not full.output_truncated
    bounded = fold(log.events, max_output_chars=100).steps["stop"]
    assert bounded.output == "".join(pieces)[-100:]
    assert bounded.output_truncated and bounded.output_chars == len("".join(pieces))


def test_incremental_apply_matches_a_full_fold() -> None:
    log = Log().started().run("stop", out="a\n").run("restore", code=None)
    folder = StateFolder(RUNBOOK, live=True)
    snapshots = []
    for event in log.events:
        folder.apply(event)
        snapshots.append(folder.state.steps["restore"].status)
    assert snapshots[-1] == "running" and snapshots[0] == "pending"
    assert folder.state.to_dict() == fold(log.events, RUNBOOK, live=True).to_dict()


def test_real_journal_roundtrip(tmp_path: Path) -> None:
    first = {k: v for k, v in Log().started().events[0].items() if k not in ("seq", "ts", "type")}
    path = tmp_path / "journal.jsonl"
    j = Journal.create(path, first)
    j.append("step_started", step_id="stop", attempt=1, name="stop", kind="shell")
    j.append_output("stop", 1, "x" * 200_000)
    j.append("step_finished", step_id="stop", attempt=1, exit_code=0, verdict="succeeded")
    j.append("session_ended", status="completed", reason="")
    j.close()
    s = fold(read_journal(path).events, RUNBOOK)
    assert s.status == "completed" and s.steps["stop"].output == "x" * 200_000
    d = s.to_dict()
    assert d["steps"][0]["id"] == "stop" and d["steps"][0]["status"] == "succeeded"


# -- what the sources recorded: service changes, evidence, consent ---------------------


def change(log: Log, name: str, old: str, new: str, at: str, detail: str = "") -> Log:
    return log.add("service_changed", name=name, detail=detail, at=at, **{"from": old, "to": new})


def evidence(log: Log, step: str, moment: str, attempt: int = 1, **found: Any) -> Log:
    return log.add("evidence", step_id=step, attempt=attempt, at=moment, **found)


def test_service_changes_are_listed_in_journal_order() -> None:
    log = Log().started()
    change(log, "api", "unknown", "up", "2026-11-26T14:15:01.500Z", "HTTP 200 OK")
    change(log, "api", "up", "down", "2026-11-26T14:15:02.500Z", "connection refused")
    change(log, "api", "down", "up", "2026-11-26T14:15:03.500Z")
    state = fold(log.events)
    assert [(c.name, c.from_state, c.to_state) for c in state.service_changes] == [
        ("api", "unknown", "up"),
        ("api", "up", "down"),
        ("api", "down", "up"),
    ]
    assert state.service_changes[1].at == "2026-11-26T14:15:02.500Z"
    doc = state.to_dict()
    assert doc["service_changes"][1] == {
        "name": "api",
        "from": "up",
        "to": "down",
        "detail": "connection refused",
        "at": "2026-11-26T14:15:02.500Z",
        "ts": log.events[2]["ts"],
    }
    assert doc["service_changes_total"] == 3


def test_the_live_fold_keeps_the_newest_service_changes_and_counts_them_all() -> None:
    folder = StateFolder(RUNBOOK, live=True)
    folder.max_service_changes = 10
    log = Log().started()
    for i in range(100):
        change(log, "flappy", "up" if i % 2 else "down", "down" if i % 2 else "up", str(i))
    folder.apply_all(log.events)
    kept = folder.state.service_changes
    assert 10 <= len(kept) <= 20
    assert kept[-1].at == "99" and [int(c.at) for c in kept] == list(range(100 - len(kept), 100))
    assert folder.state.service_changes_total == 100


def test_evidence_belongs_to_its_attempt_and_a_new_attempt_starts_without() -> None:
    log = Log().started()
    log.add("step_started", step_id="stop", attempt=1, name="stop", kind="shell")
    evidence(log, "stop", "step_start", services={"api": "up"}, backups={}, logs={"app": 0})
    log.add("step_finished", step_id="stop", attempt=1, exit_code=1, verdict="failed")
    evidence(log, "stop", "step_end", services={"api": "down"}, backups={}, logs={"app": 3})
    state = fold(log.events, RUNBOOK)
    stop = state.steps["stop"]
    assert stop.evidence["step_end"]["logs"] == {"app": 3}
    assert stop.evidence["step_start"]["services"] == {"api": "up"}
    assert stop.evidence["step_end"]["ts"] == log.events[-1]["ts"]
    log.add("step_started", step_id="stop", attempt=2, name="stop", kind="shell")
    state = fold(log.events, RUNBOOK)
    stop = state.steps["stop"]
    assert stop.evidence == {}
    assert stop.history[0].evidence["step_end"]["services"] == {"api": "down"}
    assert state.to_dict()["steps"][0]["history"][0]["evidence"]["step_end"]["logs"] == {"app": 3}


def test_a_snapshot_of_evidence_does_not_change_under_its_reader() -> None:
    from runbook_tui.session.state import Freezer

    folder = StateFolder(RUNBOOK, live=True)
    freezer = Freezer()
    log = Log().started()
    log.add("step_started", step_id="stop", attempt=1, name="stop", kind="shell")
    evidence(log, "stop", "step_start", services={"api": "up"}, backups={}, logs={})
    for event in log.events:
        folder.apply(event)
        freezer.touched(event)
    before = freezer.freeze(folder.state)
    later = Log()
    later.events = list(log.events)
    evidence(later, "stop", "step_end", services={"api": "down"}, backups={}, logs={})
    change(later, "api", "up", "down", "t")
    for event in later.events[len(log.events) :]:
        folder.apply(event)
        freezer.touched(event)
    after = freezer.freeze(folder.state)
    assert list(before.steps["stop"].evidence) == ["step_start"]
    assert list(after.steps["stop"].evidence) == ["step_start", "step_end"]
    assert before.service_changes == () and len(after.service_changes) == 1
    with pytest.raises(TypeError):
        after.steps["stop"].evidence["x"] = {}  # type: ignore[index]


def test_a_service_change_refreezes_no_step() -> None:
    from runbook_tui.session.state import Freezer

    folder = StateFolder(RUNBOOK, live=True)
    freezer = Freezer()
    log = Log().started()
    for event in log.events:
        folder.apply(event)
        freezer.touched(event)
    first = freezer.freeze(folder.state)
    event = change(Log(), "api", "unknown", "up", "t").events[0]
    folder.apply(event)
    freezer.touched(event)
    second = freezer.freeze(folder.state)
    assert all(second.steps[k] is first.steps[k] for k in first.steps)
    assert len(second.service_changes) == 1


def test_the_last_answer_about_the_runbooks_commands_is_kept() -> None:
    log = Log().started()
    listed = [{"kind": "service", "name": "smoke", "command": "curl -fsS localhost"}]
    assert fold(log.events).commands_consent is None
    log.add("commands_refused", sha256="ab" * 32, commands=listed, by="operator")
    assert fold(log.events).commands_consent["allowed"] is False  # type: ignore[index]
    log.add("commands_allowed", sha256="ab" * 32, commands=listed, by="--yes")
    consent = fold(log.events).to_dict()["commands_consent"]
    assert consent == {
        "allowed": True,
        "by": "--yes",
        "sha256": "ab" * 32,
        "commands": listed,
        "ts": log.events[-1]["ts"],
    }
