"""The section per step of the readable transcripts (markdown, HTML): what each step
was, each of its attempts (command, exit code, verdict, duration) and its output cut to
head and tail.

The sections are yielded one at a time, and an attempt's output is read and cut only
when its section is rendered, so at most one cut (bounded, see cut.py) is held.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from runbook_tui.export.cut import CutOutput, cut_literals
from runbook_tui.export.facts import (
    Pieces,
    attempt_result,
    code,
    confirmer,
    seconds_text,
    step_status,
    text,
    utc,
)
from runbook_tui.export.record import AttemptRecord, Record, StepRecord, attempt_literals


@dataclass(frozen=True)
class AttemptView:
    title: str
    command: str | None
    facts: list[tuple[str, Pieces]]
    record: Record
    attempt: AttemptRecord
    interactive: bool
    # What the command was before it was edited or filled in, when it differs:
    # (what it is, its text), e.g. ("As written in the runbook", ...).
    original: tuple[str, str] | None = None

    @property
    def has_output(self) -> bool:
        return self.attempt.has_output

    def cut(self) -> CutOutput:
        """The attempt's output, read from the journal now and cut to head and tail."""
        return cut_literals(attempt_literals(self.record, self.attempt))


@dataclass(frozen=True)
class StepView:
    number: int
    name: str
    facts: list[tuple[str, Pieces]]
    attempts: list[AttemptView]
    # A manual step's text, or a step never run's command (from the runbook file).
    body: str | None
    body_is_command: bool


def step_views(record: Record) -> Iterator[StepView]:
    for step in record.steps:
        yield _view(record, step)


def _view(record: Record, step: StepRecord) -> StepView:
    st = step.state
    facts: list[tuple[str, Pieces]] = [("Status", text(_status(record, step)))]
    if st.kind not in ("shell",):
        facts.append(("Kind", text(_kind(st))))
    if st.rollback:
        facts.append(("Part of", text("the rollback steps")))
    if st.status == "skipped" and st.finished_at:
        facts.append(("Skipped at", text(f"{utc(st.finished_at)} UTC")))
    attempts = [_attempt_view(record, step, a) for a in step.attempts if a.started or a.confirmed]
    body: str | None = None
    is_command = False
    if st.kind == "manual":
        body = st.confirmed_text or st.command
    elif not attempts and st.command:
        body, is_command = st.command, True
    return StepView(step.number, st.name, facts, attempts, body, is_command)


def _kind(st: object) -> str:
    kind = str(getattr(st, "kind", ""))
    if kind == "reference":
        line = getattr(st, "source_line", None)
        where = f" at line {line}" if isinstance(line, int) else ""
        return f"reference block{where} (in the runbook's prose, not one of its steps)"
    if kind == "adhoc":
        return "ad-hoc command (not in the runbook)"
    return kind


def _status(record: Record, step: StepRecord) -> str:
    st = step.state
    if st.status == "pending":
        return "not reached" if not record.in_progress else "not reached yet"
    status = step_status(step)
    if st.attempts > 1:
        status += f" (after {st.attempts} attempts)"
    return status


def _attempt_view(record: Record, step: StepRecord, attempt: AttemptRecord) -> AttemptView:
    started = attempt.started or {}
    facts: list[tuple[str, Pieces]] = []
    if attempt.confirmed is not None:
        event = attempt.confirmed
        by = "--yes" if event.get("by") == "--yes" else None
        who = confirmer(by, attempt.operator or "the operator")
        facts.append(("Confirmed", text(f"{utc(event.get('ts'))} UTC by {who}")))
        return AttemptView(f"Attempt {attempt.attempt}", None, facts, record, attempt, False)
    facts.append(("Started", text(f"{utc(started.get('ts'))} UTC")))
    who = confirmer(started.get("confirmed_by"), attempt.operator or "the operator")
    facts.append(("Run by", text(who)))
    cwd = started.get("cwd")
    if isinstance(cwd, str) and cwd:
        facts.append(("Working directory", (code(cwd),)))
    fills = started.get("fills")
    if isinstance(fills, dict) and fills:
        filled: list[tuple[str, str]] = []
        for name, value in fills.items():
            filled += [*(text(", ") if filled else ()), code(f"{name}={value}")]
        facts.append(("Filled in", tuple(filled)))
    end = attempt.finished
    if end is not None:
        exit_code = end.get("exit_code")
        signal = end.get("signal")
        facts.append(
            (
                "Exit code",
                text(
                    str(exit_code)
                    if exit_code is not None
                    else f"none (signal {signal})"
                    if signal
                    else "none"
                ),
            )
        )
        facts.append(("Verdict", text(attempt_result(attempt, record))))
        took = end.get("duration_seconds")
        if isinstance(took, int | float):
            facts.append(("Duration", text(seconds_text(float(took)))))
    else:
        facts.append(("Verdict", text(attempt_result(attempt, record))))
    command = started.get("command")
    command = command if isinstance(command, str) else step.state.command
    original = None
    for key, label in (("written", "As written in the runbook"), ("template", "Before filling in")):
        before = started.get(key)
        if isinstance(before, str) and before.strip() and before != command:
            original = (label, before)
            break
    return AttemptView(
        f"Attempt {attempt.attempt}",
        command,
        facts,
        record,
        attempt,
        bool(started.get("interactive")),
        original,
    )
