"""`runbook-tui [FILE]`: open the terminal UI (the only command that imports Textual)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from runbook_tui.cli import startup
from runbook_tui.cli.common import add_home, add_variables, add_workdir
from runbook_tui.runbook.model import Diagnostic, Runbook


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "open",
        help="open a runbook in the terminal UI (the default command)",
        description=(
            "Open FILE in the terminal UI: a guided walk through its steps, recorded as a "
            "session. Without FILE, pick a runbook from ./runbooks/ (or --dir)."
        ),
    )
    p.add_argument("file", nargs="?", help="runbook to open; without it, pick from ./runbooks/")
    p.add_argument("--dir", metavar="DIR", help="folder the picker lists (default ./runbooks)")
    p.add_argument("--drill", action="store_true", help="record this session as a drill")
    add_variables(p)
    add_workdir(p)
    add_home(p)
    p.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    from runbook_tui.cli.common import check_workdir, load_checked
    from runbook_tui.session.store import state_home
    from runbook_tui.session.variables import (
        VariableError,
        check_declared,
        parse_assignments,
        read_vars_file,
    )

    try:
        variables = read_vars_file(args.vars_file) if args.vars_file else {}
        variables.update(parse_assignments(args.var))
    except (VariableError, OSError) as exc:
        print(f"runbook-tui: {exc}", file=sys.stderr)
        return 2
    runbook = None
    warnings: list[Diagnostic] = []
    if args.file:
        result = load_checked(args.file)
        if result is None:
            return 2
        runbook, warnings = result.runbook, result.warnings
        try:
            check_declared(runbook, variables)
        except VariableError as exc:
            print(f"runbook-tui: {exc}", file=sys.stderr)
            return 2
    folder = Path(args.dir) if args.dir else Path("runbooks")
    if runbook is None and not folder.is_dir():
        print(
            f"runbook-tui: no runbook given and no folder {folder}/ to pick from", file=sys.stderr
        )
        return 2
    if not check_workdir(args.workdir, "open"):
        return 2
    return open_app(
        home=state_home(args.home),
        runbook=runbook,
        runbook_dir=folder,
        variables=variables,
        drill=args.drill,
        workdir=Path(args.workdir) if args.workdir else None,
        warnings=warnings,
    )


def open_app(
    *,
    home: Path,
    runbook: Runbook | None,
    runbook_dir: Path,
    variables: dict[str, str] | None = None,
    drill: bool = False,
    workdir: Path | None = None,
    reopen_hint: str | None = None,
    warnings: Sequence[Diagnostic] = (),
) -> int:
    """Run the terminal UI until the operator leaves it; its exit code. The demo opens
    the UI through here too (see RunbookApp for the arguments)."""
    # Textual is imported here and only here, so the other commands start fast.
    from runbook_tui.tui.app import RunbookApp

    app = RunbookApp(
        home=home,
        runbook=runbook,
        runbook_dir=runbook_dir,
        variables=variables,
        drill=drill,
        after_first_frame=startup.ui_done,
        workdir=workdir,
        reopen_hint=reopen_hint,
        warnings=warnings,
    )
    app.run()
    if app.crashed:
        from runbook_tui import applog

        where = applog.current()
        print(
            "runbook-tui: the terminal UI failed"
            + (f"; the details are in the tool's log: {where}" if where else ""),
            file=sys.stderr,
        )
    return int(app.return_code or 0)
