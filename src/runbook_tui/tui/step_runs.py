"""Running a step off the event loop, for the walk screen that owns it.

A shell step runs in a thread worker of the screen (group "step", named for the step),
so the screen keeps drawing its output; an interactive step gets the real terminal
(the app suspends) and the hang-up check after it. An edited copy of a reference block
and an ad-hoc command run the same ways. `StepRuns` knows whether something is
running, what, and can wait for it; what the screen says and offers afterwards is the
screen's.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import NamedTuple

from textual.screen import Screen
from textual.worker import Worker, WorkerState

from runbook_tui.runbook.model import Step
from runbook_tui.tui import terminal
from runbook_tui.tui.engine_api import EngineLike, StepOutcomeLike
from runbook_tui.tui.walk_items import AdhocItem, ListItem

# The worker group of step runs.
GROUP = "step"

# One run: the engine call that runs the item and blocks until it ends.
Run = Callable[[EngineLike], StepOutcomeLike]


class StepEnd(NamedTuple):
    """How a run ended: with the engine's outcome (None when the worker was
    cancelled), or with the `error` that kept the step from running. `step` is the
    item that ran (for an ad-hoc command, with the id the engine gave it)."""

    step: ListItem
    outcome: StepOutcomeLike | None = None
    error: BaseException | None = None


class StepRuns:
    def __init__(self, screen: Screen[None], engine: Callable[[], EngineLike]) -> None:
        """Runs for `screen` (whose workers they are), in `engine()`'s session."""
        self._screen = screen
        self._engine = engine
        self._worker: Worker[StepOutcomeLike] | None = None
        self._item: ListItem | None = None

    @property
    def running(self) -> bool:
        """Whether a run's worker is pending or running."""
        worker = self._worker
        return worker is not None and worker.state in (WorkerState.PENDING, WorkerState.RUNNING)

    @property
    def running_step_id(self) -> str | None:
        """The id of the item that is running, if one is ("adhoc" for an ad-hoc
        command before the engine has named it)."""
        return self._item.id if self._item is not None and self.running else None

    @property
    def running_title(self) -> str | None:
        """What the running item is called, for the operator."""
        return self._item.title if self._item is not None and self.running else None

    def start_shell(self, step: Step, fills: Mapping[str, str] | None = None) -> None:
        """Run the shell step `step` with `fills` for its placeholders."""
        self.start(
            step,
            lambda engine: engine.run_step(step.id, confirmed_by=allowed_by(step), fills=fills),
        )

    def start(self, item: ListItem, run: Run) -> None:
        """`run` the item in a thread worker; its end comes back to the screen as a
        `Worker.StateChanged` (see `ended`)."""
        engine = self._engine()
        self._item = item
        self._worker = self._screen.run_worker(
            lambda: run(engine),
            name=item.id,
            group=GROUP,
            thread=True,
            exit_on_error=False,
        )

    def ended(self, event: Worker.StateChanged) -> StepEnd | None:
        """The end of this screen's run that `event` reports; None when the event is
        of another worker or the run goes on."""
        worker = event.worker
        if worker.group != GROUP or worker is not self._worker or self._item is None:
            return None
        item = self._item
        if event.state == WorkerState.SUCCESS:
            return StepEnd(named(item, worker.result), outcome=worker.result)
        if event.state == WorkerState.ERROR:
            return StepEnd(item, error=worker.error)
        if event.state == WorkerState.CANCELLED:
            return StepEnd(item)
        return None

    async def wait(self) -> None:
        """Wait for the run's worker (if one was started) to finish."""
        if self._worker is not None:
            await self._worker.wait()

    def run_interactive(self, step: Step, fills: Mapping[str, str] | None = None) -> StepEnd:
        """Run the interactive step `step` with the terminal handed over to it."""
        return self.interactive(
            step,
            lambda engine: engine.run_interactive(
                step.id, confirmed_by=allowed_by(step), fills=fills
            ),
        )

    def interactive(self, item: ListItem, run: Run) -> StepEnd:
        """`run` the item with the terminal handed over to it; blocks (the UI is
        suspended) until it ends. A hang-up while it held the terminal went to it, not
        to us: it is handled here."""
        from textual.app import SuspendNotSupported

        app = self._screen.app
        engine = self._engine()
        had_terminal = terminal.terminal_present()
        try:
            with app.suspend():
                outcome = run(engine)
                if had_terminal and not terminal.terminal_present():
                    terminal.hang_up(engine)
        except SuspendNotSupported as error:
            return StepEnd(item, error=error)
        except Exception as error:
            app.refresh(layout=True)
            return StepEnd(item, error=error)
        app.refresh(layout=True)
        return StepEnd(named(item, outcome), outcome=outcome)


def named(item: ListItem, outcome: StepOutcomeLike | None) -> ListItem:
    """An ad-hoc command with the id the engine gave it (known once it ran)."""
    if isinstance(item, AdhocItem) and outcome is not None:
        return AdhocItem(outcome.step_id, item.command)
    return item


def allowed_by(step: Step) -> str | None:
    """How the walk let the step run: the UI runs a danger step only after its phrase
    was typed, and a confirm step only after a yes."""
    if step.danger:
        return "phrase"
    return "operator" if step.confirm else None
