"""The output view: bounded, chunk-agnostic, colours parsed only when shown."""

from __future__ import annotations

from textual.app import App, ComposeResult

from runbook_tui.tui.output_view import OutputView, visible_text


class OutputApp(App[None]):
    def compose(self) -> ComposeResult:
        yield OutputView(max_lines=100, id="out")


async def test_keeps_only_the_last_max_lines_and_follows_the_end():
    app = OutputApp()
    async with app.run_test(size=(40, 10)) as pilot:
        view = app.query_one(OutputView)
        view.write("".join(f"line {i}\n" for i in range(1, 1001)))
        await pilot.pause()
        assert view.line_count == 100
        assert view.plain_lines[0] == "line 901"
        assert view.plain_lines[-1] == "line 1000"
        assert view.is_vertical_scroll_end


async def test_lines_split_across_chunks_join_up():
    app = OutputApp()
    async with app.run_test(size=(40, 10)) as pilot:
        view = app.query_one(OutputView)
        for chunk in ("hel", "lo wo", "rld\r\nsecond", " line\n", "partial"):
            view.write(chunk)
        await pilot.pause()
        assert view.plain_lines == ["hello world", "second line", "partial"]


async def test_carriage_return_shows_the_redrawn_progress_line():
    app = OutputApp()
    async with app.run_test(size=(40, 10)):
        view = app.query_one(OutputView)
        view.write("10%\r50%\r100%\ndone\n")
        assert view.plain_lines == ["100%", "done"]


async def test_only_visible_lines_are_parsed_and_they_keep_their_colours():
    app = OutputApp()
    async with app.run_test(size=(40, 10)) as pilot:
        view = app.query_one(OutputView)
        view.write("".join(f"\x1b[31mred {i}\x1b[0m\n" for i in range(100)))
        await pilot.pause()
        # Rendering happened for the screenful at the end, not for all 100 lines.
        assert 0 < len(view._cache) <= view.size.height
        strip = view.render_line(view.size.height - 1)
        red = next(seg for seg in strip if seg.text.startswith("red"))
        assert red.style is not None and red.style.color is not None
        assert red.style.color.number == 1


async def test_scrolled_up_view_stays_put_while_output_arrives():
    app = OutputApp()
    async with app.run_test(size=(40, 10)) as pilot:
        view = app.query_one(OutputView)
        view.write("".join(f"{i}\n" for i in range(50)))
        await pilot.pause()
        view.scroll_to(y=0, animate=False, immediate=True)
        view.write("more\n")
        await pilot.pause()
        assert view.scroll_offset.y == 0


def test_visible_text_drops_escape_sequences():
    assert visible_text("\x1b[1;32mok\x1b[0m \x1b]0;title\x07x") == "ok x"


async def test_a_view_scrolled_up_stays_put_on_resize_and_follows_again_at_the_end():
    app = OutputApp()
    async with app.run_test(size=(40, 10)) as pilot:
        view = app.query_one(OutputView)
        view.show("".join(f"{i}\n" for i in range(50)))
        await pilot.pause()
        view.scroll_to(y=5, animate=False, immediate=True)
        await pilot.resize_terminal(40, 6)
        await pilot.pause()
        assert view.scroll_offset.y == 5  # the operator is reading: left where it was
        view.scroll_end(animate=False, immediate=True)
        await pilot.resize_terminal(40, 8)
        await pilot.pause()
        view.write("more\n")
        await pilot.resize_terminal(40, 5)
        await pilot.pause()
        assert view.is_vertical_scroll_end and view.plain_lines[-1] == "more"
