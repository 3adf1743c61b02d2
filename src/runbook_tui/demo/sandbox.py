"""The demo's sandbox: a small real system for the bundled runbooks to work on.

```
<sandbox>/                  0700, also the demo's state home (its sessions, its log)
  sandbox.json              the port, chosen free when the sandbox is made, kept
  bin/servicectl, bin/sql   the sandbox's tools (servicectl.py, sql.py), run by its Python
  service/
    releases/v1/, v2/       shop.py and release.json: two releases, so deploys are real
    current -> releases/v1  the release that runs
    data/shop.db            SQLite: customers and orders
    logs/service.log        the shop's log
    shop.pid                while it runs
  backups/shop-*.db         online backups (SQLite's backup API), each with its .counts
  sessions/                 the demo's sessions (the state home's usual layout)
```

Runbooks never hold a port or a path of the sandbox: `environment()` hands them over
as DEMO_SANDBOX and DEMO_PORT, so a runbook's text (and its sha256) is the same in
every sandbox and a resumed session does not warn that it changed.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from runbook_tui.demo import servicectl, shop
from runbook_tui.demo.servicectl import Paths

FORMAT = 1
# Each release and the database schema it needs.
RELEASES = (("v1", 1), ("v2", 2))
FIRST_RELEASE = RELEASES[0][0]
TOOLS = (("servicectl", "servicectl.py"), ("sql", "sql.py"))
HERE = Path(__file__).resolve().parent

Say = Callable[[str], None]


class SandboxBusy(Exception):
    """Another demo holds this sandbox."""


@dataclass(frozen=True)
class Sandbox:
    paths: Paths
    port: int

    @property
    def root(self) -> Path:
        return self.paths.root

    def environment(self) -> dict[str, str]:
        """What the demo's runbooks (and the sandbox's tools) read: where the sandbox
        is, its port, and the demo's pid (the shop stops when that process is gone)."""
        return {
            "DEMO_SANDBOX": str(self.root),
            "DEMO_PORT": str(self.port),
            "DEMO_OWNER_PID": str(os.getpid()),
        }

    def servicectl(self, *args: str, say: Say = print) -> int:
        """Run the sandbox's `bin/servicectl` as a runbook would (so the shop is not
        this process's child), passing on what it prints."""
        done = subprocess.run(
            [str(self.paths.bin / "servicectl"), *args],
            env={**os.environ, **self.environment()},
            cwd=self.root,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
        )
        for line in (done.stdout + done.stderr).splitlines():
            say(line)
        return done.returncode


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def port_free(port: int) -> bool:
    """Whether the shop could listen on `port`. It binds as the shop does (http.server
    sets SO_REUSEADDR): the connections the last shop closed linger in TIME_WAIT for a
    minute, and would otherwise read as taken, moving the sandbox to a new port under
    the sessions that recorded the old one."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _private_dir(path: Path) -> None:
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(path, 0o700)


def _install_code(paths: Paths) -> None:
    """The tools and the releases' code, from this package: rewritten on every open,
    so a sandbox made by an older runbook-tui runs this one's code."""
    paths.bin.mkdir(exist_ok=True)
    # The tools run with the demo's own Python, whatever `python3` on PATH is.
    shebang = f"#!{sys.executable}\n" if " " not in sys.executable else "#!/usr/bin/env python3\n"
    for name, source in TOOLS:
        target = paths.bin / name
        target.write_text(shebang + (HERE / source).read_text(encoding="utf-8"))
        target.chmod(0o755)
    for release, schema in RELEASES:
        folder = paths.releases / release
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(HERE / "shop.py", folder / "shop.py")
        info = {"release": release, "schema": schema}
        (folder / "release.json").write_text(json.dumps(info) + "\n")


def _write_config(paths: Paths, port: int) -> None:
    config = {"format": FORMAT, "port": port, "created_at": datetime.now(UTC).isoformat()}
    if paths.config.exists():
        config["created_at"] = _read_config(paths).get("created_at", config["created_at"])
    paths.config.write_text(json.dumps(config, indent=2) + "\n")


def _read_config(paths: Paths) -> dict[str, object]:
    try:
        config = json.loads(paths.config.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return config if isinstance(config, dict) else {}


def create(root: Path) -> Sandbox:
    """A new sandbox in `root` (anything there before is removed): the releases, the
    database with its orders, its first backup, and a free port."""
    remove(root)
    _private_dir(root)
    paths = Paths(root)
    _install_code(paths)
    os.symlink(f"releases/{FIRST_RELEASE}", paths.current)
    paths.db.parent.mkdir(parents=True)
    shop.init(paths.db, dict(RELEASES)[FIRST_RELEASE])
    paths.log.parent.mkdir(parents=True)
    paths.log.touch()
    port = free_port()
    _write_config(paths, port)
    servicectl.backup(paths, say=lambda _: None)
    return Sandbox(paths, port)


def ensure(root: Path) -> Sandbox:
    """The sandbox in `root`, made when there is none (or one of another format); its
    code refreshed; a new port when its own was taken meanwhile by something else."""
    paths = Paths(root)
    config = _read_config(paths)
    if config.get("format") != FORMAT or not paths.db.is_file():
        return create(root)
    _install_code(paths)
    port = int(config["port"])  # type: ignore[call-overload]
    if servicectl.running_pid(paths) is None and not port_free(port):
        port = free_port()
        _write_config(paths, port)
    return Sandbox(paths, port)


def remove(root: Path) -> None:
    """Stop the sandbox's shop and delete the sandbox."""
    if not root.exists():
        return
    with contextlib.suppress(OSError, ValueError, KeyError):
        servicectl.stop(Paths(root), say=lambda _: None)
    shutil.rmtree(root)


def stop_service(root: Path, say: Say = print) -> None:
    """Stop the shop of the sandbox in `root`, if there is one and it runs."""
    paths = Paths(root)
    if paths.config.exists() and servicectl.running_pid(paths) is not None:
        servicectl.stop(paths, say=say)


@contextlib.contextmanager
def locked(root: Path) -> Iterator[None]:
    """Hold the sandbox for one demo at a time (a lock file beside it, so removing the
    sandbox does not remove the lock). Raises SandboxBusy."""
    _private_dir(root.parent)
    lock = root.parent / f"{root.name}.lock"
    fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "?"
            raise SandboxBusy(
                f"the demo sandbox {root} is open in another demo (pid {holder})"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield
    finally:
        os.close(fd)
