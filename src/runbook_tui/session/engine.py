"""The engine: every operator intent is written to the journal before it takes effect.

The TUI and the headless `run` command both drive this class; neither keeps state the
journal does not have. `run_step` blocks, so a UI calls it from a worker thread.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from runbook_tui import __version__
from runbook_tui.runbook import patterns
from runbook_tui.runbook.model import Reference, Runbook, Step
from runbook_tui.runbook.placeholders import Refusal, fill, scan
from runbook_tui.session import orphans, provenance, redaction
from runbook_tui.session.clock import epoch
from runbook_tui.session.drills import DrillReport, drill_report
from runbook_tui.session.escapes import strip_escapes
from runbook_tui.session.journal import (
    Journal,
    JournalError,
    read_output_tail,
    utc_timestamp,
)
from runbook_tui.session.plan import Plan
from runbook_tui.session.readback import fold_journal
from runbook_tui.session.recorded_ids import NoSafeId, recorded_step_ids
from runbook_tui.session.redaction import MASK, Redactor, StreamMasker, mask_strings
from runbook_tui.session.runner import RunResult, ShellRunner
from runbook_tui.session.state import Freezer, SessionSnapshot, StateFolder, fold
from runbook_tui.session.statuses import END_STATUSES, WALKS
from runbook_tui.session.store import (
    SessionDir,
    SessionError,
    SessionLock,
    create_session,
    discard_session,
    find_session,
    state_home,
)
from runbook_tui.session.variables import masked_values, recorded_values, secret_names
from runbook_tui.session.workdir import workdir_for

log = logging.getLogger(__name__)

Event = dict[str, Any]
Subscriber = Callable[[Event], None]
StepHook = Callable[[Event], None]
Unsubscribe = Callable[[], None]
# What `record` writes: the world around the walk, seen by the session's sources
# (sources/recorder.py), not an intent of the operator's.
RECORDED_EVENTS = frozenset({"service_changed", "evidence", "commands_allowed", "commands_refused"})
# The events `on_step` hooks are called with.
_STEP_EVENTS = frozenset({"step_started", "step_finished"})
# Sessions that ended this way have nothing left to resume.
_FINAL_STATUSES = ("completed", "rolled_back")

# The live state keeps only this much output per step; the journal keeps all of it.
LIVE_OUTPUT_CHARS = 256 * 1024
# ... and only this many service changes (state.py's `service_changes`).
LIVE_SERVICE_CHANGES = 1000
# Output quiet for this long is shown even if it might start a secret (see StreamMasker).
_IDLE_RELEASE_SECONDS = 0.15
# expect_output is searched in a sliding window, so memory stays bounded.
_MATCH_WINDOW = 64 * 1024
# A risky expect_output pattern gets this long at the step's end (see _OutputMatcher).
MATCH_SECONDS = 2.0
# Every string the engine writes is masked (Engine._write) except these fields' values:
# identifiers the fold matches on, from the runbook's structure or the tool's own fixed
# words, never from output, the environment or the operator. A step id that holds a
# secret value is recorded under an id made from it masked (session/recorded_ids.py).
_RAW_FIELDS = frozenset(
    {"type", "session_id", "step_id", "kind", "status", "verdict", "walk", "confirmed_by", "by"}
)


# Set in each step's environment as it starts (orphans.py finds its processes by them).
_PER_STEP_ENV = ("RUNBOOK_TUI_STEP", "RUNBOOK_TUI_ATTEMPT")


def _redactor(runbook: Runbook, variables: Mapping[str, str]) -> Redactor:
    secret = secret_names(runbook)
    return Redactor([val for name, val in variables.items() if name in secret and val])


def _recorded_ids(runbook: Runbook, redactor: Redactor) -> dict[str, str]:
    """{runbook id: the id the journal records} for the steps whose id holds a secret
    value or a token shape (see session/recorded_ids.py)."""
    try:
        return recorded_step_ids((step.id for step in runbook.steps), redactor.mask)
    except NoSafeId as exc:
        raise EngineError(str(exc)) from None


class EngineError(Exception):
    """An intent that cannot be carried out; the message is for the operator."""


class RunbookChanged(EngineError):
    pass


@dataclass(frozen=True)
class Prepared:
    """A command about to run, its placeholders filled (see `Engine.prepare`).

    `command` is what bash runs: a filled `<placeholder>` in it is a reference to an
    environment variable (`"${RBT_FILL_POD_NAME}"`), whose value is in `env` (for this
    command only); a filled `$NAME` is exported in the carried shell state (`exports`)
    and stays for the steps after. It may run only when `ready`: `unfilled` are the
    placeholders without a value, `missing` the `$NAME`s neither declared nor exported
    in the carried shell state and given no value, `refused` the placeholders that
    cannot be filled where they stand (single quotes: edit the command instead)."""

    template: str
    command: str
    fills: dict[str, str]
    env: dict[str, str]
    exports: dict[str, str]
    unfilled: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()
    refused: tuple[Refusal, ...] = ()

    @property
    def ready(self) -> bool:
        return not (self.unfilled or self.missing or self.refused)

    @property
    def problem(self) -> str:
        """Why it cannot run yet, for the operator (empty when ready)."""
        parts = [r.describe() for r in self.refused]
        if self.unfilled:
            listed = ", ".join(f"<{name}>" for name in self.unfilled)
            parts.append(f"no value for placeholder {listed}")
        if self.missing:
            listed = ", ".join(f"${name}" for name in self.missing)
            parts.append(f"no value for {listed} (not set in the session's shell)")
        return "; ".join(parts)


@dataclass(frozen=True)
class StepOutcome:
    step_id: str
    attempt: int
    verdict: str  # "succeeded" | "failed"
    exit_code: int | None
    reason: str
    duration_seconds: float
    timed_out: bool = False
    cancelled: bool = False

    @property
    def succeeded(self) -> bool:
        return self.verdict == "succeeded"


class _OutputMatcher:
    """Searches for `expect_output` in output as it streams, line by line, with colour
    codes removed, in a bounded window. Only complete lines are searched while the
    step runs (so `$` cannot match the end of half a line); the rest at the end.

    A pattern that could backtrack without end (`(a*)*b`, see runbook/patterns.py) is
    not searched as output streams: once, at the step's end, on the last window of
    output, in a child process under a time bound. `undecided` says it ran out."""

    def __init__(self, pattern: str | None) -> None:
        self._pattern = pattern
        self._re = re.compile(pattern, re.MULTILINE) if pattern else None
        self._risky = bool(pattern) and patterns.shape(pattern or "")[1]
        self._window = ""
        self.matched = False
        self.undecided = False

    def feed(self, text: str) -> None:
        if self._re is None or self.matched:
            return
        self._window = (self._window + text)[-_MATCH_WINDOW:]
        if self._risky:
            return
        cut = self._window.rfind("\n")
        if cut < 0:
            return
        complete, self._window = self._window[: cut + 1], self._window[cut + 1 :]
        if self._re.search(strip_escapes(complete.replace("\r\n", "\n"))):
            self.matched = True

    def finish(self) -> None:
        if self._re is None or self.matched or not self._window:
            return
        text = strip_escapes(self._window.replace("\r\n", "\n"))
        if not self._risky:
            self.matched = bool(self._re.search(text))
            return
        found = patterns.search_within(f"(?m){self._pattern}", text, MATCH_SECONDS)
        self.matched = bool(found)
        self.undecided = found is None


def judge(step: Step, result: RunResult, matched: bool, undecided: bool = False) -> tuple[str, str]:
    """(verdict, reason) for a finished shell step."""
    if result.cancelled:
        return "failed", "cancelled by the operator"
    if result.timed_out:
        return "failed", f"timed out after {step.timeout_seconds:g}s"
    if result.exit_code is None:
        sig = f"signal {result.signal}" if result.signal else "an unknown cause"
        return "failed", f"killed by {sig}"
    if result.exit_code != step.expect_exit:
        return "failed", f"exit {result.exit_code}, expected {step.expect_exit}"
    if step.expect_output and undecided:
        return "failed", (
            f"output could not be matched against {step.expect_output!r} within "
            f"{MATCH_SECONDS:g}s (the pattern may backtrack without end)"
        )
    if step.expect_output and not matched:
        return "failed", f"output did not match {step.expect_output!r}"
    return "succeeded", f"exit {result.exit_code}"


def _reason(exc: BaseException) -> str:
    """The operating system's words for why `exc` happened (`No space left on device`),
    from the OSError behind it; else its message."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, OSError) and seen.strerror:
            return seen.strerror
        seen = seen.__cause__
    return str(exc)


