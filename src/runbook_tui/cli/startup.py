"""Start-up without the cyclic garbage collector.

Start-up (imports, arguments, loading the runbook, the UI's first frame) builds many
long-lived objects and almost no garbage, yet the collector walks them again and again:
before the UI's first frame that was about 40 ms, one full collection included
(measured with `gc.callbacks`; see docs/tui.md, Decisions). So `main` turns the collector
off, and each command turns it back on when its own work begins: a headless command
before its handler runs, the UI once its first frame is on screen. The UI also freezes
what start-up built (`gc.freeze`), so the full collections of a long session skip the
modules and widgets that live as long as the process."""

from __future__ import annotations

import gc


def begin() -> None:
    gc.disable()


def done(*, freeze: bool = False) -> None:
    """Start-up is over: collect as usual again (idempotent)."""
    if freeze and not gc.isenabled():
        gc.freeze()
    gc.enable()


def ui_done() -> None:
    """The UI's first frame is drawn."""
    done(freeze=True)
