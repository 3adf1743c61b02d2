"""The demo's web service: a tiny shop with a health endpoint and a SQLite database.

Standard library only, and self-contained: the sandbox copies this file into each of
its releases (`service/releases/v1/shop.py`, `v2/...`) next to a `release.json` that
says which release it is and which database schema it needs. Nothing here imports
runbook-tui.

    shop.py serve --port P --db FILE --log FILE [--owner PID]
    shop.py migrate --db FILE      bring the database to this release's schema
    shop.py init --db FILE         a new database at this release's schema, with orders

`serve` answers `GET /health` (200 with a JSON body while the database reads, 503 when
it does not) and `GET /`; it refuses to start on a database older than its release
needs. It writes its log itself, one line per event with a UTC timestamp. SIGTERM stops
it; SIGUSR1 makes it fail as a real one might (used by `runbook-tui demo --break`, and
it says so in its log). With `--owner`, it stops when that process is gone: the demo's
service never outlives the demo.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import signal
import sqlite3
import sys
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

# Each schema version and the statements that reach it from the one before. Version 2
# only adds a column, so release v1 still runs on it: a rollback needs no restore.
MIGRATIONS: dict[int, tuple[str, ...]] = {
    1: (
        "CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT NOT NULL)",
        "CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER NOT NULL "
        "REFERENCES customers(id), total_cents INTEGER NOT NULL, created_at TEXT NOT NULL)",
    ),
    2: ("ALTER TABLE orders ADD COLUMN status TEXT NOT NULL DEFAULT 'paid'",),
}
OWNER_POLL_SECONDS = 0.5


def release_info(folder: Path | None = None) -> tuple[str, int]:
    """This release's name and the schema it needs, from the release.json beside it."""
    folder = folder or Path(__file__).resolve().parent
    try:
        info = json.loads((folder / "release.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        info = {}
    return str(info.get("release", "dev")), int(info.get("schema", max(MIGRATIONS)))


def schema_version(db: sqlite3.Connection) -> int:
    return int(db.execute("PRAGMA user_version").fetchone()[0])


def migrate(path: Path, target: int) -> list[str]:
    """Apply the migrations between the database's schema and `target`, each in one
    transaction; what was done, one line each."""
    done = []
    with contextlib.closing(sqlite3.connect(path)) as db:
        current = schema_version(db)
        for version in range(current + 1, target + 1):
            for statement in MIGRATIONS[version]:
                db.execute(statement)
            db.execute(f"PRAGMA user_version = {version}")
            db.commit()
            done.append(f"schema {version - 1} -> {version}: {'; '.join(MIGRATIONS[version])}")
    return done


def init(path: Path, target: int, seed: int = 13) -> None:
    """A new database at schema `target`, with a few customers and their orders (the
    same ones every time: `seed`)."""
    migrate(path, target)
    rng = random.Random(seed)
    names = ["ada", "grace", "edsger", "barbara", "ken", "margaret", "dennis", "frances"]
    with contextlib.closing(sqlite3.connect(path)) as db:
        db.executemany("INSERT INTO customers (id, name) VALUES (?, ?)", list(enumerate(names, 1)))
        orders = [
            (i, rng.randint(1, len(names)), rng.randint(199, 25_000), f"2026-11-{1 + i % 28:02d}")
            for i in range(1, 121)
        ]
        db.executemany(
            "INSERT INTO orders (id, customer_id, total_cents, created_at) VALUES (?, ?, ?, ?)",
            orders,
        )
        db.commit()


class Log:
    """The service's log file: one line per event, `<UTC time> <LEVEL> <message>`."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._file = path.open("a", encoding="utf-8", buffering=1)
        self._lock = threading.Lock()

    def write(self, level: str, message: str) -> None:
        stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
        with self._lock:
            self._file.write(f"{stamp} {level} {message}\n")


class Shop:
    """What the handler needs: the database, the log, the release, and whether a
    failure was asked for."""

    def __init__(self, db: Path, log: Log, release: str) -> None:
        self.db = db
        self.log = log
        self.release = release
        self.started = time.monotonic()

    def health(self) -> tuple[int, dict[str, object]]:
        uri = f"file:{self.db}?mode=ro"
        try:
            with contextlib.closing(sqlite3.connect(uri, uri=True, timeout=2)) as db:
                orders = db.execute("SELECT count(*) FROM orders").fetchone()[0]
                schema = schema_version(db)
        except sqlite3.Error as exc:
            self.log.write("ERROR", f"health check: the database does not read: {exc}")
            return 503, {"status": "failing", "error": str(exc), "release": self.release}
        return 200, {
            "status": "ok",
            "release": self.release,
            "schema": schema,
            "orders": orders,
            "pid": os.getpid(),
            "uptime_seconds": round(time.monotonic() - self.started, 1),
        }


def handler_for(shop: Shop) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            began = time.monotonic()
            if self.path == "/health":
                status, doc = shop.health()
                body = (json.dumps(doc, indent=1) + "\n").encode()
                kind = "application/json"
            elif self.path == "/":
                status, body = 200, f"demo shop, release {shop.release}\n".encode()
                kind = "text/plain"
            else:
                status, body, kind = 404, b"not found\n", "text/plain"
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            took = (time.monotonic() - began) * 1000
            level = "INFO" if status < 500 else "ERROR"
            shop.log.write(level, f"GET {self.path} {status} {took:.1f}ms")

        def log_message(self, format: str, *args: object) -> None:
            """The shop writes its own log (above); http.server's goes to stderr."""

    return Handler


def serve(port: int, db: Path, log_path: Path, owner: int | None) -> int:
    log = Log(log_path)
    name, needs = release_info()
    with contextlib.closing(sqlite3.connect(db)) as conn:
        schema = schema_version(conn)
    if schema < needs:
        log.write(
            "ERROR",
            f"release {name} needs database schema {needs}, found {schema}: "
            "run its migration first; not starting",
        )
        return 1
    shop = Shop(db, log, name)
    server = ThreadingHTTPServer(("127.0.0.1", port), handler_for(shop))
    server.daemon_threads = True

    def stop(reason: str) -> None:
        log.write("INFO", f"stopping: {reason}")
        threading.Thread(target=server.shutdown, daemon=True).start()

    def fail(*_: object) -> None:
        """A crash as a real service has one: it says why in its log, then dies."""
        log.write(
            "ERROR",
            "database connection pool exhausted (0 of 4 free); requests are failing "
            "[this failure was made by `runbook-tui demo --break`]",
        )
        log.write("FATAL", "worker crashed; the shop is down")
        os._exit(70)

    signal.signal(signal.SIGTERM, lambda *_: stop("SIGTERM"))
    signal.signal(signal.SIGUSR1, fail)
    if owner is not None:
        threading.Thread(target=_watch_owner, args=(owner, stop), daemon=True).start()
    log.write("INFO", f"release {name} listening on 127.0.0.1:{port} (pid {os.getpid()})")
    server.serve_forever(poll_interval=0.2)
    server.server_close()
    log.write("INFO", "stopped")
    return 0


def _watch_owner(owner: int, stop: Callable[[str], None]) -> None:
    """Stop once the process that owns this service (the demo) is gone."""
    while True:
        try:
            os.kill(owner, 0)
        except ProcessLookupError:
            stop(f"the demo that started it (pid {owner}) has exited")
            return
        except PermissionError:
            pass
        time.sleep(OWNER_POLL_SECONDS)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="shop.py", description="The demo's web service.")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("serve")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--db", type=Path, required=True)
    p.add_argument("--log", type=Path, required=True)
    p.add_argument("--owner", type=int)
    for name in ("migrate", "init"):
        sub.add_parser(name).add_argument("--db", type=Path, required=True)
    args = parser.parse_args(argv)
    target = release_info()[1]
    if args.command == "serve":
        return serve(args.port, args.db, args.log, args.owner)
    if args.command == "init":
        init(args.db, target)
        return 0
    done = migrate(args.db, target)
    for line in done:
        print(line)
    if not done:
        print(f"the database is already at schema {target}; nothing to do")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
