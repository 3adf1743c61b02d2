"""The walk's footer: the keys that apply now, drawn as one line by one widget.

Textual's `Footer` is a container with a widget per key. It composes nothing until the
screen first publishes its bindings, then recomposes every key on each publication
(every focus change, every `refresh_bindings`). At start-up that cost about as much as
the rest of the walk's first frame. This footer renders the same line itself, with the
first frame, and redraws only when the (key, description, enabled) list differs. A
click on a key presses it, as in Textual's footer; a disabled key rings the bell.

A screen may name a key for what is selected (Enter "Edit" on a reference block
rather than "Perform"): its `key_description(action)` returns the name, or None for
the binding's own. A screen's `FOOTER_PINNED` keys stay when the footer is too narrow
for every key (the others are left out from the end)."""

from __future__ import annotations

from typing import Any, NamedTuple

from textual import events
from textual.content import Content
from textual.screen import Screen
from textual.widget import Widget

# Between the keys on the left and the palette key, docked right.
PALETTE_SEPARATOR = "▏"


class ShownKey(NamedTuple):
    key: str
    display: str
    description: str
    enabled: bool
    tooltip: str


KeysShown = tuple[ShownKey, ...]


class KeysFooter(Widget, can_focus=False):
    ALLOW_SELECT = False

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._shown: KeysShown | None = None
        self._palette: ShownKey | None = None
        # (first cell, end cell, key) of each key drawn, for clicks.
        self._spans: list[tuple[int, int, ShownKey]] = []
        self._hover: ShownKey | None = None
        self._redraw_pending = False

    def keys_shown(self) -> KeysShown:
        """The keys the footer shows, in order; the palette key, if shown, is last."""
        app = self.app
        palette = app.COMMAND_PALETTE_BINDING
        keys: list[ShownKey] = []
        last: ShownKey | None = None
        actions: set[str] = set()  # `x,ctrl+c` is one action: shown once, by its first key
        describe = getattr(self.screen, "key_description", None)
        for key, (_node, binding, enabled, tooltip) in self.screen.active_bindings.items():
            text = binding.description
            if callable(describe):
                text = describe(binding.action.removeprefix("screen.")) or text
            shown = ShownKey(key, app.get_key_display(binding), text, enabled, tooltip)
            if key == palette:
                if app.ENABLE_COMMAND_PALETTE:
                    last = shown._replace(tooltip=binding.tooltip or binding.description)
            elif binding.show and binding.action not in actions:
                actions.add(binding.action)
                keys.append(shown)
        return (*keys, last) if last is not None else tuple(keys)

    @property
    def drawn(self) -> KeysShown | None:
        """The keys as last drawn (None before the first frame)."""
        return self._shown

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self.bindings_changed)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def bindings_changed(self, screen: Screen[Any]) -> None:
        # Publications come in bursts; one check once this footer's queue is empty
        # covers them. Not `call_after_refresh`: Textual queues that on whichever
        # screen is active, and a dialog closed before it repaints drops it (the
        # footer then showed the step list's keys for good).
        if self.is_attached and screen is self.screen and not self._redraw_pending:
            self._redraw_pending = True
            self.call_later(self._redraw_if_changed)

    def _redraw_if_changed(self) -> None:
        self._redraw_pending = False
        if self.is_attached and self.keys_shown() != self._shown:
            self.refresh()

    def render(self) -> Content:
        shown = self.keys_shown()
        self._shown = shown
        palette = self.app.COMMAND_PALETTE_BINDING
        keys = [k for k in shown if k.key != palette]
        tail = next((k for k in shown if k.key == palette), None)
        width = self.size.width
        right = self._key(tail) if tail is not None else Content("")
        right_width = right.cell_length + 1 if tail is not None else 0
        left = Content("")
        self._spans = []
        for shown_key, piece in self._fitting(keys, width - right_width):
            self._spans.append((left.cell_length, left.cell_length + piece.cell_length, shown_key))
            left = Content.assemble(left, piece, " ")
        if tail is None:
            return left
        gap = max(0, width - left.cell_length - right_width)
        start = left.cell_length + gap + 1
        self._spans.append((start, start + right.cell_length, tail))
        separator = Content.styled(PALETTE_SEPARATOR, "$foreground 20%")
        return Content.assemble(left, " " * gap, separator, right)

    def _fitting(self, keys: list[ShownKey], room: int) -> list[tuple[ShownKey, Content]]:
        """The keys that fit in `room` cells, in order. Keys that do not fit are left
        out from the end, except the screen's pinned ones (`FOOTER_PINNED`, key names:
        the help key, which lists every key, and quit), whose room is kept first."""
        pinned = set(getattr(self.screen, "FOOTER_PINNED", ()))
        pieces = [(shown, self._key(shown)) for shown in keys]
        used = sum(piece.cell_length + 1 for shown, piece in pieces if shown.key in pinned)
        if used > room:  # not even those fit: the first keys that do
            pinned, used = set(), 0
        kept: list[tuple[ShownKey, Content]] = []
        full = False
        for shown, piece in pieces:
            if shown.key not in pinned:
                if full or used + piece.cell_length + 1 > room:  # +1: the gap
                    full = True
                    continue
                used += piece.cell_length + 1
            kept.append((shown, piece))
        return kept

    def _key(self, shown: ShownKey) -> Content:
        hover = "on $block-hover-background" if shown == self._hover else ""
        piece = Content.assemble(
            Content.styled(shown.display, f"bold $footer-key-foreground {hover}"),
            Content.styled(
                f" {shown.description}" if shown.description else "",
                f"$footer-description-foreground {hover}",
            ),
        )
        return piece if shown.enabled else piece.stylize("dim")

    def _key_at(self, x: int) -> ShownKey | None:
        return next((k for start, end, k in self._spans if start <= x < end), None)

    def on_mouse_down(self, event: events.MouseDown) -> None:
        shown = self._key_at(event.x)
        if shown is None:
            return
        if shown.enabled:
            self.app.simulate_key(shown.key)
        else:
            self.app.bell()

    def on_mouse_move(self, event: events.MouseMove) -> None:
        hover = self._key_at(event.x)
        if hover != self._hover:
            self._hover = hover
            self.tooltip = (hover.tooltip or hover.description) if hover else None
            self.refresh()

    def on_leave(self, event: events.Leave) -> None:
        if self._hover is not None:
            self._hover = None
            self.tooltip = None
            self.refresh()
