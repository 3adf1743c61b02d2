"""The session journal: append-only JSON lines, fsync'd, readable after any crash.

Format and durability rules are specified in docs/journal-format.md; in short:

- one event per line, `{"seq": n, "ts": "...Z", "type": ..., ...}`, keys in that order;
- lifecycle events (`append`) are written and fsync'd before `append` returns;
- output (`append_output`) is batched in memory and written by a background flusher
  at most `FLUSH_INTERVAL` seconds after it arrived (write + fdatasync), or earlier when
  a lifecycle event is appended or the batch reaches `MAX_OUTPUT_CHARS`;
- a torn (invalid) last line is dropped by readers and cut off by `open_append`;
- no line is longer than `MAX_LINE_BYTES`: readers take lines in bounded pieces and
  pass over a longer one as damage, never holding it;
- any OSError while writing or syncing raises `JournalError`, and the journal then
  refuses every further write: we never retry an fsync and pretend it worked.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import re
import threading
import time
import weakref
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, BinaryIO

FORMAT_VERSION = 1
# Output is flushed at most this long after it arrived.
FLUSH_INTERVAL = 0.25
# Text characters per `output` event, so that no journal line is huge (a JSON line is
# at most ~6x this in bytes, when every character is an escaped control character).
MAX_OUTPUT_CHARS = 64 * 1024

Event = dict[str, Any]
Listener = Callable[[Event], None]

_RESERVED = frozenset({"seq", "ts", "type"})
# The head of a line as we write it; lets readers skip output events without parsing
# their (possibly large) JSON.
_HEAD_RE = re.compile(rb'^\{"seq":(\d+),"ts":"[^"]*","type":"([A-Za-z0-9_]+)"')
_HEAD_BYTES = 96
# The head of an output line as we write it, up to its data: lets a reader learn where
# output is (its step and attempt) without decoding the data (see JournalReader).
_OUTPUT_HEAD_RE = re.compile(
    rb'^\{"seq":(\d+),"ts":"([^"\\]*)","type":"output",'
    rb'"step_id":"((?:[^"\\]|\\.)*)","attempt":(\d+),"data":"'
)
_OUTPUT_HEAD_BYTES = 1024
# Reading lines of up to ~400 KB through the default 8 KiB buffer costs 4x the time.
_READ_BUFFER = 1024 * 1024
# The longest line a reader takes for an event; the writer never writes a longer one.
# The longest it writes: an `output` event (MAX_OUTPUT_CHARS characters, ~400 KB when
# every one is escaped) or a lifecycle event holding a step's command (a runbook is at
# most 16 MiB; as masked JSON at most about 40 MiB). A longer line is damage (a disk
# error, another program): readers pass over it as a damaged line, never holding it.
MAX_LINE_BYTES = 64 * 1024 * 1024
# Readers take a line in pieces of this size: a line longer than one piece is measured
# first and read whole only if it is within MAX_LINE_BYTES.
_LINE_PIECE = 1024 * 1024


class JournalError(Exception):
    """Writing the journal failed; the session cannot be recorded and must stop."""


def utc_timestamp(t: float | None = None) -> str:
    """UTC ISO-8601 with milliseconds and a Z: `2026-11-26T14:15:00.123Z`."""
    if t is None:
        t = time.time()
    secs = int(t)
    ms = int((t - secs) * 1000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(secs)) + f".{ms:03d}Z"


def _encode(event: Mapping[str, Any]) -> bytes:
    text = json.dumps(event, ensure_ascii=False, separators=(",", ":"))
    # A lone surrogate cannot be UTF-8; backslashreplace turns it into a valid JSON
    # escape (\udXXX) instead of failing the whole write.
    return text.encode("utf-8", "backslashreplace") + b"\n"


def fsync_dir(path: Path) -> None:
    """Make a new directory entry durable: fsync of a file does not cover its name."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


