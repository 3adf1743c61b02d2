"""Drills in the UI: the picker says when each runbook was last drilled and whether it
passed, and a drill's end-of-walk dialog holds its report. Real engines, real journals."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import DataTable

from runbook_tui.session.engine import Engine
from runbook_tui.tui.app import RunbookApp
from runbook_tui.tui.picker import PickerScreen
from runbook_tui.tui.summary import WalkOverDialog

from .conftest import journal_events, of_type, parse_file, wait_status, walk_screen

DRILL = """\
---
title: {title}
kind: restore
rto: 1h
---

# {title}

```sh {{"name":"one"}}
echo one
```

```sh {{"name":"two"}}
echo two
```
"""


def book(folder: Path, name: str, title: str) -> Path:
    path = folder / name
    path.write_text(DRILL.format(title=title))
    return path


def drilled(path: Path, home: Path, *, finish: bool) -> None:
    engine = Engine.start(parse_file(path), home=home, variables={}, drill=True)
    engine.run_step("one")
    if finish:
        engine.run_step("two")
    engine.finish()  # with a step left: paused, unfinished


async def test_the_picker_says_when_each_runbook_was_drilled_and_how_it_went(tmp_path, home):
    folder = tmp_path / "runbooks"
    folder.mkdir()
    passed = book(folder, "a-passed.md", "Passed restore")
    paused = book(folder, "b-paused.md", "Paused restore")
    book(folder, "c-never.md", "Never rehearsed")
    drilled(passed, home, finish=True)
    drilled(paused, home, finish=False)
    # A drill under another name is not this runbook's: matching is by resolved path.
    renamed = tmp_path / "elsewhere.md"
    renamed.write_text(DRILL.format(title="Never rehearsed"))
    drilled(renamed, home, finish=True)
    app = RunbookApp(home=home, runbook_dir=folder)
    async with app.run_test(size=(120, 24)) as pilot:
        await pilot.pause()
        picker = app.screen
        assert isinstance(picker, PickerScreen)
        table = picker.query_one(DataTable)
        rows = [table.get_row_at(i) for i in range(table.row_count)]
        assert [row[0] for row in rows] == ["Passed restore", "Paused restore", "Never rehearsed"]
        assert rows[0][3] == f"passed {rows[0][2][:10]}"  # the day of the last drill
        assert rows[1][3] == f"unfinished {rows[1][2][:10]}"
        assert rows[2][3] == "never drilled"
        assert rows[2][2] == "never run"


async def test_a_drill_ends_with_its_report_in_the_dialog_and_the_journal(tmp_path, home):
    path = book(tmp_path, "drill.md", "Restore drill")
    app = RunbookApp(home=home, runbook=parse_file(path), drill=True)
    async with app.run_test(size=(100, 40)) as pilot:
        walk = await walk_screen(app, pilot)
        await pilot.press("enter")
        await wait_status(walk, "one", "succeeded")
        await pilot.press("enter", "enter")
        await wait_status(walk, "two", "succeeded")
        await walk.wait_until(lambda: isinstance(app.screen, WalkOverDialog))
        dialog = app.screen
        assert dialog.dialog_title == "The drill is over"
        body = str(dialog.body)
        assert "Ending now:\nDrill passed in " in body and "within the RTO of 1h00m" in body
        assert "Steps:" in body and "Slowest: " in body
        await pilot.press("enter")
        await pilot.pause()
    assert not app.is_running
    [ended] = of_type(journal_events(home), "session_ended")
    assert ended["status"] == "completed"
    assert ended["drill"]["passed"] is True and ended["drill"]["rto_seconds"] == 3600.0


async def test_an_ordinary_walk_ends_without_a_drill_report(tmp_path, home):
    path = book(tmp_path, "plain.md", "Plain walk")
    app = RunbookApp(home=home, runbook=parse_file(path))
    async with app.run_test(size=(100, 40)) as pilot:
        walk = await walk_screen(app, pilot)
        await pilot.press("enter")
        await wait_status(walk, "one", "succeeded")
        await pilot.press("enter", "enter")
        await wait_status(walk, "two", "succeeded")
        await walk.wait_until(lambda: isinstance(app.screen, WalkOverDialog))
        assert app.screen.dialog_title == "The walk is over"
        assert "Drill" not in str(app.screen.body)
        await pilot.press("enter")
        await pilot.pause()
    [ended] = of_type(journal_events(home), "session_ended")
    assert "drill" not in ended


def test_the_report_on_screen_escapes_control_characters(tmp_path, home):
    from runbook_tui.tui.masked import masked_copy
    from runbook_tui.tui.summary import drill_lines

    path = book(tmp_path, "drill.md", "Restore drill")
    engine = Engine.start(parse_file(path), home=home, variables={}, drill=True)
    engine.run_step("one")
    engine.skip("two", "\x1b[2Jcleared the screen")  # typed at a headless prompt, say
    engine.finish()
    lines = drill_lines(masked_copy(parse_file(path)), engine.state, now=0.0)
    text = "\n".join(lines)
    assert "skipped: \\x1b[2Jcleared the screen" in text
    assert "\x1b" not in text
