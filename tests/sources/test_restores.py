"""Restore evidence from the session store: the newest drill of a runbook whose recorded
`restores` names the set."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from runbook_tui.runbook.parser import parse
from runbook_tui.session.engine import Engine
from runbook_tui.session.journal import Journal, read_first_event
from runbook_tui.session.store import create_session
from runbook_tui.sources.readings import RestoreDrill
from runbook_tui.sources.restores import RestoreIndex


def session(
    home: Path,
    sid: str,
    *,
    drill: bool,
    restores: list[str] | None,
    ended: dict[str, Any] | None = None,
) -> None:
    sdir = create_session(home, session_id=sid)
    runbook: dict[str, Any] = {"path": "/rb/restore.md", "title": "Restore", "kind": "restore"}
    if restores is not None:
        runbook["restores"] = restores
    journal = Journal.create(
        sdir.journal_path,
        {
            "session_id": sid,
            "runbook": runbook,
            "drill": drill,
            "started_at": f"{sid[:4]}-{sid[4:6]}-{sid[6:8]}T00:00:00.000Z",
        },
    )
    journal.append("step_started", step_id="a", attempt=1)
    journal.append_output("a", 1, "restoring\n" * 100)
    if ended is not None:
        journal.append("session_ended", **ended)
    journal.close()


def test_the_newest_drill_that_restores_the_set_with_its_verdict(tmp_path: Path) -> None:
    session(tmp_path, "20261101T000000Z-0001", drill=True, restores=["nightly"],
            ended={"status": "completed", "reason": "", "drill": {"passed": True}})  # fmt: skip
    session(tmp_path, "20261105T000000Z-0002", drill=True, restores=["nightly", "weekly"],
            ended={"status": "failed", "reason": "", "drill": {"passed": False}})  # fmt: skip
    # Newer, but not a drill, or a drill of another set: not evidence for `nightly`.
    session(tmp_path, "20261110T000000Z-0003", drill=False, restores=["nightly"])
    session(tmp_path, "20261111T000000Z-0004", drill=True, restores=["other"])
    lookup = RestoreIndex(tmp_path)
    assert lookup("nightly") == RestoreDrill(
        at="2026-11-05T00:00:00.000Z", passed=False, session="20261105T000000Z-0002"
    )
    assert lookup("other") is not None and lookup("other").passed is None  # type: ignore[union-attr]
    assert lookup("never") is None


def test_passed_is_null_without_a_recorded_verdict(tmp_path: Path) -> None:
    session(tmp_path, "20261101T000000Z-0001", drill=True, restores=["nightly"],
            ended={"status": "completed", "reason": ""})  # fmt: skip
    assert RestoreIndex(tmp_path)("nightly").passed is None  # type: ignore[union-attr]
    # An older journal without `restores` restores nothing.
    session(tmp_path, "20261102T000000Z-0002", drill=True, restores=None)
    assert RestoreIndex(tmp_path)("nightly").session == "20261101T000000Z-0001"  # type: ignore[union-attr]


def test_a_new_drill_is_seen_by_the_same_index(tmp_path: Path) -> None:
    lookup = RestoreIndex(tmp_path)
    assert lookup("nightly") is None
    session(tmp_path, "20261101T000000Z-0001", drill=True, restores=["nightly"])
    assert lookup("nightly") is not None


def test_the_engine_records_what_the_runbook_restores(tmp_path: Path) -> None:
    book = tmp_path / "restore.md"
    book.write_text(
        "---\nrestores: [orders-nightly]\nbackups:\n"
        "  - {name: orders-nightly, path: '/backups/*.dump'}\n---\n# Restore\n\n"
        "```sh\necho restored\n```\n"
    )
    runbook = parse(book.read_text(), path=str(book)).runbook
    engine = Engine.start(runbook, home=tmp_path / "home", drill=True)
    engine.finish()
    first = read_first_event(engine.journal_path)
    assert first is not None and first["runbook"]["restores"] == ["orders-nightly"]
    found = RestoreIndex(tmp_path / "home")("orders-nightly")
    assert found is not None and found.session == first["session_id"]
