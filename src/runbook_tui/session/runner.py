"""Running one shell step: bash in its own process group, output captured from a pty.

Contract (docs/architecture.md): `ShellRunner(env, cwd, use_pty)`, `.run(...) -> RunResult`,
`.cwd` and `.env` are the carried shell state. Behaviour is documented in
docs/execution.md; the reasons for the less obvious choices are in comments here.
"""

from __future__ import annotations

import codecs
import contextlib
import fcntl
import os
import select
import shutil
import signal
import struct
import subprocess
import termios
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass

import psutil

from runbook_tui.session import process_group
from runbook_tui.session.shell_state import (
    MAX_STATE_BYTES,
    merge_state,
    parse_state,
    startup_script,
)

# Bytes per read: the decoder may add up to 3 held-back bytes, so every on_output chunk
# stays within 64 Ki characters.
READ_CHUNK = 65536 - 4
# A step longer than this is not passed as an argument (the kernel takes at most
# 128 KiB in one) but read from a memory file.
MAX_ARGUMENT_BYTES = 64 * 1024
# After the shell and its group are gone, output still in flight is read until the
# channel closes, or nothing arrived for DRAIN_IDLE, or DRAIN_MAX passed (a process that
# escaped the group may hold the pty open and keep writing).
DRAIN_IDLE = 0.1
DRAIN_MAX = 2.0
# After SIGKILL, how long to wait for the group to vanish. Orphans are reaped by init;
# where nothing reaps them they stay zombies (dead, but still group members).
KILL_WAIT = 1.0
# How often a passed-in cancel Event is checked (it cannot wake poll()).
CANCEL_POLL = 0.05

# Child-only defaults in pty capture: the step cannot be answered, so a pager would wait
# for a key until the timeout. Not carried into `.env` unless the step exported them itself.
PTY_CHILD_ENV = {
    "PAGER": "cat",
    "GIT_PAGER": "cat",
    "SYSTEMD_PAGER": "cat",
    "MANPAGER": "cat",
    "AWS_PAGER": "",
}
DEFAULT_TERM = "xterm-256color"


@dataclass(frozen=True)
class RunResult:
    """How a step ended. `exit_code` is bash's exit status (a command killed by a signal
    inside the script shows as 128+N there); `signal` is set, and `exit_code` None, only
    when bash itself died of a signal (e.g. the timeout's SIGTERM/SIGKILL)."""

    exit_code: int | None
    signal: int | None
    timed_out: bool
    cancelled: bool
    duration_seconds: float
    # Whether the shell reported its final cwd/env (False: state left as it was).
    state_carried: bool = False


