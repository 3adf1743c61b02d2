"""Issue 11 benchmark: drill history over a store of 1,000 sessions.

A state home is generated directly, in the documented journal format (as the engine
writes it, with a lock file per session): 1,000 sessions of five runbooks, half of them
drills, each with three steps whose output is a few KiB, most ended (drills with their
verdict in `session_ended`), some paused, resumed or interrupted. Measured as whole
processes, in pairs against `sessions --json` over the same store (bench/pairs.py):

- `drills --json`, and `drills FILE --json` (one runbook's history);
- the picker's data: `picker_rows` over the five runbooks and the store's listing, in a
  process that imports what the picker does to make its rows (no Textual: the screen's
  drawing does not depend on the store).

Target: each at most 1.5x `sessions --json`.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from pairs import paired

ENTRY = str(Path(sys.executable).with_name("runbook-tui"))
TARGET = 1.5
SESSIONS = 1000
RUNBOOKS = 5
SEED = 20261126
PICKER = (
    "import sys; from pathlib import Path; "
    "from runbook_tui.session.store import list_sessions; "
    "from runbook_tui.tui.picker_rows import picker_rows; "
    "rows = picker_rows(Path(sys.argv[1]), list_sessions(sys.argv[2])); "
    "assert len(rows) == 5; "
    "assert not [m for m in sys.modules if m.startswith('textual')]"
)
BOOK = """\
---
title: Restore set {n}
kind: restore
rto: 1h
restores: [set-{n}]
backups:
  - {{name: set-{n}, path: "/nonexistent/set-{n}-*.tgz"}}
---

# Restore set {n}

```sh {{"name":"stop"}}
echo stopping
```

```sh {{"name":"restore"}}
echo restoring
```

```sh {{"name":"verify"}}
echo verified
```
"""


def _ts(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


def _line(seq: int, when: datetime, type_: str, **fields: object) -> str:
    event = {"seq": seq, "ts": _ts(when), "type": type_, **fields}
    return json.dumps(event, ensure_ascii=False, separators=(",", ":")) + "\n"


def make_store(home: Path, books: list[Path], rng: random.Random) -> None:
    sessions = home / "sessions"
    sessions.mkdir(parents=True, mode=0o700)
    base = datetime(2026, 1, 1, tzinfo=UTC)
    output = "".join(f"\x1b[32mok\x1b[0m line {i:05d} of the restore\n" for i in range(60))
    for n in range(SESSIONS):
        book = books[n % len(books)]
        when = base + timedelta(minutes=37 * n, seconds=rng.randint(0, 59))
        sid = when.strftime("%Y%m%dT%H%M%SZ") + f"-{n:04x}"
        drill = n % 2 == 0
        sdir = sessions / sid
        sdir.mkdir(mode=0o700)
        (sdir / "lock").write_text('{"pid": 1, "host": "bench"}\n')
        started = {
            "format_version": 1,
            "session_id": sid,
            "runbook": {
                "path": str(book.resolve()),
                "sha256": "0" * 64,
                "git_commit": None,
                "git_dirty": None,
                "title": f"Restore set {n % len(books)}",
                "kind": "restore",
                "restores": [f"set-{n % len(books)}"],
            },
            "tool_version": "bench",
            "operator": "bench",
            "host": "bench",
            "pid": 1,
            "variables": {"TARGET": "orders_drill"},
            "drill": drill,
            "walk": "main",
            "started_at": _ts(when),
        }
        lines = [_line(1, when, "session_started", **started)]
        seq = 2
        fate = rng.random()
        for step in ("stop", "restore", "verify"):
            if fate < 0.1 and step == "verify":
                break  # interrupted before its last step
            when += timedelta(seconds=1)
            lines.append(
                _line(seq, when, "step_started", step_id=step, attempt=1, name=step,
                      kind="shell", command=f"echo {step}", cwd="/srv", interactive=False,
                      confirmed_by="--yes")
            )  # fmt: skip
            seq += 1
            for _ in range(2):
                lines.append(_line(seq, when, "output", step_id=step, attempt=1, data=output))
                seq += 1
            when += timedelta(seconds=rng.randint(1, 30))
            lines.append(
                _line(seq, when, "step_finished", step_id=step, attempt=1, exit_code=0,
                      signal=None, verdict="succeeded", reason="exit 0", duration_seconds=3.0,
                      timed_out=False, cancelled=False, cwd_after="/srv")
            )  # fmt: skip
            seq += 1
        if fate >= 0.1:
            ended: dict[str, object] = {"status": "completed", "reason": ""}
            if drill:
                ended["drill"] = {
                    "passed": fate > 0.3,
                    "rto_seconds": 3600.0,
                    "duration_seconds": 64.5,
                }
            lines.append(_line(seq, when + timedelta(seconds=1), "session_ended", **ended))
        path = sdir / "journal.jsonl"
        path.write_text("".join(lines))
        os.chmod(path, 0o600)


def main() -> int:
    rng = random.Random(SEED)
    work = Path(tempfile.mkdtemp(prefix="bench-drills-"))
    try:
        folder = work / "runbooks"
        folder.mkdir()
        books = []
        for n in range(RUNBOOKS):
            path = folder / f"restore-{n}.md"
            path.write_text(BOOK.format(n=n))
            books.append(path)
        home = work / "home"
        make_store(home, books, rng)
        env = {**os.environ, "RUNBOOK_TUI_HOME": str(home)}
        baseline = [ENTRY, "sessions", "--json", "--home", str(home)]
        print(f"a store of {SESSIONS} sessions ({SESSIONS // 2} drills), {RUNBOOKS} runbooks")
        ratios = [
            paired(
                "drills --json vs sessions --json",
                [ENTRY, "drills", "--json", "--home", str(home)],
                baseline,
                target=TARGET,
                env=env,
            ),
            paired(
                "drills FILE --json vs sessions --json",
                [ENTRY, "drills", str(books[0]), "--json", "--home", str(home)],
                baseline,
                target=TARGET,
                env=env,
            ),
            paired(
                "the picker's rows (picker_rows over list_sessions) vs sessions --json",
                [sys.executable, "-c", PICKER, str(folder), str(home)],
                baseline,
                target=TARGET,
                env=env,
            ),
        ]
    finally:
        shutil.rmtree(work, ignore_errors=True)
    missed = [r for r in ratios if r > TARGET]
    print(f"worst ratio {max(ratios):.2f}x (target <= {TARGET}x)")
    return 1 if missed else 0


if __name__ == "__main__":
    raise SystemExit(main())
