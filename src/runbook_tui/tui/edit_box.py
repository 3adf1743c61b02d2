"""The edit box: a command the operator may change before it runs. It opens on a
reference block's text as written (a `console` block mixes commands and sample output:
they keep the command lines), or on a step whose placeholder cannot be filled where it
stands. Nothing runs from here: `Ctrl+S` (or the Run button) hands the edited text and
its run options back to the walk, which confirms and runs it; Escape gives up."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Static, TextArea

from runbook_tui.runbook.console import is_prompted, reference_commands
from runbook_tui.session.redaction import MASK
from runbook_tui.tui.run_options import RunOptions, RunRequest


class EditBox(ModalScreen[RunRequest | None]):
    AUTO_FOCUS = "#edit-text"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "run", "Run", id="edit.run"),
        Binding("ctrl+o", "commands_only", "Only the $ commands", id="edit.commands"),
        Binding("ctrl+t", "toggle_interactive", "Interactive", id="edit.interactive"),
        Binding("escape", "cancel", "Cancel", id="edit.cancel"),
    ]

    def __init__(
        self,
        title: str,
        about: str | Content,
        text: str,
        *,
        error: str = "",
        interactive: bool = False,
        timeout_seconds: float | None = None,
    ) -> None:
        """`text` (as the screen shows it: masked, control characters escaped) in the
        box, with `about` above it; `error`: why the walk sent the operator back here;
        the run options start as given."""
        super().__init__(classes="dialog-screen")
        self.dialog_title = title
        self.about = about
        self.text = text.rstrip("\n")
        self.error = error
        self.start_interactive = interactive
        self.start_timeout = timeout_seconds

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog edit-box"):
            yield Label(self.dialog_title, classes="dialog-title")
            with VerticalScroll(classes="dialog-body-scroll edit-about"):
                yield Static(self._about(), classes="dialog-body")
            yield TextArea(
                self.text, id="edit-text", soft_wrap=False, show_line_numbers=True, compact=True
            )
            yield RunOptions(
                interactive=self.start_interactive,
                timeout_seconds=self.start_timeout,
                id="edit-options",
                classes="run-options",
            )
            yield Static(self.error, classes="dialog-error", id="dialog-error")
            with Horizontal(classes="dialog-buttons"):
                for label, button_id in (
                    ("Run (ctrl+s)", "edit-run"),
                    ("Cancel (esc)", "edit-cancel"),
                ):
                    yield Button(label, id=button_id, classes="dialog-button", compact=True)
            yield Static(Content.styled(self._hint(), "$text-muted"), classes="dialog-hint")

    def _about(self) -> Content:
        parts: list[str | Content] = [self.about]
        if is_prompted(self.text.split("\n")):
            parts.append(
                "\n\nIt mixes commands and sample output: keep the command lines "
                "(ctrl+o keeps only the `$ ` lines, prompts removed)."
            )
        if MASK in self.text:
            parts.append(
                Content.styled(
                    f"\n\n{MASK} hides what looks like a secret: type the real value "
                    "where the command needs it (the record masks it again).",
                    "$text-warning",
                )
            )
        return Content.assemble(*parts)

    @staticmethod
    def _hint() -> str:
        return "ctrl+s runs it (asks first) · ctrl+t interactive · esc leaves it"

    @property
    def edited(self) -> str:
        return self.query_one("#edit-text", TextArea).text

    def show_error(self, message: str) -> None:
        self.query_one("#dialog-error", Static).update(message)

    def action_run(self) -> None:
        text = self.edited
        if not text.strip():
            self.show_error("Nothing to run: the box is empty (Escape leaves it).")
            return
        try:
            request = self.query_one(RunOptions).request(text)
        except ValueError as error:
            self.show_error(str(error))
            return
        self.dismiss(request)

    def action_commands_only(self) -> None:
        """Keep only the `$ ` command lines (prompts removed): the rest is output."""
        area = self.query_one("#edit-text", TextArea)
        if not is_prompted(area.text.split("\n")):
            self.show_error("No `$ ` prompts here: every line is kept as it is.")
            return
        area.text = reference_commands(area.text)
        self.show_error("")

    def action_toggle_interactive(self) -> None:
        self.query_one(RunOptions).toggle_interactive()

    def action_cancel(self) -> None:
        self.dismiss(None)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "edit-run":
            self.action_run()
        else:
            self.action_cancel()
