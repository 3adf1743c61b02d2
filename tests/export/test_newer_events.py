"""Events other parts of the tool add to the journal (service state changes, evidence
snapshots, steps of kinds such as `adhoc` and `reference`, a drill's verdict in
`session_ended`), and events of a type nobody knows yet: a real session, with those
events written by the real journal writer, exported in every format."""

from __future__ import annotations

from pathlib import Path

from runbook_tui.session.journal import utc_timestamp

from .conftest import (
    CHECK,
    check_asciicast,
    check_html,
    check_json,
    check_markdown,
    engine_for,
    export,
)


def test_evidence_service_changes_new_step_kinds_and_a_drill_verdict_are_rendered(
    tmp_path: Path, book: Path
) -> None:
    home = tmp_path / "home"
    (tmp_path / "ok").touch()
    engine = engine_for(book, home)
    journal = engine.journal
    journal.append(
        "evidence",
        step_id=CHECK,
        at="step_start",
        services={"api": "up", "db": "down"},
        backups={"orders-db": {"state": "ok", "age_seconds": 7200}},
        logs={"app": 3},
    )
    assert engine.run_step(CHECK).succeeded
    seen = utc_timestamp(1_800_000_000.25)  # 2027-01-15 08:00:00 UTC, as the check saw it
    changed = {"name": "api", "from": "up", "to": "down", "detail": "HTTP 503", "at": seen}
    journal.append("service_changed", **changed)
    # A writer may record the time as seconds since the epoch.
    changed = {"name": "db", "from": "down", "to": "up", "detail": "", "at": 1_800_000_060.0}
    journal.append("service_changed", **changed)
    journal.append("telemetry", cpu=0.5)  # a type this reader does not know
    for step_id, kind, command in (
        ("adhoc-1", "adhoc", "uptime | tee load"),
        ("ref-1", "reference", "runbooks/db-failover.md"),
    ):
        journal.append(
            "step_started", step_id=step_id, attempt=1, name=None, kind=kind,
            command=command, cwd=str(tmp_path), interactive=False, confirmed_by="operator",
        )  # fmt: skip
        journal.append_output(step_id, 1, f"{kind} said hello\n")
        journal.append(
            "step_finished", step_id=step_id, attempt=1, exit_code=0, signal=None,
            verdict="succeeded", reason="exit 0", duration_seconds=0.25, timed_out=False,
            cancelled=False,
        )  # fmt: skip
    journal.append(
        "session_ended",
        status="completed",
        reason="",
        drill={"passed": False, "rto_seconds": 1800, "duration_seconds": 1954.5},
    )
    engine.close()
    sid = engine.session_id

    text = export(home, sid, "markdown", tmp_path)
    check_markdown(text)
    timeline = text.split("## Timeline")[1].split("## Steps")[0]
    assert (
        "Evidence at the start of step 1 “check”: services api up, db down; "
        "backups orders-db ok (2h00m old); logs app 3 error lines" in timeline
    )
    assert (
        "| 2027-01-15 08:00:00 | Service api: up → down (HTTP 503) | service check | down |"
        in timeline
    )
    assert "| 2027-01-15 08:01:00 | Service db: down → up | service check | up |" in timeline
    assert "telemetry" not in text
    assert (
        "Started step 2 “uptime \\| tee load” (ad-hoc command): `uptime \\| tee load`" in timeline
    )
    assert "Started step 3 “runbooks/db-failover.md” (reference)" in timeline
    assert "completed; drill failed" in timeline
    steps = text.split("## Steps")[1]
    assert "- **Kind:** ad-hoc command (not in the runbook)" in steps
    assert "adhoc said hello" in steps
    assert "reference said hello" in steps

    doc = check_json(export(home, sid, "json", tmp_path))
    assert [e["type"] for e in doc["timeline"]].count("telemetry") == 1
    assert doc["session"]["drill_verdict"] == {
        "passed": False,
        "rto_seconds": 1800,
        "duration_seconds": 1954.5,
    }
    kinds = {s["id"]: s["kind"] for s in doc["steps"]}
    assert kinds["adhoc-1"] == "adhoc" and kinds["ref-1"] == "reference"
    cast = tmp_path / "t.cast"
    cast.write_text(export(home, sid, "asciicast", tmp_path), encoding="utf-8")
    _, events, shown = check_asciicast(cast)
    assert "● service api: up → down" in shown
    assert "uptime | tee load" in [e[2] for e in events if e[1] == "m"]
    check_html(export(home, sid, "html", tmp_path))


def test_a_drill_header_gives_its_verdict_against_the_rto(tmp_path: Path, book: Path) -> None:
    from runbook_tui.runbook.parser import load
    from runbook_tui.session.engine import Engine

    (tmp_path / "ok").touch()
    home = tmp_path / "home"
    runbook = load(book).runbook
    assert runbook is not None
    engine = Engine.start(runbook, home=home, drill=True, variables={})
    assert engine.run_step(CHECK).succeeded
    sid = engine.session_id
    live = export(home, sid, "markdown", tmp_path)
    assert "- **Drill:** a drill; not finished yet" in live
    engine.journal.append(
        "session_ended",
        status="completed",
        reason="",
        drill={"passed": True, "rto_seconds": 1800, "duration_seconds": 754.2},
    )
    engine.close()
    text = export(home, sid, "markdown", tmp_path)
    assert "- **Drill:** passed: 12m34s running, within its RTO of 30m00s" in text
    assert "Drill started (main walk)" in text
    html = export(home, sid, "html", tmp_path)
    assert "passed: 12m34s running, within its RTO of 30m00s" in html
