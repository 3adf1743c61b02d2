"""Opened on the picker (`runbook-tui`, `runbook-tui demo`), leaving a runbook goes back
to the picker: a walk ended at its end, a walk left with `q` (paused), a resume offer
or a variables form backed out of. `q` in the picker quits, and the terminal gets what
each walk left to say. Opened on a FILE, leaving the walk still ends the app."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import DataTable, Static

from runbook_tui.tui.app import RunbookApp
from runbook_tui.tui.dialogs import ResumeOfferDialog
from runbook_tui.tui.keys_footer import KeysFooter
from runbook_tui.tui.picker import PickerScreen
from runbook_tui.tui.summary import WalkOverDialog

from .conftest import of_type, parse_file, walk_screen

DEPLOY = """\
---
title: Deploy the shop
kind: deploy
---

# Deploy the shop

```sh {"name":"deploy"}
echo deployed
```
"""

RESTORE = """\
---
title: Restore the shop
kind: restore
variables:
  BACKUP:
    prompt: Backup to restore
---

# Restore the shop

```sh {"name":"restore"}
echo "restored $BACKUP"
```
"""


async def until(pilot: Any, holds: Callable[[], bool], what: str) -> None:
    """Let the app run until `holds()`; the deadline only guards against a hang."""
    deadline = time.monotonic() + 30
    while not holds():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await pilot.pause()


async def back_at_picker(app: RunbookApp, pilot: Any) -> PickerScreen:
    await until(pilot, lambda: isinstance(app.screen, PickerScreen), "the picker")
    assert app.is_running and app.walk is None
    assert isinstance(app.screen, PickerScreen)
    return app.screen


def footer_says(walk: Any, key: str) -> str:
    """The footer's word for `key` in the walk."""
    footer = walk.query_one(KeysFooter)
    return next(k.description for k in footer.keys_shown() if k.key == key)


def folder_of_two(tmp_path: Path) -> Path:
    folder = tmp_path / "runbooks"
    folder.mkdir()
    (folder / "a-deploy.md").write_text(DEPLOY)
    (folder / "b-restore.md").write_text(RESTORE)
    return folder


def sessions(home: Path) -> list[list[dict[str, Any]]]:
    """Each session's journal, oldest first (by when it started)."""
    import json

    journals = [
        [json.loads(line) for line in (d / "journal.jsonl").read_text().splitlines()]
        for d in (home / "sessions").iterdir()
    ]
    return sorted(journals, key=lambda events: events[0]["ts"])


async def test_a_walk_ended_and_a_walk_quit_go_back_to_the_picker(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = folder_of_two(tmp_path)
    home = tmp_path / "home"
    app = RunbookApp(home=home, runbook_dir=folder)
    async with app.run_test(size=(100, 30)) as pilot:
        picker = await back_at_picker(app, pilot)
        assert picker.query_one(DataTable).get_row_at(0)[2] == "never run"
        await pilot.press("enter")  # the deploy, walked to its end
        walk = await walk_screen(app, pilot)
        await pilot.press("enter")
        await walk.wait_until(lambda: isinstance(app.screen, WalkOverDialog))
        await pilot.press("enter")  # end the session: completed

        picker = await back_at_picker(app, pilot)
        # The picker is read again: the deploy has a last run now.
        assert picker.query_one(DataTable).get_row_at(0)[2].startswith("20")
        note = picker.query_one("#picker-note", Static)
        assert "ended: completed" in str(note.render())

        await pilot.press("down", "enter")  # the restore: its variables form, then the walk
        await until(pilot, lambda: app.screen.__class__.__name__ == "VariablesScreen", "form")
        await pilot.press(*"b-17", "ctrl+s")
        walk = await walk_screen(app, pilot)
        assert walk.runbook.title == "Restore the shop"
        assert footer_says(walk, "q") == "Back"  # where q goes from here
        await pilot.press("q")  # paused, back to the picker
        await back_at_picker(app, pilot)
        await pilot.press("q")
        await until(pilot, lambda: not app.is_running, "the app to end")

    deploy, restore = sessions(home)
    assert of_type(deploy, "session_ended")[0]["status"] == "completed"
    assert of_type(restore, "session_ended")[0]["status"] == "paused"
    # What each walk said on leaving is on the terminal once the app is left.
    said = capsys.readouterr().err  # Textual prints the exit message once the app ends
    assert f"Session {deploy[0]['session_id']} ended: completed." in said
    assert f"Session {restore[0]['session_id']} is kept." in said


async def test_backing_out_of_the_resume_offer_and_the_form_goes_back_too(
    tmp_path: Path,
) -> None:
    folder = folder_of_two(tmp_path)
    home = tmp_path / "home"
    app = RunbookApp(home=home, runbook_dir=folder)
    async with app.run_test(size=(100, 30)) as pilot:
        await back_at_picker(app, pilot)
        await pilot.press("enter")
        await walk_screen(app, pilot)
        await pilot.press("q")  # the deploy is paused
        await back_at_picker(app, pilot)
        await pilot.press("enter")  # its resume offer
        await until(pilot, lambda: isinstance(app.screen, ResumeOfferDialog), "offer")
        assert "esc Back to the runbooks" in str(app.screen.query_one("#choice-resume-quit").label)
        await pilot.press("escape")
        await back_at_picker(app, pilot)
        await pilot.press("down", "enter")
        await until(pilot, lambda: app.screen.__class__.__name__ == "VariablesScreen", "form")
        await pilot.press("escape")
        await back_at_picker(app, pilot)
        assert len(sessions(home)) == 1  # neither started one
        await pilot.press("enter", "r")  # resume it, from the picker, in this same process
        walk = await walk_screen(app, pilot)
        assert walk.engine.session_id == sessions(home)[0][0]["session_id"]


async def test_opened_on_a_file_leaving_the_walk_ends_the_app(tmp_path: Path) -> None:
    path = folder_of_two(tmp_path) / "a-deploy.md"
    app = RunbookApp(home=tmp_path / "home", runbook=parse_file(path))
    async with app.run_test(size=(100, 30)) as pilot:
        walk = await walk_screen(app, pilot)
        assert footer_says(walk, "q") == "Quit"
        await pilot.press("q")
        await until(pilot, lambda: not app.is_running, "the app to end")


async def test_a_walk_left_while_its_prose_is_still_shown_goes_back_cleanly(
    tmp_path: Path,
) -> None:
    """Leaving at once (q right after the walk opened) pops the walk while the step
    detail may still be filling its prose; that fill, landing after, does nothing
    (it crashed the demo in tmux: a mount into the removed Markdown)."""
    from runbook_tui.tui.step_detail import StepDetail

    app = RunbookApp(home=tmp_path / "home", runbook_dir=folder_of_two(tmp_path))
    async with app.run_test(size=(100, 30)) as pilot:
        await back_at_picker(app, pilot)
        await pilot.press("enter")
        walk = await walk_screen(app, pilot)
        detail = walk.query_one(StepDetail)
        await until(pilot, lambda: detail._markdown is not None, "the prose")
        await pilot.press("q")
        await back_at_picker(app, pilot)
        detail._prose = "A paragraph.\n\nAnother one."
        await detail._show_prose()  # what was still on its way
        assert app.is_running and not app.crashed
