"""From the hub's worker threads to the event loop: the newest reading of each source,
coalesced.

The hub calls `push` from whichever thread polled (one call at a time). A reading
replaces the one of the same source still waiting, so a log read ten times while the
screen was busy costs one update, not ten. The first reading of a batch calls `wake`
(which posts a message to the screen); the screen takes the whole batch when it gets
to it. Nothing here touches a widget."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from runbook_tui.sources.readings import BackupReading, ServiceChange, ServiceReading

Key = tuple[str, str]  # (kind, source name)


def key_of(update: Any) -> Key | None:
    """Which source `update` is the reading of; None for what the panels do not show (a
    `ServiceChange`: the reading after it carries the new state and its `since`)."""
    if isinstance(update, ServiceChange):
        return None
    if isinstance(update, ServiceReading):
        return ("service", update.name)
    if isinstance(update, BackupReading):
        return ("backup", update.name)
    name = getattr(update, "name", None)
    if isinstance(name, str) and hasattr(update, "lines"):
        return ("log", name)
    return None


class EvidenceFeed:
    def __init__(self, wake: Callable[[], None]) -> None:
        self._wake = wake
        self._lock = threading.Lock()
        self._pending: dict[Key, Any] = {}
        self._woken = False
        self.closed = False

    def push(self, update: Any) -> None:
        """A hub subscriber: keep `update` as its source's newest; wake the screen once
        per batch. Quick, and never blocks on the event loop."""
        key = key_of(update)
        if key is None:
            return
        with self._lock:
            if self.closed:
                return
            self._pending[key] = update
            if self._woken:
                return
            self._woken = True
        self._wake()

    @property
    def has_pending(self) -> bool:
        with self._lock:
            return bool(self._pending)

    def take(self) -> dict[Key, Any]:
        """Everything that arrived since the last take (the next push wakes again)."""
        with self._lock:
            pending, self._pending = self._pending, {}
            self._woken = False
        return pending

    def close(self) -> None:
        with self._lock:
            self.closed = True
            self._pending = {}
