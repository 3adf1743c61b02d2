"""The timeline: one row per thing that happened, in journal order (the order it
happened in), with its UTC time, what happened, by whom, and the result.

Steps starting and ending, retries, confirmations, skips with their reasons, notes, the
switch to the rollback steps, resumes, the session's end, and where the journal has
them, service state changes and evidence snapshots. Events of a type this reader does
not know are left out, as the journal format asks (the JSON transcript keeps them).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from runbook_tui.export.facts import (
    Piece,
    Pieces,
    attempt_result,
    code,
    confirmer,
    seconds_text,
    text,
    utc,
)
from runbook_tui.export.record import Record, StepRecord
from runbook_tui.runbook.display import escape_controls
from runbook_tui.session.clock import epoch
from runbook_tui.session.journal import utc_timestamp

# Commands longer than this (or of several lines) show their start in the timeline;
# the step's section has all of it.
COMMAND_CHARS = 100


@dataclass(frozen=True)
class Row:
    ts: str
    what: Pieces
    by: str
    result: str
    kind: str


def rows(record: Record) -> Iterator[Row]:
    """The rows of the timeline, in journal order."""
    who = "?"
    for event in record.events:
        kind = event["type"]
        ts = utc(event.get("ts"))
        if kind in ("session_started", "session_resumed"):
            who = _str(event.get("operator")) or "?"
        row = _ROWS.get(kind)
        if row is None:
            continue
        made = row(record, event, who)
        if made is not None:
            what, by, result = made
            seen = _seen_at(event.get("at")) if kind == "service_changed" else None
            if seen is not None:
                ts = seen  # when the check saw it, which the event may record later
            yield Row(ts, what, escape_controls(by), escape_controls(result), kind)
    if record.in_progress:
        yield Row(
            utc(record.state.last_ts),
            text("(in progress: recorded up to here)"),
            "",
            "",
            "in_progress",
        )


Made = tuple[Pieces, str, str] | None


def _seen_at(at: object) -> str | None:
    """A `service_changed.at` (ISO text, or seconds since the epoch) as the time column
    shows it; None when it is neither."""
    if isinstance(at, str) and epoch(at) is not None:
        return utc(at)
    if isinstance(at, int | float) and not isinstance(at, bool) and at > 0:
        return utc(utc_timestamp(float(at)))
    return None


def _str(value: object) -> str:
    return value if isinstance(value, str) else ""


def _step_name(record: Record, event: Mapping[str, Any]) -> str:
    step = record.step(event.get("step_id"))
    if step is not None:
        return step_label(step)
    return f"“{_str(event.get('name')) or _str(event.get('step_id')) or '?'}”"


def step_label(step: StepRecord) -> str:
    return f"{step.number} “{step.state.name}”"


def _kind_note(event: Mapping[str, Any]) -> str:
    kind = _str(event.get("kind"))
    if kind == "reference":
        line = event.get("source_line")
        return f" (reference block at line {line})" if isinstance(line, int) else " (reference)"
    if kind == "adhoc":
        return " (ad-hoc command)"
    return "" if kind in ("", "shell", "manual") else f" ({kind})"


def short_command(command: str) -> str:
    lines = [ln for ln in command.splitlines() if ln.strip()]
    first = lines[0].strip() if lines else ""
    if len(first) > COMMAND_CHARS:
        return first[: COMMAND_CHARS - 1] + "…"
    return first + (" …" if len(lines) > 1 else "")


def _session_started(record: Record, event: Mapping[str, Any], who: str) -> Made:
    walk = _str(event.get("walk")) or "main"
    what = "Drill started" if event.get("drill") else "Session started"
    host = _str(event.get("host"))
    return text(f"{what} ({walk} walk)"), f"{who} on {host}" if host else who, ""


def _session_resumed(record: Record, event: Mapping[str, Any], who: str) -> Made:
    parts = ["Session resumed"]
    if event.get("runbook_changed"):
        parts.append(", the runbook file changed since the start (--allow-changed)")
    given = event.get("variables")
    if isinstance(given, Mapping) and given:
        parts.append(f"; values given again: {', '.join(str(k) for k in given)}")
    host = _str(event.get("host"))
    return text("".join(parts)), f"{who} on {host}" if host else who, ""


def _step_started(record: Record, event: Mapping[str, Any], who: str) -> Made:
    attempt = event.get("attempt")
    name = _step_name(record, event)
    verb = (
        f"Retried step {name} (attempt {attempt})"
        if isinstance(attempt, int) and attempt > 1
        else f"Started step {name}"
    )
    pieces: Pieces = text(verb + _kind_note(event))
    command = _str(event.get("command"))
    if command.strip():
        pieces = (*pieces, *text(": "), code(short_command(command)))
    if event.get("interactive"):
        pieces = (*pieces, *text(" (interactive: its output was not captured)"))
    return pieces, confirmer(event.get("confirmed_by"), who), ""


def _step_finished(record: Record, event: Mapping[str, Any], who: str) -> Made:
    step = record.step(event.get("step_id"))
    attempt = event.get("attempt")
    name = _step_name(record, event)
    result = ""
    if step is not None:
        rec = next((a for a in step.attempts if a.attempt == attempt), None)
        if rec is not None:
            result = attempt_result(rec, record)
    if not result:
        took = event.get("duration_seconds")
        took_text = seconds_text(took) if isinstance(took, int | float) else ""
        result = f"{_str(event.get('verdict'))} {took_text}".strip()
    by = who if event.get("cancelled") else ""
    return text(f"Step {name} ended"), by, result


def _step_skipped(record: Record, event: Mapping[str, Any], who: str) -> Made:
    reason = _str(event.get("reason")) or "no reason given"
    verb = "Passed by" if event.get("kind") == "reference" else "Skipped"
    what = f"{verb} step {_step_name(record, event)}{_kind_note(event)}: {reason}"
    return text(what), who, "skipped"


def _manual_confirmed(record: Record, event: Mapping[str, Any], who: str) -> Made:
    verb = "Marked done by hand:" if event.get("kind") == "reference" else "Confirmed"
    what: Pieces = text(f"{verb} step {_step_name(record, event)}{_kind_note(event)}")
    done = _str(event.get("text")).strip()
    step = record.step(event.get("step_id"))
    if done and (step is None or short_command(done) != step.state.name):
        what = (*what, *text(": ", short_command(done)))
    by = _str(event.get("by"))
    return what, confirmer("--yes", who) if by == "--yes" else who, "✓ done"


def _note(record: Record, event: Mapping[str, Any], who: str) -> Made:
    about = record.step(event.get("step_id"))
    where = f" (on step {step_label(about)})" if about is not None else ""
    return text(f"Note{where}: {_str(event.get('text'))}"), who, ""


def _walk_changed(record: Record, event: Mapping[str, Any], who: str) -> Made:
    walk = _str(event.get("walk"))
    what = (
        "Switched to the rollback steps"
        if walk == "rollback"
        else f"Switched to the {walk or '?'} steps"
    )
    reason = _str(event.get("reason"))
    return text(what + (f": {reason}" if reason else "")), who, ""


def _step_interrupted(record: Record, event: Mapping[str, Any], who: str) -> Made:
    return (
        text(
            f"Step {_step_name(record, event)} was found interrupted (attempt "
            f"{event.get('attempt')}): the process running it had stopped"
        ),
        "",
        "⚠ interrupted",
    )


def _session_ended(record: Record, event: Mapping[str, Any], who: str) -> Made:
    status = _str(event.get("status")) or "?"
    reason = _str(event.get("reason"))
    result = status.replace("_", " ")
    drill = event.get("drill")
    if isinstance(drill, Mapping) and "passed" in drill:
        passed = drill.get("passed")
        result += "; drill " + (
            "passed" if passed is True else "failed" if passed is False else "unfinished"
        )
    return text("Session ended" + (f": {reason}" if reason else "")), who, result


def _service_changed(record: Record, event: Mapping[str, Any], who: str) -> Made:
    name = _str(event.get("name")) or "?"
    old, new = _str(event.get("from")) or "?", _str(event.get("to")) or "?"
    detail = _str(event.get("detail"))
    what = f"Service {name}: {old} → {new}" + (f" ({detail})" if detail else "")
    return text(what), "service check", new


def _evidence(record: Record, event: Mapping[str, Any], who: str) -> Made:
    at = {"step_start": "at the start of", "step_end": "at the end of"}.get(
        _str(event.get("at")), "at"
    )
    step = record.step(event.get("step_id"))
    where = f" {at} step {step_label(step)}" if step is not None else ""
    parts = []
    services = event.get("services")
    if isinstance(services, Mapping) and services:
        parts.append("services " + ", ".join(f"{k} {_state(v)}" for k, v in services.items()))
    backups = event.get("backups")
    if isinstance(backups, Mapping) and backups:
        parts.append("backups " + ", ".join(f"{k} {_backup(v)}" for k, v in backups.items()))
    logs = event.get("logs")
    if isinstance(logs, Mapping) and logs:
        parts.append("logs " + ", ".join(f"{k} {_errors(v)}" for k, v in logs.items()))
    body = "; ".join(parts) or "nothing recorded"
    return text(f"Evidence{where}: {body}"), "evidence snapshot", ""


def _state(value: object) -> str:
    if isinstance(value, Mapping):
        return _str(value.get("state")) or "?"
    return str(value)


def _backup(value: object) -> str:
    if not isinstance(value, Mapping):
        return str(value)
    state = _str(value.get("state")) or "?"
    age = value.get("age_seconds")
    if isinstance(age, int | float) and not isinstance(age, bool):
        return f"{state} ({seconds_text(float(age))} old)"
    return state


def _errors(value: object) -> str:
    if isinstance(value, list):
        value = len(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value} error line{'s' if value != 1 else ''}"
    return str(value)


def _commands(record: Record, event: Mapping[str, Any], who: str) -> Made:
    """The answer about the commands the runbook's checks and logs run (consent)."""
    allowed = event["type"] == "commands_allowed"
    listed: list[Piece] = []
    commands = event.get("commands")
    for item in commands if isinstance(commands, list) else []:
        if not isinstance(item, Mapping):
            continue
        listed += [
            *text("; " if listed else "", f"{_str(item.get('kind'))} {_str(item.get('name'))}: "),
            code(short_command(_str(item.get("command")))),
        ]
    verb = "Allowed" if allowed else "Refused"
    what: Pieces = (*text(f"{verb} the commands the runbook's checks and logs run"),)
    if listed:
        what = (*what, *text(" ("), *listed, *text(")"))
    by = _str(event.get("by"))
    person = _str(event.get("operator")) or who
    if by == "trust":
        since = utc(event.get("trusted_at"))
        trusted_by = _str(event.get("trusted_by"))
        by_text = f"{person} (allowed before, on {since} UTC by {trusted_by})"
    else:
        by_text = confirmer(by if by == "--yes" else None, person)
    return what, by_text, "allowed" if allowed else "refused"


_ROWS = {
    "session_started": _session_started,
    "session_resumed": _session_resumed,
    "step_started": _step_started,
    "step_finished": _step_finished,
    "step_skipped": _step_skipped,
    "manual_confirmed": _manual_confirmed,
    "note": _note,
    "walk_changed": _walk_changed,
    "step_interrupted": _step_interrupted,
    "session_ended": _session_ended,
    "service_changed": _service_changed,
    "evidence": _evidence,
    "commands_allowed": _commands,
    "commands_refused": _commands,
}
