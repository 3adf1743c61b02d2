"""The end of a walk: what was done, and the status the session has earned."""

from __future__ import annotations

from typing import ClassVar

from textual.binding import Binding, BindingType

from runbook_tui.session.plan import Plan
from runbook_tui.tui.dialogs import ChoiceDialog
from runbook_tui.tui.status import format_duration


def summary_text(plan: Plan, open_seconds: float) -> str:
    """`5 of 5 steps done (4 succeeded, 1 skipped) in 0:03:12 (steps ran 0:01:05)`."""
    progress = plan.progress()
    walk = "rollback walk: " if plan.walk == "rollback" else ""
    return (
        f"{walk}{progress.describe()} in {format_duration(open_seconds)}"
        f" (steps ran {format_duration(progress.seconds)})"
    )


class WalkOverDialog(ChoiceDialog):
    """Shown when no step of the walk is left. Enter ends the session with the status
    it earned; Escape stays in the walk (e ends it later)."""

    DIALOG_TITLE = "The walk is over"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "choose(True)", "End the session", id="over.end"),
        Binding("escape", "choose(False)", "Stay", id="over.stay"),
    ]

    def __init__(self, summary: str, earned: str) -> None:
        body = f"{summary[0].upper()}{summary[1:]}.\n\nEnter ends the session as {earned}."
        super().__init__(body)
        self.earned = earned
