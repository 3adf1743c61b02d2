"""Command-line entry point. Each subcommand lives in its own module and imports its
heavy dependencies inside its handler, so `check`, `show`, `run` and `status` never load Textual."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from importlib import import_module

from runbook_tui import __version__
from runbook_tui.cli import startup
from runbook_tui.cli.common import start_log

# Each subcommand's module, in the order `--help` lists them. Only the module of the
# command that runs is imported and registered (all of them for `--help`): a command
# does not pay for the other nine's imports and arguments.
COMMAND_MODULES = {
    "check": "runbook_tui.cli.check",
    "show": "runbook_tui.cli.show",
    "run": "runbook_tui.cli.run",
    "sessions": "runbook_tui.cli.sessions",
    "drills": "runbook_tui.cli.drills",
    "resume": "runbook_tui.cli.resume",
    "status": "runbook_tui.cli.status",
    "export": "runbook_tui.cli.export",
    "demo": "runbook_tui.cli.demo",
    "open": "runbook_tui.cli.open_ui",
}
SUBCOMMANDS = set(COMMAND_MODULES)
TOP_LEVEL_FLAGS = {"-h", "--help", "--version"}
DEBUG_HELP = "write everything the tool does to its log, not only warnings and errors"


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The command line's parser; with `only`, knowing that one subcommand alone."""
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
    for name, module in COMMAND_MODULES.items():
        if only is None or name == only:
            import_module(module).register(sub)
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
    command = args_list[1] if args_list[:1] == ["--debug"] and len(args_list) > 1 else args_list[0]
    parser = build_parser(only=command if command in SUBCOMMANDS else None)
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