_datasync: Callable[[int], None] = getattr(os, "fdatasync", os.fsync)


class JournalRead:
    """What `read_journal` found. `torn` is True when an invalid last line was dropped;
    `problems` lists everything unusual (torn tail, invalid middle lines, seq gaps)."""

    __slots__ = ("events", "problems", "torn")

    def __init__(
        self, events: list[Event], torn: bool = False, problems: list[str] | None = None
    ) -> None:
        self.events = events
        self.torn = torn
        self.problems = [] if problems is None else problems


class _Pending:
    """Output of one step attempt held until it is flushed as one event."""

    __slots__ = ("attempt", "chars", "chunks", "first_ts", "step_id")

    def __init__(self, step_id: str, attempt: int, first_ts: float) -> None:
        self.step_id = step_id
        self.attempt = attempt
        self.first_ts = first_ts
        self.chunks: list[str] = []
        self.chars = 0


class Journal:
    """An open journal. Thread-safe: output arrives from a runner thread while the UI
    thread appends notes. Call `close()` when done: buffered output is lost otherwise."""

    def __init__(self, path: Path, fd: int, next_seq: int) -> None:
        self.path = path
        self._fd = fd
        self._next_seq = next_seq
        # The session_started event, for a journal this process created.
        self.first_event: Event | None = None
        # One lock for the file, the buffer and the flusher; reentrant so that a
        # listener called while it is held may append (a UI echoing a note).
        self._cond = threading.Condition(threading.RLock())
        self._pending: _Pending | None = None
        self._dirty = False  # written since the last fdatasync
        self._dirty_since = 0.0
        self._syncing = False  # the flusher is in fdatasync without the lock
        self._closed = False
        self._error: JournalError | None = None
        self._listeners: list[Listener] = []
        self._flusher: threading.Thread | None = None
        self.flush_interval = FLUSH_INTERVAL
        _open_journals.add(self)

    # -- opening ---------------------------------------------------------------------

    @classmethod
    def create(cls, path: str | os.PathLike[str], first_event_fields: Mapping[str, Any]) -> Journal:
        """Create a new journal (0600, O_EXCL: never overwrites) whose first event is
        `session_started` with `format_version` and `first_event_fields`. The file and
        its directory are fsync'd before this returns."""
        p = Path(path)
        bad = _RESERVED.intersection(first_event_fields)
        if bad:
            raise ValueError(f"reserved event keys in first event: {sorted(bad)}")
        try:
            fd = os.open(
                p, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND | os.O_CLOEXEC, 0o600
            )
        except OSError as exc:
            raise JournalError(f"cannot create journal {p}: {exc.strerror or exc}") from exc
        journal = cls(p, fd, 1)
        try:
            # umask can only remove bits, but be explicit: the journal is private.
            os.fchmod(fd, 0o600)
            fields = {"format_version": FORMAT_VERSION, **first_event_fields}
            journal.first_event = journal.append("session_started", **fields)
            fsync_dir(p.parent)
        except OSError as exc:
            err = journal._fail(f"cannot create journal {p}: {exc.strerror or exc}")
            journal._abandon()
            raise err from exc
        except BaseException:
            journal._abandon()
            raise
        return journal

    @classmethod
    def open_append(cls, path: str | os.PathLike[str]) -> Journal:
        """Continue an existing journal. Seq continues from the highest good event. A torn
        last line (see `read_journal`) is truncated away first, and a valid last line
        missing its newline gets one, so the file stays valid JSONL."""
        p = Path(path)
        try:
            fd = os.open(p, os.O_RDWR | os.O_APPEND | os.O_CLOEXEC)
        except OSError as exc:
            raise JournalError(f"cannot open journal {p}: {exc.strerror or exc}") from exc
        try:
            with os.fdopen(os.dup(fd), "rb") as f:
                scan = _Scanner(f, skip_output=True)
                for _ in scan:
                    pass
            if scan.last_seq is None:
                raise JournalError(f"journal {p} holds no valid event; it cannot be continued")
            if scan.torn_start is not None:
                os.ftruncate(fd, scan.torn_start)
            if scan.missing_newline:
                os.write(fd, b"\n")
            if scan.torn_start is not None or scan.missing_newline:
                os.fsync(fd)
        except OSError as exc:
            os.close(fd)
            raise JournalError(f"cannot repair journal {p}: {exc.strerror or exc}") from exc
        except BaseException:
            os.close(fd)
            raise
        return cls(p, fd, scan.last_seq + 1)

    # -- writing ---------------------------------------------------------------------

    def add_listener(self, listener: Listener) -> None:
        """`listener(event)` is called after each event is written, in seq order, on the
        writing thread (output events: the runner thread or the flusher thread), with the
        journal lock held. Keep it quick; exceptions from it propagate to the writer."""
        with self._cond:
            self._listeners.append(listener)

    @property
    def error(self) -> JournalError | None:
        """The write error that disabled this journal, if any (also set by the flusher)."""
        return self._error

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def synced(self) -> bool:
        """Nothing is buffered and everything written has been fdatasync'd."""
        with self._cond:
            return self._pending is None and not self._dirty and not self._syncing

    def append(self, event_type: str, **fields: Any) -> Event:
        """Write one lifecycle event and fsync it (after any buffered output) before
        returning it. Raises JournalError if the write or the sync fails."""
        bad = _RESERVED.intersection(fields)
        if bad:
            raise ValueError(f"reserved event keys: {sorted(bad)}")
        with self._cond:
            self._check_writable()
            self._write_pending()
            event: Event = {"seq": self._next_seq, "ts": utc_timestamp(), "type": event_type}
            event.update(fields)
            data = _encode(event)  # a TypeError here happens before anything is written
            if len(data) > MAX_LINE_BYTES:
                # Readers would pass over such a line as damage. Nothing is written;
                # the journal stays usable.
                raise JournalError(
                    f"a {event_type} event of {len(data)} bytes is longer than a journal "
                    f"line may be ({MAX_LINE_BYTES // (1024 * 1024)} MiB): not recorded"
                )
            # Claimed before the write: an exception raised mid-write (Ctrl-C lands
            # anywhere) leaves a gap in seq, never a number used twice.
            self._next_seq += 1
            self._write(data)
            self._sync()
            self._emit(event)
            return event

    def append_output(self, step_id: str, attempt: int, text: str) -> None:
        """Buffer output of `step_id`/`attempt`; it is written as `output` events of at
        most MAX_OUTPUT_CHARS characters, within FLUSH_INTERVAL seconds."""
        if not text:
            return
        with self._cond:
            self._check_writable()
            p = self._pending
            if p is not None and (p.step_id != step_id or p.attempt != attempt):
                self._write_pending()
                p = None
            if p is None:
                p = self._pending = _Pending(step_id, attempt, time.time())
                self._ensure_flusher()
                self._cond.notify_all()
            p.chunks.append(text)
            p.chars += len(text)
            if p.chars >= MAX_OUTPUT_CHARS:
                # Written now (no sync: the flusher syncs within the interval) so memory
                # stays bounded however fast the output comes.
                self._write_pending(full_only=True)

    def flush(self) -> None:
        """Write buffered output and fsync now; returns once everything written so far
        is on disk (waiting for a sync the flusher has in progress)."""
        with self._cond:
            self._check_writable()
            self._write_pending()
            if self._dirty:
                self._sync()
            while self._syncing:
                self._cond.wait()
            self._check_writable()  # the flusher's sync may have failed meanwhile

    def close(self) -> None:
        """Flush buffered output, fsync, stop the flusher and close the file. Idempotent.
        Raises JournalError if the final flush fails (the file is closed anyway)."""
        with self._cond:
            if self._closed:
                return
            try:
                if self._error is None:
                    self._write_pending()
                    if self._dirty:
                        self._sync()
            finally:
                self._closed = True
                self._cond.notify_all()
                while self._syncing:
                    self._cond.wait()
                self._close_fd()
                _open_journals.discard(self)
        flusher = self._flusher
        if flusher is not None and flusher is not threading.current_thread():
            flusher.join(timeout=5)

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- internals (call with self._cond held) ---------------------------------------

    def _check_writable(self) -> None:
        if self._error is not None:
            raise JournalError(
                f"journal {self.path} refuses writes after an earlier error: {self._error}"
            )
        if self._closed:
            raise JournalError(f"journal {self.path} is closed")

    def _fail(self, message: str) -> JournalError:
        self._error = JournalError(message)
        self._pending = None
        return self._error

    def _write(self, data: bytes) -> None:
        view = memoryview(data)
        try:
            while view:
                n = os.write(self._fd, view)
                view = view[n:]
        except OSError as exc:
            raise self._fail(
                f"writing the journal {self.path} failed: {exc.strerror or exc}"
                f" (errno {exc.errno}); the session cannot be recorded any further"
            ) from exc
        if not self._dirty:
            self._dirty = True
            self._dirty_since = time.time()

    def _sync(self) -> None:
        try:
            _datasync(self._fd)
        except OSError as exc:
            raise self._fail(self._sync_failed_message(exc)) from exc
        self._dirty = False

    def _sync_failed_message(self, exc: OSError) -> str:
        return (
            f"syncing the journal {self.path} to disk failed: {exc.strerror or exc}"
            f" (errno {exc.errno}); what was written may not be on disk"
        )

    def _write_pending(self, full_only: bool = False) -> None:
        """Write the buffered output as events; with full_only, only whole
        MAX_OUTPUT_CHARS pieces, keeping the remainder buffered."""
        p = self._pending
        if p is None:
            return
        text = "".join(p.chunks)
        end = len(text) - len(text) % MAX_OUTPUT_CHARS if full_only else len(text)
        pieces = [text[i : i + MAX_OUTPUT_CHARS] for i in range(0, end, MAX_OUTPUT_CHARS)]
        rest = text[end:]
        if rest:
            p.chunks = [rest]
            p.chars = len(rest)
        else:
            self._pending = None
        if not pieces:
            return
        ts = utc_timestamp(p.first_ts)
        events: list[Event] = []
        blob: list[bytes] = []
        seq = self._next_seq
        for piece in pieces:
            event = {
                "seq": seq,
                "ts": ts,
                "type": "output",
                "step_id": p.step_id,
                "attempt": p.attempt,
                "data": piece,
            }
            events.append(event)
            blob.append(_encode(event))
            seq += 1
        self._next_seq = seq  # claimed before the write, as in append()
        self._write(b"".join(blob))
        if rest:
            p.first_ts = time.time()
        for event in events:
            self._emit(event)

    def _emit(self, event: Event) -> None:
        for listener in self._listeners:
            listener(event)

    def _ensure_flusher(self) -> None:
        if self._flusher is None:
            self._flusher = threading.Thread(
                target=self._flush_loop,
                name=f"journal-flusher:{self.path.parent.name}",
                daemon=True,
            )
            self._flusher.start()

    def _flush_loop(self) -> None:
        cond = self._cond
        with cond:
            while not self._closed and self._error is None:
                # Due when the oldest buffered output, or the oldest unsynced write
                # (fast output is written early, see append_output), is 0.8 interval old.
                starts = []
                if self._pending is not None:
                    starts.append(self._pending.first_ts)
                if self._dirty:
                    starts.append(self._dirty_since)
                if not starts:
                    cond.wait()
                    continue
                remaining = min(starts) + self.flush_interval * 0.8 - time.time()
                if remaining > 0:
                    cond.wait(remaining)
                    continue
                try:
                    self._write_pending()
                except JournalError:
                    return  # kept in self._error; the next append/append_output raises it
                except Exception:  # a listener failed; the write itself succeeded
                    pass
                if not self._dirty:
                    continue
                # fdatasync of megabytes can take a while: do it without the lock so the
                # runner thread keeps appending (and draining its pty) meanwhile. close()
                # waits for _syncing, so the fd stays open until we are done.
                self._dirty = False
                self._syncing = True
                fd = self._fd
                failure: OSError | None = None
                cond.release()
                try:
                    _datasync(fd)
                except OSError as exc:
                    failure = exc
                finally:
                    cond.acquire()
                    self._syncing = False
                    cond.notify_all()
                if failure is not None:
                    self._fail(self._sync_failed_message(failure))
                    return

    def _abandon(self) -> None:
        """Closed without flushing: creation failed half-way."""
        self._closed = True
        self._close_fd()
        _open_journals.discard(self)

    def _close_fd(self) -> None:
        if self._fd >= 0:
            with contextlib.suppress(OSError):
                os.close(self._fd)
            self._fd = -1


