"""One log file read by byte offsets: its last lines found by scanning backwards from the
end for line breaks, lines read on demand, so opening a 1 GB log costs a screenful.

The scan is Toolong's (`rfind` for b"\\n" backwards from the end), over windows read
with `os.pread` rather than an `mmap`: a log truncated while mapped (logrotate's
`copytruncate`) turns the next access to a page past the new end into SIGBUS, which
kills the process; `pread` just returns fewer bytes. It also bounds memory to one window
however long a line is.
"""

from __future__ import annotations

import contextlib
import os
import stat
from dataclasses import dataclass

# A line longer than this is handed out as its first MAX_LINE_BYTES and a cut marker:
# one huge line costs bounded memory.
MAX_LINE_BYTES = 64 * 1024
# How far back (or forward) a line's start (end) is looked for. A "line" longer than
# this (a binary file, a log of one endless line) ends the backward scan: the lines
# before it are not reached, so a scan costs at most this much per line.
MAX_SCAN_BYTES = 1024 * 1024
# Bytes per pread while scanning.
WINDOW = 64 * 1024


@dataclass(frozen=True, slots=True)
class Span:
    """One line's bytes: [start, end), without its b"\\n". `whole` is False for a line
    whose start is more than MAX_SCAN_BYTES back: `start` is where the scan stopped."""

    start: int
    end: int
    whole: bool = True


def cut_marker(dropped: int) -> bytes:
    """What ends a line that was cut: how many bytes were left out."""
    return f" …[+{dropped} bytes]".encode()


def decode_line(raw: bytes) -> str:
    """A line as text: UTF-8, undecodable bytes as U+FFFD, a trailing CR dropped (CRLF
    files). Control characters stay: the display layer escapes them."""
    if raw.endswith(b"\r"):
        raw = raw[:-1]
    return raw.decode("utf-8", errors="replace")


class LogFile:
    """An open regular file. Raises OSError when `path` cannot be opened, and
    `NotRegularFile` (an OSError) for a FIFO, device or directory: reading
    /dev/zero or a pipe nobody writes to would never end."""

    def __init__(self, path: str, *, window: int = WINDOW) -> None:
        self.path = path
        self.window = window
        # O_NONBLOCK: opening a FIFO must not wait for a writer before the check below.
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC | os.O_NONBLOCK)
        try:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode):
                raise NotRegularFile(f"not a regular file: {path}")
        except BaseException:
            os.close(fd)
            raise
        self.fd: int | None = fd
        self.identity = (st.st_dev, st.st_ino)
        self.opened_mtime = st.st_mtime

    # -- plain access ---------------------------------------------------------------

    def _fd(self) -> int:
        if self.fd is None:
            raise ValueError("log file is closed")
        return self.fd

    def size(self) -> int:
        return os.fstat(self._fd()).st_size

    def mtime(self) -> float:
        return os.fstat(self._fd()).st_mtime

    def read(self, offset: int, length: int) -> bytes:
        """Up to `length` bytes from `offset` (fewer at the end of the file)."""
        if length <= 0:
            return b""
        return os.pread(self._fd(), length, offset)

    def line(self, span: Span) -> bytes:
        """The bytes of a line, cut to MAX_LINE_BYTES with a marker."""
        length = span.end - span.start
        raw = self.read(span.start, min(length, MAX_LINE_BYTES))
        if not span.whole:
            raw = "…".encode() + raw
        if length > MAX_LINE_BYTES:
            raw += cut_marker(length - MAX_LINE_BYTES)
        return raw

    def close(self) -> None:
        if self.fd is not None:
            with contextlib.suppress(OSError):
                os.close(self.fd)
            self.fd = None

    def __enter__(self) -> LogFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- scanning -------------------------------------------------------------------

    def spans_before(self, end: int, n: int) -> list[Span]:
        """The last `n` lines that end before `end`, oldest first. `end` is a line start
        or the end of the file; at the end of the file an unterminated last line counts
        (as `tail` counts it)."""
        spans: list[Span] = []
        if n <= 0 or end <= 0:
            return spans
        # buf holds the bytes [buf_start, line_end) that the scan has read and not passed.
        buf_start = max(0, end - self.window)
        buf = self.read(buf_start, end - buf_start)
        end = buf_start + len(buf)  # fewer bytes: the file shrank meanwhile
        if end <= 0:
            return spans
        line_end = end - 1 if buf.endswith(b"\n") else end
        while len(spans) < n:
            floor = max(0, line_end - MAX_SCAN_BYTES)
            while True:
                found = buf.rfind(b"\n", max(0, floor - buf_start), line_end - buf_start)
                if found >= 0 or buf_start <= floor:
                    break
                # Extend backwards; drop what lies past the line being looked at.
                new_start = max(floor, buf_start - self.window)
                buf = self.read(new_start, buf_start - new_start) + buf[: line_end - buf_start]
                buf_start = new_start
            if found < 0 and floor > 0:
                spans.append(Span(floor, line_end, whole=False))
                break
            newline = buf_start + found if found >= 0 else -1
            spans.append(Span(newline + 1, line_end))
            if newline < 0:
                break
            line_end = newline
        spans.reverse()
        return spans

    def spans_after(
        self, start: int, n: int, end: int | None = None, *, window: int | None = None
    ) -> list[Span]:
        """Up to `n` lines from `start` (a line start) onwards, before `end` (the file's
        size when None). An unterminated last line counts; a line longer than
        MAX_SCAN_BYTES ends the list (its end is not looked for further). `window`:
        bytes per read (a probe that wants one line reads less)."""
        limit = self.size() if end is None else end
        step = window or self.window
        spans: list[Span] = []
        # buf holds the bytes [buf_start, buf_start + len(buf)) read and not yet passed.
        buf_start, buf = start, b""
        pos = start
        while len(spans) < n and pos < limit:
            ceiling = min(limit, pos + MAX_SCAN_BYTES)
            while True:
                found = buf.find(b"\n", pos - buf_start)
                buf_end = buf_start + len(buf)
                if found >= 0 or buf_end >= ceiling:
                    break
                more = self.read(buf_end, min(step, ceiling - buf_end))
                if not more:  # the file shrank meanwhile
                    ceiling = buf_end
                    break
                buf = buf[pos - buf_start :] + more
                buf_start = pos
            if found < 0 or buf_start + found >= ceiling:
                if ceiling > pos:
                    spans.append(Span(pos, ceiling))
                break
            spans.append(Span(pos, buf_start + found))
            pos = buf_start + found + 1
        return spans

    def _find_newline(self, after: int, ceiling: int, window: int) -> int | None:
        """The offset of the first b"\n" in [after, ceiling), or None."""
        pos = after
        while pos < ceiling:
            chunk = self.read(pos, min(window, ceiling - pos))
            if not chunk:
                return None
            found = chunk.find(b"\n")
            if found >= 0:
                return pos + found
            pos += len(chunk)
        return None

    def line_start_at_or_after(
        self, offset: int, end: int | None = None, *, window: int | None = None
    ) -> int | None:
        """The start of the first line that starts at or after `offset`, or None."""
        if offset <= 0:
            return 0
        limit = self.size() if end is None else end
        ceiling = min(limit, offset - 1 + MAX_SCAN_BYTES)
        newline = self._find_newline(offset - 1, ceiling, window or self.window)
        return None if newline is None else newline + 1

    def tail(self, n: int) -> list[bytes]:
        """The last `n` lines, raw (each cut to MAX_LINE_BYTES), oldest first."""
        return [self.line(span) for span in self.spans_before(self.size(), n)]


class NotRegularFile(OSError):
    pass
