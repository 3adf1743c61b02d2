"""Statuses that say what happened, and hints that work as printed: the headless walk
as a user drives it, through the real command, shell and journal."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

from pty_session import PtySession

ROLLBACK_BOOK = """\
---
title: Deploy with a way back
variables:
  RELEASE: {required: true}
  TOKEN: {required: true, secret: true}
  REGION: {required: true}
---

# Deploy with a way back

```sh {name=deploy}
echo "deploying $RELEASE with ${#TOKEN}-char token"; exit 3
```

## Rollback

Undo the deploy in $REGION.

```sh {name=restore}
echo "restoring $REGION" >> undone
```
"""


def cli(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "runbook_tui", *args],
        cwd=cwd,
        env={**os.environ, **(env or {})},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )


def sessions(tmp_path: Path, home: Path) -> list[dict]:
    out = cli("sessions", "--json", "--home", str(home), cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def test_a_failed_walk_then_its_rollback_to_the_end_is_rolled_back(tmp_path: Path) -> None:
    (tmp_path / "d.md").write_text(ROLLBACK_BOOK)
    home = tmp_path / "state"
    values = ["--var", "RELEASE=7", "--var", "TOKEN=s3cret-token", "--var", "REGION=eu"]
    run = cli("run", "d.md", "--yes", "--home", str(home), *values, cwd=tmp_path)
    assert run.returncode == 1, run.stdout + run.stderr
    [failed] = sessions(tmp_path, home)
    assert failed["status"] == "failed"
    # The hint names --home (not the default state home) and this very program.
    hint = next(line for line in run.stdout.splitlines() if "--rollback" in line)
    command = hint[hint.index(shlex.quote(sys.executable)) :]
    assert f"--home {home}" in command
    # The rollback walk asks only for what its steps use: REGION is recorded, and
    # neither RELEASE nor the secret TOKEN (never recorded) is needed.
    done = subprocess.run(
        [*shlex.split(command), "--yes"], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "rolled_back" in done.stdout
    assert (tmp_path / "undone").read_text() == "restoring eu\n"
    [ended] = sessions(tmp_path, home)
    assert ended["status"] == "rolled_back"
    show = cli("sessions", "show", ended["id"], "--json", "--home", str(home), cwd=tmp_path)
    doc = json.loads(show.stdout)
    assert doc["status"] == "rolled_back" and doc["walk"] == "rollback"


def test_the_main_walk_resume_still_asks_for_every_required_secret(tmp_path: Path) -> None:
    (tmp_path / "d.md").write_text(ROLLBACK_BOOK)
    home = tmp_path / "state"
    values = ["--var", "RELEASE=7", "--var", "TOKEN=s3cret-token", "--var", "REGION=eu"]
    cli("run", "d.md", "--yes", "--home", str(home), *values, cwd=tmp_path)
    [failed] = sessions(tmp_path, home)
    again = cli("resume", failed["id"], "--yes", "--home", str(home), cwd=tmp_path)
    assert again.returncode == 2 and "TOKEN is required" in again.stderr


def test_quitting_at_a_prompt_pauses_the_session_and_the_hint_resumes_it(tmp_path: Path) -> None:
    """A real pseudo-terminal: the operator runs one step, then answers q."""
    path = tmp_path / "ask.md"
    path.write_text(
        "# Ask\n\n```sh {name=one}\necho one >> marks\n```\n\n"
        "```sh {name=two}\necho two >> marks\n```\n"
    )
    home = tmp_path / "state"
    term = PtySession(["run", str(path), "--home", str(home)], cwd=tmp_path)
    term.wait_for(b"run it?")
    term.answer(b"y")
    term.wait_for(b"[2/2]")
    term.wait_for(b"run it?")
    term.answer(b"q")
    assert term.wait() == 130
    term.wait_for(b"resume with: ")
    term.close()
    hint = term.seen.decode().split("resume with: ", 1)[1].splitlines()[0].strip()
    [paused] = sessions(tmp_path, home)
    assert paused["status"] == "paused"
    assert paused["end_reason"] == "stopped by the operator"
    assert hint.endswith(f"resume {paused['id']} --home {home}")
    done = subprocess.run(
        [*shlex.split(hint), "--yes"], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert (tmp_path / "marks").read_text() == "one\ntwo\n"
    assert sessions(tmp_path, home)[0]["status"] == "completed"
