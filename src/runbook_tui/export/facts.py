"""The facts a transcript states, as text any format can render: times, durations, the
outcome, a drill's verdict, a step's result, and the header of the document.

Text is made of pieces, ("text", s) or ("code", s) (a command, a path, a value), so
markdown can put code in backticks and HTML in <code> without either parsing the other.
Journal text is shown with its control characters escaped.
"""

from __future__ import annotations

from typing import Any

from runbook_tui.export.record import AttemptRecord, Record, StepRecord
from runbook_tui.runbook.display import escape_controls
from runbook_tui.runbook.durations import format_duration
from runbook_tui.session.clock import epoch, open_seconds

Piece = tuple[str, str]
Pieces = tuple[Piece, ...]


def text(*parts: str) -> Pieces:
    return tuple(("text", escape_controls(p)) for p in parts if p)


def code(value: str) -> Piece:
    return ("code", escape_controls(value))


def plain_text(pieces: Pieces) -> str:
    """The pieces as one line of plain text (code as it is)."""
    return "".join(p for _kind, p in pieces)


def utc(ts: object) -> str:
    """A journal timestamp (`2026-11-26T14:15:00.123Z`) as `2026-11-26 14:15:00`."""
    if not isinstance(ts, str) or not ts:
        return ""
    return escape_controls(ts[:19].replace("T", " "))


def seconds_text(seconds: float | None) -> str:
    """`0.3s`, `12.5s` below a minute, then `4m05s`, `1h02m`."""
    if seconds is None:
        return ""
    if seconds < 59.95:
        return f"{seconds:.1f}s"
    return format_duration(seconds)


def session_seconds(record: Record) -> float | None:
    """From the start to the end (or the last event, in progress)."""
    st = record.state
    begin = epoch(st.started_at)
    end = epoch(st.ended_at or st.last_ts)
    return max(0.0, end - begin) if begin is not None and end is not None else None


def open_time(record: Record) -> float:
    """How long processes had the session open (the pauses between them left out)."""
    st = record.state
    end = epoch(st.last_ts) or 0.0
    return open_seconds([(s[0] or "", s[1]) for s in st.segments], end)


def outcome(record: Record) -> Pieces:
    st = record.state
    if record.in_progress:
        return text(f"in progress (recorded up to {utc(st.last_ts)} UTC)")
    reason = f": {st.end_reason}" if st.end_reason else ""
    return text(f"{st.status.replace('_', ' ')}{reason}")


def drill_verdict(record: Record) -> Pieces | None:
    """For a drill: passed or failed against its RTO, as `session_ended` recorded it."""
    if not record.state.drill:
        return None
    verdict = record.drill
    if verdict is None:
        return text(
            "a drill; " + ("not finished yet" if record.in_progress else "no verdict recorded")
        )
    passed = verdict.get("passed")
    word = "passed" if passed is True else "failed" if passed is False else "unfinished"
    took = _number(verdict.get("duration_seconds"))
    rto = _number(verdict.get("rto_seconds"))
    detail = ""
    if took is not None and rto is not None:
        side = "within" if took <= rto else "over"
        detail = f"{seconds_text(took)} running, {side} its RTO of {seconds_text(rto)}"
    elif took is not None:
        detail = f"{seconds_text(took)} running, no RTO set"
    return text(word + (f": {detail}" if detail else ""))


