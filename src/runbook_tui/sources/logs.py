"""Log sources a runbook declares: a file or glob followed as `tail -F` follows it, or a
command that follows a log (`journalctl -fu app`), read in bounded memory.

Contract (docs/architecture.md, "Sources: logs"): `open_log(log, ...)` returns a
`LogReader`; the hub calls `.poll() -> LogReading` from a worker thread, one call at a
time, and `.close()` when the session ends. Lines handed out are masked (the `mask`
the caller passes) but not escaped: the display layer escapes control characters, so
a filter or a copy sees the text the log holds.
"""

from __future__ import annotations

import contextlib
import fcntl
import glob
import os
import re
import shutil
import subprocess
import threading
import time
import weakref
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from datetime import time as time_of_day
from typing import Literal, NamedTuple, TypeVar

from runbook_tui.runbook.model import LogSource
from runbook_tui.session import process_group
from runbook_tui.sources.logfile import (
    MAX_LINE_BYTES,
    WINDOW,
    LogFile,
    NotRegularFile,
    cut_marker,
    decode_line,
)
from runbook_tui.sources.logtime import StampedFile, as_aware, parse_stamp

Mask = Callable[[str], str]
T = TypeVar("T")
Level = Literal["error", "warning"]

# Lines a reader keeps (the newest): a tall screen and a filter's worth.
KEEP = 500
# Characters the kept lines may hold in all (64 KiB lines would otherwise cost 32 MiB).
KEEP_CHARS = 4 * 1024 * 1024
# A file that grew by more than this since the last poll is not read through: the
# follower jumps to its last lines and says how much it skipped (error lines in the
# skipped part are not counted).
MAX_BACKLOG = 32 * 1024 * 1024
# Bytes per read while following.
READ_CHUNK = 1024 * 1024
# How long a stopped command's group gets after SIGTERM before SIGKILL.
STOP_GRACE = 1.0
KILL_WAIT = 1.0
# The pipe a command writes its log into, and the most read from it at once.
PIPE_BYTES = 1024 * 1024
# How long a poll waits for the output of a command that has exited.
EXIT_DRAIN = 0.5

# -- error and warning lines -------------------------------------------------------

# Words are looked for with bytes.find on the lowercased text (bytes.lower() is
# ASCII-only, as re.IGNORECASE is on bytes), their boundaries checked as regex `\b`
# would: a regex alternation over every byte is 5-10x slower, and a log at 100,000
# lines/s must be classified as it arrives.
LEVEL_WORDS = ((b"error", True), (b"fatal", True), (b"critical", True), (b"panic", True))
# "warn" also finds "warning": one pass for both.
WARN, ING = b"warn", b"ing"
WORD_BYTES = frozenset(b"abcdefghijklmnopqrstuvwxyz0123456789_")
JSON_KEYS = (b'"level"', b'"severity"', b'"levelname"')
JSON_VALUE = re.compile(rb'[ \t]*:[ \t]*(?:"([a-z]+)"|(\d+))')
ERROR_LEVELS = frozenset(
    b"error err fatal critical crit panic dpanic alert emerg emergency".split()
)
WARNING_LEVELS = frozenset((b"warn", b"warning"))
# pino and bunyan: 40 warn, 50 error, 60 fatal.
NUMERIC_ERROR, NUMERIC_WARNING = 50, 40


def _json_level(name: bytes | None, number: bytes | None) -> Level | None:
    if number is not None:
        value = int(number)
        if value >= NUMERIC_ERROR:
            return "error"
        return "warning" if value >= NUMERIC_WARNING else None
    if name in ERROR_LEVELS:
        return "error"
    return "warning" if name in WARNING_LEVELS else None


