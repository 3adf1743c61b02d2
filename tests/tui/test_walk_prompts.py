"""What the walk says and asks, and when its keys apply: the pure parts of the walk
screen, checked without an app."""

from __future__ import annotations

from dataclasses import dataclass

from textual.binding import Binding

from runbook_tui.runbook.model import Runbook, Step
from runbook_tui.tui import walk_keys, walk_prompts
from runbook_tui.tui.dialogs import ConfirmDialog, DangerDialog
from runbook_tui.tui.step_runs import allowed_by


@dataclass
class Outcome:
    verdict: str
    exit_code: int | None
    reason: str = ""
    cancelled: bool = False


def _step(**kwargs: object) -> Step:
    fields: dict[str, object] = {"name": "Purge", **kwargs}
    return Step(id="s1", kind="shell", command="rm -rf /srv/cache\n", line=1, **fields)  # type: ignore[arg-type]


def test_a_plain_step_runs_without_a_question_and_is_allowed_by_nobody() -> None:
    step = _step()
    assert walk_prompts.guard_dialog(step) is None
    assert allowed_by(step) is None


def test_a_danger_step_asks_for_its_phrase_and_a_confirm_step_for_a_yes() -> None:
    danger = _step(danger="purge it")
    assert isinstance(walk_prompts.guard_dialog(danger), DangerDialog)
    assert allowed_by(danger) == "phrase"
    confirm = _step(confirm=True)
    assert isinstance(walk_prompts.guard_dialog(confirm), ConfirmDialog)
    assert allowed_by(confirm) == "operator"


def test_the_message_line_after_a_step_ends_names_it_and_its_exit_code() -> None:
    step = _step()
    ok = walk_prompts.succeeded_text(step, Outcome("succeeded", 0))
    assert ok == "✓ Purge (exit 0)"
    assert walk_prompts.moves_on_text(ok, _step(name="Next")) == (
        "✓ Purge (exit 0). Enter moves on to “Next”."
    )
    failed = walk_prompts.failed_text(step, Outcome("failed", 3, "exit code 3"))
    assert failed == "✗ Purge (exit 3): exit code 3. r retries, s skips."


def test_the_help_lists_the_bindings_then_the_keys_of_the_list_and_the_detail() -> None:
    rows = walk_prompts.help_rows(walk_keys.BINDINGS, walk_keys.ACTION_HELP, lambda b: b.key)
    keys = [key for key, _ in rows]
    assert keys[: len(walk_keys.BINDINGS)] == [
        " ".join(b.key.split(",")) for b in walk_keys.BINDINGS if isinstance(b, Binding)
    ]
    assert dict(rows)["c"] == "Expand or collapse a long command"
    assert dict(rows)["escape"] == "Back to the step list (from the step detail)"
    assert keys[-1] == "ctrl+p"


def test_before_the_session_exists_only_what_needs_no_record_is_ruled_out() -> None:
    runbook = Runbook(title="T", steps=(_step(),))
    step = runbook.steps[0]

    def applies(action: str, **kw: object) -> bool:
        args = {"step": step, "plan": None, "running": False, "runbook": runbook, "wide": False}
        return walk_keys.applies(action, **{**args, **kw})  # type: ignore[arg-type]

    assert applies("perform") and applies("skip")
    assert not applies("cancel_step") and applies("cancel_step", running=True)
    assert not applies("perform", running=True)
    assert not applies("retry")  # nothing has failed without a session
    assert not applies("rollback")  # no rollback steps
    assert applies("show_tab") and not applies("show_tab", wide=True)
