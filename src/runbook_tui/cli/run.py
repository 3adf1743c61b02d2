"""`runbook-tui run FILE`: walk a runbook without the UI, recording everything."""

from __future__ import annotations

import argparse
import sys

from runbook_tui.cli.common import add_walk_options, add_workdir


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "run",
        help="run a runbook's steps without the UI, recording a session",
        description=(
            "Run the main walk of FILE in order, printing each step, its live output and "
            "its verdict, and recording everything in a session journal. Stops at the "
            "first failed step. Code blocks that are not steps are listed as shown only. "
            "Exit codes: 0 all steps succeeded, 1 a step failed, 2 usage or validation "
            "error, a runbook with no steps, or a placeholder without a value (--fill), "
            "130 interrupted."
        ),
    )
    p.add_argument("file", help="the runbook (markdown)")
    p.add_argument("--drill", action="store_true", help="record this session as a drill")
    add_walk_options(
        p,
        yes_help=(
            "do not ask before each step; manual steps are recorded as confirmed; the "
            "runbook's command checks and logs run"
        ),
    )
    add_workdir(p)
    p.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    from runbook_tui.cli.common import check_workdir, load_runbook
    from runbook_tui.cli.headless import (
        gather_variables,
        install_signal_handlers,
        nothing_to_run,
        parse_fills,
        walk,
    )
    from runbook_tui.session.engine import Engine, EngineError
    from runbook_tui.session.journal import JournalError
    from runbook_tui.session.store import SessionError

    install_signal_handlers()
    if not args.yes and not sys.stdin.isatty():
        print(
            "runbook-tui run: no terminal to ask on; pass --yes to run every step without asking",
            file=sys.stderr,
        )
        return 2
    runbook = load_runbook(args.file, "run")
    if runbook is None or not check_workdir(args.workdir, "run"):
        return 2
    if args.rollback and not runbook.rollback_steps:
        print(f"runbook-tui run: {args.file} has no rollback steps", file=sys.stderr)
        return 2
    empty = nothing_to_run(runbook, args.rollback)
    if empty is not None:
        print(f"runbook-tui run: nothing to run in {args.file}: {empty}", file=sys.stderr)
        return 2
    fills = parse_fills(args.fill)
    if fills is None:
        return 2
    values = gather_variables(runbook, args, interactive=not args.yes)
    if values is None:
        return 2
    try:
        engine = Engine.start(
            runbook,
            home=args.home,
            variables=values,
            drill=args.drill,
            walk="rollback" if args.rollback else "main",
            use_pty=not args.no_pty,
            workdir=args.workdir,
        )
    except (EngineError, JournalError, SessionError, OSError) as exc:
        print(f"runbook-tui run: {exc}", file=sys.stderr)
        return 2
    return walk(engine, yes=args.yes, fills=fills)
