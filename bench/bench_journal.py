"""How soon buffered output is on disk: the journal promises FLUSH_INTERVAL (0.25 s).
Measured here, not asserted in the unit tests, because a shared machine stretches it."""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

from runbook_tui.session.journal import FLUSH_INTERVAL, Journal, read_journal


def lag_of_one_line(j: Journal, path: Path, text: str) -> float:
    t0 = time.monotonic()
    j.append_output("a", 1, text)
    while text not in "".join(
        e["data"] for e in read_journal(path).events if e["type"] == "output"
    ):
        time.sleep(0.002)
    return time.monotonic() - t0


def main() -> int:
    path = Path(tempfile.mkdtemp(prefix="rbt-bench-")) / "journal.jsonl"
    j = Journal.create(path, {"session_id": "bench"})
    j.append("step_started", step_id="a", attempt=1)
    lags = [lag_of_one_line(j, path, f"line {i}\n") for i in range(20)]
    j.close()
    worst = max(lags)
    print(f"output on disk after: median {statistics.median(lags) * 1000:.0f} ms, ", end="")
    print(
        f"worst {worst * 1000:.0f} ms (target <= {FLUSH_INTERVAL * 1000:.0f} ms + reader "
        f"polling: {'met' if worst <= FLUSH_INTERVAL + 0.05 else 'MISSED'})"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
