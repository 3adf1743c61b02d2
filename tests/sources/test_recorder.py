"""SessionEvidence: a live session's sources recorded in its journal, against real
servers, files and commands. Waits are on the journal's contents, never on time."""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path
from typing import Any

import psutil

from runbook_tui.runbook.parser import load
from runbook_tui.session import provenance, trust
from runbook_tui.session.engine import Engine
from runbook_tui.session.journal import read_journal
from runbook_tui.sources.hub import Hub
from runbook_tui.sources.readings import ServiceReading
from runbook_tui.sources.recorder import SessionEvidence

from .conftest import Web, wait_until

SECRET = "tok-5ecret-value-71"


def write_book(tmp_path: Path, front: str, body: str = "") -> Any:
    path = tmp_path / "book.md"
    path.write_text(
        "---\ntitle: Evidence\nvariables:\n"
        f'  TOKEN: {{secret: true, default: "{SECRET}"}}\n'
        f"{front}---\n# Evidence\n\n{body}"
    )
    result = load(str(path))
    assert not [d for d in result.diagnostics if d.severity == "error"], result.diagnostics
    return result.runbook


def step(name: str, command: str) -> str:
    return f'```sh {{"name":"{name}"}}\n{command}\n```\n\n'


def journal(engine: Engine) -> list[dict[str, Any]]:
    return [e for e in read_journal(engine.journal_path).events if e["type"] != "output"]


def of_type(engine: Engine, kind: str, **match: Any) -> list[dict[str, Any]]:
    return [
        e
        for e in journal(engine)
        if e["type"] == kind and all(e.get(k) == v for k, v in match.items())
    ]


def open_session(tmp_path: Path, book: Any) -> tuple[Engine, SessionEvidence]:
    engine = Engine.start(book, home=tmp_path / "home", use_pty=False)
    return engine, SessionEvidence.open(engine)


def test_each_change_of_a_service_is_journaled_the_first_from_unknown(
    tmp_path: Path, web: Web
) -> None:
    book = write_book(
        tmp_path,
        f'services:\n  - {{name: api, http: "http://127.0.0.1:{web.port}/health", '
        "interval: 100ms, timeout: 2s}\n",
    )
    engine, evidence = open_session(tmp_path, book)
    with evidence:
        evidence.start()
        assert wait_until(lambda: of_type(engine, "service_changed", to="up"))
        web.stop()
        assert wait_until(lambda: of_type(engine, "service_changed", to="down"))
        web.start()
        assert wait_until(lambda: len(of_type(engine, "service_changed")) == 3)
    changes = of_type(engine, "service_changed")
    assert [(c["name"], c["from"], c["to"]) for c in changes] == [
        ("api", "unknown", "up"),
        ("api", "up", "down"),
        ("api", "down", "up"),
    ]
    assert changes[0]["detail"] == "HTTP 200 OK"
    assert changes[1]["detail"]  # refused, or reset by the server going away
    assert all(c["at"].endswith("Z") and "T" in c["at"] for c in changes)
    assert list(changes[0])[3:] == ["name", "from", "to", "detail", "at"]
    # The live fold has them, in the journal's order.
    assert [(c.from_state, c.to_state) for c in engine.state.service_changes] == [
        ("unknown", "up"),
        ("up", "down"),
        ("down", "up"),
    ]
    engine.end("completed")


