"""The walk's steps, for the walk screen that owns them: performing the selected step
(Enter, r) once the operator has answered what its runbook asks (run it again? the
values its placeholders need, the confirm, the danger phrase), skipping it (s), what
the walk says and offers once a step ended (Enter moves on, the rollback offer) and the
switch to the rollback steps (b).

Every act goes through the engine (journal first): `confirm_manual`, `run_step` (by
`StepRuns`), `skip`, `switch_walk`. What is next and what may be done come from the
engine's plan (session/plan.py). The runs off the plan are walk_offplan.py's; the end
of the walk is walk_end.py's.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from runbook_tui.runbook.model import Runbook, Step
from runbook_tui.tui import walk_prompts as prompts
from runbook_tui.tui.engine_api import EngineLike, StepOutcomeLike
from runbook_tui.tui.step_list import StepList
from runbook_tui.tui.step_runs import StepEnd, StepRuns

if TYPE_CHECKING:
    from textual.screen import Screen

    from runbook_tui.tui.walk_fills import Fills
    from runbook_tui.tui.walk_offplan import Intent, OffPlan


class OnPlan:
    def __init__(
        self,
        screen: Screen[None],
        *,
        runbook: Runbook,
        engine: Callable[[], EngineLike],
        runs: StepRuns,
        fills: Callable[[], Fills],
        off_plan: Callable[[], OffPlan],
        intent: Intent,
        say: Callable[[str], None],
        refresh: Callable[[], None],
        footer: Callable[[], None],
        walk_over: Callable[[], None],
    ) -> None:
        """Acts for `screen` (its dialogs, its step list) in `engine()`'s session.
        `runbook`: the screen's masked copy. `fills()` and `off_plan()` are asked for
        when a step needs them; `refresh()` redraws the fold, `footer()` the keys;
        `walk_over()` offers to end the session once no step is left."""
        self._screen = screen
        self._runbook = runbook
        self._engine = engine
        self._runs = runs
        self._fills = fills
        self._off_plan = off_plan
        self._intent = intent
        self._say = say
        self._refresh = refresh
        self._footer = footer
        self._walk_over = walk_over
        # The step whose end the operator is reading: Enter on it moves on (view state),
        # and what the message line says of it once they have.
        self._just_ended: str | None = None
        self._ended_text = ""

    def _push(self, screen: Any, callback: Callable[[Any], object]) -> None:
        self._screen.app.push_screen(screen, callback)

    def _status(self, step_id: str) -> str:
        return self._engine().plan.status(step_id)

    def _selected_step_id(self) -> str | None:
        return self._screen.query_one(StepList).selected_step_id

    # ---- performing ----------------------------------------------------------------

    def perform(self, step: Step) -> None:
        """Enter on `step`: right after its end, move on; done already, ask before
        running it again; otherwise run it (after its questions)."""
        status = self._status(step.id)
        if step.id == self._just_ended and status in ("succeeded", "skipped"):
            # The operator has read the step's end: Enter moves on.
            self.advance_from(step.id)
            return
        if status in ("succeeded", "skipped"):
            self._ask_first(step, prompts.again_dialog(step, status))
            return
        self._run_again_or_guard(step, status)

    def retry(self, step: Step) -> None:
        """`r`: run a failed or interrupted step again (after its questions)."""
        if (status := self._status(step.id)) in ("failed", "interrupted"):
            self._run_again_or_guard(step, status)

    def _run_again_or_guard(self, step: Step, status: str) -> None:
        """An interrupted step may have run already: ask before running it again."""
        if status == "interrupted":
            self._ask_first(step, prompts.may_have_run_dialog(step))
        else:
            self._guarded(step)

    def _ask_first(self, step: Step, dialog: Any) -> None:
        self._push(
            dialog, lambda yes: self._guarded(step) if yes else self._say(prompts.NOTHING_RUN)
        )

    def _guarded(self, step: Step) -> None:
        """Ask for the values its placeholders need, then what the runbook says to ask,
        then perform."""
        if step.kind != "shell":
            self._guard_then_perform(step, {}, "")
            return
        # The engine's own copy: the screen's is masked, and the engine runs the original.
        text = self._engine().runbook.step(step.id).command
        self._fills().ask(
            text,
            step.title,
            then=lambda fills, shown: self._guard_then_perform(step, fills, shown),
            refused=lambda why: self._off_plan().edit_step(
                step, why, lambda adhoc_id: self._replaced(step, adhoc_id)
            ),
        )

    def _guard_then_perform(self, step: Step, fills: dict[str, str], shown: str) -> None:
        # With values filled in, the guard shows the command as it will run.
        dialog = prompts.guard_dialog(step, command=shown if fills else None)
        if dialog is None:
            self._perform(step, fills)
            return
        self._push(
            dialog,
            lambda yes: self._perform(step, fills) if yes else self._say(prompts.NOTHING_RUN),
        )

    def _replaced(self, step: Step, adhoc_id: str) -> None:
        """An edited copy of `step` ran as `adhoc_id` and succeeded: the step is done
        with, on the record."""
        reason = f"an edited copy ran as {adhoc_id}"
        if self._intent("skip the step", lambda: self._engine().skip(step.id, reason)):
            self._refresh()

    def _perform(self, step: Step, fills: dict[str, str] | None = None) -> None:
        if step.kind == "manual":
            if self._intent(
                "record the step as done", lambda: self._engine().confirm_manual(step.id)
            ):
                self._say(f"Done: {step.title}")
                self.advance_from(step.id)
        elif step.interactive:
            end = self._runs.run_interactive(step, fills)
            if end.error is not None:
                self._say(prompts.could_not_run(step, end.error))
                return
            self._after_outcome(step, end.outcome)
        else:
            self._say(f"Running: {step.title}")
            self._runs.start_shell(step, fills)
            self._footer()

    def skip(self, step: Step) -> None:
        """`s`: ask why, then record `step` skipped and move on."""

        def done(reason: str | None) -> None:
            if reason is None:
                self._say("Not skipped.")
                return
            if self._intent("skip the step", lambda: self._engine().skip(step.id, reason)):
                self._say(prompts.skipped_text(step, reason))
                self._refresh()
                self.advance_from(step.id)

        self._push(prompts.skip_dialog(step), done)

    # ---- after a step ------------------------------------------------------------------

    def ended(self, step: Step, end: StepEnd) -> None:
        """A shell step's run ended (its worker): say how, and offer what follows."""
        if end.error is not None:
            self._say(prompts.could_not_run(step, end.error))
        elif end.outcome is not None:
            self._after_outcome(step, end.outcome)

    def _after_outcome(self, step: Step, outcome: StepOutcomeLike | None) -> None:
        self._refresh()
        if outcome is None:
            return
        plan = self._engine().plan
        if outcome.verdict == "succeeded":
            # The output stays in view until the operator moves on (Enter or arrows).
            following = plan.next_step(step.id)
            self._ended_text = prompts.succeeded_text(step, outcome)
            if following is None:
                self._say(self._ended_text)
                self._walk_over()
            elif self._selected_step_id() == step.id:
                self._just_ended = step.id
                self._say(prompts.moves_on_text(self._ended_text, following))
            else:
                self._say(self._ended_text)
            return
        self._say(prompts.failed_text(step, outcome))
        if "cancel" in (outcome.reason or "").lower():
            return
        if plan.can_roll_back:
            # After the pending refresh: the footer behind a modal does not rebuild, so
            # it must show the failed step's keys (Retry) before the dialog covers it.
            self._screen.call_after_refresh(
                self._screen.app.push_screen,
                prompts.rollback_offer(step, outcome),
                lambda choice: self._on_rollback_choice(step, choice),
            )
        elif plan.over:
            self._walk_over()

    def _on_rollback_choice(self, step: Step, choice: str | None) -> None:
        if choice == "rollback":
            self._enter_rollback(f"after “{step.title}” failed")
        elif choice == "retry":
            self._guarded(step)
        else:
            self._walk_over()  # staying after the last step failed

    def moved(self) -> None:
        """The selection moved: off the step whose end the operator was reading, the
        "Enter moves on" hint is done with."""
        if self._just_ended is not None and self._selected_step_id() != self._just_ended:
            self._just_ended = None
            self._say(self._ended_text)

    def advance_from(self, step_id: str) -> None:
        """After `step_id` is done, select the next step, unless the operator has moved;
        at the end of the walk, offer to end the session."""
        steps = self._screen.query_one(StepList)
        if steps.selected_step_id != step_id:
            return
        following = self._engine().plan.next_step(step_id)
        if following is None:
            self._walk_over()
            return
        steps.select_step(following.id)

    # ---- the rollback walk -------------------------------------------------------------

    def rollback(self) -> None:
        """`b`: the rollback steps become the walk."""
        if not self._runbook.rollback_steps:
            self._say("This runbook has no rollback steps.")
            return
        self._enter_rollback("at the operator's request")

    def _enter_rollback(self, why: str) -> None:
        # The switch is an event of the journal: the walk on screen is the fold's.
        if not self._intent(
            "switch to the rollback steps",
            lambda: self._engine().switch_walk("rollback", why),
        ):
            return
        first = self._engine().plan.next_step() or self._runbook.rollback_steps[0]
        self._screen.query_one(StepList).select_step(first.id)
        self._say("Rollback: the rollback steps are now the walk.")
        self._refresh()
