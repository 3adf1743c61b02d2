"""An error nobody caught ends the UI as Textual ends it (the traceback on the screen),
and the tool's log keeps the traceback too: the command line then names the log."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from textual.worker import WorkerFailed

from runbook_tui import applog
from runbook_tui.tui.app import RunbookApp
from runbook_tui.tui.engine_api import RealBackend


@pytest.fixture
def log_file(tmp_path: Path) -> Iterator[Path]:
    root = logging.getLogger("runbook_tui")
    saved = root.handlers[:]
    for h in saved:
        root.removeHandler(h)
    path = applog.configure(tmp_path)
    assert path is not None
    yield path
    for h in root.handlers[:]:
        root.removeHandler(h)
        h.close()
    for h in saved:
        root.addHandler(h)


async def test_a_crash_in_the_ui_is_in_the_tools_log(tmp_path: Path, log_file: Path) -> None:
    class BrokenBackend(RealBackend):
        def list_sessions(self, home: Path) -> list[Any]:
            raise RuntimeError("the session store broke")

    (tmp_path / "runbooks").mkdir()
    app = RunbookApp(
        home=tmp_path / "home", runbook_dir=tmp_path / "runbooks", backend=BrokenBackend()
    )
    # The picker's worker failed: Textual reports it as WorkerFailed, caused by ours.
    with pytest.raises(WorkerFailed, match="the session store broke"):
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
    assert app.crashed and app.return_code == 1
    text = log_file.read_text()
    assert "ERROR runbook_tui.tui.app: the terminal UI failed" in text
    assert "Traceback" in text and "RuntimeError: the session store broke" in text
    assert "in list_sessions" in text  # where it was raised