def test_evidence_at_a_steps_start_and_end_counts_the_error_lines_it_wrote(
    tmp_path: Path, listener: int
) -> None:
    (tmp_path / "app.log").write_text("ERROR from before the session\n")
    (tmp_path / "dumps").mkdir()
    for name, age in (("fresh.dump", 7200), ("old/x.dump", 3 * 86400)):
        path = tmp_path / "dumps" / name
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(b"x" * 100)
        when = time.time() - age
        os.utime(path, (when, when))
    book = write_book(
        tmp_path,
        f'services:\n  - {{name: db, tcp: "127.0.0.1:{listener}", interval: 100ms}}\n'
        "logs:\n  - {name: app, path: app.log}\n"
        "backups:\n"
        '  - {name: nightly, path: "dumps/*.dump", max_age: 1d}\n'
        '  - {name: archive, path: "dumps/old/*.dump", max_age: 1d}\n',
        step(
            "noisy",
            'echo "ERROR boom" >> app.log\necho \'{"level":"fatal"}\' >> app.log\n'
            "echo fine >> app.log",
        )
        + step("quiet", "echo warn: nothing >> app.log"),
    )
    engine, evidence = open_session(tmp_path, book)
    delivered: list[str] = []
    engine.subscribe(lambda e: delivered.append(e["type"]))
    with evidence:
        evidence.start()
        # The db was heard from, and every backup set looked at, before the steps.
        assert wait_until(lambda: len(evidence.hub.latest().backups) == 2)
        assert wait_until(lambda: of_type(engine, "service_changed", name="db"))
        assert engine.run_step("noisy").succeeded
        assert engine.run_step("quiet").succeeded
    found = of_type(engine, "evidence")
    assert [(e["step_id"], e["at"], e["attempt"]) for e in found] == [
        ("noisy", "step_start", 1),
        ("noisy", "step_end", 1),
        ("quiet", "step_start", 1),
        ("quiet", "step_end", 1),
    ]
    start, end, _, quiet_end = found
    assert list(start)[3:] == ["step_id", "attempt", "at", "services", "backups", "logs"]
    assert start["logs"] == {"app": 0}
    assert end["logs"] == {"app": 2}
    assert quiet_end["logs"] == {"app": 0}
    assert end["services"] == {"db": "up"}
    assert end["backups"]["nightly"]["state"] == "ok"
    assert 7200 <= end["backups"]["nightly"]["age_seconds"] < 7200 + 3600
    assert end["backups"]["archive"]["state"] == "stale"
    # Each evidence event follows its step's event in the journal.
    types = [
        e["type"]
        for e in journal(engine)
        if e["type"] in ("step_started", "step_finished", "evidence")
    ]
    assert types == ["step_started", "evidence", "step_finished", "evidence"] * 2
    assert [t for t in delivered if t in ("step_started", "step_finished", "evidence")] == types
    # The fold keeps each attempt's evidence.
    noisy = engine.state.steps["noisy"]
    assert noisy.evidence["step_end"]["logs"] == {"app": 2}
    assert noisy.history[0].evidence["step_start"]["logs"] == {"app": 0}
    engine.end("completed")


def test_a_service_not_heard_from_yet_is_unknown_in_the_evidence(tmp_path: Path) -> None:
    """A check that has not answered when the step starts: `unknown`, as its first
    change will say."""
    book = write_book(
        tmp_path,
        "services:\n  - {name: slow, command: 'sleep 600', timeout: 30s}\n",
        step("one", "true"),
    )
    engine, evidence = open_session(tmp_path, book)
    with evidence:
        evidence.start()  # not allowed: the command check never runs
        assert engine.run_step("one").succeeded
    assert of_type(engine, "evidence", at="step_end")[0]["services"] == {"slow": "unknown"}
    engine.end("completed")


def test_details_reach_the_journal_masked(tmp_path: Path) -> None:
    web = Web(reason=f"token {SECRET}")
    try:
        book = write_book(
            tmp_path,
            "services:\n"
            f'  - {{name: api, http: "http://127.0.0.1:{web.port}/?key=${{TOKEN}}",'
            " interval: 100ms}\n"
            "  - {name: echo, command: 'echo \"token is $TOKEN\"', interval: 100ms}\n",
        )
        engine, evidence = open_session(tmp_path, book)
        with evidence:
            evidence.allow(remember=False)
            evidence.start()
            assert wait_until(lambda: len(of_type(engine, "service_changed")) == 2)
            api = evidence.hub.latest().services["api"]
        engine.end("completed")
    finally:
        web.stop()
    raw = engine.journal_path.read_bytes()
    assert SECRET.encode() not in raw
    details = {c["name"]: c["detail"] for c in of_type(engine, "service_changed")}
    assert details == {"api": "HTTP 200 token ********", "echo": "exit 0: token is ********"}
    assert api.detail == "HTTP 200 token ********"  # what the panels are handed


def test_log_lines_reach_the_panels_masked_with_the_sessions_secrets(tmp_path: Path) -> None:
    """Issue 10: log lines are masked like step output before they reach the screen:
    what the hub hands the panels, and a reader's tail (status, the jump), carry no
    secret variable's value, from a file log or a command log."""
    (tmp_path / "app.log").write_text(f"login with {SECRET} ok\n")
    book = write_book(
        tmp_path,
        "logs:\n  - {name: app, path: app.log}\n"
        "  - {name: cmd, command: 'echo \"cmd says $TOKEN\"; exec sleep 600'}\n",
    )
    engine, evidence = open_session(tmp_path, book)
    with evidence:
        evidence.allow(remember=False)
        evidence.start()
        with (tmp_path / "app.log").open("a") as out:
            out.write(f"again {SECRET}\n")

        def lines() -> dict[str, tuple[str, ...]]:
            return {name: r.lines for name, r in evidence.hub.latest().logs.items()}

        assert wait_until(lambda: len(lines().get("app", ())) == 2 and lines().get("cmd"))
        assert lines() == {
            "app": ("login with ******** ok", "again ********"),
            "cmd": ("cmd says ********",),
        }
        app = evidence.hub.source("log", "app")
        assert app is not None and app.tail(5) == ("login with ******** ok", "again ********")
    engine.end("completed")
    assert SECRET.encode() not in engine.journal_path.read_bytes()


