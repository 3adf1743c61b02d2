"""The headless walk shared by `run` and `resume`: asks, runs, prints, records."""

from __future__ import annotations

import argparse
import contextlib
import getpass
import signal
import sys
import threading
from collections.abc import Mapping
from typing import Any, TextIO

from runbook_tui.runbook.model import Runbook, Step, Variable
from runbook_tui.session.engine import Engine, EngineError, StepOutcome
from runbook_tui.session.journal import JournalError
from runbook_tui.session.variables import (
    VariableError,
    parse_assignments,
    read_vars_file,
    resolve,
)

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


class _Quit(Exception):
    """The operator chose to stop the walk."""


def gather_variables(
    runbook: Runbook,
    args: argparse.Namespace,
    *,
    interactive: bool,
    recorded: Mapping[str, str] | None = None,
) -> dict[str, str] | None:
    """Resolved variable values, or None after printing why not (exit 2)."""
    try:
        cli = parse_assignments(args.var)
        from_file = read_vars_file(args.vars_file) if args.vars_file else {}
        merged = {**(recorded or {}), **from_file}
        resolved = resolve(
            runbook, cli=cli, file_values=merged, prompt=_prompt_variable if interactive else None
        )
    except VariableError as exc:
        print(f"runbook-tui: {exc}", file=sys.stderr)
        return None
    except (EOFError, KeyboardInterrupt):
        print("\nrunbook-tui: no value given", file=sys.stderr)
        return None
    return resolved.values


def _prompt_variable(var: Variable, error: str | None) -> str | None:
    if error:
        print(f"  {error}", file=sys.stderr)
    label = var.prompt or var.name
    if var.choices:
        label += f" ({'/'.join(var.choices)})"
    if var.default is not None and not var.secret:
        label += f" [{var.default}]"
    label += ": "
    value = getpass.getpass(label) if var.secret else input(label)
    if not value and var.default is not None:
        return str(var.default)
    return value


class _Printer:
    """Prints live output as the engine records it."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self._ends_with_newline = True

    def __call__(self, event: dict[str, Any]) -> None:
        if event.get("type") == "output":
            data = event.get("data", "")
            self.out.write(data)
            self.out.flush()
            if data:
                self._ends_with_newline = data.endswith("\n")

    def line_break(self) -> None:
        if not self._ends_with_newline:
            self.out.write("\n")
            self._ends_with_newline = True


def walk(engine: Engine, *, yes: bool, rollback: bool = False, resumed: bool = False) -> int:
    """Perform the walk step by step; return the command's exit code."""
    out = sys.stdout
    printer = _Printer(out)
    engine.subscribe(printer)
    for warning in engine.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    verb = "resumed" if resumed else "started"
    print(f"session {engine.session_id} {verb}: {engine.runbook.title}", file=out)
    print(f"journal: {engine.journal_path}", file=out)
    steps = engine.runbook.rollback_steps if rollback else engine.runbook.main_steps
    if not steps:
        print("this runbook has no steps to run", file=out)
    restore = _signals_raise_interrupt()
    try:
        for index, step in enumerate(steps, 1):
            status = engine.state.steps[step.id].status if step.id in engine.state.steps else ""
            if status in ("succeeded", "skipped"):
                print(f"✓ [{index}/{len(steps)}] {step.title} (already {status})", file=out)
                continue
            _header(out, step, index, len(steps), status)
            if step.kind == "manual":
                _manual(engine, step, yes)
                continue
            choice = "y" if yes else _ask_run(step)
            if choice == "s":
                engine.skip(step.id, _input("reason for skipping: ") or "skipped by the operator")
                print("  skipped", file=out)
                continue
            if yes and step.danger:
                print(f"  danger step confirmed by --yes (phrase: {step.danger})", file=out)
            outcome = _run_step(engine, step)
            printer.line_break()
            _verdict(out, outcome)
            if not outcome.succeeded:
                _offer_rollback(engine, rollback, out)
                engine.end("failed", f"step {step.id} failed: {outcome.reason}")
                return EXIT_FAILED
        engine.end("completed")
        print(f"session {engine.session_id} completed", file=out)
        return EXIT_OK
    except (KeyboardInterrupt, _Quit) as exc:
        printer.line_break()
        why = "stopped by the operator" if isinstance(exc, _Quit) else "interrupted"
        print(f"\n{why}; resume with: runbook-tui resume {engine.session_id}", file=out)
        _end_quietly(engine, "aborted", why)
        return EXIT_INTERRUPTED
    except JournalError as exc:
        print(f"\nrunbook-tui: the journal cannot be written: {exc}", file=sys.stderr)
        print("nothing more will run; what was recorded before is intact", file=sys.stderr)
        engine.cancel()
        _close_quietly(engine)
        return EXIT_FAILED
    finally:
        restore()


