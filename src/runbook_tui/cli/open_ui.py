"""`runbook-tui [FILE]`: open the terminal UI (the only command that imports Textual)."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("open", help="open a runbook in the terminal UI (the default command)")
    p.add_argument("file", nargs="?", help="runbook to open; without it, pick from ./runbooks/")
    p.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    print("runbook-tui: the terminal UI is not yet available")
    return 2