def _json_levels(low: bytes) -> dict[int, Level | None]:
    """Line start -> level, for the JSON object lines of `low` that carry a level key
    (the first such key in the line decides)."""
    found: dict[int, tuple[int, Level | None]] = {}
    for key in JSON_KEYS:
        pos = low.find(key)
        while pos >= 0:
            start = low.rfind(b"\n", 0, pos) + 1
            value = JSON_VALUE.match(low, pos + len(key))
            if (
                value is not None
                and (start not in found or found[start][0] > pos)
                and low[start:pos].lstrip(b" \t")[:1] == b"{"
            ):
                found[start] = (pos, _json_level(value.group(1), value.group(2)))
            pos = low.find(key, pos + 1)
    return {start: level for start, (_, level) in found.items()}


def count_levels(text: bytes) -> tuple[int, int]:
    """(error lines, warning lines) among the b"\n"-separated lines of `text`: see
    `classify_bytes`. C-speed scans; Python work only per match."""
    low = text.lower()
    json_lines = _json_levels(low) if b"{" in low else {}
    worded: dict[int, bool] = {}  # line start -> whether it holds an error word
    size = len(low)
    for word, is_error in (*LEVEL_WORDS, (WARN, False)):
        pos = low.find(word)
        while pos >= 0:
            end = pos + len(word)
            if word is WARN and low.startswith(ING, end):
                end += len(ING)
            if (pos == 0 or low[pos - 1] not in WORD_BYTES) and (
                end == size or low[end] not in WORD_BYTES
            ):
                start = low.rfind(b"\n", 0, pos) + 1
                if start not in json_lines:
                    worded[start] = worded.get(start, False) or is_error
            pos = low.find(word, end)
    levels = list(json_lines.values())
    word_errors = sum(worded.values())
    errors = word_errors + levels.count("error")
    warnings = len(worded) - word_errors + levels.count("warning")
    return errors, warnings


def classify_bytes(line: bytes) -> Level | None:
    """`error`, `warning` or None (docs/runbook-format.md, "logs"). A JSON object line
    with a `level` (or `severity`, `levelname`) is classified by that level alone, so an
    info line that says `"error": null` is not an error line; any other line is an error
    line when it holds ERROR, FATAL, CRITICAL or PANIC as a word, any case, and a
    warning line when it holds WARN or WARNING."""
    errors, warnings = count_levels(line.split(b"\n", 1)[0])
    return "error" if errors else "warning" if warnings else None


def classify(line: str) -> Level | None:
    """The level of a line as handed out (for highlighting): see `classify_bytes`."""
    return classify_bytes(line.encode("utf-8", errors="replace"))


# -- what a poll returns -----------------------------------------------------------


@dataclass(frozen=True)
class LogReading:
    """One poll of a log. `lines` are the newest (at most the reader's `keep`), masked,
    oldest first; the last one may be a line still being written (no newline yet),
    shown once it did not grow between two polls.
    Counts are of lines that arrived since the log was opened (the lines shown at
    opening are history and not counted)."""

    name: str
    lines: tuple[str, ...]
    # Complete lines that arrived since the previous poll, and since opening.
    new_lines: int
    total_lines: int
    error_lines: int
    warning_lines: int
    # What happened since the previous poll: "rotated: ...", "truncated", "switched to
    # ...", "skipped N bytes ...", "gone: ...".
    notes: tuple[str, ...]
    # The file being read, or the command's state ("running (pid 12)", "exited 0").
    detail: str
    # Why the log cannot be read now (no such file, permission, the command failed).
    error: str | None
    # Bytes skipped unread since opening (see MAX_BACKLOG).
    skipped_bytes: int
    at: float  # time.time() of the poll


@dataclass(frozen=True)
class TimeJump:
    """The lines around a time: `lines[index]` is the first line written at or after
    it (`index == len(lines)` when every line is older). `at` is that line's stamp.
    `error` says why there is nothing to show (no timestamps, no file)."""

    lines: tuple[str, ...]
    index: int
    at: datetime | None
    error: str | None = None


# -- lines from bytes --------------------------------------------------------------


