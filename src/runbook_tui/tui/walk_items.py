"""What the walk lists: the runbook's steps, its reference blocks in place between them
(runbook/model.py), and the ad-hoc commands the session ran, in a group of their own.

An ad-hoc command is not in the runbook: the walk knows it from the journal (the fold's
step of kind `adhoc`), so its item is made from the fold, never kept apart from it."""

from __future__ import annotations

from typing import Literal, NamedTuple

from runbook_tui.runbook.display import escape_controls
from runbook_tui.runbook.model import Reference, Step
from runbook_tui.tui.engine_api import StepStateLike

# The heading of the ad-hoc group, last in the list.
ADHOC_HEADING = "Ad-hoc commands"


class AdhocItem(NamedTuple):
    """An ad-hoc command of the session: `id` `adhoc-N`, `command` as typed (masked and
    escaped as the journal holds it), empty while it is about to start."""

    id: str
    command: str
    kind: Literal["adhoc"] = "adhoc"

    @property
    def title(self) -> str:
        first = next((ln.strip() for ln in self.command.splitlines() if ln.strip()), "")
        return first or self.id


ListItem = Step | Reference | AdhocItem


def adhoc_item(step_id: str, state: StepStateLike | None) -> AdhocItem:
    """The ad-hoc command `step_id` as the fold has it: the text typed (the template,
    when placeholders were filled), not the command with its fill references."""
    text = ""
    if state is not None:
        text = state.template or state.command or ""
    return AdhocItem(step_id, escape_controls(text))


def is_step(item: ListItem | None) -> bool:
    """Whether `item` is one of the runbook's steps (the walk's plan is about those)."""
    return isinstance(item, Step)
