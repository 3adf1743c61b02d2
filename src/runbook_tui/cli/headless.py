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

from runbook_tui.cli.walk_evidence import open_evidence, start_evidence
from runbook_tui.invocation import resume_hint
from runbook_tui.runbook.display import escape_controls
from runbook_tui.runbook.model import Reference, Runbook, Step, Variable
from runbook_tui.session.engine import Engine, EngineError, StepOutcome
from runbook_tui.session.escapes import strip_escapes
from runbook_tui.session.journal import JournalError
from runbook_tui.session.statuses import DONE_STATUSES
from runbook_tui.session.variables import (
    VariableError,
    check_declared,
    parse_assignments,
    read_vars_file,
    recorded_values,
    resolve,
)

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


class _Quit(Exception):
    """The operator chose to stop the walk."""


def parse_fills(items: list[str]) -> dict[str, str] | None:
    """`--fill NAME=VALUE` values by placeholder name, or None after printing why not."""
    fills: dict[str, str] = {}
    for item in items:
        name, sep, value = item.partition("=")
        name = name.strip().removeprefix("$").strip("<>{}")
        if not sep or not name:
            print(f"runbook-tui: --fill {item!r}: expected NAME=VALUE", file=sys.stderr)
            return None
        fills[name] = value
    return fills


def nothing_to_run(runbook: Runbook, rollback: bool) -> str | None:
    """Why a walk of `runbook` would run nothing (its walk has no steps), naming what
    the runbook has instead; None when it has steps to walk."""
    steps = runbook.rollback_steps if rollback else runbook.main_steps
    if steps:
        return None
    if not rollback and runbook.rollback_steps:
        return (
            f"it has no main steps, only {len(runbook.rollback_steps)} rollback step(s): "
            "pass --rollback to walk them"
        )
    refs = runbook.references
    if not refs:
        return "it has no steps and no code blocks: nothing to run"
    why: dict[str, int] = {}
    for ref in refs:
        why[ref.why] = why.get(ref.why, 0) + 1
    listed = ", ".join(f"{n} {reason}" for reason, n in why.items())
    return (
        f"it has no steps: {len(refs)} code block(s) are shown only ({listed}); only "
        "```sh/```bash blocks and ```console blocks with `$ ` prompts are steps"
    )


def gather_variables(
    runbook: Runbook,
    args: argparse.Namespace,
    *,
    interactive: bool,
    recorded: Mapping[str, object] | None = None,
    needed: set[str] | None = None,
) -> dict[str, str] | None:
    """Resolved variable values, or None after printing why not (exit 2). `recorded`:
    the values a resumed session recorded; `needed`: only these are asked for."""
    try:
        cli = parse_assignments(args.var)
        from_file = read_vars_file(args.vars_file) if args.vars_file else {}
        check_declared(runbook, from_file, source=args.vars_file or "")
        merged = {**recorded_values(runbook, recorded or {}), **from_file}
        resolved = resolve(
            runbook,
            cli=cli,
            file_values=merged,
            prompt=_prompt_variable if interactive else None,
            needed=needed,
        )
    except VariableError as exc:
        print(f"runbook-tui: {exc}", file=sys.stderr)
        return None
    except EOFError:
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


class Console:
    """The operator's terminal, which may go away (a closed pipe, a dropped SSH
    session, `>&-`). Writing to it never raises: the journal is the record, so a lost
    screen must not stop the walk or skip ending the session."""

    def __init__(self, stream: TextIO | None) -> None:
        self.stream = stream
        self._ends_with_newline = True

    def write(self, text: str) -> None:
        if self.stream is None or not text:
            return
        try:
            self.stream.write(text)
            self.stream.flush()
        except (OSError, ValueError):
            self.stream = None
            return
        self._ends_with_newline = text.endswith("\n")

    def line(self, text: str = "") -> None:
        self.write(text + "\n")

    def line_break(self) -> None:
        if not self._ends_with_newline:
            self.write("\n")

    def __call__(self, event: dict[str, Any]) -> None:
        """Subscriber: live output as the engine records it."""
        if event.get("type") == "output":
            self.write(event.get("data", ""))


