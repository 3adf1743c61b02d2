"""How a step status looks: a symbol and a CSS-variable colour, so status is never
shown by colour alone."""

from __future__ import annotations

STATUS_SYMBOLS: dict[str, str] = {
    "pending": "○",
    "running": "▶",
    "succeeded": "✓",
    "failed": "✗",
    "skipped": "↷",
    "interrupted": "!",
}

# Theme variables, so the same marks read well in light and dark themes.
STATUS_COLOURS: dict[str, str] = {
    "pending": "$text-muted",
    "running": "$text-accent",
    "succeeded": "$text-success",
    "failed": "$text-error",
    "skipped": "$text-warning",
    "interrupted": "$text-warning",
}

DONE_STATUSES = frozenset({"succeeded", "skipped"})


def symbol(status: str) -> str:
    return STATUS_SYMBOLS.get(status, "?")


def colour(status: str) -> str:
    return STATUS_COLOURS.get(status, "$text")


def format_duration(seconds: float) -> str:
    """`H:MM:SS` for a non-negative number of seconds (negative clamps to zero)."""
    total = max(0, int(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}"
