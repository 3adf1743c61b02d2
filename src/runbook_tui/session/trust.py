"""Consent to a runbook's check and log commands, remembered in the state home.

`<home>/trust.json` (0600) lists the runbooks, by the sha256 of their file, whose
`command` checks and `command` logs an operator allowed in the walk:

    {"format": 1, "runbooks": {"<sha256>": {"sha256": "<sha256>", "when": "<ISO time>",
                                            "operator": "<name>",
                                            "path": "<the file, as it was then>"}}}

Each entry holds the issue's keys, `sha256`, `when` and `operator` (and the path, for
whoever reads the file). Entries written before this had `at` for `when`: `when_of`
reads both.

A changed runbook has another sha256, so it is asked about again. The file is replaced
atomically (a temporary file renamed over it), under a lock, so two walks allowing at
once both stay. A file that cannot be read as this (damaged, not JSON, too large)
counts as no consent: the tool's log says so, and the next `remember` sets it aside
as `trust.json.damaged` before writing a new one.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from runbook_tui.session.journal import fsync_dir, utc_timestamp

log = logging.getLogger(__name__)

TRUST_FILE = "trust.json"
FORMAT = 1
# Far more than any real list; a bigger file is not ours and is not read.
MAX_BYTES = 4 * 1024 * 1024


@dataclass(frozen=True)
class Trust:
    """What `trust.json` says: {sha256: {sha256, when, operator, path}}, and why it could not be
    read (`problem`, None when it could, or when there is no file yet)."""

    runbooks: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    problem: str | None = None

    def entry(self, sha256: str) -> Mapping[str, Any] | None:
        return self.runbooks.get(sha256)


def when_of(entry: Mapping[str, Any]) -> str:
    """When the entry's consent was given (`when`; `at` in files written before)."""
    return str(entry.get("when") or entry.get("at") or "")


def trust_path(home: str | os.PathLike[str]) -> Path:
    return Path(home) / TRUST_FILE


def read_trust(home: str | os.PathLike[str]) -> Trust:
    """The consents remembered in `home`. Never raises: a file that cannot be read
    is no consent, with the reason in `problem` (and in the tool's log)."""
    path = trust_path(home)
    try:
        with open(path, "rb") as f:
            data = f.read(MAX_BYTES + 1)
    except FileNotFoundError:
        return Trust()
    except OSError as exc:
        return _damaged(path, f"cannot read it: {exc.strerror or exc}")
    if len(data) > MAX_BYTES:
        return _damaged(path, f"it is larger than {MAX_BYTES} bytes")
    try:
        doc = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        return _damaged(path, f"it is not JSON ({exc})")
    runbooks = doc.get("runbooks") if isinstance(doc, dict) else None
    if not isinstance(runbooks, dict):
        return _damaged(path, 'it has no "runbooks" object')
    good = {
        sha: dict(entry)
        for sha, entry in runbooks.items()
        if isinstance(sha, str) and isinstance(entry, dict)
    }
    return Trust(good)


def _damaged(path: Path, why: str) -> Trust:
    problem = f"{path} is damaged ({why}); no runbook's commands count as allowed"
    log.warning("%s", problem)
    return Trust(problem=problem)


def is_trusted(home: str | os.PathLike[str], sha256: str | None) -> bool:
    """Whether an operator allowed the commands of the runbook whose file has `sha256`."""
    return bool(sha256) and read_trust(home).entry(str(sha256)) is not None


def remember(
    home: str | os.PathLike[str], sha256: str, operator: str, *, path: str = ""
) -> Mapping[str, Any]:
    """Record that `operator` allowed the commands of runbook `sha256` (`path`: the
    file, for whoever reads trust.json; pass it masked). Returns the entry written.
    Raises OSError when the state home cannot be written."""
    home = Path(home)
    entry = {"sha256": sha256, "when": utc_timestamp(), "operator": operator, "path": path}
    with _locked(home):
        current = read_trust(home)
        target = trust_path(home)
        if current.problem is not None:
            # Kept for whoever wants to look; the new file starts from nothing.
            with contextlib.suppress(OSError):
                os.replace(target, target.with_name(TRUST_FILE + ".damaged"))
                log.warning("set the damaged %s aside as %s.damaged", target, TRUST_FILE)
        runbooks = {**current.runbooks, sha256: entry}
        _write_atomically(target, {"format": FORMAT, "runbooks": runbooks})
    log.info("commands of runbook %s allowed by %s", sha256, operator)
    return entry


@contextlib.contextmanager
def _locked(home: Path) -> Iterator[None]:
    """One writer of trust.json at a time, across processes (released at exit)."""
    fd = os.open(home / (TRUST_FILE + ".lock"), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _write_atomically(target: Path, doc: Mapping[str, Any]) -> None:
    data = (json.dumps(doc, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
    fd, tmp = tempfile.mkstemp(prefix=".trust-", suffix=".tmp", dir=target.parent)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    fsync_dir(target.parent)
