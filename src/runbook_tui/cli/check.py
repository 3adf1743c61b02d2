"""`runbook-tui check` (placeholder until its issue lands)."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("check", help="not yet available")
    p.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    print("runbook-tui check: not yet available")
    return 2
