"""Parser cost by input shape: `runbook-tui check` on generated 1, 5 and 10 MB files of
each shape (a markdown table, a setext-heading flood, plain prose, many fenced steps),
each in its own child process, so its peak memory (ru_maxrss of the child) is its own.

Baseline, measured in the same run: `check` on a tiny runbook (interpreter, imports).
For each file it prints the wall time, the CPU time (user + system of the child: the
machines are shared, and wall time swings with their load), CPU seconds per MB, the
peak memory, and the peak above the baseline as a ratio to the file's size (target: at
most 50x); per shape, the 10 MB / 1 MB CPU time, baseline subtracted (linear: about 10).

    .venv/bin/python bench/bench_parse_shapes.py [SHAPE...] [--sizes 1,5,10]
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

MB = 1_000_000
TARGET_MEMORY_RATIO = 50


def _repeat(unit: Callable[[int], str], size: int, head: str = "") -> str:
    parts = [head]
    total = len(head)
    i = 0
    while total < size:
        piece = unit(i)
        parts.append(piece)
        total += len(piece)
        i += 1
    return "".join(parts)


def table_rows(size: int) -> str:
    return _repeat(lambda i: f"| r{i} | x | y |\n", size, "# T\n\n| a | b | c |\n| - | - | - |\n")


def setext_flood(size: int) -> str:
    return _repeat(lambda i: "a\n=\n", size)


def plain_prose(size: int) -> str:
    line = "Restart the service and watch the error rate for a few minutes before going on.\n"
    return _repeat(lambda i: line if i % 8 else "\n", size, "# Prose\n\n")


def fenced_steps(size: int) -> str:
    return _repeat(lambda i: f"```sh\necho step {i}\n```\n\n", size, "# Steps\n\n")


SHAPES: dict[str, Callable[[int], str]] = {
    "table-rows": table_rows,
    "setext-flood": setext_flood,
    "plain-prose": plain_prose,
    "fenced-steps": fenced_steps,
}


def _command() -> list[str]:
    entry = Path(sys.executable).parent / "runbook-tui"
    if entry.exists():
        return [str(entry), "check"]
    return [sys.executable, "-m", "runbook_tui", "check"]


def measure(path: Path) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds and peak RSS (MiB) of `runbook-tui check path`."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        [*_command(), str(path)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 1):
        raise SystemExit(f"check failed with exit status {code} on {path}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024  # Linux: KiB


def main(argv: list[str]) -> int:
    sizes = [1, 5, 10]
    names = []
    args = iter(argv)
    for arg in args:
        if arg == "--sizes":
            sizes = [int(s) for s in next(args).split(",")]
        else:
            names.append(arg)
    shapes = {n: f for n, f in SHAPES.items() if not names or any(x in n for x in names)}
    with tempfile.TemporaryDirectory() as tmp:
        tiny = Path(tmp) / "tiny.md"
        tiny.write_text("# Tiny\n\n```sh\necho hi\n```\n")
        base_wall, base_cpu, base_peak = min(measure(tiny) for _ in range(3))
        print(
            f"baseline `check tiny.md`: {base_wall * 1000:.0f} ms wall, "
            f"{base_cpu * 1000:.0f} ms CPU, peak {base_peak:.0f} MiB"
        )
        print(
            f"{'shape':<14} {'MB':>4} {'wall s':>8} {'CPU s':>8} {'CPU s/MB':>9} "
            f"{'peak MiB':>9} {'peak/size':>9} {'(peak-base)/size':>17}"
        )
        worst = 0.0
        for name, make in shapes.items():
            times: dict[int, float] = {}
            for mb in sizes:
                path = Path(tmp) / f"{name}-{mb}.md"
                path.write_text(make(mb * MB))
                size = path.stat().st_size
                wall, cpu, peak = measure(path)
                path.unlink()
                times[mb] = cpu - base_cpu
                over = (peak - base_peak) * 1024 * 1024 / size
                worst = max(worst, over)
                print(
                    f"{name:<14} {mb:>4} {wall:>8.2f} {cpu:>8.2f} {cpu / (size / MB):>9.2f} "
                    f"{peak:>9.0f} "
                    f"{peak * 1024 * 1024 / size:>8.1f}x {over:>16.1f}x"
                )
            if 1 in times and max(sizes) > 1:
                top = max(sizes)
                ratio = times[top] / times[1] if times[1] > 0 else float("inf")
                print(f"  {name}: CPU({top} MB) / CPU(1 MB), baseline subtracted: {ratio:.1f}")
        print(f"worst (peak - baseline) / size: {worst:.1f}x (target <= {TARGET_MEMORY_RATIO}x)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
