"""The asciicast v2 transcript: the session replayed as a terminal recording, for
`asciinema play` and `asciinema cat` (2.x and 3.x read v2).

One pass over the journal, one event at a time. The first line is the header; then
one `[time, "o", text]` event per recorded output event, at the time its first
character arrived, and a line the tool writes for what happened around the output (a
step's header and command, its verdict, a skip, a note, the switch to rollback, the
end), and a marker `[time, "m", label]` at each step's start, so a player can jump from
step to step. Times come from the journal's own timestamps, with every pause longer
than IDLE_LIMIT seconds (the operator reading, a session paused overnight) shortened to
IDLE_LIMIT. Each event is one JSON line: the file has no blank line (the 2.x player
stops at the first one).

Output is replayed as recorded: raw terminal text, colours and all, but for line ends:
steps run with the pty's LF to CR LF translation off (and `--no-pty` through pipes), so
the journal holds bare LFs; they are written CR LF, as a terminal needs them, so the
replay does not staircase. Text the tool adds has its control characters escaped.
"""

from __future__ import annotations

import json
import os
from typing import Any, BinaryIO

from runbook_tui.export import literals
from runbook_tui.runbook.display import escape_controls
from runbook_tui.session.clock import epoch
from runbook_tui.session.journal import JournalReader

IDLE_LIMIT = 2.0
# The size of the pty steps run in (session/runner.py's default window).
WIDTH, HEIGHT = 80, 24

_BOLD, _DIM, _GREEN, _RED, _YELLOW, _RESET = (
    "\x1b[1m",
    "\x1b[2m",
    "\x1b[32m",
    "\x1b[31m",
    "\x1b[33m",
    "\x1b[0m",
)


def _line(text: str, colour: str = "") -> str:
    body = escape_controls(text)
    return f"{colour}{body}{_RESET}\r\n" if colour else f"{body}\r\n"


class _Clock:
    """Cast time from journal time, with long pauses shortened."""

    def __init__(self) -> None:
        self.last_real: float | None = None
        self.now = 0.0

    def at(self, ts: object) -> float:
        real = epoch(ts) if isinstance(ts, str) else None
        if real is not None:
            if self.last_real is not None:
                self.now += min(max(0.0, real - self.last_real), IDLE_LIMIT)
            self.last_real = real if self.last_real is None else max(real, self.last_real)
        return round(self.now, 6)


def write_asciicast(out: BinaryIO, path: str | os.PathLike[str], *, live: bool = False) -> None:
    """The journal at `path` as an asciicast, written to `out` in UTF-8. `live`: its
    writer holds it now; a session still running ends with a line saying so."""
    clock = _Clock()
    names: dict[str, str] = {}
    header_written = False
    at_line_start = True
    running = False
    t = 0.0

    def emit(t: float, kind: str, data: str) -> None:
        nonlocal at_line_start
        if not data:
            return
        out.write(_json_line([t, kind, data]))
        if kind == "o":
            at_line_start = data.endswith("\n")

    for event in JournalReader(path, output_data="json"):
        kind = event["type"]
        if not header_written:
            out.write(_json_line(_header(event, live)))
            header_written = True
        t = clock.at(event.get("ts"))
        if kind == "output":
            # Copied as the journal holds it, a JSON string already: not decoded.
            literal = event.get("data_json")
            if not isinstance(literal, bytes):
                data = event.get("data")
                if not isinstance(data, str):
                    continue
                literal = json.dumps(data, ensure_ascii=False).encode("utf-8", "backslashreplace")
            literal = literals.crlf(literal)
            if literal != b'""':
                out.write(b'[%r, "o", %s]\n' % (t, literal))
                at_line_start = literal.endswith(b'\\n"')
            continue
        if kind in ("session_started", "session_resumed", "session_ended"):
            running = kind != "session_ended"
        for marker, text in _lines(event, names):
            if marker:
                emit(t, "m", escape_controls(marker))
            emit(t, "o", text if at_line_start else "\r\n" + text)
    if not header_written:
        out.write(_json_line(_header({}, live)))
    elif live and running:
        emit(
            t,
            "o",
            ("" if at_line_start else "\r\n") + _line("# in progress: recorded up to here", _DIM),
        )


def _json_line(value: object) -> bytes:
    return json.dumps(value, ensure_ascii=False).encode("utf-8", "replace") + b"\n"


