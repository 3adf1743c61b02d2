"""The walk's evidence as the panels show it: the newest reading of each declared
source, each log's view (the lines held, following or paused, a filter, a jump to a
time), and which sources wait for the operator's consent or were refused it.

One board per walk. Every panel that shows a kind (the tab's and the wide column's) is
a view of it: both show the same readings, a log's lines are held once, and pausing or
filtering in one is seen in the other. No widget here: panels `watch` the board and
redraw when it says their kind changed."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from runbook_tui.runbook.model import Runbook

if TYPE_CHECKING:
    from runbook_tui.sources.logs import TimeJump
    from runbook_tui.sources.readings import BackupReading, ServiceReading

Panel = Literal["logs", "services", "backups"]
PANEL_OF = {"service": "services", "backup": "backups", "log": "logs"}
# Where the walk is with the sources: before the hub exists, while the operator is
# asked about the runbook's commands, and after.
Consent = Literal["none", "asking", "allowed", "refused"]
View = Callable[[frozenset[str]], None]
# (log name, when, n) -> TimeJump: the lines around a time, from the log's reader.
Jumper = Callable[[str, Any, int], "TimeJump"]


def compile_filter(text: str) -> re.Pattern[str]:
    """A log filter's regex: case-insensitive unless it holds a capital letter (as
    `less` and ripgrep's smart case). Raises re.error for a bad one."""
    flags = 0 if any(c.isupper() for c in text) else re.IGNORECASE
    return re.compile(text, flags)


@dataclass(frozen=True)
class Shown:
    """What a log view draws: the lines (filtered), the index among them of the line a
    jump to time found (None when not jumping or filtered out), how many lines the
    filter was applied to."""

    lines: tuple[str, ...]
    marked: int | None
    of: int


class LogState:
    """One log as the panels show it. Following, the lines held are the reader's newest
    (at most its `keep`, 500); paused or after a jump, they stay as they were and the
    lines that arrived meanwhile are counted. Memory: one tuple of lines, shared by the
    views, and its filtered copy."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.reading: Any = None  # the newest LogReading
        self.lines: tuple[str, ...] = ()
        self.following = True
        self.missed = 0  # lines that arrived while paused
        # The reader's count of lines since it opened, when the view stopped following:
        # `missed` is the count since. (Not a sum of each reading's `new_lines`: the
        # feed keeps only a source's newest reading, and a quiet poll that replaced one
        # with new lines would lose them.)
        self._held_at = 0
        self.pattern: re.Pattern[str] | None = None
        self.jump: TimeJump | None = None
        self.jump_asked = ""  # what the operator typed
        self._shown: tuple[Any, Shown] | None = None

    def take(self, reading: Any) -> bool:
        """Take a poll's reading; False when it shows nothing new (a quiet log is read
        every 50 ms: the panels need not redraw for it)."""
        before, self.reading = self.reading, reading
        if self.following:
            lines = tuple(reading.lines)
            if lines != self.lines:
                self.lines = lines
        else:
            # The reader's count only grows (one reader per log for the session).
            self.missed = max(0, _total(reading) - self._held_at)
        return before is None or _facts(before) != _facts(reading)

    def pause(self) -> None:
        self._hold()

    def _hold(self) -> None:
        """Stop following: the lines stay; those that arrive from now are counted."""
        if self.following:
            self._held_at = _total(self.reading)
            self.missed = 0
        self.following = False

    def follow(self) -> None:
        """Back to the newest lines (also ends a jump)."""
        self.following = True
        self.missed = 0
        self.jump = None
        self.jump_asked = ""
        if self.reading is not None:
            self.lines = tuple(self.reading.lines)

    def jumped(self, asked: str, jump: TimeJump) -> None:
        """Show the lines a jump to `asked` found (paused)."""
        self._hold()
        self.jump = jump
        self.jump_asked = asked

    def set_filter(self, pattern: re.Pattern[str] | None) -> None:
        self.pattern = pattern

    def shown(self) -> Shown:
        """The lines to draw, filtered once per change whatever the number of views."""
        jump = self.jump
        lines = jump.lines if jump is not None else self.lines
        key = (lines, self.pattern, jump)
        if self._shown is not None and self._shown[0] == key:
            return self._shown[1]
        index = jump.index if jump is not None and jump.index < len(jump.lines) else None
        if self.pattern is None:
            shown = Shown(lines, index, len(lines))
        else:
            search = self.pattern.search
            kept = [(i, line) for i, line in enumerate(lines) if search(line)]
            marked = next((n for n, (i, _) in enumerate(kept) if i == index), None)
            shown = Shown(tuple(line for _, line in kept), marked, len(lines))
        self._shown = (key, shown)
        return shown


def _total(reading: Any) -> int:
    """The lines a log's reader has seen arrive since it opened (0 before a reading)."""
    return int(getattr(reading, "total_lines", 0) or 0)


