"""Paired whole-process timing with the standard library: A and B run in turn, the
ratio is taken pair by pair, and the median is reported, so a drift in machine speed
hits both sides of each pair alike."""

from __future__ import annotations

import os
import statistics
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass
class Run:
    wall: float
    cpu: float
    peak_mib: float


def run_once(cmd: Sequence[str], env: dict[str, str] | None = None, cwd: str | None = None) -> Run:
    start = time.perf_counter()
    proc = subprocess.Popen(
        list(cmd),
        env=env,
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
    )
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"benchmark command failed ({proc.returncode}): {' '.join(cmd)}")
    return Run(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024)


def paired(
    label: str,
    a: Sequence[str],
    b: Sequence[str],
    *,
    runs: int = 5,
    target: float | None = None,
    env: dict[str, str] | None = None,
    cwd: str | None = None,
) -> float:
    """Print medians and the median A/B wall ratio; return that ratio."""
    run_once(a, env, cwd), run_once(b, env, cwd)  # warm-up: caches, bytecode
    ra: list[Run] = []
    rb: list[Run] = []
    for _ in range(runs):
        ra.append(run_once(a, env, cwd))
        rb.append(run_once(b, env, cwd))
    ratio = statistics.median(x.wall / y.wall for x, y in zip(ra, rb, strict=True))
    med = statistics.median
    print(f"{label}")
    print(f"  A: {' '.join(a)}")
    print(
        f"     wall {med(r.wall for r in ra):.3f}s  cpu {med(r.cpu for r in ra):.3f}s  "
        f"peak {max(r.peak_mib for r in ra):.1f} MiB"
    )
    print(f"  B: {' '.join(b)}")
    print(
        f"     wall {med(r.wall for r in rb):.3f}s  cpu {med(r.cpu for r in rb):.3f}s  "
        f"peak {max(r.peak_mib for r in rb):.1f} MiB"
    )
    verdict = ""
    if target is not None:
        verdict = f"  (target <= {target}x: {'met' if ratio <= target else 'MISSED'})"
    print(f"  ratio A/B (median of {runs} pairs, wall): {ratio:.2f}x{verdict}")
    return ratio
