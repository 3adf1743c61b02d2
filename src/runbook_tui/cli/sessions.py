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
    if not args.json:
        _print_show(sdir.journal_path, runbook, is_live(sdir.path))
        return 0
    read = fold_journal(sdir.journal_path, runbook=runbook, live=is_live(sdir.path))
    write_session_json(
        sys.stdout,
        read.state,
        sdir.journal_path,
        extra={"journal": str(sdir.journal_path), "journal_torn": read.torn},
        include_output=not args.no_output,
        indent=2,
    )
    print()
    return 0


def _print_show(journal: Any, runbook: Any, live: bool) -> None:
    """The session for a reader: what it is, its steps (with skip reasons and who
    confirmed), and everything that happened in time order (the transcript's
    timeline, export/timeline.py), notes where they were written."""
    from runbook_tui.export.facts import plain_text
    from runbook_tui.export.record import read_record
    from runbook_tui.export.timeline import rows
    from runbook_tui.runbook.display import escape_controls as esc

    record = read_record(journal, runbook, live=live)
    st = record.state
    print(f"{esc(st.title or '')}  [{st.status}]{'  (drill)' if st.drill else ''}")
    print(f"session {st.id}  by {esc(st.operator or '')} on {esc(st.host or '')}")
    print(f"started {st.started_at}  ended {st.ended_at or '-'}")
    if st.end_reason:
        print(f"end reason: {esc(st.end_reason)}")
    torn = "  (its torn last line was left out)" if record.torn else ""
    print(f"journal {journal}{torn}")
    print("steps:")
    off_plan = []
    for step in record.steps:
        s = step.state
        if s.kind in ("reference", "adhoc"):
            off_plan.append(s.to_dict(include_output=False))
            continue
        exit_code = f" exit {s.exit_code}" if s.exit_code is not None else ""
        tries = f" ({s.attempts} attempts)" if s.attempts > 1 else ""
        how = ""
        if s.status == "skipped":
            how = f"  reason: {esc(s.skip_reason or '')}"
        elif step.attempts:
            last = step.attempts[-1]
            if last.confirmed is not None:
                by = last.confirmed.get("by")
                who = "--yes" if by == "--yes" else esc(last.operator or "the operator")
                how = f"  confirmed by {who}"
            elif last.started is not None and last.started.get("confirmed_by"):
                how = f"  allowed by {esc(str(last.started['confirmed_by']))}"
        name = f"  “{esc(s.name)}”" if s.name != s.id else ""
        print(f"  {s.status:<12} {esc(s.id)}{name}{exit_code}{tries}{how}")
    if off_plan:
        # In the order they last happened: the transcript of what was run off the plan.
        print("off the runbook's steps (reference blocks and ad-hoc commands):")
        off_plan.sort(key=lambda d: d["finished_at"] or d["started_at"] or "")
        for done in off_plan:
            print("  " + _off_plan_line(done))
    print("events:")
    for row in rows(record):
        by = f"  [{row.by}]" if row.by else ""
        result = f"  → {row.result}" if row.result else ""
        print(f"  {row.ts}  {plain_text(row.what)}{by}{result}")
    # Last, as `sessions show` has listed them since the sources recorded them.
    _print_service_changes(record.state)


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


def _print_service_changes(state: Any) -> None:
    """Each recorded change of a service's state, in time order (when the check saw
    it), with control characters escaped (the detail is what a check printed)."""
    from runbook_tui.runbook.display import escape_controls as esc

    if not state.service_changes:
        return
    print("service changes:")
    for change in sorted(state.service_changes, key=lambda c: c.at):
        detail = f"  ({esc(change.detail)})" if change.detail else ""
        went = f"{esc(change.from_state)} → {esc(change.to_state)}"
        print(f"  {change.at}  {esc(change.name)}: {went}{detail}")


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
