"""The JSON transcript: everything the journal holds, in one document that
docs/transcript.schema.json describes.

`session` is the fold's view of the session; `timeline` every event but output, as
recorded (unknown types too); `steps` each step with every attempt and each attempt's
whole output (raw terminal text, secrets masked). The document is built without its
outputs, then written with each output streamed from the journal one event at a time,
escaped chunk by chunk, where a placeholder stood (the technique of
session/readback.py's `write_session_json`): memory holds the events, never the output.
"""

from __future__ import annotations

import json
import uuid
from typing import Any, TextIO

from runbook_tui.export.facts import open_time, session_seconds
from runbook_tui.export.record import AttemptRecord, Record, StepRecord, attempt_output

TRANSCRIPT_VERSION = 1


def write_json(out: TextIO, record: Record, tool_version: str) -> None:
    token = uuid.uuid4().hex
    marks: list[tuple[AttemptRecord, str]] = []

    def placeholder(attempt: AttemptRecord) -> str:
        mark = f"\x00{token}:{len(marks)}\x00"
        marks.append((attempt, json.dumps(mark)))
        return mark

    doc = {
        "transcript_version": TRANSCRIPT_VERSION,
        "exported_by": f"runbook-tui {tool_version}",
        "in_progress": record.in_progress,
        "journal": {
            "path": str(record.journal),
            "torn": record.torn,
            "problems": list(record.problems),
        },
        "session": _session(record),
        "timeline": record.events,
        "steps": [_step(record, step, placeholder) for step in record.steps],
    }
    text = json.dumps(doc, indent=2, ensure_ascii=False)
    pos = 0
    for attempt, mark in marks:
        at = text.index(mark, pos)
        out.write(text[pos:at])
        out.write('"')
        for chunk in attempt_output(record, attempt):
            out.write(json.dumps(chunk, ensure_ascii=False)[1:-1])
        out.write('"')
        pos = at + len(mark)
    out.write(text[pos:])
    out.write("\n")


def _session(record: Record) -> dict[str, Any]:
    st = record.state
    return {
        "id": st.id,
        "status": st.status,
        "end_reason": st.end_reason,
        "drill": st.drill,
        "drill_verdict": dict(record.drill) if record.drill is not None else None,
        "walk": st.walk,
        "runbook": {
            "path": st.runbook_path,
            "title": st.title,
            "kind": st.kind,
            "sha256": st.runbook_sha256,
            "git_commit": st.runbook_git_commit,
        },
        "tool_version": st.tool_version,
        "format_version": st.format_version,
        "operator": st.operator,
        "host": st.host,
        "started_at": st.started_at,
        "ended_at": st.ended_at,
        "last_event_at": st.last_ts,
        "duration_seconds": session_seconds(record),
        "open_seconds": round(open_time(record), 3),
        "segments": [list(seg) for seg in st.segments],
        "resumes": list(st.resumes),
        "variables": dict(st.variables),
    }


def _step(record: Record, step: StepRecord, placeholder: Any) -> dict[str, Any]:
    st = step.state
    return {
        "number": step.number,
        "id": st.id,
        "name": st.name,
        "kind": st.kind,
        "status": st.status,
        "rollback": st.rollback,
        "in_runbook": st.in_runbook,
        "command": st.command,
        "skip_reason": st.skip_reason,
        "attempts": [_attempt(record, a, placeholder) for a in step.attempts],
    }


def _attempt(record: Record, attempt: AttemptRecord, placeholder: Any) -> dict[str, Any]:
    started = attempt.started or {}
    end = attempt.finished or {}
    confirmed = attempt.confirmed
    if confirmed is not None:
        status = "succeeded"
    elif attempt.finished is not None:
        status = end.get("verdict") if end.get("verdict") in ("succeeded", "failed") else "failed"
    elif attempt.interrupted_at is not None or not record.in_progress:
        status = "interrupted"
    else:
        status = "running"
    return {
        "attempt": attempt.attempt,
        "status": status,
        "operator": attempt.operator or None,
        "started_at": started.get("ts") if attempt.started else None,
        "finished_at": end.get("ts") if attempt.finished else None,
        "interrupted_at": attempt.interrupted_at,
        "command": started.get("command"),
        "written": started.get("written"),
        "source_line": started.get("source_line"),
        "template": started.get("template"),
        "fills": started.get("fills") if isinstance(started.get("fills"), dict) else None,
        "cwd": started.get("cwd"),
        "interactive": bool(started.get("interactive", False)),
        "confirmed_by": started.get("confirmed_by"),
        "exit_code": end.get("exit_code"),
        "signal": end.get("signal"),
        "verdict": end.get("verdict"),
        "reason": end.get("reason"),
        "duration_seconds": end.get("duration_seconds"),
        "timed_out": bool(end.get("timed_out", False)),
        "cancelled": bool(end.get("cancelled", False)),
        "confirmed": (
            {"at": confirmed.get("ts"), "by": confirmed.get("by"), "text": confirmed.get("text")}
            if confirmed is not None
            else None
        ),
        "output": placeholder(attempt),
    }
