"""The Logs panel: the newest lines of each declared log, followed or paused, filtered
by a regex, error and warning lines highlighted, and a jump to a time.

A view of the board's `LogState` (evidence_board.py); the lines arrive masked from the
log readers and are drawn with control characters escaped. Toolong's way of drawing,
on Textual's Line API: only the lines on screen are styled and rendered, through an
LRU cache keyed by the line's text, so a log that moves at 100,000 lines/s costs the
lines shown, at most every ~100 ms. Its keys (`f`, `/`, `t`, `l`) apply while the
focus is in the panel."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from typing import ClassVar

from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.cache import LRUCache
from textual.containers import Vertical
from textual.content import Content
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widgets import Static

from runbook_tui.runbook.display import escape_controls
from runbook_tui.sources.logs import classify
from runbook_tui.tui.evidence import MUTED, NOT_ALLOWED, same, shown_text
from runbook_tui.tui.evidence_board import EvidenceBoard, LogState, Shown, compile_filter
from runbook_tui.tui.tab_bar import TabBar

# The most of a line drawn (and cached): a reader hands out lines of up to 64 KiB, and
# the cache holds 1,024 drawn lines.
MAX_DRAWN = 2000
# Lines a jump to time shows around the moment (half before, half after).
JUMP_LINES = 200
# Where a jump puts the line it found: this many lines below the view's top.
JUMP_CONTEXT = 3


class LogLines(ScrollView, can_focus=True):
    """The lines of one log, drawn from a `Shown`."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "log-lines--error",
        "log-lines--warning",
        "log-lines--match",
        "log-lines--marked",
    }
    DEFAULT_CSS = """
    LogLines {
        overflow: auto;
        scrollbar-size-vertical: 1;
        scrollbar-size-horizontal: 1;
    }
    LogLines > .log-lines--error { color: $text-error; }
    LogLines > .log-lines--warning { color: $text-warning; }
    LogLines > .log-lines--match { text-style: bold underline; }
    LogLines > .log-lines--marked { background: $accent-muted; text-style: bold; }
    """

    class ScrolledAway(Message):
        """The operator scrolled up from the end while the log was followed."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._shown = Shown((), None, 0)
        self._pattern: re.Pattern[str] | None = None
        self._follow = True
        self._cache: LRUCache[tuple[str, bool], Strip] = LRUCache(1024)
        self._placing = False  # scrolls of our own: not the operator's
        # Styles looked up once, not per line: `rich_style` walks the ancestors, and at
        # 10 redraws a second it cost more than drawing the lines.
        self._styles: dict[str, Style] = {}

    @property
    def lines(self) -> tuple[str, ...]:
        """The lines drawn (after the filter)."""
        return self._shown.lines

    @property
    def follows(self) -> bool:
        return self._follow

    def show(
        self, shown: Shown, *, pattern: re.Pattern[str] | None, follow: bool, jumped: bool
    ) -> None:
        """Draw `shown`; following, stay at the end; after a jump, put the found line
        near the top."""
        same = shown is self._shown and pattern is self._pattern
        self._follow = follow
        if not same:
            if pattern is not self._pattern:
                self._cache.clear()
            self._shown, self._pattern = shown, pattern
            width = min(max(map(len, shown.lines), default=0), MAX_DRAWN + 2)
            self.virtual_size = Size(width, len(shown.lines))
            self.refresh()
        self._placing = True
        try:
            if follow:
                self.scroll_end(animate=False, immediate=True, x_axis=False, force=True)
            elif jumped and not same:
                top = max(0, (shown.marked or 0) - JUMP_CONTEXT)
                self.scroll_to(y=top, animate=False, immediate=True, force=True)
        finally:
            self._placing = False

    def on_resize(self) -> None:
        if self._follow:
            self._placing = True
            self.scroll_end(animate=False, immediate=True, x_axis=False, force=True)
            self._placing = False

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        # Away from the end by the operator's hand (a layout that clamps the offset
        # leaves it at the end).
        if self._follow and not self._placing and new_value < min(old_value, self.max_scroll_y):
            self.post_message(self.ScrolledAway())

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._cache.clear()
        self._styles.clear()

    def _style(self, name: str) -> Style:
        """The widget's style ("") or a component's, cached until the styles change."""
        style = self._styles.get(name)
        if style is None:
            style = self.rich_style if not name else self.get_component_rich_style(name)
            self._styles[name] = style
        return style

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        index = scroll_y + y
        width = self.size.width
        base = self._style("")
        lines = self._shown.lines
        if index >= len(lines):
            return Strip.blank(width, base)
        line = lines[index]
        marked = index == self._shown.marked
        key = (line, marked)
        strip = self._cache.get(key)
        if strip is None:
            strip = self._render(line, marked, base)
            self._cache[key] = strip
        return strip.crop_extend(scroll_x, scroll_x + width, base).apply_offsets(scroll_x, index)

    def _render(self, line: str, marked: bool, base: Style) -> Strip:
        shown = escape_controls(line).expandtabs()
        if len(shown) > MAX_DRAWN:
            shown = shown[:MAX_DRAWN] + " …"
        text = Text(shown, no_wrap=True, end="")
        level = classify(line)
        style = base
        if level is not None:
            style = base + self._style(f"log-lines--{level}")
        if marked:
            style = style + self._style("log-lines--marked")
        text.stylize(style)
        if self._pattern is not None and self._pattern.pattern:
            match_style = self._style("log-lines--match")
            for found in self._pattern.finditer(text.plain):
                if found.end() > found.start():
                    text.stylize(match_style, found.start(), found.end())
        return Strip(list(text.render(self.app.console)), text.cell_len)


def log_header(state: LogState, source: str, *, held: str | None, idle: str) -> Content:
    """One line over a log's lines: where it is read from, follow or pause, the filter,
    the jump, its error and warning counts, and what is wrong."""
    reading = state.reading
    parts: list[Content | str] = []
    if held == "refused":
        return Content.assemble(
            Content.styled(NOT_ALLOWED, "bold $text-warning"),
            Content.styled(f": its command was not allowed · {source}", MUTED),
        )
    if held == "asking":
        return Content.styled(f"waiting for your answer: it runs a command · {source}", MUTED)
    if reading is None:
        return Content.styled(f"{idle or 'not read yet'} · {source}", MUTED)
    if state.jump is not None:
        jump = state.jump
        if jump.error:
            parts.append(Content.styled(f"at {state.jump_asked}: {jump.error}", "$text-error"))
        elif jump.index >= len(jump.lines):
            parts.append(Content.styled(f"nothing at or after {state.jump_asked}", "bold"))
        else:
            parts.append(Content.styled(f"at {state.jump_asked}", "bold $text-accent"))
        parts.append(Content.styled(" · f follows", MUTED))
    elif state.following:
        parts.append(Content.styled("following", "$text-success"))
    else:
        missed = f" · {state.missed:,} new" if state.missed else ""
        parts.append(Content.styled(f"paused{missed}", "bold $text-warning"))
    if state.pattern is not None:
        shown = state.shown()
        parts.append(
            Content.styled(
                f" · /{shown_text(state.pattern.pattern)}/ {len(shown.lines)} of {shown.of}",
                "$text-accent",
            )
        )
    for count, word, style in (
        (reading.error_lines, "error", "$text-error"),
        (reading.warning_lines, "warning", "$text-warning"),
    ):
        if count:
            parts.append(Content.styled(f" · {count:,} {word}{'s' if count != 1 else ''}", style))
    if reading.error:
        parts.append(Content.styled(f" · {shown_text(reading.error)}", "$text-error"))
    elif reading.detail:
        parts.append(Content.styled(f" · {shown_text(reading.detail)}", MUTED))
    return Content.assemble(*parts)


class LogsPanel(Vertical):
    """Every declared log: one shown at a time, a selector over them when there are
    several (`l` or a click picks another)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        # One key, two actions: the footer names the one that applies now.
        Binding("f", "pause", "Pause", id="logs.pause"),
        Binding("f", "follow", "Follow", id="logs.follow"),
        Binding("slash", "filter", "Filter", id="logs.filter"),
        Binding("t", "jump", "Jump to time", id="logs.jump"),
        Binding("l", "next_log", "Next log", id="logs.next"),
        Binding("escape", "back_to_steps", "Back to steps", id="logs.back"),
    ]

    def __init__(self, board: EvidenceBoard, *, titled: bool = True) -> None:
        super().__init__(classes="evidence evidence-logs")
        self.board = board
        self.names = [log.name for log in board.runbook.logs]
        self.active = self.names[0] if self.names else ""
        self._unwatch: Callable[[], None] | None = None
        self._header: Content | None = None
        if titled:
            self.border_title = "Logs"

    def compose(self) -> ComposeResult:
        if not self.names:
            yield Static(Content.styled("no logs declared", f"{MUTED} italic"))
            return
        if len(self.names) > 1:
            yield TabBar(
                [(name, shown_text(name)) for name in self.names],
                active=self.active,
                classes="log-selector",
            )
        yield Static("", classes="log-header")
        yield LogLines()

    @property
    def state(self) -> LogState | None:
        return self.board.logs.get(self.active)

    @property
    def view(self) -> LogLines | None:
        found = self.query(LogLines)
        return found.first() if found else None

    def on_mount(self) -> None:
        self._unwatch = self.board.watch(self._board_changed)
        self.redraw()  # what came meanwhile

    def on_unmount(self) -> None:
        if self._unwatch is not None:
            self._unwatch()
            self._unwatch = None

    def _board_changed(self, panels: frozenset[str]) -> None:
        if "logs" in panels:
            self.redraw()

    def focus(self, scroll_visible: bool = True) -> LogsPanel:
        """Focus the lines (once composed: a panel mounted just now has none yet)."""
        view = self.view
        if view is not None:
            view.focus(scroll_visible)
        elif self.names:
            self.call_after_refresh(self.focus, scroll_visible)
        return self

    def redraw(self, *, jumped: bool = False) -> None:
        state = self.state
        view = self.view
        if state is None or view is None:
            return
        log = next(entry for entry in self.board.runbook.logs if entry.name == self.active)
        source = f"{log.source} {shown_text(log.target)}"
        held = self.board.held_back("log", log.name)
        header = log_header(state, source, held=held, idle=self.board.idle)
        if not same(header, self._header):
            # One row whatever it says: no layout (which would redraw the whole screen).
            self._header = header
            self.query_one(".log-header", Static).update(header, layout=False)
        was = view.follows
        view.show(state.shown(), pattern=state.pattern, follow=self.following, jumped=jumped)
        if was != self.following:
            self.refresh_bindings()  # the footer's `f` says Pause or Follow

    # ---- keys --------------------------------------------------------------------

    @property
    def following(self) -> bool:
        state = self.state
        return state is not None and state.following and state.jump is None

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "next_log":
            return len(self.names) > 1
        if action == "pause":
            return self.following
        if action == "follow":
            return not self.following
        return True

    def action_pause(self) -> None:
        state = self.state
        if state is not None:
            state.pause()
            self.board.changed({"logs"})

    def action_follow(self) -> None:
        state = self.state
        if state is not None:
            state.follow()
            self.board.changed({"logs"})

    def on_log_lines_scrolled_away(self, event: LogLines.ScrolledAway) -> None:
        state = self.state
        if state is not None and state.following:
            state.pause()
            self.board.changed({"logs"})

    def action_filter(self) -> None:
        from runbook_tui.tui.dialogs import FilterDialog

        state = self.state
        if state is None:
            return
        current = state.pattern.pattern if state.pattern is not None else ""

        def done(text: str | None) -> None:
            if text is None or self.state is not state:
                return
            state.set_filter(compile_filter(text) if text else None)
            self.board.changed({"logs"})

        self.app.push_screen(FilterDialog(self.active, current), done)

    def action_jump(self) -> None:
        from runbook_tui.tui.dialogs import TimeDialog

        name = self.active

        def done(text: str | None) -> None:
            if text:
                self.run_worker(self._jump(name, text), group="log-jump", exclusive=True)

        self.app.push_screen(TimeDialog(name), done)

    async def _jump(self, name: str, asked: str) -> None:
        from runbook_tui.sources.logs import TimeJump
        from runbook_tui.sources.logtime import parse_when

        when = parse_when(asked)
        state = self.board.logs.get(name)
        if when is None or state is None:
            return
        jumper = self.board.jumper
        if jumper is None:
            jump = TimeJump((), 0, None, "the log is not open yet")
        else:
            # It bisects the file: a few reads, off the event loop.
            jump = await asyncio.to_thread(jumper, name, when, JUMP_LINES)
        state.jumped(asked, jump)
        if name == self.active:
            self.redraw(jumped=True)
        self.board.changed({"logs"})

    def action_next_log(self) -> None:
        if len(self.names) > 1:
            self.select(self.names[(self.names.index(self.active) + 1) % len(self.names)])

    def on_tab_bar_clicked(self, event: TabBar.Clicked) -> None:
        event.stop()
        self.select(event.tab)

    def select(self, name: str) -> None:
        if name not in self.names or name == self.active:
            return
        self.active = name
        self.query_one(TabBar).active = name
        self.redraw()

    def action_back_to_steps(self) -> None:
        from runbook_tui.tui.step_list import StepList

        steps = self.screen.query(StepList)
        if steps:
            steps.first().focus()
