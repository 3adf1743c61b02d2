"""`E` in the walk: choose a format, and the transcript of the session as recorded so far
is written into the session's folder, the path shown on the message line and in a
notification. The real app, engine, shell and journal."""

from __future__ import annotations

import json
from pathlib import Path

from runbook_tui.tui.commands import WalkCommands
from runbook_tui.tui.dialogs import ExportDialog
from runbook_tui.tui.keys_footer import KeysFooter

from .conftest import perform, walk_screen


async def test_E_writes_the_chosen_transcript_into_the_session_folder(make_app, home: Path) -> None:
    app = make_app()
    async with app.run_test(size=(120, 30), notifications=True) as pilot:
        walk = await walk_screen(app, pilot)
        await perform(pilot, walk, "check-disk", "succeeded")
        footer = walk.query_one(KeysFooter)
        await walk.wait_until(lambda: footer.drawn == footer.keys_shown())
        assert "E Export" in str(footer.render()) and "x Cancel" not in str(footer.render())
        titles = [title for title, _help, _action in WalkCommands(walk)._commands()]
        assert "Export (E)" in titles
        session = walk.engine.session_id
        folder = home / "sessions" / session
        for key, fmt, name in (
            ("m", "markdown", "transcript.md"),
            ("j", "json", "transcript.json"),
        ):
            await pilot.press("E")
            assert isinstance(app.screen, ExportDialog)
            await pilot.press(key)
            await walk.wait_until(lambda name=name: walk.message_text.endswith(name))
            assert walk.message_text == f"Transcript written to {folder / name}", fmt
            assert any(str(folder / name) in n.message for n in app._notifications)
        markdown = (folder / "transcript.md").read_text()
        assert "> **In progress.**" in markdown and "Started step 2 “check-disk”" in markdown
        doc = json.loads((folder / "transcript.json").read_text())
        assert doc["in_progress"] and doc["session"]["id"] == session
        # Escape chooses nothing and writes nothing.
        await pilot.press("E")
        await pilot.press("escape")
        assert not isinstance(app.screen, ExportDialog)
        assert sorted(p.name for p in folder.glob("transcript.*")) == [
            "transcript.json",
            "transcript.md",
        ]
