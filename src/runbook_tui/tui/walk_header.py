"""The walk's header: title, kind and session id on the left, the clock on the right
(so a narrow terminal cuts the title, never the clock). In a drill the clock shows
elapsed against the RTO and turns to a warning colour near it, an error colour past it
(the rule is session/clock.py's; the elapsed time comes from the journal)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.content import Content
from textual.widgets import Static

from runbook_tui.session.clock import rto_level
from runbook_tui.tui.status import format_duration
from runbook_tui.tui.walk_prompts import warnings_text


class WalkHeader(Horizontal):
    def compose(self) -> ComposeResult:
        yield Static(id="header-title")
        # The runbook's lint warnings, when it has any: beside the clock, never cut.
        yield Static(id="header-warnings")
        yield Static(id="header-clock")

    def on_mount(self) -> None:
        self.query_one("#header-warnings").display = False

    def show_warnings(self, count: int) -> None:
        """`⚠ 3 warnings (w)`: the runbook has lint warnings, and `w` lists them."""
        label = self.query_one("#header-warnings", Static)
        label.update(f"⚠ {warnings_text(count)} (w)")
        label.display = count > 0

    def show(
        self,
        *,
        title: str,
        kind: str | None,
        session_id: str,
        elapsed: float,
        drill: bool,
        rto: float | None,
        mode: str,
    ) -> None:
        parts: list[Content | str] = [Content.styled(title, "bold")]
        if kind:
            parts.append(Content.styled(f" · {kind}", "$text-muted"))
        if mode == "rollback":
            parts.append(Content.styled(" · ROLLBACK", "bold $text-warning"))
        parts.append(Content.styled(f" · {session_id}", "$text-muted"))
        level = "ok"
        clock = format_duration(elapsed)
        if drill:
            if rto:
                clock += f" / RTO {format_duration(rto)}"
                level = rto_level(elapsed, rto)
            clock = f"DRILL {clock}"
        self.set_class(level == "near", "-rto-near")
        self.set_class(level == "over", "-rto-over")
        self.query_one("#header-title", Static).update(Content.assemble(*parts))
        self.query_one("#header-clock", Static).update(clock)

    @property
    def text(self) -> str:
        """The header as plain text."""
        title = self.query_one("#header-title", Static).render()
        warnings = self.query_one("#header-warnings", Static)
        clock = self.query_one("#header-clock", Static).render()
        middle = f" {warnings.render()}" if warnings.display else ""
        return f"{title}{middle} {clock}"