class Arrived(NamedTuple):
    """Complete lines that arrived together: the first (joined to what was held, cut
    to the bound) and the rest as one b"\n"-separated region, raw, so counting and
    classifying them needs no list of lines; `last(n)` splits out only the newest."""

    first: bytes
    rest: bytes | None  # None when `first` is the only line
    count: int
    max_line: int

    def regions(self) -> tuple[bytes, ...]:
        return (self.first,) if self.rest is None else (self.first, self.rest)

    def last(self, n: int) -> list[bytes]:
        """The newest `n` lines, each cut to the bound."""
        if n <= 0:
            return []
        if self.rest is None:
            return [self.first]
        rest = self.rest
        if self.count - 1 < n:
            lines = rest.split(b"\n")
        else:
            cut = len(rest)
            for _ in range(n):
                cut = rest.rfind(b"\n", 0, cut)
                if cut < 0:
                    break
            lines = rest[cut + 1 :].split(b"\n")
        if max(map(len, lines)) > self.max_line:
            lines = [cut_line(line, self.max_line) for line in lines]
        # `first` is cut already (its marker counts what was held before).
        return [self.first, *lines][-n:] if len(lines) < n else lines


def cut_line(line: bytes, max_line: int, dropped: int = 0) -> bytes:
    """`line` cut to `max_line` bytes, with a marker counting what was left out."""
    over = len(line) - max_line
    if over > 0:
        line, dropped = line[:max_line], dropped + over
    return line + cut_marker(dropped) if dropped else line


class LineSplitter:
    """Bytes in, complete lines out (without b"\n"). The line still being written is
    held, at most `max_line` bytes of it; a longer line comes out cut with a marker."""

    def __init__(self, max_line: int = MAX_LINE_BYTES) -> None:
        self.max_line = max_line
        self._head = b""
        self._dropped = 0

    def _hold(self, data: bytes) -> None:
        room = max(self.max_line - len(self._head), 0)
        if len(data) > room:
            self._dropped += len(data) - room
            data = data[:room]
        self._head += data

    def feed(self, data: bytes) -> Arrived | None:
        """The lines `data` completes, or None when it completes none."""
        first_nl = data.find(b"\n")
        if first_nl < 0:
            self._hold(data)
            return None
        last_nl = data.rfind(b"\n")
        first = cut_line(self._head + data[:first_nl], self.max_line, self._dropped)
        rest = data[first_nl + 1 : last_nl] if last_nl > first_nl else None
        count = 1 if rest is None else 2 + rest.count(b"\n")
        self._head, self._dropped = b"", 0
        self._hold(data[last_nl + 1 :])
        return Arrived(first, rest, count, self.max_line)

    def partial(self) -> bytes | None:
        """The line being written, as far as it came (None when there is none)."""
        if not self._head and not self._dropped:
            return None
        return cut_line(self._head, self.max_line, self._dropped)

    def flush(self) -> bytes | None:
        """The held line as a complete one (its file ended), and forget it."""
        line = self.partial()
        self.reset()
        return line

    def reset(self) -> None:
        self._head, self._dropped = b"", 0


class _Ring:
    """The newest masked lines: at most `keep` of them and KEEP_CHARS characters."""

    def __init__(self, keep: int, max_chars: int = KEEP_CHARS) -> None:
        self.keep = keep
        self.max_chars = max_chars
        self.lines: deque[str] = deque()
        self.chars = 0

    def extend(self, lines: Iterable[str]) -> None:
        for line in lines:
            self.lines.append(line)
            self.chars += len(line)
        while self.lines and (len(self.lines) > self.keep or self.chars > self.max_chars):
            self.chars -= len(self.lines.popleft())


