"""What the walk screen shows the operator in each situation: the dialogs it asks with,
the message line it writes after a step ends, the help rows and the quit message.

Pure builders: nothing here acts or keeps state; the screen decides when to show what
and what to do with the answer. The dialogs are imported when first built, so opening
the walk does not wait for their widgets.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

from textual.binding import Binding, BindingType

from runbook_tui.runbook.model import Runbook, Step
from runbook_tui.tui.command_box import EXPAND_KEY
from runbook_tui.tui.engine_api import EngineLike, StepOutcomeLike

if TYPE_CHECKING:
    from runbook_tui.tui.dialogs import (
        ChoiceDialog,
        ConfirmDialog,
        EndSessionDialog,
        ExportDialog,
        QuitWhileRunningDialog,
        RollbackOfferDialog,
        TextDialog,
    )

# What the message line says when the operator said no to running a step.
NOTHING_RUN = "Nothing was run."

# ---- before a step runs ---------------------------------------------------------


def may_have_run_dialog(step: Step) -> ConfirmDialog:
    """Before running an interrupted step again: its process died mid-step, so what it
    does may already be done."""
    from runbook_tui.tui.dialogs import ConfirmDialog

    return ConfirmDialog(
        f"“{step.title}” was interrupted and may have run: its process died mid-step, so "
        "its side effect may already have happened. Its recorded output is in the step's "
        "view.\n\nRun it again?",
        "May have run",
    )


def again_dialog(step: Step, status: str) -> ConfirmDialog:
    """Asks before performing a step that is already done (`status`) again."""
    from runbook_tui.tui.dialogs import ConfirmDialog

    return ConfirmDialog(f"“{step.title}” is already {status}. Perform it again?")


def guard_dialog(step: Step, command: str | None = None) -> ChoiceDialog | TextDialog | None:
    """What the runbook says to ask before `step` runs: its danger phrase (with the
    command), a yes to its command, or nothing (None). Either dialog answers with
    something truthy only when the step may run. `command`: what runs, when it is not
    the step's text as written (its placeholders filled)."""
    from runbook_tui.tui.dialogs import ConfirmDialog, DangerDialog

    command = command or step.command
    if step.danger:
        return DangerDialog(step.title, step.danger, command=command)
    if step.confirm:
        return ConfirmDialog(f"Run “{step.title}”?\n\n{command.strip()}")
    return None


def could_not_run(step: Step, error: BaseException) -> str:
    """The message line for a step that could not run at all."""
    from textual.app import SuspendNotSupported

    if isinstance(error, SuspendNotSupported):
        return "This step needs the real terminal, which this session cannot hand over."
    return f"Could not run “{step.title}”: {error}"


def opening_text(runbook: Runbook, warnings: int) -> str:
    """The message line when the walk opens: a runbook without steps says that its
    code blocks are shown only (the walk opens on them), and lint warnings are never
    passed over in silence."""
    if not runbook.steps and runbook.references:
        count = len(runbook.references)
        blocks = f"{count} code block{'s' if count != 1 else ''} {'are' if count != 1 else 'is'}"
        return f"No steps to run: its {blocks} shown only (◇). Enter edits and runs one."
    if not runbook.steps:
        return "No steps to run and no code blocks: nothing here runs."
    if warnings:
        return f"This runbook has {warnings_text(warnings)}: w lists them."
    return ""


def warnings_text(count: int) -> str:
    """`3 warnings`: what the header and the message line say of the lint warnings."""
    return f"{count} warning{'s' if count != 1 else ''}"


# ---- after a step ended ---------------------------------------------------------


def _exit_code(outcome: StepOutcomeLike) -> str:
    return f" (exit {outcome.exit_code})" if outcome.exit_code is not None else ""


def _reason(outcome: StepOutcomeLike) -> str:
    return f": {outcome.reason}" if outcome.reason else ""


def succeeded_text(step: Step, outcome: StepOutcomeLike) -> str:
    """`✓ Title (exit 0)`: what the message line keeps saying of a step that succeeded."""
    return f"✓ {step.title}{_exit_code(outcome)}"


def moves_on_text(ended_text: str, following: Step) -> str:
    """The message line while the operator reads the end of a step: Enter moves on."""
    return f"{ended_text}. Enter moves on to “{following.title}”."


def failed_text(step: Step, outcome: StepOutcomeLike) -> str:
    """`✗ Title (exit 3): reason. r retries, s skips.`"""
    return f"✗ {step.title}{_exit_code(outcome)}{_reason(outcome)}. r retries, s skips."


def rollback_offer(step: Step, outcome: StepOutcomeLike) -> RollbackOfferDialog:
    """Offered after `step` failed, when the walk can roll back."""
    from runbook_tui.tui.dialogs import RollbackOfferDialog

    return RollbackOfferDialog(
        f"“{step.title}” failed{_exit_code(outcome)}{_reason(outcome)}.\n\n"
        "Switch to the rollback steps, retry, or stay here?"
    )