class ShellRunner:
    """One terminal's worth of shell state, carried across steps in memory only."""

    def __init__(
        self,
        env: dict[str, str],
        cwd: str,
        use_pty: bool = True,
        *,
        kill_grace: float = 2.0,
        window_size: tuple[int, int] = (80, 24),
        bash: str | None = None,
    ) -> None:
        self.env: dict[str, str] = dict(env)
        self.cwd: str = cwd
        self.use_pty = use_pty
        self.kill_grace = kill_grace
        # (columns, rows) of the pty the step sees.
        self.window_size = window_size
        self.bash = bash or shutil.which("bash") or "/bin/bash"
        self._run_lock = threading.Lock()
        self._cancel_requested = threading.Event()
        # The running step's wake-up pipe; guarded so cancel() never writes to an fd
        # number that was closed and reused.
        self._wake_lock = threading.Lock()
        self._wake_w: int | None = None

    def cancel(self) -> None:
        """Stop the running step (if any) from another thread, like a set cancel Event."""
        self._cancel_requested.set()
        with self._wake_lock:
            if self._wake_w is not None:
                with contextlib.suppress(OSError):
                    os.write(self._wake_w, b"x")

    def run(
        self,
        command: str,
        *,
        on_output: Callable[[str], None],
        timeout: float | None = None,
        cwd: str | None = None,
        cancel: threading.Event | None = None,
        interactive: bool = False,
        errexit: bool = True,
        pipefail: bool = True,
        child_env: Mapping[str, str] | None = None,
    ) -> RunResult:
        """Run `command` to completion (blocking). It runs under `set -e` and
        `set -o pipefail` unless `errexit` / `pipefail` is False. `child_env`: variables
        for this command only, not carried to the next (filled placeholders). Raises OSError if bash
        cannot be started (e.g. the working directory is gone); exceptions from
        `on_output` propagate after everything the step started has been killed."""
        if not self._run_lock.acquire(blocking=False):
            raise RuntimeError("a step is already running in this shell")
        try:
            self._cancel_requested.clear()
            if cancel is not None and cancel.is_set():
                return RunResult(None, None, timed_out=False, cancelled=True, duration_seconds=0.0)
            options = _Options(interactive=interactive, errexit=errexit, pipefail=pipefail)
            return self._run(command, on_output, timeout, cwd, cancel, options, child_env or {})
        finally:
            self._run_lock.release()

    def _run(
        self,
        command: str,
        on_output: Callable[[str], None],
        timeout: float | None,
        cwd: str | None,
        cancel: threading.Event | None,
        options: _Options,
        only_child: Mapping[str, str],
    ) -> RunResult:
        started = time.monotonic()
        interactive = options.interactive
        workdir = self.cwd if cwd is None else os.path.join(self.cwd, cwd)
        capture = "none" if interactive else ("pty" if self.use_pty else "pipe")
        child_env = dict(self.env)
        child_env["PWD"] = workdir
        injected: dict[str, str] = {}
        if capture == "pty":
            if "TERM" not in child_env:
                injected["TERM"] = DEFAULT_TERM
            injected.update(PTY_CHILD_ENV)
        injected.update(only_child)
        child_env.update(injected)

        with _Channels(capture, self.window_size) as ch:
            proc = self._spawn(command, workdir, child_env, ch, options)
            with self._wake_lock:
                self._wake_w = ch.wake_w
            try:
                with _foreground(proc.pid) if interactive else contextlib.nullcontext():
                    if interactive:
                        # The terminal is the step's now: let bash read its startup
                        # script (it has waited on that pipe) and start the command.
                        ch.release_startup()
                    outcome = _Supervisor(proc, ch, on_output, self.kill_grace).supervise(
                        deadline=None if timeout is None else started + timeout,
                        cancel=cancel,
                        cancel_requested=self._cancel_requested,
                    )
            finally:
                with self._wake_lock:
                    self._wake_w = None

        state = parse_state(outcome.state) if outcome.state is not None else None
        if state is not None:
            self.env = merge_state(self.env, injected, state)
            # A step with its own cwd runs there and returns, like `(cd dir && ...)`.
            if cwd is None and state.cwd:
                self.cwd = state.cwd
            if "PWD" in self.env:
                self.env["PWD"] = self.cwd
        rc = proc.returncode
        return RunResult(
            exit_code=rc if rc >= 0 else None,
            signal=-rc if rc < 0 else None,
            timed_out=outcome.timed_out,
            cancelled=outcome.cancelled,
            duration_seconds=time.monotonic() - started,
            state_carried=state is not None,
        )

    def _spawn(
        self,
        command: str,
        workdir: str,
        env: dict[str, str],
        ch: _Channels,
        options: _Options,
    ) -> subprocess.Popen[bytes]:
        env = dict(env)
        interactive = options.interactive
        ch.startup = startup_script(
            ch.state_w,
            ch.startup_r,
            env.get("BASH_ENV"),
            errexit=options.errexit,
            pipefail=options.pipefail,
        )
        if not interactive:
            ch.release_startup()
        # else bash waits on the startup pipe until the terminal has been handed over,
        # so the step prints nothing (no prompt) while keys would still reach us.
        env["BASH_ENV"] = f"/dev/fd/{ch.startup_r}"
        fds: tuple[int, ...] = (ch.state_w, ch.startup_r)
        # argv[0] "bash": error messages read "bash: line 2: ..." as in a terminal.
        argv = ["bash", "-c", command]
        if len(command.encode("utf-8", "surrogateescape")) > MAX_ARGUMENT_BYTES:
            # One argument may hold at most 128 KiB (E2BIG beyond): a longer step is read
            # by bash from a memory file (never on disk), sourced so it runs as written.
            script = ch.command_file(command)
            fds += (script,)
            argv = ["bash", "-c", f". /dev/fd/{script}"]
        if interactive:
            # Same session as the UI (the terminal stays our controlling tty), own group
            # so it can be made the foreground group and killed as a whole.
            proc = subprocess.Popen(
                argv,
                executable=self.bash,
                cwd=workdir,
                env=env,
                pass_fds=fds,
                process_group=0,
            )
        else:
            # stdin is /dev/null: nobody can type into a captured step, so a read gets
            # EOF at once instead of waiting for the timeout.
            proc = subprocess.Popen(
                argv,
                executable=self.bash,
                cwd=workdir,
                env=env,
                pass_fds=fds,
                stdin=subprocess.DEVNULL,
                stdout=ch.child_out,
                stderr=ch.child_out,
                start_new_session=True,
            )
        ch.close_child_ends()
        return proc


