"""Live command output with ANSI colours that stays fast under a flood.

Toolong's approach, on Textual's Line API: raw text lines are kept in a bounded deque
and only the lines on screen are parsed (`Text.from_ansi`) and rendered, through an LRU
cache keyed by absolute line number. A write costs a split and an append, whatever the
colours; parsing follows the screen, not the stream. The journal keeps every byte; this
view keeps the last `max_lines`.
"""

from __future__ import annotations

import re
from collections import deque

from rich.cells import cell_len
from rich.text import Text
from textual.cache import LRUCache
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

from runbook_tui.session.escapes import strip_escapes

# Control characters other than ESC and TAB would corrupt the terminal: replace them.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1a\x1c-\x1f\x7f]")


def visible_text(line: str) -> str:
    """`line` without escape sequences: what a terminal would show."""
    return strip_escapes(line)


class OutputView(ScrollView, can_focus=True):
    """A bounded, scrollable view of ANSI-coloured output."""

    DEFAULT_CSS = """
    OutputView {
        overflow: auto;
    }
    """

    def __init__(
        self,
        max_lines: int = 5000,
        *,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.max_lines = max_lines
        self._lines: deque[str] = deque(maxlen=max_lines)
        # An unterminated last line, shown but still growing.
        self._partial = ""
        # How many lines fell off the front; absolute number = dropped + index.
        self._dropped = 0
        self._width = 0
        self._cache: LRUCache[int, Strip] = LRUCache(1024)
        # Whether the view shows the end, and so keeps showing it across writes and
        # resizes (as `tail` does); scrolling up lets go, scrolling to the end again
        # takes hold. Without it a view made smaller after a write (the prose above
        # laid out, the terminal resized) kept its offset and cut the last lines.
        self._at_end = True

    @property
    def line_count(self) -> int:
        return len(self._lines) + (1 if self._partial else 0)

    @property
    def lines(self) -> list[str]:
        """The kept lines, raw (with their escape sequences)."""
        return [*self._lines, *([self._partial] if self._partial else [])]

    @property
    def plain_lines(self) -> list[str]:
        return [visible_text(line) for line in self.lines]

    def show(self, text: str) -> None:
        """Replace what is shown with `text` (a step's stored output), scrolled to its
        end once laid out: the last lines are the ones that say what happened."""
        self.clear()
        self.write(text)
        self._at_end = True
        self.call_after_refresh(self._keep_end)

    def clear(self) -> None:
        self._lines.clear()
        self._partial = ""
        self._dropped = 0
        self._width = 0
        self._cache.clear()
        self.virtual_size = Size(0, 0)
        self.scroll_to(0, 0, animate=False, immediate=True)
        self.refresh()

    def write(self, data: str) -> None:
        """Append `data` (any chunking; lines end with \\n or \\r\\n)."""
        if not data:
            return
        follow = (
            self._at_end
            or self.is_vertical_scroll_end
            or self.virtual_size.height <= self.size.height
        )
        old_partial_index = self._dropped + len(self._lines)
        data = self._partial + data.replace("\r\n", "\n")
        complete = data.split("\n")
        self._partial = _overwrite(complete.pop())
        # Only the last max_lines lines can survive: never touch the rest.
        skipped = max(0, len(complete) - self.max_lines)
        if skipped:
            complete = complete[skipped:]
        total_before = self._dropped + len(self._lines)
        self._lines.extend(_overwrite(line) for line in complete)
        self._dropped = total_before + skipped + len(complete) - len(self._lines)
        # The line that was partial has changed (or become complete): re-render it.
        self._cache.discard(old_partial_index)
        self._cache.discard(self._dropped + len(self._lines))
        widest = max((cell_len(visible_text(line)) for line in complete), default=0)
        self._width = max(self._width, widest, cell_len(visible_text(self._partial)))
        self.virtual_size = Size(self._width, self.line_count)
        if follow:
            # force: with overflow auto the scrollbar may not exist until the next layout.
            self.scroll_end(animate=False, immediate=True, x_axis=False, force=True)
        self.refresh()

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        self._at_end = new_value >= self.max_scroll_y

    def on_resize(self) -> None:
        self._keep_end()

    def _keep_end(self) -> None:
        if self._at_end:
            # force: with overflow auto the scrollbar may not exist until the next layout.
            self.scroll_end(animate=False, immediate=True, x_axis=False, force=True)

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._cache.clear()

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        index = scroll_y + y
        width = self.size.width
        rich_style = self.rich_style
        if index >= self.line_count:
            return Strip.blank(width, rich_style)
        key = self._dropped + index
        strip = self._cache.get(key)
        if strip is None:
            raw = self._lines[index] if index < len(self._lines) else self._partial
            text = Text.from_ansi(_CONTROL.sub("\ufffd", raw.expandtabs()))
            # The widget's colours under the line's own, as a span: Text.render drops
            # a base style from a line without spans.
            text.stylize_before(rich_style)
            text.no_wrap = True
            strip = Strip(text.render(self.app.console), text.cell_len)
            self._cache[key] = strip
        return strip.crop_extend(scroll_x, scroll_x + width, rich_style).apply_offsets(
            scroll_x, index
        )


def _overwrite(line: str) -> str:
    """A line with carriage returns shows what was written after the last one (progress
    bars redraw themselves this way)."""
    if "\r" not in line:
        return line
    tail = line.rsplit("\r", 1)[1]
    return tail or line.rstrip("\r").rsplit("\r", 1)[-1]