class _Feed:
    """Where lines arrive: counted and classified as they come (raw, cheap), the newest
    kept raw until a poll masks them into the ring, so masking costs at most `keep`
    lines per poll however fast the log grows. `feed` may run in another thread (a
    command's reader) than `absorb` and `shown` (the poller)."""

    def __init__(self, keep: int, mask: Mask | None) -> None:
        self.lock = threading.Lock()
        self.mask: Mask = mask or (lambda text: text)
        self.splitter = LineSplitter()
        self.fresh: deque[bytes] = deque(maxlen=keep)
        self.ring = _Ring(keep)
        self.total = 0
        self.errors = 0
        self.warnings = 0
        self.reported = 0  # `total` at the previous poll
        self.last_partial: bytes | None = None  # the line in progress at that poll

    def text(self, raw: bytes) -> str:
        return self.mask(decode_line(raw))

    def texts(self, raws: Iterable[bytes]) -> list[str]:
        """Lines masked as one text: a shape that spans lines (a private key block)
        is masked when it arrives within one batch, and one call costs less than one
        per line. A masked span may join lines: fewer may come back."""
        decoded = [decode_line(raw) for raw in raws]
        return self.mask("\n".join(decoded)).split("\n") if decoded else []

    def _count(self, arrived: Arrived) -> None:
        self.total += arrived.count
        for region in arrived.regions():
            errors, warnings = count_levels(region)
            self.errors += errors
            self.warnings += warnings
        self.fresh.extend(arrived.last(self.fresh.maxlen or 1))

    def feed(self, data: bytes) -> None:
        with self.lock:
            arrived = self.splitter.feed(data)
            if arrived is not None:
                self._count(arrived)

    def end_line(self) -> None:
        """The source ended (file rotated away, truncated, command exited): the line
        being written is complete."""
        with self.lock:
            line = self.splitter.flush()
            if line is not None:
                self._count(Arrived(line, None, 1, self.splitter.max_line))

    def reset(self) -> None:
        """Forget the line being written (the bytes after it are skipped)."""
        with self.lock:
            self.splitter.reset()

    def history(self, lines: Iterable[bytes]) -> None:
        """Lines shown at opening: kept, not counted."""
        self.ring.extend(self.texts(lines))

    def absorb(self) -> None:
        with self.lock:
            fresh, self.fresh = self.fresh, deque(maxlen=self.fresh.maxlen)
        self.ring.extend(self.texts(fresh))

    def shown(self) -> tuple[str, ...]:
        """The kept lines, and the line in progress once it has not grown since the
        previous call: a writer's buffer may end inside a secret, and the masker
        needs the whole value to recognise it (a prompt or progress line that waits
        for its newline still shows, one poll later)."""
        with self.lock:
            partial = self.splitter.partial()
        idle, self.last_partial = partial == self.last_partial, partial
        lines = tuple(self.ring.lines)
        if partial is not None and idle:
            lines = (*lines, self.text(partial))[-self.ring.keep :]
        return lines

    def take_counts(self) -> tuple[int, int, int, int]:
        """(new since the previous call, total, error lines, warning lines), together."""
        with self.lock:
            new, self.reported = self.total - self.reported, self.total
            return new, self.total, self.errors, self.warnings


# -- the readers -------------------------------------------------------------------


class LogReader(ABC):
    """What the hub polls. Subclasses: `FileLog`, `CommandLog`."""

    def __init__(self, name: str, *, mask: Mask | None, keep: int) -> None:
        self.name = name
        self.keep = keep
        self._feed = _Feed(keep, mask)
        # One poll (or tail, or jump) at a time; close waits for the one running.
        self._lock = threading.Lock()
        self._notes: list[str] = []
        self._skipped = 0
        self.closed = False

    def poll(self) -> LogReading:
        """Read what arrived since the previous poll. Never raises for the log's own
        trouble (it is in `error`); blocking but bounded: call it from a worker."""
        with self._lock:
            if self.closed:
                return self._reading("closed", "closed")
            detail, error = self._advance()
            return self._reading(detail, error)

    def _reading(self, detail: str, error: str | None) -> LogReading:
        feed = self._feed
        feed.absorb()
        notes, self._notes = tuple(self._notes), []
        new, total, errors, warnings = feed.take_counts()
        return LogReading(
            name=self.name,
            lines=feed.shown(),
            new_lines=new,
            total_lines=total,
            error_lines=errors,
            warning_lines=warnings,
            notes=notes,
            detail=detail,
            error=error,
            skipped_bytes=self._skipped,
            at=time.time(),
        )

    @abstractmethod
    def _advance(self) -> tuple[str, str | None]:
        """Read what arrived; (detail, error)."""

    @abstractmethod
    def tail(self, n: int) -> tuple[str, ...]:
        """The last `n` lines, masked, oldest first."""

    @abstractmethod
    def lines_around(self, when: datetime | time_of_day, n: int) -> TimeJump:
        """About `n` lines around the first line written at or after `when` (a naive
        datetime is local time; a time of day is its latest occurrence in the log)."""

    @abstractmethod
    def close(self) -> None:
        """Stop reading (and whatever the reader started); later polls say `closed`."""

    def __enter__(self) -> LogReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _describe(exc: OSError, path: str) -> str:
    if isinstance(exc, NotRegularFile):
        return str(exc)
    if isinstance(exc, FileNotFoundError):
        return f"no such file: {path}"
    if isinstance(exc, PermissionError):
        return f"permission denied: {path}"
    return f"{exc.strerror or exc}: {path}"


