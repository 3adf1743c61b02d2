"""Drills: a rehearsal's verdict and report, and the store's memory of drills.

The rules (docs/drills.md, docs/journal-format.md):
- A drill is timed from the journal's own timestamps, counting only the time a process
  had the session open (`clock.open_seconds` over the fold's segments): a drill paused
  or interrupted and resumed later does not count the time in between.
- It passes when it ended with the walk done (`completed`, or `rolled_back` for a drill
  of the rollback walk itself), every step of the walk it started with succeeded (a
  retry that then succeeded counts) or was skipped with a reason, it never switched to
  the rollback steps, and it ended within the runbook's `rto` (with no `rto`, only the
  steps decide). A session paused, aborted or still open is unfinished: `passed` null.
- The engine writes the verdict into `session_ended` (`drill: {passed, rto_seconds,
  duration_seconds}`), so the history reads one line per session, never a fold.

`drill_report` is the one place the end-of-drill report is made; the headless walk and
the UI print its `lines()`.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

from runbook_tui.runbook.durations import format_duration
from runbook_tui.runbook.model import Runbook
from runbook_tui.session.clock import epoch, open_seconds
from runbook_tui.session.journal import read_first_event, read_last_event_of
from runbook_tui.session.plan import Plan
from runbook_tui.session.state import WalkChange
from runbook_tui.session.statuses import SESSION_LEVEL_EVENTS
from runbook_tui.session.store import session_dirs

# What the engine records for a skip the operator gave no reason for: not a reason.
NO_REASON = "no reason given"
# The statuses a drill can pass with: the walk ran to its end.
_PASSING_END = ("completed", "rolled_back")
# Statuses that leave the drill unfinished: it can be resumed and finished later.
_UNFINISHED = ("running", "paused", "aborted", "interrupted")
# How many of the slowest steps the report names.
SLOWEST = 3
# How the report marks what ran that is not a step of the runbook (OFF_PLAN_KINDS).
_OFF_PLAN = {"adhoc": " (ad hoc)", "reference": " (reference)"}


class _Attempt(Protocol):
    @property
    def attempt(self) -> int: ...
    @property
    def status(self) -> str: ...
    @property
    def reason(self) -> str | None: ...
    @property
    def duration_seconds(self) -> float | None: ...


class _Step(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def rollback(self) -> bool: ...
    @property
    def started_order(self) -> int: ...
    @property
    def ended_order(self) -> int: ...
    @property
    def duration_seconds(self) -> float | None: ...
    @property
    def attempts(self) -> int: ...
    @property
    def skip_reason(self) -> str | None: ...
    @property
    def history(self) -> Iterable[_Attempt]: ...


class _Session(Protocol):
    """What the report reads of a fold: a SessionState or an engine's snapshot."""

    @property
    def status(self) -> str: ...
    @property
    def ended(self) -> bool: ...
    @property
    def walk(self) -> str: ...
    @property
    def steps(self) -> Mapping[str, _Step]: ...
    @property
    def segments(self) -> Iterable[tuple[str, str | None]] | Iterable[list[str | None]]: ...
    @property
    def walk_changes(self) -> Iterable[WalkChange]: ...
    @property
    def drill_result(self) -> Mapping[str, Any] | None: ...


# -- the report ------------------------------------------------------------------------


@dataclass(frozen=True)
class StepTime:
    """One step as the report tells it: its outcome and the time all its attempts took
    (None for a manual step or one that never ran)."""

    id: str
    title: str
    status: str
    seconds: float | None
    attempts: int
    skip_reason: str | None = None


@dataclass(frozen=True)
class Failure:
    step_id: str
    title: str
    attempt: int
    reason: str


@dataclass(frozen=True)
class Retry:
    step_id: str
    title: str
    attempts: int
    status: str  # how the last attempt ended


