"""What stands beside the step list: the selected step and the evidence panels.

Narrow terminals show them as tabs (Step, Logs, Services, Backups; keys 1-4); from
WIDE_COLUMNS on, the evidence panels stand in a column of their own and the Step tab is
all the tabbed area shows. Evidence panels are built the first time they are shown, so
a start-up does not pay for widgets it does not show. New panels plug in here, not in
the walk screen.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import ContentSwitcher

from runbook_tui.runbook.model import Runbook
from runbook_tui.tui.step_detail import StepDetail
from runbook_tui.tui.tab_bar import TabBar

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

    def __init__(self, runbook: Runbook, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.runbook = runbook

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

    def show(self, tab: str) -> None:
        """Show pane `tab`; an evidence pane is filled the first time it is shown."""
        if tab not in TABS:
            return
        self.query_one(TabBar).active = tab
        self.query_one("#tab-panes", ContentSwitcher).current = tab
        pane = self.query_one(f"#{tab}")
        kind = tab.removeprefix("tab-")
        if kind in EVIDENCE and not pane.children:
            from runbook_tui.tui.evidence import EvidencePanel

            pane.mount(EvidencePanel(self.runbook, kind, titled=False))

    def on_tab_bar_clicked(self, event: TabBar.Clicked) -> None:
        self.show(event.tab)


class EvidenceColumn(Vertical):
    """The evidence panels side by side with the walk, in the wide layout."""

    def __init__(self, runbook: Runbook, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.runbook = runbook

    def fill(self) -> None:
        """Build the panels (once, the first time the terminal is wide enough)."""
        if self.children:
            return
        from runbook_tui.tui.evidence import EvidencePanel

        self.mount_all(EvidencePanel(self.runbook, kind) for kind in EVIDENCE)
