"""The runbook's lint warnings, listed in the walk (`w`): what `runbook-tui check` says of
the file, so that what the walk will not run (untagged blocks, console blocks without
prompts, placeholders) is never passed over silently."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Label, Static

from runbook_tui.runbook.display import escape_controls
from runbook_tui.runbook.model import Diagnostic
from runbook_tui.session.redaction import Redactor
from runbook_tui.tui.walk_prompts import warnings_text


def warning_row(diagnostic: Diagnostic) -> Content:
    """`  14:1  A code block without a language ... [untagged-command]`; the message
    quotes the runbook, so it is masked and escaped like the runbook's own text."""
    message = escape_controls(Redactor(()).mask(diagnostic.message))
    return Content.assemble(
        Content.styled(f"{diagnostic.line:>5}:{diagnostic.column:<3}", "bold $text-warning"),
        " ",
        message,
        Content.styled(f" [{diagnostic.code}]", "$text-muted"),
    )


class WarningsDialog(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,w,q", "dismiss", "Close", id="warnings.close"),
    ]

    def __init__(self, path: str, warnings: Sequence[Diagnostic]) -> None:
        super().__init__(classes="dialog-screen")
        self.path = path
        self.warnings = tuple(warnings)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog help warnings"):
            where = f" in {escape_controls(self.path)}" if self.path else ""
            yield Label(Content(warnings_text(len(self.warnings)) + where), classes="dialog-title")
            with VerticalScroll():
                for diagnostic in self.warnings:
                    yield Static(warning_row(diagnostic), classes="help-row")
            yield Static(
                Content.styled(
                    "line:column, as `runbook-tui check` prints them · Escape closes",
                    "$text-muted",
                ),
                classes="dialog-hint",
            )
