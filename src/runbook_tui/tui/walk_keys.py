"""The walk's keys: which there are, what each is called (in the help and the command
palette), and when each applies (the footer shows only those).

Whether a key applies follows from the walk's rules (the plan, session/plan.py) and
from what the screen is doing (a step running, the wide layout); the screen turns the
keys into intents.
"""

from __future__ import annotations

from textual.binding import Binding, BindingType

from runbook_tui.runbook.model import Runbook, Step
from runbook_tui.session.plan import Plan

BINDINGS: list[BindingType] = [
    Binding("enter", "perform", "Perform", id="walk.perform"),
    Binding("s", "skip", "Skip", id="walk.skip"),
    Binding("n", "note", "Note", id="walk.note"),
    Binding("x,ctrl+c", "cancel_step", "Cancel step", id="walk.cancel"),
    Binding("r", "retry", "Retry", id="walk.retry"),
    Binding("b", "rollback", "Rollback", id="walk.rollback"),
    Binding("e", "end_session", "End", id="walk.end"),
    Binding("E", "export", "Export", id="walk.export"),
    Binding("question_mark", "help", "Keys", id="walk.help"),
    Binding("q", "quit_walk", "Quit", id="walk.quit"),
    Binding("1", "show_tab('tab-step')", "Step tab", show=False, id="walk.tab-step"),
    Binding("2", "show_tab('tab-logs')", "Logs tab", show=False, id="walk.tab-logs"),
    Binding("3", "show_tab('tab-services')", "Services tab", show=False, id="walk.tab-services"),
    Binding("4", "show_tab('tab-backups')", "Backups tab", show=False, id="walk.tab-backups"),
]

# What each action is called in the help and the command palette.
ACTION_HELP: dict[str, str] = {
    "perform": "Perform the selected step (run it, or mark a manual step done)",
    "skip": "Skip the selected step, with a reason",
    "note": "Add a timestamped note to the record",
    "cancel_step": "Cancel the running step (kills its process group)",
    "retry": "Retry the selected step after a failure",
    "rollback": "Switch to the rollback steps",
    "end_session": "End the session (completed, failed or aborted)",
    "export": "Export the session's transcript (markdown, JSON, asciicast or HTML)",
    "help": "Show every key",
    "quit_walk": "Quit (the session is paused and stays resumable)",
}

# The actions whose keys come and go as the walk moves (the others always apply, or
# only with the layout).
CHANGING = ("perform", "skip", "cancel_step", "retry", "rollback")


def applies(
    action: str,
    *,
    step: Step | None,
    plan: Plan | None,
    running: bool,
    runbook: Runbook,
    wide: bool,
) -> bool:
    """Whether `action` applies now: with `step` selected, the walk's `plan` (None
    before the session exists), a step `running` or not, and the layout `wide` or not."""
    if action == "perform":
        return step is not None and not running
    if action == "skip":
        return step is not None and not running and (plan is None or plan.can_skip(step.id))
    if action == "cancel_step":
        return running
    if action == "retry":
        return step is not None and not running and plan is not None and plan.can_retry(step.id)
    if action == "rollback":
        return plan.can_roll_back if plan is not None else bool(runbook.rollback_steps)
    if action == "show_tab":
        return not wide
    return True
