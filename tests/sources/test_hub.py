"""The hub: scheduling, subscribers, changes, consent, close. Asserted on events (what
was reported, in what order), never on how long anything took."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import psutil
import pytest

from runbook_tui.runbook.model import Service
from runbook_tui.runbook.parser import parse
from runbook_tui.session.redaction import Redactor
from runbook_tui.sources.hub import Hub, Source
from runbook_tui.sources.readings import ServiceChange, ServiceReading
from runbook_tui.sources.services import ServiceCheck

from .conftest import Server, wait_until


class Gate:
    """A source whose polls block until released: a stand-in for any check that hangs
    in a way its own timeout cannot end (name lookup, a stuck NFS glob)."""

    def __init__(self, name: str, state: str = "up") -> None:
        self.name = name
        self.state = state
        self.release = threading.Event()
        self.calls = 0
        self.running = 0
        self.most_at_once = 0
        self.closed = False
        self._lock = threading.Lock()

    def poll(self) -> ServiceReading:
        with self._lock:
            self.calls += 1
            self.running += 1
            self.most_at_once = max(self.most_at_once, self.running)
        self.release.wait(60)
        with self._lock:
            self.running -= 1
        return ServiceReading(self.name, self.state, "released", None, time.time())  # type: ignore[arg-type]

    def overdue(self, seconds: float) -> ServiceReading:
        return ServiceReading(self.name, "unknown", "overdue", None, time.time())

    def close(self) -> None:
        self.closed = True
        self.release.set()


class Counter:
    """A source that answers at once, with the state it is told to."""

    def __init__(self, name: str, state: str = "up") -> None:
        self.name = name
        self.state = state
        self.calls = 0
        self.closed = False

    def poll(self) -> ServiceReading:
        self.calls += 1
        return ServiceReading(self.name, self.state, f"poll {self.calls}", None, time.time())  # type: ignore[arg-type]

    def close(self) -> None:
        self.closed = True


class Recorder:
    def __init__(self) -> None:
        self.updates: list[Any] = []
        self._lock = threading.Lock()

    def __call__(self, update: Any) -> None:
        with self._lock:
            self.updates.append(update)

    def of(self, name: str) -> list[Any]:
        with self._lock:
            return [u for u in self.updates if u.name == name]


def test_the_sources_are_protocol_sources() -> None:
    check = ServiceCheck(Service(name="a", check="tcp", target="127.0.0.1:1"))
    assert isinstance(check, Source) and isinstance(Counter("x"), Source)


def test_a_hanging_source_does_not_delay_the_others() -> None:
    hang, fast = Gate("hang"), Counter("fast")
    seen = Recorder()
    hub = Hub()
    hub.add(hang, kind="service", interval=0.1, timeout=600)
    hub.add(fast, kind="service", interval=0.1, timeout=600)
    hub.subscribe(seen)
    hub.start()
    try:
        assert wait_until(
            lambda: len([u for u in seen.of("fast") if isinstance(u, ServiceReading)]) >= 3
        )
        assert hang.calls == 1 and not seen.of("hang")  # still in its first poll
    finally:
        hub.close()
    assert hang.closed and fast.closed


def test_a_slow_source_never_stacks_calls() -> None:
    slow, clock = Gate("slow"), Counter("clock")
    hub = Hub()
    hub.add(slow, kind="service", interval=0.1, timeout=600)
    hub.add(clock, kind="service", interval=0.1, timeout=600)
    hub.start()
    try:
        # The clock's polls are the time passing: five intervals, and still one call.
        assert wait_until(lambda: slow.calls == 1 and clock.calls >= 5)
        assert slow.calls == 1
        slow.release.set()
        assert wait_until(lambda: slow.calls >= 3)
    finally:
        hub.close()
    assert slow.most_at_once == 1


def test_a_poll_past_its_timeout_is_reported_overdue_and_its_answer_follows() -> None:
    stuck = Gate("stuck")
    seen = Recorder()
    hub = Hub(grace=0)
    hub.add(stuck, kind="service", interval=600, timeout=0.1)
    hub.subscribe(seen)
    hub.start()
    try:
        assert wait_until(lambda: any(getattr(u, "detail", "") == "overdue" for u in seen.updates))
        stuck.release.set()
        assert wait_until(lambda: any(getattr(u, "detail", "") == "released" for u in seen.updates))
    finally:
        hub.close()
    readings = [u for u in seen.updates if isinstance(u, ServiceReading)]
    assert [r.detail for r in readings] == ["overdue", "released"]  # once each, in order


def test_changes_come_first_and_since_holds_until_the_state_changes() -> None:
    flaky = Counter("api")
    seen = Recorder()
    hub = Hub()
    hub.add(flaky, kind="service", interval=600, timeout=5)
    hub.subscribe(seen)
    hub.poll_once()
    first = hub.latest().services["api"]
    hub.poll_once()
    second = hub.latest().services["api"]
    flaky.state = "down"
    hub.poll_once()
    third = hub.latest().services["api"]
    hub.close()
    kinds = [type(u).__name__ for u in seen.updates]
    assert kinds == [
        "ServiceChange",
        "ServiceReading",
        "ServiceReading",
        "ServiceChange",
        "ServiceReading",
    ]
    changes = [u for u in seen.updates if isinstance(u, ServiceChange)]
    assert [(c.from_state, c.to_state) for c in changes] == [("unknown", "up"), ("up", "down")]
    assert first.since == first.checked_at
    assert second.since == first.since and second.checked_at >= first.checked_at
    assert third.since == third.checked_at == changes[1].at


def test_unsubscribe_stops_the_calls() -> None:
    seen, other = Recorder(), Recorder()
    hub = Hub()
    hub.add(Counter("a"), kind="service", interval=600, timeout=5)
    stop = hub.subscribe(seen)
    hub.subscribe(other)
    hub.poll_once()
    stop()
    stop()  # twice is harmless
    hub.poll_once()
    hub.close()
    assert len(seen.updates) == 2  # the first change and reading
    assert len(other.updates) == 3


def test_a_failing_subscriber_does_not_stop_the_others() -> None:
    def broken(update: Any) -> None:
        raise RuntimeError("subscriber bug")

    seen = Recorder()
    hub = Hub()
    hub.add(Counter("a"), kind="service", interval=600, timeout=5)
    hub.subscribe(broken)
    hub.subscribe(seen)
    hub.poll_once()
    hub.close()
    assert len(seen.updates) == 2


def test_a_source_that_raises_is_reported_and_polled_again() -> None:
    class Broken(Counter):
        def poll(self) -> ServiceReading:
            self.calls += 1
            raise OSError("boom")

    broken = Broken("b")
    hub = Hub()
    hub.add(broken, kind="service", interval=0.1, timeout=5)
    hub.start()
    try:
        assert wait_until(lambda: broken.calls >= 2)
        reading = hub.latest().services["b"]
        assert (reading.state, reading.detail) == ("unknown", "check failed: OSError: boom")
    finally:
        hub.close()


def test_latest_is_in_declaration_order_and_empty_before_any_poll() -> None:
    hub = Hub()
    for name in ("c", "a", "b"):
        hub.add(Counter(name), kind="service", interval=600, timeout=5)
    assert hub.latest().services == {}
    snapshot = hub.poll_once()
    hub.close()
    assert list(snapshot.services) == ["c", "a", "b"]
    assert snapshot.backups == {} and snapshot.logs == {}


def test_poll_once_wait_bounds_the_whole_and_reports_the_late_ones() -> None:
    stuck, fast = Gate("stuck"), Counter("fast")
    hub = Hub()
    hub.add(stuck, kind="service", interval=600, timeout=600)
    hub.add(fast, kind="service", interval=600, timeout=600)
    snapshot = hub.poll_once(wait=0.2)
    hub.close()
    assert snapshot.services["stuck"].detail == "overdue"
    assert snapshot.services["fast"].detail == "poll 1"


def test_real_checks_report_while_one_hangs(http_server: Server, silent_listener: Server) -> None:
    """The hanging HTTP check reports last, when its own timeout ends it."""
    runbook = parse(
        "---\nservices:\n"
        f"  - {{name: hang, http: '{silent_listener.url}/ok', timeout: 1s}}\n"
        f"  - {{name: web, http: '{http_server.url}/ok'}}\n"
        f"  - {{name: port, tcp: '127.0.0.1:{http_server.port}'}}\n"
        "---\n# x\n"
    ).runbook
    seen = Recorder()
    hub = Hub.for_runbook(runbook)
    hub.subscribe(seen)
    snapshot = hub.poll_once()
    hub.close()
    order = [u.name for u in seen.updates if isinstance(u, ServiceReading)]
    assert order[-1] == "hang" and set(order) == {"hang", "web", "port"}
    assert snapshot.services["hang"].detail == "no response within 1s"
    assert snapshot.services["web"].state == snapshot.services["port"].state == "up"


def test_command_sources_wait_for_consent(tmp_path: Path) -> None:
    runbook = parse(
        "---\nservices:\n"
        "  - {name: cmd, command: 'true'}\n"
        "  - {name: port, tcp: '127.0.0.1:1'}\n"
        "logs:\n  - {name: follow, command: 'journalctl -fu app'}\n"
        "  - {name: file, path: app.log}\n"
        "---\n# x\n"
    ).runbook
    opened: list[str] = []

    def opener(entry: Any) -> Counter:
        opened.append(entry.name)
        return Counter(entry.name)

    hub = Hub.for_runbook(runbook, log_opener=opener)
    assert [(s.kind, s.name, s.command) for s in hub.commands()] == [
        ("service", "cmd", "true"),
        ("log", "follow", "journalctl -fu app"),
    ]
    assert not hub.commands_allowed
    seen = Recorder()
    hub.subscribe(seen)
    hub.start()
    try:
        assert wait_until(lambda: {"port", "file"} <= {u.name for u in seen.updates})
        assert "cmd" not in {u.name for u in seen.updates} and opened == ["file"]
        hub.allow_commands()
        assert wait_until(lambda: {"cmd", "follow"} <= {u.name for u in seen.updates})
    finally:
        hub.close()
    assert sorted(opened) == ["file", "follow"]
    assert hub.latest().services["cmd"].state == "up"


def test_log_sources_plug_in_by_the_protocol() -> None:
    class Log:
        name = "app"
        interval = 0.05

        def __init__(self) -> None:
            self.polls = 0
            self.closed = False

        def poll(self) -> dict[str, Any]:
            self.polls += 1
            return {"name": "app", "lines": [f"line {self.polls}"]}

        def close(self) -> None:
            self.closed = True

        def tail(self, n: int) -> list[str]:
            return [f"line {self.polls}"][-n:]

    log = Log()
    hub = Hub()
    hub.add(log, kind="log", interval=600)
    hub.start()
    try:
        # Its own `interval` (0.05 s) wins over the one it was added with.
        assert wait_until(lambda: log.polls >= 3)
        assert hub.latest().logs["app"]["name"] == "app"
        assert hub.source("log", "app") is log
    finally:
        hub.close()
    assert log.closed


def test_details_are_masked_before_anyone_sees_them() -> None:
    runbook = parse(
        "---\nservices:\n  - {name: leak, command: 'echo token hunter2hunter2; exit 1'}\n---\n# x\n"
    ).runbook
    seen = Recorder()
    hub = Hub.for_runbook(runbook, mask=Redactor(["hunter2hunter2"]).mask, commands_allowed=True)
    hub.subscribe(seen)
    snapshot = hub.poll_once()
    hub.close()
    assert snapshot.services["leak"].detail == "exit 1: token ********"
    assert all("hunter2" not in u.detail for u in seen.updates)


def test_close_kills_running_command_checks_and_stops_the_calls(tmp_path: Path) -> None:
    pids = tmp_path / "pids"
    runbook = parse(
        "---\nservices:\n"
        f"  - {{name: hang, command: 'echo $$ >> {pids}; sleep 600 & echo $! >> {pids}; wait',"
        " timeout: 10m}\n"
        "---\n# x\n"
    ).runbook
    seen = Recorder()
    hub = Hub.for_runbook(runbook, commands_allowed=True)
    hub.subscribe(seen)
    hub.start()
    assert wait_until(lambda: pids.exists() and len(pids.read_text().split()) == 2)
    started = [int(p) for p in pids.read_text().split()]
    hub.close()

    def gone(pid: int) -> bool:
        try:
            return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
        except psutil.NoSuchProcess:
            return True

    assert wait_until(lambda: all(gone(p) for p in started))
    assert seen.updates == []  # its poll ended by the close: not reported
    with pytest.raises(RuntimeError):
        hub.start()


def test_sources_have_unique_names_per_kind() -> None:
    hub = Hub()
    hub.add(Counter("a"), kind="service", interval=1)
    hub.add(Counter("a"), kind="backup", interval=1)
    with pytest.raises(ValueError, match="two service sources named 'a'"):
        hub.add(Counter("a"), kind="service", interval=1)


def test_poll_once_again_does_not_stack_on_a_poll_still_stuck() -> None:
    stuck = Gate("stuck")
    hub = Hub(grace=0)
    hub.add(stuck, kind="service", interval=600, timeout=0.05)
    assert hub.poll_once().services["stuck"].detail == "overdue"
    assert hub.poll_once().services["stuck"].detail == "overdue"
    hub.close()
    assert stuck.calls == 1 and stuck.most_at_once == 1


def test_the_evidence_of_a_snapshot_counts_the_error_lines_gained() -> None:
    from dataclasses import dataclass

    from runbook_tui.sources.hub import Snapshot
    from runbook_tui.sources.readings import BackupReading

    @dataclass(frozen=True)
    class LogSeen:
        name: str
        error_lines: int

    up = ServiceReading("api", "up", "HTTP 200 OK", 3.0, 100.0, 100.0)
    nightly = BackupReading("nightly", "ok", 40.0, 60.0, 3, 30, None, "", 100.0)
    before = Snapshot({"api": up}, {"nightly": nightly}, {"app": LogSeen("app", 2)})
    after = Snapshot({"api": up}, {"nightly": nightly}, {"app": LogSeen("app", 7)})
    assert after.evidence(before, now=140.0) == {
        "services": {"api": "up"},
        "backups": {"nightly": {"state": "ok", "age_seconds": 100.0}},
        "logs": {"app": 5},
    }
    assert after.evidence(now=140.0)["logs"] == {"app": 7}


def test_the_runbooks_logs_are_read_by_the_log_readers(tmp_path: Path) -> None:
    """for_runbook opens each log with sources/logs.py; the command log waits for consent
    and stops with the hub."""
    from runbook_tui.sources.logs import LogReading

    (tmp_path / "app.log").write_text("started\nERROR disk full\n")
    pid_file = tmp_path / "pid"
    path = tmp_path / "book.md"
    path.write_text(
        "---\nvariables:\n  LOG: {default: app.log}\nlogs:\n"
        "  - {name: app, path: '${LOG}'}\n"
        f"  - {{name: follow, command: 'echo $$ > {pid_file}; echo ERROR one; exec sleep 600'}}\n"
        "---\n# x\n"
    )
    runbook = parse(path.read_text(), path=str(path)).runbook
    hub = Hub.for_runbook(runbook)
    seen = Recorder()
    hub.subscribe(seen)
    hub.start()
    try:
        assert wait_until(lambda: any(u.name == "app" for u in seen.updates))
        app = hub.latest().logs["app"]
        assert isinstance(app, LogReading) and app.lines == ("started", "ERROR disk full")
        assert "follow" not in hub.latest().logs and not pid_file.exists()
        before = hub.latest()
        hub.allow_commands()
        assert wait_until(lambda: getattr(hub.latest().logs.get("follow"), "error_lines", 0) == 1)
        assert hub.latest().evidence(before)["logs"] == {"app": 0, "follow": 1}
        pid = int(pid_file.read_text())
    finally:
        hub.close()

    def gone() -> bool:
        try:
            return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
        except psutil.NoSuchProcess:
            return True

    assert wait_until(gone)