def test_consent_lists_the_commands_masked_and_a_no_keeps_them_off(
    tmp_path: Path, listener: int
) -> None:
    book = write_book(
        tmp_path,
        f'services:\n  - {{name: db, tcp: "127.0.0.1:{listener}", interval: 100ms}}\n'
        "  - {name: mark, command: 'touch check-ran', interval: 100ms}\n"
        f"logs:\n  - {{name: tail, command: 'echo {SECRET}; touch log-ran'}}\n",
        step("one", "true"),
    )
    engine, evidence = open_session(tmp_path, book)
    assert [(c.kind, c.name, c.command) for c in evidence.commands] == [
        ("service", "mark", "touch check-ran"),
        ("log", "tail", "echo ********; touch log-ran"),
    ]
    assert evidence.needs_consent and not evidence.trusted
    with evidence:
        evidence.start()
        evidence.refuse()
        assert not evidence.needs_consent
        assert wait_until(lambda: of_type(engine, "service_changed", name="db"))
        assert engine.run_step("one").succeeded
    engine.end("completed")
    assert not (tmp_path / "check-ran").exists()
    assert not (tmp_path / "log-ran").exists()
    refused = of_type(engine, "commands_refused")
    assert len(refused) == 1
    assert refused[0]["commands"] == [
        {"kind": "service", "name": "mark", "command": "touch check-ran"},
        {"kind": "log", "name": "tail", "command": "echo ********; touch log-ran"},
    ]
    assert refused[0]["by"] == "operator" and refused[0]["sha256"] == evidence.sha256
    assert not of_type(engine, "service_changed", name="mark")
    assert of_type(engine, "evidence", at="step_end")[0]["services"]["mark"] == "unknown"
    assert not (tmp_path / "home" / "trust.json").exists()
    assert engine.state.commands_consent is not None
    assert engine.state.commands_consent["allowed"] is False
    assert read_state(engine)["commands_consent"]["by"] == "operator"


def read_state(engine: Engine) -> dict[str, Any]:
    from runbook_tui.session.state import fold

    return fold(read_journal(engine.journal_path).events).to_dict(include_output=False)


def test_a_yes_is_remembered_and_the_next_session_is_allowed_by_trust(tmp_path: Path) -> None:
    book = write_book(
        tmp_path, "services:\n  - {name: mark, command: 'touch check-ran', interval: 100ms}\n"
    )
    engine, evidence = open_session(tmp_path, book)
    with evidence:
        evidence.start()
        assert evidence.allow() is None
        assert wait_until(lambda: (tmp_path / "check-ran").exists())
    engine.end("completed")
    allowed = of_type(engine, "commands_allowed")
    assert [(e["by"], e["sha256"]) for e in allowed] == [("operator", evidence.sha256)]
    home = tmp_path / "home"
    assert trust.is_trusted(home, evidence.sha256)
    assert (
        evidence.sha256
        == json.loads(
            (home / "sessions" / engine.session_id / "journal.jsonl").read_text().splitlines()[0]
        )["runbook"]["sha256"]
    )

    (tmp_path / "check-ran").unlink()
    engine, evidence = open_session(tmp_path, book)
    assert evidence.trusted and not evidence.needs_consent
    with evidence:
        evidence.start()
        assert wait_until(lambda: (tmp_path / "check-ran").exists())
    engine.end("completed")
    (again,) = of_type(engine, "commands_allowed")
    assert again["by"] == "trust" and again["trusted_at"].endswith("Z")


def test_a_trust_entry_written_before_when_was_named_when_still_allows(tmp_path: Path) -> None:
    """trust.json entries once had `at` for the issue's `when`: such a file still
    allows the runbook, and the journal says when."""
    book = write_book(tmp_path, "services:\n  - {name: mark, command: 'true'}\n")
    home = tmp_path / "home"
    home.mkdir()
    old = {"at": "2026-11-01T08:00:00.000Z", "operator": "alice", "path": "/b.md"}
    sha = provenance.file_sha256(book.path)
    (home / "trust.json").write_text(json.dumps({"format": 1, "runbooks": {sha: old}}))
    engine, evidence = open_session(tmp_path, book)
    assert evidence.trusted
    with evidence:
        evidence.start()
    engine.end("completed")
    (allowed,) = of_type(engine, "commands_allowed")
    assert (allowed["by"], allowed["trusted_at"], allowed["trusted_by"]) == (
        "trust",
        "2026-11-01T08:00:00.000Z",
        "alice",
    )


