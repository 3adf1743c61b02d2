"""The session state: a fold of the journal's events. Nothing else is the truth.

`StateFolder.apply(event)` folds one event into a `SessionState` (the UI folds live
events one at a time); `fold(events)` folds a whole journal. Unknown event types are
counted and otherwise ignored, so older readers survive newer writers.

Statuses (see docs/journal-format.md, "Deriving status"):
- a step is `pending` until its first event; `running` after `step_started`; then
  `succeeded`/`failed` from `step_finished.verdict` (the latest attempt decides),
  `skipped`, `succeeded` on `manual_confirmed`, or `interrupted` on `step_interrupted`.
  A step still `running` when the journal ends is `interrupted` unless the writer is
  live; a step running when the session is resumed or ended was interrupted too.
- the session's status is decided by its last session-level event alone
  (`session_status`, shared with the store's fast listing): `session_ended` gives it;
  after `session_started` or `session_resumed` it is `running` while the writer is live,
  else `interrupted`.
- the walk (main or rollback) is the latest `walk_changed.walk`, else what
  `session_started`/`session_resumed` recorded (older journals), else "main".
- `segments` are the spans during which a process had the session open, from the
  journal's own timestamps: a drill's clock counts these, not the pauses between them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields
from types import MappingProxyType
from typing import Any, NamedTuple

from runbook_tui.runbook.model import Runbook
from runbook_tui.session.statuses import (
    DONE_STATUSES,
    SESSION_LEVEL_EVENTS,
    WALKS,
    Event,
    session_status,
)


@dataclass
class Attempt:
    """One run of a step: one `step_started` and what ended it."""

    attempt: int
    started_at: str | None
    status: str = "running"
    finished_at: str | None = None
    exit_code: int | None = None
    signal: int | None = None
    verdict: str | None = None
    reason: str | None = None
    duration_seconds: float | None = None
    timed_out: bool = False
    cancelled: bool = False
    # The `evidence` events of this attempt by moment (`step_start`, `step_end`):
    # {services, backups, logs, ts}. Replaced, never changed in place (snapshots share it).
    evidence: dict[str, Any] = field(default_factory=dict)


class ServiceChange(NamedTuple):
    """One `service_changed`: `at` is when the check saw it, `ts` when it was written."""

    ts: str
    name: str
    from_state: str
    to_state: str
    detail: str
    at: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "from": self.from_state,
            "to": self.to_state,
            "detail": self.detail,
            "at": self.at,
            "ts": self.ts,
        }


class WalkChange(NamedTuple):
    """One `walk_changed`: when, to which walk, and why (as recorded, masked)."""

    ts: str
    walk: str
    reason: str


@dataclass(frozen=True)
class Note:
    ts: str
    text: str
    step_id: str | None = None


@dataclass(eq=False)
class StepState:
    """A step as the journal tells it. Result fields describe the latest attempt;
    `history` keeps every attempt's result (without output). `output` is the latest
    attempt's output as kept in memory; with `max_output_chars` only its tail is kept.

    Output folded with the byte range of its journal line (a fold of the file, see
    session/readback.py) is not kept at all: `output_spans` says where it is, and
    `output_chars` counts it. `output` then holds only what came without a range (live
    output of the engine), and `output_truncated` is true."""

    id: str
    name: str
    kind: str = "shell"
    status: str = "pending"
    rollback: bool = False
    in_runbook: bool = False
    command: str | None = None
    cwd: str | None = None
    attempts: int = 0
    exit_code: int | None = None
    signal: int | None = None
    verdict: str | None = None
    reason: str | None = None
    timed_out: bool = False
    cancelled: bool = False
    started_at: str | None = None
    finished_at: str | None = None
    duration_seconds: float | None = None
    skip_reason: str | None = None
    confirmed_at: str | None = None
    confirmed_text: str | None = None
    # The latest attempt as recorded beside its command (docs/journal-format.md): a
    # reference block's line and text as written (kind "reference"); the text before
    # its placeholders were filled, and the values, as (name, value) pairs (masked).
    source_line: int | None = None
    written: str | None = None
    template: str | None = None
    fills: tuple[tuple[str, str], ...] = ()
    # Where in the journal (the fold's event count) the latest attempt started, and
    # where the step last ended (finished, skipped, confirmed): exact order, where two
    # timestamps may fall in one millisecond.
    started_order: int = 0
    ended_order: int = 0
    history: list[Attempt] = field(default_factory=list)
    # The latest attempt's evidence snapshots (see Attempt.evidence).
    evidence: dict[str, Any] = field(default_factory=dict)
    # Characters of output the latest attempt produced (kept or not).
    output_chars: int = 0
    max_output_chars: int | None = field(default=None, repr=False)
    # [start, end) byte ranges in the journal of the latest attempt's output events
    # that were folded from the file (adjacent ranges merged): the text is there.
    output_spans: list[list[int]] = field(default_factory=list, repr=False)
    _chunks: list[str] = field(default_factory=list, repr=False)
    _kept: int = field(default=0, repr=False)

    @property
    def output(self) -> str:
        if len(self._chunks) != 1:
            # Joined lazily and cached: appending event by event stays linear.
            self._chunks = ["".join(self._chunks)]
        text = self._chunks[0]
        lim = self.max_output_chars
        if lim is not None and len(text) > lim:
            text = text[len(text) - lim :] if lim else ""
            self._chunks = [text]
            self._kept = len(text)
        return text

    @property
    def output_truncated(self) -> bool:
        """True when older output of this attempt was dropped (max_output_chars)."""
        lim = self.max_output_chars
        kept = self._kept if lim is None else min(self._kept, lim)
        return self.output_chars > kept

    @property
    def done(self) -> bool:
        """Finished in a way that needs no further action (succeeded or skipped)."""
        return self.status in DONE_STATUSES

    def add_output(self, text: str, span: tuple[int, int] | None = None) -> None:
        """Count `text`; keep it, or with `span` (where it is in the journal) only that."""
        if span is not None:
            self.output_chars += len(text)
            spans = self.output_spans
            if spans and spans[-1][1] == span[0]:
                spans[-1][1] = span[1]
            else:
                spans.append([span[0], span[1]])
            return
        self._chunks.append(text)
        self._kept += len(text)
        self.output_chars += len(text)
        lim = self.max_output_chars
        # Trim only once twice the limit is buffered, so trimming is amortised.
        if lim is not None and self._kept > 2 * lim:
            self.output  # noqa: B018 - the property trims

    def clear_output(self) -> None:
        self._chunks = []
        self._kept = 0
        self.output_chars = 0
        self.output_spans = []

    def to_dict(self, *, include_output: bool = True) -> dict[str, Any]:
        d: dict[str, Any] = {
            "id": self.id,
            "name": self.name,
            "kind": self.kind,
            "status": self.status,
            "rollback": self.rollback,
            "in_runbook": self.in_runbook,
            "command": self.command,
            "cwd": self.cwd,
            "attempts": self.attempts,
            "exit_code": self.exit_code,
            "signal": self.signal,
            "verdict": self.verdict,
            "reason": self.reason,
            "timed_out": self.timed_out,
            "cancelled": self.cancelled,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "duration_seconds": self.duration_seconds,
            "skip_reason": self.skip_reason,
            "confirmed_at": self.confirmed_at,
            "source_line": self.source_line,
            "written": self.written,
            "template": self.template,
            "fills": dict(self.fills),
            "history": [vars(a).copy() for a in self.history],
            "evidence": dict(self.evidence),
            "output_chars": self.output_chars,
        }
        if include_output:
            d["output"] = self.output
            d["output_truncated"] = self.output_truncated
        return d


@dataclass
class SessionState:
    id: str | None = None
    runbook_path: str | None = None
    runbook_sha256: str | None = None
    runbook_git_commit: str | None = None
    title: str | None = None
    kind: str | None = None
    drill: bool = False
    operator: str | None = None
    host: str | None = None
    pid: int | None = None
    tool_version: str | None = None
    format_version: int | None = None
    started_at: str | None = None
    ended_at: str | None = None
    status: str = "running"
    end_reason: str | None = None
    # As recorded: secret values are already "********".
    variables: dict[str, Any] = field(default_factory=dict)
    # Ordered: runbook order first (when folded with a runbook), then journal order.
    steps: dict[str, StepState] = field(default_factory=dict)
    notes: list[Note] = field(default_factory=list)
    events: int = 0
    current_step_id: str | None = None
    last_seq: int | None = None
    last_ts: str | None = None
    # One entry per session_resumed: {"ts", "pid", "operator", "host"}.
    resumes: list[dict[str, Any]] = field(default_factory=list)
    # Which walk the session is doing: "main" or "rollback" (see the module doc).
    walk: str = "main"
    # [start ts, end ts or None while open] per process that had the session open.
    segments: list[list[str | None]] = field(default_factory=list)
    # Every `service_changed`, in journal order (the live engine keeps the newest
    # LIVE_SERVICE_CHANGES; `service_changes_total` counts them all).
    service_changes: list[ServiceChange] = field(default_factory=list)
    service_changes_total: int = 0
    # The last answer about the runbook's check and log commands (`commands_allowed` /
    # `commands_refused`): {allowed, by, sha256, commands, ts}; None if never asked.
    commands_consent: dict[str, Any] | None = None
    # Every `walk_changed`, in journal order (a drill that switched to rollback fails).
    walk_changes: list[WalkChange] = field(default_factory=list)
    # A drill's verdict as the last `session_ended` recorded it ({passed, rto_seconds,
    # duration_seconds}); None while the session is open, or for an ordinary session.
    drill_result: dict[str, Any] | None = None

    @property
    def step_list(self) -> list[StepState]:
        return list(self.steps.values())

    @property
    def ended(self) -> bool:
        return self.ended_at is not None

    def to_dict(self, *, include_output: bool = True) -> dict[str, Any]:
        return {
            "id": self.id,
            "runbook_path": self.runbook_path,
            "runbook_sha256": self.runbook_sha256,
            "runbook_git_commit": self.runbook_git_commit,
            "title": self.title,
            "kind": self.kind,
            "drill": self.drill,
            "operator": self.operator,
            "host": self.host,
            "pid": self.pid,
            "tool_version": self.tool_version,
            "format_version": self.format_version,
            "started_at": self.started_at,
            "ended_at": self.ended_at,
            "status": self.status,
            "end_reason": self.end_reason,
            "walk": self.walk,
            "segments": [list(seg) for seg in self.segments],
            "variables": dict(self.variables),
            "current_step_id": self.current_step_id,
            "events": self.events,
            "resumes": list(self.resumes),
            "notes": [vars(n).copy() for n in self.notes],
            "service_changes": [c.to_dict() for c in self.service_changes],
            "service_changes_total": self.service_changes_total,
            "commands_consent": (
                dict(self.commands_consent) if self.commands_consent is not None else None
            ),
            "steps": [s.to_dict(include_output=include_output) for s in self.steps.values()],
        }


# -- snapshots: what the engine hands out. Frozen, so no reader can change the fold. ---


@dataclass(frozen=True)
class AttemptSnapshot:
    attempt: int
    started_at: str | None
    status: str
    finished_at: str | None
    exit_code: int | None
    signal: int | None
    verdict: str | None
    reason: str | None
    duration_seconds: float | None
    timed_out: bool
    cancelled: bool
    evidence: Mapping[str, Any]


@dataclass(frozen=True)
class StepSnapshot:
    """A step as the journal told it when the snapshot was taken (see StepState).
    `output` is the text the fold kept: for the engine, the bounded live tail; output
    folded from the file (before a resume) is counted in `output_chars`, not here."""

    id: str
    name: str
    kind: str
    status: str
    rollback: bool
    in_runbook: bool
    command: str | None
    cwd: str | None
    attempts: int
    exit_code: int | None
    signal: int | None
    verdict: str | None
    reason: str | None
    timed_out: bool
    cancelled: bool
    started_at: str | None
    finished_at: str | None
    duration_seconds: float | None
    skip_reason: str | None
    confirmed_at: str | None
    confirmed_text: str | None
    source_line: int | None
    written: str | None
    template: str | None
    fills: tuple[tuple[str, str], ...]
    started_order: int
    ended_order: int
    history: tuple[AttemptSnapshot, ...]
    evidence: Mapping[str, Any]
    output_chars: int
    output: str
    output_truncated: bool

    @property
    def done(self) -> bool:
        return self.status in DONE_STATUSES


@dataclass(frozen=True)
class SessionSnapshot:
    """The session as the journal told it when the snapshot was taken."""

    id: str | None
    runbook_path: str | None
    runbook_sha256: str | None
    runbook_git_commit: str | None
    title: str | None
    kind: str | None
    drill: bool
    operator: str | None
    host: str | None
    pid: int | None
    tool_version: str | None
    format_version: int | None
    started_at: str | None
    ended_at: str | None
    status: str
    end_reason: str | None
    variables: Mapping[str, Any]
    steps: Mapping[str, StepSnapshot]
    notes: tuple[Note, ...]
    events: int
    current_step_id: str | None
    last_seq: int | None
    last_ts: str | None
    resumes: tuple[Mapping[str, Any], ...]
    walk: str
    segments: tuple[tuple[str, str | None], ...]
    service_changes: tuple[ServiceChange, ...]
    service_changes_total: int
    commands_consent: Mapping[str, Any] | None
    walk_changes: tuple[WalkChange, ...]
    drill_result: Mapping[str, Any] | None

    @property
    def step_list(self) -> list[StepSnapshot]:
        return list(self.steps.values())

    @property
    def ended(self) -> bool:
        return self.ended_at is not None


def _field_names(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in fields(cls))


_STEP_FIELDS = _field_names(StepSnapshot)
_SESSION_FIELDS = _field_names(SessionSnapshot)


def freeze_step(step: StepState) -> StepSnapshot:
    values = {
        name: getattr(step, name) for name in _STEP_FIELDS if name not in ("history", "evidence")
    }
    history = tuple(
        AttemptSnapshot(**{**vars(a), "evidence": MappingProxyType(a.evidence)})
        for a in step.history
    )
    return StepSnapshot(**values, history=history, evidence=MappingProxyType(step.evidence))


def freeze(state: SessionState, steps: Mapping[str, StepSnapshot] | None = None) -> SessionSnapshot:
    """An immutable copy of `state` (output strings are shared, never copied).
    `steps`: the steps already frozen (see Freezer), else every step is."""
    extra: dict[str, Any] = {
        "variables": MappingProxyType(dict(state.variables)),
        "steps": MappingProxyType(
            dict(steps)
            if steps is not None
            else {k: freeze_step(v) for k, v in state.steps.items()}
        ),
        "notes": tuple(state.notes),  # Note is frozen
        "resumes": tuple(MappingProxyType(dict(r)) for r in state.resumes),
        "segments": tuple((seg[0] or "", seg[1]) for seg in state.segments),
        "service_changes": tuple(state.service_changes),  # ServiceChange is immutable
        "commands_consent": (
            MappingProxyType(dict(state.commands_consent))
            if state.commands_consent is not None
            else None
        ),
        "walk_changes": tuple(state.walk_changes),  # WalkChange is immutable
        "drill_result": (
            MappingProxyType(dict(state.drill_result)) if state.drill_result is not None else None
        ),
    }
    values = {name: getattr(state, name) for name in _SESSION_FIELDS if name not in extra}
    return SessionSnapshot(**values, **extra)


# Events that change no step (every other event without a step id may change any).
_NO_STEP_CHANGE = frozenset(
    {"note", "walk_changed", "service_changed", "commands_allowed", "commands_refused"}
)


class Freezer:
    """Snapshots of one fold that share the steps no event touched since the last one:
    a snapshot costs the steps that changed, not every step of a long runbook."""

    def __init__(self) -> None:
        self._steps: dict[str, StepSnapshot] = {}
        self._dirty: set[str] | None = None  # None: every step

    def touched(self, event: Event) -> None:
        """`event` was folded: mark what it may have changed."""
        step_id = event.get("step_id")
        if self._dirty is None:
            return
        if isinstance(step_id, str):
            self._dirty.add(step_id)
        elif event.get("type") not in _NO_STEP_CHANGE:
            self._dirty = None

    def freeze(self, state: SessionState) -> SessionSnapshot:
        if self._dirty is None:
            self._steps = {k: freeze_step(v) for k, v in state.steps.items()}
        else:
            for step_id in self._dirty:
                step = state.steps.get(step_id)
                if step is not None:
                    self._steps[step_id] = freeze_step(step)
            if len(self._steps) != len(state.steps) or list(self._steps) != list(state.steps):
                # A step only the journal knew joined: keep the fold's order.
                self._steps = {
                    k: self._steps.get(k) or freeze_step(v) for k, v in state.steps.items()
                }
        self._dirty = set()
        return freeze(state, self._steps)


def _opt_int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _opt_str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _walk(value: Any) -> str | None:
    return value if value in WALKS else None


class StateFolder:
    """Folds events one at a time into `self.state`.

    `live=True` means the journal's writer is alive (the engine, or a UI watching a
    running session): a step without `step_finished` stays `running`. With
    `live=False`, call `settle()` after the last event (`fold` does) to turn what was
    still running into `interrupted`."""

    def __init__(
        self,
        runbook: Runbook | None = None,
        live: bool = False,
        *,
        max_output_chars: int | None = None,
    ) -> None:
        self.runbook = runbook
        self.live = live
        self.max_output_chars = max_output_chars
        # Service changes kept (the newest); None: all. The journal has every one.
        self.max_service_changes: int | None = None
        self.state = SessionState()
        self._last_session_event: Event | None = None
        self._before: str | None = None
        if runbook is not None:
            self.state.title = runbook.title or None
            self.state.kind = runbook.kind
            self.state.runbook_path = runbook.path or None
            for step in runbook.steps:
                self.state.steps[step.id] = StepState(
                    id=step.id,
                    name=step.title,
                    kind=step.kind,
                    rollback=step.rollback,
                    in_runbook=True,
                    command=step.command,
                    max_output_chars=max_output_chars,
                )

    def apply(self, event: Event, span: tuple[int, int] | None = None) -> None:
        """Fold one event. `span`: the byte range of its line in the journal file; an
        output event folded with one is counted and located, its text not kept."""
        st = self.state
        st.events += 1
        seq = event.get("seq")
        if isinstance(seq, int):
            st.last_seq = seq
        # The previous event's time: where a process that died before a resume stopped.
        self._before = st.last_ts
        if isinstance(event.get("ts"), str):
            st.last_ts = event["ts"]
        kind = str(event.get("type"))
        if kind in SESSION_LEVEL_EVENTS:
            self._last_session_event = event
        if kind == "output":
            self._output(event, span)
            return
        handler = _HANDLERS.get(kind)
        if handler is not None:
            handler(self, event)

    def apply_all(self, events: Iterable[Event]) -> None:
        for event in events:
            self.apply(event)

    def settle(self) -> SessionState:
        """The journal has no more events and its writer is gone (unless live)."""
        st = self.state
        if not self.live:
            for step in st.steps.values():
                if step.status == "running":
                    self._interrupt(step)
            st.status = session_status(self._last_session_event, live=False)
            st.current_step_id = None
            self._close_segment(st.last_ts)
        return st

    def _open_segment(self, ts: str | None) -> None:
        if ts is not None:
            self.state.segments.append([ts, None])

    def _close_segment(self, ts: str | None) -> None:
        segments = self.state.segments
        if segments and segments[-1][1] is None:
            segments[-1][1] = ts or segments[-1][0]

    # -- handlers --------------------------------------------------------------------

    def _step(self, event: Event) -> StepState | None:
        step_id = event.get("step_id")
        if not isinstance(step_id, str):
            return None
        step = self.state.steps.get(step_id)
        if step is None:
            # Not in the runbook (or folded without one): known from the journal only.
            step = StepState(
                id=step_id,
                name=_opt_str(event.get("name")) or step_id,
                kind=_opt_str(event.get("kind")) or "shell",
                max_output_chars=self.max_output_chars,
            )
            self.state.steps[step_id] = step
        elif isinstance(event.get("name"), str) and event["name"]:
            # The name as recorded (masked when written): the runbook file's own text
            # may hold a secret value the journal masked.
            step.name = event["name"]
        return step

    def _interrupt(self, step: StepState, ts: str | None = None) -> None:
        step.status = "interrupted"
        if step.history and step.history[-1].status == "running":
            step.history[-1].status = "interrupted"
            step.history[-1].finished_at = ts
        if self.state.current_step_id == step.id:
            self.state.current_step_id = None

    def _session_started(self, event: Event) -> None:
        st = self.state
        st.id = _opt_str(event.get("session_id")) or st.id
        rb = event.get("runbook")
        if isinstance(rb, Mapping):
            st.runbook_path = _opt_str(rb.get("path")) or st.runbook_path
            st.runbook_sha256 = _opt_str(rb.get("sha256"))
            st.runbook_git_commit = _opt_str(rb.get("git_commit"))
            st.title = _opt_str(rb.get("title")) or st.title
            st.kind = _opt_str(rb.get("kind")) or st.kind
        st.drill = bool(event.get("drill", False))
        st.operator = _opt_str(event.get("operator"))
        st.host = _opt_str(event.get("host"))
        st.pid = _opt_int(event.get("pid"))
        st.tool_version = _opt_str(event.get("tool_version"))
        st.format_version = _opt_int(event.get("format_version"))
        st.started_at = _opt_str(event.get("started_at")) or _opt_str(event.get("ts"))
        variables = event.get("variables")
        st.variables = dict(variables) if isinstance(variables, Mapping) else {}
        st.walk = _walk(event.get("walk")) or "main"
        st.status = session_status(event, live=True)
        self._open_segment(_opt_str(event.get("ts")) or st.started_at)

    def _session_resumed(self, event: Event) -> None:
        st = self.state
        # Whatever was running belonged to the process that died (or ended) before.
        for step in st.steps.values():
            if step.status == "running":
                self._interrupt(step, _opt_str(event.get("ts")))
        st.status = session_status(event, live=True)
        st.ended_at = None
        st.end_reason = None
        st.drill_result = None
        self._close_segment(self._before)
        self._open_segment(_opt_str(event.get("ts")))
        # Values given again on resume (secrets stay masked) replace the recorded ones.
        variables = event.get("variables")
        if isinstance(variables, Mapping):
            st.variables.update(variables)
        st.walk = _walk(event.get("walk")) or st.walk
        st.resumes.append(
            {
                "ts": event.get("ts"),
                "pid": event.get("pid"),
                "operator": event.get("operator"),
                "host": event.get("host"),
            }
        )

    def _step_started(self, event: Event) -> None:
        step = self._step(event)
        if step is None:
            return
        attempt = _opt_int(event.get("attempt")) or step.attempts + 1
        step.attempts = max(step.attempts, attempt)
        step.status = "running"
        step.started_at = _opt_str(event.get("ts"))
        step.started_order = self.state.events
        step.finished_at = None
        step.exit_code = step.signal = None
        step.verdict = step.reason = None
        step.duration_seconds = None
        step.timed_out = step.cancelled = False
        step.skip_reason = None
        step.confirmed_at = None  # a reference marked done by hand, now run
        if not step.in_runbook:
            step.name = _opt_str(event.get("name")) or step.name
            step.kind = _opt_str(event.get("kind")) or step.kind
        if isinstance(event.get("command"), str):
            step.command = event["command"]  # as run (masked), may differ from the runbook
        step.source_line = _opt_int(event.get("source_line")) or step.source_line
        step.written = _opt_str(event.get("written")) or step.written
        step.template = _opt_str(event.get("template"))
        fills = event.get("fills")
        step.fills = (
            tuple((str(k), str(v)) for k, v in fills.items()) if isinstance(fills, Mapping) else ()
        )
        step.cwd = _opt_str(event.get("cwd")) or step.cwd
        step.evidence = {}
        step.clear_output()
        step.history.append(Attempt(attempt=attempt, started_at=step.started_at))
        self.state.current_step_id = step.id

    def _current_attempt(self, step: StepState) -> int | None:
        return step.history[-1].attempt if step.history else None

    def _output(self, event: Event, span: tuple[int, int] | None = None) -> None:
        step = self._step(event)
        data = event.get("data")
        if step is None or not isinstance(data, str):
            return
        attempt = _opt_int(event.get("attempt"))
        current = self._current_attempt(step)
        if attempt is not None and current is not None and attempt != current:
            return  # late output of an earlier attempt: not this attempt's output
        step.add_output(data, span)

    def _step_finished(self, event: Event) -> None:
        step = self._step(event)
        if step is None:
            return
        attempt = _opt_int(event.get("attempt"))
        record = next((a for a in reversed(step.history) if a.attempt == attempt), None)
        if record is None:
            # No step_started seen (should not happen): still record the result.
            record = Attempt(attempt=attempt or step.attempts + 1, started_at=None)
            step.history.append(record)
            step.attempts = max(step.attempts, record.attempt)
        exit_code = _opt_int(event.get("exit_code"))
        verdict = _opt_str(event.get("verdict"))
        if verdict not in ("succeeded", "failed"):
            verdict = "succeeded" if exit_code == 0 else "failed"
        record.status = verdict
        record.finished_at = _opt_str(event.get("ts"))
        record.exit_code = exit_code
        record.signal = _opt_int(event.get("signal"))
        record.verdict = verdict
        record.reason = _opt_str(event.get("reason"))
        duration = event.get("duration_seconds")
        record.duration_seconds = float(duration) if isinstance(duration, int | float) else None
        record.timed_out = bool(event.get("timed_out", False))
        record.cancelled = bool(event.get("cancelled", False))
        if record is not step.history[-1]:
            return  # an older attempt's result: the latest attempt decides the status
        step.status = verdict
        step.finished_at = record.finished_at
        step.ended_order = self.state.events
        step.exit_code = record.exit_code
        step.signal = record.signal
        step.verdict = verdict
        step.reason = record.reason
        step.duration_seconds = record.duration_seconds
        step.timed_out = record.timed_out
        step.cancelled = record.cancelled
        if self.state.current_step_id == step.id:
            self.state.current_step_id = None

    def _step_skipped(self, event: Event) -> None:
        step = self._step(event)
        if step is None:
            return
        step.status = "skipped"
        step.skip_reason = _opt_str(event.get("reason")) or ""
        self._source(step, event)
        step.finished_at = _opt_str(event.get("ts"))
        step.ended_order = self.state.events
        if self.state.current_step_id == step.id:
            self.state.current_step_id = None

    def _manual_confirmed(self, event: Event) -> None:
        step = self._step(event)
        if step is None:
            return
        ts = _opt_str(event.get("ts"))
        if step.history and step.history[-1].status == "running":
            record = step.history[-1]
        else:
            record = Attempt(attempt=step.attempts + 1, started_at=ts)
            step.history.append(record)
        record.status = record.verdict = "succeeded"
        record.finished_at = ts
        step.attempts = max(step.attempts, record.attempt)
        step.status = step.verdict = "succeeded"
        step.confirmed_at = step.finished_at = ts
        step.ended_order = self.state.events
        step.confirmed_text = _opt_str(event.get("text"))
        step.skip_reason = None
        self._source(step, event)
        if self.state.current_step_id == step.id:
            self.state.current_step_id = None

    def _source(self, step: StepState, event: Event) -> None:
        """A reference block's line and text, as an event about it recorded them."""
        step.source_line = _opt_int(event.get("source_line")) or step.source_line
        step.written = _opt_str(event.get("written")) or step.written

    def _step_interrupted(self, event: Event) -> None:
        step = self._step(event)
        if step is None:
            return
        attempt = _opt_int(event.get("attempt"))
        current = self._current_attempt(step)
        if attempt is not None and current is not None and attempt != current:
            return
        self._interrupt(step, _opt_str(event.get("ts")))

    def _note(self, event: Event) -> None:
        text = event.get("text")
        if isinstance(text, str):
            self.state.notes.append(
                Note(
                    ts=_opt_str(event.get("ts")) or "",
                    text=text,
                    step_id=_opt_str(event.get("step_id")),
                )
            )

    def _service_changed(self, event: Event) -> None:
        name = _opt_str(event.get("name"))
        if name is None:
            return
        st = self.state
        st.service_changes_total += 1
        st.service_changes.append(
            ServiceChange(
                ts=_opt_str(event.get("ts")) or "",
                name=name,
                from_state=_opt_str(event.get("from")) or "unknown",
                to_state=_opt_str(event.get("to")) or "unknown",
                detail=_opt_str(event.get("detail")) or "",
                at=_opt_str(event.get("at")) or _opt_str(event.get("ts")) or "",
            )
        )
        self.trim_service_changes()

    def trim_service_changes(self) -> None:
        """Drop the oldest changes beyond `max_service_changes` (amortised: once twice
        that many are kept)."""
        keep = self.max_service_changes
        changes = self.state.service_changes
        if keep is not None and len(changes) > 2 * keep:
            del changes[: len(changes) - keep]

    def _evidence(self, event: Event) -> None:
        step = self._step(event)
        moment = _opt_str(event.get("at"))
        if step is None or moment is None:
            return
        snapshot = {key: event[key] for key in ("services", "backups", "logs") if key in event}
        snapshot["ts"] = _opt_str(event.get("ts"))
        attempt = _opt_int(event.get("attempt"))
        record = next(
            (a for a in reversed(step.history) if attempt is None or a.attempt == attempt), None
        )
        if record is not None:
            record.evidence = {**record.evidence, moment: snapshot}
        if record is None or record is step.history[-1]:
            step.evidence = {**step.evidence, moment: snapshot}

    def _commands_consent(self, event: Event) -> None:
        commands = event.get("commands")
        self.state.commands_consent = {
            "allowed": event.get("type") == "commands_allowed",
            "by": _opt_str(event.get("by")),
            "sha256": _opt_str(event.get("sha256")),
            "commands": list(commands) if isinstance(commands, list) else [],
            "ts": _opt_str(event.get("ts")),
        }

    def _walk_changed(self, event: Event) -> None:
        walk = _walk(event.get("walk"))
        if walk is not None:
            self.state.walk = walk
            change = WalkChange(
                _opt_str(event.get("ts")) or "", walk, _opt_str(event.get("reason")) or ""
            )
            self.state.walk_changes.append(change)

    def _session_ended(self, event: Event) -> None:
        st = self.state
        st.status = session_status(event, live=self.live)
        st.ended_at = _opt_str(event.get("ts"))
        self._close_segment(st.ended_at)
        st.end_reason = _opt_str(event.get("reason")) or None
        drill = event.get("drill")
        st.drill_result = dict(drill) if isinstance(drill, Mapping) else None
        for step in st.steps.values():
            if step.status == "running":
                self._interrupt(step, st.ended_at)
        st.current_step_id = None


_HANDLERS = {
    "session_started": StateFolder._session_started,
    "session_resumed": StateFolder._session_resumed,
    "step_started": StateFolder._step_started,
    "step_finished": StateFolder._step_finished,
    "step_skipped": StateFolder._step_skipped,
    "manual_confirmed": StateFolder._manual_confirmed,
    "step_interrupted": StateFolder._step_interrupted,
    "note": StateFolder._note,
    "walk_changed": StateFolder._walk_changed,
    "service_changed": StateFolder._service_changed,
    "evidence": StateFolder._evidence,
    "commands_allowed": StateFolder._commands_consent,
    "commands_refused": StateFolder._commands_consent,
    "session_ended": StateFolder._session_ended,
}


def fold(
    events: Iterable[Event],
    runbook: Runbook | None = None,
    live: bool = False,
    *,
    max_output_chars: int | None = None,
) -> SessionState:
    """The state a journal's events describe. `live`: the writer still holds the lock."""
    folder = StateFolder(runbook, live, max_output_chars=max_output_chars)
    folder.apply_all(events)
    return folder.settle()
