"""The values a command's placeholders need, asked for before it runs (as navi does):
one field per `<placeholder>` and per `$NAME` the session's shell does not set, the
final command shown as it will run, updated as the values are typed. A value never
becomes command text: the command holds a reference to an environment variable that
carries it (runbook/placeholders.py), which is what the preview shows.

The form is the operator's go-ahead for the values; the walk still asks what the
runbook says to ask (confirm, danger phrase) after it."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import ClassVar, Literal

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from runbook_tui.runbook.display import escape_controls
from runbook_tui.session.redaction import MASK

# Names whose values are typed like passwords (not echoed), beside declared secrets.
SECRET_LOOKING = re.compile(
    r"pass(word|wd|phrase)?|secret|token|api[-_ ]?key|private[-_ ]?key|credential", re.I
)


@dataclass(frozen=True)
class Blank:
    """A value to ask for: `name` as written (`pod-name` for `<pod-name>`, `NAME` for
    `$NAME`), `secret` when it is typed without echo."""

    name: str
    kind: Literal["placeholder", "name"]
    secret: bool = False

    @property
    def label(self) -> str:
        return f"<{self.name}>" if self.kind == "placeholder" else f"${self.name}"


# The command as it would run with these values, and why it cannot run yet ("" ready).
Preview = Callable[[Mapping[str, str]], tuple[str, str]]


class FillForm(ModalScreen[dict[str, str] | None]):
    AUTO_FOCUS = "#fill-0"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "run", "Run", id="fill.run"),
        Binding("escape", "cancel", "Cancel", id="fill.cancel"),
    ]

    def __init__(self, title: str, blanks: Sequence[Blank], preview: Preview) -> None:
        """Ask for `blanks` before `title` runs; `preview(values)` is the command to
        show for the values typed so far."""
        super().__init__(classes="dialog-screen")
        self.item_title = title
        self.blanks = tuple(blanks)
        self.preview = preview

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog fill-form"):
            yield Label("Values to fill in", classes="dialog-title")
            yield Static(
                Content.assemble(
                    Content.styled(escape_controls(self.item_title), "bold"),
                    " needs these values. Each reaches the command as an environment "
                    "variable, never pasted into its text.",
                ),
                classes="dialog-body",
            )
            with VerticalScroll(classes="fill-fields"):
                for index, blank in enumerate(self.blanks):
                    with Horizontal(classes="fill-field"):
                        yield Label(blank.label, classes="fill-label")
                        yield Input(
                            placeholder=self._hint(blank),
                            password=blank.secret,
                            id=f"fill-{index}",
                            compact=True,
                        )
            yield Label("It runs:", classes="fill-runs")
            with VerticalScroll(classes="dialog-command"):
                yield Static("", id="fill-command", classes="dialog-command-text")
            yield Static("", id="fill-values", classes="fill-values")
            yield Static("", classes="dialog-error", id="dialog-error")
            with Horizontal(classes="dialog-buttons"):
                for label, button_id in (
                    ("Run (ctrl+s)", "fill-run"),
                    ("Cancel (esc)", "fill-cancel"),
                ):
                    yield Button(label, id=button_id, classes="dialog-button", compact=True)
            yield Static(
                Content.styled(
                    "Enter: next value, then run · ctrl+s runs · esc runs nothing", "$text-muted"
                ),
                classes="dialog-hint",
            )

    @staticmethod
    def _hint(blank: Blank) -> str:
        if blank.kind == "name":
            return "not set in the session's shell"
        return "value (typed without echo)" if blank.secret else "value"

    def on_mount(self) -> None:
        self._show_preview()

    @property
    def values(self) -> dict[str, str]:
        return {
            blank.name: self.query_one(f"#fill-{index}", Input).value
            for index, blank in enumerate(self.blanks)
        }

    @on(Input.Changed)
    def _changed(self) -> None:
        self._show_preview()
        self.show_error("")

    def _show_preview(self) -> None:
        typed = {name: value for name, value in self.values.items() if value}
        command, _problem = self.preview(typed)
        self.query_one("#fill-command", Static).update(Content(command))
        shown = [
            f"{blank.label} = {MASK if blank.secret else escape_controls(typed[blank.name])}"
            for blank in self.blanks
            if blank.name in typed
        ]
        self.query_one("#fill-values", Static).update(
            Content.styled("with " + " · ".join(shown), "$text-muted") if shown else ""
        )

    def show_error(self, message: str) -> None:
        self.query_one("#dialog-error", Static).update(message)

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        index = int((event.input.id or "fill-0").removeprefix("fill-"))
        if index + 1 < len(self.blanks):
            self.query_one(f"#fill-{index + 1}", Input).focus()
        else:
            self.action_run()

    def action_run(self) -> None:
        values = self.values
        for index, blank in enumerate(self.blanks):
            if not values[blank.name]:
                self.show_error(f"Give {blank.label} a value (Escape runs nothing).")
                self.query_one(f"#fill-{index}", Input).focus()
                return
        _command, problem = self.preview(values)
        if problem:
            self.show_error(f"Cannot run it: {problem}")
            return
        self.dismiss(values)

    def action_cancel(self) -> None:
        self.dismiss(None)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "fill-run":
            self.action_run()
        else:
            self.action_cancel()
