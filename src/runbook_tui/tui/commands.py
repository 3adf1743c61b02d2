"""Command palette: every action of the current screen by name, built from the screen's
own bindings and its `ACTION_HELP` texts, so a new key is discoverable without touching
this file (and this file needs no screen of its own to import)."""

from __future__ import annotations

from functools import partial

from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Hits, Provider


class WalkCommands(Provider):
    def _commands(self) -> list[tuple[str, str, str]]:
        screen = self.screen
        helps = getattr(screen, "ACTION_HELP", None)
        if not isinstance(helps, dict):
            return []
        out = []
        for binding in screen.BINDINGS:
            assert isinstance(binding, Binding)
            name = binding.action.split("(")[0]
            if screen.check_action(name, ()) is not True:
                continue
            help_text = helps.get(name, binding.description)
            title = f"{binding.description} ({binding.key.split(',')[0]})"
            out.append((title, help_text, binding.action))
        return out

    async def discover(self) -> Hits:
        for title, help_text, action in self._commands():
            yield DiscoveryHit(title, partial(self.screen.run_action, action), help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, help_text, action in self._commands():
            score = max(matcher.match(title), matcher.match(help_text))
            if score > 0:
                yield Hit(
                    score,
                    matcher.highlight(title),
                    partial(self.screen.run_action, action),
                    help=help_text,
                )