def test_a_changed_runbook_is_asked_about_again(tmp_path: Path) -> None:
    book = write_book(tmp_path, "services:\n  - {name: mark, command: 'true'}\n")
    engine, evidence = open_session(tmp_path, book)
    evidence.allow()
    evidence.close()
    engine.end("completed")
    book = write_book(tmp_path, "services:\n  - {name: mark, command: 'rm -rf ~'}\n")
    engine, evidence = open_session(tmp_path, book)
    assert evidence.needs_consent
    evidence.close()
    engine.end("completed")


def gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def test_closing_stops_the_command_logs_and_checks_with_their_groups(tmp_path: Path) -> None:
    book = write_book(
        tmp_path,
        "services:\n  - {name: hang, command: 'echo $$ > check.pid; sleep 600', timeout: 10m}\n"
        "logs:\n  - {name: follow, command: 'echo $$ > log.pid; sleep 600 & wait'}\n",
    )
    engine, evidence = open_session(tmp_path, book)
    evidence.allow(remember=False)
    evidence.start()
    pids: dict[str, int] = {}

    def started() -> bool:
        for name in ("check", "log"):
            text = (
                (tmp_path / f"{name}.pid").read_text()
                if (tmp_path / f"{name}.pid").exists()
                else ""
            )
            if text.strip():
                pids[name] = int(text)
        return len(pids) == 2

    assert wait_until(started)
    groups = {name: os.getpgid(pid) for name, pid in pids.items()}
    members = [p.pid for p in psutil.process_iter() if _pgid(p.pid) in groups.values()]
    evidence.close()
    engine.end("completed")
    assert wait_until(lambda: all(gone(pid) for pid in members))


def _pgid(pid: int) -> int | None:
    try:
        return os.getpgid(pid)
    except OSError:
        return None


def test_nothing_declared_records_nothing(tmp_path: Path) -> None:
    book = write_book(tmp_path, "", step("one", "true"))
    engine, evidence = open_session(tmp_path, book)
    with evidence:
        evidence.start()
        assert not evidence.declared and not evidence.commands
        assert engine.run_step("one").succeeded
    engine.end("completed")
    assert not of_type(engine, "evidence")


# -- Hub.fresh: the logs read now, for the end-of-step evidence ------------------------


class Counter:
    """A log-like source counting its polls; a poll may be held until released."""

    def __init__(self) -> None:
        self.name = "counted"
        self.polls = 0
        self.hold = threading.Event()
        self.hold.set()
        self.entered = threading.Event()

    def poll(self) -> ServiceReading:
        self.entered.set()
        self.hold.wait(60)
        self.polls += 1
        return ServiceReading(self.name, "up", str(self.polls), None, time.time())

    def close(self) -> None:
        self.hold.set()


def test_fresh_brings_the_next_poll_forward() -> None:
    source = Counter()
    hub = Hub()
    hub.add(source, kind="log", interval=3600)
    with hub:
        hub.start()
        assert wait_until(lambda: source.polls == 1)
        assert hub.fresh("log", wait=60)
        assert source.polls == 2


def test_fresh_waits_for_a_poll_that_began_after_it() -> None:
    source = Counter()
    source.hold.clear()
    hub = Hub()
    hub.add(source, kind="log", interval=3600)
    done = threading.Event()
    with hub:
        hub.start()
        assert source.entered.wait(30)  # the first poll is under way, held
        threading.Thread(target=lambda: (hub.fresh("log", wait=60), done.set())).start()
        source.hold.set()
        assert done.wait(60)
        assert source.polls == 2  # the held poll read before fresh was asked


def test_fresh_does_not_wait_for_what_is_not_polling() -> None:
    hub = Hub()
    hub.add(Counter(), kind="log", interval=1, command="tail -f x")  # no consent
    with hub:
        hub.start()
        assert hub.fresh("log", wait=60)


def test_ad_hoc_and_reference_runs_get_their_evidence_too(tmp_path: Path) -> None:
    (tmp_path / "app.log").write_text("")
    book = write_book(
        tmp_path,
        "logs:\n  - {name: app, path: app.log}\n",
        step("one", "true") + "Look at it:\n\n```\necho ERROR by hand >> app.log\n```\n",
    )
    assert book.references, "the plain block is a reference block"
    ref = book.references[0]
    engine, evidence = open_session(tmp_path, book)
    with evidence:
        evidence.start()
        assert engine.run_reference(ref.id, ref.text).succeeded
        assert engine.run_adhoc("echo ERROR again >> app.log; echo FATAL >> app.log").succeeded
    ends = {e["step_id"]: e["logs"] for e in of_type(engine, "evidence", at="step_end")}
    assert ends == {ref.id: {"app": 1}, "adhoc-1": {"app": 2}}
    assert len(of_type(engine, "evidence", at="step_start")) == 2
    engine.end("completed")


