"""The walk screen's tie to its session: the engine once it exists (started in a thread
after the first frame, so creating the journal does not hold back the screen), the
intents the operator gave before that, and the engine subscription, dropped when the
screen goes."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from runbook_tui.tui.engine_api import EngineLike, EventCallback


class SessionLink:
    def __init__(
        self,
        engine: EngineLike | None,
        start: Callable[[], EngineLike] | None,
        on_event: EventCallback,
    ) -> None:
        if engine is None and start is None:
            raise ValueError("a walk needs an engine or a way to start one")
        self._engine = engine
        self._start = start
        self._on_event = on_event
        self._unsubscribe: Callable[[], None] | None = None
        # Intents given before the session exists, run once it does (journal first).
        self._waiting: list[Callable[[], object]] = []

    @property
    def engine(self) -> EngineLike:
        """The session's engine; only for code that runs once it exists."""
        if self._engine is None:
            raise RuntimeError("the session has not started yet")
        return self._engine

    @property
    def maybe_engine(self) -> EngineLike | None:
        return self._engine

    @property
    def started(self) -> bool:
        return self._engine is not None

    def hold(self, action: Callable[[], object]) -> bool:
        """Before the session exists, keep `action` for when it does. True when it was
        held back: the caller does nothing now."""
        if self._engine is not None:
            return False
        self._waiting.append(action)
        return True

    async def start(self, painted: asyncio.Event) -> EngineLike:
        """Start the session once `painted` is set, in a thread. Raises what the engine
        raised (its message says why)."""
        assert self._start is not None
        await painted.wait()
        return await asyncio.to_thread(self._start)

    def attach(self, engine: EngineLike | None = None) -> list[Callable[[], object]]:
        """Subscribe to the (given or existing) engine; returns the held-back intents,
        to be run now."""
        if engine is not None:
            self._engine = engine
        self.detach()
        self._unsubscribe = self.engine.subscribe(self._on_event)
        waiting, self._waiting = self._waiting, []
        return waiting

    def detach(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
