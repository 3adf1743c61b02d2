"""The walk screen: the step list, the selected step, the evidence, and every action
the operator takes on a session.

The screen holds no record of its own. Every intent goes to the engine (which writes
the journal first); statuses on screen come from `engine.state`, re-read when the
engine reports a lifecycle event. Output events arrive on the runner's thread and are
batched: appended to a buffer under a lock and written to the view on a short timer,
because the screen refreshes at most 60 times a second anyway.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.css.query import NoMatches
from textual.message import Message
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import ContentSwitcher, Static
from textual.worker import Worker, WorkerState

from runbook_tui.runbook.model import Runbook, Step
from runbook_tui.tui.engine_api import EngineLike, StepOutcomeLike, StepStateLike, to_epoch
from runbook_tui.tui.keys_footer import KeysFooter
from runbook_tui.tui.masked import masked_copy
from runbook_tui.tui.step_detail import StepDetail
from runbook_tui.tui.step_list import StepList
from runbook_tui.tui.tab_bar import TabBar
from runbook_tui.tui.walk_header import WalkHeader

# Output is written to the screen at most this often (seconds).
OUTPUT_FLUSH_INTERVAL = 0.07
# Unflushed output beyond this many characters is cut from the front: the view keeps
# only its last lines anyway, and the journal has all of it.
OUTPUT_BUFFER_LIMIT = 2_000_000
# At this width and more, the evidence panels stand beside the walk instead of in tabs.
WIDE_COLUMNS = 160

# The narrow layout's tabs: pane id -> label (the keys 1-4 follow this order).
TABS = {
    "tab-step": "Step",
    "tab-logs": "Logs",
    "tab-services": "Services",
    "tab-backups": "Backups",
}

Clock = Callable[[], float]
# What the header shows for the session id until the session has started.
STARTING = "starting…"


class JournalEvent(Message):
    """A lifecycle event the engine wrote (any thread)."""

    def __init__(self, event: dict[str, Any]) -> None:
        super().__init__()
        self.event = event


class WalkScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "perform", "Perform", id="walk.perform"),
        Binding("s", "skip", "Skip", id="walk.skip"),
        Binding("n", "note", "Note", id="walk.note"),
        Binding("x,ctrl+c", "cancel_step", "Cancel step", id="walk.cancel"),
        Binding("r", "retry", "Retry", id="walk.retry"),
        Binding("b", "rollback", "Rollback", id="walk.rollback"),
        Binding("e", "end_session", "End", id="walk.end"),
        Binding("question_mark", "help", "Keys", id="walk.help"),
        Binding("q", "quit_walk", "Quit", id="walk.quit"),
        Binding("1", "show_tab('tab-step')", "Step tab", show=False, id="walk.tab-step"),
        Binding("2", "show_tab('tab-logs')", "Logs tab", show=False, id="walk.tab-logs"),
        Binding(
            "3", "show_tab('tab-services')", "Services tab", show=False, id="walk.tab-services"
        ),
        Binding("4", "show_tab('tab-backups')", "Backups tab", show=False, id="walk.tab-backups"),
    ]

    # What each action is called in the help and the command palette.
    ACTION_HELP: ClassVar[dict[str, str]] = {
        "perform": "Perform the selected step (run it, or mark a manual step done)",
        "skip": "Skip the selected step, with a reason",
        "note": "Add a timestamped note to the record",
        "cancel_step": "Cancel the running step (kills its process group)",
        "retry": "Retry the selected step after a failure",
        "rollback": "Switch to the rollback steps",
        "end_session": "End the session (completed, failed or aborted)",
        "help": "Show every key",
        "quit_walk": "Quit (the session stays resumable)",
    }

    def __init__(
        self,
        runbook: Runbook,
        engine: EngineLike | None,
        *,
        clock: Clock,
        start: Callable[[], EngineLike] | None = None,
        drill: bool = False,
    ) -> None:
        """The walk of `runbook` in `engine`'s session; or, with `engine` None, in the
        session `start()` creates (in a thread, once the first frame is on screen)."""
        super().__init__()
        if engine is None and start is None:
            raise ValueError("a walk needs an engine or a way to start one")
        # What the screen shows; the engine runs its own, unmasked copy.
        self.runbook = masked_copy(runbook)
        self._engine = engine
        self._start = start
        self._drill = drill
        # Actions that act wait here until the session exists (the journal first).
        self._waiting: list[Callable[[], object]] = []
        self._painted = asyncio.Event()
        self.clock = clock
        self.mode = "main"
        self.message_text = ""
        self._output_lock = threading.Lock()
        # (step id, attempt, text, characters the attempt had produced after it)
        self._pending_output: list[tuple[str, int, str, int]] = []
        self._pending_chars = 0
        self._shown_attempt = 0
        # Characters of the shown attempt's output already on screen (from the stored
        # output or from events): an event that ends at or before it is not written.
        self._shown_upto = 0
        self._flush_timer: Timer | None = None
        self._step_worker: Worker[StepOutcomeLike] | None = None
        self._changed = asyncio.Event()
        self._possible: tuple[bool | None, ...] = ()
        self._started_epoch = to_epoch(engine.state.started_at) if engine is not None else None

    @property
    def engine(self) -> EngineLike:
        """The session's engine; only for code that runs once it exists."""
        if self._engine is None:
            raise RuntimeError("the session has not started yet")
        return self._engine

    @property
    def started(self) -> bool:
        """Whether the session exists (until then, keys that act are held back)."""
        return self._engine is not None

    # ---- layout -------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield WalkHeader(id="walk-header")
        with Horizontal(id="walk-body"):
            first = self._first_step()
            yield StepList(
                self.runbook,
                statuses=self._statuses(),
                selected=first.id if first else None,
                id="steps",
            )
            with Vertical(id="main-tabs"):
                # The tab bar shows only in the narrow layout (see app.tcss).
                yield TabBar(list(TABS.items()), active="tab-step", id="tab-bar")
                with ContentSwitcher(id="tab-panes", initial="tab-step"):
                    with Vertical(id="tab-step", classes="tab-pane"):
                        yield StepDetail(self.runbook, id="detail")
                    # Evidence panes are filled when first shown (see show_tab).
                    for tab in list(TABS)[1:]:
                        yield Vertical(id=tab, classes="tab-pane")
            # Filled the first time the terminal is wide enough (a narrow start-up
            # does not pay for widgets it does not show).
            yield Vertical(id="evidence-column")
        yield Static("", id="message")
        yield KeysFooter()

    async def on_mount(self) -> None:
        self._flush_timer = self.set_interval(OUTPUT_FLUSH_INTERVAL, self.flush_output)
        self.set_interval(1.0, self.update_header)
        self.query_one(StepList).focus()
        self._apply_width(self.app.size.width)
        self.call_after_refresh(self._painted.set)
        if self._engine is not None:
            self._engine.subscribe(self._on_engine_event)
            await self._select_first()
            self._say_if_ended()
        else:
            await self._select_first()
            self.run_worker(self._start_session(), name="start-session", group="session")
        self.update_header()

    def _first_step(self) -> Step | None:
        """The step selected when the walk opens."""
        steps = self.runbook.main_steps or self.runbook.steps  # a rollback-only runbook
        return self._next_actionable(None) or next(iter(steps), None)

    async def _select_first(self) -> None:
        self.query_one(StepList).show_statuses(self._statuses())
        first = self._first_step()
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
        assert self._start is not None
        await self._painted.wait()
        try:
            engine = await asyncio.to_thread(self._start)
        except Exception as error:  # the engine says why; show it rather than crash
            self.app.exit(return_code=1, message=f"Could not start a session: {error}")
            return
        self._on_session(engine)

    def _on_session(self, engine: EngineLike) -> None:
        """The session exists: show it, then do what the operator asked meanwhile."""
        self._engine = engine
        self._started_epoch = to_epoch(engine.state.started_at)
        engine.subscribe(self._on_engine_event)
        self.refresh_view()
        self._say_if_ended()
        waiting, self._waiting = self._waiting, []
        if waiting:
            self.say("")
        for action in waiting:
            action()
        self._notify_changed()

    def _held_back(self, action: Callable[[], object]) -> bool:
        """Before the session exists, keep `action` for when it does (and say so).
        True when it was held back: the caller does nothing now."""
        if self._engine is not None:
            return False
        self._waiting.append(action)
        self.say("Starting the session…")
        return True

    def on_tab_bar_clicked(self, event: TabBar.Clicked) -> None:
        self.show_tab(event.tab)

    @property
    def active_tab(self) -> str:
        """The pane shown beside the step list in the narrow layout."""
        return self.query_one(TabBar).active

    def show_tab(self, tab: str) -> None:
        """Show pane `tab`; an evidence pane is filled the first time it is shown."""
        if tab not in TABS:
            return
        self.query_one(TabBar).active = tab
        self.query_one("#tab-panes", ContentSwitcher).current = tab
        pane = self.query_one(f"#{tab}")
        kind = tab.removeprefix("tab-")
        if kind in ("logs", "services", "backups") and not pane.children:
            from runbook_tui.tui.evidence import EvidencePanel

            pane.mount(EvidencePanel(self.runbook, kind, titled=False))

    def on_resize(self) -> None:
        self._apply_width(self.size.width)

    def _apply_width(self, width: int) -> None:
        wide = width >= WIDE_COLUMNS
        self.set_class(wide, "-wide")
        if wide:
            self.show_tab("tab-step")
            column = self.query_one("#evidence-column")
            if not column.children:
                from runbook_tui.tui.evidence import EvidencePanel

                column.mount_all(
                    EvidencePanel(self.runbook, kind) for kind in ("logs", "services", "backups")
                )

    # ---- the view of the journal ---------------------------------------------

    def _on_engine_event(self, event: dict[str, Any]) -> None:
        """Engine subscriber: runs on whichever thread wrote the event."""
        if event.get("type") == "output":
            data = str(event.get("data", ""))
            step_id = str(event.get("step_id"))
            # The engine folds an output event into its state before telling us, and
            # tells us from the one thread that writes that step's output: the count
            # read here is where this event ends.
            step_state = self._step_state(step_id)
            end = step_state.output_chars if step_state is not None else len(data)
            with self._output_lock:
                self._pending_output.append((step_id, int(event.get("attempt") or 0), data, end))
                self._pending_chars += len(data)
                if self._pending_chars > OUTPUT_BUFFER_LIMIT:
                    self._trim_pending()
            return
        self.post_message(JournalEvent(event))

    def _trim_pending(self) -> None:
        # Keep the newest OUTPUT_BUFFER_LIMIT/2 characters; called with the lock held.
        keep, kept = [], 0
        for entry in reversed(self._pending_output):
            keep.append(entry)
            kept += len(entry[2])
            if kept > OUTPUT_BUFFER_LIMIT // 2:
                break
        self._pending_output = keep[::-1]
        self._pending_chars = kept

    def flush_output(self) -> None:
        """Write buffered output for the shown step (timer)."""
        with self._output_lock:
            pending, self._pending_output = self._pending_output, []
            self._pending_chars = 0
        if not pending:
            return
        detail = self.query_one(StepDetail)
        chunks: list[str] = []
        for step_id, attempt, data, end in pending:
            if step_id != detail.step_id:
                continue
            if attempt > self._shown_attempt:
                # A new attempt of the shown step: its output replaces the old.
                self._write(chunks)
                chunks = []
                detail.output.clear()
                self._shown_attempt = attempt
                self._shown_upto = 0
            if attempt == self._shown_attempt and end > self._shown_upto:
                # Only what the screen does not have yet (the stored output shown when
                # the step was selected may already hold this event, or part of it).
                start = end - len(data)
                chunks.append(data[max(0, self._shown_upto - start) :])
                self._shown_upto = end
        self._write(chunks)
        self._notify_changed()

    def _write(self, chunks: list[str]) -> None:
        if chunks:
            self.query_one(StepDetail).output.write("".join(chunks))

    async def on_journal_event(self, message: JournalEvent) -> None:
        event = message.event
        kind = event.get("type")
        detail = self.query_one(StepDetail)
        if (
            kind == "step_started"
            and event.get("step_id") == detail.step_id
            and int(event.get("attempt") or 0) > self._shown_attempt
        ):
            detail.output.clear()
            self._shown_attempt = int(event.get("attempt") or 0)
            self._shown_upto = 0
        self.refresh_view()
        if kind == "session_ended":
            self.say(f"Session ended: {event.get('status')}.")
        self._notify_changed()

    def refresh_view(self) -> None:
        """Re-read the fold and redraw what depends on it."""
        self.query_one(StepList).show_statuses(self._statuses())
        step = self.selected_step
        if step is not None:
            self.query_one(StepDetail).show_state(step, self._step_state(step.id))
        self.update_header()
        self._update_footer()

    def update_header(self) -> None:
        engine = self._engine
        started = self._started_epoch
        elapsed = self.clock() - started if started is not None else 0.0
        self.query_one(WalkHeader).show(
            title=self.runbook.title,
            kind=self.runbook.kind,
            session_id=engine.session_id if engine is not None else STARTING,
            elapsed=elapsed,
            drill=bool(engine.state.drill) if engine is not None else self._drill,
            rto=self.runbook.rto_seconds,
            mode=self.mode,
        )

    def say(self, text: str) -> None:
        """The one-line message under the walk (notifications can be missed)."""
        self.message_text = text
        self.query_one("#message", Static).update(text)

    def _notify_changed(self) -> None:
        # Wake every waiter; the next wait gets a fresh event.
        event, self._changed = self._changed, asyncio.Event()
        event.set()

    async def wait_until(self, predicate: Callable[[], bool], timeout: float = 15.0) -> None:
        """Wait until `predicate()` holds, re-checking whenever the view takes in a
        journal event or output. Raises TimeoutError after `timeout` seconds."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not predicate():
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError("the walk screen never reached the expected state")
            await asyncio.wait_for(self._changed.wait(), remaining)

    # ---- selection -------------------------------------------------------------

    @property
    def selected_step(self) -> Step | None:
        step_id = self.query_one(StepList).selected_step_id
        return self.runbook.step(step_id) if step_id else None

    def status_of(self, step_id: str) -> str:
        step_state = self._step_state(step_id)
        return step_state.status if step_state is not None else "pending"

    def _step_state(self, step_id: str) -> StepStateLike | None:
        """The fold's state of `step_id` (None before the session exists)."""
        if self._engine is None:
            return None
        return self._engine.state.steps.get(step_id)

    def _statuses(self) -> dict[str, str]:
        if self._engine is None:
            return {}
        return {k: v.status for k, v in self._engine.state.steps.items()}

    def _walk_steps(self) -> tuple[Step, ...]:
        return self.runbook.rollback_steps if self.mode == "rollback" else self.runbook.main_steps

    def _next_actionable(self, after: str | None) -> Step | None:
        """The next step in the current walk that still needs doing, after `after`."""
        statuses = self._statuses()
        steps = self._walk_steps()
        ids = [s.id for s in steps]
        start = ids.index(after) + 1 if after in ids else 0
        for step in (*steps[start:], *steps[:start]):
            needs_doing = statuses.get(step.id, "pending") in ("pending", "interrupted", "failed")
            if needs_doing and step.id != after:
                return step
        return None

    def _advance_from(self, step_id: str) -> None:
        """After `step_id` is done, select the next step, unless the operator has moved."""
        if self.query_one(StepList).selected_step_id != step_id:
            return
        following = self._next_actionable(step_id)
        if following is None:
            self.say("Every step is done. Press e to end the session.")
            return
        self.query_one(StepList).select_step(following.id)

    @on(StepList.Highlighted, "#steps")
    async def _on_step_highlighted(self) -> None:
        await self._show_selected()
        self._update_footer()

    async def _show_selected(self) -> None:
        step = self.selected_step
        if step is None:
            return
        step_state = self._step_state(step.id)
        detail = self.query_one(StepDetail)
        if detail.step_id == step.id:
            await detail.show_step(step, step_state)
            return
        # A step that is running keeps writing: its stored output and the count of
        # characters it holds are read together, and flush_output skips the events
        # (pending or still to come) that the stored output already has.
        text, upto = ("", 0) if self._engine is None else self._engine.output_snapshot(step.id)
        self._shown_attempt = step_state.attempts if step_state is not None else 0
        self._shown_upto = upto
        await detail.show_step(step, step_state, text)

    # ---- state questions (for keys and the footer) -------------------------------

    @property
    def step_running(self) -> bool:
        worker = self._step_worker
        return worker is not None and worker.state in (WorkerState.PENDING, WorkerState.RUNNING)

    def _update_footer(self) -> None:
        """Refresh the footer's keys, only when what is possible has changed: every
        refresh rebuilds the footer, and moving between two pending steps changes
        nothing."""
        possible = tuple(
            self.check_action(action, ())
            for action in ("perform", "skip", "cancel_step", "retry", "rollback")
        )
        if possible != self._possible:
            self._possible = possible
            self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        try:
            step = self.selected_step
        except NoMatches:  # asked before the screen is composed
            return True
        status = self.status_of(step.id) if step else None
        running = self.step_running
        if action == "perform":
            return step is not None and not running
        if action == "skip":
            return step is not None and not running and status not in ("succeeded", "skipped")
        if action == "cancel_step":
            return running
        if action == "retry":
            return step is not None and not running and status in ("failed", "interrupted")
        if action == "rollback":
            return bool(self.runbook.rollback_steps) and self.mode == "main"
        if action == "show_tab":
            return not self.has_class("-wide")
        return True

    # ---- actions ---------------------------------------------------------------

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

    def action_perform(self) -> None:
        from runbook_tui.tui.dialogs import ConfirmDialog

        if self._held_back(self.action_perform):
            return
        step = self.selected_step
        if step is None:
            return
        if self.step_running:
            self.say("A step is running: wait for it, or cancel it with x.")
            return
        status = self.status_of(step.id)
        if status in ("succeeded", "skipped"):
            self.app.push_screen(
                ConfirmDialog(f"“{step.title}” is already {status}. Perform it again?"),
                lambda yes: self._guarded(step) if yes else self.say("Nothing was run."),
            )
            return
        self._guarded(step)

    def action_retry(self) -> None:
        if self._held_back(self.action_retry):
            return
        step = self.selected_step
        if step is not None and self.status_of(step.id) in ("failed", "interrupted"):
            self._guarded(step)

    def _guarded(self, step: Step) -> None:
        """Ask what the runbook says to ask, then perform."""
        from runbook_tui.tui.dialogs import ConfirmDialog, DangerDialog

        if step.danger:
            self.app.push_screen(
                DangerDialog(step.title, step.danger),
                lambda typed: self._perform(step) if typed else self.say("Nothing was run."),
            )
        elif step.confirm:
            self.app.push_screen(
                ConfirmDialog(f"Run “{step.title}”?\n\n{step.command.strip()}"),
                lambda yes: self._perform(step) if yes else self.say("Nothing was run."),
            )
        else:
            self._perform(step)

    def _perform(self, step: Step) -> None:
        if step.kind == "manual":
            if self._intent("record the step as done", lambda: self.engine.confirm_manual(step.id)):
                self.say(f"Done: {step.title}")
                self._advance_from(step.id)
        elif step.interactive:
            self._run_interactive(step)
        else:
            self.say(f"Running: {step.title}")
            self._step_worker = self.run_worker(
                lambda: self.engine.run_step(step.id, confirmed_by=_allowed_by(step)),
                name=step.id,
                group="step",
                thread=True,
                exit_on_error=False,
            )
            self._update_footer()

    def _run_interactive(self, step: Step) -> None:
        from textual.app import SuspendNotSupported

        from runbook_tui.tui.app import terminal_present

        had_terminal = terminal_present()
        try:
            with self.app.suspend():
                outcome = self.engine.run_interactive(step.id, confirmed_by=_allowed_by(step))
                # The step held the terminal, so a hang-up went to it, not to us.
                if had_terminal and not terminal_present():
                    self.app.hang_up()  # type: ignore[attr-defined]
        except SuspendNotSupported:
            self.say("This step needs the real terminal, which this session cannot hand over.")
            return
        except Exception as error:
            self.app.refresh(layout=True)
            self.say(f"Could not run “{step.title}”: {error}")
            return
        self.app.refresh(layout=True)
        self._after_outcome(step, outcome)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        worker = event.worker
        if worker.group != "step" or worker is not self._step_worker:
            return
        step = self.runbook.step(worker.name)
        if event.state == WorkerState.SUCCESS:
            self._after_outcome(step, worker.result)  # type: ignore[arg-type]
        elif event.state == WorkerState.ERROR:
            self.say(f"Could not run “{step.title}”: {worker.error}")
        if event.state in (WorkerState.SUCCESS, WorkerState.ERROR, WorkerState.CANCELLED):
            self.flush_output()
            self.refresh_view()
            self._notify_changed()

    def _after_outcome(self, step: Step, outcome: StepOutcomeLike | None) -> None:
        from runbook_tui.tui.dialogs import RollbackOfferDialog

        self.refresh_view()
        if outcome is None:
            return
        code = f" (exit {outcome.exit_code})" if outcome.exit_code is not None else ""
        if outcome.verdict == "succeeded":
            self.say(f"✓ {step.title}{code}")
            self._advance_from(step.id)
            return
        reason = f": {outcome.reason}" if outcome.reason else ""
        self.say(f"✗ {step.title}{code}{reason}. r retries, s skips.")
        if "cancel" in (outcome.reason or "").lower():
            return
        if self.runbook.rollback_steps and self.mode == "main":
            dialog = RollbackOfferDialog(
                f"“{step.title}” failed{code}{reason}.\n\n"
                "Switch to the rollback steps, retry, or stay here?"
            )
            # After the pending refresh: the footer behind a modal does not rebuild, so
            # it must show the failed step's keys (Retry) before the dialog covers it.
            self.call_after_refresh(
                self.app.push_screen, dialog, lambda choice: self._on_rollback_choice(step, choice)
            )

    def _on_rollback_choice(self, step: Step, choice: str | None) -> None:
        if choice == "rollback":
            self._enter_rollback(f"after “{step.title}” failed")
        elif choice == "retry":
            self._guarded(step)

    def action_rollback(self) -> None:
        if self._held_back(self.action_rollback):
            return
        if not self.runbook.rollback_steps:
            self.say("This runbook has no rollback steps.")
            return
        self._enter_rollback("at the operator's request")

    def _enter_rollback(self, why: str) -> None:
        # The switch is written down, so the record says when the plan changed.
        if not self._intent(
            "switch to the rollback steps",
            lambda: self.engine.note(f"Switched to the rollback steps {why}."),
        ):
            return
        self.mode = "rollback"
        self.add_class("-rollback")
        first = self._next_actionable(None) or self.runbook.rollback_steps[0]
        self.query_one(StepList).select_step(first.id)
        self.say("Rollback: the rollback steps are now the walk.")
        self.refresh_view()

    def action_skip(self) -> None:
        from runbook_tui.tui.dialogs import TextDialog

        if self._held_back(self.action_skip):
            return
        step = self.selected_step
        if step is None or self.step_running:
            return

        def done(reason: str | None) -> None:
            if reason is None:
                self.say("Not skipped.")
                return
            if self._intent("skip the step", lambda: self.engine.skip(step.id, reason)):
                self.say(f"↷ Skipped: {step.title} ({reason})")
                self._advance_from(step.id)

        self.app.push_screen(
            TextDialog(f"Skip “{step.title}”", "Why is this step skipped?", placeholder="reason"),
            done,
        )

    def action_note(self) -> None:
        from runbook_tui.tui.dialogs import TextDialog

        if self._held_back(self.action_note):
            return
        step = self.selected_step

        def done(text: str | None) -> None:
            if text is None:
                return
            step_id = step.id if step else None
            if self._intent("save the note", lambda: self.engine.note(text, step_id=step_id)):
                self.say(f"Note saved: {text}")

        self.app.push_screen(
            TextDialog("Note", "A note for the record (timestamped).", placeholder="note"),
            done,
        )

    def action_cancel_step(self) -> None:
        if self._held_back(self.action_cancel_step):
            return
        if not self.step_running:
            self.say("No step is running.")
            return
        self.engine.cancel()
        self.say("Cancelling the running step…")

    def action_end_session(self) -> None:
        from runbook_tui.tui.dialogs import EndSessionDialog

        if self._held_back(self.action_end_session):
            return
        if self.step_running:
            self.say("A step is running: cancel it (x) before ending the session.")
            return

        def done(status: str | None) -> None:
            if status is None:
                return
            if not self._intent("end the session", lambda: self.engine.end(status)):
                return
            self.app.exit(message=f"Session {self.engine.session_id} ended: {status}.")

        self.app.push_screen(
            EndSessionDialog("How did it go? The record will say so."),
            done,
        )

    def action_quit_walk(self) -> None:
        from runbook_tui.tui.dialogs import QuitWhileRunningDialog

        if self._held_back(self.action_quit_walk):
            return
        if not self.step_running:
            self._leave()
            return

        async def done(yes: bool | None) -> None:
            if not yes:
                return
            self.engine.cancel()
            worker = self._step_worker
            if worker is not None:
                await worker.wait()
            self._leave()

        step_name = self._step_worker.name if self._step_worker else ""
        title = self.runbook.step(step_name).title if step_name else "a step"
        self.app.push_screen(
            QuitWhileRunningDialog(
                f"“{title}” is still running. Quitting cancels it (its process group is "
                "killed). The session stays resumable."
            ),
            done,
        )

    def _leave(self) -> None:
        self.flush_output()
        # Closing flushes the journal; if even that fails, say so on the way out.
        if not self._intent("close the journal", self.engine.close):
            self.app.exit(return_code=1, message=self.message_text)
            return
        path = self.runbook.path or "FILE"
        self.app.exit(
            message=(
                f"Session {self.engine.session_id} is kept. To resume it, open the runbook "
                f"again (runbook-tui {path}), or without the UI: "
                f"runbook-tui resume {self.engine.session_id}"
            )
        )

    def action_help(self) -> None:
        from runbook_tui.tui.dialogs import HelpDialog

        rows: list[tuple[str, str]] = []
        for binding in self.BINDINGS:
            assert isinstance(binding, Binding)
            text = self.ACTION_HELP.get(binding.action.split("(")[0], binding.description)
            keys = " ".join(
                self.app.get_key_display(Binding(key, "")) for key in binding.key.split(",")
            )
            rows.append((keys, text))
        rows.append(("↑ ↓", "Select a step"))
        rows.append(("ctrl+p", "Command palette: every action by name"))
        self.app.push_screen(HelpDialog(rows))

    def action_show_tab(self, tab: str) -> None:
        self.show_tab(tab)


def _allowed_by(step: Step) -> str | None:
    """How the walk let the step run: the UI runs a danger step only after its phrase
    was typed, and a confirm step only after a yes."""
    if step.danger:
        return "phrase"
    return "operator" if step.confirm else None
