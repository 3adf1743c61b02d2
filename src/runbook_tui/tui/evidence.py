"""The evidence panels beside the walk: Services and Backups here, Logs in
log_panel.py.

Each panel is a view of the walk's `EvidenceBoard` (evidence_board.py): it draws the
newest readings the board holds and redraws when the board says its kind changed (at
most every ~100 ms, batched by the feed) and once a second for the ages. The tab's
copy and the wide column's copy are two views of the same readings. Everything a
source or the runbook says is shown masked (by the hub, and token shapes again here)
and with control characters escaped."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.content import Content
from textual.widgets import Static

from runbook_tui.runbook.display import escape_controls
from runbook_tui.runbook.model import BackupSet, Service
from runbook_tui.session.redaction import Redactor
from runbook_tui.sources.backups import age_text
from runbook_tui.sources.readings import BackupReading, RestoreDrill, ServiceReading
from runbook_tui.tui.evidence_board import EvidenceBoard

# How a state looks: a word, a symbol and a colour (never the colour alone).
SERVICE_LOOK = {
    "up": ("✓", "$text-success"),
    "down": ("✗", "$text-error"),
    "unknown": ("?", "$text-warning"),
}
BACKUP_LOOK = {
    "ok": ("✓", "$text-success"),
    "stale": ("!", "$text-warning"),
    "missing": ("✗", "$text-error"),
    "error": ("✗", "$text-error"),
}
NOT_LOOKED = ("…", "$text-muted")
# The words: a backup never restored is a theory.
NEVER_TESTED = "never tested"
NOT_ALLOWED = "not allowed"
MUTED = "$text-muted"

_redactor = Redactor(())


def shown_text(text: str) -> str:
    """Runbook or world text as a panel shows it: token shapes masked, controls escaped."""
    return escape_controls(_redactor.mask(text))


# ---- times and sizes ------------------------------------------------------------------


def duration_text(seconds: float) -> str:
    """A declared duration as written: `1d`, `6h`, `90s`."""
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    return f"{seconds:g}s"


def clock_text(at: float, now: float) -> str:
    """A moment in local time: `09:12:03` today, `2026-01-01 09:12` another day."""
    here, today = time.localtime(at), time.localtime(now)
    if here[:3] == today[:3]:
        return time.strftime("%H:%M:%S", here)
    return time.strftime("%Y-%m-%d %H:%M", here)


def since_text(at: float, now: float) -> str:
    """`09:12:03, 3m 12s ago`: the time, and how long before `now`."""
    age = max(0.0, now - at)
    ago = "just now" if age < 1 else f"{age_text(age)} ago"
    return f"{clock_text(at, now)}, {ago}"


def size_text(n: int) -> str:
    size = float(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024:
            return f"{n} B" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} TiB"


def _iso_epoch(text: str | None) -> float | None:
    from runbook_tui.tui.engine_api import to_epoch

    return to_epoch(text)


# ---- what one item says ---------------------------------------------------------------


def same(a: Content, b: Content | None) -> bool:
    """Whether two contents draw alike (Content's == compares the text alone)."""
    return b is not None and a.plain == b.plain and a.spans == b.spans


def _head(look: tuple[str, str], word: str, name: str, *extra: Content | str) -> Content:
    symbol, style = look
    return Content.assemble(
        Content.styled(f"{symbol} {word:<8}", f"bold {style}"),
        " ",
        Content.styled(shown_text(name), "bold"),
        *extra,
    )


Item = tuple[Content, Content]  # (the head line, the facts under it)


def service_item(
    service: Service, reading: ServiceReading | None, now: float, held: str | None, idle: str
) -> Item:
    """The head: state (word, symbol, colour), name and latency; the facts: since when
    it is in that state (the time and how long ago) and the check's detail. `held` is
    why a command check shows nothing ("asking", "refused"); `idle` what to say while
    the sources do not run ("" once they do)."""
    target = f"{service.check} {shown_text(service.target)}"
    unknown = _head(SERVICE_LOOK["unknown"], "unknown", service.name)
    if held == "refused":
        return unknown, Content.assemble(
            Content.styled(NOT_ALLOWED, "$text-warning"), Content.styled(f" · {target}", MUTED)
        )
    if held == "asking":
        return unknown, Content.styled(f"waiting for your answer (a command) · {target}", MUTED)
    if reading is None:
        why = idle or "not checked yet"
        return _head(NOT_LOOKED, "checking", service.name), Content.styled(
            f"{why} · {target}", MUTED
        )
    look = SERVICE_LOOK.get(reading.state, SERVICE_LOOK["unknown"])
    latency = (
        Content.styled(f"  {reading.latency_ms:.0f} ms", MUTED)
        if reading.latency_ms is not None
        else ""
    )
    facts = []
    if reading.since is not None:
        facts.append(f"since {since_text(reading.since, now)}")
    if reading.detail:
        facts.append(shown_text(reading.detail))
    return _head(look, reading.state, service.name, latency), Content.styled(
        " · ".join(facts) or target, MUTED
    )


def drill_text(drill: RestoreDrill | None, now: float) -> Content:
    """The last restore drill of a set: when, and whether it passed; `never tested`
    in the warning colour when there was none."""
    if drill is None:
        return Content.styled(NEVER_TESTED, "$text-warning")
    verdict, style = {
        True: ("passed", "$text-success"),
        False: ("failed", "$text-error"),
        None: ("no verdict", MUTED),
    }[drill.passed]
    at = _iso_epoch(drill.at)
    when = since_text(at, now) if at is not None else "?"
    return Content.assemble(
        Content.styled(f"drilled {when} · ", MUTED), Content.styled(verdict, style)
    )


def backup_item(backup: BackupSet, reading: BackupReading | None, now: float, idle: str) -> Item:
    """The head: state and name; the facts: the newest backup's time and age against
    `max_age`, count and size, the detail of a stale, missing or failed look, and the
    last restore drill."""
    limit = (
        f" (max {duration_text(backup.max_age_seconds)})"
        if backup.max_age_seconds is not None
        else ""
    )
    if reading is None:
        why = idle or "not looked at yet"
        return _head(NOT_LOOKED, "looking", backup.name), Content.styled(
            f"{why} · {backup.source} {shown_text(backup.target)}", MUTED
        )
    look = BACKUP_LOOK.get(reading.state, BACKUP_LOOK["error"])
    lines: list[Content] = []
    if reading.newest_at is not None:
        age = max(0.0, now - reading.newest_at)
        over = backup.max_age_seconds is not None and age > backup.max_age_seconds
        lines.append(
            Content.assemble(
                Content.styled(f"newest {clock_text(reading.newest_at, now)} · ", MUTED),
                Content.styled(f"{age_text(age)} old", "$text-warning" if over else ""),
                Content.styled(limit, MUTED),
            )
        )
    if reading.count:
        size = f" · {size_text(reading.total_bytes)}" if reading.total_bytes is not None else ""
        plural = "s" if reading.count != 1 else ""
        lines.append(Content.styled(f"{reading.count} backup{plural}{size}", MUTED))
    if reading.detail:
        style = {"stale": "$text-warning", "ok": MUTED}.get(reading.state, "$text-error")
        lines.append(Content.styled(shown_text(reading.detail), style))
    lines.append(drill_text(reading.last_restore_drill, now))
    return _head(look, reading.state, backup.name), Content("\n").join(lines)


# ---- the panels -----------------------------------------------------------------------


class BoardPanel(VerticalScroll):
    """A panel that draws part of the board: one Static per declared item, redrawn when
    the board says the panel's kind changed."""

    KIND: ClassVar[str] = ""
    EMPTY: ClassVar[str] = ""
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back_to_steps", "Back to steps", id="evidence.back"),
    ]

    def __init__(self, board: EvidenceBoard, *, titled: bool = True) -> None:
        super().__init__(classes=f"evidence evidence-{self.KIND}")
        self.board = board
        self._unwatch: Callable[[], None] | None = None
        self._drawn: dict[str, Content] = {}
        if titled:
            self.border_title = self.KIND.capitalize()

    def names(self) -> list[str]:
        raise NotImplementedError

    def item(self, name: str, now: float) -> Item:
        raise NotImplementedError

    def compose(self) -> ComposeResult:
        names = self.names()
        if not names:
            yield Static(Content.styled(self.EMPTY, f"{MUTED} italic"))
        now = self.board.clock()
        for index, name in enumerate(names):
            head, facts = self.item(name, now)
            self._drawn[f"head-{index}"], self._drawn[f"facts-{index}"] = head, facts
            yield Static(head, classes="evidence-item", id=f"head-{index}")
            # Its own box, indented: a fact that wraps stays under the name.
            yield Static(facts, classes="evidence-facts", id=f"facts-{index}")

    def on_mount(self) -> None:
        self._unwatch = self.board.watch(self._board_changed)
        self.redraw()  # readings that came between compose and now

    def on_unmount(self) -> None:
        if self._unwatch is not None:
            self._unwatch()
            self._unwatch = None

    def _board_changed(self, panels: frozenset[str]) -> None:
        if self.KIND in panels:
            self.redraw()

    def redraw(self) -> None:
        now = self.board.clock()
        for index, name in enumerate(self.names()):
            for part, content in zip(("head", "facts"), self.item(name, now), strict=True):
                key = f"{part}-{index}"
                # Unchanged items are left alone: an update lays the screen out again.
                if not same(content, self._drawn.get(key)):
                    self._drawn[key] = content
                    self.query_one(f"#{key}", Static).update(content)

    def action_back_to_steps(self) -> None:
        from runbook_tui.tui.step_list import StepList

        steps = self.screen.query(StepList)
        if steps:
            steps.first().focus()


class ServicesPanel(BoardPanel):
    KIND = "services"
    EMPTY = "no services declared"

    def names(self) -> list[str]:
        return [s.name for s in self.board.runbook.services]

    def item(self, name: str, now: float) -> Item:
        service = next(s for s in self.board.runbook.services if s.name == name)
        board = self.board
        return service_item(
            service,
            board.services.get(name),
            now,
            board.held_back("service", name),
            board.idle,
        )


class BackupsPanel(BoardPanel):
    KIND = "backups"
    EMPTY = "no backups declared"

    def names(self) -> list[str]:
        return [b.name for b in self.board.runbook.backups]

    def item(self, name: str, now: float) -> Item:
        backup = next(b for b in self.board.runbook.backups if b.name == name)
        return backup_item(backup, self.board.backups.get(name), now, self.board.idle)
