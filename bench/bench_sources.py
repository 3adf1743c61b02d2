"""Two targets of the live sources:

(a) 20 service checks, one of which hangs: the other 19 report within their own
    timeouts (each one's time to its first reading is printed against its timeout).
(b) `runbook-tui status` of a runbook that declares nothing costs at most 1.2x
    `runbook-tui check` of the same file (paired whole-process timing, bench/pairs.py):
    `status` must import little before it knows there is nothing to look at.
"""

from __future__ import annotations

import http.server
import sys
import tempfile
import threading
import time
from pathlib import Path

from pairs import paired
from runbook_tui.runbook.parser import parse
from runbook_tui.sources.hub import Hub
from runbook_tui.sources.readings import ServiceReading


class _Ok(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


def bench_hanging_check() -> bool:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Ok)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]
    lines = ["---", "services:", "  - {name: hang, command: 'sleep 600', timeout: 60s}"]
    for i in range(19):
        kind = ("http", "tcp", "command")[i % 3]
        target = {
            "http": f"'http://127.0.0.1:{port}/'",
            "tcp": f"'127.0.0.1:{port}'",
            "command": "'true'",
        }[kind]
        lines.append(f"  - {{name: s{i:02d}-{kind}, {kind}: {target}, timeout: 2s}}")
    runbook = parse("\n".join([*lines, "---", "# bench", ""])).runbook
    timeouts = {s.name: s.timeout_seconds or 0 for s in runbook.services}
    first: dict[str, float] = {}
    all_in = threading.Event()
    hub = Hub.for_runbook(runbook, commands_allowed=True)

    def seen(update: object) -> None:
        if isinstance(update, ServiceReading) and update.name not in first:
            first[update.name] = time.monotonic() - start
            if len(first) == 19 and "hang" not in first:
                all_in.set()

    hub.subscribe(seen)
    start = time.monotonic()
    hub.start()
    all_in.wait(30)
    hub.close()
    server.shutdown()
    ok = True
    print("(a) 20 service checks, one hangs (`sleep 600`, timeout 60s)")
    for name in sorted(timeouts):
        if name == "hang":
            continue
        took = first.get(name)
        within = took is not None and took <= timeouts[name]
        ok &= within
        shown = f"{took * 1000:7.1f} ms" if took is not None else "  no reading"
        print(f"  {name:<12} reported after {shown}  (timeout {timeouts[name]:g}s)")
    print(f"  hang: {'reported' if 'hang' in first else 'still running'} when the 19 were in")
    print(f"  the other 19 within their own timeouts: {'met' if ok else 'MISSED'}")
    return ok


def bench_status_vs_check() -> float:
    folder = Path(tempfile.mkdtemp(prefix="rbt-bench-status-"))
    book = folder / "plain.md"
    book.write_text("---\ntitle: Nothing declared\n---\n# Plain\n\n```sh\necho hi\n```\n")
    home = folder / "home"
    python = sys.executable
    print("(b) status with nothing declared vs check of the same file")
    return paired(
        "status vs check",
        [python, "-m", "runbook_tui", "status", str(book), "--home", str(home)],
        [python, "-m", "runbook_tui", "check", str(book)],
        runs=11,
        target=1.2,
    )


def main() -> int:
    bench_hanging_check()
    bench_status_vs_check()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
