"""Running a step off the event loop, for the walk screen that owns it.

A shell step runs in a thread worker of the screen (group "step", named for the step),
so the screen keeps drawing its output; an interactive step gets the real terminal
(the app suspends) and the hang-up check after it. `StepRuns` knows whether a step is
running, which one, and can wait for it; what the screen says and offers afterwards
is the screen's.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from textual.screen import Screen
from textual.worker import Worker, WorkerState

from runbook_tui.runbook.model import Runbook, Step
from runbook_tui.tui import terminal
from runbook_tui.tui.engine_api import EngineLike, StepOutcomeLike

# The worker group of step runs.
GROUP = "step"


@dataclass(frozen=True)
class StepEnd:
    """How a run ended: with the engine's outcome (None when the worker was
    cancelled), or with the `error` that kept the step from running."""

    step: Step
    outcome: StepOutcomeLike | None = None
    error: BaseException | None = None


class StepRuns:
    def __init__(
        self, screen: Screen[None], runbook: Runbook, engine: Callable[[], EngineLike]
    ) -> None:
        """Runs of `runbook`'s steps for `screen` (whose workers they are), in
        `engine()`'s session."""
        self._screen = screen
        self._runbook = runbook
        self._engine = engine
        self._worker: Worker[StepOutcomeLike] | None = None

    @property
    def running(self) -> bool:
        """Whether a shell step's worker is pending or running."""
        worker = self._worker
        return worker is not None and worker.state in (WorkerState.PENDING, WorkerState.RUNNING)

    @property
    def running_step_id(self) -> str | None:
        """The id of the shell step that is running, if one is."""
        return self._worker.name if self._worker is not None and self.running else None

    def start_shell(self, step: Step) -> None:
        """Run the shell step `step` in a thread worker; its end comes back to the
        screen as a `Worker.StateChanged` (see `ended`)."""
        engine = self._engine()
        self._worker = self._screen.run_worker(
            lambda: engine.run_step(step.id, confirmed_by=allowed_by(step)),
            name=step.id,
            group=GROUP,
            thread=True,
            exit_on_error=False,
        )

    def ended(self, event: Worker.StateChanged) -> StepEnd | None:
        """The end of this screen's step run that `event` reports; None when the event
        is of another worker or the run goes on."""
        worker = event.worker
        if worker.group != GROUP or worker is not self._worker:
            return None
        step = self._runbook.step(worker.name)
        if event.state == WorkerState.SUCCESS:
            return StepEnd(step, outcome=worker.result)
        if event.state == WorkerState.ERROR:
            return StepEnd(step, error=worker.error)
        if event.state == WorkerState.CANCELLED:
            return StepEnd(step)
        return None

    async def wait(self) -> None:
        """Wait for the shell step's worker (if one was started) to finish."""
        if self._worker is not None:
            await self._worker.wait()

    def run_interactive(self, step: Step) -> StepEnd:
        """Run the interactive step `step` with the terminal handed over to it; blocks
        (the UI is suspended) until it ends. A hang-up while the step held the terminal
        went to the step, not to us: it is handled here."""
        from textual.app import SuspendNotSupported

        app = self._screen.app
        engine = self._engine()
        had_terminal = terminal.terminal_present()
        try:
            with app.suspend():
                outcome = engine.run_interactive(step.id, confirmed_by=allowed_by(step))
                if had_terminal and not terminal.terminal_present():
                    terminal.hang_up(engine)
        except SuspendNotSupported as error:
            return StepEnd(step, error=error)
        except Exception as error:
            app.refresh(layout=True)
            return StepEnd(step, error=error)
        app.refresh(layout=True)
        return StepEnd(step, outcome=outcome)


def allowed_by(step: Step) -> str | None:
    """How the walk let the step run: the UI runs a danger step only after its phrase
    was typed, and a confirm step only after a yes."""
    if step.danger:
        return "phrase"
    return "operator" if step.confirm else None
