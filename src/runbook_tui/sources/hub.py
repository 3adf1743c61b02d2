"""The hub: owns every source of a session (service checks, backup sets, logs),
schedules their polls and hands the readings to subscribers.

Scheduling: each source has its own worker thread. A poll runs there; the next one is
scheduled `interval` seconds after it ends, so a slow source never stacks calls and a
hanging one delays nobody else. A poll still running `timeout` (+ a grace second)
after it began is reported by the watchdog thread as the source's `overdue` reading
(service: `unknown`, backup: `error`); its real reading follows whenever it ends.

Subscribers are called from those threads (a worker or the watchdog), one call at a
time across the hub and in order for each source; a `ServiceChange` comes just before
the `ServiceReading` that made it. A callback must be quick and must not block on the
thread that calls `close()`: the UI posts a message and returns.

Sources that run a runbook's commands (`command` checks and logs) are held back until
`allow_commands()` (the operator's consent); `status` builds its hub allowed.

Any object with `name`, `poll()` and `close()` is a source (`Source`); readings of
kinds the hub does not know (logs) are passed on as they are.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol, runtime_checkable

from runbook_tui.session.workdir import workdir_for
from runbook_tui.sources.readings import BackupReading, ServiceChange, ServiceReading

if TYPE_CHECKING:
    from runbook_tui.runbook.model import LogSource, Runbook
    from runbook_tui.sources.backups import RestoreLookup

log = logging.getLogger(__name__)

Kind = Literal["service", "backup", "log"]
KINDS: tuple[Kind, ...] = ("service", "backup", "log")
# A poll this long past its timeout is reported overdue.
GRACE = 1.0
# How often a log is read: the newest line shown lags at most about this.
LOG_INTERVAL = 0.1
# The shortest interval a runbook can ask for (an `interval: 0` would spin).
MIN_INTERVAL = 0.1
# How long `poll_once` waits for a source without a timeout (a log) to report.
UNTIMED_WAIT = 5.0
# How long `close` waits for the workers to end (a poll stuck in the kernel may not).
CLOSE_WAIT = 2.0
# How long `fresh` waits for the sources it asked (a log's read takes milliseconds).
FRESH_WAIT = 1.0

Mask = Callable[[str], str]
Update = Any  # ServiceReading | ServiceChange | BackupReading | a log's reading
Callback = Callable[[Update], None]


@runtime_checkable
class Source(Protocol):
    """What the hub polls. `poll` blocks a worker thread for at most about the
    source's timeout and should not raise; `close` stops whatever it started (it may
    be called from another thread while a poll runs). Optional: `overdue(seconds)`,
    the reading to report when a poll runs long; `interval`, read before each wait."""

    name: str

    def poll(self) -> Any: ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class SourceInfo:
    kind: Kind
    name: str
    interval: float
    timeout: float | None  # None: no watchdog (logs, whose polls do not block)
    command: str | None  # the runbook's shell text it runs (needs consent), or None


@dataclass(frozen=True)
class Snapshot:
    """The newest reading of each source that has reported, in declaration order."""

    services: Mapping[str, ServiceReading]
    backups: Mapping[str, BackupReading]
    logs: Mapping[str, Any]

    def evidence(self, since: Snapshot | None = None, now: float | None = None) -> dict[str, Any]:
        """The compact evidence of the journal's `evidence` event: `services` {name:
        state}, `backups` {name: {state, age_seconds}} (the age as of `now`), `logs`
        {name: error lines gained since the snapshot `since`, else since the log was
        opened} (a log reading's `error_lines`)."""
        now = time.time() if now is None else now
        backups = {
            name: {
                "state": b.state,
                "age_seconds": None
                if b.newest_at is None
                else round(max(0.0, now - b.newest_at), 3),
            }
            for name, b in self.backups.items()
        }
        logs = {}
        for name, reading in self.logs.items():
            errors = getattr(reading, "error_lines", None)
            if not isinstance(errors, int):
                continue
            before = getattr(since.logs.get(name), "error_lines", 0) if since is not None else 0
            logs[name] = max(0, errors - (before if isinstance(before, int) else 0))
        return {
            "services": {name: s.state for name, s in self.services.items()},
            "backups": backups,
            "logs": logs,
        }


class _Slot:
    """One source and its schedule. Fields are guarded by the hub's lock."""

    def __init__(
        self, info: SourceInfo, source: Source | None, opener: Callable[[], Source] | None
    ) -> None:
        self.info = info
        self.source = source
        self.opener = opener
        self.reports = 0  # readings published (real or overdue)
        self.busy_since: float | None = None  # monotonic start of the running poll
        self.overdue_sent = False
        self.thread: threading.Thread | None = None
        self.polls = 0  # polls ended (reported or not), counted after the report
        self.polling = False  # a poll is under way (until its report is delivered)
        self.wake = threading.Event()  # cuts the wait before the next poll short

    @property
    def key(self) -> tuple[Kind, str]:
        return (self.info.kind, self.info.name)


class Hub:
    def __init__(
        self, *, mask: Mask | None = None, commands_allowed: bool = False, grace: float = GRACE
    ) -> None:
        self.mask = mask
        self.grace = grace
        self._slots: list[_Slot] = []
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)  # a report, a poll start, close
        self._deliver = threading.Lock()  # one delivery at a time, in order
        self._stop = threading.Event()
        self._allowed = commands_allowed
        self._closed = False
        self._started = False
        self._watchdog: threading.Thread | None = None
        self._subscribers: tuple[Callback, ...] = ()
        self._latest: dict[tuple[Kind, str], Any] = {}

    # -- building -----------------------------------------------------------------------

    def add(
        self,
        source: Source | None = None,
        *,
        kind: Kind,
        name: str | None = None,
        interval: float,
        timeout: float | None = None,
        command: str | None = None,
        opener: Callable[[], Source] | None = None,
    ) -> SourceInfo:
        """Own `source` (or the one `opener` makes in its worker, on its first poll).
        `command` is the shell text it runs: such a source waits for consent."""
        if (source is None) == (opener is None):
            raise ValueError("give a source or an opener")
        if kind not in KINDS:
            raise ValueError(f"unknown source kind {kind!r}")
        label = name if name is not None else getattr(source, "name", None)
        if not isinstance(label, str):
            raise ValueError("a source needs a name")
        info = SourceInfo(kind, label, max(interval, MIN_INTERVAL), timeout, command)
        with self._lock:
            if self._started or self._closed:
                raise RuntimeError("sources are added before the hub starts")
            if any(s.key == (kind, label) for s in self._slots):
                raise ValueError(f"two {kind} sources named {label!r}")
            self._slots.append(_Slot(info, source, opener))
        return info

    @classmethod
    def for_runbook(
        cls,
        runbook: Runbook,
        *,
        values: Mapping[str, str] | None = None,
        environ: Mapping[str, str] | None = None,
        mask: Mask | None = None,
        restore_lookup: RestoreLookup | None = None,
        log_opener: Callable[[LogSource], Source] | None = None,
        commands_allowed: bool = False,
        with_logs: bool = True,
        cwd: str | Path | None = None,
    ) -> Hub:
        """A hub with a source for every service, backup set and log `runbook`
        declares, `${NAME}` expanded (sources/expand.py) from `values` (the walk's
        variables; else each one's `from_env` or default) and the environment. Commands
        run, and relative paths are read, in `cwd` (the walk's `--workdir`; default the
        runbook's folder), with those variables in their environment.
        `log_opener(log)` makes a log's reader (default: sources/logs.py `open_log`);
        `with_logs=False` leaves the logs out (`status` reads them itself)."""
        from runbook_tui.sources.backups import BackupCheck
        from runbook_tui.sources.expand import expand, mentioned_unknown, source_values
        from runbook_tui.sources.services import ServiceCheck

        env = source_values(runbook, values, environ)
        cwd = str(workdir_for(runbook, cwd))
        hub = cls(mask=mask, commands_allowed=commands_allowed)
        for service in runbook.services:
            target = (mentioned_unknown if service.check == "command" else expand)(
                service.target, env
            )
            check = ServiceCheck(service, target=target.text, env=env, cwd=cwd, note=target.note)
            hub.add(
                check,
                kind="service",
                interval=check.interval,
                timeout=check.timeout,
                command=check.command,
            )
        for backup in runbook.backups:
            target = expand(backup.target, env)
            secret_file = expand(backup.password_file or "", env)
            note = "; ".join(n for n in (target.note, secret_file.note) if n)
            inventory = BackupCheck(
                backup,
                target=target.text,
                password_file=secret_file.text or None,
                values=env,
                cwd=cwd,
                restore_lookup=restore_lookup,
                note=note,
            )
            hub.add(
                inventory, kind="backup", interval=inventory.interval, timeout=inventory.timeout
            )
        if with_logs:
            opener = log_opener or _default_log_opener(mask, cwd, env)
            for entry in runbook.logs:
                expanded = expand_log(entry, env)
                hub.add(
                    kind="log",
                    name=entry.name,
                    interval=LOG_INTERVAL,
                    command=entry.target if entry.source == "command" else None,
                    opener=lambda e=expanded: opener(e),  # type: ignore[misc]
                )
        return hub

    # -- what it holds ------------------------------------------------------------------

    @property
    def sources(self) -> tuple[SourceInfo, ...]:
        return tuple(s.info for s in self._slots)

    def commands(self) -> tuple[SourceInfo, ...]:
        """The sources that run a runbook's command: what consent is asked for."""
        return tuple(s.info for s in self._slots if s.info.command is not None)

    @property
    def commands_allowed(self) -> bool:
        return self._allowed

    def source(self, kind: Kind, name: str) -> Source | None:
        """The source object (a log's reader once opened, for `tail`), or None."""
        for slot in self._slots:
            if slot.key == (kind, name):
                return slot.source
        return None

    def latest(self) -> Snapshot:
        """The newest reading of everything, without polling (for evidence snapshots)."""
        with self._lock:
            found = {kind: {} for kind in KINDS}  # type: dict[Kind, dict[str, Any]]
            for slot in self._slots:
                reading = self._latest.get(slot.key)
                if reading is not None:
                    found[slot.info.kind][slot.info.name] = reading
        return Snapshot(found["service"], found["backup"], found["log"])

    # -- subscribers --------------------------------------------------------------------

    def subscribe(self, callback: Callback) -> Callable[[], None]:
        """Call `callback(update)` with every reading (and ServiceChange) from now on,
        from a worker thread (see the module doc). Returns the way to stop; a call
        already under way may finish after it returns."""
        with self._lock:
            self._subscribers = (*self._subscribers, callback)

        def unsubscribe() -> None:
            with self._lock:
                subs = list(self._subscribers)
                if callback in subs:
                    subs.remove(callback)
                self._subscribers = tuple(subs)

        return unsubscribe

    # -- running ------------------------------------------------------------------------

    def allow_commands(self) -> None:
        """The operator agreed: sources that run the runbook's commands may poll."""
        with self._lock:
            self._allowed = True
            self._changed.notify_all()

    def start(self) -> None:
        """Start polling every source, now and then every `interval`."""
        with self._lock:
            if self._closed:
                raise RuntimeError("the hub is closed")
            if self._started:
                return
            self._started = True
        self._start_watchdog()
        for slot in self._slots:
            slot.thread = threading.Thread(
                target=self._loop, args=(slot,), name=f"source-{slot.info.name}", daemon=True
            )
            slot.thread.start()

    def fresh(self, kind: Kind = "log", wait: float = FRESH_WAIT) -> bool:
        """Have every polling source of `kind` read now (its next poll is brought
        forward, not added) and wait, up to `wait` seconds, until each has ended a poll
        that began after this call: then `latest()` holds what they saw up to now (a
        step's last log lines in its end-of-step evidence). True when all did in time;
        at once on a hub not started or closed."""
        with self._lock:
            if not self._started or self._closed:
                return True
            # A poll under way may have read before this call: wait for the one after.
            wanted = {
                id(s): s.polls + (2 if s.polling else 1)
                for s in self._slots
                if s.info.kind == kind and (s.info.command is None or self._allowed)
            }
            slots = [s for s in self._slots if id(s) in wanted]
        for slot in slots:
            slot.wake.set()
        deadline = time.monotonic() + wait
        with self._lock:
            while not self._closed:
                if all(s.polls >= wanted[id(s)] for s in slots):
                    return True
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._changed.wait(left)
        return True

    def poll_soon(self, kind: Kind) -> None:
        """Bring the next poll of every source of `kind` forward to now, without
        waiting for it (after a step ended: a backup it just wrote shows in seconds,
        not at the set's next minute)."""
        with self._lock:
            slots = [s for s in self._slots if s.info.kind == kind]
        for slot in slots:
            slot.wake.set()

    def poll_once(self, wait: float | None = None) -> Snapshot:
        """Poll every source once, all at the same time, and return what they saw: for
        `status`, on a hub that was not started. Each source gets its timeout (plus the
        grace); `wait`, when given, bounds the whole. A source that has not reported by
        then gets its overdue reading. Sources that need consent are polled only when
        commands are allowed."""
        with self._lock:
            if self._started or self._closed:
                raise RuntimeError("poll_once is for a hub that was not started")
            wanted = {
                id(s): s.reports + 1 for s in self._slots if s.info.command is None or self._allowed
            }
            slots = [s for s in self._slots if id(s) in wanted]
            # A poll still stuck from an earlier call is waited for, not doubled.
            idle = [s for s in slots if s.busy_since is None]
        self._start_watchdog()
        begun = time.monotonic()
        for slot in idle:
            threading.Thread(
                target=self._poll, args=(slot,), name=f"source-{slot.info.name}", daemon=True
            ).start()
        overall = None if wait is None else begun + wait
        late: list[_Slot] = []
        with self._lock:
            for slot in slots:
                timeout = slot.info.timeout
                own = begun + (timeout + self.grace if timeout else UNTIMED_WAIT)
                deadline = own if overall is None else min(own, overall)
                while slot.reports < wanted[id(slot)] and not self._closed:
                    left = deadline - time.monotonic()
                    if left <= 0:
                        late.append(slot)
                        break
                    self._changed.wait(left)
        for slot in late:
            self._report_overdue(slot, time.monotonic() - begun, below=wanted[id(slot)])
        return self.latest()

    def close(self) -> None:
        """Stop every source: no poll starts after this, running command checks and
        command logs are killed with their process groups, and no callback starts once
        it returns. Waits a little for the workers (a poll stuck in the kernel is
        left behind: the threads are daemons)."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._changed.notify_all()
        self._stop.set()
        for slot in self._slots:
            slot.wake.set()
            source = slot.source
            if source is not None:
                try:
                    source.close()
                except Exception:
                    log.exception("closing source %s", slot.info.name)
        deadline = time.monotonic() + CLOSE_WAIT
        for thread in [s.thread for s in self._slots] + [self._watchdog]:
            if thread is not None and thread is not threading.current_thread():
                thread.join(max(0.0, deadline - time.monotonic()))

    def __enter__(self) -> Hub:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- inside -------------------------------------------------------------------------

    def _loop(self, slot: _Slot) -> None:
        while True:
            with self._lock:
                self._changed.wait_for(
                    lambda: self._closed or slot.info.command is None or self._allowed
                )
                if self._closed:
                    return
            self._poll(slot)
            interval = getattr(slot.source, "interval", None)
            if not isinstance(interval, int | float) or isinstance(interval, bool):
                interval = slot.info.interval
            slot.wake.wait(max(float(interval), MIN_INTERVAL))
            slot.wake.clear()
            if self._stop.is_set():
                return

    def _poll(self, slot: _Slot) -> None:
        with self._lock:
            if self._closed:
                return
            slot.busy_since = time.monotonic()
            slot.overdue_sent = False
            slot.polling = True
            self._changed.notify_all()  # the watchdog learns the new deadline
        try:
            self._poll_source(slot)
        finally:
            with self._lock:
                slot.polls += 1
                slot.polling = False
                self._changed.notify_all()

    def _poll_source(self, slot: _Slot) -> None:
        reading = None
        try:
            source = slot.source
            if source is None:
                assert slot.opener is not None
                source = slot.opener()
                with self._lock:
                    slot.source = source
                    closed = self._closed
                if closed:
                    source.close()
                    return
            reading = source.poll()
        except Exception as exc:
            log.exception("polling %s %s", slot.info.kind, slot.info.name)
            reading = _failure(slot.info, f"{type(exc).__name__}: {exc}")
        finally:
            with self._lock:
                slot.busy_since = None
        if reading is not None:
            self._publish(slot, reading)

    def _start_watchdog(self) -> None:
        with self._lock:
            if self._watchdog is not None:
                return
            self._watchdog = threading.Thread(
                target=self._watch, name="source-watchdog", daemon=True
            )
        self._watchdog.start()

    def _watch(self) -> None:
        """Report polls that run past their timeout (+ grace), once per poll."""
        while True:
            due: list[tuple[_Slot, float]] = []
            with self._lock:
                if self._closed:
                    return
                now = time.monotonic()
                soonest: float | None = None
                for slot in self._slots:
                    if slot.busy_since is None or slot.overdue_sent or slot.info.timeout is None:
                        continue
                    deadline = slot.busy_since + slot.info.timeout + self.grace
                    if deadline <= now:
                        slot.overdue_sent = True
                        due.append((slot, now - slot.busy_since))
                    elif soonest is None or deadline < soonest:
                        soonest = deadline
                if not due:
                    self._changed.wait(None if soonest is None else soonest - now)
                    continue
            for slot, seconds in due:
                self._report_overdue(slot, seconds)

    def _report_overdue(self, slot: _Slot, seconds: float, below: int | None = None) -> None:
        """Publish the slot's overdue reading; with `below`, only while it has made
        fewer reports (the real reading may have come meanwhile)."""
        with self._lock:
            slot.overdue_sent = True
        overdue = getattr(slot.source, "overdue", None)
        reading = None
        if callable(overdue):
            try:
                reading = overdue(seconds)
            except Exception:
                log.exception("overdue reading of %s", slot.info.name)
        if reading is None:
            reading = _failure(slot.info, f"no reading after {seconds:.0f}s")
        if reading is not None:
            self._publish(slot, reading, below=below)

    def _publish(self, slot: _Slot, reading: Any, below: int | None = None) -> None:
        if self.mask is not None and isinstance(reading, ServiceReading | BackupReading):
            reading = replace(reading, detail=self.mask(reading.detail))
        with self._deliver:
            change = None
            with self._lock:
                if self._closed or (below is not None and slot.reports >= below):
                    return
                if isinstance(reading, ServiceReading):
                    before = self._latest.get(slot.key)
                    if before is None or before.state != reading.state:
                        reading = replace(reading, since=reading.checked_at)
                        change = ServiceChange(
                            reading.name,
                            before.state if before is not None else "unknown",
                            reading.state,
                            reading.detail,
                            reading.checked_at,
                        )
                    else:
                        reading = replace(reading, since=before.since)
                self._latest[slot.key] = reading
                subscribers = self._subscribers
            for update in (change, reading):
                if update is None:
                    continue
                for callback in subscribers:
                    try:
                        callback(update)
                    except Exception:
                        log.exception("a subscriber of the sources failed")
            # Counted once delivered: `poll_once` returns after its subscribers heard.
            with self._lock:
                slot.reports += 1
                self._changed.notify_all()


def _failure(info: SourceInfo, why: str) -> Any:
    """A reading that says the source could not be read (none for a log: its reader
    reports its own errors)."""
    now = time.time()
    if info.kind == "service":
        return ServiceReading(info.name, "unknown", f"check failed: {why}", None, now)
    if info.kind == "backup":
        return BackupReading(info.name, "error", None, None, 0, None, None, why, now)
    return None


def expand_log(entry: LogSource, env: Mapping[str, str]) -> LogSource:
    """A log entry with `${NAME}` expanded in its path (a command's text is left for
    its shell, which gets the values in its environment)."""
    from runbook_tui.sources.expand import expand

    if entry.source == "command":
        return entry
    return replace(entry, target=expand(entry.target, env).text)


def open_log_source(
    runbook: Runbook,
    entry: LogSource,
    *,
    mask: Mask | None = None,
    values: Mapping[str, str] | None = None,
    environ: Mapping[str, str] | None = None,
    cwd: str | Path | None = None,
) -> Source:
    """The reader of one of `runbook`'s logs, as `for_runbook` opens it."""
    from runbook_tui.sources.expand import source_values

    env = source_values(runbook, values, environ)
    folder = str(workdir_for(runbook, cwd))
    return _default_log_opener(mask, folder, env)(expand_log(entry, env))


def _default_log_opener(
    mask: Mask | None, cwd: str, env: Mapping[str, str]
) -> Callable[[LogSource], Source]:
    def opener(entry: LogSource) -> Source:
        from runbook_tui.sources.logs import open_log

        reader: Source = open_log(entry, mask=mask, base_dir=cwd, env=env)
        return reader

    return opener
