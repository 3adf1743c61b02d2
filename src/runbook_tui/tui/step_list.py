"""The walk's step list: steps grouped under their section headings, each with a status
symbol and colour; the runbook's reference blocks in place between them, marked apart
(`◇`, muted, their status after the title); and the session's ad-hoc commands in a
group of their own at the end, in the order they ran. The list shows statuses; it never
decides them (they come from the journal fold).

One row per step, cut with an ellipsis when the title is wider than the list (the step
detail names the step in full). On Textual's Line API only the rows on screen are
rendered; `OptionList` measured every row's wrapped height before its first frame,
which with a few hundred steps was a visible part of start-up."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Mapping, Sequence
from typing import ClassVar, NamedTuple

from textual import events
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from runbook_tui.runbook.model import Reference, Runbook, Step
from runbook_tui.tui.command_box import EXPAND_KEY, CommandBox
from runbook_tui.tui.status import colour, symbol
from runbook_tui.tui.walk_items import ADHOC_HEADING, AdhocItem, ListItem

ROLLBACK_HEADING = "Rollback"
# A reference block's own mark: it is shown, not a step to do.
REFERENCE_SYMBOL = "◇"


# A manual step done (or skipped) shows its status mark alone: `✓ … ☐` read as done
# and not done at once.
_DONE = ("succeeded", "skipped")


def step_prompt(step: Step, status: str, width: int | None = None) -> Content:
    """One row: status mark, title, and ☐ for a manual step still to do. Within
    `width`, only the title is cut. Tabs and line breaks in a title become spaces: raw,
    they would move the terminal's cursor."""
    mark = Content.styled(symbol(status), colour(status))
    box = step.kind == "manual" and status not in _DONE
    kind = Content.styled(" ☐" if box else "", "$text-muted")
    label = Content(" ".join(step.title.split()))
    if width is not None:
        label = label.truncate(max(1, width - 2 - kind.cell_length), ellipsis=True)
    if status == "skipped":
        label = label.stylize("$text-muted")
    return Content.assemble(mark, " ", label, kind)


def reference_prompt(ref: Reference, status: str, width: int | None = None) -> Content:
    """`◇ title` in the muted colour; once it ran, was marked or passed by, its status
    mark after the title (`◇ kubectl get pods ✓`). Never a step's leading mark."""
    mark = Content.styled(REFERENCE_SYMBOL, "$text-muted")
    after = Content.styled(f" {symbol(status)}", colour(status))
    if status == "pending":
        after = Content("")
    label = Content.styled(" ".join(ref.title.split()), "$text-muted")
    if width is not None:
        label = label.truncate(max(1, width - 2 - after.cell_length), ellipsis=True)
    return Content.assemble(mark, " ", label, after)


def adhoc_prompt(item: AdhocItem, status: str, width: int | None = None) -> Content:
    """`✓ $ kubectl get pods`: the status mark, then the command as typed."""
    mark = Content.styled(symbol(status), colour(status))
    label = Content(" ".join(item.title.split()))
    if width is not None:
        label = label.truncate(max(1, width - 4), ellipsis=True)
    return Content.assemble(mark, " ", Content.styled("$ ", "$text-muted"), label)


def item_prompt(item: ListItem, status: str, width: int | None = None) -> Content:
    if isinstance(item, Reference):
        return reference_prompt(item, status, width)
    if isinstance(item, AdhocItem):
        return adhoc_prompt(item, status, width)
    return step_prompt(item, status, width)


def heading_prompt(title: str) -> Content:
    return Content.styled(title, "bold $text-primary")


class Row(NamedTuple):
    step: ListItem | None  # None for a section heading
    heading: str = ""


