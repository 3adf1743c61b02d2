"""The walk's header: title, kind and session id on the left, the clock on the right
(so a narrow terminal cuts the title, never the clock). In a drill the clock shows
elapsed against the RTO and turns to a warning colour near it, an error colour past it
(the rule is session/clock.py's; the elapsed time comes from the journal)."""

from __future__ import annotations

from typing import ClassVar

from textual.content import Content
from textual.widget import Widget

from runbook_tui.session.clock import rto_level
from runbook_tui.tui.status import format_duration
from runbook_tui.tui.walk_prompts import warnings_text


class WalkHeader(Widget):
    """One line drawn by one widget: the title cut to fit, then the lint warnings (when
    there are any) and the clock, never cut. Not a row of Statics: each widget on screen
    costs the first frame its mount, styling and render (about 4 M instructions each,
    measured with valgrind; see docs/tui.md)."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {"walk-header--warnings", "walk-header--clock"}

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._title = Content("")
        self._warnings = ""
        self._clock = ""

    def show_warnings(self, count: int) -> None:
        """`⚠ 3 warnings (w)`: the runbook has lint warnings, and `w` lists them."""
        self._warnings = f"⚠ {warnings_text(count)} (w)" if count > 0 else ""
        self.refresh()

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
        self._title = Content.assemble(*parts)
        self._clock = clock
        self.refresh()

    def render(self) -> Content:
        right = [Content.styled(f" {self._clock}", self.get_visual_style("walk-header--clock"))]
        if self._warnings:
            warnings = self.get_visual_style("walk-header--warnings")
            right.insert(0, Content.styled(f" {self._warnings}", warnings))
        tail = Content.assemble(*right)
        room = max(0, self.content_size.width - tail.cell_length)
        return Content.assemble(self._title.truncate(room, ellipsis=True, pad=True), tail)

    @property
    def text(self) -> str:
        """The header as plain text."""
        middle = f" {self._warnings}" if self._warnings else ""
        return f"{self._title.plain}{middle} {self._clock}"
