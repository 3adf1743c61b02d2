"""Before a command runs in the walk: the values its placeholders need.

The engine says what a command needs (`Engine.prepare`: the `<placeholders>` without a
value, the `$NAME`s the session's shell does not set at this moment, the placeholders
that cannot be filled where they stand); this asks the operator for them in a form
(tui/fill_form.py) and hands the values on. A placeholder that cannot be filled (in
single quotes, ...) is not asked for: the caller opens the command for editing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from runbook_tui.runbook.display import escape_controls
from runbook_tui.tui.engine_api import EngineLike, PreparedLike

if TYPE_CHECKING:
    from textual.screen import Screen

    from runbook_tui.tui.fill_form import Blank

# Called with the values (empty when none were needed) and the final command as shown.
Then = Callable[[dict[str, str], str], None]


class Fills:
    def __init__(
        self,
        screen: Screen[None],
        engine: Callable[[], EngineLike],
        secret_names: frozenset[str],
        say: Callable[[str], None],
    ) -> None:
        """Asks on `screen`'s app, in `engine()`'s session; `secret_names`: the
        runbook's secret variables (a placeholder named like one is typed unechoed)."""
        self._screen = screen
        self._engine = engine
        self._secret_names = secret_names
        self._say = say

    def shown(self, prepared: PreparedLike) -> str:
        """The final command as the screen may show it: masked, controls escaped."""
        return escape_controls(self._engine().redactor.mask(prepared.command))

    def ask(
        self,
        text: str,
        title: str,
        then: Then,
        refused: Callable[[str], None],
        cancelled: Callable[[], None] | None = None,
    ) -> None:
        """Get the values `text` needs now, then `then(values, command shown)`. A
        placeholder that cannot be filled where it stands: `refused(why)`, nothing
        asked. The operator backing out: `cancelled()` (default: say nothing ran)."""
        from runbook_tui.tui.fill_form import FillForm
        from runbook_tui.tui.walk_prompts import NOTHING_RUN

        engine = self._engine()
        prepared = engine.prepare(text)
        if prepared.ready:
            then({}, self.shown(prepared))
            return
        # A refusal shows only once a placeholder has a value: try one for each.
        probe = engine.prepare(text, dict.fromkeys(prepared.unfilled, "x"))
        if probe.refused:
            refused("; ".join(r.describe() for r in probe.refused))
            return

        def preview(values: Mapping[str, str]) -> tuple[str, str]:
            ready = engine.prepare(text, values)
            return self.shown(ready), ready.problem

        def done(values: dict[str, str] | None) -> None:
            if values is None:
                if cancelled is not None:
                    cancelled()
                else:
                    self._say(NOTHING_RUN)
                return
            final = engine.prepare(text, values)
            if not final.ready:  # the shell's state changed meanwhile
                self._say(f"Not run: {final.problem}")
                return
            then(dict(values), self.shown(final))

        self._screen.app.push_screen(FillForm(title, self.blanks(prepared), preview), done)

    def blanks(self, prepared: PreparedLike) -> list[Blank]:
        from runbook_tui.tui.fill_form import Blank

        return [
            *(Blank(name, "placeholder", self.is_secret(name)) for name in prepared.unfilled),
            *(Blank(name, "name", self.is_secret(name)) for name in prepared.missing),
        ]

    def is_secret(self, name: str) -> bool:
        """Typed without echo: named like a declared secret variable (`<db-password>`
        for `DB_PASSWORD`), or named like a secret."""
        from runbook_tui.runbook.placeholders import env_name
        from runbook_tui.tui.fill_form import SECRET_LOOKING

        names = self._secret_names
        return name in names or env_name(name) in names or SECRET_LOOKING.search(name) is not None