def walk(
    engine: Engine,
    *,
    yes: bool,
    resumed: bool = False,
    fills: Mapping[str, str] | None = None,
) -> int:
    """Perform the engine's walk (main or rollback) step by step; return the exit code.
    Reference blocks are listed in place as shown only, never run. A step with a
    placeholder that has no value in `fills` (`--fill`) is not run: the session ends
    failed, exit 2."""
    out = Console(sys.stdout)
    err = Console(sys.stderr)
    engine.subscribe(out)
    for warning in engine.warnings:
        err.line(f"warning: {warning}")
    rollback = engine.walk == "rollback"
    verb = "resumed" if resumed else "started"
    which = " (rollback walk)" if rollback else ""

    def mask(text: str) -> str:
        return shown(engine, text)

    out.line(f"session {engine.session_id} {verb}{which}: {mask(engine.runbook.title)}")
    out.line(f"journal: {engine.journal_path}")
    steps = engine.plan.steps
    hint = resume_hint(engine.session_id, engine.home, rollback=rollback)
    fills = dict(fills or {})
    index = 0
    evidence = open_evidence(engine, err)  # the runbook's services, backups and logs
    try:
        if evidence is not None:
            start_evidence(evidence, yes=yes, out=out, err=err, ask=_input)
        for item in engine.plan.items:
            if isinstance(item, Reference):
                _shown_only(out, engine, item)
                continue
            step = item
            index += 1
            status = engine.plan.status(step.id)
            title = mask(step.title)
            if status in DONE_STATUSES:
                out.line(f"✓ [{index}/{len(steps)}] {title} (already {status})")
                continue
            _header(out, engine, step, index, len(steps), status)
            if step.kind == "manual":
                _manual(engine, step, yes, out)
                continue
            again = status == "interrupted"
            if again:
                _recorded_tail(out, engine, step)
            if yes and again:
                out.line(
                    f"  step {mask(step.id)} was interrupted and may have run; running it "
                    "again (--yes)"
                )
            choice = "y" if yes else _ask_run(engine, step, out, interrupted=again)
            if choice == "s":
                # No answer records no reason (the engine's words say so): a drill
                # with a step skipped without a reason does not pass.
                engine.skip(step.id, _input("reason for skipping: "))
                out.line("  skipped")
                continue
            prepared = engine.prepare(step.command, fills)
            if not prepared.ready:
                return _unfilled(out, engine, step, prepared.problem, hint)
            if prepared.fills:
                out.line("  filled, it runs as:")
                for line in mask(prepared.command).splitlines():
                    out.line(f"  $ {line}")
            confirmed_by = "--yes" if yes else ("phrase" if step.danger else "operator")
            if yes and step.danger:
                out.line("  danger step allowed by --yes (the phrase was not typed)")
            outcome = _run_step(engine, step, confirmed_by, fills)
            out.line_break()
            _verdict(out, outcome)
            if not outcome.succeeded:
                _offer_rollback(engine, rollback, out)
                engine.end("failed", f"step {step.id} failed: {outcome.reason}")
                _print_drill_report(out, engine)
                return EXIT_FAILED
        status = engine.finish("rollback walk completed" if rollback else "")
        out.line(f"session {engine.session_id} {status}")
        _print_drill_report(out, engine)
        return EXIT_OK if status in ("completed", "rolled_back") else EXIT_FAILED
    except (KeyboardInterrupt, _Quit) as exc:
        out.line_break()
        # A deliberate quit leaves the session paused; a signal aborts it.
        paused = isinstance(exc, _Quit)
        why = "stopped by the operator" if paused else "interrupted"
        out.line(f"\n{why}; resume with: {hint}")
        _end_quietly(engine, "paused" if paused else "aborted", why)
        _print_drill_report(out, engine)
        return EXIT_INTERRUPTED
    except JournalError as exc:
        err.line(f"\nrunbook-tui: the journal cannot be written: {exc}")
        err.line("nothing more will run; what was recorded before is intact")
        engine.cancel()
        _close_quietly(engine)
        return EXIT_FAILED
    finally:
        if evidence is not None:
            evidence.close()


