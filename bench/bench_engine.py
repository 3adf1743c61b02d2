"""Issue 3 benchmarks: the cost of recording, against doing the same work by hand."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

from pairs import paired, run_once

ENTRY = str(Path(sys.executable).with_name("runbook-tui"))


def main() -> int:
    if not shutil.which("script"):
        print("util-linux `script` is not installed: the flood baseline cannot run")
        return 1
    work = Path(tempfile.mkdtemp(prefix="rbt-bench-"))
    env = {**os.environ, "RUNBOOK_TUI_HOME": str(work / "home")}
    steps = work / "steps300.md"
    steps.write_text("# 300 steps\n\n" + "```sh\ntrue\n```\n\n" * 300)
    loop = work / "loop.sh"
    loop.write_text(
        "f=$(mktemp)\n"
        'for i in $(seq 1 300); do bash -c true; echo "step $i" >> "$f"; sync "$f"; done\n'
        'rm -f "$f"\n'
    )
    paired(
        "300 trivial steps: `runbook-tui run --yes` vs bash -c true + durable append per step",
        [ENTRY, "run", str(steps), "--yes"],
        ["bash", str(loop)],
        target=2.0,
        env=env,
        cwd=str(work),
    )
    flood = work / "flood.md"
    flood.write_text("# Flood\n\n```sh\nseq 1 3000000\n```\n")
    paired(
        "seq 1 3000000 through pty capture + journal vs `script -qfec`",
        [ENTRY, "run", str(flood), "--yes"],
        ["script", "-qfec", "seq 1 3000000", str(work / "script.out")],
        target=1.5,
        env=env,
        cwd=str(work),
    )
    peak = run_once([ENTRY, "run", str(flood), "--yes"], env, str(work)).peak_mib
    print(
        f"  peak memory of runbook-tui during the flood: {peak:.1f} MiB (target < 150 MiB: "
        f"{'met' if peak < 150 else 'MISSED'})"
    )
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
