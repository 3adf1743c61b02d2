"""What the UI needs from the session engine, as Protocols.

The UI is written against these shapes rather than the concrete classes so the
screens stay readable on their own and a test can see, in one file, every call the
UI makes into the core. `real_backend()` binds them to `runbook_tui.session`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from runbook_tui.runbook.model import Runbook

if TYPE_CHECKING:
    from runbook_tui.session.plan import Plan

EventCallback = Callable[[dict[str, Any]], None]


class StepStateLike(Protocol):
    @property
    def status(self) -> str: ...
    @property
    def exit_code(self) -> int | None: ...
    @property
    def attempts(self) -> int: ...
    @property
    def output(self) -> str: ...
    @property
    def skip_reason(self) -> str | None: ...
    @property
    def kind(self) -> str: ...
    @property
    def command(self) -> str | None: ...
    @property
    def confirmed_at(self) -> str | None: ...
    @property
    def template(self) -> str | None: ...
    @property
    def fills(self) -> tuple[tuple[str, str], ...]: ...


class SessionStateLike(Protocol):
    @property
    def status(self) -> str: ...
    @property
    def steps(self) -> Mapping[str, StepStateLike]: ...
    @property
    def notes(self) -> Any: ...
    @property
    def started_at(self) -> Any: ...
    @property
    def drill(self) -> bool: ...
    @property
    def walk(self) -> str: ...
    @property
    def segments(self) -> tuple[tuple[str, str | None], ...]: ...


class StepOutcomeLike(Protocol):
    step_id: str
    verdict: str
    exit_code: int | None
    reason: str
    cancelled: bool


class RefusalLike(Protocol):
    def describe(self) -> str: ...


class PreparedLike(Protocol):
    """A command about to run with its placeholders filled (session/engine.py Prepared)."""

    @property
    def command(self) -> str: ...
    @property
    def env(self) -> dict[str, str]: ...
    @property
    def unfilled(self) -> tuple[str, ...]: ...
    @property
    def missing(self) -> tuple[str, ...]: ...
    @property
    def refused(self) -> tuple[RefusalLike, ...]: ...
    @property
    def ready(self) -> bool: ...
    @property
    def problem(self) -> str: ...


class MaskLike(Protocol):
    def mask(self, text: str) -> str: ...


class SessionSummaryLike(Protocol):
    id: str
    runbook_path: str
    title: str
    status: str
    drill: bool
    started_at: Any
    ended_at: Any
    operator: Any
    drill_verdict: Any  # a drill's recorded {passed, ...}, or None


class EngineLike(Protocol):
    """One live session. Every intent goes to the journal before it takes effect."""

    @property
    def session_id(self) -> str: ...

    @property
    def state(self) -> SessionStateLike: ...

    @property
    def running(self) -> bool: ...

    @property
    def home(self) -> Path: ...

    @property
    def walk(self) -> str: ...

    @property
    def plan(self) -> Plan: ...

    # The runbook as the engine runs it (unmasked), and the session's masking.
    @property
    def runbook(self) -> Runbook: ...

    @property
    def redactor(self) -> MaskLike: ...

    def subscribe(self, callback: EventCallback) -> Callable[[], None]: ...

    def output_snapshot(self, step_id: str) -> tuple[str, int]: ...

    def prepare(self, text: str, fills: Mapping[str, str] | None = None) -> PreparedLike: ...

    def run_step(
        self,
        step_id: str,
        *,
        confirmed_by: str | None = None,
        fills: Mapping[str, str] | None = None,
    ) -> StepOutcomeLike: ...

    def run_interactive(
        self,
        step_id: str,
        *,
        confirmed_by: str | None = None,
        fills: Mapping[str, str] | None = None,
    ) -> StepOutcomeLike: ...

    def run_reference(
        self,
        ref_id: str,
        text: str,
        *,
        confirmed_by: str | None = None,
        fills: Mapping[str, str] | None = None,
        interactive: bool = False,
        timeout_seconds: float | None = None,
    ) -> StepOutcomeLike: ...

    def run_adhoc(
        self,
        text: str,
        *,
        confirmed_by: str | None = None,
        fills: Mapping[str, str] | None = None,
        interactive: bool = False,
        timeout_seconds: float | None = None,
    ) -> StepOutcomeLike: ...

    def mark_reference(self, ref_id: str) -> Any: ...

    def pass_reference(self, ref_id: str, reason: str = "") -> Any: ...

    def cancel(self) -> Any: ...

    def confirm_manual(self, step_id: str) -> Any: ...

    def skip(self, step_id: str, reason: str) -> Any: ...

    def note(self, text: str, step_id: str | None = None) -> Any: ...

    def switch_walk(self, walk: str, reason: str) -> Any: ...

    def end(self, status: str, reason: str = "") -> Any: ...

    def finish(self, reason: str = "") -> str: ...

    def close(self) -> Any: ...


class Backend(Protocol):
    """How the app starts, resumes and lists sessions."""

    def start(
        self,
        runbook: Runbook,
        *,
        home: Path,
        variables: dict[str, str],
        drill: bool = False,
        workdir: Path | None = None,
    ) -> EngineLike: ...

    def resume(
        self,
        home: Path,
        session_id: str,
        runbook: Runbook,
        *,
        variables: dict[str, str] | None = None,
        allow_changed: bool = False,
    ) -> EngineLike: ...

    def is_runbook_changed(self, error: Exception) -> bool:
        """Whether `error` (from resume) means only that the runbook file changed."""
        ...

    def list_sessions(self, home: Path) -> list[SessionSummaryLike]: ...

    def needed_on_resume(self, home: Path, session_id: str, runbook: Runbook) -> set[str] | None:
        """The variables a resume must ask for (None: every one)."""
        ...


class RealBackend:
    """The engine and session store from `runbook_tui.session`."""

    def start(
        self,
        runbook: Runbook,
        *,
        home: Path,
        variables: dict[str, str],
        drill: bool = False,
        workdir: Path | None = None,
    ) -> EngineLike:
        from runbook_tui.session.engine import Engine

        return Engine.start(runbook, home=home, variables=variables, drill=drill, workdir=workdir)

    def resume(
        self,
        home: Path,
        session_id: str,
        runbook: Runbook,
        *,
        variables: dict[str, str] | None = None,
        allow_changed: bool = False,
    ) -> EngineLike:
        from runbook_tui.session.engine import Engine

        return Engine.resume(
            home, session_id, runbook, variables=variables, allow_changed=allow_changed
        )

    def is_runbook_changed(self, error: Exception) -> bool:
        from runbook_tui.session.engine import RunbookChanged

        return isinstance(error, RunbookChanged)

    def list_sessions(self, home: Path) -> list[SessionSummaryLike]:
        from runbook_tui.session.store import list_sessions

        return list(list_sessions(home))

    def needed_on_resume(self, home: Path, session_id: str, runbook: Runbook) -> set[str] | None:
        from runbook_tui.session.journal import read_journal
        from runbook_tui.session.plan import Plan
        from runbook_tui.session.state import fold
        from runbook_tui.session.store import find_session

        sdir = find_session(home, session_id)
        state = fold(read_journal(sdir.journal_path, skip_output=True).events)
        return Plan(runbook, state).needed_variables()


def to_epoch(value: Any) -> float | None:
    """Seconds since the epoch for a timestamp as the core may give it (ISO text,
    datetime or number); None when absent or unreadable."""
    if value is None or value == "":
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, datetime):
        return value.timestamp()
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None
