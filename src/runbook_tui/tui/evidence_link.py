"""The walk screen's tie to its session's evidence: the `SessionEvidence` (the hub of
the runbook's sources, recording into the journal; sources/recorder.py), opened once
the session exists (after the first frame, off the event loop), one subscription
feeding the board, the consent question for the runbook's commands, and the close
when the walk closes."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from textual.message import Message

from runbook_tui.runbook.model import Runbook
from runbook_tui.tui.evidence_board import EvidenceBoard
from runbook_tui.tui.evidence_feed import EvidenceFeed

if TYPE_CHECKING:
    from textual.screen import Screen

    from runbook_tui.sources.recorder import SessionEvidence
    from runbook_tui.tui.engine_api import EngineLike

# The panels redraw at most this often (seconds): readings are batched in between.
REDRAW_INTERVAL = 0.1

EvidenceOpener = Callable[["EngineLike"], "SessionEvidence"]


class EvidenceArrived(Message):
    """Readings wait in the feed (posted once per batch, from a hub thread)."""


def open_session_evidence(engine: EngineLike) -> SessionEvidence:
    """The session's evidence (sources/recorder.py): a hub for everything its runbook
    declares, `${NAME}` from the session's variables, masked with its secrets,
    recording into its journal. Nothing runs before `start()`."""
    from runbook_tui.sources.recorder import SessionEvidence

    return SessionEvidence.open(engine)  # type: ignore[arg-type]


# ---- the link -----------------------------------------------------------------------


class EvidenceLink:
    """Owned by the walk screen. `open(engine)` once the session exists; `arrived()` on
    each `EvidenceArrived`; `close()` when the screen goes."""

    def __init__(
        self,
        screen: Screen[Any],
        runbook: Runbook,
        board: EvidenceBoard,
        *,
        opener: EvidenceOpener | None = None,
    ) -> None:
        """`runbook`: what the session walks (what the sources read and run); `board`
        shows the masked copy."""
        self._screen = screen
        self._runbook = runbook
        self.board = board
        self._opener = opener or open_session_evidence
        self.evidence: SessionEvidence | None = None
        self._feed = EvidenceFeed(lambda: screen.post_message(EvidenceArrived()))
        self._unsubscribe: Callable[[], None] | None = None
        self._last_flush = 0.0
        self._timer_pending = False
        self._closed = False
        self.closed = threading.Event()  # set once the sources have stopped

    @property
    def wanted(self) -> bool:
        rb = self._runbook
        return bool(rb.services or rb.backups or rb.logs)

    @property
    def hub(self) -> Any:
        return self.evidence.hub if self.evidence is not None else None

    async def open(self, engine: EngineLike) -> None:
        """Open and start the session's evidence (in a thread: imports, the file's
        sha256, trust.json, a journal event), then ask about the runbook's commands
        when they have no answer yet. The question is put, not waited for."""
        if not self.wanted:
            self.closed.set()  # nothing to run, nothing to close
            return
        if self.evidence is not None or self._closed:
            return
        try:
            evidence = await asyncio.to_thread(self._opener, engine)
        except Exception as error:  # the walk goes on without its evidence
            self.board.failed(f"the sources could not start: {error}")
            self.closed.set()
            return
        if self._closed:
            self.closed.clear()
            self._close_in_thread(evidence)
            return
        self.evidence = evidence
        self.board.jumper = self._jump
        # Before start: the first readings reach the panels too.
        self._unsubscribe = evidence.hub.subscribe(self._feed.push)
        try:
            await asyncio.to_thread(evidence.start)
        except Exception as error:  # a journal that cannot be written says so elsewhere
            self.board.failed(f"the sources could not start: {error}")
            return
        self.board.went_live()
        if evidence.commands_allowed:
            self.board.set_consent("allowed")
        elif evidence.answered_before is False:  # refused earlier in this session
            self.board.set_consent("refused")
        if evidence.trust_problem:
            self._say(f"Warning: {evidence.trust_problem}")
        if evidence.needs_consent and not self._closed:
            self._ask_consent(evidence)

    def _ask_consent(self, evidence: SessionEvidence) -> None:
        from runbook_tui.tui.dialogs import ConsentDialog

        self.board.set_consent("asking")
        listing = [(c.kind, c.name, c.command) for c in evidence.commands]

        async def answered(yes: bool | None) -> None:
            if self._closed:
                return
            if yes:
                # Recorded in the journal and trust.json (fsyncs): off the event loop.
                problem = await asyncio.to_thread(evidence.allow)
                self.board.set_consent("allowed")
                if problem:
                    self._say(f"Allowed for this session only: {problem}")
            else:
                await asyncio.to_thread(evidence.refuse)
                self.board.set_consent("refused")

        self._screen.app.push_screen(ConsentDialog(listing), answered)

    def _say(self, text: str) -> None:
        say = getattr(self._screen, "say", None)
        if callable(say):
            say(text)

    def _jump(self, name: str, when: Any, n: int) -> Any:
        """The lines around `when` in log `name` (from a thread)."""
        from runbook_tui.sources.logs import TimeJump

        hub = self.hub
        reader = hub.source("log", name) if hub is not None else None
        lines_around = getattr(reader, "lines_around", None)
        if not callable(lines_around):
            held = self.board.held_back("log", name)
            why = "not allowed" if held == "refused" else "the log is not open yet"
            return TimeJump((), 0, None, why)
        return lines_around(when, n)

    # ---- readings to the panels ------------------------------------------------------

    def arrived(self) -> None:
        """On `EvidenceArrived`: redraw now, or when REDRAW_INTERVAL has passed since
        the last redraw (readings that come meanwhile join the batch)."""
        if self._timer_pending or self._closed:
            return
        wait = self._last_flush + REDRAW_INTERVAL - time.monotonic()
        if wait <= 0:
            self.flush()
            return
        self._timer_pending = True
        self._screen.set_timer(wait, self._flush_later)

    def _flush_later(self) -> None:
        self._timer_pending = False
        self.flush()

    def flush(self) -> None:
        if self._closed:
            return
        self._last_flush = time.monotonic()
        batch = self._feed.take()
        if batch:
            self.board.take(batch)

    def tick(self) -> None:
        """Once a second: ages and "since" move on."""
        if self.board.services or self.board.backups:
            self.board.changed({"services", "backups"})

    # ---- closing ---------------------------------------------------------------------

    def close(self) -> None:
        """Stop listening now; stop the sources (command checks and logs killed with
        their groups) in a thread the interpreter waits for at exit, so leaving the walk
        does not wait for a source that is slow to stop."""
        if self._closed:
            return
        self._closed = True
        self._feed.close()
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        evidence, self.evidence = self.evidence, None
        if evidence is None:
            # Not opened (yet): one that `open` finishes opening now is closed there.
            self.closed.set()
            return
        self._close_in_thread(evidence)

    def _close_in_thread(self, evidence: SessionEvidence) -> None:
        def close() -> None:
            try:
                evidence.close()
            finally:
                self.closed.set()

        threading.Thread(target=close, name="evidence-close").start()
