"""Reading a journal back in bounded memory, however much output its steps printed.

A step that printed a gigabyte has a gigabyte of `output` events in its journal. The
readers of a journal file (`sessions show`, `resume`) never hold that text:

- `fold_journal(path)` streams the file once and folds it. Each output event is
  folded with the byte range of its line, so each step's latest attempt keeps the
  count of its characters and where they are (`StepState.output_spans`), not the text.
- `step_output(path, step)` streams that text again from those ranges, one event at a
  time; `step_output_tail(path, step, n)` reads only its last `n` characters.
- `write_session_json(out, ...)` writes the `sessions show --json` document with each
  step's output streamed from the file, escaped chunk by chunk: the same document
  `json.dump(state.to_dict(), out, indent=2)` would write, in a few events' memory.

At most one journal line is decoded at a time: an output line is at most about 400 KB,
and no reader holds a line over MAX_LINE_BYTES (journal.py).
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, TextIO

from runbook_tui.runbook.model import Runbook
from runbook_tui.session.journal import JournalReader, read_output, read_output_tail
from runbook_tui.session.state import SessionState, StateFolder, StepState

Event = dict[str, Any]
PathLike = str | os.PathLike[str]


@dataclass
class JournalFold:
    """What `fold_journal` found: the folder (to go on folding live events), its
    state (settled unless live), and the reader's findings as `read_journal` has them.
    `events` holds every event but output when asked for (keep_events)."""

    folder: StateFolder
    state: SessionState
    torn: bool = False
    problems: list[str] = field(default_factory=list)
    last_seq: int | None = None
    events: list[Event] = field(default_factory=list)


def fold_journal(
    path: PathLike,
    runbook: Runbook | None = None,
    live: bool = False,
    *,
    max_output_chars: int | None = None,
    keep_events: bool = False,
    step_ids: Mapping[str, str] | None = None,
) -> JournalFold:
    """Fold the journal at `path` in one streaming pass, keeping no output text (see
    the module doc). `live`: the writer still holds the lock (the fold is then not
    settled, and the folder may go on with live events; `max_output_chars` bounds the
    text those keep). `step_ids` maps recorded step ids to runbook ids (for steps whose
    id holds a secret value, session/recorded_ids.py): those events are folded under
    the runbook's id, and kept in `events` as recorded. OSError (a missing file)
    propagates."""
    reader = JournalReader(path)
    folder = StateFolder(runbook, live, max_output_chars=max_output_chars)
    kept: list[Event] = []
    renamed = step_ids or {}
    for event, start, end in reader.located():
        step_id = event.get("step_id") if renamed else None
        own = renamed.get(step_id) if isinstance(step_id, str) else None
        folder.apply({**event, "step_id": own} if own else event, span=(start, end))
        if keep_events and event["type"] != "output":
            kept.append(event)
    return JournalFold(
        folder=folder,
        state=folder.settle(),
        torn=reader.torn,
        problems=reader.summary_problems(),
        last_seq=reader.last_seq,
        events=kept,
    )


def step_output(path: PathLike, step: StepState) -> Iterator[str]:
    """The latest attempt's output of `step`, streamed: first what is in the journal
    at `step.output_spans`, then what the fold kept in memory (live output)."""
    if step.output_spans:
        yield from read_output(path, _spans(step), step.id)
    kept = step.output
    if kept:
        yield kept


def step_output_tail(path: PathLike, step: StepState, max_chars: int) -> str:
    """The last `max_chars` characters of `step_output`, reading only about that much."""
    kept = step.output
    if not step.output_spans or len(kept) >= max_chars:
        return kept[len(kept) - max_chars :] if len(kept) > max_chars else kept
    stored = read_output_tail(path, _spans(step), step.id, max_chars - len(kept))
    return stored + kept


def _spans(step: StepState) -> list[tuple[int, int]]:
    return [(a, b) for a, b in step.output_spans]


def write_session_json(
    out: TextIO,
    state: SessionState,
    path: PathLike,
    *,
    extra: Mapping[str, Any] | None = None,
    include_output: bool = True,
    indent: int | None = 2,
) -> None:
    """Write `state.to_dict(include_output)` plus `extra` as JSON to `out`, each step's
    output streamed from the journal at `path` (see the module doc). The text is what
    `json.dump` would write for that document, byte for byte."""
    doc = state.to_dict(include_output=False)
    marks: list[tuple[StepState, str]] = []
    if include_output:
        # Each output is a placeholder no real text can contain (a fresh random token
        # between NULs), replaced by the streamed text as the document is written.
        token = uuid.uuid4().hex
        for i, (d, step) in enumerate(zip(doc["steps"], state.steps.values(), strict=True)):
            mark = f"\x00{token}:{i}\x00"
            d["output"] = mark
            d["output_truncated"] = False  # all of it is written
            marks.append((step, json.dumps(mark)))
    doc.update(extra or {})
    text = json.dumps(doc, indent=indent)
    pos = 0
    for step, mark in marks:
        at = text.index(mark, pos)
        out.write(text[pos:at])
        out.write('"')
        for chunk in step_output(path, step):
            out.write(json.dumps(chunk)[1:-1])
        out.write('"')
        pos = at + len(mark)
    out.write(text[pos:])
