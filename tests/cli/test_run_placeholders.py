"""Headless `run` on runbooks written for people: placeholders stop a step before it
runs (exit 2, session failed) unless `--fill` gives a value; reference blocks are shown
only; a runbook with no steps exits 2 and says why. Real processes, real journals."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

FIXTURES = Path(__file__).parents[1] / "runbook" / "fixtures"

RUNBOOK = """\
# Restart a stuck worker

Find the worker first:

```
kubectl get pods -n jobs
```

```sh
echo checked >> marks
```

- Then, if it is still stuck, delete it:

    ```console
    $ echo "deleting <pod-name> in $REGION" >> marks
    ```
"""


def cli(*args: str, cwd: Path, home: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "REGION"}
    return subprocess.run(
        [sys.executable, "-m", "runbook_tui", *args, "--home", str(home)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=120,
        check=False,
    )


def sessions(home: Path) -> list[dict]:
    done = subprocess.run(
        [sys.executable, "-m", "runbook_tui", "sessions", "--json", "--home", str(home)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout)


def journal(home: Path, session_id: str) -> list[dict]:
    path = home / "sessions" / session_id / "journal.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_an_unfilled_placeholder_stops_the_step_before_it_runs(tmp_path: Path) -> None:
    (tmp_path / "w.md").write_text(RUNBOOK)
    home = tmp_path / "home"
    res = cli("run", "w.md", "--yes", cwd=tmp_path, home=home)
    assert res.returncode == 2, res.stdout + res.stderr
    assert (tmp_path / "marks").read_text() == "checked\n"  # the step before it ran
    assert "<pod-name>" in res.stdout and "line 15" in res.stdout and "--fill" in res.stdout
    (session,) = sessions(home)
    assert session["status"] == "failed"
    events = journal(home, session["id"])
    end = events[-1]
    assert end["type"] == "session_ended" and end["status"] == "failed"
    assert "line 15" in end["reason"] and "<pod-name>" in end["reason"]
    assert "$REGION" in end["reason"]
    started = [e for e in events if e["type"] == "step_started"]
    assert len(started) == 1  # the placeholder step never started


def test_fill_gives_values_as_written_and_they_reach_the_command_as_env(tmp_path: Path) -> None:
    (tmp_path / "w.md").write_text(RUNBOOK)
    home = tmp_path / "home"
    evil = "web-1$(touch pwned)"
    res = cli(
        "run", "w.md", "--yes", "--fill", f"pod-name={evil}", "--fill", "REGION=eu-1",
        cwd=tmp_path, home=home,
    )  # fmt: skip
    assert res.returncode == 0, res.stdout + res.stderr
    assert (tmp_path / "marks").read_text() == f"checked\ndeleting {evil} in eu-1\n"
    assert not (tmp_path / "pwned").exists()
    # The final command is shown before it runs: the value is not in it.
    assert '  $ echo "deleting ${RBT_FILL_POD_NAME} in $REGION" >> marks' in res.stdout
    (session,) = sessions(home)
    assert session["status"] == "completed"
    start = [e for e in journal(home, session["id"]) if e["type"] == "step_started"][-1]
    assert start["fills"] == {"pod-name": evil, "REGION": "eu-1"}
    assert start["template"] == 'echo "deleting <pod-name> in $REGION" >> marks'
    assert start["command"] == 'echo "deleting ${RBT_FILL_POD_NAME} in $REGION" >> marks'


def test_resume_takes_fill_too(tmp_path: Path) -> None:
    (tmp_path / "w.md").write_text(RUNBOOK)
    home = tmp_path / "home"
    assert cli("run", "w.md", "--yes", cwd=tmp_path, home=home).returncode == 2
    (session,) = sessions(home)
    res = cli(
        "resume", session["id"], "--yes", "--fill", "pod-name=web-2", "--fill", "REGION=us",
        cwd=tmp_path, home=home,
    )  # fmt: skip
    assert res.returncode == 0, res.stdout + res.stderr
    assert (tmp_path / "marks").read_text() == "checked\ndeleting web-2 in us\n"


def test_reference_blocks_are_listed_as_shown_only_never_run(tmp_path: Path) -> None:
    (tmp_path / "w.md").write_text(RUNBOOK)
    res = cli(
        "run", "w.md", "--yes", "--fill", "pod-name=a", "--fill", "REGION=b",
        cwd=tmp_path, home=tmp_path / "home",
    )  # fmt: skip
    lines = res.stdout.splitlines()
    shown = [ln for ln in lines if "shown only" in ln]
    assert shown == ["· line 5: shown only (not tagged sh/bash): kubectl get pods -n jobs"]
    # In place: before the first step.
    assert lines.index(shown[0]) < next(i for i, ln in enumerate(lines) if "[1/2]" in ln)


def test_a_runbook_with_no_steps_exits_2_and_says_what_its_blocks_are(tmp_path: Path) -> None:
    home = tmp_path / "home"
    res = cli("run", str(FIXTURES / "alert-only.md"), "--yes", cwd=tmp_path, home=home)
    assert res.returncode == 2
    assert "3 code block(s) are shown only" in res.stderr
    assert "1 not tagged sh/bash" in res.stderr
    assert "1 console without $ prompts" in res.stderr
    assert "1 tagged json" in res.stderr
    assert not (home / "sessions").exists() or not any((home / "sessions").iterdir())


def test_a_rollback_title_runbook_runs_its_steps_as_the_main_walk(tmp_path: Path) -> None:
    res = cli(
        "run", str(FIXTURES / "rollback-release.md"), "--yes", cwd=tmp_path, home=tmp_path / "h"
    )  # fmt: skip
    assert res.returncode == 0, res.stdout + res.stderr
    assert "pinning the previous release" in res.stdout
    assert "checking health" in res.stdout
    assert "re-deploying" not in res.stdout  # its own rollback section is not the main walk
