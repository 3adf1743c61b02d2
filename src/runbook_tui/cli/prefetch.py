"""Parse the runbook in a child process while the terminal UI's library loads.

Opening the UI costs two pieces of work that do not depend on each other: importing
Textual (~350 ms of CPU here) and importing the parser (markdown-it, PyYAML) then
parsing and linting the file (~110 ms for a 200-step runbook). On a machine with a
core to spare, a forked child does the second while this process does the first, and
sends back the parse, pickled, through a pipe (a pipe this process made, to a child of
its own: the pickle is not read from anywhere an attacker can write).

Anything unusual falls back to parsing here, as before, with the same result: no
`fork`, a single core, threads already running, a file that is not a regular file or is
larger than `MAX_BYTES` (its pickle would cost more to send than the overlap saves), a
child that fails or dies. The child never prints: every message about the file (a
missing file, errors) comes from this process, as it always did."""

from __future__ import annotations

import os
import pickle
import threading
from pathlib import Path

from runbook_tui.runbook.model import ParseResult

# A runbook up to this size is parsed in the child (1 MiB: ~6x the largest runbook of
# the public corpus; past it the pickle, ~10x the file, would cost more than it saves).
MAX_BYTES = 1 << 20


class Prefetch:
    """A parse under way in a child process."""

    def __init__(self, pid: int, fd: int) -> None:
        self.pid = pid
        self._fd = fd

    def result(self) -> ParseResult | None:
        """The child's parse, waiting for it; None when it did not deliver one (then
        parse here)."""
        chunks: list[bytes] = []
        try:
            while chunk := os.read(self._fd, 1 << 20):
                chunks.append(chunk)
        finally:
            os.close(self._fd)
            _, status = os.waitpid(self.pid, 0)
        if not chunks or os.waitstatus_to_exitcode(status) != 0:
            return None
        try:
            parsed = pickle.loads(b"".join(chunks))
        except Exception:  # a torn or odd pickle is no parse: parse here
            return None
        return parsed if isinstance(parsed, ParseResult) else None


def start(path: str) -> Prefetch | None:
    """Start parsing `path` in a child; None when it is better parsed here."""
    if not hasattr(os, "fork") or (os.cpu_count() or 1) < 2:
        return None
    # A fork copies only the calling thread: with others running it is not safe.
    if threading.active_count() > 1:
        return None
    try:
        stat = Path(path).stat()
    except OSError:
        return None
    if not Path(path).is_file() or stat.st_size > MAX_BYTES:
        return None
    read, write = os.pipe()
    try:
        pid = os.fork()
    except OSError:
        os.close(read)
        os.close(write)
        return None
    if pid == 0:  # the child: parse, send, and leave without running any exit handler
        code = 1
        try:
            os.close(read)
            from runbook_tui.runbook.parser import load

            data = pickle.dumps(load(path), protocol=pickle.HIGHEST_PROTOCOL)
            view = memoryview(data)
            while view:
                view = view[os.write(write, view) :]
            code = 0
        except BaseException:  # the parent parses again and says what is wrong
            pass
        finally:
            os._exit(code)
    os.close(write)
    return Prefetch(pid, read)
