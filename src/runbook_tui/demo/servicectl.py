"""`bin/servicectl`: the demo sandbox's stand-in for `systemctl` and `curl`.

Standard library only, and self-contained: the sandbox copies this file to
`<sandbox>/bin/servicectl` (with the demo's Python in its `#!` line), and the demo's
runbooks call it as a real runbook calls `systemctl restart shop`. The sandbox is the
folder above `bin/`; its port is in `<sandbox>/sandbox.json`.

    servicectl start | stop | restart    the shop process (`service/current/shop.py`)
    servicectl status                    running or not, which release; exit 3 when stopped
    servicectl health                    GET /health, print the answer; exit 0 only on 200
    servicectl backup                    an online backup of the database into backups/
    servicectl migrate RELEASE           bring the database to RELEASE's schema
    servicectl break                     make the running shop crash (the incident drill)
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

START_SECONDS = 15.0
STOP_SECONDS = 10.0
POLL_SECONDS = 0.05
# Not passed on to the shop: a service is not part of the step that started it.
_STEP_VARIABLES = ("RUNBOOK_TUI_SESSION", "RUNBOOK_TUI_STEP", "RUNBOOK_TUI_ATTEMPT")

Say = Callable[[str], None]


class Paths:
    """Where everything of one sandbox is."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.config = root / "sandbox.json"
        self.bin = root / "bin"
        self.service = root / "service"
        self.releases = self.service / "releases"
        self.current = self.service / "current"
        self.db = self.service / "data" / "shop.db"
        self.log = self.service / "logs" / "service.log"
        self.pidfile = self.service / "shop.pid"
        self.backups = root / "backups"

    def port(self) -> int:
        return int(json.loads(self.config.read_text(encoding="utf-8"))["port"])

    def release(self) -> str:
        """The release `current` points at."""
        return os.readlink(self.current).rsplit("/", 1)[-1] if self.current.is_symlink() else "?"


def running_pid(paths: Paths) -> int | None:
    """The pid of this sandbox's shop while it runs: the pid file's process, if its
    command line is this sandbox's shop (a reused pid is someone else's)."""
    try:
        pid = int(paths.pidfile.read_text().strip())
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except (OSError, ValueError):
        return None
    return pid if b"shop.py" in cmdline and str(paths.db).encode() in cmdline else None


def get_health(port: int, timeout: float = 2.0) -> tuple[int | None, str]:
    """The HTTP status of /health and its body; (None, why) when nothing answered."""
    url = f"http://127.0.0.1:{port}/health"
    try:
        with urllib.request.urlopen(url, timeout=timeout) as answer:
            return answer.status, answer.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode("utf-8", "replace")
    except (OSError, urllib.error.URLError) as exc:
        reason = getattr(exc, "reason", exc)
        return None, f"no answer from {url}: {reason}"


