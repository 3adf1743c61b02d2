"""The step detail on its own: a tiny app composes it (as the walk screen does) and a
test calls what the screen calls. What is "on screen" is read with
`widget.render_lines(region)`, the call the compositor draws a widget with."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.app import App, ComposeResult
from textual.containers import Horizontal
from textual.geometry import Region

from runbook_tui.runbook.model import Runbook
from runbook_tui.tui import app as app_module
from runbook_tui.tui.keys_footer import KeysFooter
from runbook_tui.tui.output_view import OutputView
from runbook_tui.tui.step_detail import StepDetail
from runbook_tui.tui.step_list import StepList

from .conftest import parse_file, screen_text

BOOK = """\
# Book

## First

```sh {"name":"first"}
echo first
```

## Second

Prose for the second step. It wraps over more than one line at eighty columns, so the
output view below it is smaller once the prose is on screen. Read the migration log
before you retry: a half-applied migration must be rolled back first.

```sh {"name":"second","danger":"migrate everything now"}
./migrate --all \\
  --verbose
```
"""

LONG_OUTPUT = "".join(f"line {n}\n" for n in range(1, 500)) + "FATAL: migration 0042 failed\n"


def book(tmp_path: Path, text: str = BOOK) -> Runbook:
    path = tmp_path / "book.md"
    path.write_text(text)
    return parse_file(path)


class DetailApp(App[None]):
    """The step detail alone, filling the screen, styled as the walk styles it."""

    CSS_PATH = str(Path(app_module.__file__).with_name("app.tcss"))

    def __init__(self, runbook: Runbook, **detail: Any) -> None:
        super().__init__()
        self.runbook = runbook
        self.detail_kwargs = detail

    def compose(self) -> ComposeResult:
        yield StepDetail(self.runbook, id="detail", **self.detail_kwargs)


class WalkLikeApp(DetailApp):
    """The step list beside the step detail, and the footer, as on the walk."""

    def compose(self) -> ComposeResult:
        with Horizontal(id="walk-body"):
            yield StepList(self.runbook, id="steps")
            yield StepDetail(self.runbook, id="detail", **self.detail_kwargs)
        yield KeysFooter()

    def on_mount(self) -> None:
        self.query_one(StepList).focus()


def drawn_text(widget: Any) -> list[str]:
    """The widget's lines as drawn, border and padding included."""
    width, height = widget.outer_size
    return [strip.text for strip in widget.render_lines(Region(0, 0, width, height))]


def output_on_screen(app: App[Any]) -> list[str]:
    """The output view's lines as drawn, cut to the part inside the screen."""
    view = app.query_one(OutputView)
    visible = view.region.intersection(app.screen.region)
    top = visible.y - view.region.y
    return [line.strip() for line in drawn_text(view)[top : top + visible.height]]


async def settle(pilot: Any) -> None:
    # The prose (Markdown) is mounted after the first frame and laid out after that.
    for _ in range(3):
        await pilot.pause()


async def test_revisited_step_shows_the_end_of_its_stored_output(tmp_path):
    """Like `tail`: the FATAL line at the end is what the operator must see."""
    runbook = book(tmp_path)
    app = DetailApp(runbook)
    async with app.run_test(size=(80, 24)) as pilot:
        detail = app.query_one(StepDetail)
        await settle(pilot)
        await detail.show_step(runbook.step("first"), None, "first\n")
        await settle(pilot)
        await detail.show_step(runbook.step("second"), None, LONG_OUTPUT)
        await settle(pilot)
        shown = output_on_screen(app)
        assert "FATAL: migration 0042 failed" in shown, shown


async def test_stored_output_shown_before_the_first_layout_shows_its_end(tmp_path):
    """On resume the walk shows the selected step's output as it opens, before the
    view (or the prose above it) has its size."""
    runbook = book(tmp_path)

    class ResumedApp(DetailApp):
        async def on_mount(self) -> None:
            await self.query_one(StepDetail).show_step(runbook.step("second"), None, LONG_OUTPUT)

    app = ResumedApp(runbook)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        shown = output_on_screen(app)
        assert "FATAL: migration 0042 failed" in shown, shown


async def test_the_end_stays_in_view_when_the_terminal_is_resized(tmp_path):
    runbook = book(tmp_path)
    app = DetailApp(runbook)
    async with app.run_test(size=(80, 40)) as pilot:
        detail = app.query_one(StepDetail)
        await settle(pilot)
        await detail.show_step(runbook.step("second"), None, LONG_OUTPUT)
        await settle(pilot)
        for size in ((80, 16), (60, 24), (120, 36)):
            await pilot.resize_terminal(*size)
            await settle(pilot)
            shown = output_on_screen(app)
            assert "FATAL: migration 0042 failed" in shown, (size, shown)


LONG_COMMAND = "\n".join(
    [f"kubectl -n shop annotate deploy/api step{n}=done \\" for n in range(1, 20)]
    + ["  && kubectl -n shop rollout restart deploy/api   # LAST LINE"]
)


def command_book(tmp_path: Path) -> Runbook:
    return book(tmp_path, f'# C\n\n```sh {{"name":"long"}}\n{LONG_COMMAND}\n```\n')


