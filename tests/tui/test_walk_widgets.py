"""The walk's own widgets (step list, tab bar, footer), the masked runbook copy and the
terminal watch, at their edges: long and odd titles, a scrolled list, narrow footers,
resizes, themes, a hung-up terminal. Each test drives the real app (or function).

What is "on screen" is read with `widget.render_lines(region)`: the compositor draws a
widget with exactly that call, which returns the lines Textual's styles cache holds
and renders again only the lines marked dirty. `widget.render_line(y)` renders a row
afresh (what the screen should show)."""

from __future__ import annotations

import io
import os
import sys
from pathlib import Path
from typing import Any

from rich.cells import cell_len
from textual.geometry import Region

from runbook_tui.tui import terminal
from runbook_tui.tui.keys_footer import KeysFooter
from runbook_tui.tui.step_detail import StepDetail
from runbook_tui.tui.step_list import StepList, step_prompt
from runbook_tui.tui.tab_bar import TabBar

from .conftest import perform, select, wait_status, walk_screen
from .test_step_detail import output_on_screen

# ---- helpers ----------------------------------------------------------------------


def long_runbook(tmp_path: Path, steps: int = 60, last: str = "exit 3") -> Path:
    """`steps` shell steps in three sections (more rows than a 24-line screen shows);
    the last one runs `last`. No rollback steps, so a failure opens no dialog."""
    parts = ["# Long\n"]
    per = steps // 3
    for n in range(1, steps + 1):
        if (n - 1) % per == 0:
            parts.append(f"\n## Part {(n - 1) // per}\n")
        command = last if n == steps else f"echo {n}"
        parts.append(f'\n```sh {{"name":"s{n:03d}"}}\n{command}\n```\n')
    path = tmp_path / "long.md"
    path.write_text("".join(parts))
    return path


def write(tmp_path: Path, text: str, name: str = "book.md") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def drawn(widget: Any) -> list[Any]:
    """The widget's lines as the compositor gets them (cached unless marked dirty)."""
    return widget.render_lines(Region(0, 0, widget.size.width, widget.size.height))


def drawn_text(widget: Any) -> list[str]:
    return [strip.text for strip in drawn(widget)]


def on_screen(steps: StepList, step_id: str) -> int:
    """The screen line (within the list) of `step_id`'s row."""
    return steps.row_of(step_id) - steps.scroll_offset.y


def background(strip: Any) -> Any:
    return next(seg.style.bgcolor for seg in strip if seg.style is not None)


def highlight_visible(steps: StepList) -> bool:
    assert steps.highlighted is not None
    y = steps.highlighted - steps.scroll_offset.y
    return 0 <= y < steps.scrollable_content_region.height


# A failing step with more output than the view holds, under prose that wraps.
REVISIT_BOOK = """# B

## One

Some prose that is long enough to wrap at eighty columns, more text here and more text
here and still more so the prose takes three lines at least in the detail view here.

```sh {"name":"long"}
seq 1 499; echo FATAL; exit 1
```

## Two

```sh {"name":"other"}
echo other
```
"""

# ---- found broken in review, fixed -----------------------------------------------------