@dataclass(frozen=True)
class DrillReport:
    """The end of a drill: the verdict against the RTO and what took the time."""

    passed: bool | None  # None: unfinished
    status: str | None  # the session's end status (None while it is open)
    rto_seconds: float | None
    duration_seconds: float
    steps_seconds: float
    why: tuple[str, ...]  # why it failed (empty when it passed or is unfinished)
    steps: tuple[StepTime, ...]
    failures: tuple[Failure, ...]
    retries: tuple[Retry, ...]

    @property
    def slowest(self) -> tuple[StepTime, ...]:
        timed = [s for s in self.steps if s.seconds]
        timed.sort(key=lambda s: s.seconds or 0.0, reverse=True)
        return tuple(timed[:SLOWEST])

    def verdict(self) -> dict[str, Any]:
        """What `session_ended` records: `{passed, rto_seconds, duration_seconds}`."""
        return {
            "passed": self.passed,
            "rto_seconds": self.rto_seconds,
            "duration_seconds": round(self.duration_seconds, 3),
        }

    def headline(self) -> str:
        """`Drill passed in 3.2s, within the RTO of 1m00s.` and the like."""
        took = span(self.duration_seconds)
        rto = f"the RTO of {span(self.rto_seconds)}" if self.rto_seconds else None
        if self.passed is None:
            where = f" ({self.status})" if self.status else ""
            against = f" of {rto}" if rto else ""
            return f"Drill unfinished{where}: {took} so far{against}."
        word = "passed" if self.passed else "FAILED"
        if rto is None:
            return f"Drill {word} in {took} (no RTO set: the steps decide)."
        assert self.rto_seconds is not None
        if self.duration_seconds > self.rto_seconds:
            over = span(self.duration_seconds - self.rto_seconds)
            return f"Drill {word} in {took}, over {rto} by {over}."
        share = round(100 * self.duration_seconds / self.rto_seconds)
        return f"Drill {word} in {took}, within {rto} ({share}% of it)."

    def lines(self) -> list[str]:
        """The report as plain text lines (not yet masked for the screen: the views
        mask and escape runbook text as they show it)."""
        out = [self.headline()]
        if self.why:
            out.append("Why it failed:")
            out += [f"  - {reason}" for reason in self.why]
        out.append(
            f"Total {span(self.duration_seconds)} open; the steps ran {span(self.steps_seconds)}."
        )
        if self.steps:
            out.append("Steps:")
            width = min(40, max(len(s.title) for s in self.steps))
            for step in self.steps:
                row = f"  {step.status:<11} {step.title:<{width}}  {_step_time(step)}"
                out.append(row.rstrip())
        if self.slowest:
            out.append(
                "Slowest: " + ", ".join(f"{s.title} {span(s.seconds or 0.0)}" for s in self.slowest)
            )
        if self.failures:
            out.append("Failures:")
            out += [f"  {f.title} (attempt {f.attempt}): {f.reason}" for f in self.failures]
        if self.retries:
            out.append("Retries:")
            for r in self.retries:
                if r.status == "succeeded":
                    out.append(f"  {r.title}: succeeded on attempt {r.attempts}")
                else:
                    out.append(f"  {r.title}: {r.attempts} attempts, then {r.status}")
        return out


def span(seconds: float | None) -> str:
    """`3.2s` under a minute, else the runbook's own form (`4m05s`, `1h02m`)."""
    if seconds is None:
        return "-"
    if seconds < 60:
        return f"{seconds:.1f}s"
    return format_duration(seconds)


def _step_time(step: StepTime) -> str:
    if step.status == "skipped":
        return f"skipped: {step.skip_reason or NO_REASON}"
    if step.seconds is None:
        return "confirmed" if step.status == "succeeded" else ""
    text = span(step.seconds)
    if step.attempts > 1:
        text += f"  ({step.attempts} attempts)"
    return text.strip()


def initial_walk(session: _Session) -> str:
    """The walk the session started with: the first `walk_changed` left it."""
    changes = list(session.walk_changes)
    if not changes:
        return session.walk
    return "main" if changes[0].walk == "rollback" else "rollback"


