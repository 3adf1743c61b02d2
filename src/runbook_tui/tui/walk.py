"""The walk screen: the step list, the selected step, the evidence, and every action
the operator takes on a session.

The screen composes widgets and dialogs and turns keys into intents; it holds no record
of its own and no rule of the walk. Every intent goes to the engine (which writes the
journal first). What is next, what is done and which walk the session is doing come
from the engine's plan (session/plan.py), re-read when the engine reports a lifecycle
event. Its helpers, each with one job: the keys and when each applies (walk_keys.py),
the view of the journal (walk_view.py), the engine and its subscription (a SessionLink,
walk_session.py), step runs off the event loop (step_runs.py), what the screen says
and asks (walk_prompts.py), the evidence panes and their layout (walk_panes.py),
performing and skipping the walk's steps and what follows a step's end (walk_onplan.py),
the end of the walk and leaving it (walk_end.py), the values placeholders need
(walk_fills.py), and the runs off the plan: reference blocks, ad-hoc commands
(walk_offplan.py).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal
from textual.css.query import NoMatches
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Static
from textual.worker import Worker

from runbook_tui.runbook.model import Diagnostic, Reference, Runbook, Step
from runbook_tui.session.plan import Plan
from runbook_tui.tui import walk_keys
from runbook_tui.tui import walk_prompts as prompts
from runbook_tui.tui.engine_api import EngineLike
from runbook_tui.tui.keys_footer import KeysFooter
from runbook_tui.tui.masked import masked_copy
from runbook_tui.tui.step_detail import StepDetail
from runbook_tui.tui.step_list import StepList
from runbook_tui.tui.step_runs import StepRuns
from runbook_tui.tui.walk_header import WalkHeader
from runbook_tui.tui.walk_items import ListItem
from runbook_tui.tui.walk_panes import TABS, WIDE_COLUMNS, EvidenceColumn, PaneLayout, StepPanes
from runbook_tui.tui.walk_session import SessionLink
from runbook_tui.tui.walk_view import JournalEvent, JournalView

if TYPE_CHECKING:
    from runbook_tui.tui.evidence_board import EvidenceBoard
    from runbook_tui.tui.evidence_link import EvidenceArrived, EvidenceLink, EvidenceOpener
    from runbook_tui.tui.walk_end import WalkEnd
    from runbook_tui.tui.walk_fills import Fills
    from runbook_tui.tui.walk_offplan import OffPlan
    from runbook_tui.tui.walk_onplan import OnPlan

# Output is written to the screen at most this often (seconds).
OUTPUT_FLUSH_INTERVAL = 0.07

Clock = Callable[[], float]


class WalkScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = walk_keys.BINDINGS
    ACTION_HELP: ClassVar[dict[str, str]] = walk_keys.ACTION_HELP
    FOOTER_PINNED: ClassVar[tuple[str, ...]] = walk_keys.PINNED

    def __init__(
        self,
        runbook: Runbook,
        engine: EngineLike | None,
        *,
        clock: Clock,
        start: Callable[[], EngineLike] | None = None,
        drill: bool = False,
        warnings: Sequence[Diagnostic] = (),
        evidence_opener: EvidenceOpener | None = None,
        on_left: Callable[[str], object] | None = None,
        back_to_picker: bool = False,
    ) -> None:
        """The walk of `runbook` in `engine`'s session; or, with `engine` None, in the
        session `start()` creates (in a thread, once the first frame is on screen).
        `warnings`: the runbook's lint warnings (the walk says how many, `w` lists them).
        `evidence_opener(engine)` opens the session's live sources (default:
        `SessionEvidence.open`, sources/recorder.py). `on_left(message)` is called once
        the operator has left the walk, its session ended or paused (default: the app
        exits with `message`); `back_to_picker`: leaving goes back to the picker, and the
        footer names `q` for that."""
        super().__init__()
        self._on_left = on_left
        self._back_to_picker = back_to_picker
        self.warnings = tuple(warnings)
        # What the screen shows; the engine runs its own, unmasked copy, and the
        # sources read the original too.
        self.runbook = masked_copy(runbook)
        self._sources_runbook = runbook
        self._evidence_opener = evidence_opener
        self._board: EvidenceBoard | None = None
        self._evidence: EvidenceLink | None = None
        self._link = SessionLink(engine, start, lambda event: self._view.on_engine_event(event))
        self._view = JournalView(
            self, self.runbook, lambda: self._link.maybe_engine, clock=clock, drill=drill
        )
        self._painted = asyncio.Event()
        self._layout = PaneLayout(self)
        self.clock = clock
        self.message_text = ""
        self._flush_timer: Timer | None = None
        self._runs = StepRuns(self, lambda: self.engine)
        self._fills: Fills | None = None
        self._off_plan: OffPlan | None = None
        self._on_plan: OnPlan | None = None
        self._walk_end: WalkEnd | None = None
        self._possible: tuple[bool | None, ...] = ()

    @property
    def engine(self) -> EngineLike:
        """The session's engine; only for code that runs once it exists."""
        return self._link.engine

    @property
    def started(self) -> bool:
        """Whether the session exists (until then, keys that act are held back)."""
        return self._link.started

    @property
    def plan(self) -> Plan | None:
        """The walk's rules on the journal as it is now (None before the session)."""
        engine = self._link.maybe_engine
        return engine.plan if engine is not None else None

    @property
    def mode(self) -> str:
        """Which walk the session is doing, from the journal: "main" or "rollback"."""
        plan = self.plan
        return plan.walk if plan is not None else "main"

    # ---- layout --------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield WalkHeader(id="walk-header")
        with Horizontal(id="walk-body"):
            first = self._first_item()
            yield StepList(
                self.runbook,
                statuses=self._view.statuses(),
                selected=first.id if first else None,
                id="steps",
            )
            yield StepPanes(self.runbook, lambda: self.evidence_board, id="main-tabs")
            # Filled the first time the terminal is wide enough (a narrow start-up
            # does not pay for widgets it does not show).
            yield EvidenceColumn(lambda: self.evidence_board, id="evidence-column")
        yield Static("", id="message")
        yield KeysFooter()

    async def on_mount(self) -> None:
        self._flush_timer = self.set_interval(OUTPUT_FLUSH_INTERVAL, self.flush_output)
        self.set_interval(1.0, self.update_header)
        self.query_one(StepList).focus()
        self.query_one(WalkHeader).show_warnings(len(self.warnings))
        self.say(prompts.opening_text(self.runbook, len(self.warnings)))
        self._layout.fit(self.app.size.width)
        self.call_after_refresh(self._painted.set)
        if self._link.started:
            self._link.attach()
            self._show_values()
            await self._select_first()
            self._say_if_ended()
            self.run_worker(self._start_evidence(self.engine), name="evidence", group="evidence")
        else:
            await self._select_first()
            self.run_worker(self._start_session(), name="start-session", group="session")
        self.update_header()

    def on_unmount(self) -> None:
        self._link.detach()
        if self._evidence is not None:
            self._evidence.close()

    def on_resize(self) -> None:
        self._layout.fit(self.size.width)

    @property
    def active_tab(self) -> str:
        """The pane shown beside the step list in the narrow layout."""
        return self.query_one(StepPanes).active

    async def show_tab(self, tab: str) -> None:
        """Show pane `tab` (narrow layout) and put the focus in it."""
        await self._layout.show_tab(tab)

    # ---- the session ---------------------------------------------------------------

    def _first_item(self) -> ListItem | None:
        """The item selected when the walk opens: the first step that needs doing; in
        a runbook without steps, its first reference block."""
        plan = self.plan
        if plan is None:
            steps = self.runbook.main_steps or self.runbook.steps
            first: ListItem | None = next(iter(steps), None)
        else:
            first = plan.first_step()
        return first or next(iter(self.runbook.references), None)

    async def _select_first(self) -> None:
        steps = self.query_one(StepList)
        steps.show_adhoc(self._view.adhoc_items())  # a resumed session's, listed again
        steps.show_statuses(self._view.statuses())
        first = self._first_item()
        if first is not None:
            self.query_one(StepList).select_step(first.id)
            await self._show_selected()

    def _say_if_ended(self) -> None:
        status = self.engine.state.status
        if status not in ("running", "interrupted"):
            self.say(f"This session has ended ({status}).")

    async def _start_session(self) -> None:
        """Start the session once the first frame is drawn, in a thread: creating the
        journal (fsyncs) and reading provenance (git) must not hold back the screen."""
        try:
            engine = await self._link.start(self._painted)
        except Exception as error:  # the engine says why; show it rather than crash
            self.app.exit(return_code=1, message=f"Could not start a session: {error}")
            return
        # Before the intents held back run: the evidence records each step's start.
        await self._start_evidence(engine)
        self._on_session(engine)

    def _on_session(self, engine: EngineLike) -> None:
        """The session exists: show it, then do what the operator asked meanwhile."""
        waiting = self._link.attach(engine)
        self._show_values()
        self.refresh_view()
        self._say_if_ended()
        if waiting:
            self.say("")
        for action in waiting:
            action()
        self._view.changed()

    def _show_values(self) -> None:
        """A manual step's text shows the recorded values of declared, non-secret
        variables (on screen only; StepDetail leaves the others out)."""
        self.query_one(StepDetail).set_values(self.engine.state.variables)

    def _held_back(self, action: Callable[[], object]) -> bool:
        """Before the session exists, keep `action` for when it does (and say so).
        True when it was held back: the caller does nothing now."""
        if not self._link.hold(action):
            return False
        self.say("Starting the session…")
        return True

    # ---- evidence ------------------------------------------------------------------

    @property
    def evidence_board(self) -> EvidenceBoard:
        """What every evidence panel shows (made when the first panel or the sources
        need it: a start-up that shows none does not pay for it)."""
        if self._board is None:
            from runbook_tui.tui.evidence_board import EvidenceBoard

            self._board = EvidenceBoard(self.runbook, self.clock)
        return self._board

    @property
    def evidence(self) -> EvidenceLink:
        """The tie to the live sources (the hub once it runs)."""
        if self._evidence is None:
            from runbook_tui.tui.evidence_link import EvidenceLink

            self._evidence = EvidenceLink(
                self, self._sources_runbook, self.evidence_board, opener=self._evidence_opener
            )
        return self._evidence

    async def _start_evidence(self, engine: EngineLike) -> None:
        """Start the session's live sources once the first frame is on screen (the hub
        needs the session: its variables, its masking, its journal)."""
        rb = self._sources_runbook
        if not (rb.services or rb.backups or rb.logs):
            return
        await self._painted.wait()
        await self.evidence.open(engine)

    def on_evidence_arrived(self, message: EvidenceArrived) -> None:
        if self._evidence is not None:
            self._evidence.arrived()

    # ---- the view of the journal ---------------------------------------------------

    def flush_output(self) -> None:
        """Write buffered output for the shown step (timer)."""
        self._view.flush_output()

    async def on_journal_event(self, message: JournalEvent) -> None:
        event = message.event
        self._view.take_in(event)
        self.refresh_view()
        if self._off_plan is not None:
            self._off_plan.started(event)
        if event.get("type") == "session_ended":
            self.say(f"Session ended: {event.get('status')}.")
        self._view.changed()

    def refresh_view(self) -> None:
        """Re-read the fold and redraw what depends on it."""
        self.set_class(self.mode == "rollback", "-rollback")
        self._view.show_fold(self.selected_item, self.mode)
        self._update_footer()

    @property
    def session_opened_at(self) -> float | None:
        """When the process that has the session open opened it (epoch seconds)."""
        return self._view.session_opened_at

    def update_header(self) -> None:
        """Once a second (and when the fold changes): the clock, and the ages the
        evidence panels show."""
        self._view.update_header(self.mode)
        if self._evidence is not None:
            self._evidence.tick()

    def say(self, text: str) -> None:
        """The one-line message under the walk (notifications can be missed)."""
        self.message_text = text
        self.query_one("#message", Static).update(text)
        self._view.changed()

    async def wait_until(self, predicate: Callable[[], bool], timeout: float = 15.0) -> None:
        """Wait until `predicate()` holds, re-checking whenever the view takes in a
        journal event or output, and whenever the walk says something. Raises
        TimeoutError after `timeout` seconds."""
        await self._view.wait_until(predicate, timeout)

    # ---- selection -----------------------------------------------------------------

    @property
    def selected_step_id(self) -> str | None:
        return self.query_one(StepList).selected_step_id

    @property
    def selected_item(self) -> ListItem | None:
        """The highlighted step, reference block or ad-hoc command."""
        return self.query_one(StepList).selected_item

    @property
    def selected_step(self) -> Step | None:
        """The highlighted item when it is one of the runbook's steps."""
        item = self.selected_item
        return item if isinstance(item, Step) else None

    def status_of(self, step_id: str) -> str:
        """The step's status in the current walk (from the plan)."""
        plan = self.plan
        return plan.status(step_id) if plan is not None else "pending"

    @on(StepList.Highlighted, "#steps")
    async def _on_step_highlighted(self) -> None:
        if self._on_plan is not None:
            self._on_plan.moved()  # the "Enter moves on" hint may be done with
        await self._show_selected()
        self._update_footer()

    async def _show_selected(self) -> None:
        item = self.selected_item
        if item is not None:
            await self._view.show_step(item)

    # ---- state questions (for keys and the footer) ---------------------------------

    @property
    def step_running(self) -> bool:
        return self._runs.running

    def _update_footer(self) -> None:
        """Refresh the footer's keys, only when what is possible has changed: every
        refresh rebuilds the footer, and moving between two pending steps changes
        nothing."""
        possible = tuple(
            (self.check_action(action, ()), self.key_description(action))
            for action in walk_keys.CHANGING
        )
        if possible != self._possible:
            self._possible = possible
            self.refresh_bindings()
            # Drawn in this frame, not after it: a dialog the same event opens (the end
            # of the walk) covers a footer that no longer redraws behind it.
            self.query_one(KeysFooter).refresh()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        try:
            item = self.selected_item
        except NoMatches:  # asked before the screen is composed
            return True
        return walk_keys.applies(
            action,
            step=item,
            plan=self.plan,
            running=self.step_running,
            runbook=self.runbook,
            wide=self._layout.wide,
            warnings=len(self.warnings),
        )

    def key_description(self, action: str) -> str | None:
        """The footer's name for a key with the selected item (see walk_keys)."""
        if action == "quit_walk" and self._back_to_picker:
            return "Back"
        try:
            return walk_keys.description(action, self.selected_item)
        except NoMatches:
            return None

    # ---- the walk's jobs, one module each (made when first needed) -----------------

    def _intent(self, what: str, call: Callable[[], object]) -> bool:
        """Hand one intent to the engine. A refusal (or a journal that cannot be
        written) is shown, not raised: the operator must see it and the UI must stay."""
        try:
            call()
        except Exception as error:
            self.say(f"Could not {what}: {error}")
            self.notify(f"Could not {what}: {error}", severity="error", timeout=10)
            return False
        return True

    @property
    def on_plan(self) -> OnPlan:
        """Performs and skips the walk's steps (made on the first key that needs it)."""
        if self._on_plan is None:
            from runbook_tui.tui.walk_onplan import OnPlan

            self._on_plan = OnPlan(
                self,
                runbook=self.runbook,
                engine=lambda: self.engine,
                runs=self._runs,
                fills=lambda: self.fills,
                off_plan=lambda: self.off_plan,
                intent=self._intent,
                say=self.say,
                refresh=self.refresh_view,
                footer=self._update_footer,
                walk_over=lambda: self.walk_end.offer(),
            )
        return self._on_plan

    @property
    def walk_end(self) -> WalkEnd:
        """Ends the walk and leaves it (made when the walk is over or a key asks)."""
        if self._walk_end is None:
            from runbook_tui.tui.walk_end import WalkEnd

            self._walk_end = WalkEnd(
                self,
                runbook=self.runbook,
                engine=lambda: self.engine,
                runs=self._runs,
                clock=self.clock,
                intent=self._intent,
                say=self.say,
                said=lambda: self.message_text,
                flush=self.flush_output,
                changed=self._view.changed,
                on_left=self._on_left,
            )
        return self._walk_end

    @property
    def fills(self) -> Fills:
        """Asks for the values placeholders need (made on first use)."""
        if self._fills is None:
            from runbook_tui.tui.walk_fills import Fills

            secrets = frozenset(v.name for v in self.runbook.variables if v.secret)
            self._fills = Fills(self, lambda: self.engine, secrets, self.say)
        return self._fills

    @property
    def off_plan(self) -> OffPlan:
        """Runs reference blocks and ad-hoc commands (made on first use)."""
        if self._off_plan is None:
            from runbook_tui.tui.walk_offplan import OffPlan

            self._off_plan = OffPlan(
                self,
                engine=lambda: self.engine,
                runs=self._runs,
                fills=self.fills,
                intent=self._intent,
                say=self.say,
                refresh=self.refresh_view,
            )
        return self._off_plan

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        end = self._runs.ended(event)
        if end is None:
            return
        if isinstance(end.step, Step):
            self.on_plan.ended(end.step, end)
        else:
            self.off_plan.ended(end)  # off the plan: no moving on, no rollback offer
        self.flush_output()
        self.refresh_view()
        self._view.changed()

    # ---- the keys: each an intent, or handed to the job that holds it --------------

    def action_perform(self) -> None:
        if self._held_back(self.action_perform):
            return
        item = self.selected_item
        if item is None:
            return
        if self.step_running:
            self.say("A step is running: wait for it, or cancel it with x.")
        elif isinstance(item, Step):
            self.on_plan.perform(item)
        else:
            self.off_plan.perform(item)  # never run as written: opened for editing

    def action_retry(self) -> None:
        if self._held_back(self.action_retry):
            return
        if (step := self.selected_step) is not None:
            self.on_plan.retry(step)

    def action_skip(self) -> None:
        if self._held_back(self.action_skip) or self.step_running:
            return
        item = self.selected_item
        if isinstance(item, Reference):
            self.off_plan.pass_by(item)
        elif isinstance(item, Step):
            self.on_plan.skip(item)

    def action_rollback(self) -> None:
        if not self._held_back(self.action_rollback):
            self.on_plan.rollback()

    def action_mark(self) -> None:
        if self._held_back(self.action_mark):
            return
        item = self.selected_item
        if isinstance(item, Reference) and not self.step_running:
            self.off_plan.mark(item)

    def action_adhoc(self) -> None:
        if self._held_back(self.action_adhoc):
            return
        if self.step_running:
            self.say("A step is running: wait for it, or cancel it with x.")
            return
        self.off_plan.adhoc()

    def action_note(self) -> None:
        if self._held_back(self.action_note):
            return
        step_id = self.selected_step_id

        def done(text: str | None) -> None:
            if text is not None and self._intent(
                "save the note", lambda: self.engine.note(text, step_id=step_id)
            ):
                self.say(f"Note saved: {text}")

        self.app.push_screen(prompts.note_dialog(), done)

    def action_cancel_step(self) -> None:
        if self._held_back(self.action_cancel_step):
            return
        if not self.step_running:
            self.say("No step is running.")
            return
        self.engine.cancel()
        self.say("Cancelling the running step…")

    def action_end_session(self) -> None:
        if not self._held_back(self.action_end_session):
            self.walk_end.end_session()

    def action_export(self) -> None:
        if not self._held_back(self.action_export):
            self.walk_end.export()

    def action_quit_walk(self) -> None:
        if not self._held_back(self.action_quit_walk):
            self.walk_end.quit()

    def action_warnings(self) -> None:
        from runbook_tui.tui.lint_list import WarningsDialog

        self.app.push_screen(WarningsDialog(self.runbook.path, self.warnings))

    def action_help(self) -> None:
        from runbook_tui.tui.dialogs import HelpDialog

        rows = prompts.help_rows(self.BINDINGS, self.ACTION_HELP, self.app.get_key_display)
        self.app.push_screen(HelpDialog(rows))

    async def action_show_tab(self, tab: str) -> None:
        await self._layout.go_to(tab)


__all__ = ["TABS", "WIDE_COLUMNS", "Clock", "JournalEvent", "WalkScreen"]