# The flusher is a daemon thread (it must never keep a dying process alive), so output
# buffered when the interpreter exits without close() would be lost: flush it at exit.
_open_journals: weakref.WeakSet[Journal] = weakref.WeakSet()


@atexit.register
def _flush_open_journals() -> None:
    for journal in list(_open_journals):
        with contextlib.suppress(JournalError):
            if not journal.closed:
                journal.flush()


# -- reading ---------------------------------------------------------------------------


def _valid(obj: object) -> bool:
    return (
        isinstance(obj, dict)
        and isinstance(obj.get("seq"), int)
        and not isinstance(obj.get("seq"), bool)
        and isinstance(obj.get("type"), str)
        and isinstance(obj.get("ts"), str)
    )


def _parse(line: bytes) -> Event | None:
    try:
        obj = json.loads(line)
    except ValueError:  # includes UnicodeDecodeError
        return None
    return obj if _valid(obj) else None


def _output_head(line: bytes, literal: bool = False) -> Event | None:
    """An output line as an event without its `data`, read from the head alone; None
    for a line not in the form our writer gives output lines (it is parsed instead).
    `literal`: the event carries `data_json`, the data's JSON string literal as written
    (bytes, quotes included), not decoded."""
    m = _OUTPUT_HEAD_RE.match(line[:_OUTPUT_HEAD_BYTES])
    if m is None or not line.endswith(b'"}\n'):
        return None
    raw_id = m.group(3)
    try:
        step_id = json.loads(b'"' + raw_id + b'"') if b"\\" in raw_id else raw_id.decode()
        ts = m.group(2).decode()
    except ValueError:  # includes UnicodeDecodeError
        return None
    event: Event = {
        "seq": int(m.group(1)),
        "ts": ts,
        "type": "output",
        "step_id": step_id,
        "attempt": int(m.group(4)),
    }
    if literal:
        event["data_json"] = line[m.end() - 1 : -2]
    return event


