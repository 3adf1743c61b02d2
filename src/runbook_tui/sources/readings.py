"""What a source saw: frozen dataclasses, the contract between the sources, the hub,
the UI and `status`. Times are Unix seconds (`time.time()`); `as_dict` gives the JSON
form of `runbook-tui status --json`, with times in the journal's ISO 8601 form."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Literal

ServiceState = Literal["up", "down", "unknown"]
BackupState = Literal["ok", "stale", "missing", "error"]
SERVICE_STATES = ("up", "down", "unknown")
BACKUP_STATES = ("ok", "stale", "missing", "error")


def iso(t: float | None) -> str | None:
    """UTC ISO 8601 with milliseconds and a Z, as the journal writes times."""
    if t is None:
        return None
    secs = int(t)
    ms = int((t - secs) * 1000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(secs)) + f".{ms:03d}Z"


@dataclass(frozen=True)
class ServiceReading:
    """One check of a service. `since` is when its state last changed (the hub fills
    it in: a check alone does not know its history); `latency_ms` is None where the
    check measures none (process, command, systemd) or got no answer."""

    name: str
    state: ServiceState
    detail: str
    latency_ms: float | None
    checked_at: float
    since: float | None = None

    def as_dict(self) -> dict[str, Any]:
        """The `services` item of `status --json`."""
        return {
            "name": self.name,
            "state": self.state,
            "detail": self.detail,
            "latency_ms": None if self.latency_ms is None else round(self.latency_ms, 1),
            "checked_at": iso(self.checked_at),
        }


@dataclass(frozen=True)
class ServiceChange:
    """A service's state changed (the first reading is a change from `unknown`): what
    the journal records as `service_changed`. The hub hands it to subscribers just
    before the reading that made it."""

    name: str
    from_state: ServiceState
    to_state: ServiceState
    detail: str
    at: float


@dataclass(frozen=True)
class RestoreDrill:
    """The newest drill session of a runbook that `restores` a backup set. `passed` is
    None until the drill's verdict is recorded (or when the drill did not finish)."""

    at: str | None
    passed: bool | None
    session: str

    def as_dict(self) -> dict[str, Any]:
        return {"at": self.at, "passed": self.passed, "session": self.session}


@dataclass(frozen=True)
class BackupReading:
    """One look at a backup set. `newest_at`/`age_seconds` are None when nothing was
    found (or on error); `total_bytes` is None where the size is not known cheaply
    (restic)."""

    name: str
    state: BackupState
    newest_at: float | None
    age_seconds: float | None
    count: int
    total_bytes: int | None
    last_restore_drill: RestoreDrill | None
    detail: str
    checked_at: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        """The `backups` item of `status --json`."""
        drill = self.last_restore_drill
        return {
            "name": self.name,
            "state": self.state,
            "newest_at": iso(self.newest_at),
            "age_seconds": None if self.age_seconds is None else round(self.age_seconds, 3),
            "count": self.count,
            "total_bytes": self.total_bytes,
            "last_restore_drill": None if drill is None else drill.as_dict(),
            "detail": self.detail,
        }
