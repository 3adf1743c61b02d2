"""The end of a walk, pausing, and resuming what was left: the rules come from the
session's plan; the screen only shows them and asks."""

from __future__ import annotations

from pathlib import Path

import pytest

from runbook_tui.session.engine import Engine
from runbook_tui.session.store import list_sessions
from runbook_tui.tui.app import RunbookApp
from runbook_tui.tui.dialogs import ConfirmDialog, ResumeOfferDialog, RollbackOfferDialog
from runbook_tui.tui.summary import WalkOverDialog

from .conftest import journal_events, of_type, parse_file, wait_status, walk_screen

TWO = """\
# Two steps

```sh {"name":"one"}
echo one
```

```sh {"name":"two"}
echo two; exit $CODE
```

## Rollback

```sh {"name":"undo"}
echo undone
```
"""


def two(tmp_path: Path, code: int) -> Path:
    path = tmp_path / "two.md"
    path.write_text(TWO.replace("$CODE", str(code)))
    return path


async def fail_the_last_step(app, pilot):
    """Run `one`, move on, run `two` (which fails), and wait for the rollback offer."""
    walk = await walk_screen(app, pilot)
    await pilot.press("enter")
    await wait_status(walk, "one", "succeeded")
    await pilot.press("enter", "enter")
    await wait_status(walk, "two", "failed")
    await walk.wait_until(lambda: isinstance(app.screen, RollbackOfferDialog))
    return walk


async def test_the_last_step_ending_shows_a_summary_and_enter_ends_completed(tmp_path, home):
    app = RunbookApp(home=home, runbook=parse_file(two(tmp_path, 0)))
    async with app.run_test(size=(80, 24)) as pilot:
        walk = await walk_screen(app, pilot)
        await pilot.press("enter")
        await wait_status(walk, "one", "succeeded")
        await pilot.press("enter")  # moves on from the ended step
        await pilot.pause()
        assert walk.selected_step.id == "two"
        await pilot.press("enter")
        await wait_status(walk, "two", "succeeded")
        await walk.wait_until(lambda: isinstance(app.screen, WalkOverDialog))
        dialog = app.screen
        assert dialog.earned == "completed"
        assert "2 of 2 steps done (2 succeeded, 0 skipped)" in str(dialog.body)
        await pilot.press("enter")
        await pilot.pause()
    assert not app.is_running
    [ended] = of_type(journal_events(home), "session_ended")
    assert ended["status"] == "completed"


async def test_a_failed_last_step_then_staying_still_ends_failed(tmp_path, home):
    app = RunbookApp(home=home, runbook=parse_file(two(tmp_path, 5)))
    async with app.run_test(size=(80, 24)) as pilot:
        walk = await fail_the_last_step(app, pilot)
        await pilot.press("escape")  # stay: the walk is over, one step failed
        await walk.wait_until(lambda: isinstance(app.screen, WalkOverDialog))
        assert walk.plan.over and app.screen.earned == "failed"
        assert "The walk is over" in walk.message_text
        await pilot.press("escape")  # not yet: e ends it later
        await pilot.pause()
        assert app.screen is walk


async def test_the_rollback_walk_to_its_end_ends_rolled_back(tmp_path, home):
    app = RunbookApp(home=home, runbook=parse_file(two(tmp_path, 5)))
    async with app.run_test(size=(80, 24)) as pilot:
        walk = await fail_the_last_step(app, pilot)
        await pilot.press("b")
        await walk.wait_until(lambda: walk.mode == "rollback")
        assert walk.selected_step.id == "undo"
        await pilot.press("enter")
        await wait_status(walk, "undo", "succeeded")
        await walk.wait_until(lambda: isinstance(app.screen, WalkOverDialog))
        assert app.screen.earned == "rolled_back"
        await pilot.press("enter")
        await pilot.pause()
    assert of_type(journal_events(home), "session_ended")[0]["status"] == "rolled_back"
    assert [e["walk"] for e in of_type(journal_events(home), "walk_changed")] == ["rollback"]


@pytest.mark.parametrize("how", ["failed", "paused"])
async def test_a_failed_or_paused_session_is_offered_for_resume(tmp_path, home, how):
    runbook = parse_file(two(tmp_path, 0))
    engine = Engine.start(runbook, home=home)
    engine.run_step("one")
    engine.end(how, "left for later")
    app = RunbookApp(home=home, runbook=runbook)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, ResumeOfferDialog)
        assert f"({how})" in str(app.screen.body)
        await pilot.press("r")
        walk = await walk_screen(app, pilot)
        assert walk.engine.session_id == engine.session_id
        assert walk.selected_step.id == "two"
    assert len(list_sessions(home)) == 1


async def test_an_interrupted_step_says_it_may_have_run_and_asks_before_running_again(
    tmp_path, home
):
    runbook = parse_file(two(tmp_path, 0))
    engine = Engine.start(runbook, home=home)
    engine.run_step("one")
    # What a process killed mid-step leaves behind: a start, some output, no finish.
    engine.journal.append("step_started", step_id="two", attempt=1, name="two", kind="shell")
    engine.journal.append_output("two", 1, "half of the migration ran\n")
    engine.close()
    app = RunbookApp(home=home, runbook=runbook)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, ResumeOfferDialog)
        await pilot.press("r")
        walk = await walk_screen(app, pilot)
        assert walk.selected_step.id == "two" and walk.status_of("two") == "interrupted"
        status = str(walk.query_one("#step-status").render())
        assert "may have run" in status
        assert "half of the migration ran" in walk.query_one("#output").plain_lines
        for key in ("enter", "r"):
            await pilot.press(key)
            assert isinstance(app.screen, ConfirmDialog)
            assert "may have run" in str(app.screen.body)
            await pilot.press("n")
            await pilot.pause()
            assert walk.message_text == "Nothing was run."
        await pilot.press("enter", "y")
        await wait_status(walk, "two", "succeeded")
    started = [e for e in of_type(journal_events(home), "step_started") if e["step_id"] == "two"]
    assert [e["attempt"] for e in started] == [1, 2]
