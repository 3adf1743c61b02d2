"""The walk's keys: which there are, what each is called (in the help and the command
palette), and when each applies (the footer shows only those).

Whether a key applies follows from the walk's rules (the plan, session/plan.py) and
from what the screen is doing (a step running, the wide layout); the screen turns the
keys into intents.
"""

from __future__ import annotations

from textual.binding import Binding, BindingType

from runbook_tui.runbook.model import Reference, Runbook, Step
from runbook_tui.session.plan import Plan
from runbook_tui.tui.walk_items import AdhocItem, ListItem

BINDINGS: list[BindingType] = [
    Binding("enter", "perform", "Perform", id="walk.perform"),
    Binding("s", "skip", "Skip", id="walk.skip"),
    Binding("m", "mark", "Mark", id="walk.mark"),
    Binding("colon", "adhoc", "Command", id="walk.adhoc"),
    Binding("n", "note", "Note", id="walk.note"),
    Binding("x,ctrl+c", "cancel_step", "Cancel step", id="walk.cancel"),
    Binding("r", "retry", "Retry", id="walk.retry"),
    Binding("b", "rollback", "Rollback", id="walk.rollback"),
    Binding("e", "end_session", "End", id="walk.end"),
    Binding("E", "export", "Export", id="walk.export"),
    # The header names the key beside the count: the footer keeps its room.
    Binding("w", "warnings", "Warnings", show=False, id="walk.warnings"),
    Binding("question_mark", "help", "Keys", id="walk.help"),
    Binding("q", "quit_walk", "Quit", id="walk.quit"),
    Binding("1", "show_tab('tab-step')", "Step tab", show=False, id="walk.tab-step"),
    Binding("2", "show_tab('tab-logs')", "Logs tab", show=False, id="walk.tab-logs"),
    Binding("3", "show_tab('tab-services')", "Services tab", show=False, id="walk.tab-services"),
    Binding("4", "show_tab('tab-backups')", "Backups tab", show=False, id="walk.tab-backups"),
]

# Keys the footer keeps when it cannot show every key: the one that lists them all,
# and quit.
PINNED = ("question_mark", "q")

# What each action is called in the help and the command palette.
ACTION_HELP: dict[str, str] = {
    "perform": "Perform the selected step (run it, or mark a manual step done)",
    "skip": "Skip the step (with a reason), or pass a reference block by",
    "mark": "Mark the selected reference block done by hand",
    "adhoc": "Run a command the runbook does not have (ad-hoc)",
    "warnings": "List the runbook's lint warnings",
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
CHANGING = ("perform", "skip", "mark", "adhoc", "cancel_step", "retry", "rollback")


def description(action: str, item: ListItem | None) -> str | None:
    """What a key is called in the footer for the selected `item`, where that differs
    from its binding's description (None: the binding's)."""
    if action == "perform":
        if isinstance(item, Reference):
            return "Edit"
        if isinstance(item, AdhocItem):
            return "Run again"
    if action == "skip" and isinstance(item, Reference):
        return "Pass"
    return None


def applies(
    action: str,
    *,
    step: ListItem | None,
    plan: Plan | None,
    running: bool,
    runbook: Runbook,
    wide: bool,
    warnings: int = 0,
) -> bool:
    """Whether `action` applies now: with `step` selected (a step, a reference block or
    an ad-hoc command), the walk's `plan` (None before the session exists), a step
    `running` or not, the layout `wide` or not, and the runbook's lint `warnings` (the
    number keys show a tab when narrow and focus a panel when wide: both apply)."""
    if action == "perform":
        return step is not None and not running
    if action == "skip":
        if isinstance(step, Reference):
            status = plan.status(step.id) if plan is not None else "pending"
            return not running and status in ("pending", "failed", "interrupted")
        if not isinstance(step, Step):
            return False
        return not running and (plan is None or plan.can_skip(step.id))
    if action == "mark":
        if not isinstance(step, Reference) or running:
            return False
        return plan is None or plan.status(step.id) not in ("succeeded", "running")
    if action == "adhoc":
        return not running
    if action == "warnings":
        return warnings > 0
    if action == "cancel_step":
        return running
    if action == "retry":
        if not isinstance(step, Step):
            return False
        return not running and plan is not None and plan.can_retry(step.id)
    if action == "rollback":
        return plan.can_roll_back if plan is not None else bool(runbook.rollback_steps)
    return True
