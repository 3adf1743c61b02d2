"""LogFile: the last lines of a real file found backwards from its end, huge lines and
binary bytes in bounded memory, and (property) tail(n) is always the file's last n lines."""

from __future__ import annotations

import itertools
import os
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from runbook_tui.session.redaction import MASK, Redactor
from runbook_tui.sources.logfile import (
    MAX_LINE_BYTES,
    MAX_SCAN_BYTES,
    LogFile,
    NotRegularFile,
    decode_line,
)
from runbook_tui.sources.logs import FileLog, LineSplitter, cut_line


class CountingFile(LogFile):
    """A real LogFile that counts the bytes it read, to show what opening costs."""

    bytes_read = 0

    def read(self, offset: int, length: int) -> bytes:
        data = super().read(offset, length)
        self.bytes_read += len(data)
        return data


def file_lines(data: bytes) -> list[bytes]:
    """The lines `tail` sees in `data`: an unterminated last line counts."""
    if not data:
        return []
    parts = data.split(b"\n")
    return parts[:-1] if data.endswith(b"\n") else parts


def test_tail_reads_a_screenful_not_the_file(tmp_path: Path) -> None:
    path = tmp_path / "big.log"
    with open(path, "wb") as f:
        for i in range(200_000):  # ~6 MB
            f.write(f"2026-01-02T09:00:00Z line {i:07d} ok\n".encode())
    with CountingFile(str(path)) as log:
        lines = log.tail(50)
        assert [decode_line(x) for x in lines[-2:]] == [
            "2026-01-02T09:00:00Z line 0199998 ok",
            "2026-01-02T09:00:00Z line 0199999 ok",
        ]
        assert len(lines) == 50
        assert log.bytes_read < 200 * 1024, log.bytes_read


def test_unterminated_last_line_counts_and_crlf_is_dropped(tmp_path: Path) -> None:
    path = tmp_path / "a.log"
    path.write_bytes(b"one\r\ntwo\r\nthree")
    with LogFile(str(path)) as log:
        assert [decode_line(x) for x in log.tail(5)] == ["one", "two", "three"]
        assert [decode_line(x) for x in log.tail(1)] == ["three"]


def test_empty_file_and_blank_lines(tmp_path: Path) -> None:
    path = tmp_path / "a.log"
    path.write_bytes(b"")
    with LogFile(str(path)) as log:
        assert log.tail(10) == []
    path.write_bytes(b"\n\na\n\n")
    with LogFile(str(path)) as log:
        assert log.tail(10) == [b"", b"", b"a", b""]


def test_a_huge_line_is_cut_to_a_bound_with_a_marker(tmp_path: Path) -> None:
    path = tmp_path / "a.log"
    huge = b"x" * (MAX_LINE_BYTES * 3)
    path.write_bytes(b"before\n" + huge + b"\nafter\n")
    with LogFile(str(path)) as log:
        before, cut, after = log.tail(3)
    assert (before, after) == (b"before", b"after")
    assert len(cut) < MAX_LINE_BYTES + 40
    assert cut.startswith(b"x" * 1000)
    assert decode_line(cut).endswith(f" …[+{MAX_LINE_BYTES * 2} bytes]")


def test_a_line_longer_than_the_scan_ends_the_backward_scan(tmp_path: Path) -> None:
    """A file of one endless line (or a binary file): what is read stays bounded and
    the lines before that line are not reached."""
    path = tmp_path / "a.log"
    path.write_bytes(b"first\n" + b"y" * (MAX_SCAN_BYTES + 5000) + b"\nlast\n")
    with CountingFile(str(path)) as log:
        lines = log.tail(10)
        assert log.bytes_read < MAX_SCAN_BYTES + 2 * MAX_LINE_BYTES + 4096
    assert len(lines) == 2 and lines[1] == b"last"
    assert decode_line(lines[0]).startswith("…yyy")


