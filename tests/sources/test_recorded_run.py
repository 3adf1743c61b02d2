"""The headless walk records its evidence: `run` as an operator or a script calls it,
a real process against real servers and files; consent asked on a real pty. Waits are
on the journal's contents and on what the walk printed, never on time."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

from runbook_tui.session.journal import read_journal

from .conftest import Web, wait_until

# The pty helper of the command-line tests (a plain module there, not a package).
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "cli"))
from pty_session import PtySession

SECRET = "tok-5ecret-value-71"


def write_book(tmp_path: Path, front: str, steps: list[tuple[str, str]]) -> Path:
    path = tmp_path / "book.md"
    body = "".join(f'```sh {{"name":"{name}"}}\n{command}\n```\n\n' for name, command in steps)
    path.write_text(
        "---\ntitle: Recorded\nvariables:\n"
        "  TOKEN: {secret: true, from_env: TEST_TOKEN}\n"
        f"{front}---\n# Recorded\n\n{body}"
    )
    return path


def wait_for_file(name: str) -> str:
    """A step that waits until the test lets it end (a file appears)."""
    return f"while [ ! -e {name} ]; do sleep 0.02; done"


def home_of(tmp_path: Path) -> Path:
    return tmp_path / "home"


def events(tmp_path: Path) -> list[dict[str, Any]]:
    # The newest session by when it started: ids of two sessions started in the same
    # second sort by their random suffix.
    journals = [read_journal(j) for j in (home_of(tmp_path) / "sessions").glob("*/journal.jsonl")]
    if not journals:
        return []
    newest = max(journals, key=lambda j: j.events[0]["started_at"])
    return [e for e in newest.events if e["type"] != "output"]


def of_type(tmp_path: Path, kind: str, **match: Any) -> list[dict[str, Any]]:
    return [
        e
        for e in events(tmp_path)
        if e["type"] == kind and all(e.get(k) == v for k, v in match.items())
    ]


def run_args(tmp_path: Path, *extra: str) -> list[str]:
    return ["run", str(tmp_path / "book.md"), "--home", str(home_of(tmp_path)), *extra]


def start_run(tmp_path: Path, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "runbook_tui", *run_args(tmp_path, *extra)],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "TEST_TOKEN": SECRET},
    )


def test_a_service_that_goes_down_between_steps_is_in_the_journal(
    tmp_path: Path, web: Web, listener: int
) -> None:
    write_book(
        tmp_path,
        "services:\n"
        f'  - {{name: api, http: "http://127.0.0.1:{web.port}/health", interval: 100ms}}\n'
        f'  - {{name: db, tcp: "127.0.0.1:{listener}", interval: 100ms}}\n',
        [("one", wait_for_file("go1")), ("two", wait_for_file("go2"))],
    )
    proc = start_run(tmp_path, "--yes")
    try:
        assert wait_until(lambda: len(of_type(tmp_path, "service_changed", to="up")) == 2)
        (tmp_path / "go1").touch()
        assert wait_until(lambda: of_type(tmp_path, "evidence", step_id="two", at="step_start"))
        web.stop()
        assert wait_until(lambda: of_type(tmp_path, "service_changed", name="api", to="down"))
        (tmp_path / "go2").touch()
        out, err = proc.communicate(timeout=120)
    finally:
        proc.kill()
    assert proc.returncode == 0, out + err
    recorded = events(tmp_path)
    where = {
        (e["type"], e.get("step_id") or e.get("name"), e.get("to") or e.get("at")): i
        for i, e in enumerate(recorded)
    }
    one_end = where[("evidence", "one", "step_end")]
    two_start = where[("evidence", "two", "step_start")]
    down = where[("service_changed", "api", "down")]
    two_end = where[("evidence", "two", "step_end")]
    assert one_end < two_start < down < two_end
    assert recorded[one_end]["services"] == {"api": "up", "db": "up"}
    assert recorded[two_start]["services"] == {"api": "up", "db": "up"}
    assert recorded[two_end]["services"] == {"api": "down", "db": "up"}
    assert recorded[down]["from"] == "up"
    assert recorded[-1]["type"] == "session_ended"

    session = recorded[0]["session_id"]
    show = subprocess.run(
        [
            sys.executable,
            "-m",
            "runbook_tui",
            "sessions",
            "show",
            session,
            "--home",
            str(home_of(tmp_path)),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    lines = show.stdout.splitlines()
    changes = lines[lines.index("service changes:") + 1 :]
    went = [line.split("  ")[2].split(" (")[0] for line in changes]
    # In time order: the two first readings (in either order), then the fall.
    assert sorted(went[:2]) == ["api: unknown → up", "db: unknown → up"]
    assert went[2:] == ["api: up → down"]
    stamps = [line.split("  ")[1] for line in changes]
    assert stamps == sorted(stamps)
    as_json = subprocess.run(
        [
            sys.executable,
            "-m",
            "runbook_tui",
            "sessions",
            "show",
            session,
            "--home",
            str(home_of(tmp_path)),
            "--json",
            "--no-output",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    doc = json.loads(as_json.stdout)
    assert [(c["name"], c["to"]) for c in doc["service_changes"]][-1] == ("api", "down")
    two = next(s for s in doc["steps"] if s["id"] == "two")
    assert two["evidence"]["step_end"]["services"]["api"] == "down"


def test_run_yes_runs_command_checks_records_the_consent_and_masks_their_output(
    tmp_path: Path,
) -> None:
    (tmp_path / "app.log").write_text("")
    write_book(
        tmp_path,
        "services:\n"
        "  - {name: token, command: 'touch check-ran; echo \"token is $TOKEN\"', interval: 100ms}\n"
        "logs:\n  - {name: app, path: app.log}\n",
        [
            ("wait", wait_for_file("check-ran")),
            ("noisy", "echo ERROR boom >> app.log; echo 'CRITICAL: disk' >> app.log"),
        ],
    )
    proc = start_run(tmp_path, "--yes")
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, out + err
    assert "the runbook's checks and logs run these commands (--yes):" in out
    assert '  service token: touch check-ran; echo "token is $TOKEN"' in out
    (allowed,) = of_type(tmp_path, "commands_allowed")
    assert allowed["by"] == "--yes"
    assert allowed["commands"] == [
        {"kind": "service", "name": "token", "command": 'touch check-ran; echo "token is $TOKEN"'}
    ]
    assert len(allowed["sha256"]) == 64
    # --yes is consent for this run, not remembered for the next one.
    assert not (home_of(tmp_path) / "trust.json").exists()
    (end,) = of_type(tmp_path, "evidence", step_id="noisy", at="step_end")
    assert end["logs"] == {"app": 2}
    journal = next((home_of(tmp_path) / "sessions").glob("*/journal.jsonl"))
    assert SECRET.encode() not in journal.read_bytes()
    changed = of_type(tmp_path, "service_changed", name="token")
    assert [c["detail"] for c in changed] in ([], ["exit 0: token is ********"])


def pty_run(tmp_path: Path) -> PtySession:
    return PtySession(run_args(tmp_path), cwd=tmp_path, env={"TEST_TOKEN": SECRET})


def consent_book(tmp_path: Path, port: int) -> None:
    write_book(
        tmp_path,
        "services:\n"
        f'  - {{name: api, http: "http://127.0.0.1:{port}/health", interval: 100ms}}\n'
        "  - {name: mark, command: 'touch check-ran', interval: 100ms}\n"
        "logs:\n  - {name: follow, command: 'touch log-ran; tail -f /dev/null'}\n",
        [("one", "echo one")],
    )


QUESTION = b"run them? [y]es / [n]o: "


def test_a_no_on_the_terminal_keeps_the_commands_off_and_the_rest_on(
    tmp_path: Path, web: Web
) -> None:
    consent_book(tmp_path, web.port)
    session = pty_run(tmp_path)
    try:
        session.wait_for(QUESTION)
        assert b"  service mark: touch check-ran" in session.seen
        assert b"  log follow: touch log-ran; tail -f /dev/null" in session.seen
        # The http check needs no consent: it runs while the question waits.
        assert wait_until(lambda: of_type(tmp_path, "service_changed", name="api", to="up"))
        session.answer(b"n")
        session.wait_for(b"not run; the other checks go on")
        session.wait_for(b"run it? [Y]es")
        session.answer(b"y")
        assert session.wait() == 0
    finally:
        session.close()
    (refused,) = of_type(tmp_path, "commands_refused")
    assert refused["by"] == "operator"
    assert not of_type(tmp_path, "commands_allowed")
    assert not of_type(tmp_path, "service_changed", name="mark")
    (end,) = of_type(tmp_path, "evidence", step_id="one", at="step_end")
    assert end["services"] == {"api": "up", "mark": "unknown"}
    assert "follow" not in end["logs"]
    assert not (tmp_path / "check-ran").exists() and not (tmp_path / "log-ran").exists()
    assert not (home_of(tmp_path) / "trust.json").exists()


def test_a_yes_is_remembered_and_the_next_run_does_not_ask(tmp_path: Path, web: Web) -> None:
    consent_book(tmp_path, web.port)
    session = pty_run(tmp_path)
    try:
        session.wait_for(QUESTION)
        session.answer(b"y")
        session.wait_for(b"allowed; not asked again")
        assert wait_until(lambda: (tmp_path / "check-ran").exists())
        assert wait_until(lambda: (tmp_path / "log-ran").exists())
        session.wait_for(b"run it? [Y]es")
        session.answer(b"y")
        assert session.wait() == 0
    finally:
        session.close()
    trust_file = home_of(tmp_path) / "trust.json"
    assert stat.S_IMODE(trust_file.stat().st_mode) == 0o600
    (first,) = of_type(tmp_path, "commands_allowed")
    assert first["by"] == "operator"
    assert list(json.loads(trust_file.read_text())["runbooks"]) == [first["sha256"]]

    (tmp_path / "check-ran").unlink()
    session = pty_run(tmp_path)
    try:
        session.wait_for(b"run it? [Y]es")
        assert QUESTION not in session.seen
        assert b"allowed before, trust.json" in session.seen
        assert wait_until(lambda: (tmp_path / "check-ran").exists())
        session.answer(b"y")
        assert session.wait() == 0
    finally:
        session.close()
    (second,) = of_type(tmp_path, "commands_allowed")
    assert second["by"] == "trust" and second["sha256"] == first["sha256"]


def test_a_damaged_trust_file_asks_again_and_says_so(tmp_path: Path, web: Web) -> None:
    consent_book(tmp_path, web.port)
    home_of(tmp_path).mkdir(mode=0o700)
    (home_of(tmp_path) / "trust.json").write_text('{"runbooks": {"')
    session = pty_run(tmp_path)
    try:
        session.wait_for(QUESTION)
        assert b"trust.json is damaged" in session.seen
        session.answer(b"y")
        session.wait_for(b"run it? [Y]es")
        session.answer(b"y")
        assert session.wait() == 0
    finally:
        session.close()
    assert "trust.json is damaged" in (home_of(tmp_path) / "runbook-tui.log").read_text()
    assert of_type(tmp_path, "commands_allowed")[0]["by"] == "operator"
    doc = json.loads((home_of(tmp_path) / "trust.json").read_text())
    assert len(doc["runbooks"]) == 1
    assert (home_of(tmp_path) / "trust.json.damaged").read_text() == '{"runbooks": {"'


def test_a_resumed_run_keeps_the_no_its_session_recorded(tmp_path: Path, web: Web) -> None:
    """Asked once per session: `resume` of a session that refused the commands does
    not ask again, keeps them off and records no second answer."""
    consent_book(tmp_path, web.port)
    session = pty_run(tmp_path)
    try:
        session.wait_for(QUESTION)
        session.answer(b"n")
        session.wait_for(b"run it? [Y]es")
        session.answer(b"q")  # paused with the step still to do
        assert session.wait() == 130
    finally:
        session.close()
    (started,) = of_type(tmp_path, "session_started")
    resume = ["resume", started["session_id"], "--home", str(home_of(tmp_path))]
    session = PtySession(resume, cwd=tmp_path, env={"TEST_TOKEN": SECRET})
    try:
        session.wait_for(b"run it? [Y]es")
        assert QUESTION not in session.seen
        assert b"were refused (not run) earlier in this session" in session.seen
        session.answer(b"y")
        assert session.wait() == 0
    finally:
        session.close()
    assert len(of_type(tmp_path, "commands_refused")) == 1
    assert not of_type(tmp_path, "commands_allowed")
    assert of_type(tmp_path, "step_finished", step_id="one")
    assert not (tmp_path / "check-ran").exists() and not (tmp_path / "log-ran").exists()
