"""Backup sets: a glob of backup files (`path`) or a restic repository (`restic`).

States: `missing` (nothing there), `stale` (the newest is older than `max_age`, or
fewer than `min_count` exist: the reasons in the detail), `error` (the look failed:
the reason, e.g. a wrong restic password), else `ok`.

restic is asked `restic snapshots --json --no-lock` (no lock: looking must not write
to the repository). The repository and the password reach it in its environment
(`RESTIC_REPOSITORY`, `RESTIC_PASSWORD` from `password_env`, or
`RESTIC_PASSWORD_FILE` from `password_file`), never in its argument list, and the
password is never logged. Its JSON is read as it streams, one snapshot at a time, and
only each snapshot's `time` is used: Debian's restic 0.14 writes no `summary`.
"""

from __future__ import annotations

import codecs
import glob
import json
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from runbook_tui.runbook.durations import format_duration
from runbook_tui.runbook.model import BackupSet
from runbook_tui.sources.child_process import ChildProcess
from runbook_tui.sources.readings import BackupReading, BackupState, RestoreDrill

# A path set is a glob and a stat per file: cheap to look at often. A restic set asks
# the repository (over the network, perhaps), so once a minute. Both look again as
# soon as a step ends (recorder.py).
PATH_INTERVAL = 15.0
RESTIC_INTERVAL = 60.0
DEFAULT_TIMEOUT = 30.0
# restic's own settings that would override ours (or leak into the check).
_RESTIC_ENV = (
    "RESTIC_REPOSITORY",
    "RESTIC_REPOSITORY_FILE",
    "RESTIC_PASSWORD",
    "RESTIC_PASSWORD_FILE",
    "RESTIC_PASSWORD_COMMAND",
)

RestoreLookup = Callable[[str], RestoreDrill | None]


@dataclass(frozen=True)
class Inventory:
    """What a look found: None for newest when nothing was found; `error` when the
    look itself failed."""

    count: int = 0
    newest_at: float | None = None
    total_bytes: int | None = None
    error: str | None = None
    nothing: str = "nothing found"  # the detail of `missing`


class BackupCheck:
    """One declared backup set, its target already expanded (see expand.py)."""

    kind = "backup"
    runs_command = False
    command = None

    def __init__(
        self,
        backup: BackupSet,
        *,
        target: str | None = None,
        password_file: str | None = None,
        values: Mapping[str, str] | None = None,
        cwd: str | None = None,
        restore_lookup: RestoreLookup | None = None,
        note: str = "",
    ) -> None:
        self.backup = backup
        self.name = backup.name
        self.target = backup.target if target is None else target
        self.password_file = backup.password_file if password_file is None else password_file
        self.values = dict(os.environ if values is None else values)
        self.cwd = cwd
        self.restore_lookup = restore_lookup
        self.note = note
        self.interval = RESTIC_INTERVAL if backup.source == "restic" else PATH_INTERVAL
        self.timeout = DEFAULT_TIMEOUT
        self._child = ChildProcess()

    def poll(self) -> BackupReading:
        try:
            if self.backup.source == "restic":
                found = self._restic()
            else:
                found = inventory_paths(self.target, self.cwd)
        except Exception as exc:  # a look that breaks says so and keeps being polled
            found = Inventory(error=f"{type(exc).__name__}: {exc}")
        return self._reading(found)

    def overdue(self, seconds: float) -> BackupReading:
        return self._reading(Inventory(error=f"still looking after {seconds:.0f}s"))

    def close(self) -> None:
        self._child.kill()

    def _reading(self, found: Inventory) -> BackupReading:
        now = time.time()
        state, detail = judge(found, now, self.backup.max_age_seconds, self.backup.min_count)
        if self.note:
            detail = f"{self.note}; {detail}" if detail else self.note
        drill = None
        if self.restore_lookup is not None:
            try:
                drill = self.restore_lookup(self.name)
            except Exception as exc:  # the evidence of drills must not hide the backup's
                detail = f"{detail}; restore drills unreadable: {exc}".lstrip("; ")
        return BackupReading(
            name=self.name,
            state=state,
            newest_at=found.newest_at,
            age_seconds=None if found.newest_at is None else max(0.0, now - found.newest_at),
            count=found.count,
            total_bytes=found.total_bytes,
            last_restore_drill=drill,
            detail=detail,
            checked_at=now,
        )

    def _restic(self) -> Inventory:
        env = {k: v for k, v in self.values.items() if k not in _RESTIC_ENV}
        env["RESTIC_REPOSITORY"] = self.target
        if self.backup.password_env:
            password = self.values.get(self.backup.password_env)
            if not password:
                return Inventory(error=f"password_env {self.backup.password_env} is not set")
            env["RESTIC_PASSWORD"] = password
        elif self.password_file:
            path = Path(self.password_file).expanduser()
            if not path.is_absolute() and self.cwd:
                path = Path(self.cwd) / path
            if not path.is_file():
                return Inventory(error=f"password_file {self.password_file}: no such file")
            env["RESTIC_PASSWORD_FILE"] = str(path)
        scan = SnapshotScan()
        done = self._child.run(
            ["restic", "snapshots", "--json", "--no-lock", "--quiet"],
            env=env,
            cwd=self.cwd,
            timeout=self.timeout,
            on_stdout=scan.feed,
        )
        if done.error:
            return Inventory(error=done.error)
        if done.killed:
            return Inventory(error="stopped")
        if done.timed_out:
            return Inventory(error=f"restic did not finish within {self.timeout:g}s")
        if done.exit_code != 0:
            return Inventory(error="restic: " + _restic_error(done.stderr_tail, done.exit_code))
        problem = scan.finish()
        if problem:
            return Inventory(error=f"restic: {problem}")
        return Inventory(count=scan.count, newest_at=scan.newest, nothing="no snapshots")