class TooLong:
    """A line longer than MAX_LINE_BYTES, in place of its bytes (never read whole)."""

    __slots__ = ("length",)

    def __init__(self, length: int) -> None:
        self.length = length


def read_lines(f: BinaryIO) -> Iterator[bytes | TooLong]:
    """The lines of `f` from where it is, each with its newline (the last one perhaps
    without), a line longer than MAX_LINE_BYTES as a `TooLong`. Memory is one line of
    at most that, whatever is in the file: a line longer than a piece (_LINE_PIECE) is
    measured in pieces first, then read whole only if it fits."""
    piece_size, limit = _LINE_PIECE, MAX_LINE_BYTES  # read now: tests make them small
    while True:
        line = f.readline(piece_size)
        if len(line) < piece_size or line.endswith(b"\n"):
            if not line:
                return
            yield line
            continue
        start = f.tell() - len(line)
        length = len(line)
        del line
        while True:
            piece = f.readline(piece_size)
            length += len(piece)
            if len(piece) < piece_size or piece.endswith(b"\n"):
                break
        if length > limit:
            yield TooLong(length)
        else:
            f.seek(start)
            yield f.read(length)


def _too_long(length: int) -> str:
    return f"longer than a journal line may be ({length} bytes, the most is {MAX_LINE_BYTES})"


