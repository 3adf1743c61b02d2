"""What the session's sources record (sources/recorder.py), in a transcript: a real
`run --yes` with a TCP service on 127.0.0.1, a command check and a file log; the
transcript tells the consent to the commands, the services coming up and the evidence
at each step's start and end. Waits are on the journal's contents, never on time."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

from .conftest import check_json, check_markdown, export


def recorded(journal: Path, kind: str) -> list[dict]:
    out = []
    for line in journal.read_text().splitlines():
        try:
            event = json.loads(line)
        except ValueError:
            continue  # the line being written
        if event.get("type") == kind:
            out.append(event)
    return out


def test_consent_service_changes_and_evidence_are_in_the_timeline(tmp_path: Path) -> None:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    port = sock.getsockname()[1]
    (tmp_path / "app.log").write_text("")
    (tmp_path / "book.md").write_text(
        "---\ntitle: Recorded\nservices:\n"
        f'  - {{name: db, tcp: "127.0.0.1:{port}", interval: 100ms}}\n'
        '  - {name: probe, command: "true", interval: 100ms}\n'
        "logs:\n  - {name: app, path: app.log}\n---\n# Recorded\n\n"
        '```sh {"name":"one"}\necho "ERROR boom" >> app.log\n'
        "while [ ! -e go ]; do sleep 0.02; done\n```\n"
    )
    home = tmp_path / "home"
    proc = subprocess.Popen(
        [sys.executable, "-m", "runbook_tui", "run", "book.md", "--yes", "--home", str(home)],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env=dict(os.environ),
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60  # a guard against a hang, not a wait
        journal = None
        while True:
            journals = list((home / "sessions").glob("*/journal.jsonl")) if home.exists() else []
            if journals:
                journal = journals[0]
                ups = {e["name"] for e in recorded(journal, "service_changed") if e["to"] == "up"}
                if ups == {"db", "probe"}:
                    break
            assert time.monotonic() < deadline, "the services never came up"
            time.sleep(0.02)
        (tmp_path / "go").touch()
        out, err = proc.communicate(timeout=120)
    finally:
        proc.kill()
        sock.close()
    assert proc.returncode == 0, out + err
    sid = journal.parent.name

    text = export(home, sid, "markdown", tmp_path)
    check_markdown(text)
    timeline = text.split("## Timeline")[1].split("## Steps")[0]
    assert (
        "Allowed the commands the runbook's checks and logs run (service probe: `true`)" in timeline
    )
    assert "(--yes) | allowed |" in timeline
    assert "Service db: unknown → up" in timeline and "Service probe: unknown → up" in timeline
    assert (
        "Evidence at the end of step 1 “one”: services db up, probe up; logs app 1 error line"
        in timeline
    )
    doc = check_json(export(home, sid, "json", tmp_path))
    kinds = [e["type"] for e in doc["timeline"]]
    assert "commands_allowed" in kinds and kinds.count("evidence") == 2
