"""Stopping everything a step started: its process group, plus descendants that left it."""

from __future__ import annotations

import contextlib
import os
import signal

import psutil


def signal_group(pgid: int, sig: int) -> bool:
    """Send `sig` to the group; False if the group no longer exists."""
    try:
        os.killpg(pgid, sig)
    except ProcessLookupError:
        return False
    except PermissionError:
        # A member changed its credentials (setuid helper); the rest were signalled.
        return True
    return True


def group_alive(pgid: int) -> bool:
    """Whether any process is still in the group (zombies count until reaped)."""
    return signal_group(pgid, 0)


def group_has_live_members(pgid: int) -> bool:
    """Whether the group has a member that is not a zombie. Orphans are reaped by init
    whenever it gets to it (some container inits take a second or more), and a zombie
    has nothing left to stop. Scans /proc, so only used when `group_alive` says yes."""
    if not group_alive(pgid):
        return False
    try:
        names = os.listdir("/proc")
    except OSError:
        return True
    for name in names:
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as f:
                stat = f.read()
        except OSError:
            continue
        # Fields after the command name, which is in parentheses and may hold spaces.
        fields = stat[stat.rfind(b")") + 2 :].split()
        if len(fields) > 2 and int(fields[2]) == pgid and fields[0] not in (b"Z", b"X"):
            return True
    return False


def escaped_descendants(root_pid: int, pgid: int) -> list[psutil.Process]:
    """Descendants of `root_pid` that moved to another process group or session
    (`setsid`, `setpgid`), which `killpg` would miss. Needs the root to be alive: once it
    has exited its orphans are reparented and can no longer be found this way."""
    try:
        children = psutil.Process(root_pid).children(recursive=True)
    except psutil.Error:
        return []
    escaped = []
    for child in children:
        with contextlib.suppress(psutil.Error, OSError):
            if os.getpgid(child.pid) != pgid:
                escaped.append(child)
    return escaped


def signal_processes(procs: list[psutil.Process], sig: int) -> None:
    """Signal each process; psutil refuses if the pid was reused meanwhile."""
    for proc in procs:
        with contextlib.suppress(psutil.Error, OSError):
            proc.send_signal(sig)


def any_running(procs: list[psutil.Process]) -> bool:
    for proc in procs:
        with contextlib.suppress(psutil.Error, OSError):
            if proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE:
                return True
    return False


def terminate_now(pgid: int, procs: list[psutil.Process]) -> None:
    """SIGTERM (and SIGCONT, so stopped members act on it) to the group and escapees."""
    signal_group(pgid, signal.SIGTERM)
    signal_group(pgid, signal.SIGCONT)
    signal_processes(procs, signal.SIGTERM)
    signal_processes(procs, signal.SIGCONT)


def kill_now(pgid: int, procs: list[psutil.Process]) -> None:
    signal_group(pgid, signal.SIGKILL)
    signal_processes(procs, signal.SIGKILL)