class StepList(ScrollView, can_focus=True):
    """Steps (and reference blocks) by section, then the ad-hoc commands. Enter performs
    the highlighted item (a screen action); a mouse click only highlights, so nothing
    runs by accident."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "screen.perform", "Perform", id="walk.perform"),
        Binding("up", "move(-1)", "Up", show=False),
        Binding("down", "move(1)", "Down", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("home", "edge(-1)", "First step", show=False),
        Binding("end", "edge(1)", "Last step", show=False),
        # The command box says so when a command is cut; the key works from the list.
        Binding(EXPAND_KEY, "toggle_command", "Expand command", show=False, id="walk.command"),
    ]
    COMPONENT_CLASSES: ClassVar[set[str]] = {"step-list--highlighted", "step-list--hover"}

    highlighted: reactive[int | None] = reactive(None)

    class Highlighted(Message):
        """Another item is highlighted."""

        def __init__(self, step_list: StepList, step_id: str | None) -> None:
            super().__init__()
            self.step_list = step_list
            self.step_id = step_id

        @property
        def control(self) -> StepList:
            return self.step_list

    def __init__(
        self,
        runbook: Runbook,
        *,
        statuses: Mapping[str, str] | None = None,
        selected: str | None = None,
        id: str | None = None,
    ) -> None:
        """The list with `statuses` shown and `selected` highlighted (else the first
        step) from the start, so the first frame is already the right one."""
        super().__init__(id=id)
        self.runbook = runbook
        given = statuses or {}
        self._rows = _rows(runbook)
        self._row_of = {row.step.id: i for i, row in enumerate(self._rows) if row.step is not None}
        self._statuses = {item_id: given.get(item_id, "pending") for item_id in self._row_of}
        self._step_rows = sorted(self._row_of.values())
        self._adhoc: tuple[str, ...] = ()
        self._hover: int | None = None
        self._frame: tuple[int, int | None, bool, int] = (0, None, False, 0)
        # Rendered rows: row -> {(component class, width, focused): strip}.
        self._cache: dict[int, dict[tuple[str, int, bool], Strip]] = {}
        self.virtual_size = Size(0, len(self._rows))
        first = selected or next(
            (s.id for s in runbook.main_steps or runbook.steps or runbook.references), None
        )
        if first is not None:
            self.set_reactive(StepList.highlighted, self._row_of.get(first))

    # ---- what the walk asks ----------------------------------------------------

    @property
    def selected_step_id(self) -> str | None:
        """The id of the highlighted item (a step, reference block or ad-hoc command)."""
        item = self.selected_item
        return item.id if item is not None else None

    @property
    def selected_item(self) -> ListItem | None:
        row = self._row(self.highlighted)
        return row.step if row is not None else None

    def row_of(self, step_id: str) -> int:
        """The row (from the top of the list) showing item `step_id`."""
        return self._row_of[step_id]

    def select_step(self, step_id: str) -> None:
        self.highlighted = self._row_of[step_id]

    def show_statuses(self, statuses: Mapping[str, str]) -> None:
        """Redraw the rows of items whose status changed."""
        for item_id, row in self._row_of.items():
            status = statuses.get(item_id, "pending")
            if self._statuses.get(item_id) != status:
                self._statuses[item_id] = status
                self._redraw_row(row)

    def show_adhoc(self, items: Sequence[AdhocItem]) -> None:
        """The session's ad-hoc commands, in the order they ran: new ones are added at
        the end, under their heading (the journal only ever adds them)."""
        ids = tuple(item.id for item in items)
        if ids == self._adhoc:
            return
        if not self._adhoc:
            self._rows.append(Row(None, ADHOC_HEADING))
        known = set(self._adhoc)
        for item in items:
            if item.id in known:
                continue
            self._row_of[item.id] = len(self._rows)
            self._step_rows.append(len(self._rows))
            self._statuses.setdefault(item.id, "pending")
            self._rows.append(Row(item))
        self._adhoc = ids
        self.virtual_size = Size(0, len(self._rows))
        self.refresh()

    # ---- keys and mouse --------------------------------------------------------

    def action_toggle_command(self) -> None:
        """Expand or collapse the selected step's command, shown beside the list."""
        for box in self.screen.query(CommandBox):
            box.action_toggle()

    def action_move(self, direction: int) -> None:
        self._highlight_from(self.highlighted, direction, 1)

    def action_page(self, direction: int) -> None:
        page = max(1, self.scrollable_content_region.height - 1)
        self._highlight_from(self.highlighted, direction, page)

    def action_edge(self, direction: int) -> None:
        """The first step (direction -1) or the last (1)."""
        if direction < 0:
            self._highlight_from(-1, 1, 1)
        else:
            self._highlight_from(len(self._rows), -1, 1)

    def _highlight_from(self, start: int | None, direction: int, distance: int) -> None:
        """Highlight the step `distance` rows from `start`, or the nearest step past
        it (headings are skipped); beyond either end, the step at that end."""
        steps = self._step_rows
        if not steps:
            return
        if start is None:
            start = -1 if direction > 0 else len(self._rows)
        target = start + direction * distance
        if direction > 0:
            self.highlighted = steps[min(bisect_left(steps, target), len(steps) - 1)]
        else:
            self.highlighted = steps[max(bisect_right(steps, target) - 1, 0)]

    def _on_click(self, event: events.Click) -> None:
        index = self._index_at(event)
        if index is not None and self._rows[index].step is not None:
            self.highlighted = index

    def on_mouse_move(self, event: events.MouseMove) -> None:
        index = self._index_at(event)
        if index is not None and self._rows[index].step is None:
            index = None
        if index != self._hover:
            previous, self._hover = self._hover, index
            self._redraw_row(previous)
            self._redraw_row(index)

    def on_leave(self, event: events.Leave) -> None:
        previous, self._hover = self._hover, None
        self._redraw_row(previous)

    def _index_at(self, event: events.MouseEvent) -> int | None:
        offset = event.get_content_offset(self)
        if offset is None:
            return None
        index = self.scroll_offset.y + offset.y
        return index if 0 <= index < len(self._rows) else None

    # ---- drawing ---------------------------------------------------------------

    def watch_highlighted(self, previous: int | None, index: int | None) -> None:
        self._redraw_row(previous)
        self._redraw_row(index)
        self._scroll_to_highlight()
        self.post_message(self.Highlighted(self, self.selected_step_id))

    def on_resize(self) -> None:
        self._cache.clear()  # rows of the old width are never drawn again
        self._scroll_to_highlight()

    def _scroll_to_highlight(self) -> None:
        if self.highlighted is not None and self.size.height:
            region = Region(0, self.highlighted, self.scrollable_content_region.width, 1)
            self.scroll_to_region(region, animate=False, force=True, immediate=True)

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._cache.clear()

    def _redraw_row(self, index: int | None) -> None:
        if index is None:
            return
        self._cache.pop(index, None)
        self.refresh_line(index)  # a row of the list: ScrollView subtracts the scroll

    def _row(self, index: int | None) -> Row | None:
        return self._rows[index] if index is not None and 0 <= index < len(self._rows) else None

    def render_lines(self, crop: Region) -> list[Strip]:
        # What every row of this frame needs, read once: reactive reads add up.
        self._frame = (
            self.scroll_offset.y,
            self.highlighted,
            self.has_focus,
            self.scrollable_content_region.width,
        )
        return super().render_lines(crop)

    def render_line(self, y: int) -> Strip:
        scroll_y, highlighted, focused, width = self._frame
        index = scroll_y + y
        row = self._row(index)
        if row is None:
            return Strip.blank(width, self.rich_style)
        component = ""
        if row.step is not None and index == highlighted:
            component = "step-list--highlighted"
        elif index == self._hover:
            component = "step-list--hover"
        key = (component, width, focused)
        strip = self._cache.setdefault(index, {}).get(key)
        if strip is None:
            style = self.get_visual_style(component) if component else self.get_visual_style()
            if row.step is None:
                content = heading_prompt(row.heading)
            else:
                status = self._statuses.get(row.step.id, "pending")
                content = item_prompt(row.step, status, width)
            content = content.truncate(width, ellipsis=True)
            strip = Strip(content.render_segments(style), content.cell_length)
            strip = strip.extend_cell_length(width, style.rich_style)
            self._cache[index][key] = strip
        return strip


def _rows(runbook: Runbook) -> list[Row]:
    """The main walk's steps and reference blocks by section, then the rollback
    walk's under one heading."""
    rows: list[Row] = []
    current: tuple[str, ...] | None = None
    for item in runbook.walk_items():
        if item.section != current:
            current = item.section
            if item.section:
                rows.append(Row(None, item.section[-1]))
        rows.append(Row(item))
    rollback = runbook.walk_items(rollback=True)
    if rollback:
        rows.append(Row(None, f"↺ {ROLLBACK_HEADING}"))
        rows.extend(Row(item) for item in rollback)
    return rows
