"""Where sessions live: the state home, session directories and ids, the one-writer
lock, lookup by id prefix and the fast listing behind `runbook-tui sessions`.

Layout: `<home>/sessions/<id>/journal.jsonl` (0600) and `<home>/sessions/<id>/lock`
(0600), directories 0700. Ids are `YYYYMMDDTHHMMSSZ-xxxx` (UTC start time and a random
hex suffix), so they sort by start time and a short prefix is easy to type.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import re
import socket
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple

from runbook_tui.session.journal import fsync_dir, read_first_event, read_last_event_of
from runbook_tui.session.statuses import SESSION_LEVEL_EVENTS, SESSION_STATUSES, session_status

SESSIONS_DIR = "sessions"
JOURNAL_NAME = "journal.jsonl"
LOCK_NAME = "lock"

_ID_RE = re.compile(r"^\d{8}T\d{6}Z-[0-9a-f]{4,}$")
# How long `acquire` keeps trying before it reports the lock as held: `is_live` takes
# the lock for a moment to probe it, which must not make a real writer fail.
_ACQUIRE_PATIENCE = 0.3


class SessionError(Exception):
    """A session cannot be found, created or opened; the message is for the operator."""


class SessionNotFound(SessionError):
    pass


class SessionAmbiguous(SessionError):
    pass


class SessionLocked(SessionError):
    """Another live process holds the session's lock."""


class StateHomeError(SessionError):
    """The state folder cannot be used; the message says what is in the way."""


def state_home(override: str | os.PathLike[str] | None = None) -> Path:
    """`override` (the --home flag), else $RUNBOOK_TUI_HOME, else
    $XDG_STATE_HOME/runbook-tui, else ~/.local/state/runbook-tui. Created 0700 if
    missing, and so is every missing folder above it (`~/.local`, `~/.local/state`);
    an existing folder keeps its mode: it may be the operator's own. Raises
    StateHomeError naming what is in the way (a file, a broken symbolic link)."""
    home = home_path(override)
    try:
        _mkdir_private(home, parents=True)
    except OSError as exc:
        raise StateHomeError(_cannot_use(home, exc)) from exc
    return home


def home_path(override: str | os.PathLike[str] | None = None) -> Path:
    """Where the state home is, by the rule of `state_home`, without creating it (a
    reader that must not leave a folder behind, like `check --max-drill-age`)."""
    if override is not None and str(override) != "":
        return Path(override).expanduser().absolute()
    if os.environ.get("RUNBOOK_TUI_HOME"):
        return Path(os.environ["RUNBOOK_TUI_HOME"]).expanduser().absolute()
    return default_home()


def _cannot_use(home: Path, exc: OSError) -> str:
    """What is wrong with `home` (or the folders above it), for the operator."""
    for path in (home, *home.parents):
        what = _not_a_folder(path)
        if what is None:
            continue
        if path == home:
            return f"the state folder {home} {what}"
        return f"the state folder {home} cannot be created: {path} {what}"
    return f"the state folder {home} cannot be created: {exc.strerror or exc}"


def _not_a_folder(path: Path) -> str | None:
    """Why `path` is in the way of a folder there, or None (it is a folder, or absent)."""
    if path.is_symlink() and not path.exists():
        return f"is a broken symbolic link to {os.readlink(path)}"
    if path.exists() and not path.is_dir():
        if path.is_symlink():
            return f"is a symbolic link to {os.readlink(path)}, which is not a folder"
        return "is a file, not a folder"
    return None


def default_home() -> Path:
    """The state home when neither --home nor $RUNBOOK_TUI_HOME says otherwise (not
    created here)."""
    if os.environ.get("XDG_STATE_HOME") and os.path.isabs(os.environ["XDG_STATE_HOME"]):
        # The XDG spec says a relative value is invalid and must be ignored.
        return Path(os.environ["XDG_STATE_HOME"]) / "runbook-tui"
    return (Path.home() / ".local" / "state" / "runbook-tui").absolute()


def _mkdir_private(path: Path, parents: bool = False) -> bool:
    """mkdir 0700 (regardless of umask); False if it already existed. With `parents`,
    the missing folders above it are made 0700 too (not with the umask's default mode,
    which under umask 000 is 0777); existing ones are left as they are."""
    if parents:
        missing = []
        above = path.parent
        while not above.exists() and not above.is_symlink() and above != above.parent:
            missing.append(above)
            above = above.parent
        for folder in reversed(missing):
            _mkdir_private(folder)
    try:
        os.mkdir(path, 0o700)
    except FileExistsError:
        if not path.is_dir():
            raise
        return False
    os.chmod(path, 0o700)
    return True


def new_session_id(now: datetime | None = None) -> str:
    """`20261126T141500Z-3f9a`: UTC time then 4 random hex digits."""
    now = now or datetime.now(UTC)
    # os.urandom is what `secrets.token_hex` reads; importing `secrets` would load
    # hmac and OpenSSL before the UI's first frame.
    return now.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ") + "-" + os.urandom(2).hex()


