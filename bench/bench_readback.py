"""Issue 9 benchmarks: reading back a session whose step printed 1 GiB.

A journal is generated directly (valid JSONL as the journal writes it, in a few
seconds): a two-step runbook whose first step printed 1 GiB and whose session was
paused, so `resume --yes` has one step (`true`) left. The same session with 1 MiB of
output is the baseline, measured in the same run. Reported per command: the peak RSS
of the child (`wait4`'s ru_maxrss) for 1 GiB and for 1 MiB, their ratio, and the wall
and CPU time. Target: every command under 100 MiB on the 1 GiB session. Needs ~1.2 GB
of free disk in the temporary directory; the files are deleted afterwards.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

from pairs import run_once

ENTRY = str(Path(sys.executable).with_name("runbook-tui"))
TARGET_MIB = 100.0
CHUNK = 64 * 1024  # characters per output event, as the journal writes them
RUNBOOK = "# Readback\n\n## Big\n\n```sh\nseq 1 10\n```\n\n## After\n\n```sh\ntrue\n```\n"
BIG, AFTER = "big-cf96a2", "after-af6612"  # the ids the parser gives those two steps


def _line(seq: int, ts: str, type_: str, **fields: object) -> bytes:
    event = {"seq": seq, "ts": ts, "type": type_, **fields}
    return json.dumps(event, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"


def _chunk() -> str:
    """64 KiB characters of plausible terminal output: colour, a little non-ASCII."""
    lines: list[str] = []
    n = 0
    while sum(map(len, lines)) < CHUNK:
        lines.append(f"\x1b[32mok\x1b[0m row {n:07d} déploiement {'x' * 40}\n")
        n += 1
    return "".join(lines)[:CHUNK]


def make_session(home: Path, book: Path, sid: str, output_chars: int) -> Path:
    """A paused session in `home` whose first step printed `output_chars` characters."""
    sdir = home / "sessions" / sid
    sdir.mkdir(parents=True, mode=0o700)
    os.chmod(home, 0o700)
    os.chmod(home / "sessions", 0o700)
    ts = "2026-01-01T00:00:00.000Z"
    sha = hashlib.sha256(book.read_bytes()).hexdigest()
    started = {
        "format_version": 1,
        "session_id": sid,
        "runbook": {
            "path": str(book),
            "sha256": sha,
            "git_commit": None,
            "git_dirty": False,
            "title": "Readback",
            "kind": None,
        },
        "tool_version": "bench",
        "operator": "bench",
        "host": "bench",
        "pid": 1,
        "variables": {},
        "drill": False,
        "walk": "main",
        "started_at": ts,
    }
    step = {"step_id": BIG, "attempt": 1, "name": None, "kind": "shell"}
    path = sdir / "journal.jsonl"
    data = _chunk()
    with open(path, "wb", buffering=1 << 20) as f:
        os.fchmod(f.fileno(), 0o600)
        f.write(_line(1, ts, "session_started", **started))
        f.write(
            _line(
                2,
                ts,
                "step_started",
                **step,
                command="seq 1 10",
                cwd=str(book.parent),
                interactive=False,
                confirmed_by="--yes",
            )
        )
        # Every output line is the same but for its seq: encode the tail once.
        head = b'{"seq":'
        tail = (
            b',"ts":"'
            + ts.encode()
            + b'","type":"output","step_id":"'
            + BIG.encode()
            + b'","attempt":1,"data":'
            + json.dumps(data, ensure_ascii=False).encode()
            + b"}\n"
        )
        seq = 3
        left = output_chars
        while left >= CHUNK:
            f.write(head + str(seq).encode() + tail)
            seq += 1
            left -= CHUNK
        if left:
            f.write(_line(seq, ts, "output", step_id=BIG, attempt=1, data=data[:left]))
            seq += 1
        f.write(
            _line(
                seq,
                ts,
                "step_finished",
                step_id=BIG,
                attempt=1,
                exit_code=0,
                signal=None,
                verdict="succeeded",
                reason="exit 0",
                duration_seconds=12.5,
                timed_out=False,
                cancelled=False,
                cwd_after=str(book.parent),
            )
        )
        f.write(_line(seq + 1, ts, "session_ended", status="paused", reason="bench"))
    return path


def main() -> int:
    work = Path(tempfile.mkdtemp(prefix="rbt-bench-readback-"))
    try:
        return _run(work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _run(work: Path) -> int:
    home = work / "home"
    book = work / "book.md"
    book.write_text(RUNBOOK)
    env = {**os.environ, "RUNBOOK_TUI_HOME": str(home)}
    sizes = {"1 GiB": 1 << 30, "1 MiB": 1 << 20}
    ids = {"1 GiB": "20260101T000000Z-0001", "1 MiB": "20260101T000000Z-0002"}
    journals = {k: make_session(home, book, ids[k], n) for k, n in sizes.items()}
    for k, p in journals.items():
        print(f"session with {k} of output: {p.stat().st_size / 2**20:.0f} MiB journal")
    commands = {
        "sessions show ID --json": ["sessions", "show", "{id}", "--json"],
        "sessions show ID": ["sessions", "show", "{id}"],
        "sessions show ID --no-output --json": [
            "sessions",
            "show",
            "{id}",
            "--no-output",
            "--json",
        ],
        "resume ID --yes": ["resume", "{id}", "--yes"],
    }
    worst = 0.0
    for label, argv in commands.items():
        peaks: dict[str, float] = {}
        walls: dict[str, float] = {}
        cpus: dict[str, float] = {}
        for size in ("1 MiB", "1 GiB"):
            cmd = [ENTRY, *(a.format(id=ids[size]) for a in argv)]
            before = journals[size].stat().st_size
            run = run_once(cmd, env, str(work))
            # resume appends to the journal: cut it back so the next run resumes again.
            if journals[size].stat().st_size != before:
                os.truncate(journals[size], before)
            peaks[size], walls[size], cpus[size] = run.peak_mib, run.wall, run.cpu
        big = peaks["1 GiB"]
        worst = max(worst, big)
        print(f"runbook-tui {label} > /dev/null")
        for size in ("1 MiB", "1 GiB"):
            print(
                f"  {size} session: peak {peaks[size]:.1f} MiB, "
                f"wall {walls[size]:.2f}s, cpu {cpus[size]:.2f}s"
            )
        print(
            f"  ratio 1 GiB / 1 MiB (peak RSS): {big / peaks['1 MiB']:.2f}x  "
            f"(target < {TARGET_MIB:.0f} MiB: {'met' if big < TARGET_MIB else 'MISSED'})"
        )
    print(f"worst peak on the 1 GiB session: {worst:.1f} MiB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
