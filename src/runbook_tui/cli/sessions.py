"""`runbook-tui sessions [show ID]`: what was run, when, by whom, and how it ended."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from runbook_tui.cli.common import add_home

# Two forms, written out: argparse's own usage ("[--home DIR] show ...") reads as if
# `show` were required, when `sessions` alone is the list.
USAGE = """%(prog)s [-h] [--json] [--home DIR]
       %(prog)s show [-h] [--json] [--no-output] [--home DIR] ID"""


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "sessions",
        help="list recorded sessions, or show one",
        usage=USAGE,
        description="List sessions, newest first. `sessions show ID` folds one journal.",
    )
    p.add_argument("--json", action="store_true", help="machine-readable output")
    add_home(p)
    p.set_defaults(handler=handle_list)
    # prog given: argparse would build the subcommand's from USAGE, both lines of it.
    inner = p.add_subparsers(
        dest="sessions_command", title="commands (optional)", metavar="show ID", prog=p.prog
    )
    show = inner.add_parser("show", help="one session, folded from its journal")
    show.add_argument("id", metavar="ID", help="session id (a unique prefix is enough)")
    show.add_argument("--json", action="store_true", help="machine-readable output")
    show.add_argument("--no-output", action="store_true", help="leave out the steps' output text")
    add_home(show)
    show.set_defaults(handler=handle_show)


def handle_list(args: argparse.Namespace) -> int:
    from runbook_tui.runbook.display import escape_controls
    from runbook_tui.session.store import list_sessions, state_home

    try:
        sessions = list_sessions(state_home(args.home))
    except OSError as exc:
        print(f"runbook-tui sessions: cannot use the state folder: {exc}", file=sys.stderr)
        return 2
    if args.json:
        json.dump([s.to_dict() for s in sessions], sys.stdout, indent=2)
        print()
        return 0
    if not sessions:
        print("no sessions recorded yet")
        return 0
    print(f"{'ID':<24} {'STATUS':<12} {'STARTED':<20} {'OPERATOR':<10} TITLE")
    for s in sessions:
        started = (s.started_at or "")[:19].replace("T", " ")
        drill = " (drill)" if s.drill else ""
        line = f"{s.id:<24} {s.status:<12} {started:<20} {s.operator or '':<10} {s.title}{drill}"
        print(escape_controls(line))  # the title is the runbook's text
    return 0


def handle_show(args: argparse.Namespace) -> int:
    from runbook_tui.runbook.display import escape_controls
    from runbook_tui.session.journal import read_first_event
    from runbook_tui.session.readback import fold_journal, write_session_json
    from runbook_tui.session.store import SessionError, find_session, is_live, state_home

    try:
        sdir = find_session(state_home(args.home), args.id)
    except (SessionError, OSError) as exc:
        print(f"runbook-tui sessions show: {exc}", file=sys.stderr)
        return 2
    # Streamed: the fold keeps where each step's output is, not the text, and --json
    # writes the text from the journal as it goes (session/readback.py).
    runbook = _recorded_runbook(read_first_event(sdir.journal_path))
    read = fold_journal(sdir.journal_path, runbook=runbook, live=is_live(sdir.path))
    state = read.state
    extra = {"journal": str(sdir.journal_path), "journal_torn": read.torn}
    if args.json:
        write_session_json(
            sys.stdout,
            state,
            sdir.journal_path,
            extra=extra,
            include_output=not args.no_output,
            indent=2,
        )
        print()
        return 0
    doc = {**state.to_dict(include_output=False), **extra}
    # Titles, step ids and notes are runbook (or operator) text: shown escaped.
    lines = [
        f"{doc['title']}  [{doc['status']}]{'  (drill)' if doc['drill'] else ''}",
        f"session {doc['id']}  by {doc['operator']} on {doc['host']}",
        f"started {doc['started_at']}  ended {doc['ended_at'] or '-'}",
        f"journal {doc['journal']}",
    ]
    off_plan = []
    for st in doc["steps"]:
        if st["kind"] in ("reference", "adhoc"):
            off_plan.append(st)
            continue
        extra = f" exit {st['exit_code']}" if st["exit_code"] is not None else ""
        tries = f" ({st['attempts']} attempts)" if st["attempts"] > 1 else ""
        lines.append(f"  {st['status']:<12} {st['id']}{extra}{tries}")
    if off_plan:
        # In the order they last happened: the transcript of what was run off the plan.
        lines.append("off the runbook's steps (reference blocks and ad-hoc commands):")
        off_plan.sort(key=lambda st: st["finished_at"] or st["started_at"] or "")
        lines += ["  " + _off_plan_line(st) for st in off_plan]
    for note in doc["notes"]:
        lines.append(f"  note {note.get('ts', '')}: {note.get('text', '')}")
    print(escape_controls("\n".join(lines)))
    return 0


def _off_plan_line(st: dict[str, Any]) -> str:
    """A reference block run, marked or passed by, or an ad-hoc command, on one line
    (journal text: masked when written, control characters escaped here)."""
    from runbook_tui.runbook.display import escape_controls

    status = st["status"]
    text = st["command"]
    if status == "skipped":
        status, text = "passed by", st["written"]
    elif status == "succeeded" and st["confirmed_at"]:
        status, text = "done by hand", st["written"]
    where = f"block at line {st['source_line']}" if st["kind"] == "reference" else "ad-hoc"
    extra = f" exit {st['exit_code']}" if st["exit_code"] is not None else ""
    lines = (text or "").strip().splitlines()
    shown = f": {lines[0]}{' …' if len(lines) > 1 else ''}" if lines else ""
    return escape_controls(f"{status:<12} {st['id']} ({where}){extra}{shown}")


def _recorded_runbook(first: dict[str, Any] | None) -> Any:
    """The runbook the session ran (`first`: the journal's first event), when it is
    still there and parses, so steps not yet reached are listed as pending; otherwise
    the journal alone tells the steps."""
    from runbook_tui.runbook.parser import load

    recorded = first.get("runbook") if first else None
    path = recorded.get("path") if isinstance(recorded, dict) else None
    if not path:
        return None
    try:
        result = load(path)
    except OSError:
        return None
    if any(d.severity == "error" for d in result.diagnostics):
        return None
    return result.runbook
