"""Modal dialogs. Choice dialogs take single keys (their bindings, which also draw
their buttons); text dialogs take a line and Enter. Escape always means "no, do
nothing".

A long body or command scrolls inside the dialog, so the buttons and the input stay
on screen at 80x24."""

from __future__ import annotations

import re
from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from runbook_tui.runbook.display import escape_controls


class ChoiceDialog(ModalScreen[Any]):
    """A question answered by one key. Subclasses declare `BINDINGS` whose actions are
    `choose('value')`; each shown binding is also a (non-focusable) button."""

    DIALOG_TITLE: ClassVar[str] = ""
    # Extra classes of the dialog's screen: "-top" places it at the top.
    PLACEMENT: ClassVar[str] = ""

    def __init__(self, body: str | Content, title: str | None = None) -> None:
        super().__init__(classes=f"dialog-screen {self.PLACEMENT}".strip())
        self.body = body
        self.dialog_title = title or self.DIALOG_TITLE

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self.dialog_title, classes="dialog-title")
            with VerticalScroll(classes="dialog-body-scroll"):
                yield Static(self.body, classes="dialog-body")
            with Horizontal(classes="dialog-buttons"):
                for binding in self._own_bindings():
                    key = binding.key.split(",")[0]
                    button = Button(
                        f"{self.app.get_key_display(Binding(key, ''))} {binding.description}",
                        id=f"choice-{binding.id or key}".replace(".", "-"),
                        classes="dialog-button",
                        compact=True,
                    )
                    button.can_focus = False
                    button.action_name = binding.action  # type: ignore[attr-defined]
                    yield button

    def _own_bindings(self) -> list[Binding]:
        return [b for b in self.BINDINGS if isinstance(b, Binding) and b.show]

    def on_button_pressed(self, event: Button.Pressed) -> None:
        action = getattr(event.button, "action_name", None)
        if action:
            self.run_action(action)

    def action_choose(self, value: Any) -> None:
        self.dismiss(value)


class ConfirmDialog(ChoiceDialog):
    DIALOG_TITLE = "Confirm"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y,enter", "choose(True)", "Yes, run it", id="confirm.yes"),
        Binding("n,escape", "choose(False)", "No", id="confirm.no"),
    ]


class QuitWhileRunningDialog(ChoiceDialog):
    DIALOG_TITLE = "A step is running"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "choose(True)", "Cancel it and quit", id="quit.yes"),
        Binding("n,escape", "choose(False)", "Keep running", id="quit.no"),
    ]


class ResumeOfferDialog(ChoiceDialog):
    DIALOG_TITLE = "Unfinished session"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("r,enter", "choose('resume')", "Resume it", id="resume.resume"),
        Binding("n", "choose('new')", "Start a new session", id="resume.new"),
        Binding("escape", "choose('quit')", "Quit", id="resume.quit"),
    ]


class ResumeOfferFromPickerDialog(ResumeOfferDialog):
    """The resume offer of a runbook opened from the picker: Escape goes back there."""

    BINDINGS: ClassVar[list[BindingType]] = [
        *ResumeOfferDialog.BINDINGS[:2],
        Binding("escape", "choose('quit')", "Back to the runbooks", id="resume.quit"),
    ]


class RollbackOfferDialog(ChoiceDialog):
    DIALOG_TITLE = "Step failed"
    # At the top, compact: the failed step's output (its last lines, the error) stays
    # in view while the operator chooses.
    PLACEMENT = "-top"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("b", "choose('rollback')", "Switch to rollback", id="rollback.switch"),
        Binding("r", "choose('retry')", "Retry", id="rollback.retry"),
        Binding("escape,n", "choose('stay')", "Stay here", id="rollback.stay"),
    ]


class EndSessionDialog(ChoiceDialog):
    DIALOG_TITLE = "End the session"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("c", "choose('completed')", "Completed", id="end.completed"),
        Binding("f", "choose('failed')", "Failed", id="end.failed"),
        Binding("a", "choose('aborted')", "Aborted", id="end.aborted"),
        Binding("escape", "choose(None)", "Not yet", id="end.cancel"),
    ]


