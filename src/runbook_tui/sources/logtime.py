"""Timestamps at the start of log lines, and finding a time in a log file by bisecting its
byte offsets (a few dozen reads of a few KiB, however big the file).

Stamps understood (docs/runbook-format.md, "logs"):
- ISO 8601 / RFC 3339 at the start of a line, optionally after `[` or a syslog
  `<PRI>` (and RFC 5424's version): `2026-01-02T09:12:03.5Z`, `2026-01-02 09:12:03,120`,
  `2026/01/02 09:12:03` (Go's log package). Without an offset it is local time.
- syslog (RFC 3164, journalctl's default): `Jan  2 09:12:03`, local time. It has no
  year: the year is the one that puts the stamp at most a day after the file's last
  modification (a log is not written in the future), so a log spanning New Year reads
  December as the year before.
- Common Log Format (nginx, Apache access logs) within the first 128 bytes:
  `[02/Jan/2026:09:12:03 +0000]`.
- JSON lines: a `time`, `timestamp`, `ts` or `@timestamp` key holding one of the ISO
  forms above, or epoch seconds / milliseconds (pino, zap).
A line without a stamp belongs to the stamped line before it.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta, timezone

from runbook_tui.sources.logfile import LogFile

_MONTH_NAMES = b"jan feb mar apr may jun jul aug sep oct nov dec".split()
MONTHS = {name: i + 1 for i, name in enumerate(_MONTH_NAMES)}
_MON = rb"(?i:(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec))"
_PREFIX = rb"(?:<\d{1,3}>(?:1 )?|\[)?"
_ISO = (
    rb"(\d{4})[-/](\d{2})[-/](\d{2})[T ](\d{2}):(\d{2}):(\d{2})"
    rb"(?:[.,](\d{1,9}))?[ ]?(Z|z|[+-]\d{2}(?::?\d{2})?)?"
)
ISO_AT_START = re.compile(_PREFIX + _ISO)
SYSLOG_AT_START = re.compile(_PREFIX + _MON + rb" ([ \d]?\d) (\d{2}):(\d{2}):(\d{2})")
CLF = re.compile(rb"\[(\d{2})/" + _MON + rb"/(\d{4}):(\d{2}):(\d{2}):(\d{2}) ([+-]\d{4})\]")
JSON_TIME = re.compile(
    rb'"(?:time|timestamp|ts|@timestamp)"\s*:\s*(?:"' + _ISO + rb'"|(\d{10,13})(?:\.(\d+))?)'
)
# How far into a line a CLF stamp may start (after the client address and user).
CLF_WITHIN = 128
# Bytes a probe reads at most to find the first stamped line after an offset, and per
# read (a bisection of a 1 GB log makes about 30 probes).
PROBE_BYTES = 256 * 1024
PROBE_WINDOW = 4096
# Bytes of a line's start that may hold its stamp.
STAMP_BYTES = 512
# Lines looked at from the end to find the log's latest stamp.
LAST_STAMP_LINES = 200


def _zone(text: bytes | None) -> timezone | None:
    if not text or text in (b"Z", b"z"):
        return UTC if text else None
    sign = -1 if text[:1] == b"-" else 1
    digits = text[1:].replace(b":", b"")
    hours, minutes = int(digits[:2]), int(digits[2:4] or b"0")
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


def _aware(naive: datetime, zone: timezone | None) -> datetime:
    """A stamp without an offset is local time (as the machine that wrote it)."""
    return naive.replace(tzinfo=zone) if zone is not None else naive.astimezone()


def _iso(groups: tuple[bytes | None, ...]) -> datetime | None:
    year, month, day, hour, minute, second, frac, zone = groups
    try:
        micro = int((frac or b"0")[:6].ljust(6, b"0"))
        naive = datetime(
            int(year or 0), int(month or 0), int(day or 0),
            int(hour or 0), int(minute or 0), int(second or 0), micro,
        )  # fmt: skip
        return _aware(naive, _zone(zone))
    except ValueError:
        return None


def syslog_year(month: int, day: int, reference: datetime) -> int:
    """The year of a syslog stamp: the reference's (the file's last change), or the year
    before when the stamp would fall more than a day after the reference."""
    year = reference.year
    try:
        if date(year, month, day) > reference.date() + timedelta(days=1):
            return year - 1
    except ValueError:  # Feb 29 in a year that has none: it was an earlier year
        return year - 1
    return year


def parse_stamp(line: bytes, reference: datetime | None = None) -> datetime | None:
    """The time a log line was written (timezone-aware), or None. `reference` (aware;
    default now) gives a syslog stamp its year."""
    m = ISO_AT_START.match(line)
    if m:
        return _iso(m.groups())
    m = SYSLOG_AT_START.match(line)
    if m:
        ref = reference or datetime.now().astimezone()
        month, day = MONTHS[m.group(1).lower()], int(m.group(2))
        try:
            naive = datetime(
                syslog_year(month, day, ref), month, day,
                int(m.group(3)), int(m.group(4)), int(m.group(5)),
            )  # fmt: skip
        except ValueError:
            return None
        return naive.astimezone()
    if line.lstrip()[:1] == b"{":
        m = JSON_TIME.search(line)
        if m:
            if m.group(1) is not None:
                return _iso(m.groups()[:8])
            digits = m.group(9)
            seconds = int(digits) / (1000 if len(digits) == 13 else 1)
            if m.group(10) and len(digits) == 10:
                seconds += float(b"0." + m.group(10))
            try:
                return datetime.fromtimestamp(seconds, UTC)
            except (OverflowError, OSError, ValueError):
                return None
        return None
    m = CLF.search(line, 0, CLF_WITHIN + 40)
    if m and m.start() <= CLF_WITHIN:
        day, mon, year, hour, minute, second, zone = m.groups()
        try:
            naive = datetime(
                int(year), MONTHS[mon.lower()], int(day), int(hour), int(minute), int(second)
            )
        except ValueError:
            return None
        return _aware(naive, _zone(zone))
    return None


def as_aware(when: datetime) -> datetime:
    """A naive `when` is local time."""
    return when if when.tzinfo is not None else when.astimezone()


def parse_when(text: str) -> datetime | time | None:
    """What an operator types to jump to a time: `09:12`, `09:12:03` (a time of day:
    the latest such moment in the log), or a date and time (`2026-01-02 09:12`,
    ISO 8601 with an offset). None when it is neither."""
    text = text.strip()
    for form in ("%H:%M", "%H:%M:%S"):
        try:
            return datetime.strptime(text, form).time()
        except ValueError:
            pass
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


class StampedFile:
    """Time lookups in one open file. Reads only what a probe needs."""

    def __init__(self, file: LogFile, reference: datetime | None = None) -> None:
        self.file = file
        # The year of syslog stamps: from the file's last change, as of opening it.
        self.reference = reference or datetime.fromtimestamp(file.mtime()).astimezone()

    def stamp(self, line: bytes) -> datetime | None:
        return parse_stamp(line, self.reference)

    def first_stamp_from(self, offset: int, end: int) -> tuple[int, datetime] | None:
        """The first stamped line starting at or after `offset`: (its start, its stamp),
        or None when none starts within PROBE_BYTES."""
        start = self.file.line_start_at_or_after(offset, end, window=PROBE_WINDOW)
        if start is None:
            return None
        limit = min(end, start + PROBE_BYTES)
        pos = start
        while pos < limit:
            spans = self.file.spans_after(pos, 16, limit, window=PROBE_WINDOW)
            if not spans:
                break
            for span in spans:
                found = self.stamp(self._head(span.start, span.end))
                if found is not None:
                    return span.start, found
            pos = spans[-1].end + 1
        return None

    def last_stamp(self, end: int) -> datetime | None:
        """The stamp of the latest stamped line among the last LAST_STAMP_LINES."""
        for span in reversed(self.file.spans_before(end, LAST_STAMP_LINES)):
            found = self.stamp(self._head(span.start, span.end))
            if found is not None:
                return found
        return None

    def _head(self, start: int, end: int) -> bytes:
        return self.file.read(start, min(end - start, STAMP_BYTES))

    def resolve(self, when: datetime | time, end: int) -> datetime | None:
        """A time of day becomes the latest such moment at or before the log's last
        stamp (09:12 in a log that ends at 08:00 is yesterday's); a naive datetime is
        local time. None when the log has no stamp near its end."""
        if isinstance(when, datetime):
            return as_aware(when)
        last = self.last_stamp(end)
        if last is None:
            return None
        local = last.astimezone()
        candidate = datetime.combine(local.date(), when).astimezone()
        if candidate > local:
            candidate = datetime.combine(local.date() - timedelta(days=1), when).astimezone()
        return candidate

    def offset_of(self, when: datetime, end: int) -> tuple[int, datetime | None]:
        """The start of the first stamped line written at or after `when`, found by
        bisection, and its stamp; (end, None) when every stamp is earlier."""
        target = as_aware(when)
        lo, hi = 0, end
        while lo < hi:
            mid = (lo + hi) // 2
            found = self.first_stamp_from(mid, end)
            if found is None or found[1] >= target:
                hi = mid
            else:
                lo = found[0] + 1
        found = self.first_stamp_from(lo, end)
        if found is None or found[1] < target:
            return end, None
        return found

    def has_stamps(self, end: int) -> bool:
        return self.last_stamp(end) is not None or self.first_stamp_from(0, end) is not None
