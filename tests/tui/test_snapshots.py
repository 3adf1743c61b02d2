"""What the operator sees, as SVG snapshots at 80x24 and 200x50.

Deterministic by construction: the session id and start time the engine records are
fixed (the only two things patched; the engine, shell and journal are real), the
header's clock is injected, text cursors do not blink, the local time zone is UTC, and
the evidence panels' sources report fixed readings through a real hub
(evidence_sources.py). `snap_compare` runs its own event loop, so these are plain
functions."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Input

import runbook_tui.session.engine as engine_module
import runbook_tui.session.journal as journal_module
import runbook_tui.session.store as store_module
from runbook_tui.sources.readings import BackupReading, RestoreDrill, ServiceReading
from runbook_tui.tui.app import RunbookApp
from runbook_tui.tui.dialogs import (
    ConsentDialog,
    QuitWhileRunningDialog,
    RollbackOfferDialog,
)
from runbook_tui.tui.keys_footer import KeysFooter
from runbook_tui.tui.log_panel import LogLines
from runbook_tui.tui.walk import WalkScreen

from .conftest import parse_file
from .evidence_sources import fixed_evidence, log_reading

SESSION_ID = "20260101T090000Z-a1b2"
STARTED = "2026-01-01T09:00:00.000Z"
# 12 minutes 34 seconds into the session, frozen.
NOW = datetime.fromisoformat("2026-01-01T09:12:34+00:00").timestamp()

SIZES = {"small": (80, 24), "wide": (200, 50)}


def at(clock: str) -> float:
    """Epoch seconds of 2026-01-01 at `clock` (UTC)."""
    return datetime.fromisoformat(f"2026-01-01T{clock}+00:00").timestamp()


def app_log(name: str = "app") -> Any:
    return log_reading(
        name,
        [
            "2026-01-01T09:10:58Z INFO  request id=41 GET /orders 200 12ms",
            "2026-01-01T09:11:02Z WARN  pool: 9 of 10 connections in use",
            "2026-01-01T09:11:40Z INFO  request id=42 GET /orders 200 14ms",
            "2026-01-01T09:12:03Z ERROR db: connection refused (127.0.0.1:5432)",
            "2026-01-01T09:12:03Z INFO  retrying in 5s\x1b[2K",
            "2026-01-01T09:12:08Z ERROR db: connection refused (127.0.0.1:5432)",
        ],
        error_lines=2,
        warning_lines=1,
    )


# What the runbook of conftest.py declares, as its sources report it.
WALK_EVIDENCE = [
    ServiceReading("api", "up", "HTTP 200 OK", 12.0, at("09:10:00")),
    app_log(),
    BackupReading(
        "orders-db", "ok", at("06:00:00"), 0, 14, 3_435_973_837, None, "", at("09:12:00")
    ),
]


@pytest.fixture(autouse=True)
def fixed_session(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store_module, "new_session_id", lambda now=None: SESSION_ID)
    # The walk's clock counts from the journal's own stamps: every event at STARTED.
    monkeypatch.setattr(engine_module, "utc_timestamp", lambda t=None: STARTED)
    monkeypatch.setattr(journal_module, "utc_timestamp", lambda t=None: STARTED)
    # The panels show local times.
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()


@pytest.fixture
def snap_app(runbook_file: Path, home: Path):
    def make(**kwargs: Any) -> RunbookApp:
        kwargs.setdefault("evidence_opener", fixed_evidence(WALK_EVIDENCE))
        return RunbookApp(home=home, runbook=parse_file(runbook_file), clock=lambda: NOW, **kwargs)

    return make


async def _walk(pilot: Any) -> WalkScreen:
    app = pilot.app
    await app.workers.wait_for_complete()
    await pilot.pause()
    screen = app.screen
    assert isinstance(screen, WalkScreen)
    # Keys pressed before the session exists are held back and replayed: a dialog's
    # text typed then would reach the walk as keys. Wait for the session.
    await screen.wait_until(lambda: screen.started)
    await _evidence_in(pilot, screen)
    return screen


async def _until(pilot: Any, predicate: Callable[[], bool], what: str) -> None:
    """Let the app run until `predicate` holds (the deadline only guards a hang)."""
    deadline = time.monotonic() + 15
    while not predicate():
        assert time.monotonic() < deadline, f"never happened: {what}"
        await pilot.pause(0.01)
    await pilot.pause()


def _focus_in(pilot: Any, selector: str) -> bool:
    """The focus is in `selector`, and the footer has drawn the keys that go with it
    (it redraws after the focus moved, on a later refresh)."""
    focused = pilot.app.focused
    pane = pilot.app.screen.query_one(selector)
    footer = pilot.app.screen.query_one(KeysFooter)
    return (
        focused is not None
        and (focused is pane or pane in focused.ancestors)
        and footer.drawn == footer.keys_shown()
    )


async def _evidence_in(pilot: Any, walk: WalkScreen) -> None:
    """Wait until every declared source has reported and the board has redrawn."""
    rb = walk.runbook
    if not (rb.services or rb.backups or rb.logs):
        return
    board = walk.evidence_board
    deadline = time.monotonic() + 15
    while not (
        board.live
        and set(board.services) | {n for _, n in board.commands} >= {s.name for s in rb.services}
        and set(board.backups) >= {b.name for b in rb.backups}
        and all(
            state.reading is not None or ("log", name) in board.commands
            for name, state in board.logs.items()
        )
    ):
        assert time.monotonic() < deadline, "the evidence never came in"
        await pilot.pause(0.01)
    await pilot.pause()


async def _after_first_steps(pilot: Any) -> WalkScreen:
    """The manual step confirmed, check-disk run, and check-disk shown again."""
    walk = await _walk(pilot)
    await pilot.press("enter")
    await walk.wait_until(lambda: walk.status_of("prepare-cfbe02") == "succeeded")
    await pilot.press("enter")
    await walk.wait_until(lambda: walk.status_of("check-disk") == "succeeded")
    await _select(pilot, walk, "check-disk")
    return walk


async def _select(pilot: Any, walk: WalkScreen, step_id: str) -> None:
    """Select `step_id` and wait until the footer shows the keys that step allows: a
    dialog opened before that would cover a footer that no longer rebuilds."""
    walk.query_one("#steps").select_step(step_id)
    footer = walk.query_one(KeysFooter)
    for _ in range(200):
        await pilot.pause()
        if footer.drawn == footer.keys_shown():
            return
    raise AssertionError("the footer never settled")


async def _box_open(pilot: Any) -> None:
    """Wait for the text box a key opened (a dialog is pushed on a later turn of the
    loop than the key), then stop its cursor blinking."""
    await _until(pilot, lambda: bool(pilot.app.screen.query(Input)), "a text box")
    _no_blink(pilot)


def _no_blink(pilot: Any) -> None:
    for widget in pilot.app.screen.query(Input):
        widget.cursor_blink = False


@pytest.mark.parametrize("size", SIZES)
def test_walk_screen(snap_compare, snap_app, size: str) -> None:
    async def run_before(pilot: Any) -> None:
        await _after_first_steps(pilot)

    assert snap_compare(snap_app(), terminal_size=SIZES[size], run_before=run_before)


def test_walk_screen_in_a_light_theme(snap_compare, snap_app) -> None:
    """The palette is theme variables only: a light terminal theme reads as well."""

    async def run_before(pilot: Any) -> None:
        pilot.app.theme = "textual-light"
        await _after_first_steps(pilot)

    assert snap_compare(snap_app(), terminal_size=SIZES["small"], run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_drill_header_past_rto(snap_compare, snap_app, size: str) -> None:
    app = snap_app(drill=True)
    app.clock = lambda: NOW + 20 * 60  # 32:34 into a 30-minute RTO

    async def run_before(pilot: Any) -> None:
        await _walk(pilot)

    assert snap_compare(app, terminal_size=SIZES[size], run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_confirm_dialog(snap_compare, snap_app, size: str) -> None:
    async def run_before(pilot: Any) -> None:
        walk = await _after_first_steps(pilot)
        await _select(pilot, walk, "stop-writes")
        await pilot.press("enter")

    assert snap_compare(snap_app(), terminal_size=SIZES[size], run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_danger_dialog_after_a_wrong_phrase(snap_compare, snap_app, size: str) -> None:
    async def run_before(pilot: Any) -> None:
        walk = await _walk(pilot)
        await _select(pilot, walk, "restore")
        await pilot.press("enter")
        await _box_open(pilot)
        await pilot.press(*"restore order", "enter")

    assert snap_compare(snap_app(), terminal_size=SIZES[size], run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_skip_reason_dialog(snap_compare, snap_app, size: str) -> None:
    async def run_before(pilot: Any) -> None:
        await _walk(pilot)
        await pilot.press("s")
        await _box_open(pilot)
        await pilot.press(*"done by hand")

    assert snap_compare(snap_app(), terminal_size=SIZES[size], run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_note_dialog(snap_compare, snap_app, size: str) -> None:
    async def run_before(pilot: Any) -> None:
        await _walk(pilot)
        await pilot.press("n")
        await _box_open(pilot)
        await pilot.press(*"paged the DBA")

    assert snap_compare(snap_app(), terminal_size=SIZES[size], run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_rollback_offer_dialog(snap_compare, snap_app, size: str) -> None:
    async def run_before(pilot: Any) -> None:
        walk = await _walk(pilot)
        await _select(pilot, walk, "verify")
        await pilot.press("enter")
        # The engine's status flips before the UI has handled the step's end: wait for
        # the dialog itself, then for the messages that update the walk behind it.
        await walk.wait_until(lambda: isinstance(pilot.app.screen, RollbackOfferDialog))
        # The footer behind the dialog rebuilds after a refresh: wait until it shows
        # the keys the failed step allows (Retry among them).
        footer = walk.query_one(KeysFooter)
        await walk.wait_until(lambda: footer.drawn == footer.keys_shown())
        await pilot.pause()

    assert snap_compare(snap_app(), terminal_size=SIZES[size], run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_quit_while_running_dialog(snap_compare, snap_app, size: str) -> None:
    # The dialog as the walk shows it for a running step; that a running step really
    # brings it up is a pilot test (a step left running would outlive the snapshot).
    async def run_before(pilot: Any) -> None:
        await _walk(pilot)
        pilot.app.push_screen(
            QuitWhileRunningDialog(
                "“wait-replica” is still running. Quitting cancels it (its process group "
                "is killed). The session stays resumable."
            )
        )
        await pilot.pause()

    assert snap_compare(snap_app(), terminal_size=SIZES[size], run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_help_dialog(snap_compare, snap_app, size: str) -> None:
    async def run_before(pilot: Any) -> None:
        await _walk(pilot)
        await pilot.press("question_mark")

    assert snap_compare(snap_app(), terminal_size=SIZES[size], run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_resume_offer_dialog(snap_compare, snap_app, runbook_file, home, size: str) -> None:
    from runbook_tui.session.engine import Engine

    Engine.start(parse_file(runbook_file), home=home, variables={}).close()

    async def run_before(pilot: Any) -> None:
        await pilot.pause()

    assert snap_compare(snap_app(), terminal_size=SIZES[size], run_before=run_before)


def test_variables_form(snap_compare, tmp_path, home) -> None:
    from .test_opening import VARIABLES_RUNBOOK

    path = tmp_path / "deploy.md"
    path.write_text(VARIABLES_RUNBOOK)
    app = RunbookApp(home=home, runbook=parse_file(path), clock=lambda: NOW)

    async def run_before(pilot: Any) -> None:
        await pilot.pause()
        _no_blink(pilot)
        form = pilot.app.screen
        form.query_one("#var-RELEASE", Input).value = "4x2"
        form.query_one("#var-TOKEN", Input).value = "s3cret"
        await pilot.pause()

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)


def test_picker(snap_compare, runbook_file, home, monkeypatch) -> None:
    from runbook_tui.session.engine import Engine

    (runbook_file.parent / "rotate.md").write_text(
        "---\ntitle: Rotate keys\nkind: maintenance\n---\n# Rotate\n"
    )
    Engine.start(parse_file(runbook_file), home=home, variables={}, drill=True).end("completed")
    monkeypatch.chdir(runbook_file.parent.parent)
    app = RunbookApp(home=home, runbook_dir=Path("runbooks"), clock=lambda: NOW)

    async def run_before(pilot: Any) -> None:
        await pilot.pause()

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)


# ---- off the plan: reference blocks, placeholders, ad-hoc commands -------------------


@pytest.fixture
def drain_app(tmp_path: Path, home: Path):
    from runbook_tui.runbook.parser import load

    from .test_off_plan import DRAIN

    path = tmp_path / "runbooks" / "drain.md"
    path.parent.mkdir(exist_ok=True)
    path.write_text(DRAIN)
    result = load(path)
    return RunbookApp(
        home=home, runbook=result.runbook, warnings=result.warnings, clock=lambda: NOW
    )


@pytest.mark.parametrize("size", SIZES)
def test_reference_blocks_in_the_list(snap_compare, drain_app, size: str) -> None:
    """Blocks marked apart (◇, muted) in place between the steps, one marked done by
    hand, an ad-hoc command run; the selected block's prose, text and status; the lint
    warnings counted in the header."""

    async def run_before(pilot: Any) -> None:
        walk = await _walk(pilot)
        first, second = walk.runbook.references
        await _select(pilot, walk, second.id)
        await pilot.press("m")
        await walk.wait_until(lambda: walk.status_of(second.id) == "succeeded")
        await pilot.press("colon", *"echo checked by hand", "enter")
        await walk.wait_until(lambda: walk.status_of("adhoc-1") == "succeeded")
        await _select(pilot, walk, first.id)

    assert snap_compare(drain_app, terminal_size=SIZES[size], run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_placeholder_form(snap_compare, drain_app, size: str) -> None:
    async def run_before(pilot: Any) -> None:
        await _walk(pilot)
        await pilot.press("enter")  # force-delete: <pod-name>
        for _ in range(100):
            await pilot.pause()
            if pilot.app.screen.query(Input):
                break
        _no_blink(pilot)
        await pilot.press(*"web-1")
        await pilot.pause()

    assert snap_compare(drain_app, terminal_size=SIZES[size], run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_edit_box(snap_compare, drain_app, size: str) -> None:
    async def run_before(pilot: Any) -> None:
        from textual.widgets import TextArea

        walk = await _walk(pilot)
        await _select(pilot, walk, walk.runbook.references[0].id)
        await pilot.press("enter")
        for _ in range(100):
            await pilot.pause()
            if pilot.app.screen.query(TextArea):
                break
        _no_blink(pilot)
        for area in pilot.app.screen.query(TextArea):
            area.cursor_blink = False
        await pilot.pause()

    assert snap_compare(drain_app, terminal_size=SIZES[size], run_before=run_before)


# ---- the evidence panels ------------------------------------------------------------

EVIDENCE_RUNBOOK = """\
---
title: Orders outage
kind: incident
services:
  - {name: api, http: "http://127.0.0.1:8080/health"}
  - {name: db, tcp: "127.0.0.1:5432"}
  - {name: worker, systemd: orders-worker.service}
  - {name: smoke, command: "curl -fsS http://127.0.0.1:8080/orders"}