def walk_over_text(summary: str) -> str:
    """The message line once no step of the walk is left."""
    return f"The walk is over: {summary}. Press e to end the session."


# ---- the operator's other intents ---------------------------------------------------


def skip_dialog(step: Step) -> TextDialog:
    """Asks why `step` is skipped (the reason is recorded)."""
    from runbook_tui.tui.dialogs import TextDialog

    return TextDialog(f"Skip “{step.title}”", "Why is this step skipped?", placeholder="reason")


def skipped_text(step: Step, reason: str) -> str:
    return f"↷ Skipped: {step.title} ({reason})"


def note_dialog() -> TextDialog:
    """Asks for a note for the record."""
    from runbook_tui.tui.dialogs import TextDialog

    return TextDialog("Note", "A note for the record (timestamped).", placeholder="note")


def end_dialog() -> EndSessionDialog:
    """Asks how the session ended."""
    from runbook_tui.tui.dialogs import EndSessionDialog

    return EndSessionDialog("How did it go? The record will say so.")


def export_dialog() -> ExportDialog:
    """Asks which format to write the session's transcript in."""
    from runbook_tui.tui.dialogs import ExportDialog

    return ExportDialog(
        "The session as recorded so far, for the postmortem: markdown (a draft in the "
        "postmortem templates' shape), HTML (one page, colours kept), JSON (everything) "
        "or asciicast (a replay for asciinema). It is written in the session's folder."
    )


def exported_text(path: object) -> str:
    return f"Transcript written to {path}"


def quit_while_running_dialog(step_title: str) -> QuitWhileRunningDialog:
    """Asks before quitting while the step `step_title` runs (quitting cancels it)."""
    from runbook_tui.tui.dialogs import QuitWhileRunningDialog

    return QuitWhileRunningDialog(
        f"“{step_title}” is still running. Quitting cancels it (its process group is "
        "killed). The session stays resumable."
    )


def quit_message(engine: EngineLike, runbook_path: str | None, reopen: str | None = None) -> str:
    """What the terminal says after a quit: the session is kept, and the commands that
    open or resume it. `reopen`: the command that opens it again when that is not
    opening the runbook file (the demo: its sandbox and service come with it)."""
    from runbook_tui.invocation import open_hint, resume_hint

    if reopen is not None:
        return (
            f"Session {engine.session_id} is kept. To resume it, open it again "
            f"({reopen}) and pick the runbook."
        )
    path = runbook_path or "FILE"
    return (
        f"Session {engine.session_id} is kept. To resume it, open the runbook "
        f"again ({open_hint(path, engine.home)}), or without the UI: "
        f"{resume_hint(engine.session_id, engine.home)}"
    )


# ---- help -------------------------------------------------------------------------


def help_rows(
    bindings: Sequence[BindingType],
    action_help: Mapping[str, str],
    key_display: Callable[[Binding], str],
) -> list[tuple[str, str]]:
    """Every key of the walk, as (keys, what it does): the screen's `bindings` (named
    by `action_help`, else by their description), then the keys that are not the
    screen's own: the step list's arrows, the step detail's, the edit box's, the Logs
    panel's, the command palette."""
    rows: list[tuple[str, str]] = []
    for binding in bindings:
        assert isinstance(binding, Binding)
        text = action_help.get(binding.action.split("(")[0], binding.description)
        keys = " ".join(key_display(Binding(key, "")) for key in binding.key.split(","))
        rows.append((keys, text))
    rows.append(("↑ ↓", "Select a step"))
    # The step detail's own keys (tui/step_detail.py), which apply while it has the focus.
    detail_keys = [
        (EXPAND_KEY, "Expand or collapse a long command"),
        ("escape", "Back to the step list (from the step detail)"),
    ]
    rows.extend((key_display(Binding(key, "")), text) for key, text in detail_keys)
    # The edit box's and the value form's (tui/edit_box.py, tui/fill_form.py).
    box_keys = [
        ("ctrl+s", "Run (in the edit box, after a confirm; in the value form)"),
        ("ctrl+o", "Keep only the `$ ` command lines (in the edit box)"),
        ("ctrl+t", "Interactive: the command gets the terminal (edit box, : line)"),
    ]
    rows.extend((key_display(Binding(key, "")), text) for key, text in box_keys)
    # The Logs panel's (tui/log_panel.py), which apply while it has the focus.
    log_keys = [
        ("f", "Pause or follow the log (in the Logs panel)"),
        ("slash", "Filter the log's lines by a regular expression (in the Logs panel)"),
        ("t", "Jump to a time in the log: 09:12 (in the Logs panel)"),
        ("l", "The next log, when there are several (in the Logs panel)"),
    ]
    rows.extend((key_display(Binding(key, "")), text) for key, text in log_keys)
    rows.append(("ctrl+p", "Command palette: every action by name"))
    return rows