def _facts(reading: Any) -> tuple[Any, ...]:
    """What a log reading says, but when it was taken."""
    return (
        reading.lines,
        reading.new_lines,
        reading.error_lines,
        reading.warning_lines,
        reading.notes,
        reading.detail,
        reading.error,
    )


class EvidenceBoard:
    def __init__(self, runbook: Runbook, clock: Callable[[], float]) -> None:
        """`runbook`: as the screen shows it (masked); `clock`: the walk's clock, for
        ages and "since"."""
        self.runbook = runbook
        self.clock = clock
        self.jumper: Jumper | None = None  # set once the sources run
        self.services: dict[str, ServiceReading] = {}
        self.backups: dict[str, BackupReading] = {}
        self.logs: dict[str, LogState] = {log.name: LogState(log.name) for log in runbook.logs}
        # (kind, name) of the sources that run a runbook's command (need consent).
        self.commands: frozenset[tuple[str, str]] = frozenset(
            {("service", s.name) for s in runbook.services if s.check == "command"}
            | {("log", log.name) for log in runbook.logs if log.source == "command"}
        )
        self.consent: Consent = "none"
        self.live = False  # the hub exists and polls
        self.problem = ""  # why there is no hub (it could not be made)
        self._views: list[View] = []

    # ---- views -------------------------------------------------------------------

    def watch(self, view: View) -> Callable[[], None]:
        """Call `view(panels)` with the names of the panels whose content changed."""
        self._views.append(view)

        def unwatch() -> None:
            if view in self._views:
                self._views.remove(view)

        return unwatch

    def changed(self, panels: Iterable[str]) -> None:
        which = frozenset(panels)
        if which:
            for view in list(self._views):
                view(which)

    # ---- taking readings in ---------------------------------------------------------

    def take(self, batch: Mapping[tuple[str, str], Any]) -> None:
        """Readings from the feed, keyed by (kind, name); the views redraw once."""
        panels: set[str] = set()
        for (kind, name), reading in batch.items():
            if kind == "service":
                self.services[name] = reading
            elif kind == "backup":
                self.backups[name] = reading
            elif kind == "log":
                state = self.logs.get(name)
                if state is None:
                    state = self.logs[name] = LogState(name)
                if not state.take(reading):
                    continue
            else:
                continue
            panels.add(PANEL_OF[kind])
        self.changed(panels)

    def set_consent(self, consent: Consent) -> None:
        self.consent = consent
        self.changed({PANEL_OF[kind] for kind, _ in self.commands})

    def went_live(self) -> None:
        self.live = True
        self.changed(PANEL_OF.values())

    def failed(self, problem: str) -> None:
        self.problem = problem
        self.changed(PANEL_OF.values())

    @property
    def idle(self) -> str:
        """What a panel says of a source while the sources do not run: "" once they
        do, else why not (starting, or what stopped them)."""
        if self.live:
            return ""
        return self.problem or "starting…"

    def held_back(self, kind: str, name: str) -> str | None:
        """Why a source shows nothing, when it is for want of consent: "asking" (the
        question is open) or "refused"; None otherwise."""
        if (kind, name) not in self.commands or self.consent not in ("asking", "refused"):
            return None
        return self.consent
