"""The feed (hub threads to the event loop) and the board the panels draw from, without
a screen; and the batching as the walk does it, with a log written fast."""

from __future__ import annotations

import itertools
import re
import threading
import time
from pathlib import Path
from typing import Any

from runbook_tui.sources.logs import TimeJump
from runbook_tui.sources.readings import ServiceChange, ServiceReading
from runbook_tui.tui.evidence import backup_item, drill_text, service_item, since_text
from runbook_tui.tui.evidence_board import EvidenceBoard, LogState, compile_filter
from runbook_tui.tui.evidence_feed import EvidenceFeed

from .conftest import parse_file
from .evidence_sources import log_reading
from .test_evidence import log_view, until, write_runbook


def test_the_feed_keeps_the_newest_reading_of_each_source_and_wakes_once_per_batch():
    wakes: list[int] = []
    feed = EvidenceFeed(lambda: wakes.append(1))

    def push_many(name: str) -> None:
        for i in range(1000):
            feed.push(ServiceReading(name, "up", f"poll {i}", None, float(i)))

    threads = [threading.Thread(target=push_many, args=(n,)) for n in ("a", "b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    feed.push(ServiceChange("a", "unknown", "up", "", 0.0))  # not shown: ignored
    assert len(wakes) == 1
    batch = feed.take()
    assert set(batch) == {("service", "a"), ("service", "b")}
    assert batch[("service", "a")].detail == "poll 999"
    assert feed.take() == {}
    feed.push(log_reading("app", ["x"]))
    assert len(wakes) == 2 and set(feed.take()) == {("log", "app")}
    feed.close()
    feed.push(ServiceReading("a", "up", "", None, 0.0))
    assert not feed.has_pending and len(wakes) == 2


def test_a_paused_log_keeps_its_lines_and_counts_what_arrived():
    state = LogState("app")
    state.take(log_reading("app", ["one", "two"], new_lines=2, total_lines=2))
    state.pause()
    state.take(log_reading("app", ["one", "two", "three"], new_lines=1, total_lines=3))
    state.take(log_reading("app", ["two", "three", "four"], new_lines=1, total_lines=4))
    assert state.shown().lines == ("one", "two") and state.missed == 2
    state.follow()
    assert state.shown().lines == ("two", "three", "four") and state.missed == 0


def test_a_paused_count_survives_readings_the_feed_coalesced():
    """The feed keeps a source's newest reading only: a quiet poll (no new line) that
    replaced one with a new line must not lose it from the count. (Seen under load: the
    walk said `paused` with no count after a line arrived.)"""
    state = LogState("app")
    state.take(log_reading("app", ["one"], new_lines=1, total_lines=1))
    state.pause()
    # Polls: +1 line ("two"), then a quiet one. The board only gets the second.
    state.take(log_reading("app", ["one", "two"], new_lines=0, total_lines=2))
    assert state.missed == 1
    # A jump holds the lines too, and counts from the jump.
    state.follow()
    state.jumped("09:00", TimeJump(("x",), 0, None))
    state.take(log_reading("app", ["two", "three"], new_lines=1, total_lines=3))
    assert state.missed == 1


def test_the_filter_applies_to_the_lines_held_and_keeps_the_jumps_mark():
    state = LogState("app")
    lines = ("09:00 INFO a", "09:01 ERROR b", "09:02 INFO c", "09:03 error d")
    state.take(log_reading("app", lines))
    state.set_filter(compile_filter("error"))  # smart case: any case
    assert state.shown().lines == ("09:01 ERROR b", "09:03 error d")
    assert state.shown() is state.shown()  # filtered once, whatever the views
    state.set_filter(compile_filter("ERROR"))  # a capital: that case only
    assert state.shown().lines == ("09:01 ERROR b",)
    state.jumped("09:03", TimeJump(lines, 3, None))
    state.set_filter(compile_filter("error"))
    shown = state.shown()
    assert shown.lines[shown.marked] == "09:03 error d" and shown.of == 4
    state.set_filter(compile_filter("INFO"))
    assert state.shown().marked is None  # the found line is filtered out


def test_a_bad_filter_is_refused():
    try:
        compile_filter("(")
    except re.error:
        return
    raise AssertionError("a bad regex compiled")


def test_service_and_backup_items_say_state_symbol_latency_since_and_drill():
    from runbook_tui.runbook.model import BackupSet, Service
    from runbook_tui.sources.readings import BackupReading, RestoreDrill

    now = 1_767_258_754.0  # 2026-01-01T09:12:34Z
    service = Service("api", "http", "http://127.0.0.1/health")
    head, facts = service_item(
        service,
        ServiceReading("api", "up", "HTTP 200", 12.3, now - 10, since=now - 75),
        now,
        None,
        "",
    )
    assert str(head).startswith("✓ up") and "api" in str(head) and "12 ms" in str(head)
    assert "since " in str(facts) and "1m 15s ago" in str(facts) and "HTTP 200" in str(facts)
    head, facts = service_item(service, None, now, "refused", "")
    assert "unknown" in str(head) and "not allowed" in str(facts)
    assert since_text(now - 0.2, now).endswith("just now")

    backup = BackupSet("db", "path", "/b/*", max_age_seconds=3600)
    stale = BackupReading("db", "stale", now - 7200, 7200, 2, 2048, None, "old", now)
    head, facts = backup_item(backup, stale, now, "")
    assert str(head).startswith("! stale")
    assert "2h old (max 1h)" in str(facts) and "2 backups · 2.0 KiB" in str(facts)
    assert "never tested" in str(facts)
    passed = drill_text(RestoreDrill("2026-01-01T08:12:34.000Z", True, "s1"), now)
    assert "1h ago" in str(passed) and "passed" in str(passed)
    assert "no verdict" in str(drill_text(RestoreDrill(None, None, "s2"), now))


def test_the_board_redraws_once_per_batch_and_knows_the_commands(tmp_path: Path):
    path = write_runbook(
        tmp_path,
        "services:\n  - {name: smoke, command: 'true'}\n  - {name: api, tcp: '127.0.0.1:1'}\n"
        "logs:\n  - {name: app, path: app.log}\n",
    )
    board = EvidenceBoard(parse_file(path), time.time)
    seen: list[frozenset[str]] = []
    board.watch(seen.append)
    board.take(
        {
            ("service", "api"): ServiceReading("api", "down", "", None, 0.0),
            ("log", "app"): log_reading("app", ["x"]),
        }
    )
    assert seen == [frozenset({"services", "logs"})]
    assert board.commands == {("service", "smoke")}
    assert board.held_back("service", "smoke") is None
    board.set_consent("asking")
    assert board.held_back("service", "smoke") == "asking"
    board.set_consent("refused")
    assert board.held_back("service", "smoke") == "refused"
    assert board.held_back("service", "api") is None


async def test_a_fast_log_redraws_the_panels_at_most_every_100_ms(make_app, tmp_path: Path):
    log = tmp_path / "app.log"
    log.write_text("")
    app = make_app(write_runbook(tmp_path, "logs:\n  - {name: app, path: app.log}\n"))
    flushes: list[float] = []
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: app.walk is not None and app.walk.started, "the session")
        walk = app.walk
        await pilot.press("2")
        await until(pilot, lambda: walk.evidence_board.live, "the hub")
        board = walk.evidence_board
        taken = board.take

        def take(batch: Any) -> None:
            flushes.append(time.monotonic())
            taken(batch)

        board.take = take  # type: ignore[method-assign]
        stop = threading.Event()

        def write() -> None:
            with log.open("a") as out:
                i = 0
                # About 100,000 lines/s: 100 lines a millisecond (the pace, not a wait).
                while not stop.wait(0.001):
                    out.write("".join(f"line {i + k}\n" for k in range(100)))
                    out.flush()
                    i += 100

        writer = threading.Thread(target=write, daemon=True)
        writer.start()
        try:
            await until(pilot, lambda: len(flushes) >= 10, "ten redraws")
        finally:
            stop.set()
            writer.join()
        await until(pilot, lambda: bool(log_view(walk).lines), "lines on screen")
    gaps = [b - a for a, b in itertools.pairwise(flushes)]
    assert min(gaps) >= 0.099, gaps  # batched: never closer than REDRAW_INTERVAL
