"""What the screen shows of a runbook: its own text with token shapes masked and
control characters escaped (runbook text is untrusted: `ESC]0;…` must not retitle the
operator's terminal, `ESC[2K` must not erase what a line says).

The headless walk and the journal mask a step's text as they show or record it. The UI
shows a copy of the runbook masked the same way, made once when the walk opens, so no
label, dialog or message can show what those hide. The engine keeps the original: it
runs the real command. A `danger` phrase is left as written: it must be typed."""

from __future__ import annotations

import dataclasses
from functools import cache
from typing import Any

from runbook_tui.runbook.display import escape_controls
from runbook_tui.runbook.model import Runbook
from runbook_tui.session.redaction import Redactor


def masked_copy(runbook: Runbook) -> Runbook:
    redactor = Redactor(())

    @cache  # headings repeat once per step: mask each once
    def mask(text: str) -> str:
        return escape_controls(redactor.mask(text))

    def masked(obj: Any, **fields: str | tuple[str, ...] | None) -> Any:
        changes = {
            name: shown
            for name, value in fields.items()
            if value
            and (shown := tuple(map(mask, value)) if isinstance(value, tuple) else mask(value))
            != value
        }
        return dataclasses.replace(obj, **changes) if changes else obj

    # A step's `section` and its section's `path` are masked alike: the detail pairs
    # them up to find the prose.
    steps = tuple(
        masked(
            step,
            name=step.name,
            command=step.command,
            sample_output=step.sample_output,
            section=step.section,
            prose=step.prose,
        )
        for step in runbook.steps
    )
    # A reference block's text is what the edit box opens with: masked as shown.
    references = tuple(
        masked(ref, text=ref.text, section=ref.section, prose=ref.prose)
        for ref in runbook.references
    )
    sections = tuple(
        masked(section, title=section.title, path=section.path, prose=section.prose)
        for section in runbook.sections
    )
    title = mask(runbook.title)
    unchanged = title == runbook.title and all(
        a is b
        for a, b in zip(
            (*steps, *sections, *references),
            (*runbook.steps, *runbook.sections, *runbook.references),
            strict=True,
        )
    )
    if unchanged:
        return runbook
    return dataclasses.replace(
        runbook, title=title, steps=steps, sections=sections, references=references
    )
