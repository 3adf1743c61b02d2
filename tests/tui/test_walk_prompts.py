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
    # A number key shows a tab (narrow) or focuses a panel (wide).
    assert applies("show_tab") and applies("show_tab", wide=True)


def test_keys_on_a_reference_block_and_on_an_ad_hoc_command() -> None:
    from runbook_tui.runbook.model import Reference
    from runbook_tui.tui.walk_items import AdhocItem

    ref = Reference(id="ref-abc123", line=4, text="kubectl get pods\n")
    runbook = Runbook(title="T", steps=(_step(),), references=(ref,))
    adhoc = AdhocItem("adhoc-1", "pwd")

    def applies(action: str, item: object, **kw: object) -> bool:
        args = {"step": item, "plan": None, "running": False, "runbook": runbook, "wide": False}
        return walk_keys.applies(action, **{**args, **kw})  # type: ignore[arg-type]

    # Enter opens a block for editing; m marks it; s passes it by; retry is the steps'.
    assert applies("perform", ref) and applies("mark", ref) and applies("skip", ref)
    assert not applies("retry", ref) and not applies("mark", ref, running=True)
    assert not applies("mark", runbook.steps[0]) and not applies("mark", adhoc)
    # An ad-hoc command: Enter opens the command line on it; nothing to skip or mark.
    assert applies("perform", adhoc) and not applies("skip", adhoc)
    assert applies("adhoc", None) and not applies("adhoc", None, running=True)
    assert not applies("warnings", None) and applies("warnings", None, warnings=2)
    assert walk_keys.description("perform", ref) == "Edit"
    assert walk_keys.description("skip", ref) == "Pass"
    assert walk_keys.description("perform", adhoc) == "Run again"
    assert walk_keys.description("perform", runbook.steps[0]) is None


def test_the_walk_opens_saying_what_it_will_not_run() -> None:
    from runbook_tui.runbook.model import Reference

    refs = tuple(Reference(id=f"ref-{n}", line=n, text="kubectl get pods\n") for n in (3, 9))
    assert walk_prompts.opening_text(Runbook(title="T", references=refs), 2) == (
        "No steps to run: its 2 code blocks are shown only (◇). Enter edits and runs one."
    )
    assert walk_prompts.opening_text(Runbook(title="T"), 0).startswith("No steps to run")
    with_steps = Runbook(title="T", steps=(_step(),))
    assert walk_prompts.opening_text(with_steps, 1) == ("This runbook has 1 warning: w lists them.")
    assert walk_prompts.opening_text(with_steps, 0) == ""
