"""A one-line tab bar drawn by one widget, for the walk's narrow layout.

Textual's `TabbedContent` builds a `Tabs` widget with a widget per tab and an animated
underline; at start-up that cost a quarter of the walk's first frame. The walk only
needs labels to click and a mark on the active one: the panes are `StepPanes`'s own
children, which it shows one at a time (walk_panes.py)."""

from __future__ import annotations

from textual import events
from textual.content import Content
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget


class TabBar(Widget, can_focus=False):
    ALLOW_SELECT = False

    active: reactive[str] = reactive("")

    class Clicked(Message):
        """A tab was clicked (the walk decides what showing it means)."""

        def __init__(self, tab: str) -> None:
            super().__init__()
            self.tab = tab

    def __init__(
        self,
        tabs: list[tuple[str, str]],
        *,
        active: str,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        """`tabs`: (pane id, label) in order."""
        super().__init__(id=id, classes=classes)
        self.tabs = tabs
        self.set_reactive(TabBar.active, active)
        self._spans: list[tuple[int, int, str]] = []

    def render(self) -> Content:
        pieces: list[Content | str] = []
        self._spans = []
        x = 0
        for tab, label in self.tabs:
            text = f" {label} "
            style = "bold $text-primary on $primary-muted" if tab == self.active else "$text-muted"
            pieces.append(Content.styled(text, style))
            self._spans.append((x, x + len(text), tab))
            x += len(text)
            pieces.append(" ")
            x += 1
        return Content.assemble(*pieces)

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)  # the spans are inside the padding
        if offset is None:
            return
        tab = next((t for start, end, t in self._spans if start <= offset.x < end), None)
        if tab is not None:
            self.post_message(self.Clicked(tab))
