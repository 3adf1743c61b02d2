"""Sources with fixed readings, for pictures that must not move: a real hub polls them,
so the feed, the board and the panels run as they do live; only what the world says
is fixed (a snapshot cannot depend on what listens on a port or how long a check
took). Pilot tests use real servers, files and commands instead."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from runbook_tui.sources.hub import Hub
from runbook_tui.sources.logs import LogReading, TimeJump, jump_in_lines


class Silent:
    """A source that never reports (a command the operator did not allow)."""

    def __init__(self, name: str) -> None:
        self.name = name

    def poll(self) -> None:
        return None

    def close(self) -> None:
        pass


def _kind(reading: Any) -> str:
    from runbook_tui.sources.readings import BackupReading, ServiceReading

    if isinstance(reading, ServiceReading):
        return "service"
    return "backup" if isinstance(reading, BackupReading) else "log"


class FixedSource:
    def __init__(self, reading: Any) -> None:
        self.name = reading.name
        self.reading = reading
        self.polls = 0

    def poll(self) -> Any:
        self.polls += 1
        return self.reading

    def close(self) -> None:
        pass

    def lines_around(self, when: Any, n: int) -> TimeJump:
        return jump_in_lines(self.reading.lines, when, n)


def log_reading(name: str, lines: Iterable[str], **fields: Any) -> LogReading:
    values: dict[str, Any] = {
        "new_lines": 0,
        "total_lines": 0,
        "error_lines": 0,
        "warning_lines": 0,
        "notes": (),
        "detail": f"/var/log/{name}.log",
        "error": None,
        "skipped_bytes": 0,
        "at": 0.0,
    }
    values.update(fields)
    return LogReading(name=name, lines=tuple(lines), **values)


def fixed_hub(readings: Iterable[Any], commands: dict[str, str] | None = None) -> Hub:
    """A hub whose sources report `readings` (services, backups, log readings), once
    each; `commands` names the sources that run a command (kind:name -> text)."""
    commands = commands or {}
    items = list(readings)
    hub = Hub()
    named = {f"{_kind(r)}:{r.name}" for r in items}
    for key, text in commands.items():
        if key not in named:  # a command source that has nothing to say
            kind, name = key.split(":", 1)
            hub.add(Silent(name), kind=kind, interval=3600, command=text)  # type: ignore[arg-type]
    for reading in items:
        kind = _kind(reading)
        hub.add(
            FixedSource(reading),
            kind=kind,  # type: ignore[arg-type]
            interval=3600,
            command=commands.get(f"{kind}:{reading.name}"),
        )
    return hub


def fixed_evidence(
    readings: Iterable[Any], commands: dict[str, str] | None = None
) -> Callable[[Any], Any]:
    """An evidence opener for the app: the session's real `SessionEvidence` (recording
    into its journal, asking for consent) over a `fixed_hub`."""
    from runbook_tui.sources.recorder import SessionEvidence

    items = list(readings)

    def open_evidence(engine: Any) -> SessionEvidence:
        return SessionEvidence(engine, fixed_hub(items, commands), sha256=None)

    return open_evidence
