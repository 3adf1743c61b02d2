"""The operator app: opening (picker, resume offer, variables form) and the walk."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

from textual import work
from textual.app import App
from textual.binding import Binding, BindingType
from textual.screen import Screen

from runbook_tui.runbook.model import Runbook, Variable
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

# How often the terminal watch looks whether the terminal is still there (seconds).
TERMINAL_POLL_SECONDS = 0.5


def terminal_present() -> bool:
    """False once the terminal has hung up (its tty calls then fail). Textual reads
    stdin and draws on stderr; stdout may be redirected."""
    try:
        return os.isatty(sys.__stdin__.fileno()) and os.isatty(sys.__stderr__.fileno())
    except (AttributeError, OSError, ValueError):
        return False


def unfinished_session(
    sessions: list[SessionSummaryLike], runbook: Runbook
) -> SessionSummaryLike | None:
    """The newest interrupted session of this runbook file, if any."""
    if not runbook.path:
        return None
    target = Path(runbook.path).resolve()
    mine = [
        s
        for s in sessions
        if s.status == "interrupted" and s.runbook_path and Path(s.runbook_path).resolve() == target
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
    ) -> None:
        """`after_first_frame` is called once the first screen is drawn (the command
        line uses it to end its start-up settings)."""
        super().__init__()
        self._after_first_frame = after_first_frame
        self._hanging_up = threading.Lock()
        self.home = home
        self.runbook = runbook
        self.runbook_dir = runbook_dir or Path("runbooks")
        self.given_variables = dict(variables or {})
        self.drill = drill
        self.backend: Backend = backend or RealBackend()
        self.clock = clock
        self.engine: EngineLike | None = None
        self._walk_first = False

    def get_default_screen(self) -> Screen[Any]:
        # The common case asks nothing (no unfinished session, no variables to fill):
        # then the walk is the first screen, and the first frame drawn is the walk. The
        # session itself (journal, provenance) starts once that frame is on screen, off
        # the event loop; the walk holds back every key that acts until it exists.
        runbook = self.runbook
        if runbook is not None and not self._questions_before(runbook):
            self._walk_first = True
            return WalkScreen(
                runbook, None, clock=self.clock, start=self._start_session, drill=self.drill
            )
        return Screen()

    def _start_session(self) -> EngineLike:
        """Start a new session of the runbook given at launch (runs in a thread)."""
        assert self.runbook is not None
        engine = self.backend.start(
            self.runbook, home=self.home, variables=dict(self.given_variables), drill=self.drill
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

    def on_mount(self) -> None:
        self._watch_hangup()
        if self._after_first_frame is not None:
            self.call_after_refresh(self._after_first_frame)
        if self._walk_first:
            return
        elif self.runbook is not None:
            self.open_runbook(self.runbook)
        else:
            self.pick()

    def _watch_hangup(self) -> None:
        """A dropped SSH session sends SIGHUP. The default would kill this process and
        leave the running step going on unrecorded, in its own process group."""
        # Outside the main thread (tests) there is no terminal to hang up.
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            asyncio.get_running_loop().add_signal_handler(signal.SIGHUP, self.hang_up)
        if not self.is_headless and terminal_present():
            threading.Thread(
                target=self._watch_terminal, name="runbook-tui-terminal", daemon=True
            ).start()

    def _watch_terminal(self) -> None:
        """A hang-up does not always bring SIGHUP. The kernel signals the session
        leader; the UI hears of it only when that leader exits, and `make` (as in
        `make demo`) first waits for its children. Meanwhile Textual's writer thread
        dies on the first write to the dead terminal, and once its queue is full a
        frame blocks the event loop for good, signal handler included. So this thread
        looks at the terminal itself, off the event loop."""
        while self.is_running and terminal_present():
            time.sleep(TERMINAL_POLL_SECONDS)
        if self.is_running:
            self.hang_up()

    def hang_up(self) -> None:
        """The terminal is gone: cancel the running step (its process group is killed),
        let the engine record that, close the journal, and leave without drawing: the
        session stays resumable. Blocking here is fine; nobody is watching. Called on
        SIGHUP (event loop) or by the terminal watch (its thread); the first one ends
        the process."""
        if not self._hanging_up.acquire(blocking=False):
            return
        log.warning("the terminal hung up; closing the session so it can be resumed")
        engine = self.engine
        if engine is not None:
            engine.cancel()
            deadline = time.monotonic() + 10
            while engine.running and time.monotonic() < deadline:
                time.sleep(0.05)
            try:
                engine.close()
            except Exception:
                log.exception("closing the journal after a hang-up failed")
        os._exit(129)  # 128 + SIGHUP; Textual's own exit would write to a dead terminal

    @property
    def walk(self) -> WalkScreen | None:
        for screen in self.screen_stack:
            if isinstance(screen, WalkScreen):
                return screen
        return None

    @work(group="open", exclusive=True)
    async def pick(self) -> None:
        from runbook_tui.runbook.parser import load
        from runbook_tui.tui.dialogs import ConfirmDialog
        from runbook_tui.tui.picker import PickerScreen, picker_rows

        while True:
            rows = picker_rows(self.runbook_dir, self.backend.list_sessions(self.home))
            path = await self.push_screen_wait(PickerScreen(self.runbook_dir, rows))
            if path is None:
                self.exit()
                return
            result = load(path)
            errors = [d for d in result.diagnostics if d.severity == "error"]
            if errors or result.runbook is None:
                listing = "\n".join(d.format() for d in errors[:8])
                await self.push_screen_wait(
                    ConfirmDialog(f"{path} has errors; fix them first:\n\n{listing}", "Cannot open")
                )
                continue
            self.runbook = result.runbook
            self.open_runbook(result.runbook)
            return

    @work(group="open", exclusive=True)
    async def open_runbook(self, runbook: Runbook) -> None:
        """Resume offer, then the variables form, then the walk."""
        from runbook_tui.tui.dialogs import ResumeOfferDialog

        engine: EngineLike | None = None
        unfinished = unfinished_session(self.backend.list_sessions(self.home), runbook)
        if unfinished is not None:
            choice = await self.push_screen_wait(
                ResumeOfferDialog(
                    f"An unfinished session of this runbook exists:\n\n"
                    f"  {unfinished.id}  started {unfinished.started_at}"
                    f"{'  (drill)' if unfinished.drill else ''}\n\n"
                    "Resume it, or start a new one?"
                )
            )
            if choice == "quit":
                self.exit()
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
                    runbook, home=self.home, variables=variables, drill=self.drill
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
            self.exit(message="No session was started.")
            return None
        return {**given, **values}

    async def _resume(self, session_id: str, runbook: Runbook) -> EngineLike | None:
        from runbook_tui.tui.dialogs import ConfirmDialog

        secrets = tuple(v for v in runbook.variables if v.secret)
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
                self.exit(message=f"Session {session_id} was left as it was.")
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
        self.push_screen(WalkScreen(runbook, engine, clock=self.clock))

    async def action_quit(self) -> None:
        # ctrl+q goes through the walk's quit so a running step is never dropped.
        walk = self.walk
        if walk is not None and self.screen is walk:
            walk.action_quit_walk()
        elif walk is None:
            self.exit()