def _shown_only(out: Console, engine: Engine, ref: Reference) -> None:
    """A reference block, where the runbook has it: shown only, never run headless."""
    done = engine.plan.status(ref.id)
    after = f", {done}" if done != "pending" else ""
    out.line(f"· line {ref.line}: shown only ({ref.why}{after}): {shown(engine, ref.title)}")


def _unfilled(out: Console, engine: Engine, step: Step, problem: str, hint: str) -> int:
    """A step whose placeholders have no value: not run; the session ends failed."""
    reason = f"step {step.id} (line {step.line}) was not run: {problem}"
    out.line(f"✗ {shown(engine, reason)}")
    out.line("  give each value with --fill NAME=VALUE (NAME as written: --fill pod-name=...)")
    out.line(f"  then resume: {hint} --fill NAME=VALUE")
    _end_quietly(engine, "failed", reason)
    _print_drill_report(out, engine)
    return EXIT_USAGE


def _run_step(
    engine: Engine, step: Step, confirmed_by: str, fills: Mapping[str, str] | None = None
) -> StepOutcome:
    """Run in a worker thread so Ctrl-C reaches the main thread, which cancels the
    step's process group and waits until the engine has recorded the end.

    The main thread waits on an Event, not Thread.join(): on Python 3.11 a join
    interrupted by KeyboardInterrupt leaves the thread looking finished while it runs."""
    result: list[StepOutcome] = []
    errors: list[BaseException] = []
    done = threading.Event()

    def work() -> None:
        try:
            run = engine.run_interactive if step.interactive else engine.run_step
            result.append(run(step.id, confirmed_by=confirmed_by, fills=fills))
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


def _manual(engine: Engine, step: Step, yes: bool, out: Console) -> None:
    if yes:
        engine.confirm_manual(step.id, by="--yes")
        out.line("  confirmed (--yes)")
        return
    while True:
        answer = _input("  done? [y]es / [s]kip / [q]uit: ").strip().lower()
        if answer in ("y", "yes"):
            engine.confirm_manual(step.id)
            return
        if answer in ("s", "skip"):
            engine.skip(step.id, _input("reason for skipping: "))
            return
        if answer in ("q", "quit"):
            raise _Quit


def _ask_run(engine: Engine, step: Step, out: Console, *, interrupted: bool = False) -> str:
    """`y` or `s`, or _Quit. An interrupted step's side effect may already have
    happened, so running it again has no default: the operator answers in words."""
    question = "  run it? [Y]es / [s]kip / [q]uit: "
    if interrupted:
        question = (
            "  this step was interrupted and may have run (its output is above): "
            "run it again? [y]es / [s]kip / [q]uit: "
        )
    while True:
        answer = _input(question).strip().lower()
        if answer in ("y", "yes") or (answer == "" and not interrupted):
            break
        if answer in ("s", "skip"):
            return "s"
        if answer in ("q", "quit"):
            raise _Quit
    if step.danger:
        phrase = engine.redactor.mask(step.danger)
        typed = _input(f"  this step is dangerous; type {phrase!r} to run it: ")
        if typed.strip() != step.danger:
            out.line("  the phrase did not match: nothing was run")
            raise _Quit
    return "y"


def _input(prompt: str) -> str:
    try:
        return input(prompt)
    except EOFError:
        raise _Quit from None


# How much of an interrupted step's recorded output is shown before asking again.
TAIL_LINES = 20


