"""Issue 11 benchmark: exporting a session whose step printed `seq 1 3000000`.

The session is recorded for real (`runbook-tui run --yes` of a one-step runbook), then
the markdown and the asciicast export (to stdout, discarded) are each timed against
the baseline of reading the same journal's lines and parsing each with `json.loads`
in a loop, as whole processes, in pairs (bench/pairs.py). Targets: at most 2x the
baseline's time, and a peak RSS under 100 MiB.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from pairs import paired, run_once

ENTRY = str(Path(sys.executable).with_name("runbook-tui"))
TARGET_RATIO = 2.0
TARGET_MIB = 100.0
RUNBOOK = "# Flood\n\n## Count\n\n```sh\nseq 1 3000000\n```\n"
BASELINE = """
import json, sys
with open(sys.argv[1], "rb") as f:
    for line in f:
        json.loads(line)
"""


def main() -> int:
    work = Path(tempfile.mkdtemp(prefix="rbt-bench-export-"))
    try:
        return _run(work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _run(work: Path) -> int:
    home = work / "home"
    book = work / "flood.md"
    book.write_text(RUNBOOK)
    env = {**os.environ, "RUNBOOK_TUI_HOME": str(home)}
    subprocess.run(
        [ENTRY, "run", str(book), "--yes"],
        env=env,
        cwd=work,
        stdout=subprocess.DEVNULL,
        check=True,
    )
    [session] = (home / "sessions").iterdir()
    journal = session / "journal.jsonl"
    with open(journal, "rb") as f:
        lines = sum(1 for _ in f)
    print(
        f"session {session.name}: journal {journal.stat().st_size / 2**20:.1f} MiB, {lines} lines"
    )
    baseline = [sys.executable, "-c", BASELINE, str(journal)]
    worst_ratio, worst_peak = 0.0, 0.0
    for fmt in ("markdown", "asciicast"):
        export = [ENTRY, "export", session.name, "--format", fmt]
        ratio = paired(
            f"export --format {fmt} vs json.loads of every journal line",
            export,
            baseline,
            target=TARGET_RATIO,
            env=env,
            cwd=str(work),
        )
        peak = max(run_once(export, env, str(work)).peak_mib for _ in range(3))
        verdict = "met" if peak < TARGET_MIB else "MISSED"
        print(
            f"  peak RSS of the export: {peak:.1f} MiB (target < {TARGET_MIB:.0f} MiB: {verdict})"
        )
        worst_ratio, worst_peak = max(worst_ratio, ratio), max(worst_peak, peak)
    print(f"worst ratio {worst_ratio:.2f}x, worst peak {worst_peak:.1f} MiB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
