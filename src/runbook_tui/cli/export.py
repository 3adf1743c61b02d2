"""`runbook-tui export ID`: a session's transcript, for the postmortem (docs/transcripts.md)."""

from __future__ import annotations

import argparse
import sys

from runbook_tui.cli.common import add_home

# As in export/transcript.py (not imported here: `--help` should not load the exporters).
FORMATS = ("markdown", "json", "asciicast", "html")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "export",
        help="a session's transcript: markdown, json, asciicast or html",
        description=(
            "Write the transcript of a session: markdown (a postmortem draft), json "
            "(everything), asciicast (a replay for asciinema) or html (one page). A "
            "running session exports what is recorded so far, marked as in progress."
        ),
    )
    p.add_argument("id", metavar="ID", help="session id (a unique prefix is enough)")
    p.add_argument(
        "--format",
        choices=FORMATS,
        default="markdown",
        help="the transcript's format (default: markdown)",
    )
    p.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        help="write to FILE (a folder: ID.md, .json, .cast or .html in it) and print "
        "where it went; default: standard output",
    )
    add_home(p)
    p.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    from runbook_tui.export.transcript import save_transcript, write_transcript
    from runbook_tui.session.store import SessionError, find_session, state_home

    try:
        session = find_session(state_home(args.home), args.id)
    except (SessionError, OSError) as exc:
        print(f"runbook-tui export: {exc}", file=sys.stderr)
        return 2
    if args.output is None:
        sys.stdout.flush()
        try:
            write_transcript(sys.stdout.buffer, session, args.format)
            sys.stdout.buffer.flush()
        except OSError as exc:
            if isinstance(exc, BrokenPipeError):
                raise
            print(f"runbook-tui export: cannot read the journal: {exc}", file=sys.stderr)
            return 1
        return 0
    try:
        where = save_transcript(session, args.format, args.output)
    except OSError as exc:
        if exc.filename is not None and str(exc.filename) == str(session.journal_path):
            print(f"runbook-tui export: cannot read the journal: {exc}", file=sys.stderr)
            return 1
        why = exc.strerror or exc
        print(f"runbook-tui export: cannot write {args.output}: {why}", file=sys.stderr)
        return 2
    print(where)
    return 0
