"""The dialogs on their own, pushed over a small app: what stays on screen at the sizes
operators use (80x24 first)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual.app import App, ComposeResult
from textual.widgets import Button, Input, Static

from runbook_tui.tui import app as app_module
from runbook_tui.tui.dialogs import (
    ConfirmDialog,
    DangerDialog,
    EndSessionDialog,
    RollbackOfferDialog,
)
from runbook_tui.tui.step_detail import StepDetail

from .conftest import screen_text
from .test_step_detail import LONG_OUTPUT, WalkLikeApp, book, settle

LONG_COMMAND = "\n".join(f"psql -c 'drop table orders_{n:02d};'" for n in range(1, 41))


class BareApp(App[None]):
    CSS_PATH = str(Path(app_module.__file__).with_name("app.tcss"))

    def compose(self) -> ComposeResult:
        yield Static("the walk")


def inside_screen(app: App[Any], widget: Any) -> bool:
    return app.screen.region.contains_region(widget.region)


@pytest.mark.parametrize("size", [(80, 24), (120, 36)])
async def test_every_end_dialog_label_is_whole(size):
    """At 80x24 the last button read "esc Not ye"."""
    app = BareApp()
    async with app.run_test(size=size) as pilot:
        app.push_screen(EndSessionDialog("How did it go? The record will say so."))
        await settle(pilot)
        dialog = app.screen.query_one(".dialog")
        shown = "\n".join(screen_text(app))
        for label in ("c Completed", "f Failed", "a Aborted", "esc Not yet"):
            assert label in shown, (label, shown)
        for button in app.screen.query(Button):
            assert dialog.content_region.contains_region(button.region), button.label


async def test_the_danger_dialog_shows_the_command_it_will_run():
    app = BareApp()
    async with app.run_test(size=(80, 24)) as pilot:
        app.push_screen(
            DangerDialog("restore", "restore orders", command="pg_restore -d orders dump.tar")
        )
        await settle(pilot)
        shown = "\n".join(screen_text(app))
        assert "pg_restore -d orders dump.tar" in shown and "restore orders" in shown, shown
        assert app.screen.focused is app.screen.query_one(Input)  # typing goes to the box


async def test_a_long_command_scrolls_inside_the_danger_dialog_and_the_box_stays():
    app = BareApp()
    async with app.run_test(size=(80, 24)) as pilot:
        app.push_screen(DangerDialog("drop", "drop them all", command=LONG_COMMAND))
        await settle(pilot)
        box = app.screen.query_one(Input)
        assert inside_screen(app, box), box.region
        assert app.screen.focused is box
        shown = "\n".join(screen_text(app))
        assert "drop them all" in shown and "Enter to run" in shown, shown
        assert "orders_01" in shown and "orders_40" not in shown
        scroll = app.screen.query_one(".dialog-command")
        scroll.scroll_end(animate=False, immediate=True)
        await settle(pilot)
        assert "orders_40" in "\n".join(screen_text(app))


async def test_a_long_confirm_body_scrolls_and_the_buttons_stay_on_screen():
    app = BareApp()
    async with app.run_test(size=(80, 24)) as pilot:
        app.push_screen(ConfirmDialog(f"Run “drop”?\n\n{LONG_COMMAND}"))
        await settle(pilot)
        for button in app.screen.query(Button):
            assert inside_screen(app, button), button.label
        shown = "\n".join(screen_text(app))
        assert "y Yes, run it" in shown and "n No" in shown, shown


@pytest.mark.parametrize(
    "output",
    [
        "applying 0042\nERROR: relation orders_v2 exists\nFATAL: migration 0042 failed\n",
        LONG_OUTPUT,
    ],
    ids=["short", "long"],
)
async def test_the_step_failed_dialog_leaves_the_end_of_the_output_in_view(tmp_path, output):
    """The operator chooses rollback or retry: the error must stay readable. Centred,
    the dialog covered the output's first lines, where a short output ends."""
    runbook = book(tmp_path)
    app = WalkLikeApp(runbook)
    async with app.run_test(size=(80, 24)) as pilot:
        detail = app.query_one(StepDetail)
        await detail.show_step(runbook.step("second"), None, output)
        await settle(pilot)
        assert "FATAL: migration 0042 failed" in "\n".join(screen_text(app))
        app.push_screen(
            RollbackOfferDialog(
                "“second” failed (exit 3): exit 3, expected 0.\n\n"
                "Switch to the rollback steps, retry, or stay here?"
            )
        )
        await settle(pilot)
        shown = screen_text(app)
        assert any("FATAL: migration 0042 failed" in line for line in shown), "\n".join(shown)
        assert any("r Retry" in line for line in shown)
