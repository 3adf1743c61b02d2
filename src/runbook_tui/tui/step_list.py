"""The walk's step list: steps grouped under their section headings, each with a status
symbol and colour. The list shows statuses; it never decides them (they come from the
journal fold)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from textual import events
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from runbook_tui.runbook.model import Runbook, Step
from runbook_tui.tui.status import colour, symbol

ROLLBACK_HEADING = "Rollback"


def step_prompt(step: Step, status: str) -> Content:
    mark = Content.styled(symbol(status), colour(status))
    kind = Content.styled(" ☐" if step.kind == "manual" else "", "$text-muted")
    label = Content(step.title)
    if status == "skipped":
        label = label.stylize("$text-muted")
    return Content.assemble(mark, " ", label, kind)


def heading_prompt(title: str) -> Content:
    return Content.styled(title, "bold $text-primary")


class StepList(OptionList):
    """Steps by section. Enter performs the highlighted step (a screen action); a mouse
    click only highlights, so nothing runs by accident."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "screen.perform", "Perform", id="walk.perform"),
    ]

    def __init__(
        self,
        runbook: Runbook,
        *,
        statuses: Mapping[str, str] | None = None,
        selected: str | None = None,
        id: str | None = None,
    ) -> None:
        """The list with `statuses` shown and `selected` highlighted (else the first
        step) from the start, so the first frame is already the right one."""
        self.runbook = runbook
        self._statuses: dict[str, str] = {}
        super().__init__(*self._build_options(statuses or {}), id=id)
        first = selected or next((s.id for s in runbook.main_steps), None)
        if first is not None:
            self.select_step(first)

    def _build_options(self, statuses: Mapping[str, str]) -> list[Option]:
        options: list[Option] = []
        current: tuple[str, ...] | None = None
        for step in self.runbook.main_steps:
            if step.section != current:
                current = step.section
                if step.section:
                    options.append(
                        Option(
                            heading_prompt(step.section[-1]),
                            id=_heading_id(len(options)),
                            disabled=True,
                        )
                    )
            status = statuses.get(step.id, "pending")
            options.append(Option(step_prompt(step, status), id=step.id))
            self._statuses[step.id] = status
        if self.runbook.rollback_steps:
            options.append(
                Option(
                    heading_prompt(f"↺ {ROLLBACK_HEADING}"), id="heading-rollback", disabled=True
                )
            )
            for step in self.runbook.rollback_steps:
                status = statuses.get(step.id, "pending")
                options.append(Option(step_prompt(step, status), id=step.id))
                self._statuses[step.id] = status
        return options

    @property
    def selected_step_id(self) -> str | None:
        if self.highlighted is None:
            return None
        option = self.get_option_at_index(self.highlighted)
        return option.id if option.id and not option.id.startswith("heading-") else None

    def select_step(self, step_id: str) -> None:
        self.highlighted = self.get_option_index(step_id)

    def show_statuses(self, statuses: Mapping[str, str]) -> None:
        """Redraw the marks of steps whose status changed."""
        for step in self.runbook.steps:
            status = statuses.get(step.id, "pending")
            if self._statuses.get(step.id) != status:
                self._statuses[step.id] = status
                self.replace_option_prompt(step.id, step_prompt(step, status))

    async def _on_click(self, event: events.Click) -> None:
        # OptionList selects on click; here a click only moves the highlight.
        event.prevent_default()
        clicked: int | None = event.style.meta.get("option")
        if clicked is not None and not self.get_option_at_index(clicked).disabled:
            self.highlighted = clicked


def _heading_id(index: int) -> str:
    return f"heading-{index}"