def _recorded_workdir(first: Event) -> Path | None:
    """The folder a session's first step started in, as its first event recorded it,
    when it can still be used (journals from before it was recorded have none)."""
    recorded = first.get("workdir") if first.get("type") == "session_started" else None
    if not isinstance(recorded, str) or MASK in recorded or not Path(recorded).is_dir():
        return None
    return Path(recorded)


class Engine:
    """One live session: its journal, its lock, its shell and its folded state."""

    def __init__(
        self,
        *,
        runbook: Runbook,
        session: SessionDir,
        journal: Journal,
        lock: SessionLock,
        variables: Mapping[str, str],
        events: list[Event],
        use_pty: bool = True,
        folder: StateFolder | None = None,
        workdir: str | Path | None = None,
    ) -> None:
        self.runbook = runbook
        self.session_id = session.id
        self.session_dir = session.path
        self.journal_path = session.journal_path
        self.journal = journal
        self._lock = lock
        secret = secret_names(runbook)
        self.redactor = _redactor(runbook, variables)
        # The tool's log masks with it too (applog), for as long as this engine lives.
        redaction.register(self.redactor)
        self.warnings: list[str] = [
            f"secret value of {name} is shorter than 6 characters and may not be masked"
            for name, val in variables.items()
            if name in secret and val in self.redactor.too_short
        ]
        # {runbook id: recorded id} for ids that hold a secret value: the journal, and
        # the environment resume finds a step's processes by, only know the second.
        self._recorded_ids = _recorded_ids(runbook, self.redactor)
        self.warnings += [
            f"the id of step {index} holds a secret value; the journal records the step "
            f"as {self._recorded_ids[step.id]} (give it a name without the value)"
            for index, step in enumerate(runbook.steps, 1)
            if step.id in self._recorded_ids
        ]
        env = dict(os.environ)
        env.update(variables)
        env["RUNBOOK_TUI_SESSION"] = session.id
        # Where the first step starts; the runbook's sources read relative paths from
        # here too (sources/recorder.py), so `--workdir` moves both.
        self.workdir = workdir_for(runbook, workdir)
        self.runner = ShellRunner(env=env, cwd=str(self.workdir), use_pty=use_pty)
        # `folder`: the journal folded already (resume); live output keeps a bounded tail.
        self._folder = (
            folder
            if folder is not None
            else StateFolder(runbook=runbook, live=True, max_output_chars=LIVE_OUTPUT_CHARS)
        )
        # Service changes are many where a service flaps: the fold keeps the newest.
        self._folder.max_service_changes = LIVE_SERVICE_CHANGES
        self._folder.trim_service_changes()
        for event in events:
            self._folder.apply(event)
        self._subscribers: list[Subscriber] = []
        self._step_hooks: list[StepHook] = []
        # Events come from the step's thread, the UI's and the sources' workers: the
        # fold sees them in the order of their seq. Reentrant: a hook may write.
        self._write_lock = threading.RLock()
        self._ended = False  # session_ended written: nothing is recorded after it
        self._state_lock = threading.RLock()
        # The frozen snapshot handed out by `state`, rebuilt after the fold changes.
        self._snapshot: SessionSnapshot | None = None
        self._freezer = Freezer()
        self._run_lock = threading.Lock()
        self._cancel: threading.Event | None = None
        self._cancel_pending = False
        self._closed = False

    # -- opening ---------------------------------------------------------------------

    @classmethod
    def start(
        cls,
        runbook: Runbook,
        *,
        home: str | Path | None = None,
        variables: Mapping[str, str] | None = None,
        drill: bool = False,
        walk: str = "main",
        use_pty: bool = True,
        workdir: str | Path | None = None,
    ) -> Engine:
        """Create a session for `runbook`, take its lock and write its first event.
        `walk` is "main" or "rollback": which steps this process walks. `workdir`: the
        folder the first step starts in (default: the runbook file's folder)."""
        variables = dict(variables or {})
        start_in = workdir_for(runbook, workdir)
        _recorded_ids(runbook, _redactor(runbook, variables))  # refused before anything is made
        try:
            root = state_home(str(home) if home is not None else None)
            sdir = create_session(root)
        except OSError as exc:
            raise EngineError(f"cannot create the session: {_reason(exc)}") from exc
        lock = SessionLock(sdir.path)
        try:
            lock.acquire()
        except SessionError as exc:
            discard_session(sdir)
            raise EngineError(f"cannot create the session in {root}: {exc}") from exc
        sha = provenance.file_sha256(runbook.path) if runbook.path else None
        commit = provenance.head_commit(runbook.path) if runbook.path else None
        first = {
            "session_id": sdir.id,
            "runbook": {
                "path": str(Path(runbook.path).resolve()) if runbook.path else "",
                "sha256": sha,
                "git_commit": commit,
                # Finding it out means `git status`, which runs the repository's
                # fsmonitor hook: no longer computed (journals keep the key, null).
                "git_dirty": None,
                "title": runbook.title,
                "kind": runbook.kind,
                "restores": list(runbook.restores),
            },
            "tool_version": __version__,
            "operator": provenance.operator(),
            "host": provenance.host(),
            "pid": os.getpid(),
            "variables": masked_values(runbook, variables),
            "drill": drill,
            "walk": walk,
            "workdir": str(start_in),
            "started_at": utc_timestamp(),
        }
        # Masked like every event (_write): a title or path may hold a secret value.
        first = mask_strings(first, _redactor(runbook, variables).mask, _RAW_FIELDS)
        try:
            journal = Journal.create(sdir.journal_path, first)
        except BaseException as exc:
            # Nothing half-made stays behind: a journal without its first line would
            # list as an `interrupted` session that never was.
            lock.release()
            discard_session(sdir)
            if isinstance(exc, JournalError | OSError):
                raise EngineError(f"cannot create the session in {root}: {_reason(exc)}") from exc
            raise
        assert journal.first_event is not None
        events = [journal.first_event]
        engine = cls(
            runbook=runbook,
            session=sdir,
            journal=journal,
            lock=lock,
            variables=variables,
            events=events,
            use_pty=use_pty,
            workdir=start_in,
        )
        # After the engine registered its redactor: the log masks the path too.
        log.info("session %s started for %s", sdir.id, runbook.path)
        return engine

    @classmethod
    def resume(
        cls,
        home: str | Path | None,
        session_id: str,
        runbook: Runbook,
        *,
        variables: Mapping[str, str] | None = None,
        allow_changed: bool = False,
        walk: str | None = None,
        use_pty: bool = True,
    ) -> Engine:
        """Reopen a session: finished steps stay finished; a step that was running when
        its process died is recorded as interrupted, to be run again as a new attempt.
        Refuses while a step of the dead process is still running. `walk` defaults to
        the walk the session was doing."""
        root = state_home(str(home) if home is not None else None)
        sdir = find_session(root, session_id)
        lock = SessionLock(sdir.path)
        lock.acquire()
        try:
            # One streaming pass: the live fold keeps where each step's output is in
            # the journal, not its text (output_snapshot reads the tail back), and
            # read.events holds every event but output.
            # Steps recorded under another id (theirs holds a secret value) are folded
            # under their runbook ids; read.events keeps them as recorded.
            recorded_ids = _recorded_ids(runbook, _redactor(runbook, variables or {}))
            read = fold_journal(
                sdir.journal_path,
                runbook,
                live=True,
                max_output_chars=LIVE_OUTPUT_CHARS,
                keep_events=True,
                step_ids={rec: own for own, rec in recorded_ids.items()},
            )
            if not read.events:
                raise EngineError(f"session {sdir.id} has an empty journal")
            # As recorded: its status, and its variables including those given again
            # on earlier resumes.
            recorded = fold(read.events)
            if recorded.status in _FINAL_STATUSES:
                raise EngineError(f"session {sdir.id} already {recorded.status}")
            left = orphans.interrupted_step_processes(sdir.id, read.events)
            if left:
                raise EngineError(
                    f"session {sdir.id} still has processes running from before it was "
                    f"interrupted ({orphans.describe(left)}); let them finish or stop them "
                    "(kill them), then resume: running the step again now would run it twice"
                )
            current = provenance.file_sha256(runbook.path) if runbook.path else None
            changed = bool(
                recorded.runbook_sha256 and current and recorded.runbook_sha256 != current
            )
            if changed and not allow_changed:
                raise RunbookChanged(
                    f"the runbook {runbook.path} changed since session {sdir.id} started "
                    "(sha256 differs); pass --allow-changed to continue with the new text"
                )
            journal = Journal.open_append(sdir.journal_path)
        except BaseException:
            lock.release()
            raise
        # Secret values were recorded masked: they must be supplied again.
        merged = {**recorded_values(runbook, recorded.variables), **(variables or {})}
        engine = cls(
            runbook=runbook,
            session=sdir,
            journal=journal,
            lock=lock,
            variables=merged,
            events=[],
            use_pty=use_pty,
            folder=read.folder,
            workdir=_recorded_workdir(read.events[0]),
        )
        running = [s for s in engine.state.steps.values() if s.status == "running"]
        engine._write(
            "session_resumed",
            pid=os.getpid(),
            operator=provenance.operator(),
            host=provenance.host(),
            runbook_sha256=current,
            runbook_changed=changed,
            variables=masked_values(runbook, variables or {}),
        )
        for st in running:
            engine._write("step_interrupted", step_id=st.id, attempt=st.attempts)
        if walk is not None and walk != engine.walk:
            engine.switch_walk(walk, "asked for on resume")
        engine._restore_cwd(read.events)
        log.info("session %s resumed", sdir.id)
        return engine

    def _restore_cwd(self, events: list[Event]) -> None:
        """Start where the last finished step left the shell. A directory whose path
        holds a secret value was recorded masked and cannot be restored: the last one
        before it that can be is used, and a warning says so."""
        masked_after: str | None = None
        for ev in reversed(events):
            if ev.get("type") != "step_finished" or not ev.get("cwd_after"):
                continue
            cwd = str(ev["cwd_after"])
            if MASK in cwd:
                masked_after = masked_after or str(ev.get("step_id"))
                continue
            if not Path(cwd).is_dir():
                break
            self.runner.cwd = cwd
            break
        if masked_after is not None:
            self.warnings.append(
                f"the working directory after step {masked_after} holds a secret value, "
                "so the journal has it masked and it cannot be restored; starting in "
                f"{self.redactor.mask(self.runner.cwd)}"
            )

    # -- reading -----------------------------------------------------------------------

    @property
    def state(self) -> SessionSnapshot:
        """The fold as it is now, frozen: a reader cannot change it, and it does not
        change under a reader. Output is the kept tail of each step's latest attempt."""
        with self._state_lock:
            if self._snapshot is None:
                self._snapshot = self._freezer.freeze(self._folder.state)
            return self._snapshot

    @property
    def home(self) -> Path:
        """The state home the session lives in."""
        return self.session_dir.parent.parent

    @property
    def plan(self) -> Plan:
        """The walk's rules applied to the state as it is now."""
        return Plan(self.runbook, self.state)

    @property
    def walk(self) -> str:
        """Which walk the session is doing: "main" or "rollback" (from the journal)."""
        return self.state.walk

    def output_snapshot(self, step_id: str) -> tuple[str, int]:
        """The kept output of `step_id`'s latest attempt and how many characters that
        attempt has produced in all, read together. While the step runs, the next output
        event continues right after that count: a view that shows the snapshot and then
        the live events can tell which events the snapshot already holds. Output
        recorded before a resume is not in memory: its tail is read from the journal."""
        with self._state_lock:
            step = self._folder.state.steps.get(step_id)
            if step is None:
                return "", 0
            if not step.output_spans:
                return step.output, step.output_chars
            # An attempt from before the resume: it gets no more output, and the
            # journal is append-only, so the ranges stay true outside the lock.
            spans = [(start, end) for start, end in step.output_spans]
            kept, chars = step.output, step.output_chars
        room = LIVE_OUTPUT_CHARS - len(kept)
        try:
            recorded = self._recorded_ids.get(step_id, step_id)
            stored = read_output_tail(self.journal_path, spans, recorded, room)
        except OSError as exc:
            log.warning("cannot read the output of %s back: %s", step_id, exc)
            stored = ""
        return stored + kept, chars

    @property
    def running(self) -> bool:
        return self._run_lock.locked()

    def subscribe(self, callback: Subscriber) -> Unsubscribe:
        """`callback(event)` after each event is written, on the writing thread, until
        the returned function is called. Output events reach subscribers as soon as
        they are masked, at most a quarter second before they reach the disk; they
        carry `upto`, the characters the attempt had produced once that event was in."""
        self._subscribers.append(callback)

        def unsubscribe() -> None:
            with contextlib.suppress(ValueError):
                self._subscribers.remove(callback)

        return unsubscribe

    def on_step(self, hook: StepHook) -> Unsubscribe:
        """`hook(event)` with each `step_started` and `step_finished` once it is
        written and its subscribers have it, on the thread that runs the step: before
        the command starts, and before `run_step` returns. Unlike a subscriber, a hook
        may write (`record`): its events follow the step's in the journal, and reach
        the subscribers after it. An exception from it is logged (JournalError goes on:
        the step cannot be recorded either)."""
        self._step_hooks.append(hook)

        def unsubscribe() -> None:
            with contextlib.suppress(ValueError):
                self._step_hooks.remove(hook)

        return unsubscribe

    def record(self, event_type: str, **fields: Any) -> Event:
        """Write an event about the world around the walk: one of RECORDED_EVENTS
        (docs/journal-format.md), masked like every event. Callable from any thread;
        refused (EngineError) once the session ended or closed."""
        if event_type not in RECORDED_EVENTS:
            raise ValueError(f"not an event the sources record: {event_type!r}")
        return self._write(event_type, **fields)

    # -- intents -----------------------------------------------------------------------

    def prepare(self, text: str, fills: Mapping[str, str] | None = None) -> Prepared:
        """`text` as it would run now with `fills` (keyed by the name as written:
        `pod-name` for `<pod-name>`, `NAME` for `$NAME`): which placeholders still need
        a value, and the final command to show before running. A `$NAME` needs one when
        the text uses it before setting it, it is not a declared variable, and the
        carried shell state does not export it (the environment the session started
        with counts)."""
        fills = dict(fills or {})
        found = scan(text)
        filled = fill(text, fills, found.found)
        declared = {v.name for v in self.runbook.variables}
        env = self.runner.env.keys() | _PER_STEP_ENV  # those are set as each step starts
        exports: dict[str, str] = {}
        missing: list[str] = []
        for name in found.names:
            if name in declared or name in env:
                continue
            if name in fills:
                exports[name] = fills[name]
            else:
                missing.append(name)
        used = set(found.placeholders) | set(exports)
        return Prepared(
            template=text,
            command=filled.command,
            fills={k: v for k, v in fills.items() if k in used},
            env=filled.env,
            exports=exports,
            unfilled=filled.unfilled,
            missing=tuple(missing),
            refused=filled.refused,
        )

    def run_step(
        self,
        step_id: str,
        *,
        confirmed_by: str | None = None,
        fills: Mapping[str, str] | None = None,
    ) -> StepOutcome:
        """Run a shell step to its end and record it. Blocks; raises EngineError if
        another step is running, the step is not a shell step, or a placeholder of it
        has no value in `fills` (see `prepare`; nothing is recorded then).
        `confirmed_by` says how a confirm or danger step was allowed (`operator`,
        `phrase`, `--yes`)."""
        step = self._step(step_id)
        if step.kind != "shell":
            raise EngineError(f"{step_id} is a manual step: confirm it instead")
        return self._locked(step, interactive=False, confirmed_by=confirmed_by, fills=fills)

    def run_interactive(
        self,
        step_id: str,
        *,
        confirmed_by: str | None = None,
        fills: Mapping[str, str] | None = None,
    ) -> StepOutcome:
        """Run a step with the real terminal (the caller has released it). Its output
        is not captured; start, end and exit code are recorded."""
        step = self._step(step_id)
        return self._locked(step, interactive=True, confirmed_by=confirmed_by, fills=fills)

    def run_reference(
        self,
        ref_id: str,
        text: str,
        *,
        confirmed_by: str | None = None,
        fills: Mapping[str, str] | None = None,
        interactive: bool = False,
        timeout_seconds: float | None = None,
    ) -> StepOutcome:
        """Run `text`, the operator's edited copy of reference block `ref_id`, in the
        carried shell state like a step: recorded as a step of kind `reference` with
        the block's line and its text as written beside the text that ran. Running it
        again is a new attempt. It never counts in the walk's progress."""
        ref = self._reference(ref_id)
        step = Step(
            id=ref.id,
            kind="shell",
            command=text,
            line=ref.line,
            section=ref.section,
            timeout_seconds=timeout_seconds,
            interactive=interactive,
            errexit=self.runbook.errexit,
            pipefail=self.runbook.pipefail,
        )
        extra = {"source_line": ref.line, "written": ref.text}
        return self._locked(
            step,
            interactive=interactive,
            confirmed_by=confirmed_by,
            fills=fills,
            kind="reference",
            extra=extra,
        )

    def run_adhoc(
        self,
        text: str,
        *,
        confirmed_by: str | None = None,
        fills: Mapping[str, str] | None = None,
        interactive: bool = False,
        timeout_seconds: float | None = None,
    ) -> StepOutcome:
        """Run a command the runbook does not have, in the carried shell state like a
        step: recorded as a step of kind `adhoc`, id `adhoc-N` (N counts from 1 in the
        session), in time order with the rest. It never counts in progress and is never
        run again on resume."""
        if not text.strip():
            raise EngineError("nothing to run: the command is empty")
        step = Step(
            id=self._adhoc_id(),
            kind="shell",
            command=text,
            line=0,
            timeout_seconds=timeout_seconds,
            interactive=interactive,
            errexit=self.runbook.errexit,
            pipefail=self.runbook.pipefail,
        )
        return self._locked(
            step, interactive=interactive, confirmed_by=confirmed_by, fills=fills, kind="adhoc"
        )

    def mark_reference(self, ref_id: str, *, by: str = "operator") -> None:
        """Record reference block `ref_id` as done by hand (outside this tool)."""
        ref = self._reference(ref_id)
        self._write(
            "manual_confirmed",
            step_id=ref.id,
            name=None,
            kind="reference",
            text=ref.text,
            by=by,
            source_line=ref.line,
            written=ref.text,
        )

    def pass_reference(self, ref_id: str, reason: str = "") -> None:
        """Record that the operator passed reference block `ref_id` by."""
        if self.running and self._running_step() == ref_id:
            raise EngineError("cancel the running command before passing it by")
        ref = self._reference(ref_id)
        self._write(
            "step_skipped",
            step_id=ref.id,
            name=None,
            kind="reference",
            reason=reason.strip() or "passed by",
            source_line=ref.line,
            written=ref.text,
        )

    def _locked(
        self,
        step: Step,
        *,
        interactive: bool,
        confirmed_by: str | None,
        fills: Mapping[str, str] | None,
        kind: str | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> StepOutcome:
        """Run `step` under the run lock, once its placeholders have values."""
        if not self._run_lock.acquire(blocking=False):
            raise EngineError("another step is running")
        try:
            prepared = self.prepare(step.command, fills)
            if not prepared.ready:
                where = f" (line {step.line})" if step.line else ""
                raise EngineError(f"{step.id}{where}: {prepared.problem}")
            return self._run(
                step,
                interactive=interactive,
                confirmed_by=confirmed_by,
                prepared=prepared,
                kind=kind or step.kind,
                extra=extra or {},
            )
        finally:
            self._run_lock.release()

    def _run(
        self,
        step: Step,
        *,
        interactive: bool,
        confirmed_by: str | None,
        prepared: Prepared | None = None,
        kind: str | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> StepOutcome:
        """Run `step` (the run lock held). `prepared`: its command filled (`_locked`
        checked it is ready); `kind` and `extra`: what the journal records of it beyond
        a runbook step's fields (a reference block's line and text)."""
        if prepared is None:
            prepared = self.prepare(step.command)
        kind = kind or step.kind
        attempt = self._attempts(step.id) + 1
        # Made before step_started is written, so a cancel that arrives during that
        # fsync is not lost: the runner sees the event set and runs nothing.
        cancel = threading.Event()
        with self._state_lock:  # against cancel() deciding between "pending" and "set"
            if self._cancel_pending:
                cancel.set()
            self._cancel, self._cancel_pending = cancel, False
        cwd = None
        if step.cwd:
            cwd = os.path.join(self.runner.cwd, os.path.expanduser(step.cwd))
        self.runner.env["RUNBOOK_TUI_STEP"] = self._recorded_ids.get(step.id, step.id)
        self.runner.env["RUNBOOK_TUI_ATTEMPT"] = str(attempt)
        recorded: dict[str, Any] = dict(extra or {})
        if prepared.fills:
            # The values are masked where they match a secret, as every string is.
            recorded.update(template=prepared.template, fills=dict(prepared.fills))
        self._write(
            "step_started",
            step_id=step.id,
            attempt=attempt,
            name=step.name,
            kind=kind,
            command=prepared.command,
            cwd=cwd or self.runner.cwd,
            interactive=interactive,
            confirmed_by=confirmed_by,
            **recorded,
        )
        # A filled $NAME is exported in the carried shell state, as if a step had.
        self.runner.env.update(prepared.exports)
        masker = StreamMasker(self.redactor)
        matcher = _OutputMatcher(step.expect_output)
        # The masker holds back a tail that might be the start of a secret; when output
        # goes quiet, the idle releaser shows what cannot be one, so a line printed
        # before a long pause is on screen (and in the journal) during the pause.
        out_lock = threading.Lock()
        last_output = [time.monotonic()]

        def on_output(text: str) -> None:
            matcher.feed(text)
            with out_lock:
                last_output[0] = time.monotonic()
                safe = masker.feed(text)
                if safe:
                    self._output(step.id, attempt, safe)

        def release_when_idle() -> None:
            while not stop_idle.wait(_IDLE_RELEASE_SECONDS / 2):
                with out_lock:
                    quiet = time.monotonic() - last_output[0] >= _IDLE_RELEASE_SECONDS
                    if quiet and masker.holding:
                        safe = masker.release_idle()
                        if safe:
                            self._output(step.id, attempt, safe)

        stop_idle = threading.Event()
        idle_thread = threading.Thread(target=release_when_idle, daemon=True)
        idle_thread.start()

        try:
            result = self.runner.run(
                prepared.command,
                on_output=on_output,
                timeout=step.timeout_seconds,
                cwd=cwd,
                cancel=cancel,
                interactive=interactive,
                errexit=step.errexit,
                pipefail=step.pipefail,
                child_env=prepared.env,
            )
        except JournalError:
            raise
        except Exception as exc:  # could not start: recorded as a failure, not a crash
            log.exception("step %s could not start", step.id)
            rest = masker.flush()
            if rest:
                self._output(step.id, attempt, rest)
            reason = self.redactor.mask(f"could not start: {exc}")
            self._write(
                "step_finished",
                step_id=step.id,
                attempt=attempt,
                exit_code=None,
                signal=None,
                verdict="failed",
                reason=reason,
                duration_seconds=0.0,
                timed_out=False,
                cancelled=False,
            )
            return StepOutcome(step.id, attempt, "failed", None, reason, 0.0)
        finally:
            self._cancel = None
            stop_idle.set()
            idle_thread.join()
        rest = masker.flush()
        if rest:
            self._output(step.id, attempt, rest)
        matcher.finish()
        if interactive:
            matcher.matched = True  # nothing captured: expect_output cannot apply
        verdict, reason = judge(step, result, matcher.matched, matcher.undecided)
        reason = self.redactor.mask(reason)  # the outcome is printed, as the event is written
        self._write(
            "step_finished",
            step_id=step.id,
            attempt=attempt,
            exit_code=result.exit_code,
            signal=result.signal,
            verdict=verdict,
            reason=reason,
            duration_seconds=round(result.duration_seconds, 3),
            timed_out=result.timed_out,
            cancelled=result.cancelled,
            cwd_after=self.runner.cwd,
        )
        return StepOutcome(
            step.id,
            attempt,
            verdict,
            result.exit_code,
            reason,
            result.duration_seconds,
            timed_out=result.timed_out,
            cancelled=result.cancelled,
        )

    def cancel(self) -> bool:
        """Ask the running step to stop (its whole process group is killed). Returns
        whether a step was running. A cancel that arrives while the step is being
        started is kept, so the step is not run."""
        with self._state_lock:
            ev = self._cancel
            if ev is None:
                if not self._run_lock.locked():
                    return False
                self._cancel_pending = True
                return True
        ev.set()
        return True

    def confirm_manual(self, step_id: str, *, by: str = "operator") -> None:
        step = self._step(step_id)
        if step.kind != "manual":
            raise EngineError(f"{step_id} is a shell step: run it instead")
        self._write(
            "manual_confirmed",
            step_id=step_id,
            name=step.name,
            kind=step.kind,
            text=step.command,
            by=by,
        )

    def skip(self, step_id: str, reason: str) -> None:
        if self.running and self._running_step() == step_id:
            raise EngineError("cancel the running step before skipping it")
        step = self._step(step_id)
        self._write(
            "step_skipped",
            step_id=step_id,
            name=step.name,
            kind=step.kind,
            reason=reason.strip() or "no reason given",
        )

    def note(self, text: str, step_id: str | None = None) -> None:
        """A timestamped note, possible at any moment, also while a step runs."""
        self._write("note", text=text, step_id=step_id)

    def switch_walk(self, walk: str, reason: str) -> None:
        """Make `walk` ("main" or "rollback") the session's walk, on the record."""
        if walk not in WALKS:
            raise ValueError(f"unknown walk {walk!r}")
        if walk == "rollback" and not self.runbook.rollback_steps:
            raise EngineError("this runbook has no rollback steps")
        self._write("walk_changed", walk=walk, reason=reason)

    def end(self, status: str, reason: str = "") -> None:
        """End the session with `status` (one of END_STATUSES) and close it."""
        if status not in END_STATUSES:
            raise ValueError(f"unknown session status {status!r}")
        fields: dict[str, Any] = {"status": status, "reason": reason}
        if self.state.drill:
            # Timed up to now on the journal's clock: the event is written right after.
            now = epoch(utc_timestamp())
            try:
                report = drill_report(self.runbook, self.state, now=now, status=status)
                fields["drill"] = report.verdict()
            except Exception:  # the end must be recorded; without a verdict it is unjudged
                log.exception("cannot judge drill %s", self.session_id)
        self._write("session_ended", **fields)
        self.close()

    def drill_report(self) -> DrillReport:
        """The drill's report as the journal tells it now (for an ended drill, with the
        verdict its `session_ended` recorded)."""
        return drill_report(self.runbook, self.state)

    def finish(self, reason: str = "") -> str:
        """End the session with the status the walk has earned (see session/plan.py);
        returns it."""
        status = self.plan.earned_status()
        self.end(status, reason)
        return status

    def close(self) -> None:
        """Flush and release the lock without ending: the session stays resumable."""
        if self._closed:
            return
        self._closed = True
        try:
            self.journal.close()
        finally:
            self._lock.release()

    # -- internals ---------------------------------------------------------------------

    def _step(self, step_id: str) -> Step:
        try:
            return self.runbook.step(step_id)
        except KeyError:
            raise EngineError(f"no step {step_id!r} in this runbook") from None

    def _reference(self, ref_id: str) -> Reference:
        try:
            return self.runbook.reference(ref_id)
        except KeyError:
            raise EngineError(f"no reference block {ref_id!r} in this runbook") from None

    def _adhoc_id(self) -> str:
        """`adhoc-N`, one more than the ad-hoc commands recorded, never an id in use."""
        steps = self.state.steps
        n = sum(1 for st in steps.values() if st.kind == "adhoc") + 1
        taken = {s.id for s in self.runbook.steps} | {r.id for r in self.runbook.references}
        while f"adhoc-{n}" in steps or f"adhoc-{n}" in taken:
            n += 1
        return f"adhoc-{n}"

    def _attempts(self, step_id: str) -> int:
        st = self.state.steps.get(step_id)
        return st.attempts if st else 0

    def _running_step(self) -> str | None:
        return self.plan.running_step

    def _write(self, event_type: str, **fields: Any) -> Event:
        """Append a lifecycle event. Every string in it, however deep, is masked here,
        the one place, so a new field cannot forget it (output is masked as it streams,
        by a StreamMasker with the same redactor)."""
        if self._closed:
            raise EngineError("this session is closed")
        step_id = fields.get("step_id")
        recorded = self._recorded_ids.get(step_id) if isinstance(step_id, str) else None
        if recorded is not None:
            fields = {**fields, "step_id": recorded}
        masked = mask_strings(fields, self.redactor.mask, _RAW_FIELDS)
        with self._write_lock:
            if self._ended and event_type in RECORDED_EVENTS:
                raise EngineError("this session has ended")
            event = self.journal.append(event_type, **masked)
            self._ended = self._ended or event_type == "session_ended"
            if recorded is not None:  # in memory, the step keeps its runbook id
                event = {**event, "step_id": step_id}
            with self._state_lock:
                self._folder.apply(event)
                self._freezer.touched(event)
                self._snapshot = None
        self._notify(event)
        if event_type in _STEP_EVENTS:
            self._call_step_hooks(event)
        return event

    def _output(self, step_id: str, attempt: int, text: str) -> None:
        self.journal.append_output(self._recorded_ids.get(step_id, step_id), attempt, text)
        event: Event = {
            "seq": None,
            "ts": utc_timestamp(),
            "type": "output",
            "step_id": step_id,
            "attempt": attempt,
            "data": text,
        }
        with self._state_lock:
            self._folder.apply(event)
            self._freezer.touched(event)
            self._snapshot = None
            step = self._folder.state.steps.get(step_id)
            event["upto"] = step.output_chars if step is not None else len(text)
        self._notify(event)

    def _call_step_hooks(self, event: Event) -> None:
        for hook in list(self._step_hooks):
            try:
                hook(event)
            except JournalError:
                raise
            except Exception:  # evidence is not worth a step
                log.exception("step hook failed on %s", event.get("type"))

    def _notify(self, event: Event) -> None:
        for callback in list(self._subscribers):
            try:
                callback(event)
            except Exception:  # a broken view must not stop the record
                log.exception("subscriber failed on %s", event.get("type"))
