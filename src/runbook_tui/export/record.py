"""What a transcript is made of, read from a journal in one pass that decodes no output.

`read_record(path)` streams the journal once with `JournalReader(output_data=False)`:
output lines are recognised by their head and never decoded, so the pass costs a scan
of the file however much the steps printed. It folds the events (session/state.py, the
one fold), keeps every event but output (the timeline: one per operator action, step
start or end, note, evidence), and for each attempt of each step the byte ranges of
its output lines. A format then streams an attempt's output from those ranges
(`attempt_output`), one journal line at a time.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from runbook_tui.runbook.model import Runbook
from runbook_tui.session.journal import (
    JournalReader,
    read_first_event,
    read_output,
    read_output_literals,
)
from runbook_tui.session.state import SessionState, StateFolder, StepState

Event = dict[str, Any]


@dataclass
class AttemptRecord:
    """One attempt of a step: the events that started and ended it, and where its
    output is in the journal ([start, end) byte ranges, adjacent ones merged)."""

    step_id: str
    attempt: int
    started: Event | None = None
    finished: Event | None = None
    confirmed: Event | None = None
    interrupted_at: str | None = None
    spans: list[list[int]] = field(default_factory=list)
    # Who had the session open when it started (or was confirmed).
    operator: str = ""

    @property
    def has_output(self) -> bool:
        return bool(self.spans)

    def add_span(self, start: int, end: int) -> None:
        if self.spans and self.spans[-1][1] == start:
            self.spans[-1][1] = end
        else:
            self.spans.append([start, end])


@dataclass
class StepRecord:
    """A step as the fold tells it, its place in the list (1-based), its attempts."""

    number: int
    state: StepState
    attempts: list[AttemptRecord]

    @property
    def label(self) -> str:
        return f"{self.number}. {self.state.name}"


@dataclass
class Record:
    """A session as a transcript shows it. `events` holds every event but output, in
    journal order; `drill` is the verdict the last `session_ended` carried, if any."""

    journal: Path
    state: SessionState
    events: list[Event]
    steps: list[StepRecord]
    live: bool
    torn: bool = False
    problems: list[str] = field(default_factory=list)
    drill: Mapping[str, Any] | None = None
    # A step is known by its generated id alone: no event named it, nothing it said.
    unnamed: bool = False
    _by_id: dict[str, StepRecord] = field(init=False, repr=False, default_factory=dict)

    def __post_init__(self) -> None:
        self._by_id = {s.state.id: s for s in self.steps}

    @property
    def in_progress(self) -> bool:
        """The session is running now: the transcript holds what is recorded so far."""
        return self.state.status == "running"

    def step(self, step_id: object) -> StepRecord | None:
        return self._by_id.get(step_id) if isinstance(step_id, str) else None


def read_record(
    path: str | os.PathLike[str], runbook: Runbook | None = None, live: bool = False
) -> Record:
    """The journal at `path` read for a transcript (see the module doc). `runbook`, when
    given, lists the steps the session did not reach; `live`: its writer holds it now.
    OSError (a missing file) propagates."""
    reader = JournalReader(path, output_data=False)
    folder = StateFolder(runbook, live)
    events: list[Event] = []
    attempts: dict[tuple[str, int], AttemptRecord] = {}
    per_step: dict[str, list[AttemptRecord]] = {}
    drill: Mapping[str, Any] | None = None
    operator = ""
    named: set[str] = set()  # steps some event recorded a name for

    def attempt_of(step_id: str, number: int) -> AttemptRecord:
        rec = attempts.get((step_id, number))
        if rec is None:
            rec = attempts[step_id, number] = AttemptRecord(step_id, number)
            per_step.setdefault(step_id, []).append(rec)
        return rec

    for event, start, end in reader.located():
        folder.apply(event, span=(start, end))
        kind = event["type"]
        step_id = event.get("step_id")
        number = event.get("attempt")
        if kind == "output":
            if isinstance(step_id, str) and _is_int(number):
                attempt_of(step_id, number).add_span(start, end)
            continue
        events.append(event)
        if kind in ("session_started", "session_resumed"):
            who = event.get("operator")
            operator = who if isinstance(who, str) else ""
        if kind == "session_resumed":
            drill = None  # the session goes on: an earlier verdict no longer stands
        elif kind == "session_ended":
            verdict = event.get("drill")
            drill = verdict if isinstance(verdict, Mapping) else None
        if not isinstance(step_id, str):
            continue
        if isinstance(event.get("name"), str) and event["name"]:
            named.add(step_id)
        if kind == "step_started":
            if not _is_int(number):
                number = len(per_step.get(step_id, ())) + 1
            rec = attempt_of(step_id, number)
            rec.started, rec.operator = event, operator
        elif kind == "step_finished" and _is_int(number):
            attempt_of(step_id, number).finished = event
        elif kind == "step_interrupted" and _is_int(number):
            attempt_of(step_id, number).interrupted_at = event.get("ts")
        elif kind == "manual_confirmed":
            mine = per_step.get(step_id, [])
            open_one = mine[-1] if mine and _open(mine[-1]) else None
            rec = open_one or attempt_of(step_id, len(mine) + 1)
            rec.confirmed, rec.operator = event, operator
    state = folder.settle()
    _mask_unrecorded(state)
    unnamed = _name_unnamed(state, named)
    steps = [
        StepRecord(number=i, state=st, attempts=per_step.get(st.id, []))
        for i, st in enumerate(state.steps.values(), start=1)
    ]
    return Record(
        journal=Path(path),
        state=state,
        events=events,
        steps=steps,
        live=live,
        torn=reader.torn,
        problems=reader.summary_problems(),
        drill=drill,
        unnamed=unnamed,
    )


def _mask_unrecorded(state: SessionState) -> None:
    """Steps no event touched show the runbook file's text, which no session masked:
    mask the token shapes in it (the secret values are not known here)."""
    untouched = [s for s in state.steps.values() if not s.started_order and not s.ended_order]
    if not untouched:
        return
    from runbook_tui.session.redaction import Redactor

    mask = Redactor(()).mask
    for step in untouched:
        step.name = mask(step.name)
        step.command = mask(step.command) if step.command is not None else None


def _name_unnamed(state: SessionState, named: set[str]) -> bool:
    """A step the runbook did not name is known by the first line of what it says (as
    the runbook's own list shows it: Step.title), not by its generated id. True when
    some step is left with its id alone (a skipped manual step: its skip has no text)."""
    left = False
    for step in state.steps.values():
        if step.in_runbook or step.id in named:
            continue
        if step.kind == "manual":
            said = step.confirmed_text
        else:  # a reference block is known by its text as written (what ran may differ)
            said = getattr(step, "written", None) or step.confirmed_text or step.command
        first = next((ln.strip() for ln in (said or "").splitlines() if ln.strip()), "")
        step.name = first or step.id
        left = left or not first
    return left


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _open(rec: AttemptRecord) -> bool:
    return rec.finished is None and rec.confirmed is None and rec.interrupted_at is None


def attempt_output(record: Record, attempt: AttemptRecord) -> Iterator[str]:
    """The attempt's output as recorded (raw terminal text, masked), streamed from the
    journal one event at a time."""
    if attempt.spans:
        yield from read_output(record.journal, [(a, b) for a, b in attempt.spans], attempt.step_id)


def attempt_literals(record: Record, attempt: AttemptRecord) -> Iterator[bytes]:
    """The attempt's output as JSON string literals, one per event, not decoded (see
    export/literals.py)."""
    if attempt.spans:
        spans = [(a, b) for a, b in attempt.spans]
        yield from read_output_literals(record.journal, spans, attempt.step_id)


def recorded_runbook(journal: str | os.PathLike[str]) -> Runbook | None:
    """The runbook the session ran, when its file is still there, unchanged (the same
    sha256 as recorded at the start) and without errors; else None, and the journal
    alone tells the steps. A changed file would list steps the session never had."""
    from runbook_tui.runbook.parser import load
    from runbook_tui.session.provenance import file_sha256

    first = read_first_event(journal)
    recorded = first.get("runbook") if first else None
    if not isinstance(recorded, Mapping):
        return None
    path, sha = recorded.get("path"), recorded.get("sha256")
    if not isinstance(path, str) or not path or not isinstance(sha, str):
        return None
    try:
        if file_sha256(path) != sha:
            return None
        result = load(path)
    except OSError:
        return None
    if any(d.severity == "error" for d in result.diagnostics):
        return None
    return result.runbook
