"""`runbook-tui demo`: the bundled runbooks, walked against a small real system.

The sandbox (demo/sandbox.py) lives under the state home, in `demo/`: `demo/sandbox`
for the UI, `demo/headless` for `--headless`. Each is a state home of its own, so the
demo's sessions and drills never mix with the operator's."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from runbook_tui.cli.common import add_home

if TYPE_CHECKING:
    from runbook_tui.demo.sandbox import Sandbox

DEMO_FOLDER = "demo"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "demo",
        help="walk the bundled runbooks against a small real system in a sandbox",
        description=(
            "Make (or reuse) a sandbox under the state home, with a tiny web shop, its "
            "SQLite database, its log and its backups; start the shop; open the picker on "
            "the bundled deploy, restore and incident runbooks, which run in the sandbox. "
            "The shop stops when the demo exits."
        ),
    )
    p.add_argument("--reset", action="store_true", help="start over with a new sandbox")
    p.add_argument(
        "--break",
        dest="break_shop",
        action="store_true",
        help="make the shop fail first (where the incident runbook starts)",
    )
    p.add_argument("--stop", action="store_true", help="stop the demo's shop and exit")
    p.add_argument(
        "--headless",
        action="store_true",
        help="walk every bundled runbook without the UI in a fresh sandbox and print a "
        "summary (exit 0 when all passed, 1 otherwise)",
    )
    add_home(p)
    # The demo's own log is kept in its folder, beside its sandboxes.
    p.set_defaults(handler=handle, log_under=DEMO_FOLDER)


def handle(args: argparse.Namespace) -> int:
    from runbook_tui.session.store import state_home

    alone = [name for name in ("stop", "headless") if getattr(args, name)]
    others = [flag for flag, on in (("--reset", args.reset), ("--break", args.break_shop)) if on]
    if len(alone) > 1 or (alone and others):
        words = [f"--{alone[0]}", *[f"--{a}" for a in alone[1:]], *others]
        print(f"runbook-tui demo: {' and '.join(words)} do not go together", file=sys.stderr)
        return 2
    home = state_home(args.home)
    folder = home / DEMO_FOLDER
    if args.stop:
        return _stop(folder)
    if args.headless:
        return _headless(folder)
    return _interactive(folder, home, reset=args.reset, break_shop=args.break_shop)


def _say(line: str) -> None:
    print(f"demo: {line}", flush=True)


def _stop(folder: Path) -> int:
    from runbook_tui.demo import sandbox

    stopped: list[str] = []
    for name in ("sandbox", "headless"):
        sandbox.stop_service(folder / name, say=stopped.append)
    for line in stopped or ["the demo's shop is not running"]:
        _say(line)
    return 0


def _headless(folder: Path) -> int:
    from runbook_tui.demo import sandbox
    from runbook_tui.demo.bundled import runbooks_dir
    from runbook_tui.demo.headless import run_all
    from runbook_tui.invocation import command_hint

    root = folder / "headless"
    try:
        with sandbox.locked(root):
            box = sandbox.create(root)
            print(f"runbook-tui demo --headless: a fresh sandbox in {root}")
            print(f"the shop on 127.0.0.1:{box.port}; the runbooks from {runbooks_dir()}")
            code = run_all(box, runbooks_dir())
    except sandbox.SandboxBusy as exc:
        print(f"runbook-tui demo: {exc}", file=sys.stderr)
        return 2
    print(f"Their sessions: {command_hint(['sessions'], root)}")
    return code


def _interactive(folder: Path, home: Path, *, reset: bool, break_shop: bool) -> int:
    from runbook_tui.demo import sandbox
    from runbook_tui.demo.bundled import runbooks_dir
    from runbook_tui.invocation import command_hint

    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        print(
            "runbook-tui demo: the demo opens the terminal UI, which needs a terminal; "
            "`runbook-tui demo --headless` walks the runbooks without one",
            file=sys.stderr,
        )
        return 2
    root = folder / "sandbox"
    try:
        with sandbox.locked(root):
            if reset:
                sandbox.remove(root)
                _say("starting over")
            box = sandbox.ensure(root)
            _say(f"sandbox {root}")
            if box.servicectl("start", say=_say) != 0:
                # Still open the runbooks: a half-done deploy's rollback, or the
                # incident runbook, is how the shop comes back.
                _say(f"the shop did not start; it is down (its log: {box.paths.log})")
            elif break_shop:
                box.servicectl("break", say=_say)
            code = _open(box, runbooks_dir(), command_hint([DEMO_FOLDER], home))
    except sandbox.SandboxBusy as exc:
        print(f"runbook-tui demo: {exc}", file=sys.stderr)
        return 2
    print(f"The demo's shop is stopped. Its sessions: {command_hint(['sessions'], root)}")
    print(f"Open the demo again: {command_hint([DEMO_FOLDER], home)}")
    print(f"Start over: {command_hint([DEMO_FOLDER, '--reset'], home)}")
    print(f"Rehearse an outage: {command_hint([DEMO_FOLDER, '--break'], home)} (then incident.md)")
    return code


def _open(box: Sandbox, runbooks: Path, reopen: str) -> int:
    """The picker on the bundled runbooks, which run in the sandbox; the shop stops
    when the UI is left, however it is left (and by itself when this process dies:
    it watches the demo's pid)."""
    from runbook_tui.cli.open_ui import open_app
    from runbook_tui.demo.sandbox import stop_service

    # The runbooks read the sandbox's port and folder from the environment.
    os.environ.update(box.environment())
    try:
        return open_app(
            home=box.root, runbook=None, runbook_dir=runbooks, workdir=box.root, reopen_hint=reopen
        )
    finally:
        stop_service(box.root, say=lambda _: None)