@dataclass(frozen=True)
class _Candidate:
    path: str
    identity: tuple[int, int]
    mtime: float


class FileLog(LogReader):
    """A file, or the newest file a glob matches, followed as `tail -F` follows it:
    appends; a new file under the name (rotation: the rest of the old one is read
    first); truncation (the size shrank, or the bytes before the read position
    changed); a glob's newer file once the current one stopped growing. Opening shows
    the last lines without reading the file; a file that appears later, or replaces
    the one followed, is read from its start (up to MAX_BACKLOG)."""

    def __init__(
        self,
        name: str,
        target: str,
        *,
        mask: Mask | None = None,
        keep: int = KEEP,
        base_dir: str | None = None,
        max_backlog: int = MAX_BACKLOG,
        window: int = WINDOW,
    ) -> None:
        super().__init__(name, mask=mask, keep=keep)
        path = os.path.expanduser(target)
        self.target = os.path.join(base_dir or os.getcwd(), path)
        self.is_glob = glob.has_magic(path)
        self.max_backlog = max_backlog
        self.window = window
        self._file: LogFile | None = None
        self._pos = 0  # bytes of the current file consumed
        self._mark = b""  # the last bytes consumed: a rewritten file no longer has them
        self._started = False  # the first poll happened (later files are read from 0)
        self._gone_noted = False

    @property
    def path(self) -> str | None:
        """The file being followed."""
        return None if self._file is None else self._file.path

    # -- finding the file ---------------------------------------------------------

    def _candidate(self) -> _Candidate | None:
        """The file the target names now (for a glob: the newest match)."""
        if not self.is_glob:
            try:
                st = os.stat(self.target)
            except FileNotFoundError:
                return None
            return _Candidate(self.target, (st.st_dev, st.st_ino), st.st_mtime)
        best: _Candidate | None = None
        for path in glob.glob(self.target):
            try:
                st = os.stat(path)
            except OSError:
                continue
            if not os.path.isfile(path):
                continue
            found = _Candidate(path, (st.st_dev, st.st_ino), st.st_mtime)
            if best is None or (found.mtime, found.path) > (best.mtime, best.path):
                best = found
        return best

    def _missing(self) -> str:
        if self.is_glob:
            return f"no file matches {self.target}"
        return f"no such file: {self.target}"

    def _in_place(self, file: LogFile) -> _Candidate | None:
        """The followed file, if its name still holds it."""
        try:
            st = os.stat(file.path)
        except OSError:
            return None
        if (st.st_dev, st.st_ino) != file.identity:
            return None
        return _Candidate(file.path, file.identity, st.st_mtime)

    # -- following ----------------------------------------------------------------

    def _advance(self) -> tuple[str, str | None]:
        try:
            return self._follow()
        except OSError as exc:
            return self.path or self.target, _describe(exc, self.path or self.target)

    def _follow(self) -> tuple[str, str | None]:
        found = self._candidate()
        file = self._file
        if file is None:
            if found is None:
                self._started = True
                return self.target, self._missing()
            self._open(found.path, at_tail=not self._started)
            self._started = True
            file = self._file
            assert file is not None
        elif found is None or found.identity != file.identity:
            here = self._in_place(file)
            grew = file.size() > self._pos
            stay = here is not None and (found is None or grew or found.mtime <= here.mtime)
            if found is None and here is None:
                # Gone: keep reading what was written to it; wait for a new one.
                if not self._gone_noted:
                    self._notes.append(f"gone: {file.path}")
                    self._gone_noted = True
                self._read_new(file)
                return file.path, None
            if not stay and found is not None:
                self._read_new(file)  # the rest of the old file first
                self._feed.end_line()
                # A new file under the name, or a glob's newer file, holds what was
                # written since: read from its start. A glob's older file (the current
                # one was deleted) holds history: show its tail.
                older = found.path != file.path and found.mtime < file.mtime()
                file.close()
                self._file = None
                if found.path == file.path:
                    self._notes.append(f"rotated: {found.path} is a new file")
                else:
                    self._notes.append(f"switched to {found.path}")
                self._open(found.path, at_tail=older)
                file = self._file
                assert file is not None
        self._read_new(file)
        return file.path, None

    def _open(self, path: str, *, at_tail: bool) -> None:
        file = LogFile(path, window=self.window)
        self._file = file
        self._gone_noted = False
        self._pos, self._mark = 0, b""
        self._feed.reset()
        if at_tail:
            size = file.size()
            spans = file.spans_before(size, self.keep)
            self._pos = size
            if spans and file.read(size - 1, 1) != b"\n":
                # No newline yet: the follower reads it as the line in progress.
                self._pos = spans.pop().start
            self._feed.history(file.line(span) for span in spans)
            self._mark = self._tail_bytes(file)

    def _tail_bytes(self, file: LogFile) -> bytes:
        start = max(0, self._pos - 16)
        return file.read(start, self._pos - start)

    def _read_new(self, file: LogFile) -> None:
        size = file.size()
        if size < self._pos or (self._mark and self._tail_bytes(file) != self._mark):
            self._notes.append("truncated")
            self._feed.end_line()
            self._pos, self._mark = 0, b""
        backlog = size - self._pos
        if backlog > self.max_backlog:
            spans = file.spans_before(size, self.keep)
            start = spans[0].start if spans else size
            self._notes.append(
                f"skipped {start - self._pos} bytes: the log grew faster than it was read"
            )
            self._skipped += start - self._pos
            self._feed.reset()
            self._pos = start
        while self._pos < size:
            chunk = file.read(self._pos, min(READ_CHUNK, size - self._pos))
            if not chunk:
                break
            self._feed.feed(chunk)
            self._pos += len(chunk)
        self._mark = self._tail_bytes(file)

    # -- on demand ----------------------------------------------------------------

    def _with_file(self, use: Callable[[LogFile], T]) -> T:
        """Run `use` on the followed file, or on the target's file opened for it."""
        if self._file is not None:
            return use(self._file)
        found = self._candidate()
        if found is None:
            raise FileNotFoundError(self.target)
        with LogFile(found.path, window=self.window) as file:
            return use(file)

    def tail(self, n: int) -> tuple[str, ...]:
        """The last `n` lines of the file as it is now (read backwards from its end,
        not from what the follower kept); empty when there is no file."""
        with self._lock:
            try:
                raw = self._with_file(lambda file: file.tail(n))
            except OSError:
                return ()
            return tuple(self._feed.texts(raw))

    def lines_around(self, when: datetime | time_of_day, n: int) -> TimeJump:
        with self._lock:
            try:
                return self._with_file(lambda file: self._jump(file, when, n))
            except OSError as exc:
                return TimeJump((), 0, None, _describe(exc, self.path or self.target))

    def _jump(self, file: LogFile, when: datetime | time_of_day, n: int) -> TimeJump:
        end = file.size()
        stamped = StampedFile(file)
        target = stamped.resolve(when, end)
        if target is None:
            return TimeJump((), 0, None, "no timestamps in this log")
        offset, at = stamped.offset_of(target, end)
        if at is None and not stamped.has_stamps(end):
            return TimeJump((), 0, None, "no timestamps in this log")
        before = file.spans_before(offset, n // 2 if at is not None else n)
        after = file.spans_after(offset, n - len(before), end) if at is not None else []
        shown_before = self._feed.texts(file.line(span) for span in before)
        shown_after = self._feed.texts(file.line(span) for span in after)
        return TimeJump((*shown_before, *shown_after), len(shown_before), at)

    def close(self) -> None:
        with self._lock:
            self.closed = True
            if self._file is not None:
                self._file.close()
                self._file = None


# -- a command that follows a log --------------------------------------------------


def _exit_status(pid: int) -> int | None:
    """The exit code (negative: the signal) of our child `pid` if it has ended,
    without reaping it: the zombie keeps its pid, so the process group id cannot be
    reused before `close` signals the group."""
    try:
        result = os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
    except ChildProcessError:
        return None
    if result is None:
        return None
    if result.si_code == os.CLD_EXITED:
        return result.si_status
    return -result.si_status


def _stop_group(proc: subprocess.Popen[bytes], grace: float) -> None:
    """SIGTERM to the command's group (and descendants that left it), SIGKILL after
    `grace`, then reap. Runs once: from `close`, or when the reader is collected or the
    interpreter exits (weakref.finalize)."""
    pgid = proc.pid
    escapees = process_group.escaped_descendants(proc.pid, pgid)
    process_group.terminate_now(pgid, escapees)

    def gone() -> bool:
        ended = proc.returncode is not None or _exit_status(proc.pid) is not None
        return ended and not (
            process_group.group_has_live_members(pgid) or process_group.any_running(escapees)
        )

    deadline = time.monotonic() + grace
    while not gone() and time.monotonic() < deadline:
        time.sleep(0.01)
    if not gone():
        process_group.kill_now(pgid, escapees)
        deadline = time.monotonic() + KILL_WAIT
        while not gone() and time.monotonic() < deadline:
            time.sleep(0.01)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=KILL_WAIT)


