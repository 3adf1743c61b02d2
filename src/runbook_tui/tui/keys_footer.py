"""A footer that is drawn with the first frame and rebuilt only when the keys it shows
change.

Textual's `Footer` composes nothing until the screen first publishes its bindings, and
then rebuilds all its keys on every publication (each focus change and every
`refresh_bindings`, each one queued separately). At start-up that is several rebuilds,
and several full frames, before any key is on screen. This one composes its keys at
once, coalesces the publications that arrive before the next refresh, and rebuilds
only when the (key, description, enabled) list it would show differs."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer

KeysShown = tuple[tuple[Any, ...], ...]


class KeysFooter(Footer):
    def __init__(self, *, compact: bool = False, id: str | None = None) -> None:
        super().__init__(compact=compact, id=id)
        # Footer skips its first compose until the bindings are "ready"; the screen's
        # bindings are known as soon as it is composed.
        self._bindings_ready = True
        self._shown: KeysShown | None = None
        self._rebuild_pending = False

    def keys_shown(self) -> KeysShown:
        """What the footer shows: (key, description, group, enabled, tooltip) per key,
        in order, and whether the palette key is there. (Not the action: a key pressed
        or clicked in the footer is simulated as a key press.)"""
        palette = self.app.COMMAND_PALETTE_BINDING
        rows = tuple(
            (key, binding.description, binding.group, enabled, tooltip)
            for key, (_node, binding, enabled, tooltip) in self.screen.active_bindings.items()
            if binding.show or key == palette
        )
        return (*rows, (self.show_command_palette, self.app.ENABLE_COMMAND_PALETTE))

    def compose(self) -> ComposeResult:
        self._shown = self.keys_shown()
        yield from super().compose()

    def bindings_changed(self, screen: Screen[Any]) -> None:
        if not screen.app.app_focus:
            return
        if self.is_attached and screen is self.screen and not self._rebuild_pending:
            self._rebuild_pending = True
            self.call_after_refresh(self._rebuild_if_changed)

    async def _rebuild_if_changed(self) -> None:
        self._rebuild_pending = False
        if self.is_attached and self.keys_shown() != self._shown:
            await self.recompose()