def test_binary_bytes_are_replaced_and_controls_are_kept_for_the_display(tmp_path: Path) -> None:
    path = tmp_path / "a.log"
    path.write_bytes(b"ok \xff\xfe\x00 \x1b[31mred\x1b[0m \xe2\x82\n")
    with LogFile(str(path)) as log:
        (line,) = log.tail(1)
    text = decode_line(line)
    assert text == "ok \ufffd\ufffd\x00 \x1b[31mred\x1b[0m \ufffd"


def test_a_fifo_or_device_is_refused(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    with pytest.raises(NotRegularFile):
        LogFile(str(fifo))
    with pytest.raises(NotRegularFile):
        LogFile("/dev/zero")
    log = FileLog("dev", "/dev/zero")
    reading = log.poll()
    assert reading.error == "not a regular file: /dev/zero" and reading.lines == ()


def test_lines_are_masked_as_they_are_handed_out(tmp_path: Path) -> None:
    path = tmp_path / "a.log"
    path.write_text("login ok\npassword hunter2secret used\n")
    log = FileLog("app", str(path), mask=Redactor(["hunter2secret"]).mask)
    assert log.poll().lines == ("login ok", f"password {MASK} used")
    assert log.tail(1) == (f"password {MASK} used",)
    log.close()


def test_spans_after_walks_forward_across_windows(tmp_path: Path) -> None:
    path = tmp_path / "a.log"
    data = b"".join(b"%d %s\n" % (i, b"z" * (i % 13)) for i in range(300))
    path.write_bytes(data + b"tail")
    with LogFile(str(path), window=7) as log:
        spans = log.spans_after(0, 1000)
        got = [log.line(s) for s in spans]
    assert got == file_lines(data + b"tail")


LINE = st.text(st.characters(exclude_characters="\n\r", exclude_categories=("Cs",)), max_size=30)


@settings(max_examples=300, deadline=None)
@given(
    lines=st.lists(LINE, max_size=40),
    final_newline=st.booleans(),
    n=st.integers(0, 45),
    window=st.integers(1, 50),
)
def test_tail_is_always_the_last_n_lines(
    lines: list[str], final_newline: bool, n: int, window: int
) -> None:
    data = "\n".join(lines).encode() + (b"\n" if final_newline and lines else b"")
    expected = file_lines(data)
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "a.log")
        with open(path, "wb") as f:
            f.write(data)
        with LogFile(path, window=window) as log:
            got = log.tail(n)
            assert got == (expected[-n:] if n else [])
            assert [log.line(s) for s in log.spans_after(0, 100)] == expected
        reader = FileLog("p", path, keep=max(n, 1), window=window)
        assert reader.tail(n) == tuple(x.decode() for x in (expected[-n:] if n else []))
        reader.close()


@settings(max_examples=300, deadline=None)
@given(
    data=st.binary(max_size=300).map(lambda b: b.replace(b"\x00", b"\n")),
    cuts=st.lists(st.integers(0, 300), max_size=10),
    max_line=st.integers(1, 20),
    n=st.integers(1, 50),
)
def test_splitting_any_chunks_gives_the_lines_cut_to_the_bound(
    data: bytes, cuts: list[int], max_line: int, n: int
) -> None:
    splitter = LineSplitter(max_line)
    got: list[bytes] = []
    counted = 0
    bounds = [0, *sorted(c for c in cuts if c < len(data)), len(data)]
    for start, end in itertools.pairwise(bounds):
        arrived = splitter.feed(data[start:end])
        if arrived is not None:
            counted += arrived.count
            assert arrived.last(n) == arrived.last(arrived.count)[-n:]
            got += arrived.last(arrived.count)
    parts = data.split(b"\n")
    assert got == [cut_line(line, max_line) for line in parts[:-1]]
    assert counted == len(parts) - 1
    assert splitter.partial() == (cut_line(parts[-1], max_line) if parts[-1] else None)
