"""Reading back a session whose step printed 50 MB stays in bounded memory: every
reader of the journal streams it (issue 9). A memory bound, measured as the peak RSS
of the child process (wait4's ru_maxrss): deterministic, unlike a time bound. The
interpreter and the imports take ~25-30 MB; holding the output would take 100s of MB."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from runbook_tui.runbook.parser import load
from runbook_tui.session import provenance
from runbook_tui.session.journal import Journal
from runbook_tui.session.store import create_session

OUTPUT_CHARS = 50_000_000
BOUND_MIB = 80
RUNBOOK = "# Readback\n\n## Big\n\n```sh\nseq 1 10\n```\n\n## After\n\n```sh\ntrue\n```\n"


@pytest.fixture(scope="module")
def session(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, str]:
    """A paused session whose first step printed 50 MB, written with the journal's own
    writer; `resume --yes` has the step `true` left."""
    work = tmp_path_factory.mktemp("readback")
    book = work / "book.md"
    book.write_text(RUNBOOK)
    runbook = load(str(book)).runbook
    assert runbook is not None
    big, _after = (s.id for s in runbook.steps)
    home = work / "home"
    sdir = create_session(home)
    first = {
        "session_id": sdir.id,
        "runbook": {
            "path": str(book),
            "sha256": provenance.file_sha256(str(book)),
            "git_commit": None,
            "title": "Readback",
            "kind": None,
        },
        "operator": "test",
        "variables": {},
        "walk": "main",
    }
    j = Journal.create(sdir.journal_path, first)
    j.append("step_started", step_id=big, attempt=1, kind="shell", command="seq 1 10")
    head = "é \x1b[32mok\x1b[0m "
    line = head + "x" * (99 - len(head)) + "\n"  # 100 characters
    block = line * 10_000
    for _ in range(OUTPUT_CHARS // len(block)):
        j.append_output(big, 1, block)
    j.append("step_finished", step_id=big, attempt=1, exit_code=0, verdict="succeeded")
    j.append("session_ended", status="paused", reason="")
    j.close()
    return work, home, sdir.id


# Linux counts the RSS a child had before exec in its ru_maxrss, and a child of this
# test process starts as a copy of it (pytest with everything it imported): so the
# command is started by a small helper, whose own copy is small, and the helper
# reports wait4's ru_maxrss of the command (KiB) on stderr.
HELPER = """
import os, subprocess, sys
proc = subprocess.Popen(sys.argv[1:])
_, status, usage = os.wait4(proc.pid, 0)
print(os.waitstatus_to_exitcode(status), usage.ru_maxrss, file=sys.stderr)
"""


def peak_mib(args: list[str], work: Path, home: Path, stdout: Path) -> float:
    """The peak RSS of `runbook-tui ARGS` (MiB), its stdout in `stdout`."""
    env = {**os.environ, "RUNBOOK_TUI_HOME": str(home)}
    with open(stdout, "wb") as out:
        res = subprocess.run(
            [sys.executable, "-c", HELPER, sys.executable, "-m", "runbook_tui", *args],
            cwd=work,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.PIPE,
            text=True,
            timeout=60,
        )
    last = res.stderr.splitlines()[-1]
    code, maxrss = (int(x) for x in last.split())
    assert res.returncode == 0 and code == 0, res.stderr
    return maxrss / 1024


def test_show_json_streams_the_output(session: tuple[Path, Path, str]) -> None:
    work, home, sid = session
    out = work / "show.json"
    peak = peak_mib(["sessions", "show", sid, "--json"], work, home, out)
    assert peak < BOUND_MIB, f"sessions show --json peaked at {peak:.0f} MiB"
    doc = json.loads(out.read_text())
    big = doc["steps"][0]
    assert big["output_chars"] == OUTPUT_CHARS and len(big["output"]) == OUTPUT_CHARS
    assert big["output"].endswith("x\n") and big["output_truncated"] is False


@pytest.mark.parametrize(
    "args",
    [["sessions", "show", "{id}"], ["sessions", "show", "{id}", "--no-output", "--json"]],
    ids=["show", "show-no-output-json"],
)
def test_show_without_output_never_holds_it(
    session: tuple[Path, Path, str], args: list[str]
) -> None:
    work, home, sid = session
    out = work / "show.out"
    peak = peak_mib([a.format(id=sid) for a in args], work, home, out)
    assert peak < BOUND_MIB, f"{' '.join(args)} peaked at {peak:.0f} MiB"
    assert "output" not in out.read_text().replace("output_chars", "")


def test_resume_never_holds_the_output(session: tuple[Path, Path, str]) -> None:
    work, home, sid = session
    journal = home / "sessions" / sid / "journal.jsonl"
    size = journal.stat().st_size
    try:
        peak = peak_mib(["resume", sid, "--yes"], work, home, work / "resume.out")
        assert peak < BOUND_MIB, f"resume --yes peaked at {peak:.0f} MiB"
        assert f"session {sid} completed" in (work / "resume.out").read_text()
    finally:
        os.truncate(journal, size)  # the session is paused again for the other tests


# -- a damaged journal: one enormous line --------------------------------------------

HUGE_LINE = 200_000_000  # bytes without a newline; the readers' bound is 64 MiB
DAMAGE_MIB = 50  # what a reader may take above the same reader on the undamaged journal


def _damaged_pair(work: Path) -> tuple[Path, str, Path, str]:
    """Two homes holding the same paused session (step `big` succeeded, `true` left):
    in the first its journal has a 200 MB line of NUL bytes in the middle (a hole of a
    sparse file, ended by a newline) and another at its end (torn: no newline); the
    second is the same journal undamaged, the baseline."""
    book = work / "book.md"
    book.write_text(RUNBOOK)
    runbook = load(str(book)).runbook
    big, _after = (s.id for s in runbook.steps)
    homes = []
    for damaged in (True, False):
        home = work / ("damaged" if damaged else "sound")
        sdir = create_session(home)
        first = {
            "session_id": sdir.id,
            "runbook": {
                "path": str(book),
                "sha256": provenance.file_sha256(str(book)),
                "git_commit": None,
                "title": "Readback",
                "kind": None,
            },
            "operator": "test",
            "variables": {},
            "walk": "main",
        }
        j = Journal.create(sdir.journal_path, first)
        j.append("step_started", step_id=big, attempt=1, kind="shell", command="seq 1 10")
        j.append_output(big, 1, "1\n2\n")
        j.close()
        ts = "2026-01-01T00:00:00.000Z"
        rest = [
            {"seq": 4, "ts": ts, "type": "step_finished", "step_id": big, "attempt": 1,
             "exit_code": 0, "verdict": "succeeded"},
            {"seq": 5, "ts": ts, "type": "session_ended", "status": "paused", "reason": ""},
        ]  # fmt: skip
        with open(sdir.journal_path, "r+b") as f:
            f.seek(0, os.SEEK_END)
            if damaged:
                f.seek(HUGE_LINE, os.SEEK_CUR)  # a hole: NUL bytes, stored as nothing
                f.write(b"\n")
            f.write(b"".join(json.dumps(e).encode() + b"\n" for e in rest))
        if damaged:
            os.truncate(sdir.journal_path, sdir.journal_path.stat().st_size + HUGE_LINE)
        homes += [home, sdir.id]
    return homes[0], homes[1], homes[2], homes[3]


@pytest.mark.parametrize(
    "args",
    [
        ["sessions", "--json"],
        ["sessions", "show", "{id}"],
        ["sessions", "show", "{id}", "--json"],
        ["resume", "{id}", "--yes"],
    ],
    ids=["sessions", "show", "show-json", "resume"],
)
def test_a_journal_line_of_200_mb_is_passed_over_never_held(
    tmp_path: Path, args: list[str]
) -> None:
    """Every reader (the listing's first and last events, the fold, the output read
    back, open_append's scan) takes a line in bounded pieces and passes over one longer
    than a journal line may be as damage: its memory stays that of the same command on
    the undamaged journal, give or take a few MiB (holding the line took 200 MB+)."""
    damaged, damaged_id, sound, sound_id = _damaged_pair(tmp_path)
    peaks = []
    for home, sid in ((sound, sound_id), (damaged, damaged_id)):
        out = tmp_path / f"{home.name}.out"
        peaks.append(peak_mib([a.format(id=sid) for a in args], tmp_path, home, out))
        text = out.read_text()
        if args[0] == "resume":
            assert f"session {sid} completed" in text
        elif args[:2] == ["sessions", "show"]:
            assert "succeeded" in text
    assert peaks[1] < peaks[0] + DAMAGE_MIB, (
        f"{' '.join(args)}: {peaks[0]:.0f} -> {peaks[1]:.0f} MiB"
    )
    if args[0] == "resume":  # the torn tail was cut off; the damaged line stays (append-only)
        journal = damaged / "sessions" / damaged_id / "journal.jsonl"
        assert HUGE_LINE < journal.stat().st_size < HUGE_LINE + 100_000
