"""The walk screen's view of its session's journal: the engine's events taken in (live
output through an OutputFeed, lifecycle events as `JournalEvent` messages), and the
step list, the step detail and the header kept in step with the fold. Whoever waits
for the view to change (`wait_until`) is woken when it takes something in.

It shows; it decides nothing. What the operator may do is the screen's question.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from textual.message import Message
from textual.screen import Screen

from runbook_tui.runbook.model import Runbook
from runbook_tui.session.clock import epoch, open_seconds
from runbook_tui.tui.engine_api import EngineLike, StepStateLike
from runbook_tui.tui.output_feed import Chunk, OutputFeed
from runbook_tui.tui.step_detail import StepDetail
from runbook_tui.tui.step_list import StepList
from runbook_tui.tui.walk_header import WalkHeader
from runbook_tui.tui.walk_items import AdhocItem, ListItem, adhoc_item

# What the header shows for the session id until the session has started.
STARTING = "starting…"


class JournalEvent(Message):
    """A lifecycle event the engine wrote (any thread)."""

    def __init__(self, event: dict[str, Any]) -> None:
        super().__init__()
        self.event = event


class JournalView:
    def __init__(
        self,
        screen: Screen[None],
        runbook: Runbook,
        engine: Callable[[], EngineLike | None],
        *,
        clock: Callable[[], float],
        drill: bool,
    ) -> None:
        """The view of `engine()`'s journal (None before the session exists) on
        `screen`'s widgets; `drill` is what the header says until then."""
        self._screen = screen
        self._runbook = runbook
        self._engine = engine
        self._clock = clock
        self._drill = drill
        self._feed = OutputFeed()
        self._changed = asyncio.Event()

    # ---- taking events in -------------------------------------------------------

    def on_engine_event(self, event: dict[str, Any]) -> None:
        """Engine subscriber: runs on whichever thread wrote the event. Output goes to
        the feed; the other events reach the screen as a `JournalEvent`."""
        if event.get("type") == "output":
            data = str(event.get("data", ""))
            upto = event.get("upto")
            self._feed.push(
                Chunk(
                    str(event.get("step_id")),
                    int(event.get("attempt") or 0),
                    data,
                    upto if isinstance(upto, int) else len(data),
                )
            )
            return
        self._screen.post_message(JournalEvent(event))

    def flush_output(self) -> None:
        """Write buffered output for the shown step."""
        if not self._feed.has_pending:
            return
        output = self._screen.query_one(StepDetail).output
        for writes in self._feed.take():
            if writes.clear:
                output.clear()
            if writes.text:
                output.write(writes.text)
        self.changed()

    def take_in(self, event: dict[str, Any]) -> None:
        """A lifecycle event: a new attempt of the shown step starts with empty output
        (the caller then redraws what depends on the fold)."""
        if event.get("type") == "step_started" and self._feed.started(
            str(event.get("step_id")), int(event.get("attempt") or 0)
        ):
            self._screen.query_one(StepDetail).output.clear()

    # ---- the fold on screen ----------------------------------------------------------

    def statuses(self) -> dict[str, str]:
        """Every listed item's status, as the walk's plan sees it: the runbook's steps,
        its reference blocks and the session's ad-hoc commands."""
        engine = self._engine()
        if engine is None:
            return {}
        plan = engine.plan
        statuses = plan.statuses()
        recorded = engine.state.steps
        for ref in self._runbook.references:
            if ref.id in recorded:
                statuses[ref.id] = plan.status(ref.id)
        for step_id in plan.adhoc():
            statuses[step_id] = plan.status(step_id)
        return statuses

    def adhoc_items(self) -> list[AdhocItem]:
        """The session's ad-hoc commands, in the order they ran (from the fold)."""
        engine = self._engine()
        if engine is None:
            return []
        steps = engine.state.steps
        return [adhoc_item(step_id, steps.get(step_id)) for step_id in engine.plan.adhoc()]

    def step_state(self, step_id: str) -> StepStateLike | None:
        """The fold's state of `step_id` (None before the session exists)."""
        engine = self._engine()
        return engine.state.steps.get(step_id) if engine is not None else None

    def show_fold(self, selected: ListItem | None, mode: str) -> None:
        """Redraw the ad-hoc rows, the statuses, the `selected` item's state and the
        header."""
        steps = self._screen.query_one(StepList)
        steps.show_adhoc(self.adhoc_items())
        steps.show_statuses(self.statuses())
        if selected is not None:
            self._screen.query_one(StepDetail).show_state(selected, self.step_state(selected.id))
        self.update_header(mode)

    async def show_step(self, step: ListItem) -> None:
        """Show `step` (any listed item) in the step detail, with the output it has so
        far."""
        step_state = self.step_state(step.id)
        detail = self._screen.query_one(StepDetail)
        if detail.step_id == step.id:
            await detail.show_step(step, step_state)
            return
        # A step that is running keeps writing: its stored output and the count of
        # characters it holds are read together, and the feed skips the events
        # (pending or still to come) that the stored output already has.
        engine = self._engine()
        text, upto = ("", 0) if engine is None else engine.output_snapshot(step.id)
        self._feed.show(step.id, step_state.attempts if step_state is not None else 0, upto)
        await detail.show_step(step, step_state, text)

    @property
    def session_opened_at(self) -> float | None:
        """When the process that has the session open opened it (epoch seconds)."""
        engine = self._engine()
        segments = engine.state.segments if engine is not None else ()
        return epoch(segments[-1][0]) if segments else None

    def update_header(self, mode: str) -> None:
        engine = self._engine()
        # The clock counts the time the session was open, from the journal's stamps.
        elapsed = open_seconds(engine.state.segments, self._clock()) if engine else 0.0
        self._screen.query_one(WalkHeader).show(
            title=self._runbook.title,
            kind=self._runbook.kind,
            session_id=engine.session_id if engine is not None else STARTING,
            elapsed=elapsed,
            drill=bool(engine.state.drill) if engine is not None else self._drill,
            rto=self._runbook.rto_seconds,
            mode=mode,
        )

    # ---- waiting for the view ------------------------------------------------------

    def changed(self) -> None:
        """The view took something in: wake every waiter (the next wait gets a fresh
        event)."""
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
