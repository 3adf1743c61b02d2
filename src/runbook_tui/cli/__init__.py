"""Command-line entry point. Each subcommand lives in its own module and imports its
heavy dependencies inside its handler, so `check`, `show`, `run` and `status` never load Textual."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from runbook_tui import __version__
from runbook_tui.cli import (
    check,
    demo,
    drills,
    export,
    open_ui,
    resume,
    run,
    sessions,
    show,
    startup,
    status,
)
from runbook_tui.cli.common import start_log

COMMANDS = (check, show, run, sessions, drills, resume, status, export, demo, open_ui)
SUBCOMMANDS = {
    "check", "show", "run", "sessions", "drills", "resume", "status", "export", "demo", "open"
}  # fmt: skip
TOP_LEVEL_FLAGS = {"-h", "--help", "--version"}
DEBUG_HELP = "write everything the tool does to its log, not only warnings and errors"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="runbook-tui",
        description=(
            "Turn markdown runbooks into a guided, recorded procedure.\n\n"
            "  runbook-tui FILE          open FILE in the terminal UI\n"
            "  runbook-tui               pick a runbook from ./runbooks/"
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"runbook-tui {__version__}")
    parser.add_argument("--debug", action="store_true", help=DEBUG_HELP)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in COMMANDS:
        module.register(sub)
    return parser


def route(argv: list[str]) -> list[str]:
    """`runbook-tui FILE`, `runbook-tui --drill FILE` and bare `runbook-tui` mean `open`
    (after a leading `--debug` too)."""
    if argv[:1] == ["--debug"]:
        return ["--debug", *route(argv[1:])]
    if not argv or argv[0] not in SUBCOMMANDS | TOP_LEVEL_FLAGS:
        return ["open", *argv]
    return argv


def main(argv: Sequence[str] | None = None) -> int:
    startup.begin()
    try:
        return _main(argv)
    finally:
        startup.done()


def _main(argv: Sequence[str] | None) -> int:
    args_list = route(list(sys.argv[1:] if argv is None else argv))
    parser = build_parser()
    args = parser.parse_args(args_list)
    if args.command is None:
        parser.print_help()
        return 2
    # A command may start the log itself, once it knows it has work (`status`).
    if hasattr(args, "home") and not getattr(args, "defer_log", False) and not start_log(args):
        return 2
    if args.command != "open":  # the UI ends start-up after its first frame
        startup.done()
    try:
        return int(args.handler(args))
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:
        import logging  # only here and in start_log: `check` should not pay for it

        from runbook_tui import applog

        logging.getLogger("runbook_tui").exception("unexpected error in %s", args.command)
        if args.debug:
            raise
        where = applog.current()
        print(
            f"runbook-tui {args.command}: unexpected error: {type(exc).__name__}: {exc}"
            + (f"\n  the details are in the tool's log: {where}" if where else ""),
            file=sys.stderr,
        )
        return 1
