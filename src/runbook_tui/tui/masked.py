"""What the screen shows of a runbook: its own text with token shapes masked.

The headless walk and the journal mask a step's text as they show or record it. The UI
shows a copy of the runbook masked the same way, made once when the walk opens, so no
label, dialog or message can show what those hide. The engine keeps the original: it
runs the real command. A `danger` phrase is left as written: it must be typed."""

from __future__ import annotations

import dataclasses

from runbook_tui.runbook.model import Runbook
from runbook_tui.session.redaction import Redactor


def masked_copy(runbook: Runbook) -> Runbook:
    mask = Redactor(()).mask
    steps = []
    for step in runbook.steps:
        changes = {
            field: masked
            for field, value in (
                ("name", step.name),
                ("command", step.command),
                ("sample_output", step.sample_output),
            )
            if value and (masked := mask(value)) != value
        }
        steps.append(dataclasses.replace(step, **changes) if changes else step)
    sections = [
        dataclasses.replace(section, prose=masked)
        if (masked := mask(section.prose)) != section.prose
        else section
        for section in runbook.sections
    ]
    title = mask(runbook.title)
    if title == runbook.title and all(
        a is b
        for a, b in zip((*steps, *sections), (*runbook.steps, *runbook.sections), strict=True)
    ):
        return runbook
    return dataclasses.replace(runbook, title=title, steps=tuple(steps), sections=tuple(sections))
