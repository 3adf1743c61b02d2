"""Options and loading shared by subcommands. No Textual here."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from runbook_tui.runbook.model import Runbook

if TYPE_CHECKING:
    from runbook_tui.runbook.parser import ParseResult


def add_home(p: argparse.ArgumentParser) -> None:
    """`--home`, and `--debug` (the log is kept in the home), for commands that keep
    state. `--debug` is also accepted before the command (`runbook-tui --debug run`)."""
    p.add_argument(
        "--home",
        metavar="DIR",
        help="state folder for sessions and the log (default: $RUNBOOK_TUI_HOME, "
        "else $XDG_STATE_HOME/runbook-tui, else ~/.local/state/runbook-tui)",
    )
    # A global flag (`runbook-tui --help` lists it), accepted after the command too;
    # not given here, the top-level parser's value stands.
    p.add_argument(
        "--debug", action="store_true", default=argparse.SUPPRESS, help=argparse.SUPPRESS
    )


def add_workdir(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--workdir",
        metavar="DIR",
        help="folder the first step starts in, and the runbook's sources read relative "
        "paths from (default: the runbook file's folder)",
    )


def check_workdir(workdir: str | None, command: str) -> bool:
    """False after saying why when `--workdir` names no folder."""
    if workdir is None or Path(workdir).is_dir():
        return True
    print(f"runbook-tui {command}: --workdir {workdir} is not a folder", file=sys.stderr)
    return False


def start_log(args: argparse.Namespace) -> bool:
    """Commands that keep state also keep the tool's own log beside it. False after
    saying why when the state folder cannot be used (the command would fail anyway)."""
    import logging

    from runbook_tui import __version__, applog
    from runbook_tui.session.store import StateHomeError, state_home

    try:
        home = state_home(args.home)
        if getattr(args, "log_under", None):  # the demo logs in its own folder
            home = state_home(str(home / args.log_under))
    except StateHomeError as exc:
        print(f"runbook-tui: {exc}", file=sys.stderr)
        return False
    applog.configure(home, debug=getattr(args, "debug", False))
    logging.getLogger("runbook_tui").info("runbook-tui %s: %s", __version__, args.command)
    return True


def add_variables(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--var",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="set a runbook variable (repeatable); reaches commands as an environment variable",
    )
    p.add_argument(
        "--vars-file",
        metavar="FILE",
        help="NAME=VALUE lines, or a YAML/JSON mapping (.yml, .yaml, .json)",
    )


def add_walk_options(p: argparse.ArgumentParser, *, yes_help: str) -> None:
    """The flags `run` and `resume` share: how the headless walk behaves."""
    p.add_argument("--yes", action="store_true", help=yes_help)
    p.add_argument(
        "--rollback", action="store_true", help="walk the rollback steps instead of the main walk"
    )
    p.add_argument("--no-pty", action="store_true", help="capture output through pipes, not a pty")
    p.add_argument(
        "--fill",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a value for the placeholder <NAME> (as written: --fill pod-name=web-1) or for "
        "an unset $NAME (repeatable); it reaches commands as an environment variable",
    )
    add_variables(p)
    add_home(p)


def load_runbook(path: str, command: str = "") -> Runbook | None:
    """The parsed runbook, or None after printing why it cannot be used (errors).
    `command` (`run`, `resume`) names the command in the messages."""
    result = load_checked(path, command)
    return result.runbook if result is not None else None


def load_checked(path: str, command: str = "") -> ParseResult | None:
    """The parse of a runbook without errors (its warnings with it, for the walk to
    say), or None after printing why it cannot be used."""
    from runbook_tui.runbook.parser import load

    who = f"runbook-tui {command}" if command else "runbook-tui"
    if Path(path).is_dir():
        print(f"{who}: {path} is a folder, not a runbook file", file=sys.stderr)
        return None
    if not Path(path).is_file():
        print(f"{who}: no such file: {path}", file=sys.stderr)
        return None
    try:
        result = load(path)
    except OSError as exc:
        print(f"{who}: cannot read {path}: {exc.strerror or exc}", file=sys.stderr)
        return None
    errors = [d for d in result.diagnostics if d.severity == "error"]
    for d in errors:
        print(d.format(), file=sys.stderr)
    if errors:
        print(
            f"runbook-tui: {path} has {len(errors)} error(s); fix them "
            f"(`runbook-tui check {path}`) before running it",
            file=sys.stderr,
        )
        return None
    return result