def _restic_error(stderr: bytes, code: int | None) -> str:
    """restic's reason: its last `Fatal:` line (a hint may follow it), else its last
    line."""
    lines = [ln.strip() for ln in stderr.decode("utf-8", "replace").splitlines() if ln.strip()]
    fatal = [ln for ln in lines if ln.startswith("Fatal: ")]
    if fatal:
        return fatal[-1].removeprefix("Fatal: ")
    return lines[-1] if lines else f"exit {code}"


def judge(
    found: Inventory, now: float, max_age: float | None, min_count: int | None
) -> tuple[BackupState, str]:
    """The state and its reasons."""
    if found.error is not None:
        return "error", found.error
    if found.count == 0 or found.newest_at is None:
        return "missing", found.nothing
    reasons = []
    age = max(0.0, now - found.newest_at)
    if max_age is not None and age > max_age:
        reasons.append(f"newest is {age_text(age)} old, max_age {format_duration(max_age)}")
    if min_count is not None and found.count < min_count:
        reasons.append(f"{found.count} found, min_count {min_count}")
    if reasons:
        return "stale", "; ".join(reasons)
    return "ok", ""


def age_text(seconds: float) -> str:
    """A rounded age: `3d 4h`, `2h 5m`, `4m 10s`, `12s`."""
    s = int(seconds)
    for unit, size, sub, subsize in (("d", 86400, "h", 3600), ("h", 3600, "m", 60)):
        if s >= size:
            rest = (s % size) // subsize
            return f"{s // size}{unit} {rest}{sub}" if rest else f"{s // size}{unit}"
    if s >= 60:
        return f"{s // 60}m {s % 60}s" if s % 60 else f"{s // 60}m"
    return f"{s}s"


# -- path globs ------------------------------------------------------------------------


def inventory_paths(pattern: str, cwd: str | None = None) -> Inventory:
    """Every match of the glob (`**` spans folders; `~` is the home): how many, the
    newest modification time, the total size of the matched files. A matched folder
    counts as one backup at its own time; its contents are not added up (that could
    mean walking millions of files). Broken symbolic links do not count."""
    expanded = os.path.expanduser(pattern)
    if not os.path.isabs(expanded) and cwd:
        expanded = os.path.join(cwd, expanded)
    count = 0
    total = 0
    newest: float | None = None
    for path in glob.iglob(expanded, recursive=True):
        try:
            st = os.stat(path)
        except OSError:
            continue
        count += 1
        if os.path.isfile(path):
            total += st.st_size
        if newest is None or st.st_mtime > newest:
            newest = st.st_mtime
    return Inventory(
        count=count, newest_at=newest, total_bytes=total, nothing=f"nothing matches {pattern}"
    )


# -- restic ----------------------------------------------------------------------------


class SnapshotScan:
    """Reads `restic snapshots --json` as it streams (a JSON list of snapshot objects),
    keeping only the count and the newest `time`, so memory stays that of one snapshot."""

    MAX_PENDING = 16 * 1024 * 1024

    def __init__(self) -> None:
        self.count = 0
        self.newest: float | None = None
        self._decoder = codecs.getincrementaldecoder("utf-8")("replace")
        self._json = json.JSONDecoder()
        self._buf = ""
        self._opened = False
        self._closed = False
        self.problem: str | None = None

    def feed(self, data: bytes) -> None:
        if self.problem is not None:
            return
        self._buf += self._decoder.decode(data)
        self._consume()
        if len(self._buf) > self.MAX_PENDING:
            self.problem = "a snapshot in the JSON is too large to read"
            self._buf = ""

    def finish(self) -> str | None:
        """Why the output was not a full snapshot list, or None."""
        self._buf += self._decoder.decode(b"", final=True)
        self._consume()
        if self.problem is None and (not self._closed or self._buf.strip()):
            self.problem = "its JSON output was cut short or not a list of snapshots"
        return self.problem

    def _consume(self) -> None:
        buf = self._buf
        pos = 0
        while self.problem is None:
            while pos < len(buf) and buf[pos] in " \t\r\n,":
                pos += 1
            if pos >= len(buf):
                break
            if self._closed:
                self.problem = "unexpected text after the snapshot list"
                break
            if not self._opened:
                if buf[pos] != "[":
                    self.problem = "its output is not a JSON list"
                    break
                self._opened = True
                pos += 1
                continue
            if buf[pos] == "]":
                self._closed = True
                pos += 1
                continue
            try:
                item, end = self._json.raw_decode(buf, pos)
            except json.JSONDecodeError:
                break  # incomplete: wait for more
            pos = end
            self._snapshot(item)
        self._buf = buf[pos:]

    def _snapshot(self, item: object) -> None:
        if not isinstance(item, dict) or not isinstance(item.get("time"), str):
            self.problem = "a snapshot without a time"
            return
        try:
            when = datetime.fromisoformat(item["time"].replace("Z", "+00:00")).timestamp()
        except ValueError:
            self.problem = f"a snapshot time that is not ISO 8601: {item['time'][:40]}"
            return
        self.count += 1
        if self.newest is None or when > self.newest:
            self.newest = when