@dataclass(frozen=True)
class _Options:
    """How one step runs: with the real terminal or captured, and its shell options."""

    interactive: bool
    errexit: bool
    pipefail: bool


@dataclass
class _Outcome:
    timed_out: bool
    cancelled: bool
    state: bytes | None


class _Channels:
    """The fds of one run: output (pty master or pipe), the state pipe, a wake-up pipe.
    Every fd is closed on exit, whatever happened."""

    def __init__(self, capture: str, window_size: tuple[int, int]) -> None:
        self._fds: list[int] = []
        self.startup = b""  # the BASH_ENV script, written by release_startup
        self.out_r: int | None = None
        self.child_out: int | None = None
        try:
            if capture == "pty":
                master, slave = os.openpty()
                self._fds += [master, slave]
                self.out_r, self.child_out = master, slave
                cols, rows = window_size
                fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
                # No "\n" -> "\r\n" translation: captured text has the program's own line
                # endings, the same as with use_pty=False.
                attrs = termios.tcgetattr(slave)
                attrs[1] &= ~termios.ONLCR
                termios.tcsetattr(slave, termios.TCSANOW, attrs)
            elif capture == "pipe":
                r, w = os.pipe()
                self._fds += [r, w]
                self.out_r, self.child_out = r, w
            self.state_r, self.state_w = os.pipe()
            self._fds += [self.state_r, self.state_w]
            self.startup_r, self.startup_w = os.pipe()
            self._fds += [self.startup_r, self.startup_w]
            self.wake_r, self.wake_w = os.pipe()
            self._fds += [self.wake_r, self.wake_w]
            for fd in (self.out_r, self.state_r, self.wake_r, self.wake_w):
                if fd is not None:
                    os.set_blocking(fd, False)
        except BaseException:
            self.close_all()
            raise

    def close(self, fd: int | None) -> None:
        if fd is not None and fd in self._fds:
            self._fds.remove(fd)
            with contextlib.suppress(OSError):
                os.close(fd)

    def command_file(self, command: str) -> int:
        """A memory file (memfd) holding `command`, to be passed to bash by number."""
        fd = os.memfd_create("runbook-tui-step", os.MFD_CLOEXEC)
        self._fds.append(fd)
        data = command.encode("utf-8", "surrogateescape")
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        return fd

    def release_startup(self) -> None:
        """Write the startup script and close the pipe: bash reads it to EOF, then runs
        the command. A few hundred bytes fit the pipe buffer: this cannot block."""
        if self.startup_w is not None and self.startup_w in self._fds:
            os.write(self.startup_w, self.startup)
            self.close(self.startup_w)

    def close_child_ends(self) -> None:
        """Our copies of the child's ends: the pty/pipe reports EOF/EIO only once every
        holder has closed it."""
        self.close(self.child_out)
        self.close(self.state_w)
        self.close(self.startup_r)

    def close_all(self) -> None:
        for fd in list(self._fds):
            self.close(fd)

    def __enter__(self) -> _Channels:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close_all()