class ExportDialog(ChoiceDialog):
    """Which format to write the transcript in (export/transcript.py FORMATS)."""

    DIALOG_TITLE = "Export the transcript"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("m,enter", "choose('markdown')", "Markdown", id="export.markdown"),
        Binding("h", "choose('html')", "HTML", id="export.html"),
        Binding("j", "choose('json')", "JSON", id="export.json"),
        Binding("a", "choose('asciicast')", "asciicast", id="export.asciicast"),
        Binding("escape", "choose(None)", "Cancel", id="export.cancel"),
    ]


class TextDialog(ModalScreen[str | None]):
    """Asks for one line. Enter submits (empty is refused), Escape cancels (None)."""

    # Typing goes to the line, not to a scrolling body above it.
    AUTO_FOCUS = "#dialog-input"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="text.cancel"),
    ]

    def __init__(
        self, title: str, body: str | Content, *, placeholder: str = "", hint: str = ""
    ) -> None:
        super().__init__(classes="dialog-screen")
        self.dialog_title = title
        self.body = body
        self.placeholder = placeholder
        self.hint = hint or "Enter to save · Escape to cancel"

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self.dialog_title, classes="dialog-title")
            with VerticalScroll(classes="dialog-body-scroll"):
                yield Static(self.body, classes="dialog-body")
            yield from self.compose_details()
            yield Input(placeholder=self.placeholder, id="dialog-input")
            yield Static("", classes="dialog-error", id="dialog-error")
            yield Static(Content.styled(self.hint, "$text-muted"), classes="dialog-hint")

    def compose_details(self) -> ComposeResult:
        """What a subclass shows between the body and the input."""
        yield from ()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.submit(event.value.strip())

    def submit(self, value: str) -> None:
        if not value:
            self.show_error("Type something first (Escape cancels).")
            return
        self.dismiss(value)

    def show_error(self, message: str) -> None:
        self.query_one("#dialog-error", Static).update(message)

    def action_cancel(self) -> None:
        self.dismiss(None)


class DangerDialog(TextDialog):
    """Runs nothing unless the operator types the phrase exactly. A wrong phrase clears
    the box and says so; Escape gives up. `command` (as the screen shows it) is what
    will run: the operator reads it before typing the phrase."""

    def __init__(self, step_title: str, phrase: str, *, command: str = "") -> None:
        super().__init__(
            "Dangerous step",
            Content.assemble(
                Content.styled(step_title, "bold"),
                "\nThis step is marked dangerous.",
                " It runs:" if command.strip() else "",
            ),
            placeholder="type the phrase",
            hint="Enter to run · Escape to leave it",
        )
        self.add_class("danger-dialog")
        self.phrase = phrase
        self.command = command.strip("\n")
        self.wrong_attempts = 0

    def compose_details(self) -> ComposeResult:
        if self.command.strip():
            with VerticalScroll(classes="dialog-command"):
                yield Static(Content(escape_controls(self.command)), classes="dialog-command-text")
        yield Static(
            Content.assemble(
                "To run it, type exactly:\n", Content.styled(self.phrase, "bold $text-error")
            ),
            classes="dialog-phrase",
        )

    def submit(self, value: str) -> None:
        # Compare what was typed, unstripped: the phrase must be exact.
        typed = self.query_one("#dialog-input", Input).value
        if typed == self.phrase:
            self.dismiss(typed)
            return
        self.wrong_attempts += 1
        self.query_one("#dialog-input", Input).value = ""
        self.show_error("The phrase did not match: nothing was run.")


class PassByDialog(TextDialog):
    """Passing a reference block by: a reason is welcome, not required (Enter alone
    records `passed by`)."""

    def __init__(self, line: int) -> None:
        super().__init__(
            "Pass it by",
            f"The block at line {line} is recorded as passed by (not run, not done).",
            placeholder="reason (optional)",
            hint="Enter to record it · Escape to leave it",
        )

    def submit(self, value: str) -> None:
        self.dismiss(value)


