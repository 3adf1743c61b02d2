"""The walk, driven through the real app, engine, shell and journal."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path
from typing import Any

from textual.widgets import Input

from runbook_tui.tui.app import RunbookApp
from runbook_tui.tui.dialogs import (
    ConfirmDialog,
    DangerDialog,
    QuitWhileRunningDialog,
    RollbackOfferDialog,
    TextDialog,
)
from runbook_tui.tui.engine_api import RealBackend
from runbook_tui.tui.step_list import StepList
from runbook_tui.tui.walk import WalkScreen
from runbook_tui.tui.walk_header import WalkHeader

from .conftest import journal_events, of_type, parse_file, perform, select, wait_status, walk_screen

MANUAL = "prepare-cfbe02"


async def test_enter_marks_manual_step_done_then_runs_shell_step_and_moves_on(make_app, home):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        walk = await walk_screen(app, pilot)
        assert walk.selected_step.id == MANUAL
        await pilot.press("enter")
        await wait_status(walk, MANUAL, "succeeded")
        assert walk.selected_step.id == "check-disk"
        await pilot.press("enter")
        await wait_status(walk, "check-disk", "succeeded")
        await pilot.pause()
        # The output of the step that just ended stays in view; Enter moves on.
        assert walk.selected_step.id == "check-disk"
        assert walk.query_one("#output").plain_lines[:2] == ["ok disk has room", "second line"]
        await pilot.press("enter")
        await pilot.pause()
        assert walk.selected_step.id == "stop-writes"
    events = journal_events(home)
    assert [e["step_id"] for e in of_type(events, "manual_confirmed")] == [MANUAL]
    finished = of_type(events, "step_finished")
    assert [(e["step_id"], e["verdict"]) for e in finished] == [("check-disk", "succeeded")]


async def test_output_keeps_ansi_colours(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        walk = await walk_screen(app, pilot)
        await perform(pilot, walk, "check-disk", "succeeded")
        await pilot.pause()
        await select(pilot, walk, "check-disk")  # the selection had moved on
        output = walk.query_one("#output")
        strip = output.render_line(0)
        ok = next(seg for seg in strip if seg.text.startswith("ok"))
        assert ok.style is not None and ok.style.color is not None
        assert ok.style.color.number == 2  # ANSI green


async def test_confirm_yes_runs_the_step(make_app, home):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        walk = await walk_screen(app, pilot)
        await select(pilot, walk, "stop-writes")
        await pilot.press("enter")
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("y")
        await wait_status(walk, "stop-writes", "succeeded")
    assert of_type(journal_events(home), "step_started")[0]["step_id"] == "stop-writes"


async def test_confirm_enter_also_means_yes(make_app, home):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        walk = await walk_screen(app, pilot)
        await select(pilot, walk, "stop-writes")
        await pilot.press("enter", "enter")
        await wait_status(walk, "stop-writes", "succeeded")
        assert walk.status_of("stop-writes") == "succeeded"
    assert of_type(journal_events(home), "step_started")[0]["step_id"] == "stop-writes"


async def test_confirm_no_or_escape_runs_nothing(make_app, home):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        walk = await walk_screen(app, pilot)
        await select(pilot, walk, "stop-writes")
        for key in ("n", "escape"):
            await pilot.press("enter")
            assert isinstance(app.screen, ConfirmDialog)
            await pilot.press(key)
            await pilot.pause()
            assert app.screen is walk
            assert walk.message_text == "Nothing was run."
        assert walk.status_of("stop-writes") == "pending"
    assert of_type(journal_events(home), "step_started") == []


async def test_danger_wrong_phrase_runs_nothing_and_says_so(make_app, home):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        walk = await walk_screen(app, pilot)
        await select(pilot, walk, "restore")
        await pilot.press("enter")
        dialog = app.screen
        assert isinstance(dialog, DangerDialog)
        await pilot.press(*"restore order", "enter")
        assert app.screen is dialog
        error = str(dialog.query_one("#dialog-error").render())
        assert "did not match: nothing was run" in error
        assert dialog.query_one(Input).value == ""
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is walk
        assert walk.message_text == "Nothing was run."
    assert of_type(journal_events(home), "step_started") == []


async def test_danger_exact_phrase_runs_the_step(make_app, home):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        walk = await walk_screen(app, pilot)
        await select(pilot, walk, "restore")
        await pilot.press("enter", *"restore orders", "enter")
        await wait_status(walk, "restore", "succeeded")
    assert [e["step_id"] for e in of_type(journal_events(home), "step_started")] == ["restore"]


async def test_keys_pressed_before_the_session_exists_act_once_it_does(runbook_file, home):
    """The walk is drawn before the session starts (in a thread); a key that acts is
    held until the journal exists, then acts, in order."""
    gate = threading.Event()

    class SlowBackend(RealBackend):
        def start(self, *args: Any, **kwargs: Any) -> Any:
            assert gate.wait(10)
            return super().start(*args, **kwargs)

    app = RunbookApp(home=home, runbook=parse_file(runbook_file), backend=SlowBackend())
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        walk = app.screen
        assert isinstance(walk, WalkScreen) and not walk.started
        assert "starting" in walk.query_one(WalkHeader).text
        await pilot.press("enter")
        assert walk.message_text == "Starting the session…"
        assert not (home / "sessions").exists() or not list((home / "sessions").iterdir())
        gate.set()
        await wait_status(walk, MANUAL, "succeeded")
        assert walk.engine.session_id in walk.query_one(WalkHeader).text
    types = [e["type"] for e in journal_events(home)]
    assert types.index("session_started") < types.index("manual_confirmed")


async def test_selecting_a_running_step_shows_its_output_once(make_app):
    """The stored output shown on selection already holds the events still waiting to
    be written (and the one the engine is delivering): none of it may appear twice."""
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        walk = await walk_screen(app, pilot)
        loop = asyncio.get_running_loop()
        printed = asyncio.Event()
        seen: list[str] = []

        def on_event(event: dict[str, Any]) -> None:  # after the walk's own subscriber
            if event.get("type") == "output" and event.get("step_id") == "wait-replica":
                seen.append(str(event["data"]))
                if "catch up" in "".join(seen):
                    loop.call_soon_threadsafe(printed.set)

        walk.engine.subscribe(on_event)
        await select(pilot, walk, "wait-replica")
        walk._flush_timer.pause()  # the events stay pending, as between two flushes
        await pilot.press("enter")
        await asyncio.wait_for(printed.wait(), 15)
        await select(pilot, walk, "check-disk")
        await select(pilot, walk, "wait-replica")
        walk._flush_timer.resume()
        walk.flush_output()
        await pilot.pause()
        lines = walk.query_one("#output").plain_lines
        assert lines == ["waiting", "for the replica to catch up..."]
        await pilot.press("x")
        await walk.wait_until(lambda: not walk.step_running)


async def test_cancel_kills_the_running_step(make_app, home):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        walk = await walk_screen(app, pilot)
        await perform(pilot, walk, "wait-replica", "running")
        await walk.wait_until(lambda: "waiting" in walk.query_one("#output").plain_lines)
        await pilot.press("x")
        await wait_status(walk, "wait-replica", "failed")
        await walk.wait_until(lambda: not walk.step_running)
    finished = of_type(journal_events(home), "step_finished")
    assert finished[0]["cancelled"] is True
    assert finished[0]["duration_seconds"] < 20


async def test_skip_asks_for_a_reason_and_records_it(make_app, home):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        walk = await walk_screen(app, pilot)
        await select(pilot, walk, "check-disk")
        await pilot.press("s")
        assert isinstance(app.screen, TextDialog)
        await pilot.press("enter")  # an empty reason is refused
        assert isinstance(app.screen, TextDialog)
        await pilot.press(*"disk checked by hand", "enter")
        await wait_status(walk, "check-disk", "skipped")
        assert walk.selected_step.id == "stop-writes"
    skipped = of_type(journal_events(home), "step_skipped")
    assert [(e["step_id"], e["reason"]) for e in skipped] == [
        ("check-disk", "disk checked by hand")
    ]


async def test_note_can_be_added_while_a_step_runs(make_app, home):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        walk = await walk_screen(app, pilot)
        await pilot.press("n", *"before anything", "enter")
        await perform(pilot, walk, "wait-replica", "running")
        await pilot.press("n")
        assert isinstance(app.screen, TextDialog)
        await pilot.press(*"replica lag 40s", "enter")
        await walk.wait_until(lambda: walk.message_text == "Note saved: replica lag 40s")
        assert walk.status_of("wait-replica") == "running"
        await pilot.press("x")
        await walk.wait_until(lambda: not walk.step_running)
    notes = of_type(journal_events(home), "note")
    assert [(n["text"], n["step_id"]) for n in notes] == [
        ("before anything", MANUAL),
        ("replica lag 40s", "wait-replica"),
    ]


async def test_failure_offers_rollback_and_retry_runs_again(make_app, home):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        walk = await walk_screen(app, pilot)
        await perform(pilot, walk, "verify", "failed")
        await pilot.pause()
        assert isinstance(app.screen, RollbackOfferDialog)
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is walk
        await pilot.press("r")
        await wait_status(walk, "verify", "succeeded")
    started = of_type(journal_events(home), "step_started")
    assert [(e["step_id"], e["attempt"]) for e in started] == [("verify", 1), ("verify", 2)]


async def test_rollback_offer_switches_the_walk_to_rollback_steps(make_app, home):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        walk = await walk_screen(app, pilot)
        await perform(pilot, walk, "verify", "failed")
        await pilot.pause()
        assert isinstance(app.screen, RollbackOfferDialog)
        await pilot.press("b")
        await pilot.pause()
        assert walk.mode == "rollback"
        assert walk.selected_step.id == "resume-writes"
        await pilot.press("enter")
        await wait_status(walk, "resume-writes", "succeeded")
    # The switch is an event of its own (it was a note before).
    [changed] = of_type(journal_events(home), "walk_changed")
    assert changed["walk"] == "rollback" and "verify" in changed["reason"]


async def test_quit_while_running_asks_and_no_keeps_running(make_app, home):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        walk = await walk_screen(app, pilot)
        await perform(pilot, walk, "wait-replica", "running")
        await pilot.press("q")
        assert isinstance(app.screen, QuitWhileRunningDialog)
        await pilot.press("n")
        await pilot.pause()
        assert app.screen is walk and walk.step_running
        await pilot.press("q")
        assert isinstance(app.screen, QuitWhileRunningDialog)
        await pilot.press("y")
        await walk.wait_until(lambda: not walk.step_running)
        await pilot.pause()
    assert not app.is_running
    events = journal_events(home)
    assert of_type(events, "step_finished")[0]["cancelled"] is True
    # A deliberate quit pauses the session (it was left without an end before).
    assert [e["status"] for e in of_type(events, "session_ended")] == ["paused"]


async def test_quit_leaves_the_session_resumable(make_app, home):
    from runbook_tui.session.store import list_sessions

    app = make_app()
    messages: list[str] = []
    exit_app = app.exit
    app.exit = lambda *a, **kw: (messages.append(str(kw.get("message"))), exit_app(*a, **kw))
    async with app.run_test(size=(80, 24)) as pilot:
        await walk_screen(app, pilot)
        await pilot.press("q")
        await pilot.pause()
    assert not app.is_running
    [summary] = list_sessions(home)
    assert summary.status == "paused"
    # The hint works as printed: it names the state home, which is not the default.
    assert f"resume {summary.id} --home {home}" in messages[0]


async def test_end_session_records_the_outcome(make_app, home):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await walk_screen(app, pilot)
        await pilot.press("e", "c")
        await pilot.pause()
    assert not app.is_running
    assert of_type(journal_events(home), "session_ended")[0]["status"] == "completed"


async def test_interactive_step_without_a_terminal_says_so(tmp_path: Path, home):
    from runbook_tui.tui.app import RunbookApp

    from .conftest import parse_file

    path = tmp_path / "interactive.md"
    path.write_text('# I\n\n```sh {"name":"psql","interactive":true}\nread x\n```\n')
    app = RunbookApp(home=home, runbook=parse_file(path))
    async with app.run_test(size=(80, 24)) as pilot:
        walk = await walk_screen(app, pilot)
        await pilot.press("enter")
        await pilot.pause()
        assert "needs the real terminal" in walk.message_text
        assert walk.status_of("psql") == "pending"


async def test_mouse_click_only_selects(make_app, home):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        walk = await walk_screen(app, pilot)
        steps = walk.query_one(StepList)
        await pilot.click(StepList, offset=(3, steps.row_of("check-disk") + 1))
        await pilot.pause()
        assert walk.status_of("check-disk") == "pending"
    assert of_type(journal_events(home), "step_started") == []


async def test_an_intent_the_engine_cannot_record_is_shown_and_the_ui_stays(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        walk = await walk_screen(app, pilot)
        # The journal can no longer be written (as on a full or vanished disk).
        walk.engine.journal.close()
        await pilot.press("n", *"this cannot be recorded", "enter")
        await pilot.pause()
        assert app.is_running and app.screen is walk
        assert walk.message_text.startswith("Could not save the note:")


async def test_token_shapes_in_the_runbook_are_masked_on_screen_but_run_as_written(
    tmp_path: Path, home
):
    token = "ghp_" + "a1B2" * 10
    path = tmp_path / "tokens.md"
    path.write_text(
        "# Tokens\n\nUse the password=hunter2hunter2 only here.\n\n"
        f'```sh {{"name":"push {token}","confirm":true}}\n'
        "printf '%s' 'password=hunter2hunter2' | wc -c\n```\n"
    )
    app = RunbookApp(home=home, runbook=parse_file(path))
    async with app.run_test(size=(100, 30)) as pilot:
        walk = await walk_screen(app, pilot)
        step_id = walk.runbook.steps[0].id
        await pilot.pause()
        shown = [
            str(walk.query_one(StepList).render_line(1)),
            str(walk.query_one("#command").render()),
            str(walk.query_one("#step-status").render()),
        ]
        await walk.wait_until(lambda: bool(walk.query("#prose")))
        shown.append(walk.query_one("#prose").source)
        await pilot.press("enter")
        assert isinstance(app.screen, ConfirmDialog)
        shown.append(str(app.screen.body))
        for text in shown:
            assert "hunter2" not in text and token not in text, text
        assert any("********" in text for text in shown)
        await pilot.press("y")
        await wait_status(walk, step_id, "succeeded")
        # The engine ran the command as written: 23 characters, not the masked 17.
        assert walk.query_one("#output").plain_lines[0].strip() == "23"
