"""Drive a command in a detached tmux session as a person would: type keys, read the
screen, wait for what should appear (polling with a deadline, never a fixed sleep)."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

# The installed command, as a user runs it.
COMMAND = str(Path(sys.executable).parent / "runbook-tui")


class Tmux:
    def __init__(self, width: int = 100, height: int = 30) -> None:
        self.socket = f"rt-e2e-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self.width = width
        self.height = height

    def _tmux(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["tmux", "-L", self.socket, *args], capture_output=True, text=True, check=check
        )

    def start(self, argv: list[str], cwd: Path, *, leader: bool = False) -> None:
        """Run `argv` in a fresh server; after it exits the pane shows EXIT=<code>.
        With `leader`, `argv` itself is the pane's process (the session leader, the
        one the kernel sends SIGHUP to) and the pane closes when it exits."""
        command = ["sh", "-c", f"{shlex.join(argv)}; echo EXIT=$?; sleep 600"]
        self._tmux(
            "new-session", "-d", "-x", str(self.width), "-y", str(self.height),
            "-c", str(cwd), *(argv if leader else command),
        )  # fmt: skip

    def keys(self, *keys: str) -> None:
        """tmux key names: Enter, Escape, C-c, or single characters."""
        for key in keys:
            self._tmux("send-keys", "-t", "0", key)

    def type(self, text: str) -> None:
        self._tmux("send-keys", "-t", "0", "-l", text)

    def screen(self) -> str:
        return self._tmux("capture-pane", "-p", "-t", "0").stdout

    def foreground_command(self) -> str:
        """The name of the process that owns the terminal now (its foreground group)."""
        return self._tmux("display", "-p", "-t", "0", "#{pane_current_command}").stdout.strip()

    def wait_for(self, what: str | Callable[[str], bool], timeout: float = 20.0) -> str:
        """The screen once it contains `what` (or `what(screen)` holds)."""
        check = what if callable(what) else (lambda screen: what in screen)
        deadline = time.monotonic() + timeout
        screen = ""
        while time.monotonic() < deadline:
            screen = self.screen()
            if check(screen):
                return screen
            time.sleep(0.05)
        raise AssertionError(f"timed out waiting for {what!r}; the screen was:\n{screen}")

    def exit_code(self, timeout: float = 20.0) -> int:
        screen = self.wait_for("EXIT=", timeout)
        return int(screen.split("EXIT=")[1].split()[0])

    def kill(self) -> None:
        self._tmux("kill-server", check=False)
        # A killed server leaves its socket file behind.
        tmpdir = os.environ.get("TMUX_TMPDIR", "/tmp")
        Path(tmpdir, f"tmux-{os.getuid()}", self.socket).unlink(missing_ok=True)
