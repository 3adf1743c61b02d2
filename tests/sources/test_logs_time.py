"""Jump to time: stamps parsed (ISO 8601, syslog and its missing year, CLF, JSON), and
the lines around a time found by bisecting a real file's offsets, reading a few KiB."""

from __future__ import annotations

import os
from datetime import UTC, datetime, time, timedelta, timezone
from pathlib import Path

import pytest

from runbook_tui.sources.logfile import LogFile
from runbook_tui.sources.logs import FileLog, jump_in_lines
from runbook_tui.sources.logtime import StampedFile, parse_stamp, parse_when, syslog_year

LOCAL = datetime(2026, 3, 4, 12, 0).astimezone()


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (b"2026-01-02T09:12:03Z GET /", datetime(2026, 1, 2, 9, 12, 3, tzinfo=UTC)),
        (
            b"2026-01-02T09:12:03.250+02:00 x",
            datetime(2026, 1, 2, 9, 12, 3, 250000, tzinfo=timezone(timedelta(hours=2))),
        ),
        (b"2026-01-02 09:12:03,120 INFO", datetime(2026, 1, 2, 9, 12, 3, 120000).astimezone()),
        (b"2026/01/02 09:12:03 go log", datetime(2026, 1, 2, 9, 12, 3).astimezone()),
        (b"[2026-01-02T09:12:03Z] [error] x", datetime(2026, 1, 2, 9, 12, 3, tzinfo=UTC)),
        (b"<34>1 2026-01-02T09:12:03Z host app", datetime(2026, 1, 2, 9, 12, 3, tzinfo=UTC)),
        (b"Jan  2 09:12:03 host app[12]: up", datetime(2026, 1, 2, 9, 12, 3).astimezone()),
        (b"Feb 13 23:01:59 host kernel: x", datetime(2026, 2, 13, 23, 1, 59).astimezone()),
        (
            b'10.0.0.1 - - [02/Jan/2026:09:12:03 +0000] "GET / HTTP/1.1" 200',
            datetime(2026, 1, 2, 9, 12, 3, tzinfo=UTC),
        ),
        (
            b'{"level":"info","time":"2026-01-02T09:12:03Z","msg":"x"}',
            datetime(2026, 1, 2, 9, 12, 3, tzinfo=UTC),
        ),
        (
            b'{"level":30,"time":1767345123000,"msg":"pino"}',
            datetime.fromtimestamp(1767345123, UTC),
        ),
        (
            b'{"ts":1767345123.5,"msg":"zap"}',
            datetime.fromtimestamp(1767345123.5, UTC),
        ),
        (b"  at Foo.bar (foo.js:1:2)", None),
        (b"no stamp 2026-01-02T09:12:03Z later in the line", None),
        (b"2026-13-45T99:00:00Z bad", None),
    ],
)
def test_stamps_are_parsed(line: bytes, expected: datetime | None) -> None:
    assert parse_stamp(line, LOCAL) == expected


def test_a_syslog_stamp_takes_the_year_that_is_not_after_the_files_last_change() -> None:
    new_year = datetime(2026, 1, 1, 0, 5).astimezone()
    assert syslog_year(12, 31, new_year) == 2025
    assert syslog_year(1, 1, new_year) == 2026
    assert syslog_year(1, 2, new_year) == 2026  # a day of clock skew is allowed
    assert syslog_year(1, 3, new_year) == 2025
    assert syslog_year(2, 29, datetime(2027, 3, 1).astimezone()) == 2026  # none in 2027


def test_what_an_operator_types_is_a_time_of_day_or_a_datetime() -> None:
    assert parse_when("09:12") == time(9, 12)
    assert parse_when(" 09:12:03 ") == time(9, 12, 3)
    assert parse_when("2026-01-02 09:12") == datetime(2026, 1, 2, 9, 12)
    assert parse_when("2026-01-02T09:12:00Z") == datetime(2026, 1, 2, 9, 12, tzinfo=UTC)
    assert parse_when("soon") is None


class CountingFile(LogFile):
    bytes_read = 0

    def read(self, offset: int, length: int) -> bytes:
        data = super().read(offset, length)
        self.bytes_read += len(data)
        return data


def write_iso_log(path: Path, start: datetime, count: int, step: timedelta) -> None:
    """One stamped line per `step`, with an unstamped stack trace after every 7th."""
    with open(path, "w") as f:
        for i in range(count):
            at = start + i * step
            f.write(f"{at:%Y-%m-%dT%H:%M:%S}Z line {i}\n")
            if i % 7 == 0:
                f.write("Traceback (most recent call last):\n  File x, line 1\n")