def drill_report(
    runbook: Runbook, session: _Session, *, now: float | None = None, status: str | None = None
) -> DrillReport:
    """The report of the drill `session` (a fold of its journal) of `runbook`.

    `status`: the status the session ends (or would end) with; default its own when it
    ended, else it is unfinished. `now`: the time an open segment runs until (default
    the clock). An ended session that recorded a verdict reports that verdict: what
    `session_ended` says is what `drills` lists."""
    if status is None and session.ended:
        status = session.status
    now = time.time() if now is None else now
    segments = [(str(seg[0] or ""), seg[1]) for seg in session.segments]
    duration = open_seconds(segments, now)
    rto = runbook.rto_seconds
    walk = initial_walk(session)
    plan = Plan(runbook, session, walk=walk)
    walk_ids = {s.id for s in plan.steps}
    titles = {s.id: s.title for s in runbook.steps}

    def title(step: _Step) -> str:
        # An ad-hoc command or a reference block run is in the report (it took time)
        # but not in the verdict: it is no step of the walk.
        return (titles.get(step.id) or step.name or step.id) + _OFF_PLAN.get(step.kind, "")

    times: list[StepTime] = []
    failures: list[Failure] = []
    retries: list[Retry] = []
    why: list[str] = []
    for step_id, step in session.steps.items():
        in_walk = step_id in walk_ids
        status_now = plan.status(step_id) if in_walk else step.status
        if not in_walk and not step.attempts and status_now != "skipped":
            continue  # a step of the other walk that never ran
        history = list(step.history)
        ran = [a.duration_seconds for a in history if a.duration_seconds is not None]
        seconds = sum(ran) if ran else None
        times.append(
            StepTime(step_id, title(step), status_now, seconds, step.attempts, step.skip_reason)
        )
        for attempt in history:
            if attempt.status in ("failed", "interrupted"):
                reason = attempt.reason or attempt.status
                failures.append(Failure(step_id, title(step), attempt.attempt, reason))
        if step.attempts > 1:
            retries.append(Retry(step_id, title(step), step.attempts, step.status))
        if in_walk:
            why += _step_problem(title(step), status_now, step)
    for change in session.walk_changes:
        if change.walk == "rollback":
            because = f" ({change.reason})" if change.reason else ""
            why.append(f"it switched to the rollback steps{because}")
            break
    if rto and duration > rto:
        why.append(f"it took {span(duration)}, longer than the RTO of {span(rto)}")
    if status not in _PASSING_END and not why:
        why.append(f"the session ended {status}")

    passed: bool | None = not why
    if status is None or status in _UNFINISHED:
        passed, why = None, []
    recorded = session.drill_result if session.ended else None
    if recorded is not None and status == session.status:
        # What the engine wrote when the session ended: the report agrees with it.
        passed = recorded.get("passed") if isinstance(recorded.get("passed"), bool) else None
        if isinstance(recorded.get("duration_seconds"), int | float):
            duration = float(recorded["duration_seconds"])
        if passed is not False:
            why = []
    return DrillReport(
        passed=passed,
        status=status,
        rto_seconds=rto,
        duration_seconds=duration,
        steps_seconds=sum(t.seconds or 0.0 for t in times),
        why=tuple(why),
        steps=tuple(times),
        failures=tuple(failures),
        retries=tuple(retries),
    )


def _step_problem(title: str, status: str, step: _Step) -> list[str]:
    """Why this step of the walk keeps the drill from passing (nothing if it does not)."""
    if status == "succeeded":
        return []
    if status == "skipped":
        reason = (step.skip_reason or "").strip()
        return [] if reason and reason != NO_REASON else [f"“{title}” was skipped without a reason"]
    if status == "failed":
        return [f"“{title}” failed"]
    return [f"“{title}” was not done ({status})"]


# -- the history -----------------------------------------------------------------------


@dataclass(frozen=True)
class DrillRecord:
    """One drill session as the store remembers it: its first line and its last
    session-level event. An unfinished one (or one recorded before verdicts were
    written) has `passed` None; one still open has no duration or RTO either."""

    session: str
    runbook: str
    title: str
    kind: str | None
    restores: tuple[str, ...]
    started_at: str | None
    duration_seconds: float | None
    rto_seconds: float | None
    passed: bool | None

    def to_dict(self) -> dict[str, Any]:
        """The `drills --json` object: exactly these keys."""
        return {
            "session": self.session,
            "runbook": self.runbook,
            "title": self.title,
            "started_at": self.started_at,
            "duration_seconds": self.duration_seconds,
            "rto_seconds": self.rto_seconds,
            "passed": self.passed,
        }


def recorded_verdict(event: Mapping[str, Any] | None) -> Mapping[str, Any] | None:
    """The `drill` object of `event` when it is a `session_ended` that holds one."""
    if event is None or event.get("type") != "session_ended":
        return None
    drill = event.get("drill")
    return drill if isinstance(drill, Mapping) else None


def passed_of(verdict: Mapping[str, Any] | None) -> bool | None:
    """`passed` of a recorded verdict: True, False, or None (unfinished, or none)."""
    passed = verdict.get("passed") if verdict is not None else None
    return passed if isinstance(passed, bool) else None


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