class _Scanner:
    """Streams events from a binary file. Holds each line back until the next one is
    read, because the rule for the last line (invalid = torn, dropped) differs from the
    rule for the others (invalid = a problem, skipped). With skip_output, middle output
    lines are recognised by their head and not parsed."""

    def __init__(
        self, f: BinaryIO, skip_output: bool = False, output_data: bool | str = True
    ) -> None:
        self._f = f
        self._skip_output = skip_output
        self._output_data = output_data
        self.torn = False
        self.problems: list[str] = []
        self.last_seq: int | None = None
        self.torn_start: int | None = None  # byte offset where a torn last line starts
        self.missing_newline = False  # the last line is valid but has no newline
        self._bad_since_good = False

    def __iter__(self) -> Iterator[Event]:
        for event, _start, _end in self.located():
            yield event

    def located(self) -> Iterator[tuple[Event, int, int]]:
        """Each event with the byte range [start, end) of its line in the file."""
        held: bytes | TooLong | None = None
        held_no = 0
        held_start = offset = 0
        for no, line in enumerate(read_lines(self._f), start=1):
            if held is not None:
                event = self._take(held, held_no, held_start, last=False)
                if event is not None:
                    yield event, held_start, offset
            held, held_no, held_start = line, no, offset
            offset += line.length if isinstance(line, TooLong) else len(line)
        if held is not None:
            event = self._take(held, held_no, held_start, last=True)
            if event is not None:
                yield event, held_start, offset

    def _take(self, line: bytes | TooLong, no: int, start: int, last: bool) -> Event | None:
        if isinstance(line, TooLong):
            if last:
                self.torn = True
                self.torn_start = start
                self.problems.append(f"line {no}: torn last line dropped, {_too_long(line.length)}")
            else:
                self.problems.append(f"line {no}: damaged, {_too_long(line.length)}: skipped")
                self._bad_since_good = True
            return None
        if not last and self._skip_output:
            m = _HEAD_RE.match(line[:_HEAD_BYTES])
            if m is not None and m.group(2) == b"output" and line.endswith(b"}\n"):
                self._good(int(m.group(1)), no)
                return None
        if not last and self._output_data is not True:
            head = _output_head(line, literal=self._output_data == "json")
            if head is not None:
                self._good(head["seq"], no)
                return head
        if not last and not line.strip():
            self.problems.append(f"line {no}: empty line")
            self._bad_since_good = True
            return None
        event = _parse(line)
        if event is None:
            if last:
                self.torn = True
                self.torn_start = start
                self.problems.append(f"line {no}: torn last line dropped ({len(line)} bytes)")
            else:
                self.problems.append(f"line {no}: not a valid event, skipped")
                self._bad_since_good = True
            return None
        self._good(event["seq"], no)
        self.missing_newline = last and not line.endswith(b"\n")
        if self._skip_output and event["type"] == "output":
            return None
        return event

    def _good(self, seq: int, no: int) -> None:
        if self.last_seq is not None and seq != self.last_seq + 1 and not self._bad_since_good:
            self.problems.append(f"line {no}: seq {seq} follows {self.last_seq}")
        self.last_seq = seq if self.last_seq is None else max(seq, self.last_seq)
        self._bad_since_good = False


