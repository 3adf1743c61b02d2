"""Facts about where a session ran and from what: recorded in its first event."""

from __future__ import annotations

import getpass
import hashlib
import os
import re
import socket
from pathlib import Path


def file_sha256(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


_OBJECT_ID = re.compile(r"[0-9a-f]{40}(?:[0-9a-f]{24})?")
_MAX_REF_FILE = 4096


def head_commit(path: str | Path) -> str | None:
    """The commit HEAD names in the git repository holding `path`, read from the files
    under `.git` without running git (no hook, fsmonitor, filter or pager of the
    repository's configuration can run): a loose ref, `packed-refs`, a detached HEAD,
    a linked worktree (`.git` file with `gitdir:`, and its `commondir`). None outside
    a repository, on an unborn branch, with a ref storage this does not read
    (reftable), or on any error; never raises."""
    try:
        gitdir = _find_gitdir(Path(path).resolve().parent)
        if gitdir is None:
            return None
        common = gitdir
        commondir = gitdir / "commondir"
        if commondir.is_file():
            common = (gitdir / _read_small(commondir).strip()).resolve()
        return _resolve(gitdir, common, "HEAD")
    except (OSError, ValueError, UnicodeDecodeError):
        return None


def _find_gitdir(folder: Path) -> Path | None:
    for directory in (folder, *folder.parents):
        dot_git = directory / ".git"
        if dot_git.is_dir():
            return dot_git
        if dot_git.is_file():
            text = _read_small(dot_git).strip()
            if not text.startswith("gitdir:"):
                return None
            target = Path(text[len("gitdir:") :].strip())
            return (directory / target).resolve() if not target.is_absolute() else target
    return None


def _resolve(gitdir: Path, common: Path, name: str) -> str | None:
    """Follow symbolic refs (at most a few) to an object id."""
    for _ in range(5):
        value = _ref_value(gitdir, common, name)
        if value is None:
            return None
        if value.startswith("ref:"):
            name = value[len("ref:") :].strip()
            if not _safe_ref(name):
                return None
            continue
        return value if _OBJECT_ID.fullmatch(value) else None
    return None


def _ref_value(gitdir: Path, common: Path, name: str) -> str | None:
    # HEAD and refs/worktree, refs/bisect live in a worktree's own gitdir; branches
    # and tags in the common dir, loose or packed.
    for base in dict.fromkeys((gitdir, common)):
        loose = base / name
        if loose.is_file():
            return _read_small(loose).strip()
    if name == "HEAD":
        return None
    packed = common / "packed-refs"
    if packed.is_file():
        with open(packed, encoding="utf-8") as handle:
            for line in handle:
                if line.startswith(("#", "^")):
                    continue
                object_id, _, ref = line.rstrip("\n").partition(" ")
                if ref == name:
                    return object_id
    return None


def _safe_ref(name: str) -> bool:
    """A ref name that stays inside the git directory."""
    parts = name.split("/")
    return (name == "HEAD" or name.startswith("refs/")) and all(
        part not in ("", ".", "..") for part in parts
    )


def _read_small(path: Path) -> str:
    with open(path, encoding="utf-8") as handle:
        return handle.read(_MAX_REF_FILE)


def operator() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return str(os.getuid())


def host() -> str:
    return socket.gethostname()
