"""Facts about where a session ran and from what: recorded in its first event."""

from __future__ import annotations

import getpass
import hashlib
import os
import socket
import subprocess
from pathlib import Path


def file_sha256(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def git_commit(path: str | Path) -> tuple[str | None, bool]:
    """(HEAD commit of the repository holding `path`, whether the file has local
    changes). (None, False) outside a repository or without git; never raises."""
    folder = Path(path).resolve().parent
    try:
        head = subprocess.run(
            ["git", "-C", str(folder), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=3,
            check=False,
        )
        if head.returncode != 0:
            return None, False
        dirty = subprocess.run(
            ["git", "-C", str(folder), "status", "--porcelain", "--", str(Path(path).resolve())],
            capture_output=True,
            text=True,
            timeout=3,
            check=False,
        )
        return head.stdout.strip() or None, bool(dirty.stdout.strip())
    except (OSError, subprocess.SubprocessError):
        return None, False


def operator() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return str(os.getuid())


def host() -> str:
    return socket.gethostname()
