"""The walk's runs off the plan, for the walk screen that owns them: an edited copy of a
reference block (Enter on it opens the edit box; Ctrl+S, a confirm, then it runs), an
ad-hoc command (`:`), and a step or an ad-hoc command whose placeholder cannot be filled
where it stands (its command opens in the edit box and runs as an ad-hoc command). Also
marking a reference block done by hand (`m`) and passing it by (`s`).

Every one goes through the engine (journal first): `run_reference`, `run_adhoc`,
`mark_reference`, `pass_reference`. They never count in the walk's progress and are
never next (session/plan.py); what the operator sees of them comes from the fold.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from textual.content import Content

from runbook_tui.runbook.model import Reference, Step
from runbook_tui.tui.engine_api import EngineLike, StepOutcomeLike
from runbook_tui.tui.run_options import RunRequest
from runbook_tui.tui.step_list import StepList
from runbook_tui.tui.step_runs import Run, StepEnd, StepRuns
from runbook_tui.tui.walk_fills import Fills
from runbook_tui.tui.walk_items import AdhocItem, ListItem
from runbook_tui.tui.walk_prompts import NOTHING_RUN

if TYPE_CHECKING:
    from textual.screen import Screen

Intent = Callable[[str, Callable[[], object]], bool]


class OffPlan:
    def __init__(
        self,
        screen: Screen[None],
        *,
        engine: Callable[[], EngineLike],
        runs: StepRuns,
        fills: Fills,
        intent: Intent,
        say: Callable[[str], None],
        refresh: Callable[[], None],
    ) -> None:
        self._screen = screen
        self._engine = engine
        self._runs = runs
        self._fills = fills
        self._intent = intent
        self._say = say
        self._refresh = refresh
        # Set while an ad-hoc command this screen started has not reported its id.
        self._awaiting_adhoc = False
        # Called with the ad-hoc id once the edited copy of a step succeeded.
        self._after_success: Callable[[str], None] | None = None

    def _push(self, screen: Any, callback: Callable[[Any], object]) -> None:
        self._screen.app.push_screen(screen, callback)

    # ---- Enter on an item that is not a step ------------------------------------

    def perform(self, item: ListItem) -> None:
        """A reference block opens in the edit box; an ad-hoc command opens in the
        command line again, to be edited and run as a new one."""
        if isinstance(item, Reference):
            self.edit_reference(item)
        elif isinstance(item, AdhocItem):
            self.adhoc(item.command)

    # ---- reference blocks ----------------------------------------------------------

    def edit_reference(
        self, ref: Reference, request: RunRequest | None = None, error: str = ""
    ) -> None:
        """`ref` in the edit box: as written, or as `request` sent it back (`error`)."""
        from runbook_tui.tui.edit_box import EditBox

        about = Content.assemble(
            "The block at line ",
            Content.styled(str(ref.line), "bold"),
            f" is shown only ({ref.why}). Edit it into the command to run: it runs in "
            "the session's shell and is recorded beside the block.",
        )
        box = EditBox(
            "Run an edited copy",
            about,
            ref.text if request is None else request.text,
            error=error,
            interactive=request is not None and request.interactive,
            timeout_seconds=None if request is None else request.timeout_seconds,
        )
        self._push(box, lambda request: self._edited_reference(ref, request))

    def _edited_reference(self, ref: Reference, request: RunRequest | None) -> None:
        if request is None:
            self._say(NOTHING_RUN)
            return

        def confirmed(fills: dict[str, str], shown: str) -> None:
            self._run(ref, request, fills)

        def back_to_the_box(why: str) -> None:
            self._say(why)
            self.edit_reference(ref, request, error=why)

        self._fills.ask(
            request.text,
            ref.title,
            then=lambda fills, shown: (
                confirmed(fills, shown)
                if fills  # the form showed the final command and was the go-ahead
                else self._confirm(
                    f"Run this edited copy of the block at line {ref.line}?",
                    shown,
                    lambda: confirmed(fills, shown),
                )
            ),
            refused=back_to_the_box,
        )

    def _confirm(self, question: str, shown: str, then: Callable[[], None]) -> None:
        from runbook_tui.tui.dialogs import ConfirmDialog

        body = Content.assemble(question, "\n\n", Content(shown.strip()))
        self._push(
            ConfirmDialog(body, "Run it?"), lambda yes: then() if yes else self._say(NOTHING_RUN)
        )

    def mark(self, ref: Reference) -> None:
        """Record the block as done by hand (outside this tool); the selection moves
        down."""
        if self._intent("mark the block done", lambda: self._engine().mark_reference(ref.id)):
            self._say(f"✓ Marked done by hand: the block at line {ref.line}.")
            self._moved_on()

    def pass_by(self, ref: Reference) -> None:
        """Ask for an optional reason, then record the block as passed by; the
        selection moves down."""
        from runbook_tui.tui.dialogs import PassByDialog

        def done(reason: str | None) -> None:
            if reason is None:
                self._say("Not passed by.")
                return
            if self._intent(
                "pass the block by", lambda: self._engine().pass_reference(ref.id, reason)
            ):
                self._say(f"↷ Passed by: the block at line {ref.line}.")
                self._moved_on()

        self._push(PassByDialog(ref.line), done)

    def _moved_on(self) -> None:
        """A block was marked or passed by: the selection moves down."""
        self._refresh()
        self._screen.query_one(StepList).action_move(1)

    # ---- ad-hoc commands -----------------------------------------------------------

    def adhoc(self, text: str = "") -> None:
        from runbook_tui.tui.adhoc_line import AdhocLine

        self._push(AdhocLine(text), self._typed)

    def _typed(self, request: RunRequest | None) -> None:
        if request is None:
            self._say(NOTHING_RUN)
            return

        self._fills.ask(
            request.text,
            "The ad-hoc command",
            then=lambda fills, shown: self._run(AdhocItem("adhoc", request.text), request, fills),
            refused=lambda why: self.edit_adhoc(request, why),
        )

    def edit_adhoc(self, request: RunRequest, why: str) -> None:
        """The ad-hoc command `request` has a placeholder that cannot be filled where it
        stands (`why`): it opens in the edit box, as a block's or a step's would."""
        from runbook_tui.tui.edit_box import EditBox

        about = Content.assemble(
            "A placeholder of this command cannot be filled where it stands. Edit the "
            "command (write the value in, or move it out of the quotes): it runs as an "
            "ad-hoc command."
        )
        self._say(why)
        box = EditBox(
            "Edit the command",
            about,
            request.text,
            error=why,
            interactive=request.interactive,
            timeout_seconds=request.timeout_seconds,
        )
        self._push(box, self._edited_adhoc)

    def _edited_adhoc(self, request: RunRequest | None) -> None:
        if request is None:
            self._say(NOTHING_RUN)
            return

        def run(fills: dict[str, str]) -> None:
            self._run(AdhocItem("adhoc", request.text), request, fills)

        self._fills.ask(
            request.text,
            "The ad-hoc command",
            then=lambda fills, shown: (
                run(fills)
                if fills  # the form showed the final command and was the go-ahead
                else self._confirm("Run the edited command?", shown, lambda: run(fills))
            ),
            refused=lambda why: self.edit_adhoc(request, why),
        )

    def edit_step(self, step: Step, why: str, done: Callable[[str], None]) -> None:
        """`step`'s placeholder cannot be filled where it stands (`why`): its command
        opens in the edit box and runs as an ad-hoc command; `done(adhoc id)` once it
        succeeded (the screen records the step skipped, naming it)."""
        from runbook_tui.tui.edit_box import EditBox

        about = Content.assemble(
            Content.styled(why, "$text-warning"),
            "\n\nEdit the command (write the value in, or move it out of the quotes). It "
            "runs as an ad-hoc command; once it succeeds, ",
            Content.styled(step.title, "bold"),
            " is recorded as skipped, naming it.",
        )
        self._say(why)
        box = EditBox(
            "Edit the command",
            about,
            step.command,
            interactive=step.interactive,
            timeout_seconds=step.timeout_seconds,
        )
        self._push(box, lambda request: self._edited_step(step, request, done))

    def _edited_step(
        self, step: Step, request: RunRequest | None, done: Callable[[str], None]
    ) -> None:
        if request is None:
            self._say(NOTHING_RUN)
            return

        def run(fills: dict[str, str]) -> None:
            self._after_success = done
            self._run(AdhocItem("adhoc", request.text), request, fills)

        self._fills.ask(
            request.text,
            step.title,
            then=lambda fills, shown: (
                run(fills)
                if fills
                else self._confirm("Run the edited command?", shown, lambda: run(fills))
            ),
            refused=lambda why: self.edit_step(step, why, done),
        )

    # ---- running ---------------------------------------------------------------------

    def _run(self, item: Reference | AdhocItem, request: RunRequest, fills: dict[str, str]) -> None:
        run: Run
        if isinstance(item, Reference):
            ref_id = item.id

            def run(engine: EngineLike) -> StepOutcomeLike:
                return engine.run_reference(
                    ref_id,
                    request.text,
                    confirmed_by="operator",
                    fills=fills,
                    interactive=request.interactive,
                    timeout_seconds=request.timeout_seconds,
                )
        else:
            self._awaiting_adhoc = True

            def run(engine: EngineLike) -> StepOutcomeLike:
                return engine.run_adhoc(
                    request.text,
                    fills=fills,
                    interactive=request.interactive,
                    timeout_seconds=request.timeout_seconds,
                )

        if request.interactive:
            self.ended(self._runs.interactive(item, run))
            self._refresh()
            return
        self._say(
            f"Running: {item.title}"
            if isinstance(item, AdhocItem)
            else f"Running an edited copy of the block at line {item.line}…"
        )
        self._runs.start(item, run)

    def started(self, event: dict[str, Any]) -> None:
        """A run began (a journal event): an ad-hoc command this screen started is
        selected, so its live output is in view."""
        if not (self._awaiting_adhoc and event.get("type") == "step_started"):
            return
        if event.get("kind") != "adhoc":
            return
        self._awaiting_adhoc = False
        steps = self._screen.query_one(StepList)
        step_id = str(event.get("step_id"))
        with contextlib.suppress(KeyError):  # not listed yet (the caller redraws first)
            steps.select_step(step_id)

    def ended(self, end: StepEnd) -> None:
        """What the message line says once a run off the plan ended."""
        self._awaiting_adhoc = False
        after, self._after_success = self._after_success, None
        item = end.step
        what = (
            f"the edited copy of the block at line {item.line}"
            if isinstance(item, Reference)
            else f"{item.id}: {item.title}"
        )
        if end.error is not None:
            self._say(f"Could not run {what}: {end.error}")
            return
        outcome = end.outcome
        if outcome is None:
            return
        code = f" (exit {outcome.exit_code})" if outcome.exit_code is not None else ""
        if outcome.verdict == "succeeded":
            self._say(f"✓ Ran {what}{code}.")
            if after is not None:
                after(outcome.step_id)
            return
        reason = f": {outcome.reason}" if outcome.reason else ""
        again = " Enter edits it again." if isinstance(item, Reference) else ""
        self._say(f"✗ {what[0].upper()}{what[1:]} failed{code}{reason}.{again}")
