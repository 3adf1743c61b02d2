"""Restore evidence: for a backup set, the newest drill session of a runbook whose
`restores` named it, read from the session store.

Only each journal's first line (`session_started`: `drill`, and the recorded
runbook's `restores`, not the file as it is now) and its last session-level event
are read. `passed` is `session_ended`'s `drill.passed` (written by the drills
issue); None while there is none (an older journal, an unfinished drill).

`session/drills.py`'s `last_drill_restoring` is the same lookup made once; this index
keeps the first lines between the hub's repeated lookups. Both read the verdict with
`drills.passed_of`."""

from __future__ import annotations

import os
import threading
from pathlib import Path

from runbook_tui.session.drills import passed_of, recorded_verdict
from runbook_tui.session.journal import read_first_event, read_last_event_of
from runbook_tui.session.statuses import SESSION_LEVEL_EVENTS
from runbook_tui.session.store import session_dirs
from runbook_tui.sources.readings import RestoreDrill


class RestoreIndex:
    """`index(name) -> RestoreDrill | None`, a `restore_lookup` for the hub. First
    lines never change, so they are read once per session; the store is listed again
    on every lookup (new sessions appear while the walk runs)."""

    def __init__(self, home: str | os.PathLike[str]) -> None:
        self.home = Path(home)
        self._lock = threading.Lock()
        self._first: dict[str, tuple[tuple[str, ...], str | None] | None] = {}

    def __call__(self, name: str) -> RestoreDrill | None:
        with self._lock:
            for sdir in session_dirs(self.home):  # newest id (start time) first
                drill = self._drill_of(sdir.id, sdir.journal_path)
                if drill is None or name not in drill[0]:
                    continue
                return RestoreDrill(at=drill[1], passed=_passed(sdir.journal_path), session=sdir.id)
        return None

    def _drill_of(self, sid: str, journal: Path) -> tuple[tuple[str, ...], str | None] | None:
        """(restores, started_at) of a drill session; None for other sessions."""
        if sid not in self._first:
            try:
                first = read_first_event(journal) or {}
            except OSError:
                return None  # not cached: it may be readable next time
            runbook = first.get("runbook")
            restores = runbook.get("restores") if isinstance(runbook, dict) else None
            if first.get("type") == "session_started" and first.get("drill") is True:
                names = tuple(r for r in restores or () if isinstance(r, str))
                self._first[sid] = (names, first.get("started_at") or first.get("ts"))
            else:
                self._first[sid] = None
        return self._first[sid]


def _passed(journal: Path) -> bool | None:
    try:
        last = read_last_event_of(journal, SESSION_LEVEL_EVENTS)
    except OSError:
        return None
    return passed_of(recorded_verdict(last))