class JournalReader:
    """Iterate the events of a journal without holding them all; `torn`, `problems` and
    `last_seq` are complete once iteration ends. skip_output=True leaves out `output`
    events without parsing them (fast listing of sessions with megabytes of output).
    `located()` gives each event with the byte range of its line, so a reader can keep
    where output is instead of the output itself (see session/readback.py).
    output_data=False yields output events without their `data`, read from the head of
    the line alone (`seq`, `ts`, `type`, `step_id`, `attempt`): where output is, for
    the cost of a scan (the last line, and any line not in our writer's form, is
    parsed whole and keeps its `data`). output_data="json": those events carry instead
    `data_json`, the data's JSON string literal as written (bytes, quotes included),
    for a writer of JSON that can copy it without decoding it."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        skip_output: bool = False,
        output_data: bool | str = True,
    ) -> None:
        self.path = Path(path)
        self.skip_output = skip_output
        self.output_data = output_data
        self.torn = False
        self.problems: list[str] = []
        self.last_seq: int | None = None
        # The type of the first event yielded, and how many were.
        self.first_type: str | None = None
        self.count = 0

    def __iter__(self) -> Iterator[Event]:
        for event, _start, _end in self.located():
            yield event

    def located(self) -> Iterator[tuple[Event, int, int]]:
        with open(self.path, "rb", buffering=_READ_BUFFER) as f:
            scan = _Scanner(f, skip_output=self.skip_output, output_data=self.output_data)
            try:
                for item in scan.located():
                    if self.count == 0:
                        self.first_type = item[0]["type"]
                    self.count += 1
                    yield item
            finally:
                self.torn = scan.torn
                self.problems = scan.problems
                self.last_seq = scan.last_seq

    def summary_problems(self) -> list[str]:
        """`problems`, plus what is wrong with the journal as a whole (once iterated)."""
        problems = list(self.problems)
        if not self.count and self.last_seq is None and not self.torn:
            problems.append("journal is empty")
        elif self.count and self.first_type != "session_started":
            problems.append("first event is not session_started")
        return problems


def read_journal(path: str | os.PathLike[str], *, skip_output: bool = False) -> JournalRead:
    """All good events of a journal. Never raises for damaged content: an invalid LAST
    line is torn (dropped, `torn=True`); an invalid line elsewhere is skipped and
    reported in `problems`, and reading goes on. OSError (missing file) propagates.
    This holds every event in memory, output included unless skip_output: to read a
    journal whose steps printed a lot, stream it (JournalReader, session/readback.py)."""
    reader = JournalReader(path, skip_output=skip_output)
    events = list(reader)
    return JournalRead(events=events, torn=reader.torn, problems=reader.summary_problems())


def read_output(
    path: str | os.PathLike[str], spans: Iterable[tuple[int, int]], step_id: str
) -> Iterator[str]:
    """The `data` of `step_id`'s output events whose lines lie in the byte ranges
    `spans` (as `JournalReader.located` gave them), in file order, one event at a
    time. A line that is not such an event (it cannot be, in an append-only file we
    wrote) is passed over."""
    with open(path, "rb", buffering=_READ_BUFFER) as f:
        for start, end in spans:
            f.seek(start)
            pos = start
            for line in read_lines(f):
                if isinstance(line, TooLong):
                    pos += line.length
                else:
                    pos += len(line)
                    data = _output_data(line, step_id)
                    if data is not None:
                        yield data
                if pos >= end:
                    break


def read_output_literals(
    path: str | os.PathLike[str], spans: Iterable[tuple[int, int]], step_id: str
) -> Iterator[bytes]:
    """What `read_output` gives, each event's `data` as its JSON string literal (bytes,
    quotes included) as the line holds it, not decoded: a reader that only counts lines
    in most of the output, or copies it into JSON, skips the decoding. A line not in
    our writer's form is decoded and its data encoded again."""
    with open(path, "rb", buffering=_READ_BUFFER) as f:
        for start, end in spans:
            f.seek(start)
            pos = start
            while pos < end:
                line = f.readline(end - pos)
                if not line:
                    break
                pos += len(line)
                head = _output_head(line, literal=True)
                if head is not None and head["step_id"] == step_id:
                    yield head["data_json"]
                    continue
                data = _output_data(line, step_id)
                if data is not None:
                    yield json.dumps(data, ensure_ascii=False).encode("utf-8", "backslashreplace")