def _recorded_tail(out: Console, engine: Engine, step: Step) -> None:
    """The last lines an interrupted step printed, as the journal kept them (masked
    again with the secrets given now), so the operator can judge whether it ran."""
    if step.interactive:
        out.line("  it was interrupted; it ran on the terminal, so its output was not recorded")
        return
    text, _ = engine.output_snapshot(step.id)  # the kept tail, read back from the journal
    lines = [
        line.rsplit("\r", 1)[-1]  # a progress line shows what it ended as
        for line in strip_escapes(engine.redactor.mask(text)).replace("\r\n", "\n").split("\n")
    ]
    while lines and not lines[-1].strip():
        lines.pop()
    if not lines:
        out.line("  it was interrupted before it printed anything")
        return
    last = lines[-TAIL_LINES:]
    more = f"the last {len(last)} of {len(lines)} lines" if len(lines) > len(last) else "all"
    out.line(f"  it was interrupted; what it printed ({more}):")
    for line in last:
        out.line(f"  | {line}")


def shown(engine: Engine, text: str) -> str:
    """Runbook text as the operator may see it: masked like the journal is, control
    characters escaped (it is untrusted: `ESC[2K` must not erase the line it is on)."""
    return escape_controls(engine.redactor.mask(text))


def _header(out: Console, engine: Engine, step: Step, index: int, total: int, status: str) -> None:
    """The step as the operator sees it (see `shown`)."""

    def mask(text: str) -> str:
        return shown(engine, text)

    where = mask(" › ".join(step.section))
    again = f" (was {status}; new attempt)" if status in ("failed", "interrupted") else ""
    out.line(f"\n▶ [{index}/{total}] {where + ' › ' if where else ''}{mask(step.title)}{again}")
    if step.kind == "shell":
        for line in mask(step.command).splitlines():
            out.line(f"  $ {line}")
    else:
        out.line(f"  [ ] {mask(step.command)}")


def _verdict(out: Console, outcome: StepOutcome) -> None:
    """The engine masked the outcome's reason, as it did the journal's."""
    mark = "✓" if outcome.succeeded else "✗"
    out.line(f"{mark} {outcome.verdict}: {outcome.reason} ({outcome.duration_seconds:.1f}s)")


def _print_drill_report(out: Console, engine: Engine) -> None:
    """A drill ends with its report (session/drills.py makes it; this prints it)."""
    if not engine.state.drill:
        return
    out.line()
    for line in engine.drill_report().lines():
        out.line(shown(engine, line))


def _offer_rollback(engine: Engine, in_rollback: bool, out: Console) -> None:
    if not in_rollback and engine.runbook.rollback_steps:
        out.line(
            f"this runbook has {len(engine.runbook.rollback_steps)} rollback step(s): "
            f"{resume_hint(engine.session_id, engine.home, rollback=True)}"
        )


_STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


def install_signal_handlers() -> None:
    """SIGTERM and SIGHUP (a dropped SSH session) stop a headless walk like Ctrl-C does,
    so the running step is cancelled and recorded instead of being orphaned. A signal
    the caller chose to ignore (`nohup`) stays ignored. Only the first stop signal
    counts (see `_stop`)."""
    if threading.current_thread() is not threading.main_thread():
        return
    for sig in _STOP_SIGNALS:
        if signal.getsignal(sig) != signal.SIG_IGN:
            signal.signal(sig, _stop)


def _stop(signum: int, frame: object) -> None:
    """The first SIGINT, SIGTERM or SIGHUP interrupts the walk (KeyboardInterrupt);
    from then on they are ignored. The walk is cancelling the step and recording its
    end and the session's, and then the process exits 130: a second signal must not cut
    that short. A Python-level latch is not enough, since Python puts the default
    disposition back while it shuts down and a late SIGTERM would then kill the
    process (exit 143); so the signals are ignored at the OS level. Nothing is started
    after a stop, so no child inherits the ignored disposition."""
    for sig in _STOP_SIGNALS:
        if signal.getsignal(sig) is _stop:
            signal.signal(sig, signal.SIG_IGN)
    raise KeyboardInterrupt


def _end_quietly(engine: Engine, status: str, reason: str) -> None:
    try:
        engine.end(status, reason)
    except (EngineError, JournalError):
        _close_quietly(engine)


def _close_quietly(engine: Engine) -> None:
    with contextlib.suppress(EngineError, JournalError, OSError):
        engine.close()