def _header(first: dict[str, Any], live: bool) -> dict[str, Any]:
    runbook = first.get("runbook") if isinstance(first.get("runbook"), dict) else {}
    title = runbook.get("title") if isinstance(runbook.get("title"), str) else ""
    header: dict[str, Any] = {"version": 2, "width": WIDTH, "height": HEIGHT}
    started = epoch(first.get("started_at") or first.get("ts")) if first else None
    if started is not None:
        header["timestamp"] = int(started)
    session = first.get("session_id")
    header["title"] = escape_controls(
        f"{title or 'runbook-tui session'}"
        + (f" (session {session})" if isinstance(session, str) else "")
        + (" (in progress)" if live else "")
    )
    header["env"] = {"TERM": "xterm-256color", "SHELL": "/bin/bash"}
    return header


def _s(value: object) -> str:
    return value if isinstance(value, str) else ""


def _lines(event: dict[str, Any], names: dict[str, str]) -> list[tuple[str, str]]:
    """(marker label or "", text to write) for a lifecycle event."""
    kind = event["type"]
    step_id = _s(event.get("step_id"))
    if (
        step_id
        and step_id not in names
        and kind in ("step_started", "manual_confirmed", "step_skipped")
    ):
        # As the runbook names it: its name, else the first line of what it says.
        said = _s(event.get("command")) or _s(event.get("text"))
        first = next((ln.strip() for ln in said.splitlines() if ln.strip()), "")
        names[step_id] = _s(event.get("name")) or first or step_id
    name = names.get(step_id) or step_id
    if kind == "session_started":
        what = "drill" if event.get("drill") else "session"
        who = f"{_s(event.get('operator'))}@{_s(event.get('host'))}"
        return [("", _line(f"# runbook-tui {what} {_s(event.get('session_id'))} by {who}", _DIM))]
    if kind == "session_resumed":
        who = f"{_s(event.get('operator'))}@{_s(event.get('host'))}"
        return [("", _line(f"# resumed by {who}", _DIM))]
    if kind == "step_started":
        attempt = event.get("attempt")
        again = f" (attempt {attempt})" if isinstance(attempt, int) and attempt > 1 else ""
        out = _line(f"▶ {name}{again}", _BOLD)
        for i, command_line in enumerate(_s(event.get("command")).splitlines()):
            out += _line(f"{'$' if i == 0 else '>'} {command_line}")
        if event.get("interactive"):
            out += _line("(interactive: its output was not captured)", _DIM)
        return [(f"{name}{again}", out)]
    if kind == "step_finished":
        ok = event.get("verdict") == "succeeded"
        took = event.get("duration_seconds")
        tail = f" ({took:.1f}s)" if isinstance(took, int | float) else ""
        verdict = "succeeded" if ok else "failed"
        reason = _s(event.get("reason"))
        text = f"{'✓' if ok else '✗'} {verdict}{': ' + reason if reason else ''}{tail}"
        return [("", _line(text, _GREEN if ok else _RED))]
    if kind == "step_skipped":
        reason = _s(event.get("reason"))
        return [(f"{name} (skipped)", _line(f"⤼ skipped {name}: {reason}", _YELLOW))]
    if kind == "manual_confirmed":
        who = "--yes" if event.get("by") == "--yes" else "the operator"
        said = _s(event.get("text")).strip()
        what = name if said in ("", name) else f"{name}: {said}"
        return [(name, _line(f"☑ {what} (confirmed by {who})", _GREEN))]
    if kind == "note":
        return [("", _line(f"✎ note: {_s(event.get('text'))}", _YELLOW))]
    if kind == "walk_changed":
        walk = _s(event.get("walk"))
        reason = _s(event.get("reason"))
        return [
            ("", _line(f"↺ switched to the {walk} steps{': ' + reason if reason else ''}", _YELLOW))
        ]
    if kind == "step_interrupted":
        return [("", _line(f"⚠ {name} was interrupted: the process running it stopped", _RED))]
    if kind == "service_changed":
        text = f"● service {_s(event.get('name'))}: {_s(event.get('from'))} → {_s(event.get('to'))}"
        return [("", _line(text, _DIM))]
    if kind in ("commands_allowed", "commands_refused"):
        verb = "allowed" if kind == "commands_allowed" else "refused"
        return [
            (
                "",
                _line(
                    f"# the runbook's check and log commands {verb} ({_s(event.get('by'))})", _DIM
                ),
            )
        ]
    if kind == "session_ended":
        reason = _s(event.get("reason"))
        status = _s(event.get("status")).replace("_", " ")
        return [("", _line(f"# session ended: {status}{': ' + reason if reason else ''}", _DIM))]
    return []
