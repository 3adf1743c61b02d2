"""`runbook-tui resume ID`: continue a session where it stopped."""

from __future__ import annotations

import argparse
import sys

from runbook_tui.cli.common import add_walk_options


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "resume",
        help="continue a session without the UI",
        description=(
            "Continue session ID: finished steps stay finished and are not run again; a "
            "step that was running when its process died is shown as interrupted and run "
            "again as a new attempt after confirmation (or with --yes). Secret variables "
            "are not recorded, so they must be given again (--var, --vars-file or from_env). "
            "Exit codes as for `run`."
        ),
    )
    p.add_argument("id", help="session id (a unique prefix is enough)")
    p.add_argument(
        "--allow-changed",
        action="store_true",
        help="continue even though the runbook file changed since the session started",
    )
    add_walk_options(
        p, yes_help="do not ask before each step; the runbook's command checks and logs run"
    )
    p.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    from runbook_tui.cli.common import load_runbook
    from runbook_tui.cli.headless import (
        gather_variables,
        install_signal_handlers,
        parse_fills,
        walk,
    )
    from runbook_tui.session.engine import Engine, EngineError
    from runbook_tui.session.journal import JournalError, read_journal
    from runbook_tui.session.plan import Plan
    from runbook_tui.session.state import fold
    from runbook_tui.session.store import SessionError, find_session, state_home

    install_signal_handlers()
    if not args.yes and not sys.stdin.isatty():
        print("runbook-tui resume: no terminal to ask on; pass --yes", file=sys.stderr)
        return 2
    try:
        sdir = find_session(state_home(args.home), args.id)
    except (SessionError, OSError) as exc:
        print(f"runbook-tui resume: {exc}", file=sys.stderr)
        return 2
    # Output is not needed to find the runbook and the recorded values: leave it out.
    state = fold(read_journal(sdir.journal_path, skip_output=True).events)
    path = state.runbook_path
    if not path:
        print(
            f"runbook-tui resume: session {sdir.id} has no readable start record "
            f"({sdir.journal_path}); it cannot be resumed",
            file=sys.stderr,
        )
        return 2
    runbook = load_runbook(path, "resume")
    if runbook is None:
        return 2
    if args.rollback and not runbook.rollback_steps:
        print(f"runbook-tui resume: {path} has no rollback steps", file=sys.stderr)
        return 2
    plan = Plan(runbook, state, walk="rollback" if args.rollback else None)
    fills = parse_fills(args.fill)
    if fills is None:
        return 2
    values = gather_variables(
        runbook,
        args,
        interactive=not args.yes,
        recorded=state.variables,
        needed=plan.needed_variables(),
    )
    if values is None:
        return 2
    try:
        engine = Engine.resume(
            args.home,
            sdir.id,
            runbook,
            variables=values,
            allow_changed=args.allow_changed,
            walk="rollback" if args.rollback else None,
            use_pty=not args.no_pty,
        )
    except (EngineError, JournalError, SessionError, OSError) as exc:
        print(f"runbook-tui resume: {exc}", file=sys.stderr)
        return 2
    return walk(engine, yes=args.yes, resumed=True, fills=fills)
