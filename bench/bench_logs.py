"""Issue 10 benchmarks: log sources.

(a) Opening a log at its last 50 lines: a 1 GiB log against a 1 MiB one, each opened
    in its own process (`FileLog(...).poll()`), paired (bench/pairs.py). Prints the
    wall-time ratio and the peak-RSS ratio (target <= 1.2x, goal 1.1x), and the same
    open timed in this process, without the interpreter's start. The 1 GiB file is
    written as a repeated 1 MiB block under a temporary directory and deleted after.
(b) Following a log appended at 100,000 lines/s for 10 s by another process: the hub's
    poll path (`poll()`, then the next poll `INTERVAL` after it ends). Each line
    carries the time it was written; at each poll the lag is the poll's end minus the
    write time of the newest line it returned. Prints median and max lag (target
    < 250 ms) for a file and for a command log (`tail -F` of the same kind of file),
    with the follower's CPU. A line written just after a poll waits up to INTERVAL
    more for the next one: that is the poll interval, not the follower's lag.

`bench_logs.py` runs both (`bench_logs.py tail` or `follow` one); `--tail PATH` is the
child of (a).
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from pairs import paired, run_once
from runbook_tui.session.redaction import Redactor
from runbook_tui.sources.logs import CommandLog, FileLog, LogReader

TARGET = 1.2
GOAL = 1.1
LINES = 50
BLOCK = 1 << 20
INTERVAL = 0.1  # the follower's poll interval
RATE = 100_000  # lines per second
SECONDS = 10.0
LAG_TARGET = 0.25
# A masker as a session has: a secret value and the built-in token shapes.
MASK = Redactor(["hunter2secret-value"]).mask

WRITER = r"""
import sys, time
path, rate, seconds = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
pad = "path=/api/v1/items/42 status=200 bytes=5120 agent=bench"
with open(path, "a", buffering=1 << 20) as f:
    t0 = time.time()
    written = 0
    while True:
        now = time.time()
        if now - t0 >= seconds:
            break
        due = int((now - t0) * rate) - written
        if due > 0:
            f.write("".join(
                f"{now:.6f} seq={written + i} INFO request handled {pad}\n" for i in range(due)
            ))
            f.flush()
            written += due
        time.sleep(0.005)
print(written / (time.time() - t0))
"""


def block() -> bytes:
    """1 MiB of plausible log lines, some of them errors."""
    lines: list[bytes] = []
    size = 0
    n = 0
    while size < BLOCK:
        level = "ERROR" if n % 50 == 0 else "INFO"
        line = f"2026-01-02T09:{n // 60 % 60:02d}:{n % 60:02d}Z {level} req={n:07d} ok\n"
        lines.append(line.encode())
        size += len(line)
        n += 1
    return b"".join(lines)[:BLOCK].rsplit(b"\n", 1)[0] + b"\n"


def write_log(path: Path, blocks: int) -> None:
    data = block()
    with open(path, "wb") as f:
        for _ in range(blocks):
            f.write(data)


def tail_child(path: str) -> int:
    log = FileLog("bench", path, keep=LINES)
    reading = log.poll()
    log.close()
    return 0 if len(reading.lines) == LINES else 1


def in_process(path: Path, runs: int = 30) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        log = FileLog("bench", str(path), keep=LINES)
        log.poll()
        log.close()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def bench_tail(work: Path) -> None:
    big, small = work / "big.log", work / "small.log"
    start = time.perf_counter()
    write_log(big, 1024)
    write_log(small, 1)
    print(
        f"wrote {big.stat().st_size / 2**30:.2f} GiB and {small.stat().st_size / 2**20:.2f} "
        f"MiB logs in {time.perf_counter() - start:.1f}s"
    )
    me = [sys.executable, __file__, "--tail"]
    paired(
        f"(a) last {LINES} lines: 1 GiB log (A) against 1 MiB log (B)",
        [*me, str(big)],
        [*me, str(small)],
        runs=7,
        target=TARGET,
    )
    peaks = [
        run_once([*me, str(big)]).peak_mib / run_once([*me, str(small)]).peak_mib for _ in range(5)
    ]
    peak = statistics.median(peaks)
    print(f"  ratio A/B (median of 5 pairs, peak RSS): {peak:.2f}x  {verdict(peak)}")
    a, b = in_process(big), in_process(small)
    print(
        f"  in process: open + poll {a * 1e3:.2f} ms (1 GiB) vs {b * 1e3:.2f} ms (1 MiB): "
        f"{a / b:.2f}x"
    )
    big.unlink()


def verdict(ratio: float) -> str:
    if ratio <= GOAL:
        return f"(goal <= {GOAL}x: met)"
    return f"(target <= {TARGET}x: {'met' if ratio <= TARGET else 'MISSED'})"


def follow(label: str, log: LogReader, path: Path) -> None:
    log.poll()  # open (a command log starts here) before the writer starts
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(path), str(RATE), str(SECONDS)],
        stdout=subprocess.PIPE,
        text=True,
    )
    lags: list[float] = []
    seen = 0
    cpu0 = time.process_time()
    wall0 = time.perf_counter()
    while writer.poll() is None or seen < 1:
        reading = log.poll()
        now = time.time()
        if reading.new_lines and reading.lines:
            newest = reading.lines[-1]
            if not newest.endswith("bench"):  # a line still being written: the one before
                newest = reading.lines[-2]
            lags.append(now - float(newest.split(" ", 1)[0]))
            seen += reading.new_lines
        time.sleep(INTERVAL)
    cpu = time.process_time() - cpu0
    wall = time.perf_counter() - wall0
    rate = float((writer.communicate()[0] or "0").strip() or 0)
    last = log.poll()
    seen += last.new_lines
    log.close()
    med, worst = statistics.median(lags), max(lags)
    load = os.getloadavg()[0]
    print(f"(b) following a log appended at {rate:,.0f} lines/s for {SECONDS:.0f}s: {label}")
    print(f"  machine load {load:.1f} on {os.cpu_count()} CPUs (the writer shares them)")
    print(
        f"  lines seen {seen:,} in {len(lags)} polls every {INTERVAL * 1e3:.0f} ms; "
        f"follower cpu {cpu / wall * 100:.0f}% of one core"
    )
    print(
        f"  lag of the newest line: median {med * 1e3:.0f} ms, max {worst * 1e3:.0f} ms  "
        f"(target < {LAG_TARGET * 1e3:.0f} ms: {'met' if worst < LAG_TARGET else 'MISSED'})"
    )


def main() -> int:
    if len(sys.argv) == 3 and sys.argv[1] == "--tail":
        return tail_child(sys.argv[2])
    only = sys.argv[1:]
    work = Path(tempfile.mkdtemp(prefix="rbt-bench-logs-"))
    try:
        if not only or "tail" in only:
            bench_tail(work)
        if only and "follow" not in only:
            return 0
        path = work / "follow.log"
        path.write_text("")
        follow("a file", FileLog("f", str(path), mask=MASK), path)
        cmd_path = work / "follow-command.log"
        cmd_path.write_text("")
        command = CommandLog("c", f"exec tail -n0 -F {cmd_path}", mask=MASK, cwd=str(work))
        follow("a command (tail -F)", command, cmd_path)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONDONTWRITEBYTECODE", "1")
    raise SystemExit(main())