async def test_a_long_command_is_cut_with_a_mark_and_c_shows_all_of_it(tmp_path):
    """The box showed 6 lines and no sign of the other 14: the end of the command
    (what it really does) could not be read before running it."""
    runbook = command_book(tmp_path)
    app = WalkLikeApp(runbook)
    async with app.run_test(size=(100, 30)) as pilot:
        detail = app.query_one(StepDetail)
        await detail.show_step(runbook.step("long"), None)
        await settle(pilot)
        text = "\n".join(screen_text(app))
        assert "+15 lines (c to expand)" in text, text
        assert "LAST LINE" not in text
        await pilot.press("c")  # from the step list, where the focus is
        await settle(pilot)
        text = "\n".join(screen_text(app))
        assert "c to collapse" in text and "step6=done" in text, text
        scroll = app.query_one("#command-scroll")
        scroll.scroll_end(animate=False, immediate=True)
        await settle(pilot)
        text = "\n".join(screen_text(app))
        assert "LAST LINE" in text, text
        await pilot.click("#command-more")  # a click on the mark collapses it again
        await settle(pilot)
        text = "\n".join(screen_text(app))
        assert "+15 lines (c to expand)" in text and "LAST LINE" not in text, text


async def test_a_short_command_has_no_mark(tmp_path):
    runbook = book(tmp_path)
    app = WalkLikeApp(runbook)
    async with app.run_test(size=(80, 24)) as pilot:
        await app.query_one(StepDetail).show_step(runbook.step("first"), None)
        await settle(pilot)
        text = "\n".join(screen_text(app))
        assert "echo first" in text and "to expand" not in text, text
        await pilot.press("c")
        await settle(pilot)
        assert "to collapse" not in "\n".join(screen_text(app))


async def test_escape_in_the_output_goes_back_to_the_step_list_and_the_footer_says_so(
    tmp_path,
):
    """After Tab into the output the arrows scroll it; nothing said how to get back."""
    runbook = book(tmp_path)
    app = WalkLikeApp(runbook)
    async with app.run_test(size=(80, 24)) as pilot:
        await app.query_one(StepDetail).show_step(runbook.step("second"), None, LONG_OUTPUT)
        await settle(pilot)
        steps, output = app.query_one(StepList), app.query_one(OutputView)
        footer = app.query_one(KeysFooter)
        assert "Back to steps" not in footer.render().plain
        output.focus()
        await settle(pilot)
        assert "esc Back to steps" in footer.render().plain
        assert "esc Back to steps" in screen_text(app)[-1]
        await pilot.press("escape")
        await settle(pilot)
        assert app.focused is steps
        assert "Back to steps" not in footer.render().plain


async def test_escape_from_any_focus_in_the_detail_goes_back_to_the_step_list(tmp_path):
    runbook = book(tmp_path)
    app = WalkLikeApp(runbook)
    async with app.run_test(size=(80, 24)) as pilot:
        await app.query_one(StepDetail).show_step(runbook.step("second"), None)
        await settle(pilot)
        detail = app.query_one(StepDetail)
        focusable = [w for w in detail.query("*") if w.focusable]
        assert focusable, "nothing in the detail takes the focus"
        for widget in focusable:
            widget.focus()
            await pilot.pause()
            await pilot.press("escape")
            await pilot.pause()
            assert isinstance(app.focused, StepList), widget


VALUES_BOOK = """\
---
title: Release
variables:
  RELEASE:
    default: "1"
  TOKEN:
    secret: true
---

# Release

- [ ] Tell #release that $RELEASE (${RELEASE}) ships; token $TOKEN, not $RELEASES or $HOME
"""


def command_text(app: App[Any]) -> str:
    return str(app.query_one("#command").render())


async def test_a_manual_step_shows_the_values_of_declared_non_secret_variables(tmp_path):
    """`$RELEASE` was shown literally; the operator needs the value to say it."""
    runbook = book(tmp_path, VALUES_BOOK)
    [step] = runbook.steps
    values = {"RELEASE": "4.2", "TOKEN": "s3cret-token", "HOME": "/root"}
    app = DetailApp(runbook, values=values)
    async with app.run_test(size=(100, 24)) as pilot:
        await app.query_one(StepDetail).show_step(step, None)
        await settle(pilot)
        shown = command_text(app)
        assert shown == (
            "☐ Tell #release that 4.2 (4.2) ships; token $TOKEN, not $RELEASES or $HOME"
        ), shown
        assert "Tell #release that 4.2 (4.2)" in "\n".join(screen_text(app))
    # On screen only: the step (what the engine records) keeps the text as written.
    assert "$RELEASE (${RELEASE})" in step.command


async def test_values_arrive_later_and_control_characters_in_them_are_escaped(tmp_path):
    runbook = book(tmp_path, VALUES_BOOK)
    [step] = runbook.steps
    app = DetailApp(runbook)
    async with app.run_test(size=(100, 24)) as pilot:
        detail = app.query_one(StepDetail)
        await detail.show_step(step, None)
        await settle(pilot)
        assert "that $RELEASE (${RELEASE})" in command_text(app)
        detail.set_values({"RELEASE": "4.2\x1b[2J\x1b]0;pwned\x07\r", "TOKEN": "s3cret"})
        await settle(pilot)
        shown = command_text(app)
        # CR reads `\\r`, as the issue decided for every printer (runbook/display.py).
        assert "that 4.2\\x1b[2J\\x1b]0;pwned\\x07\\r (" in shown, repr(shown)
        assert "\x1b" not in shown and "s3cret" not in shown
