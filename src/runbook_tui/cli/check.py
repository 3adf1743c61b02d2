"""`runbook-tui check FILE...`: lint runbooks.

Exit 0 when no file has errors, 1 when any has, 2 on usage errors (a missing file, a
folder without a .md file). With `--max-drill-age`, and only then, it also reads the
session store: a restore runbook without a recent enough passing drill is a
`stale-drill` error (the freshness gate, session/drills.py).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from runbook_tui.runbook.model import Diagnostic, Runbook


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "check",
        help="report problems in runbooks (exit 1 on errors)",
        description=(
            "Parse each runbook and print its problems as "
            "FILE:LINE:COL: error|warning: message [code]. A directory means every .md "
            "file under it. Exit status: 0 no errors, 1 errors, 2 usage error."
        ),
    )
    p.add_argument("files", nargs="+", metavar="FILE", help="runbook files or directories")
    p.add_argument(
        "--json",
        action="store_true",
        help="print a JSON list of {path, line, column, severity, code, message}",
    )
    p.add_argument(
        "--max-drill-age",
        metavar="AGE",
        help="fail (stale-drill) a restore runbook whose last passing drill is older than "
        "AGE (30d, 12h, ...) or that was never drilled; reads the session store",
    )
    # Not `home`: check keeps no log and reads the state folder only for the gate.
    p.add_argument(
        "--home",
        dest="drill_home",
        metavar="DIR",
        help="the state folder whose sessions --max-drill-age reads (default: "
        "$RUNBOOK_TUI_HOME, else $XDG_STATE_HOME/runbook-tui, else ~/.local/state/runbook-tui)",
    )
    p.set_defaults(handler=handle)


def expand_paths(names: list[str]) -> tuple[list[Path], list[str]]:
    """Files to check (directories expanded to their .md files, sorted) and the
    problems with the names: those that do not exist, folders without a .md file."""
    files: list[Path] = []
    missing: list[str] = []
    for name in names:
        path = Path(name)
        if path.is_dir():
            found = sorted(p for p in path.rglob("*.md") if p.is_file())
            if not found:
                missing.append(f"no .md files in {name}{_what_else(path)}")
            files.extend(found)
        elif path.exists():
            files.append(path)
        else:
            missing.append(f"{name}: no such file")
    return files, missing


def _what_else(folder: Path) -> str:
    """What a folder without runbooks holds instead, for the message."""
    try:
        others = sum(1 for p in folder.rglob("*") if p.is_file())
    except OSError:
        return ""
    if not others:
        return " (it holds no files)"
    return f" (it holds {others} other file{'s' if others != 1 else ''})"


def _drill_gate(args: argparse.Namespace) -> Callable[[Path, Runbook], Diagnostic | None] | None:
    """The freshness gate for `--max-drill-age`, or None without it. Raises ValueError
    for an age that is not a duration. The session code is imported only here."""
    if args.max_drill_age is None:
        return None
    import time

    from runbook_tui.runbook.durations import parse_duration

    max_age = parse_duration(args.max_drill_age)
    from runbook_tui.runbook.codes import DiagnosticSink
    from runbook_tui.session.drills import drill_history, is_restore_runbook, stale_drill
    from runbook_tui.session.store import home_path

    home = home_path(args.drill_home)
    history = drill_history(home)  # read once: no folder there means no drills
    now = time.time()

    def gate(path: Path, runbook: Runbook) -> Diagnostic | None:
        if not is_restore_runbook(runbook):
            return None
        why = stale_drill(history, path, max_age, now)
        if why is None:
            return None
        sink = DiagnosticSink(str(path))
        sink.add("stale-drill", 1, why)  # the runbook as a whole: its first line
        return sink.items[0]

    return gate


def handle(args: argparse.Namespace) -> int:
    from runbook_tui.runbook.display import dumps_shown, escape_controls
    from runbook_tui.runbook.parser import load
    from runbook_tui.runbook.serialize import diagnostic_to_dict

    try:
        gate = _drill_gate(args)
    except ValueError as exc:
        print(f"runbook-tui check: --max-drill-age: {exc}", file=sys.stderr)
        return 2
    files, missing = expand_paths(args.files)
    for problem in missing:
        print(f"runbook-tui check: {problem}", file=sys.stderr)
    unreadable = False
    errors = warnings = 0
    everything = []
    for path in files:
        try:
            result = load(path)
        except OSError as exc:
            print(f"runbook-tui check: {path}: {exc.strerror or exc}", file=sys.stderr)
            unreadable = True
            continue
        diagnostics = list(result.diagnostics)
        stale = gate(path, result.runbook) if gate is not None else None
        if stale is not None:
            diagnostics.append(stale)
            errors += 1
        errors += len(result.errors)
        warnings += len(result.warnings)
        if args.json:
            everything.extend(diagnostic_to_dict(d) for d in diagnostics)
        else:
            for diagnostic in diagnostics:
                # Messages quote runbook text (an untagged block's first line, a name).
                print(escape_controls(diagnostic.format()))
    if args.json:
        print(dumps_shown(everything, indent=2))
    else:
        summary = f"{len(files)} file(s): {errors} error(s), {warnings} warning(s)"
        print(summary, file=sys.stderr)
    if missing or unreadable:
        return 2
    return 1 if errors else 0
