"""The picker opens a runbook as a drill with `d` (Enter opens it as a plain run): the
session is recorded as a drill, timed against its RTO."""

from __future__ import annotations

from pathlib import Path

from runbook_tui.tui.app import RunbookApp
from runbook_tui.tui.picker import PickerScreen

from .conftest import journal_events, walk_screen

RUNBOOK = """\
---
title: Restore the cache
kind: restore
rto: 1h
---

# Restore the cache

```sh {"name":"one"}
echo one
```
"""


async def open_from_picker(tmp_path: Path, key: str) -> dict[str, object]:
    folder = tmp_path / "runbooks"
    folder.mkdir()
    (folder / "restore.md").write_text(RUNBOOK)
    home = tmp_path / "home"
    app = RunbookApp(home=home, runbook_dir=folder)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, PickerScreen)
        await pilot.press(key)
        walk = await walk_screen(app, pilot)
        drill_in_header = "DRILL" in walk.query_one("WalkHeader").text.upper()
        await pilot.press("q")
    first = journal_events(home)[0]
    return {"drill": first["drill"], "header": drill_in_header}


async def test_d_in_the_picker_opens_the_runbook_as_a_drill(tmp_path: Path) -> None:
    assert await open_from_picker(tmp_path, "d") == {"drill": True, "header": True}


async def test_enter_in_the_picker_opens_it_as_a_plain_run(tmp_path: Path) -> None:
    assert await open_from_picker(tmp_path, "enter") == {"drill": False, "header": False}