def _run_step(engine: Engine, step: Step) -> StepOutcome:
    """Run in a worker thread so Ctrl-C reaches the main thread, which cancels the
    step's process group and waits until the engine has recorded the end.

    The main thread waits on an Event, not Thread.join(): on Python 3.11 a join
    interrupted by KeyboardInterrupt leaves the thread looking finished while it runs."""
    result: list[StepOutcome] = []
    errors: list[BaseException] = []
    done = threading.Event()

    def work() -> None:
        try:
            if step.interactive:
                result.append(engine.run_interactive(step.id))
            else:
                result.append(engine.run_step(step.id))
        except BaseException as exc:  # handed to the main thread
            errors.append(exc)
        finally:
            done.set()

    threading.Thread(target=work, name=f"step-{step.id}", daemon=True).start()
    interrupted = False
    while not done.is_set():
        try:
            done.wait(0.2)
        except KeyboardInterrupt:
            # A second Ctrl-C while cancelling changes nothing: the end must be recorded.
            interrupted = True
            engine.cancel()
    if interrupted:
        raise KeyboardInterrupt
    if errors:
        raise errors[0]
    return result[0]


def _manual(engine: Engine, step: Step, yes: bool) -> None:
    if yes:
        engine.confirm_manual(step.id, by="--yes")
        print("  confirmed (--yes)", file=sys.stdout)
        return
    while True:
        answer = _input("  done? [y]es / [s]kip / [q]uit: ").strip().lower()
        if answer in ("y", "yes"):
            engine.confirm_manual(step.id)
            return
        if answer in ("s", "skip"):
            engine.skip(step.id, _input("reason for skipping: ") or "skipped by the operator")
            return
        if answer in ("q", "quit"):
            raise _Quit


def _ask_run(step: Step) -> str:
    while True:
        answer = _input("  run it? [Y]es / [s]kip / [q]uit: ").strip().lower()
        if answer in ("", "y", "yes"):
            break
        if answer in ("s", "skip"):
            return "s"
        if answer in ("q", "quit"):
            raise _Quit
    if step.danger:
        typed = _input(f"  this step is dangerous; type {step.danger!r} to run it: ")
        if typed.strip() != step.danger:
            print("  the phrase did not match: nothing was run", file=sys.stdout)
            raise _Quit
    return "y"


def _input(prompt: str) -> str:
    try:
        return input(prompt)
    except EOFError:
        raise _Quit from None


def _header(out: TextIO, step: Step, index: int, total: int, status: str) -> None:
    where = " › ".join(step.section)
    again = f" (was {status}; new attempt)" if status in ("failed", "interrupted") else ""
    print(f"\n▶ [{index}/{total}] {where + ' › ' if where else ''}{step.title}{again}", file=out)
    if step.kind == "shell":
        for line in step.command.splitlines():
            print(f"  $ {line}", file=out)
    else:
        print(f"  [ ] {step.command}", file=out)
    out.flush()


def _verdict(out: TextIO, outcome: StepOutcome) -> None:
    mark = "✓" if outcome.succeeded else "✗"
    print(f"{mark} {outcome.verdict}: {outcome.reason} ({outcome.duration_seconds:.1f}s)", file=out)


def _offer_rollback(engine: Engine, in_rollback: bool, out: TextIO) -> None:
    if not in_rollback and engine.runbook.rollback_steps:
        print(
            f"this runbook has {len(engine.runbook.rollback_steps)} rollback step(s): "
            f"runbook-tui resume {engine.session_id} --rollback",
            file=out,
        )


def _signals_raise_interrupt() -> Any:
    """SIGTERM and SIGHUP (a dropped SSH session) stop the walk like Ctrl-C does, so the
    running step is cancelled and recorded instead of being orphaned."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None
    previous = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGHUP)}
    for s in previous:
        signal.signal(s, signal.default_int_handler)

    def restore() -> None:
        for s, handler in previous.items():
            signal.signal(s, handler)

    return restore


def _end_quietly(engine: Engine, status: str, reason: str) -> None:
    try:
        engine.end(status, reason)
    except (EngineError, JournalError):
        _close_quietly(engine)


def _close_quietly(engine: Engine) -> None:
    with contextlib.suppress(EngineError, JournalError, OSError):
        engine.close()