def _number(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def attempt_result(attempt: AttemptRecord, record: Record) -> str:
    """`✓ succeeded: exit 0 (0.3s)`, `✗ failed: exit 1, expected 0 (1.2s)`, `✓ done`…"""
    if attempt.confirmed is not None:
        return "✓ done"
    end = attempt.finished
    if end is not None:
        verdict = (
            end.get("verdict")
            if end.get("verdict") in ("succeeded", "failed")
            else ("succeeded" if end.get("exit_code") == 0 else "failed")
        )
        mark = "✓" if verdict == "succeeded" else "✗"
        reason = end.get("reason")
        took = _number(end.get("duration_seconds"))
        tail = f" ({seconds_text(took)})" if took is not None else ""
        why = f": {reason}" if isinstance(reason, str) and reason else ""
        return escape_controls(f"{mark} {verdict}{why}{tail}")
    if attempt.interrupted_at is not None:
        return "⚠ interrupted: its process stopped before it ended"
    if record.in_progress:
        return "… running"
    return "⚠ interrupted: no end was recorded"


def step_status(step: StepRecord) -> str:
    st = step.state
    if st.status == "skipped":
        return f"skipped: {escape_controls(st.skip_reason or '')}".rstrip(": ")
    return st.status


def confirmer(confirmed_by: object, who: str) -> str:
    """Who allowed a step, as the journal's `confirmed_by` / `by` says."""
    how = {
        "operator": "confirmed",
        "phrase": "typed the danger phrase",
        "--yes": "--yes",
    }.get(confirmed_by if isinstance(confirmed_by, str) else "")
    return f"{who} ({how})" if how else who


def header(record: Record, tool_version: str) -> list[tuple[str, Pieces]]:
    """The facts at the top of a transcript, in order: (label, value)."""
    st = record.state
    rows: list[tuple[str, Pieces]] = [
        ("Runbook", (*text(st.title or "(untitled)", " "), code(st.runbook_path or "?"))),
        ("Runbook sha256", (code(st.runbook_sha256),) if st.runbook_sha256 else text("unknown")),
        (
            "Git commit",
            (code(st.runbook_git_commit),)
            if st.runbook_git_commit
            else text("not in a git repository (or unknown)"),
        ),
        ("Recorded by", text(f"runbook-tui {st.tool_version or '?'}")),
        ("Exported by", text(f"runbook-tui {tool_version}")),
        ("Session", (code(st.id or "?"),)),
        ("Operator", text(_people(record))),
        ("Host", text(_hosts(record))),
        ("Started", text(f"{utc(st.started_at)} UTC")),
        (
            "Ended",
            text(
                f"{utc(st.ended_at)} UTC"
                if st.ended_at
                else "not yet"
                if record.in_progress
                else "never: its process stopped first"
            ),
        ),
        ("Duration", text(_duration(record))),
        ("Outcome", outcome(record)),
    ]
    if st.kind:
        rows.insert(1, ("Kind", text(st.kind)))
    verdict = drill_verdict(record)
    if verdict is not None:
        rows.append(("Drill", verdict))
    if record.torn:
        rows.append(
            (
                "Journal",
                text("its last line was cut off (a crash, or being written) and is left out"),
            )
        )
    return rows


def _duration(record: Record) -> str:
    total = session_seconds(record)
    if total is None:
        return "unknown"
    sittings = len(record.state.segments)
    if sittings > 1:
        opened = seconds_text(open_time(record))
        return f"{seconds_text(total)} (open {opened} over {sittings} sittings)"
    return seconds_text(total)


def _people(record: Record) -> str:
    st = record.state
    names = [st.operator or "?"]
    for r in st.resumes:
        who = r.get("operator")
        if isinstance(who, str) and who not in names:
            names.append(who)
    return names[0] + (f" (resumed by {', '.join(names[1:])})" if len(names) > 1 else "")


def _hosts(record: Record) -> str:
    st = record.state
    hosts = [st.host or "?"]
    for r in st.resumes:
        host = r.get("host")
        if isinstance(host, str) and host not in hosts:
            hosts.append(host)
    return ", ".join(hosts)


def variables(record: Record) -> list[tuple[str, str]]:
    """(name, value) as recorded: secret values are `********` in the journal."""
    out = []
    for name, value in record.state.variables.items():
        shown = value if isinstance(value, str) else _json(value)
        out.append((escape_controls(str(name)), escape_controls(shown)))
    return out


def _json(value: Any) -> str:
    import json

    return json.dumps(value, ensure_ascii=False)