def _wait(until: Callable[[], bool], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if until():
            return True
        time.sleep(POLL_SECONDS)
    return until()


def _log_tail(paths: Paths, lines: int = 8) -> str:
    try:
        with paths.log.open("rb") as f:
            f.seek(max(0, f.seek(0, os.SEEK_END) - 64 * 1024))
            text = f.read().decode("utf-8", "replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


def start(paths: Paths, say: Say = print) -> int:
    pid = running_pid(paths)
    if pid is not None:
        say(f"the shop is already running (pid {pid}, release {paths.release()})")
        return 0
    port = paths.port()
    argv = [sys.executable, str(paths.current / "shop.py"), "serve", "--port", str(port)]
    argv += ["--db", str(paths.db), "--log", str(paths.log)]
    owner = os.environ.get("DEMO_OWNER_PID", "")
    if owner.isdigit():
        argv += ["--owner", owner]
    env = {k: v for k, v in os.environ.items() if k not in _STEP_VARIABLES}
    paths.log.parent.mkdir(parents=True, exist_ok=True)
    # The shop writes its own log; what it prints (a traceback) goes there too.
    with paths.log.open("a") as out:
        proc = subprocess.Popen(
            argv,
            cwd=paths.service,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=out,
            start_new_session=True,
        )
    paths.pidfile.write_text(f"{proc.pid}\n")
    answered = _wait(
        lambda: proc.poll() is not None or get_health(port, 1.0)[0] == 200, START_SECONDS
    )
    if proc.poll() is not None:
        say(f"the shop exited at start (status {proc.returncode}); the end of its log:")
        say(_log_tail(paths))
        return 1
    if not answered:
        say(f"the shop (pid {proc.pid}) did not answer /health within {START_SECONDS:g}s")
        return 1
    say(f"started the shop: release {paths.release()}, pid {proc.pid}, 127.0.0.1:{port}")
    return 0


def stop(paths: Paths, say: Say = print) -> int:
    pid = running_pid(paths)
    if pid is None:
        paths.pidfile.unlink(missing_ok=True)
        say("the shop is not running")
        return 0
    os.kill(pid, signal.SIGTERM)
    if not _wait(lambda: running_pid(paths) is None, STOP_SECONDS):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        _wait(lambda: running_pid(paths) is None, STOP_SECONDS)
    paths.pidfile.unlink(missing_ok=True)
    say(f"stopped the shop (pid {pid})")
    return 0


def status(paths: Paths, say: Say = print) -> int:
    pid = running_pid(paths)
    if pid is None:
        say(f"the shop is not running (release {paths.release()} is current)")
        return 3
    code, body = get_health(paths.port())
    say(f"the shop is running: pid {pid}, release {paths.release()}, 127.0.0.1:{paths.port()}")
    say(f"health: {code if code is not None else body}")
    return 0 if code == 200 else 1


def health(paths: Paths, say: Say = print) -> int:
    code, body = get_health(paths.port())
    say(body.rstrip("\n") if code is not None else body)
    return 0 if code == 200 else 1


def backup(paths: Paths, say: Say = print) -> int:
    """An online backup (SQLite's backup API: consistent while the shop writes), named
    by its UTC time, with the row count of each table beside it (`.counts`)."""
    paths.backups.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    target, n = paths.backups / f"shop-{stamp}.db", 1
    while target.exists():
        n += 1
        target = paths.backups / f"shop-{stamp}-{n}.db"
    partial = target.with_name(target.name + ".partial")
    source = sqlite3.connect(f"file:{paths.db}?mode=ro", uri=True)
    copy = sqlite3.connect(partial)
    try:
        source.backup(copy)
        tables = [row[0] for row in copy.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
        )]  # fmt: skip
        counts = {t: copy.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}
    finally:
        source.close()
        copy.close()
    target.with_suffix(".counts").write_text("".join(f"{t} {c}\n" for t, c in counts.items()))
    # Only a whole backup gets the name the backups glob matches.
    os.replace(partial, target)
    rows = ", ".join(f"{c} {t}" for t, c in counts.items())
    say(f"backed up {rows} to backups/{target.name} ({target.stat().st_size} bytes)")
    return 0


def migrate(paths: Paths, release: str, say: Say = print) -> int:
    shop = paths.releases / release / "shop.py"
    if not shop.is_file():
        known = ", ".join(sorted(p.name for p in paths.releases.iterdir()))
        say(f"no release {release} in service/releases (there are: {known})")
        return 2
    done = subprocess.run([sys.executable, str(shop), "migrate", "--db", str(paths.db)])
    return done.returncode


def crash(paths: Paths, say: Say = print) -> int:
    pid = running_pid(paths)
    if pid is None:
        say("the shop is not running; nothing to break")
        return 1
    os.kill(pid, signal.SIGUSR1)
    _wait(lambda: running_pid(paths) is None, STOP_SECONDS)
    say(f"the shop (pid {pid}) crashed, as asked; its log says why")
    return 0


def main(argv: list[str], root: Path | None = None) -> int:
    paths = Paths(root or Path(__file__).resolve().parent.parent)
    commands: dict[str, Callable[[Paths], int]] = {
        "start": start,
        "stop": stop,
        "restart": lambda p: stop(p) or start(p),
        "status": status,
        "health": health,
        "backup": backup,
        "break": crash,
    }
    if len(argv) == 2 and argv[0] == "migrate":
        return migrate(paths, argv[1])
    if len(argv) != 1 or argv[0] not in commands:
        print(__doc__.split("\n\n")[2], file=sys.stderr)
        return 2
    return commands[argv[0]](paths)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