def _read_pipe(fd: int, feed: _Feed) -> None:
    """The reader thread: everything the command prints, until the pipe closes."""
    try:
        while True:
            try:
                chunk = os.read(fd, PIPE_BYTES)
            except InterruptedError:
                continue
            if not chunk:
                break
            feed.feed(chunk)
    except OSError:
        pass
    finally:
        feed.end_line()
        with contextlib.suppress(OSError):
            os.close(fd)


class CommandLog(LogReader):
    """A command whose output is a log (`journalctl -fu app`, `docker logs -f web`),
    run by bash in its own session and process group, stdout and stderr together,
    stdin /dev/null. Started by the first poll (whoever calls it decided it may run);
    `close` stops it with its whole group (also when the reader is garbage collected
    or the interpreter exits). Its output is read by a thread into a ring of the
    newest `keep` lines."""

    def __init__(
        self,
        name: str,
        command: str,
        *,
        mask: Mask | None = None,
        keep: int = KEEP,
        cwd: str | None = None,
        env: Mapping[str, str] | None = None,
        stop_grace: float = STOP_GRACE,
    ) -> None:
        super().__init__(name, mask=mask, keep=keep)
        self.command = command
        self.cwd = cwd
        self.env = dict(os.environ if env is None else env)
        self.stop_grace = stop_grace
        self._proc: subprocess.Popen[bytes] | None = None
        self._thread: threading.Thread | None = None
        self._finalizer: weakref.finalize | None = None
        self._start_error: str | None = None

    @property
    def pid(self) -> int | None:
        """bash's pid, which is also the process group's id."""
        return None if self._proc is None else self._proc.pid

    def start(self) -> None:
        """Start the command (the first poll does it); an error is reported by poll."""
        with self._lock:
            self._start()

    def _start(self) -> None:
        if self._proc is not None or self._start_error is not None or self.closed:
            return
        read_fd, write_fd = os.pipe()
        # A bigger pipe lets a fast log's writer go on while this process waits for a
        # CPU, and lets the reader take more per wake-up (Linux; the default stays
        # where the limit is lower).
        with contextlib.suppress(OSError, AttributeError):
            fcntl.fcntl(write_fd, fcntl.F_SETPIPE_SZ, PIPE_BYTES)
        try:
            self._proc = subprocess.Popen(
                ["bash", "-c", self.command],
                executable=shutil.which("bash") or "/bin/bash",
                cwd=self.cwd,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=write_fd,
                stderr=write_fd,
                start_new_session=True,
            )
        except OSError as exc:
            os.close(read_fd)
            self._start_error = f"cannot start: {exc.strerror or exc}"
            return
        finally:
            os.close(write_fd)
        self._finalizer = weakref.finalize(self, _stop_group, self._proc, self.stop_grace)
        # The thread holds the feed, not the reader, so a dropped reader can be
        # collected (and its command stopped).
        self._thread = threading.Thread(
            target=_read_pipe, args=(read_fd, self._feed), name=f"log:{self.name}", daemon=True
        )
        self._thread.start()

    def _advance(self) -> tuple[str, str | None]:
        self._start()
        if self._start_error is not None:
            return "not running", self._start_error
        assert self._proc is not None
        status = _exit_status(self._proc.pid)
        if status is None:
            return f"running (pid {self._proc.pid})", None
        if self._thread is not None:
            # What it printed last is still in the pipe: read it before saying it ended
            # (a background child holding the pipe open may keep it from closing).
            self._thread.join(timeout=EXIT_DRAIN)
        ended = f"exited {status}" if status >= 0 else f"killed by signal {-status}"
        return ended, None if status == 0 else ended

    def tail(self, n: int) -> tuple[str, ...]:
        """The last `n` complete lines the command printed (at most `keep`)."""
        with self._lock:
            self._feed.absorb()
            return tuple(self._feed.ring.lines)[-n:] if n > 0 else ()

    def lines_around(self, when: datetime | time_of_day, n: int) -> TimeJump:
        """The same, among the kept lines (a command's output is not a file to bisect)."""
        with self._lock:
            self._feed.absorb()
            lines = tuple(self._feed.ring.lines)
        return jump_in_lines(lines, when, n)

    def close(self) -> None:
        """Stop the command and everything it started; blocks up to about
        stop_grace + 2 s."""
        with self._lock:
            self.closed = True
            if self._finalizer is not None:
                self._finalizer()
            if self._thread is not None:
                self._thread.join(timeout=KILL_WAIT)


