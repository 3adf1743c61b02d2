"""The end of a walk: what was done, and the status the session has earned; for a
drill, its report (made by session/drills.py, shown here as it is printed headless)."""

from __future__ import annotations

from typing import Any, ClassVar

from textual.binding import Binding, BindingType
from textual.content import Content

from runbook_tui.runbook.model import Runbook
from runbook_tui.session.plan import Plan
from runbook_tui.tui.dialogs import ChoiceDialog
from runbook_tui.tui.status import format_duration


def summary_text(plan: Plan, open_seconds: float) -> str:
    """`5 of 5 steps done (4 succeeded, 1 skipped) in 0:03:12 (steps ran 0:01:05)`,
    then what became of the walk's reference blocks and how many ad-hoc commands ran:
    `; 4 reference blocks: 1 ran, 1 marked done, 2 passed by; 2 ad-hoc commands`."""
    progress = plan.progress()
    walk = "rollback walk: " if plan.walk == "rollback" else ""
    text = (
        f"{walk}{progress.describe()} in {format_duration(open_seconds)}"
        f" (steps ran {format_duration(progress.seconds)})"
    )
    refs = plan.reference_counts()
    if refs.total:
        text += (
            f"; {refs.total} reference block{'s' if refs.total != 1 else ''}: {refs.ran} ran, "
            f"{refs.marked} marked done, {refs.passed} passed by"
        )
    adhoc = len(plan.adhoc())
    if adhoc:
        text += f"; {adhoc} ad-hoc command{'s' if adhoc != 1 else ''}"
    return text


def drill_lines(
    runbook: Runbook, state: Any, *, now: float, status: str | None = None
) -> list[str]:
    """The drill's report for the screen. `runbook`: the screen's masked copy, so the
    step titles in it are masked; the journal's text in it (reasons) is masked already,
    and every line is shown with control characters escaped. `status`: the status it
    would end with (the report then says whether it would pass ending now)."""
    from runbook_tui.runbook.display import escape_controls
    from runbook_tui.session.drills import drill_report

    report = drill_report(runbook, state, now=now, status=status)
    return [escape_controls(line) for line in report.lines()]


class WalkOverDialog(ChoiceDialog):
    """Shown when no step of the walk is left. Enter ends the session with the status
    it earned; Escape stays in the walk (e ends it later). A drill's dialog holds its
    report as it stands if ended now."""

    DIALOG_TITLE = "The walk is over"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "choose(True)", "End the session", id="over.end"),
        Binding("escape", "choose(False)", "Stay", id="over.stay"),
    ]

    def __init__(self, summary: str, earned: str, drill: list[str] | None = None) -> None:
        text = f"{summary[0].upper()}{summary[1:]}."
        if drill:
            text += "\n\nEnding now:\n" + "\n".join(drill)
        text += f"\n\nEnter ends the session as {earned}."
        # Plain text, not markup: step titles come from the runbook.
        super().__init__(Content(text), "The drill is over" if drill else None)
        self.earned = earned
        self.drill = drill
