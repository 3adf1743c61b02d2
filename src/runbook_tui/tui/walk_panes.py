"""What stands beside the step list: the selected step and the evidence panels.

Narrow terminals show them as tabs (Step, Logs, Services, Backups; keys 1-4); from
WIDE_COLUMNS on, the evidence panels stand in a column of their own and the Step tab is
all the tabbed area shows. Evidence panels are built the first time they are shown, so
a start-up does not pay for widgets it does not show. Both layouts' panels are views of
one board (the walk's `EvidenceBoard`): the same readings, held once. New panels plug
in here (`make_panel`), not in the walk screen.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widget import Widget
from textual.widgets import ContentSwitcher

from runbook_tui.runbook.model import Runbook
from runbook_tui.tui.step_detail import StepDetail
from runbook_tui.tui.tab_bar import TabBar

if TYPE_CHECKING:
    from runbook_tui.tui.evidence_board import EvidenceBoard

BoardGetter = Callable[[], "EvidenceBoard"]

# At this width and more, the evidence panels stand beside the walk instead of in tabs.
WIDE_COLUMNS = 160
# The narrow layout's tabs: pane id -> label (the keys 1-4 follow this order).
TABS = {
    "tab-step": "Step",
    "tab-logs": "Logs",
    "tab-services": "Services",
    "tab-backups": "Backups",
}
EVIDENCE = ("logs", "services", "backups")


class StepPanes(Vertical):
    """The tab bar over the step detail and the evidence panes."""

    def __init__(self, runbook: Runbook, board: BoardGetter, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.runbook = runbook
        self._board = board

    def compose(self) -> ComposeResult:
        # The tab bar shows only in the narrow layout (see app.tcss).
        yield TabBar(list(TABS.items()), active="tab-step", id="tab-bar")
        with ContentSwitcher(id="tab-panes", initial="tab-step"):
            with Vertical(id="tab-step", classes="tab-pane"):
                yield StepDetail(self.runbook, id="detail")
            for tab in list(TABS)[1:]:
                yield Vertical(id=tab, classes="tab-pane")

    @property
    def active(self) -> str:
        return self.query_one(TabBar).active

    async def show(self, tab: str) -> Widget | None:
        """Show pane `tab`; an evidence pane is filled the first time it is shown.
        Returns its evidence panel (None for the Step tab), mounted: the caller can
        focus it at once (a focus asked of a panel still mounting could be lost)."""
        if tab not in TABS:
            return None
        self._switch(tab)
        kind = tab.removeprefix("tab-")
        if kind not in EVIDENCE:
            return None
        pane = self.query_one(f"#{tab}")
        if not pane.children:
            await pane.mount(make_panel(self._board(), kind, titled=False))
        return pane.children[0]

    def show_step_tab(self) -> None:
        self._switch("tab-step")

    def _switch(self, tab: str) -> None:
        self.query_one(TabBar).active = tab
        self.query_one("#tab-panes", ContentSwitcher).current = tab

    async def on_tab_bar_clicked(self, event: TabBar.Clicked) -> None:
        await self.show(event.tab)


class EvidenceColumn(Vertical):
    """The evidence panels side by side with the walk, in the wide layout."""

    def __init__(self, board: BoardGetter, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._board = board

    def fill(self) -> None:
        """Build the panels (once, the first time the terminal is wide enough)."""
        if self.children:
            return
        board = self._board()
        self.mount_all(make_panel(board, kind) for kind in EVIDENCE)

    def panel(self, kind: str) -> Widget | None:
        """The panel of `kind`, once filled."""
        found = self.query(f".evidence-{kind}")
        return found.first() if found else None


def make_panel(board: EvidenceBoard, kind: str, *, titled: bool = True) -> Widget:
    """The panel of `kind` ("logs", "services" or "backups") over `board` (imported
    when first shown: a start-up that shows none does not load them)."""
    if kind == "logs":
        from runbook_tui.tui.log_panel import LogsPanel

        return LogsPanel(board, titled=titled)
    from runbook_tui.tui.evidence import BackupsPanel, ServicesPanel

    if kind == "services":
        return ServicesPanel(board, titled=titled)
    if kind == "backups":
        return BackupsPanel(board, titled=titled)
    raise ValueError(f"no evidence panel {kind!r}")