def test_the_first_line_at_or_after_a_time_is_found_by_bisection(tmp_path: Path) -> None:
    path = tmp_path / "app.log"
    start = datetime(2026, 1, 2, 0, 0, tzinfo=UTC)
    write_iso_log(path, start, 200_000, timedelta(seconds=1))
    assert path.stat().st_size > 7_000_000
    with CountingFile(str(path)) as file:
        stamped = StampedFile(file)
        offset, at = stamped.offset_of(start + timedelta(seconds=123_457), file.size())
        assert at == start + timedelta(seconds=123_457)
        assert file.read(offset, 40).startswith(b"2026-01-03T10:17:37Z line 123457")
        assert file.bytes_read < 512 * 1024, file.bytes_read
        # Between two stamps: the later one. Before all: the first. After all: the end.
        assert stamped.offset_of(start + timedelta(seconds=10.5), file.size())[1] == start + (
            timedelta(seconds=11)
        )
        assert stamped.offset_of(start - timedelta(days=1), file.size()) == (0, start)
        assert stamped.offset_of(start + timedelta(days=9), file.size()) == (file.size(), None)


def test_lines_around_a_time_keep_a_stamped_lines_continuation_before_it(
    tmp_path: Path,
) -> None:
    path = tmp_path / "app.log"
    start = datetime(2026, 1, 2, 9, 0, tzinfo=UTC)
    write_iso_log(path, start, 100, timedelta(minutes=1))
    log = FileLog("app", str(path))
    jump = log.lines_around(datetime(2026, 1, 2, 9, 8, tzinfo=UTC), 6)
    assert jump.error is None and jump.at == datetime(2026, 1, 2, 9, 8, tzinfo=UTC)
    assert jump.lines == (
        "2026-01-02T09:07:00Z line 7",
        "Traceback (most recent call last):",
        "  File x, line 1",
        "2026-01-02T09:08:00Z line 8",
        "2026-01-02T09:09:00Z line 9",
        "2026-01-02T09:10:00Z line 10",
    )
    assert jump.index == 3
    after = log.lines_around(datetime(2026, 1, 3, tzinfo=UTC), 3)
    assert (
        after.at is None and after.index == 3 and after.lines[-1] == "2026-01-02T10:39:00Z line 99"
    )
    log.close()


def test_syslog_around_new_year_reads_december_as_the_year_before(tmp_path: Path) -> None:
    path = tmp_path / "syslog"
    lines = [
        "Dec 31 23:58:00 host app[1]: late",
        "Dec 31 23:59:30 host app[1]: later ERROR",
        "Jan  1 00:00:10 host app[1]: new year",
        "Jan  1 00:03:00 host app[1]: after",
    ]
    path.write_text("\n".join(lines) + "\n")
    mtime = datetime(2026, 1, 1, 0, 3).timestamp()
    os.utime(path, (mtime, mtime))
    log = FileLog("sys", str(path))
    jump = log.lines_around(datetime(2026, 1, 1, 0, 0), 2)  # naive: local time
    assert jump.lines == (lines[1], lines[2]) and jump.index == 1
    assert jump.at == datetime(2026, 1, 1, 0, 0, 10).astimezone()
    jump = log.lines_around(datetime(2025, 12, 31, 23, 59), 2)
    assert jump.lines == (lines[0], lines[1]) and jump.index == 1
    log.close()


def test_a_time_of_day_is_its_latest_occurrence_in_the_log(tmp_path: Path) -> None:
    path = tmp_path / "app.log"
    with open(path, "w") as f:
        for day in (1, 2):
            for hour in (8, 9, 10):
                f.write(f"2026-01-0{day} {hour:02d}:12:00 day {day} hour {hour}\n")
        f.write("2026-01-03 09:00:00 day 3 early\n")
    log = FileLog("app", str(path))
    # 09:12 on the log's last day (the 3rd) is after its end: the 2nd's 09:12.
    jump = log.lines_around(time(9, 12), 1)
    assert jump.lines == ("2026-01-02 09:12:00 day 2 hour 9",) and jump.index == 0
    jump = log.lines_around(time(8, 0), 1)
    assert jump.lines == ("2026-01-03 09:00:00 day 3 early",)
    log.close()


def test_a_log_without_stamps_says_so(tmp_path: Path) -> None:
    path = tmp_path / "plain.log"
    path.write_text("just\nlines\n")
    log = FileLog("p", str(path))
    assert log.lines_around(time(9, 12), 5).error == "no timestamps in this log"
    assert log.lines_around(datetime(2026, 1, 1), 5).error == "no timestamps in this log"
    missing = FileLog("m", str(tmp_path / "none.log"))
    assert missing.lines_around(time(9, 12), 5).error == f"no such file: {tmp_path / 'none.log'}"
    assert jump_in_lines(["a", "b"], time(9, 0), 2).error == "no timestamps in these lines"
    log.close()
