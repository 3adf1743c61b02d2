"""The variables form: every variable on one screen, prompts and defaults shown,
choices as a select, pattern errors inline, secrets masked as typed."""

from __future__ import annotations

import re
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Button, Footer, Input, Label, Select, Static

from runbook_tui.runbook.model import Runbook, Variable
from runbook_tui.session.variables import initial_value


def problem(var: Variable, value: str) -> str | None:
    """Why `value` is not acceptable for `var`, or None."""
    from runbook_tui.session.variables import validate

    if not value:
        return "required" if var.required else None
    return validate(var, value)


def needs_form(variables: tuple[Variable, ...], given: dict[str, str]) -> bool:
    """True unless every variable was given (--var) with an acceptable value: the
    operator sees defaults before they reach a command."""
    return any(v.name not in given or problem(v, given[v.name]) for v in variables)


def _field_id(name: str) -> str:
    return "var-" + re.sub(r"[^A-Za-z0-9_-]", "_", name)


class VariablesScreen(Screen[dict[str, str] | None]):
    """Returns the values (dismiss) or None when the operator backs out."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "submit", "Start", id="variables.start"),
        Binding("escape", "cancel", "Back out", id="variables.cancel"),
    ]

    def __init__(
        self,
        runbook: Runbook,
        given: dict[str, str],
        *,
        only: tuple[Variable, ...] | None = None,
        note: str = "",
    ) -> None:
        super().__init__()
        self.runbook = runbook
        self.given = given
        # On resume only the secrets are asked again (they were never written down).
        self.variables = runbook.variables if only is None else only
        self.note = note
        # Keys typed as the form opens go to the first field to fill: with nothing
        # focused they were lost, and a Tab then landed in the field after it.
        first = self.first_to_fill()
        self.AUTO_FOCUS = f"#{_field_id(first.name)}" if first is not None else None

    def first_to_fill(self) -> Variable | None:
        """The first variable without an acceptable value; else the first."""
        for var in self.variables:
            if problem(var, initial_value(var, self.given)) is not None:
                return var
        return next(iter(self.variables), None)

    def compose(self) -> ComposeResult:
        yield Label(f"{self.runbook.title}: variables", classes="screen-title")
        if self.note:
            yield Static(Content.styled(self.note, "$text-muted"), classes="screen-note")
        # Not a focus stop of its own: Tab goes from field to field.
        with VerticalScroll(id="variables", can_focus=False):
            for var in self.variables:
                with Vertical(classes="variable"):
                    label = var.prompt or var.name
                    yield Label(
                        Content.assemble(
                            Content.styled(label, "bold"),
                            Content.styled(f"  ${var.name}", "$text-muted"),
                            Content.styled("  (secret)" if var.secret else "", "$text-warning"),
                        )
                    )
                    value = initial_value(var, self.given)
                    if var.choices:
                        yield Select(
                            [(c, c) for c in var.choices],
                            value=value if value in var.choices else Select.NULL,
                            allow_blank=not var.required or value not in var.choices,
                            id=_field_id(var.name),
                        )
                    else:
                        yield Input(
                            value=value,
                            password=var.secret,
                            id=_field_id(var.name),
                        )
                    if var.pattern:
                        # A hint, not a placeholder: a placeholder reads as a value.
                        yield Static(
                            Content.styled(f"pattern: {var.pattern}", "$text-muted"),
                            classes="variable-hint",
                            id=_field_id(var.name) + "-hint",
                        )
                    yield Static("", classes="variable-error", id=_field_id(var.name) + "-error")
            yield Button("Start", id="start", variant="primary")
        yield Footer()

    def values(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for var in self.variables:
            widget = self.query_one(f"#{_field_id(var.name)}")
            if isinstance(widget, Select):
                out[var.name] = "" if widget.value is Select.NULL else str(widget.value)
            else:
                assert isinstance(widget, Input)
                out[var.name] = widget.value
        return out

    def check(self, name: str | None = None) -> bool:
        """Show inline errors (for one variable, or all); True when all are fine."""
        ok = True
        values = self.values()
        for var in self.variables:
            if name is not None and var.name != name:
                continue
            message = problem(var, values[var.name])
            ok = ok and message is None
            error = self.query_one(f"#{_field_id(var.name)}-error", Static)
            error.update(message or "")
        return ok

    def _name_of(self, widget_id: str | None) -> str | None:
        for var in self.variables:
            if _field_id(var.name) == widget_id:
                return var.name
        return None

    def on_input_changed(self, event: Input.Changed) -> None:
        name = self._name_of(event.input.id)
        if name is not None:
            self.check(name)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.focus_next()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "start":
            self.action_submit()

    def action_submit(self) -> None:
        if self.check():
            values = self.values()
            self.dismiss({k: v for k, v in values.items() if v != ""})

    def action_cancel(self) -> None:
        self.dismiss(None)