async def test_a_status_change_is_drawn_on_a_visible_row_when_the_list_is_scrolled(
    make_app, tmp_path
):
    """03:00, the last step of a long runbook fails: the list must show ✗ on it."""
    app = make_app(long_runbook(tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        walk = await walk_screen(app, pilot)
        steps = walk.query_one(StepList)
        await pilot.press("end")
        assert steps.selected_step_id == "s060" and steps.scroll_offset.y > 0
        await pilot.press("enter")
        await wait_status(walk, "s060", "failed")
        await walk.wait_until(lambda: not walk.step_running)
        await pilot.pause()
        row = drawn_text(steps)[on_screen(steps, "s060")]
        assert row.startswith("✗ s060"), row  # it still shows "○ s060"


async def test_hovering_a_row_is_drawn_when_the_list_is_scrolled(make_app, tmp_path):
    app = make_app(long_runbook(tmp_path, last="echo last"))
    async with app.run_test(size=(80, 24)) as pilot:
        walk = await walk_screen(app, pilot)
        steps = walk.query_one(StepList)
        await pilot.press("end")
        assert steps.scroll_offset.y > 0
        y = on_screen(steps, "s055")
        await pilot.hover(StepList, offset=(3, y))
        await pilot.pause()
        assert steps._hover == steps.row_of("s055")
        lines = drawn(steps)
        plain = background(lines[on_screen(steps, "s054")])
        assert background(lines[y]) != plain  # drawn without the hover mark
        assert background(lines[y]) == background(steps.render_line(y))


async def test_a_long_manual_title_keeps_its_manual_mark(make_app):
    """The `☐` tells a manual step from a shell step; the cut must take the title."""
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        walk = await walk_screen(app, pilot)
        steps = walk.query_one(StepList)
        manual = next(s for s in walk.runbook.steps if s.kind == "manual")
        row = drawn_text(steps)[on_screen(steps, manual.id)]
        assert "…" in row  # "Tell #incident that writes are paused" is cut
        assert "☐" in row, row


async def test_a_done_manual_row_shows_its_status_mark_without_the_empty_box(make_app):
    """`✓ … ☐` reads as done and not done at once: the box is for what is still to do."""
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        walk = await walk_screen(app, pilot)
        steps = walk.query_one(StepList)
        manual = next(s for s in walk.runbook.steps if s.kind == "manual")
        await perform(pilot, walk, manual.id, "succeeded")
        await pilot.pause()
        row = drawn_text(steps)[on_screen(steps, manual.id)]
        assert row.startswith("✓ Tell #incident") and "☐" not in row, row
    for status in ("succeeded", "skipped"):
        assert "☐" not in step_prompt(manual, status, 28).plain, status
    assert step_prompt(manual, "pending", 28).plain.endswith(" ☐")


async def test_tabs_and_newlines_in_a_title_never_reach_the_terminal(make_app, tmp_path):
    """A raw tab or newline in a row's strip moves the terminal's cursor: the row then
    spills into the step detail. OptionList expanded tabs and split lines."""
    path = write(
        tmp_path,
        '# T\n\n```sh\necho\tone\ttwo\n```\n\n```sh {"name":"line one\\nline two"}\necho b\n```\n',
    )
    app = make_app(path)
    async with app.run_test(size=(80, 24)) as pilot:
        walk = await walk_screen(app, pilot)
        steps = walk.query_one(StepList)
        for step in walk.runbook.steps:
            row = drawn_text(steps)[on_screen(steps, step.id)]
            assert "\t" not in row and "\n" not in row, repr(row)


async def test_the_footer_never_wraps_the_palette_key_off_its_line(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        walk = await walk_screen(app, pilot)
        await walk.wait_until(lambda: walk.started)
        footer = walk.query_one(KeysFooter)
        wrapped = []
        # With the keys shown before any step runs, 45, 51, 58 and 65 columns are the
        # widths where the left keys end one cell short of the palette key.
        for width in (44, 45, 46, 51, 58, 60, 65, 80, 100, 120):
            await pilot.resize_terminal(width, 24)
            await pilot.pause()
            line = drawn_text(footer)[0]
            if footer.render().cell_length > footer.size.width or "palette" not in line:
                wrapped.append((width, line))
        assert wrapped == []  # one cell too wide: "palette" wraps onto a hidden line


async def test_a_crowded_footer_leaves_keys_out_but_keeps_help_and_quit(make_app):
    """Too many keys for the width: the last ones are left out, never `?` (which lists
    them all) and `q`; a click on the kept `q` presses it."""
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        walk = await walk_screen(app, pilot)
        footer = walk.query_one(KeysFooter)
        for width in (60, 70, 80):
            await pilot.resize_terminal(width, 24)
            await walk.wait_until(lambda: footer.drawn == footer.keys_shown())
            await pilot.pause()
            line = drawn_text(footer)[0]
            assert "? Keys" in line and "q Quit" in line and "palette" in line, line
            assert line.index("Perform") < line.index("? Keys") < line.index("q Quit")
        shown = [key.description for *_span, key in footer._spans]
        assert len(shown) < len(footer.keys_shown())  # some were left out at 80
        start = next(span[0] for span in footer._spans if span[2].key == "q")
        await pilot.click(KeysFooter, offset=(start, 0))
        await pilot.pause()
        assert not app.is_running  # quit: the session was paused, nothing running


async def test_the_footer_shows_each_action_once(make_app):
    """One key per action, as Textual's Footer had it: `x,ctrl+c` is one Cancel."""
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        walk = await walk_screen(app, pilot)
        await perform(pilot, walk, "wait-replica", "running")
        footer = walk.query_one(KeysFooter)
        await walk.wait_until(lambda: footer.drawn == footer.keys_shown())
        await pilot.pause()
        line = drawn_text(footer)[0]
        try:
            assert line.count("Cancel step") == 1, line
        finally:
            await pilot.press("x")
            await walk.wait_until(lambda: not walk.step_running)


async def test_a_click_on_any_cell_of_a_tab_label_shows_that_tab(make_app):
    """The tab bar has `padding: 0 1`; the click must be read in the same coordinates
    as the labels were laid out."""
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        walk = await walk_screen(app, pilot)
        bar = walk.query_one(TabBar)
        line = drawn_text(bar)[0]
        start = line.index(" Logs ")
        missed = []
        for x in range(start, start + len(" Logs ")):
            await walk.show_tab("tab-step")
            await pilot.click(TabBar, offset=(x, 0))
            if walk.active_tab != "tab-logs":
                missed.append(x)
        await walk.show_tab("tab-step")
        await pilot.click(TabBar, offset=(start - 1, 0))  # the gap before " Logs "
        gap = walk.active_tab
        assert missed == [] and gap == "tab-step", (missed, gap)


async def test_section_headings_are_masked_like_the_title(make_app, tmp_path):
    """The header masks the runbook's title; the list's headings and the detail's
    section line must mask a section heading (and a token in it) the same way."""
    token = "ghp_" + "a1B2" * 10
    path = write(
        tmp_path,
        '# Rotate password=hunter2hunter2\n\n```sh {"name":"first"}\necho a\n```\n\n'
        f'## Use {token}\n\n```sh {{"name":"second"}}\necho b\n```\n',
    )
    app = make_app(path)
    async with app.run_test(size=(120, 30)) as pilot:
        walk = await walk_screen(app, pilot)
        steps = walk.query_one(StepList)
        await select(pilot, walk, "second")
        await walk.wait_until(lambda: bool(walk.query("#prose")))
        await pilot.pause()
        shown = [*drawn_text(steps), walk.query_one("#prose").source]
        for text in shown:
            assert "hunter2" not in text and "a1B2a1B2" not in text, text


async def test_a_runbook_of_only_rollback_steps_opens_on_its_first_step(make_app, tmp_path):
    """A runbook of rollback steps only opens on its first step, as OptionList did
    (else nothing is selected, the detail is empty and Enter does nothing)."""
    path = write(tmp_path, '# R\n\n## Rollback\n\n```sh {"name":"undo"}\necho undo\n```\n')
    app = make_app(path)
    async with app.run_test(size=(80, 24)) as pilot:
        walk = await walk_screen(app, pilot)
        assert walk.runbook.main_steps == ()
        assert walk.query_one(StepList).selected_step_id == "undo"
        assert walk.query_one(StepDetail).step_id == "undo"


def test_terminal_present_looks_at_the_terminal_textual_draws_on(tmp_path, monkeypatch):
    """Textual reads stdin and draws on stderr. With stdout redirected
    (`runbook-tui FILE > log`) the UI still runs on the terminal, so terminal_present()
    must say so, or the watch never starts and a hang-up under make spins again."""
    master, slave = os.openpty()
    try:
        tty = io.FileIO(slave, "r+", closefd=False)
        monkeypatch.setattr(sys, "__stdin__", tty)
        monkeypatch.setattr(sys, "__stderr__", tty)
        monkeypatch.setattr(sys, "__stdout__", (tmp_path / "out.log").open("w"))
        assert terminal.terminal_present()
    finally:
        sys.__stdout__.close()
        os.close(master)
        os.close(slave)


async def test_a_failed_step_selected_again_shows_the_end_of_its_output(make_app, tmp_path):
    """Revisiting a step shows its stored output from the end, as `tail` would: the
    prose laid out after the output was written made the view smaller and cut the
    FATAL line off."""
    path = write(tmp_path, REVISIT_BOOK)
    app = make_app(path)
    async with app.run_test(size=(80, 24)) as pilot:
        walk = await walk_screen(app, pilot)
        await perform(pilot, walk, "long", "failed")
        await walk.wait_until(lambda: not walk.step_running)
        await select(pilot, walk, "other")
        await select(pilot, walk, "long")
        for _ in range(3):
            await pilot.pause()
        shown = output_on_screen(app)
        assert "FATAL" in shown, shown


# ---- held up in review ------------------------------------------------------------------


async def test_the_highlight_stays_in_view_after_paging_selecting_and_resizing(make_app, tmp_path):
    app = make_app(long_runbook(tmp_path, steps=90, last="echo last"))
    async with app.run_test(size=(80, 24)) as pilot:
        walk = await walk_screen(app, pilot)
        steps = walk.query_one(StepList)
        for key in ("pagedown", "pagedown", "end", "pageup", "home", "pagedown", "up"):
            await pilot.press(key)
            assert steps.selected_step_id is not None, key
            assert highlight_visible(steps), key
        steps.select_step("s080")  # as _advance_from does
        await pilot.pause()
        assert highlight_visible(steps)
        for size in ((200, 50), (80, 24), (80, 12)):
            await pilot.resize_terminal(*size)
            await pilot.pause()
            assert highlight_visible(steps), size
        steps.select_step("s001")
        await pilot.pause()
        assert highlight_visible(steps)


async def test_a_status_changed_off_screen_is_drawn_when_scrolled_back(make_app, tmp_path):
    app = make_app(long_runbook(tmp_path, last="echo last"))
    async with app.run_test(size=(80, 24)) as pilot:
        walk = await walk_screen(app, pilot)
        steps = walk.query_one(StepList)
        assert steps.scroll_offset.y == 0
        steps.show_statuses({"s060": "failed"})
        await pilot.pause()
        await pilot.press("end")
        await pilot.pause()
        assert drawn_text(steps)[on_screen(steps, "s060")].startswith("✗ s060")


async def test_the_highlight_is_drawn_blurred_without_focus_and_focused_again(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        walk = await walk_screen(app, pilot)
        steps = walk.query_one(StepList)
        y = steps.highlighted - steps.scroll_offset.y
        focused = background(drawn(steps)[y])
        app.set_focus(None)
        await pilot.pause()
        blurred = background(drawn(steps)[y])
        assert blurred != focused
        steps.focus()
        await pilot.pause()
        assert background(drawn(steps)[y]) == focused


async def test_a_theme_change_redraws_the_cached_rows(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        walk = await walk_screen(app, pilot)
        steps = walk.query_one(StepList)
        y = on_screen(steps, "check-disk")
        dark = background(drawn(steps)[y])
        app.theme = "textual-light"
        await pilot.pause()
        light = drawn(steps)[y]
        assert background(light) != dark
        assert background(light) == background(steps.render_line(y))


async def test_wide_characters_are_cut_by_cell_width(make_app, tmp_path):
    path = write(
        tmp_path,
        '# W\n\n```sh {"name":"数据库恢复数据库恢复数据库恢复数据库恢复"}\necho a\n```\n\n'
        '```sh {"name":"🚀🚀🚀🚀🚀🚀🚀🚀🚀🚀🚀🚀🚀🚀🚀🚀🚀🚀"}\necho b\n```\n',
    )
    app = make_app(path)
    async with app.run_test(size=(80, 24)) as pilot:
        walk = await walk_screen(app, pilot)
        steps = walk.query_one(StepList)
        width = steps.scrollable_content_region.width
        for step in walk.runbook.steps:
            row = drawn_text(steps)[on_screen(steps, step.id)]
            assert row.rstrip().endswith("…"), row
            assert cell_len(row[:width]) == width, row


async def test_pressing_2_then_wide_then_narrow_shows_the_step_tab(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        walk = await walk_screen(app, pilot)
        bar = walk.query_one(TabBar)
        await pilot.press("2")
        assert walk.active_tab == "tab-logs"
        await pilot.resize_terminal(200, 50)
        await pilot.pause()
        assert walk.has_class("-wide") and not bar.display
        assert walk.query_one("#tab-step").display
        await pilot.press("3")  # no tabs in the wide layout
        assert walk.active_tab == "tab-step"
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        assert not walk.has_class("-wide") and bar.display
        assert walk.active_tab == "tab-step" and walk.query_one("#tab-step").display
        await pilot.press("2")
        assert walk.query_one("#tab-logs").display


async def test_the_footer_shows_what_changed_while_a_dialog_was_open(make_app, tmp_path):
    path = write(
        tmp_path,
        '# T\n\n```sh {"name":"slow"}\nsleep 1; echo done\n```\n\n'
        '```sh {"name":"next"}\necho next\n```\n',
    )
    app = make_app(path)
    async with app.run_test(size=(100, 24)) as pilot:
        walk = await walk_screen(app, pilot)
        footer = walk.query_one(KeysFooter)
        await pilot.press("enter")
        await wait_status(walk, "slow", "running")
        await pilot.press("n")  # a note dialog stays open while the step ends
        await wait_status(walk, "slow", "succeeded")
        await walk.wait_until(lambda: not walk.step_running)
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is walk
        await walk.wait_until(lambda: footer.drawn == footer.keys_shown())
        await pilot.pause()
        line = drawn_text(footer)[0]
        assert "⏎ Perform" in line and "Cancel step" not in line, line


async def test_a_runbook_without_steps_opens_and_keys_do_nothing(make_app, tmp_path):
    app = make_app(write(tmp_path, "# Nothing\n\nJust prose.\n"))
    async with app.run_test(size=(80, 24)) as pilot:
        walk = await walk_screen(app, pilot)
        await walk.wait_until(lambda: walk.started)
        await pilot.press("down", "end", "home", "pagedown", "enter")
        await pilot.pause()
        assert app.screen is walk and walk.selected_step is None
        assert "Perform" not in drawn_text(walk.query_one(KeysFooter))[0]


def test_terminal_present_is_false_once_the_terminal_hangs_up(monkeypatch):
    master, slave = os.openpty()
    tty = io.FileIO(slave, "r+", closefd=False)
    for name in ("__stdin__", "__stdout__", "__stderr__"):
        monkeypatch.setattr(sys, name, tty)
    try:
        assert terminal.terminal_present()
        os.close(master)  # the terminal emulator (tmux, sshd) is gone
        assert not terminal.terminal_present()
    finally:
        os.close(slave)


def test_the_terminal_watch_hangs_up_only_while_the_app_runs(monkeypatch):
    looks = iter([True, True, False])
    monkeypatch.setattr(terminal, "terminal_present", lambda: next(looks))
    monkeypatch.setattr(terminal, "POLL_SECONDS", 0.001)
    hung_up: list[bool] = []
    terminal.watch_terminal(lambda: True, lambda: hung_up.append(True))
    assert hung_up == [True]
    # The app ended on its own: the watch just stops.
    looks = iter([False])
    terminal.watch_terminal(lambda: False, lambda: hung_up.append(True))
    assert hung_up == [True]
