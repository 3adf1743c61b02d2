"""A command on a real pseudo-terminal, for tests that answer its prompts."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path


class PtySession:
    """`python -m runbook_tui ARGS` with a pty as its terminal. `wait_for` reads what it
    printed until a text appears (or fails with all it printed); `answer` types a line."""

    def __init__(self, args: list[str], cwd: Path, env: dict[str, str] | None = None) -> None:
        master, slave = pty.openpty()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "runbook_tui", *args],
            cwd=cwd,
            env={**os.environ, **(env or {})},
            stdin=slave,
            stdout=slave,
            stderr=slave,
        )
        os.close(slave)
        self.master = master
        self.seen = b""

    def wait_for(self, text: bytes, timeout: float = 20) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.seen:
            left = deadline - time.monotonic()
            assert left > 0, self.seen.decode(errors="replace")
            # Wait for output with the time left: a command waiting for input prints
            # nothing, and a bare read would block past the deadline for good.
            if not select.select([self.master], [], [], left)[0]:
                continue
            try:
                self.seen += os.read(self.master, 4096)
            except OSError:  # the command exited and its terminal closed
                break
        assert text in self.seen, self.seen.decode(errors="replace")

    def forget(self, upto: bytes) -> None:
        """Drop what was printed up to the last `upto`, so the next wait sees only new text."""
        self.seen = self.seen[self.seen.rindex(upto) + len(upto) :]

    def answer(self, line: bytes) -> None:
        os.write(self.master, line + b"\n")

    def wait(self, timeout: float = 20) -> int:
        return self.proc.wait(timeout=timeout)

    def close(self) -> None:
        """Close the terminal; a command still running (a failed test) is killed."""
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        os.close(self.master)
