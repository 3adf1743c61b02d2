"""The operator's terminal going away: noticing it, and hanging up cleanly.

A dropped SSH session sends SIGHUP, whose default would kill this process and leave the
running step going on unrecorded, in its own process group. A hang-up does not always
bring SIGHUP either (see `watch`), so a thread also looks at the terminal itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Callable

from runbook_tui.tui.engine_api import EngineLike

log = logging.getLogger(__name__)

# How often the terminal watch looks whether the terminal is still there (seconds).
POLL_SECONDS = 0.5
# How long a hang-up waits for the engine to record the cancelled step.
CANCEL_WAIT_SECONDS = 10.0

_hanging_up = threading.Lock()


def terminal_present() -> bool:
    """False once the terminal has hung up (its tty calls then fail). Textual reads
    stdin and draws on stderr; stdout may be redirected."""
    try:
        return os.isatty(sys.__stdin__.fileno()) and os.isatty(sys.__stderr__.fileno())
    except (AttributeError, OSError, ValueError):
        return False


def hang_up(engine: EngineLike | None) -> None:
    """The terminal is gone: cancel the running step (its process group is killed),
    let the engine record that, close the journal, and leave without drawing: the
    session stays resumable. Blocking here is fine; nobody is watching. The first
    caller ends the process; a second one returns at once."""
    if not _hanging_up.acquire(blocking=False):
        return None
    log.warning("the terminal hung up; closing the session so it can be resumed")
    if engine is not None:
        engine.cancel()
        deadline = time.monotonic() + CANCEL_WAIT_SECONDS
        while engine.running and time.monotonic() < deadline:
            time.sleep(0.05)
        try:
            engine.close()
        except Exception:
            log.exception("closing the journal after a hang-up failed")
    os._exit(129)  # 128 + SIGHUP; Textual's own exit would write to a dead terminal


def watch(is_running: Callable[[], bool], engine: Callable[[], EngineLike | None]) -> None:
    """Hang up on SIGHUP, and when the terminal goes away without one.

    The kernel signals the session leader; the UI hears of it only when that leader
    exits, and `make` (as in `make demo`) first waits for its children. Meanwhile
    Textual's writer thread dies on the first write to the dead terminal, and once its
    queue is full a frame blocks the event loop for good, signal handler included. So a
    thread looks at the terminal itself, off the event loop. Call from the event loop."""
    # Outside the main thread (tests) there is no terminal to hang up.
    with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
        asyncio.get_running_loop().add_signal_handler(signal.SIGHUP, lambda: hang_up(engine()))
    if not terminal_present():
        return
    threading.Thread(
        target=watch_terminal,
        args=(is_running, lambda: hang_up(engine())),
        name="runbook-tui-terminal",
        daemon=True,
    ).start()


def watch_terminal(is_running: Callable[[], bool], on_gone: Callable[[], object]) -> None:
    """Block until the terminal is gone, then call `on_gone` if the app still runs (an
    app that ended on its own just stops the watch)."""
    while is_running() and terminal_present():
        time.sleep(POLL_SECONDS)
    if is_running():
        on_gone()
