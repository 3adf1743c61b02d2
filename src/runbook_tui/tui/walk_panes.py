"""What stands beside the step list: the selected step and the evidence panels.

Narrow terminals show them as tabs (Step, Logs, Services, Backups; keys 1-4); from
WIDE_COLUMNS on, the evidence panels stand in a column of their own and the Step tab is
all the tabbed area shows. Evidence panels are built the first time they are shown, so
a start-up does not pay for widgets it does not show. Both layouts' panels are views of
one board (the walk's `EvidenceBoard`): the same readings, held once. New panels plug
in here (`make_panel`), not in the walk screen. `PaneLayout` picks the layout for the
screen's width and moves the focus between the panes (keys 1-4).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widget import Widget

from runbook_tui.runbook.model import Runbook
from runbook_tui.tui.step_detail import StepDetail
from runbook_tui.tui.step_list import StepList
from runbook_tui.tui.tab_bar import TabBar

if TYPE_CHECKING:
    from textual.screen import Screen

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
    """The tab bar over the panes: the step detail, and each evidence pane once shown.

    The panes are its own children, one displayed at a time (`_switch`): no
    `ContentSwitcher` and no wrapper around the step detail, because each full-height
    container level costs the first frame a layout and a render of every line it covers
    (about 10 M instructions each, measured with valgrind; see docs/tui.md). An
    evidence pane is mounted the first time its tab is shown."""

    def __init__(self, runbook: Runbook, board: BoardGetter, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.runbook = runbook
        self._board = board

    def compose(self) -> ComposeResult:
        # The tab bar shows only in the narrow layout (see app.tcss).
        yield TabBar(list(TABS.items()), active="tab-step", id="tab-bar")
        yield StepDetail(self.runbook, id="tab-step", classes="tab-pane")

    @property
    def active(self) -> str:
        return self.query_one(TabBar).active

    async def show(self, tab: str) -> Widget | None:
        """Show pane `tab`; an evidence pane is built the first time it is shown.
        Returns its evidence panel (None for the Step tab), mounted: the caller can
        focus it at once (a focus asked of a panel still mounting could be lost)."""
        if tab not in TABS:
            return None
        kind = tab.removeprefix("tab-")
        if kind not in EVIDENCE:
            self._switch(tab)
            return None
        found = self.query_children(f"#{tab}")
        if found:
            pane = found.first()
        else:
            pane = Vertical(id=tab, classes="tab-pane")
            await self.mount(pane)
        self._switch(tab)
        if not pane.children:
            await pane.mount(make_panel(self._board(), kind, titled=False))
        return pane.children[0]

    def show_step_tab(self) -> None:
        self._switch("tab-step")

    def _switch(self, tab: str) -> None:
        self.query_one(TabBar).active = tab
        for pane in self.query_children(".tab-pane"):
            pane.display = pane.id == tab

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


class PaneLayout:
    """The layout of a screen that composed a `StepList`, a `StepPanes` and an
    `EvidenceColumn`: narrow (tabs) or wide (the column; the screen has the class
    `-wide`), and where the focus goes when a pane is shown or hidden."""

    def __init__(self, screen: Screen[None]) -> None:
        self._screen = screen

    @property
    def wide(self) -> bool:
        return self._screen.has_class("-wide")

    def fit(self, width: int) -> None:
        """The layout for a terminal `width` columns wide; a focus left in a pane
        that is no longer shown goes back to the steps."""
        screen = self._screen
        wide = width >= WIDE_COLUMNS
        screen.set_class(wide, "-wide")
        if wide:
            screen.query_one(StepPanes).show_step_tab()
            self._steps_tab_shown()
            screen.query_one(EvidenceColumn).fill()
        elif self._focus_in("#evidence-column"):
            screen.query_one(StepList).focus()

    async def show_tab(self, tab: str) -> None:
        """Show pane `tab` (narrow layout) and put the focus in it: an evidence panel's
        keys apply while it has the focus; the Step tab gives it back to the steps."""
        panel = await self._screen.query_one(StepPanes).show(tab)
        if panel is not None:
            panel.focus()
        else:
            self._steps_tab_shown()

    async def go_to(self, tab: str) -> None:
        """Narrow: show the tab. Wide (no tabs): focus that panel of the column, or the
        steps for the Step tab."""
        if not self.wide:
            await self.show_tab(tab)
            return
        panel = self._screen.query_one(EvidenceColumn).panel(tab.removeprefix("tab-"))
        if panel is not None:
            panel.focus()
        else:
            self._screen.query_one(StepList).focus()

    def _steps_tab_shown(self) -> None:
        if self._focus_in("#main-tabs"):
            self._screen.query_one(StepList).focus()

    def _focus_in(self, selector: str) -> bool:
        """Whether the focused widget is inside the widget `selector` names."""
        focused = self._screen.focused
        container = self._screen.query_one(selector)
        return focused is not None and (focused is container or container in focused.ancestors)


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
