"""docs/operations.md's backup and restore of the session history, run exactly as
written, against a real history: the restored sessions read back the same, and an
unfinished one resumes from the restored home."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DOC = (REPO / "docs" / "operations.md").read_text()
BIN = str(Path(sys.executable).parent)

RUNBOOK = """\
# Two steps

```sh {"name":"first"}
echo first
```

```sh {"name":"second"}
test -f go-on || { echo "not yet"; exit 1; }
echo second
```
"""


def block(heading: str) -> str:
    """The first sh block under `heading` in docs/operations.md."""
    section = DOC.split(f"\n{heading}\n", 1)[1]
    return section.split("```sh\n", 1)[1].split("```", 1)[0]


def sh(script: str, home: Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "RUNBOOK_TUI_HOME": str(home), "PATH": f"{BIN}:{os.environ['PATH']}"}
    done = subprocess.run(
        ["bash", "-euc", script], cwd=cwd, env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done


def tool(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "runbook_tui", *args], capture_output=True, text=True, timeout=60
    )


def sessions(home: Path) -> list[dict[str, object]]:
    listed = json.loads(tool("sessions", "--json", "--home", str(home)).stdout)
    return [
        {k: s[k] for k in ("id", "runbook_path", "status", "started_at", "ended_at")}
        for s in listed
    ]


def shown(home: Path, session: str) -> dict[str, object]:
    doc = json.loads(tool("sessions", "show", session, "--json", "--home", str(home)).stdout)
    doc.pop("journal")  # the path of the journal: in the home it was read from
    return doc


def test_the_documented_backup_restores_a_history_that_reads_back_the_same(tmp_path: Path) -> None:
    old, new, work = tmp_path / "old-home", tmp_path / "new-home", tmp_path / "work"
    work.mkdir()
    book = work / "two.md"
    book.write_text(RUNBOOK)
    (work / "go-on").write_text("")
    assert tool("run", str(book), "--yes", "--home", str(old)).returncode == 0
    (work / "go-on").unlink()
    assert tool("run", str(book), "--yes", "--home", str(old)).returncode == 1
    before = sessions(old)
    assert sorted(s["status"] for s in before) == ["completed", "failed"]

    sh(block("### Back up"), old, work)
    [archive] = work.glob("runbook-tui-sessions-*.tar.gz")
    restored = sh(block("### Restore"), new, work)

    assert sessions(new) == before
    for s in before:
        assert shown(new, str(s["id"])) == shown(old, str(s["id"]))
        assert str(s["id"]) in restored.stdout  # the restore's own listing
    assert oct(new.stat().st_mode & 0o777) == "0o700"
    for journal in new.glob("sessions/*/journal.jsonl"):
        assert oct(journal.stat().st_mode & 0o777) == "0o600"
        assert oct(journal.parent.stat().st_mode & 0o777) == "0o700"

    # The unfinished session goes on from the restored home.
    [failed] = [s for s in before if s["status"] == "failed"]
    (work / "go-on").write_text("")
    resumed = tool("resume", str(failed["id"]), "--yes", "--home", str(new))
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert f"session {failed['id']} completed" in resumed.stdout
    assert archive.exists()
