"""Run every bench/bench_*.py in turn (bench_engine, bench_export, bench_parse,
bench_parse_shapes, bench_tui, ...). Each prints its own figures and ratios against a
baseline measured in the same run, because these machines are noisy. Arguments pick
benchmarks by name: `run_all.py parse_shapes`."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def main() -> int:
    here = Path(__file__).parent
    only = sys.argv[1:]
    failed = []
    for script in sorted(here.glob("bench_*.py")):
        if only and not any(o in script.stem for o in only):
            continue
        print(f"\n=== {script.stem} ===", flush=True)
        rc = subprocess.call([sys.executable, str(script)])
        if rc != 0:
            failed.append(script.stem)
    if failed:
        print(f"\nbenchmarks that failed to run: {', '.join(failed)}")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