def is_session_id(text: str) -> bool:
    return bool(_ID_RE.match(text))


class SessionDir(NamedTuple):
    """A session's folder in the state home, by id."""

    id: str
    path: Path

    @property
    def journal_path(self) -> Path:
        return self.path / JOURNAL_NAME

    @property
    def lock_path(self) -> Path:
        return self.path / LOCK_NAME


def sessions_root(home: str | os.PathLike[str]) -> Path:
    return Path(home) / SESSIONS_DIR


def create_session(
    home: str | os.PathLike[str], *, session_id: str | None = None, now: datetime | None = None
) -> SessionDir:
    """Make a new, empty session directory (0700) with a fresh id; the parent is
    fsync'd so the directory survives a crash. The caller then takes `SessionLock` and
    writes the journal with `Journal.create(sdir.journal_path, ...)`."""
    root = sessions_root(home)
    if _mkdir_private(root, parents=True):
        fsync_dir(root.parent)
    for _ in range(100):
        sid = session_id or new_session_id(now)
        path = root / sid
        try:
            os.mkdir(path, 0o700)
        except FileExistsError:
            if session_id is not None:
                raise SessionError(f"session {session_id} already exists") from None
            continue  # same second, same random suffix: draw again
        os.chmod(path, 0o700)
        fsync_dir(root)
        return SessionDir(sid, path)
    raise SessionError(f"could not find a free session id under {root}")


def discard_session(sdir: SessionDir) -> None:
    """Remove a session directory that never got its first journal line (a full disk,
    say), so nothing half-made is left to list as `interrupted`. Best effort: only the
    files this tool puts there are removed, and a failure to remove them is ignored."""
    for name in (JOURNAL_NAME, LOCK_NAME):
        with contextlib.suppress(FileNotFoundError, OSError):
            os.unlink(sdir.path / name)
    with contextlib.suppress(OSError):
        os.rmdir(sdir.path)
        fsync_dir(sdir.path.parent)


def session_dirs(home: str | os.PathLike[str]) -> list[SessionDir]:
    """Every session directory holding a journal, newest id first."""
    root = sessions_root(home)
    try:
        names = os.listdir(root)
    except FileNotFoundError:
        return []
    out = [
        SessionDir(name, root / name)
        for name in names
        if not name.startswith(".") and (root / name / JOURNAL_NAME).is_file()
    ]
    out.sort(key=lambda d: d.id, reverse=True)
    return out


def find_session(home: str | os.PathLike[str], id_or_prefix: str) -> SessionDir:
    """The session whose id is `id_or_prefix`, or the only one starting with it."""
    key = id_or_prefix.strip()
    if not key or "/" in key or key in (".", ".."):
        raise SessionNotFound(f"no session matches {id_or_prefix!r}")
    dirs = session_dirs(home)
    for d in dirs:
        if d.id == key:
            return d
    matches = [d for d in dirs if d.id.startswith(key)]
    if not matches:
        raise SessionNotFound(
            f"no session matches {id_or_prefix!r} in {sessions_root(home)}"
            " (see `runbook-tui sessions`)"
        )
    if len(matches) > 1:
        shown = ", ".join(d.id for d in matches[:5])
        more = f" and {len(matches) - 5} more" if len(matches) > 5 else ""
        raise SessionAmbiguous(
            f"{id_or_prefix!r} matches {len(matches)} sessions: {shown}{more}; type more of the id"
        )
    return matches[0]


# -- locking ---------------------------------------------------------------------------


class SessionLock:
    """One live writer per session: an exclusive `flock` on `<session>/lock`, held until
    `release()` or the process ends (the kernel drops it even on SIGKILL). The fd is
    O_CLOEXEC, so the steps' shells never inherit it and cannot outlive us holding it.
    The holder writes its pid and host into the file for the message others get."""

    def __init__(self, session_dir: str | os.PathLike[str] | SessionDir) -> None:
        path = session_dir.path if isinstance(session_dir, SessionDir) else Path(session_dir)
        self.session_dir = path
        self.path = path / LOCK_NAME
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(self) -> SessionLock:
        """Take the lock or raise SessionLocked naming the holder's pid and host."""
        if self._fd is not None:
            return self
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        except OSError as exc:
            raise SessionError(
                f"cannot open the lock of session {self.session_dir.name}: {exc.strerror or exc}"
            ) from exc
        try:
            os.fchmod(fd, 0o600)
            deadline = time.monotonic() + _ACQUIRE_PATIENCE
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except OSError as exc:
                    if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                        raise
                    if time.monotonic() >= deadline:
                        raise SessionLocked(self._held_message()) from None
                    time.sleep(0.02)
            info = json.dumps({"pid": os.getpid(), "host": socket.gethostname()})
            # Best effort: the flock is the lock; the pid only makes the message better
            # (and a full disk must not stop us from holding it).
            with contextlib.suppress(OSError):
                os.ftruncate(fd, 0)
                os.pwrite(fd, info.encode() + b"\n", 0)
        except BaseException:
            os.close(fd)
            raise
        self._fd = fd
        return self

    def release(self) -> None:
        """Drop the lock (idempotent). The file stays; its content is stale from now."""
        fd, self._fd = self._fd, None
        if fd is not None:
            with contextlib.suppress(OSError):
                fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

    def holder(self) -> tuple[int | None, str | None]:
        """(pid, host) written by the last holder; (None, None) if unreadable."""
        return _read_holder(self.path)

    def _held_message(self) -> str:
        # The holder writes its pid right after it gets the lock: give it a moment.
        pid, host = _read_holder(self.path)
        for _ in range(10):
            if pid is not None:
                break
            time.sleep(0.02)
            pid, host = _read_holder(self.path)
        who = f"pid {pid} on host {host}" if pid is not None else "pid unknown"
        return f"session {self.session_dir.name} is open in another runbook-tui process ({who})"

    def __enter__(self) -> SessionLock:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()