class _Supervisor:
    """The read loop: drains output and state as they come, watches the shell through a
    pidfd, enforces timeout and cancel, and cleans up the process group.

    It never waits for the output channel to close, since background processes may hold
    it open, and it never blocks in wait() with output unread."""

    def __init__(
        self,
        proc: subprocess.Popen[bytes],
        ch: _Channels,
        on_output: Callable[[str], None],
        kill_grace: float,
    ) -> None:
        self.proc = proc
        self.ch = ch
        self.on_output = on_output
        self.kill_grace = kill_grace
        self.pgid = proc.pid  # start_new_session / process_group=0: group id = pid
        self.decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self.state = bytearray()
        self.state_overflow = False
        self.escapees: list[psutil.Process] = []

    def supervise(
        self,
        *,
        deadline: float | None,
        cancel: threading.Event | None,
        cancel_requested: threading.Event,
    ) -> _Outcome:
        ch = self.ch
        poller = select.poll()
        try:
            pidfd: int | None = os.pidfd_open(self.proc.pid)
        except OSError:  # kernel before 5.3: poll the shell instead
            pidfd = None
        try:
            return self._loop(poller, pidfd, deadline, cancel, cancel_requested)
        except BaseException:
            # on_output raised (or we were interrupted): leave nothing running.
            if self.proc.returncode is None:
                process_group.kill_now(self.pgid, self.escapees)
                self.proc.wait()
            elif process_group.group_alive(self.pgid):
                process_group.kill_now(self.pgid, self.escapees)
            # SIGKILL is delivered asynchronously: be sure before saying it is over.
            until = time.monotonic() + KILL_WAIT
            while time.monotonic() < until and (
                process_group.group_has_live_members(self.pgid)
                or process_group.any_running(self.escapees)
            ):
                time.sleep(0.01)
            raise
        finally:
            if pidfd is not None:
                os.close(pidfd)
            ch.close_all()

    def _loop(
        self,
        poller: select.poll,
        pidfd: int | None,
        deadline: float | None,
        cancel: threading.Event | None,
        cancel_requested: threading.Event,
    ) -> _Outcome:
        ch = self.ch
        out_open = ch.out_r is not None
        if out_open:
            poller.register(ch.out_r, select.POLLIN)
        poller.register(ch.state_r, select.POLLIN)
        if pidfd is not None:
            poller.register(pidfd, select.POLLIN)
        poller.register(ch.wake_r, select.POLLIN)

        timed_out = cancelled = False
        term_sent = shell_done = group_done = killed = False
        kill_at: float | None = None
        killed_at = 0.0
        drain_from: float | None = None
        last_data = time.monotonic()

        while True:
            now = time.monotonic()
            if not shell_done and not term_sent:
                if cancel_requested.is_set() or (cancel is not None and cancel.is_set()):
                    cancelled = True
                elif deadline is not None and now >= deadline:
                    timed_out = True
                if cancelled or timed_out:
                    # Found while the shell is alive; after it dies its orphans cannot be.
                    self.escapees = process_group.escaped_descendants(self.proc.pid, self.pgid)
                    process_group.terminate_now(self.pgid, self.escapees)
                    term_sent = True
                    kill_at = now + self.kill_grace
            if kill_at is not None and not killed and now >= kill_at:
                process_group.kill_now(self.pgid, self.escapees)
                killed, killed_at = True, now
            if shell_done and not group_done:
                if not process_group.group_has_live_members(
                    self.pgid
                ) and not process_group.any_running(self.escapees):
                    group_done = True
                elif killed and now - killed_at >= KILL_WAIT:
                    group_done = True  # unreaped zombies: dead, nothing left to stop
            if shell_done and group_done:
                if not out_open:
                    break
                if drain_from is None:
                    drain_from = now
                    last_data = now
                if now - last_data >= DRAIN_IDLE or now - drain_from >= DRAIN_MAX:
                    break

            waits: list[float] = [1.0]
            if not shell_done and not term_sent:
                if deadline is not None:
                    waits.append(deadline - now)
                if cancel is not None:
                    waits.append(CANCEL_POLL)
            if kill_at is not None and not killed:
                waits.append(kill_at - now)
            if shell_done and not group_done:
                waits.append(0.02)
            if drain_from is not None:
                waits.append(DRAIN_IDLE - (now - last_data))
            if pidfd is None and not shell_done:
                waits.append(0.01)
            wait_ms = max(0, int(min(waits) * 1000) + 1)

            for fd, _ev in poller.poll(wait_ms):
                if fd == ch.out_r:
                    if self._read_output():
                        last_data = time.monotonic()
                    else:
                        poller.unregister(fd)
                        ch.close(fd)
                        out_open = False
                elif fd == ch.state_r:
                    if not self._read_state():
                        poller.unregister(fd)
                elif fd == pidfd:
                    poller.unregister(pidfd)
                    shell_done = True
                elif fd == ch.wake_r:
                    with contextlib.suppress(OSError):
                        os.read(fd, 64)
            if pidfd is None and not shell_done:
                # WNOWAIT: seen exited but left a zombie, as with the pidfd.
                with contextlib.suppress(ChildProcessError):
                    shell_done = (
                        os.waitid(os.P_PID, self.proc.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
                        is not None
                    )
            if shell_done and self.proc.returncode is None:
                # Strays (background jobs) get SIGTERM now, before the shell is reaped:
                # while it is a zombie its pid, the group id, cannot be reused.
                process_group.terminate_now(self.pgid, [])
                if kill_at is None:
                    kill_at = time.monotonic() + self.kill_grace
                self.proc.wait()
                # The trap wrote its report before the shell exited: it is all in the
                # pipe now (no EOF to wait for: strays may hold the write end).
                while self._read_state():
                    pass

        tail = self.decoder.decode(b"", final=True)
        if tail:
            self.on_output(tail)
        state = None if self.state_overflow else bytes(self.state)
        return _Outcome(timed_out=timed_out, cancelled=cancelled, state=state)

    def _read_output(self) -> bool:
        """Read one chunk and hand it on; False once the channel is closed (EOF on a pipe,
        EIO on a pty master whose slave has no holder left)."""
        try:
            data = os.read(self.ch.out_r, READ_CHUNK)  # type: ignore[arg-type]
        except BlockingIOError:
            return True
        except OSError:
            return False
        if not data:
            return False
        text = self.decoder.decode(data)
        if text:
            self.on_output(text)
        return True

    def _read_state(self) -> bool:
        """Read what is there of the state report; False on EOF or nothing more now."""
        try:
            data = os.read(self.ch.state_r, 65536)
        except (BlockingIOError, OSError):
            return False
        if not data:
            return False
        if len(self.state) + len(data) > MAX_STATE_BYTES:
            self.state_overflow = True
            self.state.clear()
        elif not self.state_overflow:
            self.state += data
        return True


@contextlib.contextmanager
def _foreground(pgid: int) -> Iterator[None]:
    """Make the step's group the terminal's foreground group (so it can read the keyboard
    and gets Ctrl-C, not us), then take the terminal back and restore its modes."""
    try:
        tty = os.open("/dev/tty", os.O_RDWR | os.O_NOCTTY)
    except OSError:
        yield  # no terminal: nothing to hand over
        return
    try:
        try:
            foreground = os.tcgetpgrp(tty)
        except OSError:
            foreground = -1
        if foreground != os.getpgrp():
            yield  # we do not hold the terminal, so there is nothing to hand over
            return
        try:
            saved_modes: list[object] | None = termios.tcgetattr(tty)
        except termios.error:
            saved_modes = None
        # Taking the terminal back from a background group raises SIGTTOU unless blocked;
        # pthread_sigmask works from any thread (signal.signal only from the main one).
        old_mask = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTTOU})
        try:
            with contextlib.suppress(OSError):
                os.tcsetpgrp(tty, pgid)
                # A read before the hand-over stopped it with SIGTTIN: let it go on.
                os.killpg(pgid, signal.SIGCONT)
            yield
        finally:
            with contextlib.suppress(OSError):
                os.tcsetpgrp(tty, os.getpgrp())
            if saved_modes is not None:
                with contextlib.suppress(termios.error):
                    termios.tcsetattr(tty, termios.TCSADRAIN, saved_modes)
            signal.pthread_sigmask(signal.SIG_SETMASK, old_mask)
    finally:
        os.close(tty)
