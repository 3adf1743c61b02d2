"""The session's clock, from the journal's own timestamps: how long the session has
been open (the spans of the processes that had it open, not the pauses between them),
and where a drill stands against its RTO."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

# From this share of the RTO on, a drill's clock warns.
RTO_WARNING_SHARE = 0.8


def epoch(ts: str | None) -> float | None:
    """Seconds since the epoch for a journal timestamp (`...Z`); None if unreadable."""
    if not ts:
        return None
    try:
        return datetime.fromisoformat(ts.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def open_seconds(segments: Iterable[tuple[str, str | None]], now: float) -> float:
    """The summed length of the segments; an open one runs until `now`."""
    total = 0.0
    for start, end in segments:
        begin = epoch(start)
        if begin is None:
            continue
        finish = epoch(end) if end is not None else now
        if finish is not None:
            total += max(0.0, finish - begin)
    return total


def rto_level(elapsed: float, rto: float | None) -> str:
    """ "ok", "near" or "over" for a drill clock."""
    if not rto:
        return "ok"
    if elapsed >= rto:
        return "over"
    if elapsed >= rto * RTO_WARNING_SHARE:
        return "near"
    return "ok"