def _read_holder(path: Path) -> tuple[int | None, str | None]:
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
        return int(info["pid"]), str(info.get("host") or "?")
    except (OSError, ValueError, KeyError, TypeError):
        return None, None


def is_live(session_dir: str | os.PathLike[str] | SessionDir) -> bool:
    """Whether some process (this one included) holds the session's lock now. Probes
    with a shared non-blocking flock; never creates the lock file."""
    path = session_dir.path if isinstance(session_dir, SessionDir) else Path(session_dir)
    try:
        fd = os.open(path / LOCK_NAME, os.O_RDONLY | os.O_CLOEXEC)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except OSError as exc:
        if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
            return True
        raise
    finally:
        os.close(fd)  # closing drops our probe lock
    return False


# -- listing ---------------------------------------------------------------------------


class SessionSummary(NamedTuple):
    """What `sessions` lists of one session, read from its journal."""

    id: str
    path: Path
    runbook_path: str
    title: str
    kind: str | None
    status: str  # one of SESSION_STATUSES
    drill: bool
    started_at: str | None
    ended_at: str | None
    operator: str | None
    host: str | None = None
    live: bool = False
    end_reason: str | None = None
    problems: tuple[str, ...] = ()
    # A drill's verdict as its last `session_ended` recorded it (session/drills.py
    # reads it); None while it is open, or for an ordinary session.
    drill_verdict: Mapping[str, Any] | None = None

    def to_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "runbook_path": self.runbook_path,
            "title": self.title,
            "kind": self.kind,
            "status": self.status,
            "drill": self.drill,
            "started_at": self.started_at,
            "ended_at": self.ended_at,
            "operator": self.operator,
            "host": self.host,
            "live": self.live,
            "end_reason": self.end_reason,
            "path": str(self.path),
        }


def summarize_session(sdir: SessionDir) -> SessionSummary:
    """Status and header of one session from its first line and its last session-level
    event (found scanning backwards, skipping output unparsed): no full fold.

    Status: the last session-level event decides, by the fold's own rule
    (`session_status`): an ended session has the status it was ended with; otherwise it
    is `running` if a process holds its lock, else `interrupted`."""
    problems: list[str] = []
    live = is_live(sdir)
    try:
        first = read_first_event(sdir.journal_path)
        last = read_last_event_of(sdir.journal_path, SESSION_LEVEL_EVENTS)
    except OSError as exc:
        first, last = None, None
        problems.append(f"cannot read journal: {exc.strerror or exc}")
    if first is None or first.get("type") != "session_started":
        problems.append("journal has no valid session_started first line")
        first = {}
    runbook = first.get("runbook") if isinstance(first.get("runbook"), dict) else {}
    ended = last if last is not None and last.get("type") == "session_ended" else None
    status = session_status(last, live)
    if status not in SESSION_STATUSES:
        problems.append(f"unknown session status {status!r}")
    return SessionSummary(
        id=sdir.id,
        path=sdir.path,
        runbook_path=str(runbook.get("path") or ""),
        title=str(runbook.get("title") or runbook.get("path") or "?"),
        kind=runbook.get("kind"),
        status=status,
        drill=bool(first.get("drill", False)),
        started_at=first.get("started_at") or first.get("ts"),
        ended_at=ended.get("ts") if ended is not None else None,
        operator=first.get("operator"),
        host=first.get("host"),
        live=live,
        end_reason=(ended.get("reason") or None) if ended is not None else None,
        problems=tuple(problems),
        drill_verdict=_verdict(ended),
    )


def _verdict(ended: Mapping[str, Any] | None) -> Mapping[str, Any] | None:
    drill = ended.get("drill") if ended is not None else None
    return drill if isinstance(drill, Mapping) else None


def list_sessions(home: str | os.PathLike[str]) -> list[SessionSummary]:
    """All sessions under `home`, newest first (by start time, then id)."""
    out = [summarize_session(d) for d in session_dirs(home)]
    out.sort(key=lambda s: (s.started_at or "", s.id), reverse=True)
    return out
