"""The hand-over of live output from the runner's thread to the screen.

Output events arrive on the thread that runs the step and are appended here under a
lock; the screen takes them on a short timer and writes them to the view, because the
screen refreshes at most 60 times a second anyway. The feed also knows what the view
already holds: when a running step is selected, its stored output is shown first, and
the events that stored output already has (pending or still to come) are not written
twice. No Textual here: the rules are tested on their own.
"""

from __future__ import annotations

import threading
from typing import NamedTuple

# Unflushed output beyond this many characters is cut from the front: the view keeps
# only its last lines anyway, and the journal has all of it.
BUFFER_LIMIT = 2_000_000


class Chunk(NamedTuple):
    step_id: str
    attempt: int
    text: str
    upto: int  # characters the attempt had produced once this chunk was in


class Writes(NamedTuple):
    """What the view of the shown step must do: clear first (a new attempt began),
    then append `text`."""

    clear: bool
    text: str


class OutputFeed:
    def __init__(self, limit: int = BUFFER_LIMIT) -> None:
        self._lock = threading.Lock()
        self._pending: list[Chunk] = []
        self._chars = 0
        self._limit = limit
        self.step_id: str | None = None
        self.attempt = 0
        # Characters of the shown attempt's output already in the view.
        self.upto = 0

    def push(self, chunk: Chunk) -> None:
        """Any thread: one output event."""
        with self._lock:
            self._pending.append(chunk)
            self._chars += len(chunk.text)
            if self._chars > self._limit:
                self._trim()

    def _trim(self) -> None:
        # Keep the newest limit/2 characters; called with the lock held.
        keep, kept = [], 0
        for chunk in reversed(self._pending):
            keep.append(chunk)
            kept += len(chunk.text)
            if kept > self._limit // 2:
                break
        self._pending = keep[::-1]
        self._chars = kept

    def show(self, step_id: str | None, attempt: int, upto: int) -> None:
        """The view now shows `step_id`'s attempt `attempt`, holding `upto` characters
        of it (read together with the stored output, see Engine.output_snapshot)."""
        self.step_id, self.attempt, self.upto = step_id, attempt, upto

    def started(self, step_id: str, attempt: int) -> bool:
        """A new attempt of `step_id` started; True when the view must be cleared."""
        if step_id == self.step_id and attempt > self.attempt:
            self.attempt, self.upto = attempt, 0
            return True
        return False

    def take(self) -> list[Writes]:
        """Main thread: what to write for the shown step, from everything pending."""
        with self._lock:
            pending, self._pending = self._pending, []
            self._chars = 0
        out: list[Writes] = []
        clear, texts = False, []
        for chunk in pending:
            if chunk.step_id != self.step_id:
                continue
            if chunk.attempt > self.attempt:
                # A new attempt of the shown step: its output replaces the old.
                if texts or clear:
                    out.append(Writes(clear, "".join(texts)))
                clear, texts = True, []
                self.attempt, self.upto = chunk.attempt, 0
            if chunk.attempt == self.attempt and chunk.upto > self.upto:
                # Only what the view does not have yet.
                start = chunk.upto - len(chunk.text)
                texts.append(chunk.text[max(0, self.upto - start) :])
                self.upto = chunk.upto
        if texts or clear:
            out.append(Writes(clear, "".join(texts)))
        return out

    @property
    def has_pending(self) -> bool:
        with self._lock:
            return bool(self._pending)
