"""The ad-hoc command line (`:`): a command the runbook does not have, typed during the
walk. It runs in the session's carried shell state (its working directory and exported
variables) with live output, masking and an optional timeout, like a step, and is
recorded as an ad-hoc step (kind `adhoc`). With Interactive ticked it gets the real
terminal (psql, ssh), as an interactive step does. Nothing runs from here: Enter hands
the command back to the walk (which opens it in the edit box when a placeholder of it
cannot be filled where it stands)."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static

from runbook_tui.tui.run_options import RunOptions, RunRequest


class AdhocLine(ModalScreen[RunRequest | None]):
    AUTO_FOCUS = "#adhoc-command"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+t", "toggle_interactive", "Interactive", id="adhoc.interactive"),
        Binding("escape", "cancel", "Cancel", id="adhoc.cancel"),
    ]

    def __init__(self, text: str = "") -> None:
        super().__init__(classes="dialog-screen")
        self.text = text

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog adhoc-line"):
            yield Label("Run a command", classes="dialog-title")
            yield Static(
                "It runs in the session's shell (the working directory and the variables "
                "the steps exported) and is recorded as an ad-hoc step, with its output.",
                classes="dialog-body",
            )
            yield Input(self.text, placeholder="command", id="adhoc-command")
            yield RunOptions(id="adhoc-options", classes="run-options")
            yield Static("", classes="dialog-error", id="dialog-error")
            yield Static(
                Content.styled(
                    "Enter runs it · tab: options · ctrl+t interactive · esc runs nothing",
                    "$text-muted",
                ),
                classes="dialog-hint",
            )

    def show_error(self, message: str) -> None:
        self.query_one("#dialog-error", Static).update(message)

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        text = self.query_one("#adhoc-command", Input).value
        if not text.strip():
            self.show_error("Type a command first (Escape runs nothing).")
            return
        try:
            request = self.query_one(RunOptions).request(text)
        except ValueError as error:
            self.show_error(str(error))
            return
        self.dismiss(request)

    def action_toggle_interactive(self) -> None:
        self.query_one(RunOptions).toggle_interactive()

    def action_cancel(self) -> None:
        self.dismiss(None)