def test_a_backup_a_step_wrote_is_looked_at_when_the_step_ends(
    tmp_path: Path, monkeypatch: Any
) -> None:
    """The demo's complaint: the Backups panel did not show the backup just written. A
    step's end brings the sets' next look forward (here their interval is an hour, so
    only that can find it)."""
    import runbook_tui.sources.backups as backups

    monkeypatch.setattr(backups, "PATH_INTERVAL", 3600.0)
    (tmp_path / "dumps").mkdir()
    book = write_book(
        tmp_path,
        'backups:\n  - {name: nightly, path: "dumps/*.dump", max_age: 1d}\n',
        step("dump", "echo data > dumps/now.dump"),
    )
    engine, evidence = open_session(tmp_path, book)
    with evidence:
        evidence.start()
        assert wait_until(lambda: "nightly" in evidence.hub.latest().backups)
        assert evidence.hub.latest().backups["nightly"].state == "missing"
        assert engine.run_step("dump").succeeded
        assert wait_until(lambda: evidence.hub.latest().backups["nightly"].state == "ok")
        assert evidence.hub.latest().backups["nightly"].count == 1
    engine.end("completed")


def test_the_walks_workdir_is_where_the_sources_read_relative_paths(tmp_path: Path) -> None:
    """A walk started with `--workdir DIR`: its steps and its sources both see DIR."""
    work = tmp_path / "work"
    (work / "dumps").mkdir(parents=True)
    (work / "dumps" / "a.dump").write_bytes(b"x")
    book = write_book(
        tmp_path,
        'backups:\n  - {name: nightly, path: "dumps/*.dump", max_age: 1d}\n',
        step("one", "true"),
    )
    engine = Engine.start(book, home=tmp_path / "home", use_pty=False, workdir=work)
    with SessionEvidence.open(engine) as evidence:
        evidence.start()
        assert wait_until(lambda: "nightly" in evidence.hub.latest().backups)
        assert evidence.hub.latest().backups["nightly"].state == "ok"
    engine.end("completed")


def test_a_resumed_session_keeps_its_answer_and_asks_nothing_again(tmp_path: Path) -> None:
    """The answer is asked once per session: a resume of a session whose journal holds
    a No keeps the commands off and records no second answer; one that holds a Yes (of
    `--yes`, not remembered in trust.json) runs them without asking. A resume after the
    runbook changed asks again (the answer was about another file)."""
    front = "services:\n  - {name: mark, command: 'touch check-ran', interval: 100ms}\n"
    book = write_book(tmp_path, front, step("one", "true"))
    home = tmp_path / "home"
    for answer in ("refused", "allowed"):
        engine, evidence = open_session(tmp_path, book)
        with evidence:
            evidence.start()
            if answer == "refused":
                evidence.refuse()
            else:
                evidence.allow("--yes", remember=False)
        engine.close()  # the process went away with the session open: it is resumable
        assert not trust.is_trusted(home, evidence.sha256)
        (tmp_path / "check-ran").unlink(missing_ok=True)

        resumed = Engine.resume(home, engine.session_id, book, use_pty=False)
        again = SessionEvidence.open(resumed)
        assert again.answered_before is (answer == "allowed")
        assert not again.needs_consent
        with again:
            again.start()
            assert again.commands_allowed is (answer == "allowed")
            assert resumed.run_step("one").succeeded
            if answer == "allowed":
                assert wait_until(lambda: (tmp_path / "check-ran").exists())
        resumed.end("completed")
        consents = of_type(resumed, "commands_refused") + of_type(resumed, "commands_allowed")
        assert len(consents) == 1, consents
        assert (tmp_path / "check-ran").exists() is (answer == "allowed")

    # The runbook changed since the answer: the resumed session asks again.
    engine, evidence = open_session(tmp_path, book)
    with evidence:
        evidence.start()
        evidence.refuse()
    engine.close()
    changed = write_book(
        tmp_path, front + "logs:\n  - {name: t, command: 'true'}\n", step("one", "true")
    )
    resumed = Engine.resume(home, engine.session_id, changed, use_pty=False, allow_changed=True)
    again = SessionEvidence.open(resumed)
    assert again.answered_before is None and again.needs_consent
    resumed.close()