class HelpDialog(ModalScreen[None]):
    """Every key of the walk, from the bindings themselves."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,question_mark,q", "dismiss", "Close", id="help.close"),
    ]

    def __init__(self, rows: list[tuple[str, str]]) -> None:
        super().__init__(classes="dialog-screen")
        self.rows = rows

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog help"):
            yield Label("Keys", classes="dialog-title")
            with VerticalScroll():
                for key, description in self.rows:
                    yield Static(
                        Content.assemble(
                            Content.styled(f"{key:>8}", "bold $text-accent"), "  ", description
                        ),
                        classes="help-row",
                    )
            yield Static(
                Content.styled("Escape closes · ctrl+p searches every action", "$text-muted"),
                classes="dialog-hint",
            )


class FilterDialog(TextDialog):
    """A log's filter: a regex (Python `re`), checked as typed in; empty clears it."""

    def __init__(self, log_name: str, current: str = "") -> None:
        super().__init__(
            "Filter the log",
            Content.assemble(
                "Show only the lines of ",
                Content.styled(escape_controls(log_name), "bold"),
                " that match a regular expression (any case unless it has a capital).",
            ),
            placeholder="e.g. error|timeout",
            hint="Enter to filter · empty Enter shows every line · Escape to leave it",
        )
        self.current = current

    def on_mount(self) -> None:
        self.query_one("#dialog-input", Input).value = self.current

    def submit(self, value: str) -> None:
        from runbook_tui.tui.evidence_board import compile_filter

        # The pattern as typed: spaces may matter.
        typed = self.query_one("#dialog-input", Input).value
        if not typed.strip():
            self.dismiss("")
            return
        try:
            compile_filter(typed)
        except re.error as error:
            self.show_error(f"Not a valid regular expression: {error}")
            return
        self.dismiss(typed)


class TimeDialog(TextDialog):
    """A moment to jump to in a log: a time of day or a date and time."""

    def __init__(self, log_name: str) -> None:
        super().__init__(
            "Jump to a time",
            Content.assemble(
                "Show the lines of ",
                Content.styled(escape_controls(log_name), "bold"),
                " around a moment: 09:12, 09:12:03, 2026-01-02 09:12 or an ISO 8601 stamp"
                " (local time unless it says otherwise).",
            ),
            placeholder="09:12",
            hint="Enter to jump · Escape to leave it",
        )

    def submit(self, value: str) -> None:
        from runbook_tui.sources.logtime import parse_when

        if not value:
            self.show_error("Type a time first (Escape leaves it).")
            return
        if parse_when(value) is None:
            self.show_error(f"Not a time: {escape_controls(value)}. Try 09:12 or 2026-01-02 09:12.")
            return
        self.dismiss(value)


class ConsentDialog(ChoiceDialog):
    """Whether the runbook's check and log commands may run (asked once per runbook
    text, before any of them runs)."""

    DIALOG_TITLE = "Run this runbook's checks?"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "choose(True)", "Yes, run them", id="consent.yes"),
        Binding("n,escape", "choose(False)", "No", id="consent.no"),
    ]

    def __init__(self, commands: list[tuple[str, str, str]]) -> None:
        """`commands`: (kind, name, shell text) as the screen may show them (masked);
        the text is escaped here."""
        pieces: list[Content | str] = [
            "This runbook declares commands that its evidence panels run "
            "(again and again, in the runbook's folder, with its variables):\n"
        ]
        for kind, name, command in commands:
            label = "check" if kind == "service" else kind
            pieces.append(
                Content.assemble(
                    "\n",
                    Content.styled(f"{label} {escape_controls(name)}", "bold"),
                    "\n  ",
                    Content.styled(escape_controls(command), "$text-accent"),
                )
            )
        pieces.append(
            "\n\nRun them? Your answer is remembered for this runbook's text; a change to "
            "the file asks again. With No they stay off and the panels say so."
        )
        super().__init__(Content.assemble(*pieces))
        self.commands = commands
