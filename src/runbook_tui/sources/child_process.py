"""One child process of a check, bounded in time and memory: started in its own
process group, its output streamed (to a consumer, or only its tail kept), killed
with its whole group (and descendants that left the group) at its timeout, when it
is done, or when the hub closes."""

from __future__ import annotations

import contextlib
import os
import selectors
import subprocess
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from runbook_tui.session import process_group

# What is kept of a child's output when no consumer takes it: enough for a last line.
TAIL_BYTES = 4096
_CHUNK = 65536
# How often a wait looks at whether the child has exited while something it started
# (a background job) still holds the pipe open.
_EXIT_LOOK = 0.05


@dataclass(frozen=True)
class Finished:
    exit_code: int | None  # None: killed (timeout, close) or could not start
    stdout_tail: bytes  # the last TAIL_BYTES of stdout (stderr too when merged)
    stderr_tail: bytes
    timed_out: bool
    killed: bool  # stopped by `kill()` (the hub closing)
    error: str | None  # could not start: the reason
    seconds: float

    def last_line(self, which: str = "stdout") -> str:
        """The last line that is not blank, decoded (invalid UTF-8 replaced)."""
        data = self.stdout_tail if which == "stdout" else self.stderr_tail
        for line in reversed(data.decode("utf-8", "replace").splitlines()):
            if line.strip():
                return line.strip()
        return ""


class ChildProcess:
    """Runs one child at a time (a source polls one at a time) and can kill it from
    another thread. After `kill()` it starts nothing more."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._proc: subprocess.Popen[bytes] | None = None
        self._closed = False

    def run(
        self,
        argv: Sequence[str],
        *,
        env: Mapping[str, str] | None = None,
        cwd: str | None = None,
        timeout: float,
        merge_stderr: bool = False,
        on_stdout: Callable[[bytes], None] | None = None,
    ) -> Finished:
        """Run `argv` (no shell unless argv is one) to its end or `timeout` seconds."""
        start = time.monotonic()
        with self._lock:
            if self._closed:
                return Finished(None, b"", b"", False, True, None, 0.0)
            try:
                proc = subprocess.Popen(
                    list(argv),
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.STDOUT if merge_stderr else subprocess.PIPE,
                    env=dict(env) if env is not None else None,
                    cwd=cwd,
                    start_new_session=True,
                    close_fds=True,
                )
            except OSError as exc:
                return Finished(None, b"", b"", False, False, _start_error(argv, exc), 0.0)
            self._proc = proc
        try:
            tails, timed_out = self._pump(proc, start + timeout, on_stdout)
        finally:
            with self._lock:
                self._proc = None
                killed = self._closed
            _stop_group(proc)
            for stream in (proc.stdout, proc.stderr):
                if stream is not None:
                    stream.close()
        code = proc.returncode if not (timed_out or killed) else None
        if code is not None and code < 0:
            code = None  # killed by a signal: no exit code
        return Finished(code, tails[0], tails[1], timed_out, killed, None, time.monotonic() - start)

    def _pump(
        self,
        proc: subprocess.Popen[bytes],
        deadline: float,
        on_stdout: Callable[[bytes], None] | None,
    ) -> tuple[tuple[bytes, bytes], bool]:
        """Read the child's output until it exits (and its pipes are drained) or the
        deadline passes; then kill its group. Returns the tails and whether it timed
        out."""
        tails = [bytearray(), bytearray()]
        sel = selectors.DefaultSelector()
        streams = {}
        for index, stream in enumerate((proc.stdout, proc.stderr)):
            if stream is not None:
                os.set_blocking(stream.fileno(), False)
                sel.register(stream.fileno(), selectors.EVENT_READ, index)
                streams[stream.fileno()] = index
        exited_at: float | None = None
        timed_out = False
        try:
            while streams:
                now = time.monotonic()
                if now >= deadline:
                    timed_out = proc.poll() is None
                    break
                if exited_at is None and proc.poll() is not None:
                    exited_at = now
                if exited_at is not None and now - exited_at > _EXIT_LOOK:
                    # The child has gone; whatever still holds the pipe is a leftover
                    # of its group, killed below. What it wrote so far was read.
                    break
                events = sel.select(min(_EXIT_LOOK, deadline - now))
                for key, _ in events:
                    try:
                        data = os.read(key.fd, _CHUNK)
                    except BlockingIOError:
                        continue
                    index = streams[key.fd]
                    if not data:
                        sel.unregister(key.fd)
                        del streams[key.fd]
                        continue
                    if index == 0 and on_stdout is not None:
                        on_stdout(data)
                    else:
                        tail = tails[index]
                        tail += data
                        if len(tail) > TAIL_BYTES:
                            del tail[: len(tail) - TAIL_BYTES]
            if not timed_out:
                remaining = deadline - time.monotonic()
                try:
                    proc.wait(max(remaining, 0))
                except subprocess.TimeoutExpired:
                    timed_out = True
        finally:
            sel.close()
        return (bytes(tails[0]), bytes(tails[1])), timed_out

    def kill(self) -> None:
        """Kill the running child's group, if any, and refuse to start more."""
        with self._lock:
            self._closed = True
            proc = self._proc
        if proc is not None:
            _stop_group(proc)


def _stop_group(proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL the child's group and the descendants that left it, then reap the
    child. A check has no cleanup to do that a gentler signal would wait for."""
    escaped = process_group.escaped_descendants(proc.pid, proc.pid)
    process_group.kill_now(proc.pid, escaped)
    with contextlib.suppress(subprocess.TimeoutExpired, OSError):
        proc.wait(5)


def _start_error(argv: Sequence[str], exc: OSError) -> str:
    if isinstance(exc, FileNotFoundError) and exc.filename in (argv[0], None):
        return f"{argv[0]} not installed"
    return f"{argv[0]}: {exc.strerror or exc}"
