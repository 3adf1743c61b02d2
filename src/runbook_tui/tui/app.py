"""The operator app: opening (picker, resume offer, variables form) and the walk."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, ClassVar

from textual import work
from textual.app import App
from textual.binding import Binding, BindingType
from textual.screen import Screen

from runbook_tui.runbook.model import Diagnostic, Runbook, Variable
from runbook_tui.tui import terminal
from runbook_tui.tui.commands import WalkCommands
from runbook_tui.tui.engine_api import (
    Backend,
    EngineLike,
    RealBackend,
    SessionSummaryLike,
    to_epoch,
)

# The walk is the common first screen and is imported with the app; the opening's
# screens (picker, variables form, dialogs) only when a run needs them, so the first
# frame does not wait for modules it does not show.
from runbook_tui.tui.walk import Clock, WalkScreen

log = logging.getLogger(__name__)

# The statuses the UI offers to resume when the runbook is opened again.
RESUMABLE = ("interrupted", "failed", "paused")


def unfinished_session(
    sessions: list[SessionSummaryLike], runbook: Runbook
) -> SessionSummaryLike | None:
    """The newest session of this runbook file that stopped with steps left (see
    RESUMABLE), if any."""
    if not runbook.path:
        return None
    target = Path(runbook.path).resolve()
    mine = [
        s
        for s in sessions
        if s.status in RESUMABLE and s.runbook_path and Path(s.runbook_path).resolve() == target
    ]
    mine.sort(key=lambda s: to_epoch(s.started_at) or 0.0)
    return mine[-1] if mine else None


class RunbookApp(App[None]):
    CSS_PATH = "app.tcss"
    TITLE = "runbook-tui"
    COMMANDS = App.COMMANDS | {WalkCommands}
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+q", "quit", "Quit", show=False, priority=True, id="app.quit"),
    ]

    def __init__(
        self,
        *,
        home: Path,
        runbook: Runbook | None = None,
        runbook_dir: Path | None = None,
        variables: dict[str, str] | None = None,
        drill: bool = False,
        backend: Backend | None = None,
        clock: Clock = time.time,
        after_first_frame: Callable[[], object] | None = None,
        workdir: Path | None = None,
        reopen_hint: str | None = None,
        warnings: Sequence[Diagnostic] = (),
        evidence_opener: Callable[[EngineLike], Any] | None = None,
    ) -> None:
        """`after_first_frame` is called once the first screen is drawn (the command
        line uses it to end its start-up settings). `workdir`: the folder a new
        session's first step starts in (default: the runbook's folder).
        `reopen_hint`: the command that opens this again, for the quit message (the
        demo's; default: the command that opens the runbook file). `warnings`: the
        lint warnings of `runbook` (the walk says how many and lists them).
        `evidence_opener(engine)` opens the walk's live sources (default:
        sources/recorder.py `SessionEvidence.open`)."""
        super().__init__()
        self._after_first_frame = after_first_frame
        self.home = home
        self.runbook = runbook
        self.runbook_dir = runbook_dir or Path("runbooks")
        self.given_variables = dict(variables or {})
        self.drill = drill
        self.backend: Backend = backend or RealBackend()
        self.clock = clock
        self.engine: EngineLike | None = None
        self.workdir = workdir
        self.reopen_hint = reopen_hint
        self.warnings = tuple(warnings)
        # An error nobody caught ended the app (see _handle_exception).
        self.crashed = False
        self.evidence_opener = evidence_opener
        self._walk_first = False
        # Opened on the picker (no runbook given): leaving a runbook goes back to it, and
        # what each walk left to say (its session kept, how to resume) is said on the
        # way out of the app.
        self._from_picker = runbook is None
        self._launch_drill = drill
        self._left_messages: list[str] = []

    def get_default_screen(self) -> Screen[Any]:
        # The common case asks nothing (no unfinished session, no variables to fill):
        # then the walk is the first screen, and the first frame drawn is the walk. The
        # session itself (journal, provenance) starts once that frame is on screen, off
        # the event loop; the walk holds back every key that acts until it exists.
        runbook = self.runbook
        if runbook is not None and not self._questions_before(runbook):
            self._walk_first = True
            return WalkScreen(
                runbook,
                None,
                clock=self.clock,
                start=self._start_session,
                drill=self.drill,
                warnings=self.warnings,
                evidence_opener=self.evidence_opener,
                on_left=self._walk_left,
            )
        return Screen()

    def _start_session(self) -> EngineLike:
        """Start a new session of the runbook given at launch (runs in a thread)."""
        assert self.runbook is not None
        engine = self.backend.start(
            self.runbook,
            home=self.home,
            variables=dict(self.given_variables),
            drill=self.drill,
            workdir=self.workdir,
        )
        self.engine = engine
        return engine

    def _questions_before(self, runbook: Runbook) -> bool:
        """Whether opening `runbook` must ask something first (resume, variables)."""
        if unfinished_session(self.backend.list_sessions(self.home), runbook) is not None:
            return True
        if not runbook.variables:
            return False
        from runbook_tui.tui.variables_form import needs_form

        return needs_form(runbook.variables, self.given_variables)

    def _handle_exception(self, error: Exception) -> None:
        """Textual's hook for an error nobody caught: it ends the app and prints the
        traceback. The tool's log gets the traceback too, and the command line says
        where it is once the screen is back (cli/open_ui.py)."""
        # A worker's failure arrives wrapped (WorkerFailed): log the error itself, which
        # holds the traceback.
        cause = getattr(error, "error", None)
        log.error(
            "the terminal UI failed", exc_info=cause if isinstance(cause, Exception) else error
        )
        self.crashed = True
        super()._handle_exception(error)

    def on_mount(self) -> None:
        if not self.is_headless:
            terminal.watch(lambda: self.is_running, lambda: self.engine)
        if self._after_first_frame is not None:
            self.call_after_refresh(self._after_first_frame)
        if self._walk_first:
            return
        elif self.runbook is not None:
            self.open_runbook(self.runbook)
        else:
            self.pick()

    @property
    def walk(self) -> WalkScreen | None:
        for screen in self.screen_stack:
            if isinstance(screen, WalkScreen):
                return screen
        return None

    @work(group="open", exclusive=True)
    async def pick(self, note: str | None = None) -> None:
        """The picker, until a runbook opens or the operator quits. `note`: what the
        runbook just left said, shown under the list."""
        from runbook_tui.runbook.parser import load
        from runbook_tui.tui.dialogs import ConfirmDialog
        from runbook_tui.tui.picker import PickerScreen, picker_rows

        while self.walk is not None:  # back from a walk: it is closed
            await self.pop_screen()
        while True:
            # Read again each time: a walk just left shows as the runbook's last run.
            rows = picker_rows(self.runbook_dir, self.backend.list_sessions(self.home))
            pick = await self.push_screen_wait(PickerScreen(self.runbook_dir, rows, note))
            note = None
            if pick is None:
                self._exit_from_picker()
                return
            path = pick.path
            result = load(path)
            errors = [d for d in result.diagnostics if d.severity == "error"]
            if errors or result.runbook is None:
                listing = "\n".join(d.format() for d in errors[:8])
                await self.push_screen_wait(
                    ConfirmDialog(f"{path} has errors; fix them first:\n\n{listing}", "Cannot open")
                )
                continue
            self.runbook = result.runbook
            self.warnings = tuple(result.warnings)
            self.drill = self._launch_drill or pick.drill
            self.open_runbook(result.runbook)
            return

    @work(group="open", exclusive=True)
    async def open_runbook(self, runbook: Runbook) -> None:
        """Resume offer, then the variables form, then the walk."""
        from runbook_tui.tui.dialogs import ResumeOfferDialog, ResumeOfferFromPickerDialog

        engine: EngineLike | None = None
        unfinished = unfinished_session(self.backend.list_sessions(self.home), runbook)
        if unfinished is not None:
            offer = ResumeOfferFromPickerDialog if self._from_picker else ResumeOfferDialog
            choice = await self.push_screen_wait(
                offer(
                    f"An unfinished session of this runbook exists ({unfinished.status}):\n\n"
                    f"  {unfinished.id}  started {unfinished.started_at}"
                    f"{'  (drill)' if unfinished.drill else ''}\n\n"
                    "Resume it, or start a new one?"
                )
            )
            if choice == "quit":
                self._back_or_exit(None)
                return
            if choice == "resume":
                engine = await self._resume(unfinished.id, runbook)
                if engine is None:
                    return
        if engine is None:
            variables = await self._ask_variables(runbook, runbook.variables)
            if variables is None:
                return
            try:
                engine = self.backend.start(
                    runbook,
                    home=self.home,
                    variables=variables,
                    drill=self.drill,
                    workdir=self.workdir,
                )
            except Exception as error:  # the engine says why; show it rather than crash
                self.exit(return_code=1, message=f"Could not start a session: {error}")
                return
        self.show_walk(runbook, engine)

    async def _ask_variables(
        self, runbook: Runbook, variables: tuple[Variable, ...], note: str = ""
    ) -> dict[str, str] | None:
        """The values for `variables`: from --var when complete, else from the form.
        None (after exiting) when the operator backs out."""
        from runbook_tui.tui.variables_form import VariablesScreen, needs_form

        given = {k: v for k, v in self.given_variables.items()}
        if not variables or not needs_form(variables, given):
            return given
        values = await self.push_screen_wait(
            VariablesScreen(runbook, given, only=variables, note=note)
        )
        if values is None:
            self._back_or_exit("No session was started.")
            return None
        return {**given, **values}

    async def _resume(self, session_id: str, runbook: Runbook) -> EngineLike | None:
        from runbook_tui.tui.dialogs import ConfirmDialog

        try:
            needed = self.backend.needed_on_resume(self.home, session_id, runbook)
        except Exception as error:
            self.exit(return_code=1, message=f"Cannot resume {session_id}: {error}")
            return None
        # Only secrets are asked again (the others were recorded); in the rollback walk,
        # only those its steps still to run use.
        secrets = tuple(
            v for v in runbook.variables if v.secret and (needed is None or v.name in needed)
        )
        variables = await self._ask_variables(
            runbook, secrets, note="Secret values are never recorded: type them again."
        )
        if variables is None:
            return None
        try:
            return self.backend.resume(self.home, session_id, runbook, variables=variables)
        except Exception as error:
            if not self.backend.is_runbook_changed(error):
                self.exit(return_code=1, message=f"Cannot resume {session_id}: {error}")
                return None
            anyway = await self.push_screen_wait(
                ConfirmDialog(f"{error}\n\nResume with the changed runbook?", "Runbook changed")
            )
            if not anyway:
                self._back_or_exit(f"Session {session_id} was left as it was.")
                return None
        try:
            return self.backend.resume(
                self.home, session_id, runbook, variables=variables, allow_changed=True
            )
        except Exception as error:
            self.exit(return_code=1, message=f"Cannot resume {session_id}: {error}")
            return None

    def show_walk(self, runbook: Runbook, engine: EngineLike) -> None:
        self.engine = engine
        self.push_screen(
            WalkScreen(
                runbook,
                engine,
                clock=self.clock,
                warnings=self.warnings,
                evidence_opener=self.evidence_opener,
                on_left=self._walk_left,
                back_to_picker=self._from_picker,
            )
        )

    def _walk_left(self, message: str) -> None:
        """The operator left the walk; its session is ended or paused and its journal
        closed. Opened on the picker: back to it (the message is shown there, and again
        on the way out); else the app ends with the message."""
        self.engine = None
        if self._from_picker:
            self._left_messages.append(message)
        self._back_or_exit(message)

    def _back_or_exit(self, message: str | None) -> None:
        """The operator left a runbook (its walk, the resume offer or the variables
        form): back to the picker when the app was opened on it, else out."""
        if not self._from_picker:
            self.exit(message=message)
            return
        self.runbook = None
        self.warnings = ()
        self.pick(message)

    def _exit_from_picker(self) -> None:
        self.exit(message="\n".join(self._left_messages) or None)

    async def action_quit(self) -> None:
        # ctrl+q goes through the walk's quit so a running step is never dropped.
        walk = self.walk
        if walk is not None and self.screen is walk:
            walk.action_quit_walk()
        elif walk is None:
            self._exit_from_picker()
