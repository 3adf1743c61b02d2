"""`runbook-tui demo --headless`: every bundled runbook, walked without the UI against a
fresh sandbox, and a summary. CI runs it; so can anyone who wants to know the demo works
on their machine.

Each runbook runs as `runbook-tui run FILE --yes` would from a terminal, in a child
process of its own, with the sandbox as its working directory and state home: a deploy
(then its rollback walk), a restore as a drill, and an incident after the shop was
made to fail, which is where that runbook starts. Placeholders are filled with a
value that says who filled them (`--fill`).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from runbook_tui.demo.sandbox import Sandbox
from runbook_tui.runbook.model import Runbook
from runbook_tui.runbook.parser import load

PASSED = ("completed", "rolled_back")
# Walked in this order: the deploy moves the shop to v2 and backs it up, its rollback
# brings v1 back, the drill restores the newest backup, the incident starts from a crash.
KIND_ORDER = ("deploy", "restore", "incident")
TAIL_LINES = 15
FILLED = "filled in by runbook-tui demo --headless"

Say = Callable[[str], None]


@dataclass(frozen=True)
class Walk:
    """One headless run of one runbook."""

    path: Path
    runbook: Runbook
    label: str
    flags: tuple[str, ...] = ()
    break_first: bool = False


@dataclass
class Outcome:
    walk: Walk
    exit_code: int
    status: str
    session: str
    seconds: float
    output: Path
    problems: list[str] = field(default_factory=list)
    # A drill's verdict: passed, rto_seconds, duration_seconds (session/drills.py).
    drill: dict[str, object] | None = None

    @property
    def passed(self) -> bool:
        return not self.problems


def plan(folder: Path) -> list[Walk]:
    """The walks for every runbook in `folder`: deploys first (each followed by its
    rollback walk), then restores (as drills), then incidents, then the rest."""
    walks: list[Walk] = []
    loaded = [(path, load(path).runbook) for path in sorted(folder.glob("*.md"))]

    def rank(item: tuple[Path, Runbook]) -> int:
        kind = item[1].kind or ""
        return KIND_ORDER.index(kind) if kind in KIND_ORDER else len(KIND_ORDER)

    for path, runbook in sorted(loaded, key=rank):
        fills = fill_flags(runbook)
        if runbook.kind == "restore":
            walks.append(Walk(path, runbook, f"{path.name} (drill)", ("--drill", *fills)))
            continue
        breaks = runbook.kind == "incident"
        walks.append(Walk(path, runbook, path.name, fills, break_first=breaks))
        if runbook.kind == "deploy" and runbook.rollback_steps:
            walks.append(Walk(path, runbook, f"{path.name} (rollback)", ("--rollback", *fills)))
    return walks


def fill_flags(runbook: Runbook) -> tuple[str, ...]:
    """`--fill NAME=VALUE` for each `<placeholder>` of the runbook's steps: nobody is
    there to answer, so the demo answers, and says it did."""
    names = sorted({name for step in runbook.steps for name in step.placeholders})
    return tuple(w for name in names for w in ("--fill", f"{name}={FILLED}"))


def walk_one(sandbox: Sandbox, walk: Walk, number: int) -> Outcome:
    from runbook_tui.session.store import list_sessions

    root = sandbox.root
    how = "".join(
        f"-{flag.lstrip('-')}" for flag in walk.flags if flag in ("--drill", "--rollback")
    )
    output = root / "runs" / f"{number}-{walk.path.stem}{how}.out"
    output.parent.mkdir(exist_ok=True)
    if walk.break_first:
        sandbox.servicectl("start", say=lambda _: None)
        sandbox.servicectl("break", say=lambda _: None)
    before = {s.id for s in list_sessions(root)}
    argv = [sys.executable, "-m", "runbook_tui", "run", str(walk.path), "--yes"]
    argv += ["--home", str(root), "--workdir", str(root), *walk.flags]
    began = time.monotonic()
    with output.open("w") as out:
        code = subprocess.call(
            argv,
            cwd=root,
            env=_environment(sandbox),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    seconds = time.monotonic() - began
    new = [s for s in list_sessions(root) if s.id not in before]
    status = new[0].status if new else "no session"
    outcome = Outcome(walk, code, status, new[0].id if new else "", seconds, output)
    if code != 0:
        outcome.problems.append(f"exit {code}")
    if status not in PASSED:
        outcome.problems.append(f"session {status}")
    if "--drill" in walk.flags:
        # The drill's verdict, as its session recorded it (timed from the journal).
        outcome.drill = dict(new[0].drill_verdict or {}) if new else {}
        if outcome.drill.get("passed") is not True:
            outcome.problems.append("the drill did not pass")
    return outcome


def _environment(sandbox: Sandbox) -> dict[str, str]:
    env = {**os.environ, **sandbox.environment()}
    # The children's own start-up: no colour codes in the kept output.
    env["NO_COLOR"] = "1"
    return env


def describe(outcome: Outcome) -> str:
    mark = "✓" if outcome.passed else "✗"
    walk = outcome.walk
    words = [f"{mark} {walk.label:<26} {outcome.status:<12} {outcome.seconds:6.1f}s"]
    if outcome.drill:
        took, rto = outcome.drill.get("duration_seconds"), outcome.drill.get("rto_seconds")
        verdict = "passed" if outcome.drill.get("passed") else "failed"
        against = f" of its RTO {rto:g}s" if isinstance(rto, int | float) else ""
        took_text = f" in {took:.1f}s" if isinstance(took, int | float) else ""
        words.append(f"(drill {verdict}{took_text}{against})")
    if outcome.session:
        words.append(f"session {outcome.session}")
    if outcome.problems:
        words.append("; ".join(outcome.problems))
    return "  ".join(words)


def run_all(sandbox: Sandbox, folder: Path, say: Say = print) -> int:
    """Walk every runbook in `folder`; 0 when every walk passed, else 1."""
    walks = plan(folder)
    if sandbox.servicectl("start", say=lambda _: None) != 0:
        say(f"the demo's shop did not start; its log: {sandbox.paths.log}")
        return 1
    outcomes = []
    try:
        for number, walk in enumerate(walks, 1):
            outcome = walk_one(sandbox, walk, number)
            outcomes.append(outcome)
            say(describe(outcome))
            if not outcome.passed:
                lines = outcome.output.read_text(errors="replace").splitlines()
                for line in lines[-TAIL_LINES:]:
                    say(f"      {line}")
                say(f"      (all of it: {outcome.output})")
    finally:
        sandbox.servicectl("stop", say=lambda _: None)
    passed = sum(o.passed for o in outcomes)
    say(f"{passed} of {len(outcomes)} walks passed.")
    return 0 if walks and passed == len(outcomes) else 1