def read_output_tail(
    path: str | os.PathLike[str],
    spans: Iterable[tuple[int, int]],
    step_id: str,
    max_chars: int,
    block_size: int = 256 * 1024,
) -> str:
    """The last `max_chars` characters of what `read_output` would give, reading the
    ranges backwards from their end: only about max_chars of output is read."""
    pieces: list[str] = []
    have = 0
    if max_chars <= 0:
        return ""
    with open(path, "rb") as f:
        for start, end in reversed(list(spans)):
            for line in _lines_backwards(f, start, end, block_size):
                data = _output_data(line, step_id)
                if data:
                    pieces.append(data)
                    have += len(data)
                    if have >= max_chars:
                        break
            if have >= max_chars:
                break
    text = "".join(reversed(pieces))
    return text[len(text) - max_chars :] if len(text) > max_chars else text


def _lines_backwards(f: BinaryIO, start: int, end: int, block_size: int) -> Iterator[bytes]:
    """The non-empty lines in [start, end) of `f` (start is a line start), last first,
    without their newlines; a line longer than MAX_LINE_BYTES is passed over. Memory is
    a block and one line: a line longer than a few blocks is not gathered but measured
    until its start is found, then read whole only if it fits."""
    limit = MAX_LINE_BYTES
    keep = 4 * block_size
    pos = line_end = end  # line_end: where the line being gathered ends
    pieces: list[bytes] = []  # its later parts read so far, last first
    kept = True  # whether `pieces` hold all of [pos, line_end)

    def finish(line_start: int, head: bytes) -> bytes | None:
        length = line_end - line_start
        if length == 0 or length > limit:
            return None
        if kept:
            return head + b"".join(reversed(pieces))
        f.seek(line_start)
        return f.read(length)

    while pos > start:
        size = min(block_size, pos - start)
        pos -= size
        f.seek(pos)
        block = f.read(size)
        right = len(block)
        while (cut := block.rfind(b"\n", 0, right)) >= 0:
            line = finish(pos + cut + 1, block[cut + 1 : right])
            if line:
                yield line
            line_end, pieces, kept, right = pos + cut, [], True, cut
        if right:  # block[:right] is inside the line ending at line_end
            if kept and line_end - pos <= keep:
                pieces.append(block[:right])
            else:
                pieces, kept = [], False
    line = finish(start, b"")
    if line:
        yield line


