"""`runbook-tui drills [FILE]`: the drill history, newest first, with each verdict."""

from __future__ import annotations

import argparse
import json
import sys

from runbook_tui.cli.common import add_home


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "drills",
        help="list drills (rehearsals) and whether they passed",
        description=(
            "List drill sessions, newest first: when, how long against the RTO, and "
            "whether each passed. FILE lists only the drills of that runbook (matched by "
            "its resolved path). Exit status: 0, or 2 when the state folder cannot be read."
        ),
    )
    p.add_argument("file", nargs="?", metavar="FILE", help="only the drills of this runbook")
    p.add_argument(
        "--json",
        action="store_true",
        help="a JSON list of {session, runbook, title, started_at, duration_seconds, "
        "rto_seconds, passed}",
    )
    add_home(p)
    p.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    from runbook_tui.runbook.display import escape_controls
    from runbook_tui.session.drills import drill_history, span
    from runbook_tui.session.store import state_home

    try:
        records = drill_history(state_home(args.home), args.file)
    except OSError as exc:
        print(f"runbook-tui drills: cannot use the state folder: {exc}", file=sys.stderr)
        return 2
    if args.json:
        json.dump([r.to_dict() for r in records], sys.stdout, indent=2, ensure_ascii=False)
        print()
        return 0
    if not records:
        print(f"{args.file} was never drilled" if args.file else "no drills recorded yet")
        return 0
    print(f"{'SESSION':<24} {'STARTED (UTC)':<17} {'TOOK':>8} {'RTO':>8}  {'RESULT':<10} TITLE")
    for r in records:
        started = (r.started_at or "")[:16].replace("T", " ")
        result = "unfinished" if r.passed is None else ("passed" if r.passed else "FAILED")
        took = span(r.duration_seconds) if r.duration_seconds is not None else "-"
        rto = span(r.rto_seconds) if r.rto_seconds is not None else "-"
        # The title is runbook text (masked when recorded): shown escaped.
        title = escape_controls(r.title)
        print(f"{r.session:<24} {started:<17} {took:>8} {rto:>8}  {result:<10} {title}")
    return 0
