"""Pilot-test fixtures: a real runbook file, a real engine and journal in a temporary
home, and helpers that wait on the walk screen's own change signal (never on sleeps)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from runbook_tui.runbook.model import Runbook
from runbook_tui.runbook.parser import load

RUNBOOK = """\
---
title: Restore the orders database
kind: restore
owner: dba-team
rto: 30m
services:
  - name: api
    http: http://127.0.0.1:8080/health
logs:
  - name: app
    path: /var/log/app.log
backups:
  - name: orders-db
    path: /backups/orders-*.tar.gz
    max_age: 1d
restores: [orders-db]
---

# Restore the orders database

## Prepare

Check the host has room for the restore. **Do not** continue when the disk is full.

- [ ] Tell #incident that writes are paused

```sh {"name":"check-disk"}
printf '\\033[32mok\\033[0m disk has room\\n'
echo second line
```

## Restore

```sh {"name":"stop-writes","confirm":true}
echo writes stopped
```

```sh {"name":"restore","danger":"restore orders"}
echo restoring; echo restored
```

```sh {"name":"verify"}
test -f verified-once || { touch verified-once; echo not yet; exit 3; }
echo verified
```

```sh {"name":"wait-replica"}
echo waiting; echo 'for the replica to catch up...'; sleep 30; echo caught up
```

## Rollback

```sh {"name":"resume-writes"}
echo writes resumed
```
"""


def parse_file(path: Path) -> Runbook:
    result = load(path)
    assert not [d for d in result.diagnostics if d.severity == "error"], result.diagnostics
    assert result.runbook is not None
    return result.runbook


@pytest.fixture
def runbook_file(tmp_path: Path) -> Path:
    folder = tmp_path / "runbooks"
    folder.mkdir()
    path = folder / "restore.md"
    path.write_text(RUNBOOK)
    return path


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "home"


@pytest.fixture
def make_app(runbook_file: Path, home: Path) -> Callable[..., Any]:
    from runbook_tui.tui.app import RunbookApp

    def make(path: Path | None = None, **kwargs: Any) -> RunbookApp:
        runbook = parse_file(path or runbook_file)
        return RunbookApp(home=home, runbook=runbook, **kwargs)

    return make


def journal_events(home: Path, session_id: str | None = None) -> list[dict[str, Any]]:
    """The journal of the only (or the named) session, read as JSON lines."""
    sessions = sorted((home / "sessions").iterdir())
    if session_id is not None:
        sessions = [s for s in sessions if s.name == session_id]
    assert len(sessions) == 1, sessions
    lines = (sessions[0] / "journal.jsonl").read_text().splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def of_type(events: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [e for e in events if e["type"] == kind]


async def walk_screen(app: Any, pilot: Any) -> Any:
    """The walk screen once it is up (the opening runs in a worker)."""
    from runbook_tui.tui.walk import WalkScreen

    await app.workers.wait_for_complete()
    await pilot.pause()
    screen = app.screen
    assert isinstance(screen, WalkScreen), screen
    # The opening's workers may not have started the session yet: wait for it.
    await screen.wait_until(lambda: screen.started)
    return screen


async def select(pilot: Any, screen: Any, step_id: str) -> None:
    screen.query_one("#steps").select_step(step_id)
    await pilot.pause()


async def wait_status(screen: Any, step_id: str, *statuses: str) -> None:
    await screen.wait_until(lambda: screen.status_of(step_id) in statuses)


async def perform(pilot: Any, screen: Any, step_id: str, *statuses: str) -> None:
    """Select `step_id`, press Enter, and wait until its status is one of `statuses`."""
    await select(pilot, screen, step_id)
    await pilot.press("enter")
    await wait_status(screen, step_id, *statuses)


def screen_text(app: Any) -> list[str]:
    """What the terminal shows, one string a line: the screen as a screenshot renders
    it, with a dialog drawn over the screens under it."""
    import io

    from rich.console import Console

    width, height = app.size
    console = Console(
        width=width,
        height=height,
        file=io.StringIO(),
        force_terminal=True,
        color_system="truecolor",
        record=True,
        legacy_windows=False,
    )
    console.print(
        app.screen._compositor.render_update(full=True, screen_stack=app._background_screens)
    )
    return console.export_text(styles=False).splitlines()