logs:
  - {name: app, path: /var/log/orders/app.log}
  - {name: audit, command: "journalctl -fu orders-audit"}
backups:
  - {name: orders-db, path: "/backups/orders-*.tar.gz", max_age: 1d}
  - {name: media, path: "/backups/media-*", max_age: 6h}
  - {name: archive, path: "/backups/archive-*"}
  - {name: offsite, restic: "s3:backup.internal/offsite", password_env: RESTIC_PASSWORD}
restores: [orders-db]
---

# Orders outage

```sh {"name":"look"}
echo looking
```
"""

EVIDENCE = [
    ServiceReading("api", "up", "HTTP 200 OK", 12.4, at("09:10:00")),
    ServiceReading("db", "down", "connection refused", None, at("09:11:30")),
    ServiceReading("worker", "unknown", "no systemd here", None, at("09:12:30")),
    app_log(),
    BackupReading(
        "orders-db",
        "ok",
        at("06:00:00"),
        0,
        14,
        3_435_973_837,
        RestoreDrill("2025-12-28T10:00:00.000Z", True, "20251228T100000Z-9f3e"),
        "",
        at("09:12:00"),
    ),
    BackupReading(
        "media",
        "stale",
        at("01:00:00"),
        0,
        3,
        52_428_800,
        None,
        "newest is 8h 12m old, max_age 6h00m",
        at("09:12:00"),
    ),
    BackupReading(
        "archive", "missing", None, None, 0, None, None, "nothing matches /backups/archive-*"
    ),
    BackupReading(
        "offsite", "error", None, None, 0, None, None, "restic: wrong password or no key found"
    ),
]


@pytest.fixture
def evidence_app(tmp_path: Path, home: Path):
    path = tmp_path / "outage.md"
    path.write_text(EVIDENCE_RUNBOOK)

    def make() -> RunbookApp:
        commands = {"service:smoke": "curl -fsS …", "log:audit": "journalctl -fu orders-audit"}
        return RunbookApp(
            home=home,
            runbook=parse_file(path),
            clock=lambda: NOW,
            evidence_opener=fixed_evidence(EVIDENCE, commands),
        )

    return make


async def _refused(pilot: Any) -> WalkScreen:
    """The walk with the consent question answered No."""
    app = pilot.app
    await app.workers.wait_for_complete()
    walk = app.walk
    assert walk is not None
    deadline = time.monotonic() + 15
    while not isinstance(app.screen, ConsentDialog):
        assert time.monotonic() < deadline, "the consent question never came"
        await pilot.pause(0.01)
    await pilot.press("n")
    await _evidence_in(pilot, walk)
    return walk


def test_consent_dialog(snap_compare, evidence_app) -> None:
    async def run_before(pilot: Any) -> None:
        deadline = time.monotonic() + 15
        while not isinstance(pilot.app.screen, ConsentDialog):
            assert time.monotonic() < deadline
            await pilot.pause(0.01)
        await pilot.pause()

    assert snap_compare(evidence_app(), terminal_size=SIZES["small"], run_before=run_before)


@pytest.mark.parametrize(
    ("key", "tab"),
    [pytest.param(k, t, id=t) for k, t in (("2", "logs"), ("3", "services"), ("4", "backups"))],
)
def test_evidence_tab(snap_compare, evidence_app, key: str, tab: str) -> None:
    async def run_before(pilot: Any) -> None:
        await _refused(pilot)
        await pilot.press(key)
        # The panel is mounted the first time its tab is shown; its focus (a border
        # colour) must be in the picture, whatever the machine's load.
        await _until(pilot, lambda: _focus_in(pilot, f"#tab-{tab}"), f"the focus in {tab}")

    assert snap_compare(evidence_app(), terminal_size=SIZES["small"], run_before=run_before)


def test_logs_panel_filtered(snap_compare, evidence_app) -> None:
    async def run_before(pilot: Any) -> None:
        await _refused(pilot)
        await pilot.press("2")
        await _until(pilot, lambda: _focus_in(pilot, "#tab-logs"), "the focus in the Logs tab")
        await pilot.press("slash")
        await _box_open(pilot)
        await pilot.press(*"error|warn", "enter")
        # The board redraws the panel on its next batch (~100 ms), not at the key.
        view = pilot.app.screen.query_one("#tab-logs LogLines", LogLines)

        def filtered() -> bool:
            lines = view.lines
            return bool(lines) and all(re.search("error|warn", x, re.I) for x in lines)

        await _until(
            pilot, lambda: filtered() and _focus_in(pilot, "#tab-logs"), "the filtered lines"
        )

    assert snap_compare(evidence_app(), terminal_size=SIZES["small"], run_before=run_before)


def test_evidence_column_in_the_wide_layout(snap_compare, evidence_app) -> None:
    async def run_before(pilot: Any) -> None:
        await _refused(pilot)

    assert snap_compare(evidence_app(), terminal_size=SIZES["wide"], run_before=run_before)
