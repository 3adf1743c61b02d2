"""The step detail's command box: the command (or a manual step's text) in full.

A long command is shown collapsed, its first lines and a mark saying how many more
there are and how to see them (`c`, or a click on the mark); expanded, the box grows
and scrolls. Before, the box was cut at 6 lines with no mark: the end of a command
could not be read before running it."""

from __future__ import annotations

from textual import events
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.reactive import reactive
from textual.visual import VisualType
from textual.widgets import Static

# Rows shown while collapsed (the mark is one more).
COLLAPSED_ROWS = 5
EXPAND_KEY = "c"


class _CommandScroll(VerticalScroll):
    """Scrolls the command when expanded; a focus stop only when there is more to see."""

    def allow_focus(self) -> bool:
        box = self.parent
        return isinstance(box, CommandBox) and box.expanded and self.max_scroll_y > 0


class CommandBox(Vertical):
    """The command, collapsed to its first rows with a mark when longer. The key is
    bound by the widgets around it (the step list, the step detail): the box itself
    has the focus only when it scrolls."""

    expanded: reactive[bool] = reactive(False)
    # Rows the collapsed box does not show (0: the whole command is in view).
    hidden_rows: reactive[int] = reactive(0)

    def compose(self) -> ComposeResult:
        with _CommandScroll(id="command-scroll"):
            yield Static("", id="command")
        yield Static("", id="command-more")

    def on_mount(self) -> None:
        self.query_one("#command-more").display = False

    def update(self, content: VisualType) -> None:
        """Show `content` (a new command: collapsed again)."""
        self.query_one("#command", Static).update(content)
        self.expanded = False
        self.query_one(_CommandScroll).scroll_home(animate=False, immediate=True)
        self.call_after_refresh(self._measure)

    def action_toggle(self) -> None:
        """Expand a cut command, or collapse an expanded one."""
        if self.expanded or self.hidden_rows:
            self.expanded = not self.expanded

    def on_resize(self) -> None:
        self._measure()

    def _on_click(self, event: events.Click) -> None:
        if event.widget is not None and event.widget.id == "command-more":
            self.action_toggle()

    def _measure(self) -> None:
        """How many rows the collapsed box cuts (after layout: lines wrap)."""
        if not self.is_attached:
            return
        body = self.query_one("#command", Static)
        self.hidden_rows = max(0, body.outer_size.height - COLLAPSED_ROWS)

    def watch_expanded(self, expanded: bool) -> None:
        self.set_class(expanded, "-expanded")
        self._show_mark()
        if not expanded:
            self.query_one(_CommandScroll).scroll_home(animate=False, immediate=True)

    def watch_hidden_rows(self) -> None:
        self._show_mark()

    def _show_mark(self) -> None:
        mark = self.query_one("#command-more", Static)
        key = EXPAND_KEY
        if self.expanded:
            text = f"{key} to collapse"
        elif self.hidden_rows:
            more = self.hidden_rows
            text = f"+{more} line{'s' if more != 1 else ''} ({key} to expand)"
        else:
            text = ""
        mark.update(Content.styled(text, "$text-accent"))
        mark.display = bool(text)
