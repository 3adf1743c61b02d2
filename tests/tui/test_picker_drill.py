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


async def test_the_picker_runs_nothing_a_runbook_declares(tmp_path: Path) -> None:
    """Issue 10: the picker parses each runbook for its row; it runs none of its
    checks or log commands (a check that connected would be queued on the listener)."""
    import socket

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    listener.setblocking(False)
    port = listener.getsockname()[1]
    folder = tmp_path / "runbooks"
    folder.mkdir()
    (folder / "declares.md").write_text(
        "---\ntitle: Declares\nservices:\n"
        f"  - {{name: web, http: 'http://127.0.0.1:{port}/'}}\n"
        f"  - {{name: port, tcp: '127.0.0.1:{port}'}}\n"
        f"  - {{name: mark, command: 'touch {tmp_path}/check-ran'}}\n"
        f"logs:\n  - {{name: follow, command: 'touch {tmp_path}/log-ran; exec sleep 600'}}\n"
        "---\n# Declares\n\n```sh\necho hi\n```\n"
    )
    app = RunbookApp(home=tmp_path / "home", runbook_dir=folder)
    try:
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause()
            assert isinstance(app.screen, PickerScreen)
            assert [row.title for row in app.screen.rows] == ["Declares"]
            await pilot.pause()
            assert app.walk is None  # no walk: nothing of the runbook's may run
            await pilot.press("q")
        try:
            listener.accept()[0].close()
            connected = True
        except BlockingIOError:
            connected = False
    finally:
        listener.close()
    assert not connected
    assert not (tmp_path / "check-ran").exists() and not (tmp_path / "log-ran").exists()
