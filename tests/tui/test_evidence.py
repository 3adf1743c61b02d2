"""The evidence panels against real things: an HTTP server on 127.0.0.1 started and
stopped by the test, a log file the test appends to, backup files with set
modification times, command checks and logs run by bash. Waits are on conditions,
polled with a deadline that only guards against a hang."""

from __future__ import annotations

import http.server
import os
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Input, Static

from runbook_tui.session.provenance import file_sha256
from runbook_tui.session.trust import is_trusted
from runbook_tui.tui.dialogs import ConsentDialog, FilterDialog, ResumeOfferDialog, TimeDialog
from runbook_tui.tui.evidence_link import open_session_evidence
from runbook_tui.tui.log_panel import LogLines, LogsPanel
from runbook_tui.tui.step_list import StepList
from runbook_tui.tui.walk import WalkScreen

from .conftest import journal_events, of_type, walk_screen

DEADLINE = 20.0


async def until(pilot: Any, predicate: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + DEADLINE
    while not predicate():
        assert time.monotonic() < deadline, f"never happened: {what}"
        await pilot.pause(0.02)


def panel_text(walk: WalkScreen, kind: str) -> str:
    """What the panels of `kind` on screen say (the tab's or the column's)."""
    return "\n".join(
        str(static.render())
        for panel in walk.query(f".evidence-{kind}")
        if panel.display
        for static in panel.query(Static)
    )


def write_runbook(folder: Path, front_matter: str) -> Path:
    path = folder / "evidence.md"
    path.write_text(f"---\ntitle: Evidence\n{front_matter}---\n# Evidence\n\n```sh\necho hi\n```\n")
    return path


@pytest.fixture
def web() -> Iterator[Any]:
    class Health(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Health)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


async def test_a_service_shows_up_then_down_when_its_server_stops(make_app, tmp_path, web):
    port = web.server_address[1]
    book = write_runbook(
        tmp_path,
        f"services:\n  - {{name: api, http: 'http://127.0.0.1:{port}/health', "
        "interval: 0.2, timeout: 1}\n",
    )
    app = make_app(book)
    async with app.run_test(size=(80, 24)) as pilot:
        walk = await walk_screen(app, pilot)
        await pilot.press("3")
        await until(pilot, lambda: "✓ up" in panel_text(walk, "services"), "api up")
        text = panel_text(walk, "services")
        assert "api" in text and " ms" in text and "since " in text
        web.shutdown()
        web.server_close()
        await until(pilot, lambda: "✗ down" in panel_text(walk, "services"), "api down")


def log_state(walk: WalkScreen, name: str = "app") -> Any:
    return walk.evidence_board.logs[name]


def log_view(walk: WalkScreen) -> LogLines:
    panels = [p for p in walk.query(LogsPanel) if p.display and p.region.width]
    assert panels, "no Logs panel on screen"
    view = panels[0].view
    assert view is not None
    return view


def append(path: Path, *lines: str) -> None:
    with path.open("a") as out:
        out.writelines(f"{line}\n" for line in lines)


async def test_log_lines_appear_f_pauses_and_follows_and_slash_filters(make_app, tmp_path):
    log = tmp_path / "app.log"
    log.write_text("old line\n")
    app = make_app(write_runbook(tmp_path, "logs:\n  - {name: app, path: app.log}\n"))
    async with app.run_test(size=(80, 24)) as pilot:
        walk = await walk_screen(app, pilot)
        await pilot.press("2")
        await until(pilot, lambda: "old line" in log_view(walk).lines, "the log's tail")
        append(log, "first ERROR here", "second WARN there")
        await until(pilot, lambda: "second WARN there" in log_view(walk).lines, "new lines")
        header = walk.query(".log-header").first()
        assert "following" in str(header.render())
        assert isinstance(walk.focused, LogLines)  # the tab's keys apply

        await pilot.press("f")
        assert not log_state(walk).following
        append(log, "while paused")
        state = log_state(walk)
        await until(pilot, lambda: "while paused" in state.reading.lines, "the reading")
        await until(pilot, lambda: "1 new" in str(header.render()), "the count of new lines")
        assert "while paused" not in log_view(walk).lines
        assert "paused" in str(header.render())
        await pilot.press("f")
        await until(pilot, lambda: "while paused" in log_view(walk).lines, "following again")

        await pilot.press("slash")
        dialog = app.screen
        assert isinstance(dialog, FilterDialog)
        await pilot.press("(", "enter")
        assert app.screen is dialog  # a bad regex keeps the dialog, and says so
        assert "Not a valid regular expression" in str(dialog.query_one("#dialog-error").render())
        dialog.query_one(Input).value = "error|warn"
        await pilot.press("enter")
        await until(pilot, lambda: app.screen is walk, "the dialog closed")
        await until(pilot, lambda: len(log_view(walk).lines) == 2, "the filter applied")
        assert log_view(walk).lines == ("first ERROR here", "second WARN there")
        assert "/error|warn/ 2 of 4" in str(header.render())

        await pilot.press("slash")
        assert app.screen.query_one(Input).value == "error|warn"  # to edit
        app.screen.query_one(Input).value = ""
        await pilot.press("enter")  # empty: every line again
        await until(pilot, lambda: len(log_view(walk).lines) == 4, "the filter cleared")


async def test_t_jumps_to_the_lines_around_a_time_in_a_stamped_log(make_app, tmp_path):
    log = tmp_path / "app.log"
    # One line a second from 09:00:00, local time (no offset), for an hour.
    with log.open("w") as out:
        for i in range(3600):
            out.write(f"2026-01-02 09:{i // 60:02d}:{i % 60:02d} INFO line {i}\n")
    app = make_app(write_runbook(tmp_path, "logs:\n  - {name: app, path: app.log}\n"))
    async with app.run_test(size=(80, 24)) as pilot:
        walk = await walk_screen(app, pilot)
        await pilot.press("2")
        await until(pilot, lambda: bool(log_view(walk).lines), "the log's tail")
        assert log_view(walk).lines[-1].endswith("line 3599")

        await pilot.press("t")
        dialog = app.screen
        assert isinstance(dialog, TimeDialog)
        await pilot.press(*"nine", "enter")
        assert app.screen is dialog and "Not a time" in str(
            dialog.query_one("#dialog-error").render()
        )
        dialog.query_one(Input).value = "09:12"
        await pilot.press("enter")
        state = log_state(walk)
        await until(pilot, lambda: state.jump is not None, "the jump")
        view = log_view(walk)
        shown = state.shown()
        assert shown.marked is not None
        assert view.lines[shown.marked] == "2026-01-02 09:12:00 INFO line 720"
        assert view.lines[shown.marked - 1].endswith("line 719")
        # The found line is on screen, near the top.
        assert view.scroll_offset.y <= shown.marked < view.scroll_offset.y + view.size.height
        assert "at 09:12" in str(walk.query(".log-header").first().render())

        await pilot.press("f")  # back to the newest lines
        await until(pilot, lambda: log_view(walk).lines[-1].endswith("line 3599"), "following")
        assert state.jump is None


async def test_log_keys_apply_only_while_the_logs_panel_has_the_focus(make_app, tmp_path):
    (tmp_path / "app.log").write_text("a line\n")
    app = make_app(write_runbook(tmp_path, "logs:\n  - {name: app, path: app.log}\n"))
    async with app.run_test(size=(200, 50)) as pilot:
        walk = await walk_screen(app, pilot)
        await until(pilot, lambda: "a line" in log_view(walk).lines, "the log")
        assert isinstance(walk.focused, StepList)
        await pilot.press("f", "slash")
        assert log_state(walk).following and app.screen is walk
        await pilot.press("2")  # wide: focuses the column's Logs panel
        assert isinstance(walk.focused, LogLines)
        await pilot.press("f")
        assert not log_state(walk).following
        footer = str(walk.query_one("KeysFooter").render())
        assert "f Follow" in footer and "/ Filter" in footer and "t Jump to time" in footer
        await pilot.press("escape")
        assert isinstance(walk.focused, StepList)


async def test_the_tab_and_the_wide_column_show_the_same_lines(make_app, tmp_path):
    log = tmp_path / "app.log"
    log.write_text("one\ntwo\n")
    app = make_app(write_runbook(tmp_path, "logs:\n  - {name: app, path: app.log}\n"))
    async with app.run_test(size=(80, 24)) as pilot:
        walk = await walk_screen(app, pilot)
        await pilot.press("2")
        await until(pilot, lambda: "two" in log_view(walk).lines, "the log in the tab")
        await pilot.resize_terminal(200, 50)
        await until(pilot, lambda: len(walk.query(LogsPanel)) == 2, "the column's panel")
        append(log, "three")
        tab, column = (p.view for p in walk.query(LogsPanel))
        assert tab is not None and column is not None
        await until(pilot, lambda: "three" in tab.lines and "three" in column.lines, "both")
        assert tab.lines is column.lines  # one copy of the lines, two views


async def test_the_panels_stand_beside_the_walk_from_160_columns_and_are_tabs_below(
    make_app, tmp_path
):
    """The issue's boundary: 160 columns and more is the wide layout."""
    (tmp_path / "app.log").write_text("one\n")
    app = make_app(write_runbook(tmp_path, "logs:\n  - {name: app, path: app.log}\n"))
    async with app.run_test(size=(159, 40)) as pilot:
        walk = await walk_screen(app, pilot)
        assert not walk.has_class("-wide")
        assert "Logs" in str(walk.query_one("TabBar").render())
        await pilot.resize_terminal(160, 40)
        await until(pilot, lambda: walk.has_class("-wide"), "the wide layout")
        await until(pilot, lambda: len(walk.query(LogsPanel)) == 1, "the column's Logs panel")
        await until(pilot, lambda: "one" in log_view(walk).lines, "the log in the column")


async def test_backups_ok_stale_missing_and_never_tested(make_app, tmp_path):
    now = time.time()
    backups = tmp_path / "backups"
    backups.mkdir()
    for name, age in (("fresh-1.tar", 300), ("fresh-2.tar", 60), ("old-1.tar", 7200)):
        path = backups / name
        path.write_bytes(b"x" * 2048)
        os.utime(path, (now - age, now - age))
    book = write_runbook(
        tmp_path,
        "backups:\n"
        "  - {name: fresh, path: 'backups/fresh-*.tar', max_age: 1h}\n"
        "  - {name: old, path: 'backups/old-*.tar', max_age: 1h}\n"
        "  - {name: none, path: 'backups/none-*.tar', max_age: 1h}\n",
    )
    app = make_app(book, clock=lambda: now)  # the panel's ages count from the files' times
    async with app.run_test(size=(80, 24)) as pilot:
        walk = await walk_screen(app, pilot)
        await pilot.press("4")
        await until(pilot, lambda: len(walk.evidence_board.backups) == 3, "three readings")
        await pilot.pause()
        text = panel_text(walk, "backups")
        assert "✓ ok" in text and "! stale" in text and "✗ missing" in text
        assert "2 backups · 4.0 KiB" in text and "1m old (max 1h)" in text
        assert "2h old (max 1h)" in text and "nothing matches" in text
        assert text.count("never tested") == 3


COMMANDS = (
    "services:\n"
    "  - {name: smoke, command: 'touch ran-check', interval: 0.2}\n"
    "  - {name: port, tcp: '127.0.0.1:9', interval: 0.2}\n"
    "logs:\n"
    "  - {name: audit, command: 'echo from-command; exec sleep 60'}\n"
)


async def started_walk(app: Any, pilot: Any) -> WalkScreen:
    """The walk once its session exists (the consent question may be over it)."""
    await until(pilot, lambda: app.walk is not None and app.walk.started, "the session")
    return app.walk


async def consent_dialog(pilot: Any) -> ConsentDialog:
    await until(pilot, lambda: isinstance(pilot.app.screen, ConsentDialog), "the question")
    dialog = pilot.app.screen
    assert isinstance(dialog, ConsentDialog)
    return dialog


async def test_consent_yes_runs_the_commands_remembers_and_stops_them_at_the_end(
    make_app, tmp_path, home
):
    book = write_runbook(tmp_path, COMMANDS)
    app = make_app(book)
    async with app.run_test(size=(80, 24)) as pilot:
        walk = await started_walk(app, pilot)
        dialog = await consent_dialog(pilot)
        listed = [(kind, name, text) for kind, name, text in dialog.commands]
        assert ("service", "smoke", "touch ran-check") in listed
        assert ("log", "audit", "echo from-command; exec sleep 60") in listed
        assert not (tmp_path / "ran-check").exists()  # nothing ran before the answer
        await pilot.press("y")
        await pilot.press("3")
        await until(pilot, lambda: "✓ up" in panel_text(walk, "services"), "the check ran")
        assert (tmp_path / "ran-check").exists()
        await pilot.press("2")
        await until(pilot, lambda: "from-command" in log_view(walk).lines, "the command log")
        reader = walk.evidence.hub.source("log", "audit")
        pid = reader.pid
        link = walk.evidence
        await until(pilot, lambda: is_trusted(home, file_sha256(book)), "trust")
        session_id = walk.engine.session_id
    # The walk closed: the hub closes, and the command log's group is stopped.
    assert link.closed.wait(DEADLINE)
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    # The journal has the answer, and what the services did.
    events = journal_events(home, session_id)
    [allowed] = of_type(events, "commands_allowed")
    assert allowed["by"] == "operator" and allowed["sha256"] == file_sha256(book)
    assert {c["name"] for c in allowed["commands"]} == {"smoke", "audit"}
    changes = {(e["name"], e["to"]) for e in of_type(events, "service_changed")}
    assert ("smoke", "up") in changes and ("port", "down") in changes

    # The same text again: not asked, the commands run (recorded: by trust).
    (tmp_path / "ran-check").unlink()
    again = make_app(book)
    async with again.run_test(size=(80, 24)) as pilot:
        walk = await started_walk(again, pilot)
        await until(pilot, lambda: (tmp_path / "ran-check").exists(), "the check ran")
        assert not isinstance(again.screen, ConsentDialog)
        assert walk.evidence.hub.commands_allowed
        second = walk.engine.session_id
    [allowed] = of_type(journal_events(home, second), "commands_allowed")
    assert allowed["by"] == "trust"


async def test_consent_no_keeps_the_commands_off_and_the_panels_say_not_allowed(
    make_app, tmp_path, home
):
    book = write_runbook(tmp_path, COMMANDS)
    app = make_app(book)
    async with app.run_test(size=(80, 24)) as pilot:
        walk = await started_walk(app, pilot)
        await consent_dialog(pilot)
        await pilot.press("n")
        board = walk.evidence_board
        # The other sources go on: two readings of the port after the answer.
        await until(pilot, lambda: "port" in board.services, "the port's reading")
        first = board.services["port"].checked_at
        await until(pilot, lambda: board.services["port"].checked_at > first, "another one")
        await pilot.press("3")
        await until(pilot, lambda: "not allowed" in panel_text(walk, "services"), "services")
        await pilot.press("2")
        header = walk.query(".log-header").first()
        await until(pilot, lambda: "not allowed" in str(header.render()), "logs")
        assert not (tmp_path / "ran-check").exists()
        assert not walk.evidence.hub.commands_allowed
        assert "smoke" not in board.services and board.logs["audit"].reading is None
        session_id = walk.engine.session_id
    assert not is_trusted(home, file_sha256(book))
    [refused] = of_type(journal_events(home, session_id), "commands_refused")
    assert refused["by"] == "operator"


async def test_a_resumed_walk_keeps_the_no_its_session_recorded(make_app, tmp_path, home):
    """Asked once per session: resuming a walk whose session refused the commands
    does not ask again; the panels say `not allowed` and the journal holds one answer."""
    book = write_runbook(tmp_path, COMMANDS)
    app = make_app(book)
    async with app.run_test(size=(80, 24)) as pilot:
        walk = await started_walk(app, pilot)
        await consent_dialog(pilot)
        await pilot.press("n")
        await until(pilot, lambda: walk.evidence_board.consent == "refused", "the answer")
        session_id = walk.engine.session_id
        await pilot.press("q")  # paused, with its step still to do
        await until(pilot, lambda: not app.is_running, "the app ended")
    again = make_app(book)
    async with again.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: isinstance(again.screen, ResumeOfferDialog), "the offer")
        await pilot.press("r")
        walk = await started_walk(again, pilot)
        assert walk.engine.session_id == session_id
        await until(pilot, lambda: walk.evidence_board.live, "the sources")
        await pilot.press("3")
        await until(pilot, lambda: "not allowed" in panel_text(walk, "services"), "services")
        assert not isinstance(again.screen, ConsentDialog)
        assert not walk.evidence.hub.commands_allowed
    events = journal_events(home, session_id)
    assert len(of_type(events, "commands_refused")) == 1
    assert not of_type(events, "commands_allowed")
    assert not (tmp_path / "ran-check").exists()


async def test_the_hub_is_made_after_the_first_frame(make_app, tmp_path):
    (tmp_path / "app.log").write_text("x\n")
    made: list[bool] = []

    def opener(engine: Any) -> Any:
        walk = app.walk
        assert walk is not None
        made.append(walk._painted.is_set())
        return open_session_evidence(engine)

    app = make_app(write_runbook(tmp_path, "logs:\n  - {name: app, path: app.log}\n"))
    app.evidence_opener = opener
    async with app.run_test(size=(80, 24)) as pilot:
        walk = await walk_screen(app, pilot)
        await until(pilot, lambda: walk.evidence_board.live, "the hub")
        assert made == [True]


async def test_a_runbook_that_declares_nothing_makes_no_hub(make_app, tmp_path):
    def opener(engine: Any) -> Any:
        raise AssertionError("no sources for a runbook without evidence")

    app = make_app(write_runbook(tmp_path, ""))
    app.evidence_opener = opener
    async with app.run_test(size=(80, 24)) as pilot:
        walk = await walk_screen(app, pilot)
        await pilot.press("3")
        await pilot.pause()
        assert "no services declared" in panel_text(walk, "services")
        assert walk._evidence is None
