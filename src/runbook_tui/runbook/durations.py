"""Durations as runbooks write them: 45s, 10m, 1h30m, 2d, or a bare number of seconds."""

from __future__ import annotations

import math
import re

_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d|w)")
_NUMBER = re.compile(r"\d+(\.\d+)?")


class BadNumber(ValueError):
    """A number that is not finite: NaN, an infinity, or too large for a float."""


def finite(value: float | int) -> float:
    """`value` as a float; BadNumber for NaN, infinities and ints beyond a float."""
    try:
        number = float(value)
    except OverflowError:
        raise BadNumber(f"{value!r} is too large a number") from None
    if not math.isfinite(number):
        raise BadNumber(f"{value!r} is not a finite number")
    return number


def parse_duration(value: object) -> float:
    """Seconds for `value`; raises ValueError with a readable reason otherwise, and
    BadNumber (a ValueError) for NaN, infinities and numbers too large for a float."""
    if isinstance(value, bool):
        raise ValueError(f"not a duration: {value!r}")
    if isinstance(value, int | float):
        number = finite(value)
        if number < 0:
            raise ValueError(f"negative duration: {value!r}")
        return number
    if not isinstance(value, str):
        raise ValueError(f"not a duration: {value!r}")
    text = value.strip().lower().replace(" ", "")
    if _NUMBER.fullmatch(text):
        return finite(float(text))
    pos, total = 0, 0.0
    for m in _PART.finditer(text):
        if m.start() != pos:
            break
        total += float(m.group(1)) * _UNITS[m.group(2)]
        pos = m.end()
    if pos != len(text) or not text:
        raise ValueError(f"not a duration: {value!r} (use forms like 45s, 10m, 1h30m)")
    return finite(total)


def format_duration(seconds: float) -> str:
    """Compact human form: 1h02m, 4m05s, 12s."""
    s = round(seconds)
    h, rem = divmod(s, 3600)
    m, sec = divmod(rem, 60)
    if h:
        return f"{h}h{m:02d}m"
    if m:
        return f"{m}m{sec:02d}s"
    return f"{sec}s"