@lru_cache(maxsize=1024)
def _resolved(path: str) -> str:
    try:
        return str(Path(path).resolve())
    except (OSError, RuntimeError):
        return path


def same_runbook(recorded: str, wanted: str) -> bool:
    """Whether the recorded runbook path is the file `wanted` (resolved): the journal
    records the path resolved when the session started, so a renamed or moved file
    no longer matches its history."""
    return bool(recorded) and (recorded == wanted or _resolved(recorded) == wanted)


def drill_history(home: str | Path, runbook_path: str | Path | None = None) -> list[DrillRecord]:
    """The drills under `home`, newest first; only those of `runbook_path` (matched by
    resolved path) when given. Reads each session's first line, and for a drill its
    last session-level event, scanning back from the end: no fold."""
    wanted = _resolved(str(runbook_path)) if runbook_path is not None else None
    records = []
    for sdir in session_dirs(home):
        try:
            first = read_first_event(sdir.journal_path)
            if first is None or first.get("type") != "session_started":
                continue
            if first.get("drill") is not True:
                continue
            book = first.get("runbook")
            book = book if isinstance(book, Mapping) else {}
            path = str(book.get("path") or "")
            if wanted is not None and not same_runbook(path, wanted):
                continue
            last = read_last_event_of(sdir.journal_path, SESSION_LEVEL_EVENTS)
        except OSError:
            continue  # unreadable: `sessions` reports it; it is no evidence here
        verdict = recorded_verdict(last)
        restores = book.get("restores")
        records.append(
            DrillRecord(
                session=str(first.get("session_id") or sdir.id),
                runbook=path,
                title=str(book.get("title") or path or "?"),
                kind=book.get("kind") if isinstance(book.get("kind"), str) else None,
                restores=tuple(r for r in restores if isinstance(r, str))
                if isinstance(restores, list)
                else (),
                started_at=first.get("started_at") or first.get("ts"),
                duration_seconds=_number(verdict.get("duration_seconds")) if verdict else None,
                rto_seconds=_number(verdict.get("rto_seconds")) if verdict else None,
                passed=passed_of(verdict),
            )
        )
    records.sort(key=lambda r: (r.started_at or "", r.session), reverse=True)
    return records


def last_drill_restoring(home: str | Path, backup_set_name: str) -> dict[str, Any] | None:
    """The most recent drill whose recorded runbook `restores` names the backup set:
    `{"at": started_at, "passed": bool | None, "session": id}`, or None if none did."""
    for record in drill_history(home):
        if backup_set_name in record.restores:
            return {"at": record.started_at, "passed": record.passed, "session": record.session}
    return None


# -- the freshness gate ----------------------------------------------------------------


def is_restore_runbook(runbook: Runbook) -> bool:
    """The runbooks the freshness gate applies to: they restore something."""
    return bool(runbook.restores) or runbook.kind == "restore"


def stale_drill(
    history: Iterable[DrillRecord], path: str | Path, max_age: float, now: float
) -> str | None:
    """Why the runbook at `path` fails the freshness gate (its last passing drill
    started more than `max_age` seconds before `now`, or it has none), or None.
    `history`: `drill_history(home)`, newest first."""
    wanted = _resolved(str(path))
    mine = [r for r in history if same_runbook(r.runbook, wanted)]
    allowed = age_text(max_age)
    if not mine:
        return f"never drilled (a passing drill within {allowed} is required)"
    passing = next((r for r in mine if r.passed is True), None)
    if passing is None:
        last = mine[0]
        outcome = "failed" if last.passed is False else "is unfinished"
        return (
            f"no passing drill: the last drill ({last.session}, {_day(last.started_at)}) "
            f"{outcome}; a passing drill within {allowed} is required"
        )
    started = epoch(passing.started_at)
    age = now - started if started is not None else None
    if age is None or age > max_age:
        old = f"{age_text(age)} old" if age is not None else "of unknown age"
        return (
            f"the last passing drill ({passing.session}, {_day(passing.started_at)}) is "
            f"{old}, older than {allowed}"
        )
    return None


def age_text(seconds: float) -> str:
    """An age as people say it: `40 days`, `5h`, `12m30s`."""
    if seconds >= 2 * 86400:
        return f"{seconds / 86400:.0f} days"
    return format_duration(seconds)


def _day(ts: str | None) -> str:
    return (ts or "?")[:10]
