"""The end of a walk and leaving it, for the walk screen that owns them: the offer once
no step of the walk is left (how it went, a drill's report; Enter ends the session
with the status it earned), ending the session by hand (e), writing its transcript
(E), and quitting (q: the session paused, or its journal closed when it had ended).

Every one goes through the engine (journal first): `end`, `close`. The transcript is
written from the journal (export/transcript.py), in a thread. Where the operator goes
once the session is left is the app's to say (`on_left`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from runbook_tui.runbook.model import Runbook
from runbook_tui.session.clock import open_seconds
from runbook_tui.tui import walk_prompts as prompts
from runbook_tui.tui.engine_api import EngineLike
from runbook_tui.tui.step_runs import StepRuns

if TYPE_CHECKING:
    from textual.screen import Screen

    from runbook_tui.tui.walk_offplan import Intent


class WalkEnd:
    def __init__(
        self,
        screen: Screen[None],
        *,
        runbook: Runbook,
        engine: Callable[[], EngineLike],
        runs: StepRuns,
        clock: Callable[[], float],
        intent: Intent,
        say: Callable[[str], None],
        said: Callable[[], str],
        flush: Callable[[], None],
        changed: Callable[[], None],
        on_left: Callable[[str], object] | None,
    ) -> None:
        """Ends and leaves `screen`'s walk of `runbook` (its masked copy) in
        `engine()`'s session. `said()`: what the message line says now; `flush()`
        writes buffered output; `changed()` wakes whoever waits on the view (a dialog
        or a transcript is no journal event); `on_left(message)` once the session is
        ended or paused (default: the app exits with `message`)."""
        self._screen = screen
        self._runbook = runbook
        self._engine = engine
        self._runs = runs
        self._clock = clock
        self._intent = intent
        self._say = say
        self._said = said
        self._flush = flush
        self._changed = changed
        self._on_left = on_left

    # ---- the end of the walk -----------------------------------------------------------

    def offer(self) -> None:
        """No step of the walk is left: say how it went, and let Enter end the session
        with the status it earned."""
        from runbook_tui.tui.summary import WalkOverDialog, drill_lines, summary_text

        plan = self._engine().plan
        if not plan.over:
            return
        earned = plan.earned_status()
        state = self._engine().state
        text = summary_text(plan, open_seconds(state.segments, self._clock()))
        self._say(prompts.walk_over_text(text))
        drill = None
        if state.drill:
            drill = drill_lines(self._runbook, state, now=self._clock(), status=earned)

        def done(end: bool | None) -> None:
            if end:
                self._end(earned)

        dialog = WalkOverDialog(text, earned, drill)

        def offer() -> None:
            self._screen.app.push_screen(dialog, done)
            self._changed()  # a screen change is no journal event: wake the waiters

        self._screen.call_after_refresh(offer)

    def end_session(self) -> None:
        """`e`: ask with which status, then end the session."""
        if self._runs.running:
            self._say("A step is running: cancel it (x) before ending the session.")
            return

        def done(status: str | None) -> None:
            if status is not None:
                self._end(status)

        self._screen.app.push_screen(prompts.end_dialog(), done)

    def _end(self, status: str) -> None:
        engine = self._engine()
        if self._intent("end the session", lambda: engine.end(status)):
            message = f"Session {engine.session_id} ended: {status}."
            if engine.state.drill:
                from runbook_tui.tui.summary import drill_lines

                # The verdict the journal recorded, and what took the time.
                report = drill_lines(self._runbook, engine.state, now=self._clock())
                message += "\n" + "\n".join(report)
            self._left(message)

    # ---- the transcript ----------------------------------------------------------------

    def export(self) -> None:
        """`E`: ask for a format, then write the transcript beside the journal."""

        def done(fmt: str | None) -> None:
            if fmt is not None:
                self._say(f"Writing the {fmt} transcript…")
                self._screen.run_worker(
                    lambda: self._export(fmt),
                    name="export",
                    group="export",
                    thread=True,
                    exit_on_error=False,
                )

        self._screen.app.push_screen(prompts.export_dialog(), done)

    def _export(self, fmt: str) -> None:
        """In a thread: a transcript of a long session takes a moment to write."""
        from runbook_tui.export.transcript import EXTENSIONS, save_transcript
        from runbook_tui.session.store import find_session

        engine = self._engine()
        app = self._screen.app
        try:
            session = find_session(engine.home, engine.session_id)
            # Beside the journal: always writable, private like it, and next to what
            # it is made of; `runbook-tui export` writes one anywhere else.
            where = save_transcript(session, fmt, session.path / f"transcript{EXTENSIONS[fmt]}")
        except Exception as error:
            app.call_from_thread(self._exported, None, f"Could not export: {error}")
            return
        app.call_from_thread(self._exported, where, prompts.exported_text(where))

    def _exported(self, where: object, text: str) -> None:
        self._say(text)
        self._screen.notify(text, severity="error" if where is None else "information", timeout=15)
        self._changed()  # whoever waits on the view looks again

    # ---- leaving -----------------------------------------------------------------------

    def quit(self) -> None:
        """`q`: leave the walk; while a step runs, ask first and cancel it."""
        running = self._runs.running_step_id
        if running is None:
            self._leave()
            return

        async def done(yes: bool | None) -> None:
            if not yes:
                return
            self._engine().cancel()
            await self._runs.wait()
            self._leave()

        title = self._runs.running_title or running
        self._screen.app.push_screen(prompts.quit_while_running_dialog(title), done)

    def _leave(self) -> None:
        """Quit on purpose: the session is paused (ended with steps left, resumable)."""
        self._flush()
        engine = self._engine()
        ended = engine.state.status not in ("running", "interrupted")
        # Pausing (or, for an ended session, closing) flushes the journal; if even that
        # fails, say so on the way out.
        leave = engine.close if ended else lambda: engine.end("paused", "quit by the operator")
        if not self._intent("close the journal", leave):
            self._screen.app.exit(return_code=1, message=self._said())
            return
        reopen = getattr(self._screen.app, "reopen_hint", None)
        self._left(prompts.quit_message(engine, self._runbook.path, reopen))

    def _left(self, message: str) -> None:
        """The session is ended or paused, its journal closed: where to go next is the
        app's to say (back to its picker, or out)."""
        if self._on_left is not None:
            self._on_left(message)
        else:
            self._screen.app.exit(message=message)