def _output_data(line: bytes, step_id: str) -> str | None:
    event = _parse(line)
    if event is None or event["type"] != "output" or event.get("step_id") != step_id:
        return None
    data = event.get("data")
    return data if isinstance(data, str) else None


def read_first_event(path: str | os.PathLike[str]) -> Event | None:
    """The first event (session_started) or None if the first line is not valid."""
    with open(path, "rb") as f:
        line = next(read_lines(f), b"")
    return None if isinstance(line, TooLong) else _parse(line)


def read_last_event_of(
    path: str | os.PathLike[str], types: Iterable[str], block_size: int = 64 * 1024
) -> Event | None:
    """The last valid event whose type is in `types`, scanning backwards from the end
    of the file and parsing only lines whose head names a wanted type (or lines we did
    not write ourselves). Fast on journals with megabytes of output."""
    wanted_names = set(types)
    wanted = {t.encode() for t in wanted_names}
    with open(path, "rb") as f:
        size = f.seek(0, os.SEEK_END)
        for line in _lines_backwards(f, 0, size, block_size):
            m = _HEAD_RE.match(line[:_HEAD_BYTES])
            if m is not None and m.group(2) not in wanted:
                continue
            event = _parse(line)
            if event is not None and event["type"] in wanted_names:
                return event
    return None