def jump_in_lines(lines: Sequence[str], when: datetime | time_of_day, n: int) -> TimeJump:
    """`TimeJump` over lines in memory: a linear scan of their stamps."""
    stamps = [parse_stamp(line.encode("utf-8", errors="replace")) for line in lines]
    known = [s for s in stamps if s is not None]
    if not known:
        return TimeJump((), 0, None, "no timestamps in these lines")
    if isinstance(when, datetime):
        target = as_aware(when)
    else:
        last = known[-1].astimezone()
        target = datetime.combine(last.date(), when).astimezone()
        if target > last:
            target = datetime.combine(last.date() - timedelta(days=1), when).astimezone()
    index = next((i for i, s in enumerate(stamps) if s is not None and s >= target), len(lines))
    start = max(0, index - (n // 2 if index < len(lines) else n))
    shown = tuple(lines[start : start + n])
    at = stamps[index] if index < len(lines) else None
    return TimeJump(shown, index - start, at)


def open_log(
    log: LogSource,
    *,
    mask: Mask | None = None,
    keep: int = KEEP,
    base_dir: str | None = None,
    env: Mapping[str, str] | None = None,
) -> LogReader:
    """The reader for a runbook's `logs` entry. A relative path (or glob) and a
    command's working directory are `base_dir` (the runbook's folder; default the
    current one). Nothing is opened or started until the first poll."""
    if log.source == "path":
        return FileLog(log.name, log.target, mask=mask, keep=keep, base_dir=base_dir)
    if log.source == "command":
        return CommandLog(log.name, log.target, mask=mask, keep=keep, cwd=base_dir, env=env)
    raise ValueError(f"unknown log source: {log.source!r}")
