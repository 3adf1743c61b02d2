"""Secrets never reach disk or the screen by the ways around output masking (issue 9):
paths, reasons, the tool's log, titles. Real `runbook-tui` processes, real journals: every
file under the state home and everything printed is read back and searched."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

SECRET = "Zq7HunterXv9Lm"
MASK = "********"

PATHS_RUNBOOK = """\
---
title: Tenant move
variables:
  TENANT_KEY:
    secret: true
    from_env: TEST_TENANT_KEY
---

# Tenant move

## Go there

```sh {"name":"go"}
mkdir -p "$BASE/t-$TENANT_KEY" && cd "$BASE/t-$TENANT_KEY"
```

## In a folder that is not there

```sh {"name":"sub","cwd":"missing"}
echo never
```
"""


def cli(
    *args: str, tmp_path: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess:
    full_env = {
        **os.environ,
        "RUNBOOK_TUI_HOME": str(tmp_path / "home"),
        "TEST_TENANT_KEY": SECRET,
        "BASE": str(tmp_path / "base"),
        **(env or {}),
    }
    return subprocess.run(
        [sys.executable, "-m", "runbook_tui", *args],
        cwd=tmp_path, env=full_env, stdin=subprocess.DEVNULL,
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip


def files_holding(root: Path, secret: str = SECRET) -> list[str]:
    """Every file under `root` (journals, the tool's log, locks) that holds `secret`."""
    return [
        f"{path}: {line}"
        for path in sorted(root.rglob("*"))
        if path.is_file()
        for line in path.read_text(errors="replace").splitlines()
        if secret in line
    ]


def journal_events(tmp_path: Path) -> list[dict]:
    [journal] = (tmp_path / "home" / "sessions").glob("*/journal.jsonl")
    return [json.loads(line) for line in journal.read_text().splitlines()]


def test_a_path_holding_a_secret_is_masked_in_journal_log_listing_and_verdict(
    tmp_path: Path,
) -> None:
    book = tmp_path / "paths.md"
    book.write_text(PATHS_RUNBOOK)
    res = cli("run", str(book), "--yes", tmp_path=tmp_path)
    assert res.returncode == 1, res.stderr  # "sub" cannot start in a missing folder
    listing = cli("sessions", "--json", tmp_path=tmp_path)
    [session] = json.loads(listing.stdout)
    show = cli("sessions", "show", session["id"], tmp_path=tmp_path)
    show_json = cli("sessions", "show", session["id"], "--json", tmp_path=tmp_path)
    printed = res.stdout + res.stderr + listing.stdout + show.stdout + show_json.stdout
    assert SECRET not in printed
    assert files_holding(tmp_path / "home") == []
    # ... and each place did get the path, masked: the test looks where it should.
    events = {(e["type"], e.get("step_id")): e for e in journal_events(tmp_path)}
    assert events["step_finished", "go"]["cwd_after"].endswith(f"/t-{MASK}")
    assert events["step_started", "sub"]["cwd"].endswith(f"/t-{MASK}/missing")
    assert f"t-{MASK}/missing" in events["step_finished", "sub"]["reason"]
    assert f"t-{MASK}/missing" in events["session_ended", None]["reason"]
    assert f"t-{MASK}/missing" in session["end_reason"]
    assert "✗ failed: could not start: [Errno 2] No such file or directory: '" in res.stdout
    assert f"t-{MASK}/missing'" in res.stdout
    log = (tmp_path / "home" / "runbook-tui.log").read_text()
    assert "Traceback" in log and f"t-{MASK}/missing" in log


RESUME_RUNBOOK = """\
---
title: Resume in a secret folder
variables:
  TENANT_KEY:
    secret: true
    from_env: TEST_TENANT_KEY
---

# Resume in a secret folder

```sh {"name":"plain"}
mkdir -p "$BASE/plain" && cd "$BASE/plain"
```

```sh {"name":"secret-dir"}
mkdir -p "$BASE/t-$TENANT_KEY" && cd "$BASE/t-$TENANT_KEY"
```

```sh {"name":"where"}
pwd > "$BASE/where"
test -e "$BASE/go-on"
```
"""


def test_resume_cannot_restore_a_masked_folder_says_so_and_starts_in_the_last_it_can(
    tmp_path: Path,
) -> None:
    book = tmp_path / "resume.md"
    book.write_text(RESUME_RUNBOOK)
    first = cli("run", str(book), "--yes", tmp_path=tmp_path)
    assert first.returncode == 1, first.stderr
    assert (tmp_path / "base" / "where").read_text().strip().endswith(f"/t-{SECRET}")
    [session] = json.loads(cli("sessions", "--json", tmp_path=tmp_path).stdout)
    (tmp_path / "base" / "go-on").write_text("")
    again = cli("resume", session["id"], "--yes", tmp_path=tmp_path)
    assert again.returncode == 0, again.stdout + again.stderr
    assert (tmp_path / "base" / "where").read_text().strip() == str(tmp_path / "base" / "plain")
    assert (
        "warning: the working directory after step where holds a secret value, so the "
        "journal has it masked and it cannot be restored; starting in "
        f"{tmp_path / 'base' / 'plain'}"
    ) in again.stderr
    assert SECRET not in first.stdout + first.stderr + again.stdout + again.stderr
    assert files_holding(tmp_path / "home") == []


TITLES_RUNBOOK = f"""\
---
title: Rotate {SECRET}
variables:
  TENANT_KEY:
    secret: true
    from_env: TEST_TENANT_KEY
---

# Rotate {SECRET}

## For tenant {SECRET}

```sh {{"name":"rotate {SECRET}"}}
echo rotating
```

```sh {{"name":"by hand","interactive":true}}
test "$TENANT_KEY" = "{SECRET}" && echo interactive-ran
```
"""


def test_titles_headings_and_an_interactive_steps_header_are_masked(tmp_path: Path) -> None:
    """The runbook's own text holds the value: the first event, the headless header and
    the listing must not. The interactive step's own output reaches the terminal as it
    is (not captured, docs/security.md); what runbook-tui prints around it is masked."""
    book = tmp_path / "titles.md"
    book.write_text(TITLES_RUNBOOK)
    res = cli("run", str(book), "--yes", tmp_path=tmp_path)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "interactive-ran" in res.stdout
    listing = cli("sessions", tmp_path=tmp_path)
    listing_json = cli("sessions", "--json", tmp_path=tmp_path)
    [session] = json.loads(listing_json.stdout)
    # `show` reads the runbook file too (for steps not reached): a step the journal
    # names is shown by the journal's, masked, name.
    show = cli("sessions", "show", session["id"], tmp_path=tmp_path)
    show_json = cli("sessions", "show", session["id"], "--json", tmp_path=tmp_path)
    printed = listing.stdout + listing_json.stdout + show.stdout + show_json.stdout
    assert SECRET not in res.stdout + res.stderr + printed
    assert f"rotate {MASK}" in show_json.stdout
    assert files_holding(tmp_path / "home") == []
    first = journal_events(tmp_path)[0]
    assert first["runbook"]["title"] == f"Rotate {MASK}"
    assert f"session {first['session_id']} started: Rotate {MASK}" in res.stdout
    assert f"Rotate {MASK} › For tenant {MASK} › rotate {MASK}" in res.stdout
    assert f'$ test "$TENANT_KEY" = "{MASK}" && echo interactive-ran' in res.stdout
