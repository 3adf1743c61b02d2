"""Two speed targets the unit tests used to assert with a stopwatch: listing 300
sessions with big output (target < 1.5 s) and masking 3 million lines (target < 5 s)."""

from __future__ import annotations

import os
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from runbook_tui.session.journal import Journal
from runbook_tui.session.redaction import Redactor, StreamMasker
from runbook_tui.session.store import create_session, list_sessions


def first_fields(sid: str, title: str) -> dict[str, object]:
    return {
        "session_id": sid,
        "runbook": {"path": f"/rb/{title}.md", "sha256": "0" * 64, "git_commit": None,
                    "title": title, "kind": "deploy"},
        "tool_version": "0.1.0", "operator": "bench", "host": "bench", "pid": os.getpid(),
        "variables": {}, "drill": False,
        "started_at": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
    }  # fmt: skip


def bench_listing() -> None:
    home = Path(tempfile.mkdtemp(prefix="rbt-bench-"))
    big = "x" * 1024 * 1024
    for i in range(300):
        sdir = create_session(home)
        j = Journal.create(sdir.journal_path, first_fields(sdir.id, f"S{i}"))
        j.append("step_started", step_id="a", attempt=1)
        j.append_output("a", 1, big * 4 if i % 30 == 0 else "small output\n" * 50)
        j.append("step_finished", step_id="a", attempt=1, exit_code=0, verdict="succeeded")
        if i % 2:
            j.append("session_ended", status="completed", reason="")
        j.close()
    t0 = time.perf_counter()
    assert len(list_sessions(home)) == 300
    elapsed = time.perf_counter() - t0
    verdict = "met" if elapsed < 1.5 else "MISSED"
    print(f"list 300 sessions (10 with 4 MiB output): {elapsed:.2f}s (target < 1.5 s: {verdict})")


def bench_masking() -> None:
    data = "".join(f"{i}\n" for i in range(1, 3_000_001))
    chunks = [data[i : i + 16384] for i in range(0, len(data), 16384)]
    m = StreamMasker(Redactor(["hunter2secret", "s3cr3t-value"]))
    t0 = time.perf_counter()
    out = "".join(m.feed(c) for c in chunks) + m.flush()
    elapsed = time.perf_counter() - t0
    assert out == data
    verdict = "met" if elapsed < 5.0 else "MISSED"
    print(f"mask 3,000,000 lines: {elapsed:.2f}s (target < 5 s: {verdict})")


def main() -> int:
    bench_listing()
    bench_masking()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
