"""The runbook picker: each runbook in the folder with its title, kind, when it was
last run, and when it was last drilled and whether that drill passed. The rows are
made in picker_rows.py (no Textual there: the data is measured on its own)."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar, NamedTuple

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Label, Static

from runbook_tui.runbook.display import escape_controls
from runbook_tui.tui.picker_rows import PickerRow, picker_rows

__all__ = ["Pick", "PickerRow", "PickerScreen", "picker_rows"]


class Pick(NamedTuple):
    """The runbook chosen, and whether to walk it as a drill (a rehearsal, timed
    against its RTO and remembered as evidence)."""

    path: Path
    drill: bool = False


class PickerScreen(Screen[Pick | None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        # priority: the table would take Enter itself (and the footer would not show it).
        Binding("enter", "open", "Open", id="picker.open", priority=True),
        Binding("d", "open_drill", "Open as a drill", id="picker.drill"),
        Binding("q,escape", "quit_picker", "Quit", id="picker.quit"),
    ]

    def __init__(self, folder: Path, rows: list[PickerRow], note: str | None = None) -> None:
        """`note`: what the runbook just left said (its session kept, how to resume),
        shown under the list (a notification could be missed)."""
        super().__init__()
        self.folder = folder
        self.rows = rows
        self.note = note

    def compose(self) -> ComposeResult:
        yield Label(f"Runbooks in {self.folder}", classes="screen-title")
        if not self.rows:
            yield Static(f"No runbooks (*.md) in {self.folder}.", id="picker-empty")
        table: DataTable[str] = DataTable(id="picker", cursor_type="row", zebra_stripes=True)
        table.add_columns("Title", "Kind", "Last run (UTC)", "Last drilled", "")
        for row in self.rows:
            table.add_row(
                row.title, row.kind, row.last_run, row.last_drilled, row.problem, key=str(row.path)
            )
        yield table
        if self.note:
            yield Static(Content(escape_controls(self.note)), id="picker-note")
        yield Footer()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_open()

    def action_open(self, drill: bool = False) -> None:
        table = self.query_one(DataTable)
        if not self.rows:
            return
        self.dismiss(Pick(self.rows[table.cursor_row].path, drill))

    def action_open_drill(self) -> None:
        self.action_open(drill=True)

    def action_quit_picker(self) -> None:
        self.dismiss(None)
