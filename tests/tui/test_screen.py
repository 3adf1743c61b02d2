"""The screen around the walk: header, layouts, help and the command palette."""

from __future__ import annotations

from textual.command import CommandList, CommandPalette

from runbook_tui.tui.commands import WalkCommands
from runbook_tui.tui.dialogs import HelpDialog, TextDialog
from runbook_tui.tui.keys_footer import KeysFooter
from runbook_tui.tui.step_list import StepList
from runbook_tui.tui.tab_bar import TabBar
from runbook_tui.tui.walk_header import WalkHeader

from .conftest import perform, wait_status, walk_screen


async def test_header_shows_title_kind_session_and_drill_clock_against_rto(make_app):
    now = [0.0]
    app = make_app(drill=True, clock=lambda: now[0])
    async with app.run_test(size=(120, 24)) as pilot:
        walk = await walk_screen(app, pilot)
        start = walk.session_opened_at
        now[0] = start + 65
        walk.update_header()
        header = walk.query_one(WalkHeader)
        text = header.text
        assert "Restore the orders database" in text and "restore" in text
        assert walk.engine.session_id in text
        assert "DRILL" in text and "0:01:05 / RTO 0:30:00" in text
        assert not header.has_class("-rto-near")
        now[0] = start + 25 * 60
        walk.update_header()
        assert header.has_class("-rto-near")
        now[0] = start + 31 * 60
        walk.update_header()
        assert header.has_class("-rto-over") and not header.has_class("-rto-near")


async def test_narrow_screen_puts_evidence_in_tabs(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        walk = await walk_screen(app, pilot)
        assert not walk.has_class("-wide")
        assert not walk.query_one("#evidence-column").display
        await pilot.press("3")
        assert walk.active_tab == "tab-services"
        assert "api" in str(walk.query(".evidence-services .evidence-item").first().render())
        await pilot.press("1")
        assert walk.active_tab == "tab-step"


async def test_a_click_on_a_tab_shows_its_pane(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        walk = await walk_screen(app, pilot)
        bar = walk.query_one(TabBar)
        assert "Backups" in str(bar.render())
        x = next(start for start, _end, tab in bar._spans if tab == "tab-backups")
        await pilot.click(TabBar, offset=(x + bar.styles.padding.left + 1, 0))
        assert walk.active_tab == "tab-backups"
        assert walk.query_one("#tab-backups").display
        assert not walk.query_one("#tab-step").display
        assert walk.query(".evidence-backups")


async def test_footer_shows_the_keys_that_apply_now_and_a_click_presses_one(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        walk = await walk_screen(app, pilot)
        footer = walk.query_one(KeysFooter)
        await walk.wait_until(lambda: footer.drawn == footer.keys_shown())
        line = str(footer.render())
        assert "⏎ Perform" in line and "s Skip" in line and "n Note" in line
        assert "palette" in line and "Cancel" not in line  # nothing runs yet
        x = next(start for start, _end, key in footer._spans if key.key == "n")
        await pilot.click(KeysFooter, offset=(x, 0))
        await pilot.pause()
        assert isinstance(app.screen, TextDialog)


async def test_wide_screen_shows_evidence_beside_the_walk(make_app):
    app = make_app()
    async with app.run_test(size=(200, 50)) as pilot:
        walk = await walk_screen(app, pilot)
        assert walk.has_class("-wide")
        column = walk.query_one("#evidence-column")
        assert column.display and column.region.width > 0
        titles = [panel.border_title for panel in column.children]
        assert titles == ["Logs", "Services", "Backups"]


async def test_question_mark_lists_every_key(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await walk_screen(app, pilot)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpDialog)
        keys = [key.strip() for key, _ in app.screen.rows]
        # The screen's keys, and the step detail's own (Escape, c) too.
        for key in ("⏎", "s", "n", "x ^c", "r", "b", "e", "?", "q", "c", "esc", "f", "/", "t"):
            assert key in keys
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpDialog)


async def test_command_palette_offers_the_actions_that_apply_now(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        walk = await walk_screen(app, pilot)
        provider = WalkCommands(walk)
        titles = [title for title, _help, _action in provider._commands()]
        assert "Skip (s)" in titles and "Note (n)" in titles
        assert not any(t.startswith("Cancel step") for t in titles)  # nothing runs
        await perform(pilot, walk, "wait-replica", "running")
        titles = [title for title, _help, _action in provider._commands()]
        assert "Cancel step (x)" in titles
        # Choosing it from the palette cancels the step.
        await pilot.press("ctrl+p")
        assert isinstance(app.screen, CommandPalette)
        palette = app.screen
        await pilot.press(*"cancel step")
        # The palette searches in a worker: wait for it (an empty list would mean every
        # worker, the running step's too), then the match must be first.
        searches = [w for w in app.workers if w.node is palette]
        if searches:
            await app.workers.wait_for_complete(searches)
        await pilot.pause()
        results = palette.query_one(CommandList)
        assert results.highlighted == 0 and results.option_count >= 1
        assert "Cancel step" in str(results.get_option_at_index(0).prompt)
        await pilot.press("enter")
        await wait_status(walk, "wait-replica", "failed")
        await walk.wait_until(lambda: not walk.step_running)


async def test_output_never_takes_focus_from_the_step_list(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        walk = await walk_screen(app, pilot)
        await perform(pilot, walk, "wait-replica", "running")
        await walk.wait_until(lambda: walk.query_one("#output").line_count > 0)
        assert app.focused is walk.query_one("#steps")
        await pilot.press("x")
        await walk.wait_until(lambda: not walk.step_running)
        assert app.focused is walk.query_one("#steps")


async def test_step_list_keys_skip_headings_and_a_long_title_is_named_in_the_detail(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        walk = await walk_screen(app, pilot)
        steps = walk.query_one(StepList)
        ids = [s.id for s in walk.runbook.main_steps]
        await pilot.press("home")
        assert steps.selected_step_id == ids[0]
        await pilot.press("down")
        assert steps.selected_step_id == ids[1]
        await pilot.press("end")
        last = (walk.runbook.rollback_steps or walk.runbook.main_steps)[-1]
        assert steps.selected_step_id == last.id
        await pilot.press("up", "home", "up")
        assert steps.selected_step_id == ids[0]  # nothing above the first step
        await pilot.press("pagedown")
        assert steps.selected_step_id is not None  # never a heading
        status = str(walk.query_one("#step-status").render())
        step = walk.selected_step
        # At this size a page down lands on the last (shell) step: its title is named.
        assert step is not None and step.kind == "shell", step
        assert step.title in status


async def test_hovering_a_step_marks_it_and_a_heading_is_never_marked(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        walk = await walk_screen(app, pilot)
        steps = walk.query_one(StepList)
        row = steps.row_of("stop-writes")
        await pilot.hover(StepList, offset=(3, row))
        assert steps._hover == row
        await pilot.hover(StepList, offset=(3, row - 1))  # the "Restore" heading
        assert steps._hover is None
        await pilot.hover(KeysFooter, offset=(1, 0))
        assert steps._hover is None
