"""The journal against real files, threads and processes: durability, torn tails,
batching, splitting, permissions and real write errors (tmpfs full, RLIMIT_FSIZE)."""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import signal
import stat
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from runbook_tui.session import journal as journal_module
from runbook_tui.session.journal import (
    FLUSH_INTERVAL,
    FORMAT_VERSION,
    MAX_OUTPUT_CHARS,
    Journal,
    JournalError,
    JournalReader,
    read_first_event,
    read_journal,
    read_last_event_of,
)

TS_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
FIRST = {"session_id": "20261126T141500Z-3f9a", "operator": "op", "drill": False}


def new_journal(tmp_path: Path, name: str = "journal.jsonl") -> Journal:
    return Journal.create(tmp_path / name, FIRST)


def raw_lines(path: Path) -> list[bytes]:
    return path.read_bytes().splitlines(keepends=True)


# -- creating and appending ---------------------------------------------------------------


def test_create_writes_session_started_first_and_is_private(tmp_path: Path) -> None:
    j = new_journal(tmp_path)
    j.close()
    path = tmp_path / "journal.jsonl"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    read = read_journal(path)
    assert read.problems == [] and not read.torn
    (first,) = read.events
    assert list(first)[:3] == ["seq", "ts", "type"]
    assert first["seq"] == 1 and first["type"] == "session_started"
    assert first["format_version"] == FORMAT_VERSION
    assert first["session_id"] == FIRST["session_id"]
    assert TS_RE.match(first["ts"])
    assert read_first_event(path) == first


def test_create_never_overwrites(tmp_path: Path) -> None:
    new_journal(tmp_path).close()
    before = (tmp_path / "journal.jsonl").read_bytes()
    with pytest.raises(JournalError, match="cannot create journal"):
        new_journal(tmp_path)
    assert (tmp_path / "journal.jsonl").read_bytes() == before


def test_create_under_restrictive_umask_is_still_0600(tmp_path: Path) -> None:
    old = os.umask(0o077)
    try:
        new_journal(tmp_path).close()
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "journal.jsonl").stat().st_mode) == 0o600


def test_append_is_visible_to_a_reader_as_soon_as_it_returns(tmp_path: Path) -> None:
    j = new_journal(tmp_path)
    path = tmp_path / "journal.jsonl"
    for i in range(20):
        event = j.append("note", text=f"note {i}")
        # A separate open file description: only what reached the file counts.
        last = read_journal(path).events[-1]
        assert last == event
        assert event["seq"] == i + 2
    j.close()


def test_append_rejects_reserved_keys_and_unserialisable_values(tmp_path: Path) -> None:
    j = new_journal(tmp_path)
    with pytest.raises(ValueError, match="reserved"):
        j.append("note", seq=5)
    with pytest.raises(TypeError):
        j.append("note", text=object())
    # Nothing half-written, seq not consumed.
    assert j.append("note", text="ok")["seq"] == 2
    j.close()
    assert [e["seq"] for e in read_journal(tmp_path / "journal.jsonl").events] == [1, 2]


def test_closed_journal_refuses_writes(tmp_path: Path) -> None:
    j = new_journal(tmp_path)
    j.close()
    j.close()  # idempotent
    with pytest.raises(JournalError, match="closed"):
        j.append("note", text="late")
    with pytest.raises(JournalError, match="closed"):
        j.append_output("s", 1, "late")


def test_listeners_see_every_event_in_seq_order(tmp_path: Path) -> None:
    j = new_journal(tmp_path)
    seen: list[dict[str, Any]] = []
    j.add_listener(seen.append)
    j.append("step_started", step_id="a", attempt=1)
    j.append_output("a", 1, "x" * (MAX_OUTPUT_CHARS + 10))
    j.append("step_finished", step_id="a", attempt=1, exit_code=0)
    j.close()
    assert [e["seq"] for e in seen] == list(range(2, 2 + len(seen)))
    assert [e["type"] for e in seen] == ["step_started", "output", "output", "step_finished"]
    assert seen == read_journal(tmp_path / "journal.jsonl").events[1:]


# -- output batching and splitting -------------------------------------------------------


class Syncs:
    """Every fdatasync the journal makes (the real call, then counted): which thread made
    it and when, with a way to wait for the next one instead of sleeping."""

    def __init__(self, real: Callable[[int], None]) -> None:
        self._real = real
        self._cond = threading.Condition()
        self.calls: list[tuple[str, float]] = []

    def __call__(self, fd: int) -> None:
        self._real(fd)
        with self._cond:
            self.calls.append((threading.current_thread().name, time.time()))
            self._cond.notify_all()

    def wait_for(self, n: int, timeout: float = 20) -> None:
        with self._cond:
            done = self._cond.wait_for(lambda: len(self.calls) >= n, timeout)
        assert done, f"{len(self.calls)} syncs, waited for {n}: {self.calls}"

    @property
    def threads(self) -> list[str]:
        return [name for name, _ in self.calls]


@pytest.fixture
def syncs(monkeypatch: pytest.MonkeyPatch) -> Syncs:
    spy = Syncs(journal_module._datasync)
    monkeypatch.setattr(journal_module, "_datasync", spy)
    return spy


def output_on_disk(path: Path) -> str:
    return "".join(e["data"] for e in read_journal(path).events if e["type"] == "output")


def event_time(event: dict[str, Any]) -> float:
    return datetime.fromisoformat(event["ts"]).timestamp()


# How soon output is on disk is measured by bench/bench_journal.py; here, the mechanism.


def test_the_flusher_writes_and_syncs_buffered_output_by_itself(
    tmp_path: Path, syncs: Syncs
) -> None:
    j = new_journal(tmp_path)
    path = tmp_path / "journal.jsonl"
    j.append("step_started", step_id="a", attempt=1)
    # The first event and a lifecycle event: each synced by the caller.
    assert syncs.threads == ["MainThread", "MainThread"]
    for i in range(5):
        j.append_output("a", 1, f"line {i}\n")
        syncs.wait_for(3 + i)  # no further call from us: the flusher must come
        flusher, synced_at = syncs.calls[-1]
        assert flusher.startswith("journal-flusher"), syncs.calls
        outs = [e for e in read_journal(path).events if e["type"] == "output"]
        assert len(outs) == i + 1 and outs[-1]["data"] == f"line {i}\n"
        # It waited to gather a batch (0.8 of the interval; ts is cut to milliseconds).
        assert synced_at - event_time(outs[-1]) >= FLUSH_INTERVAL * 0.8 - 0.002, syncs.calls
    j.close()
    assert FLUSH_INTERVAL <= 0.25  # the documented promise: output on disk within 0.25 s
    assert len(syncs.calls) == 2 + 5  # one per line; close() found nothing left to sync


def test_steady_output_is_batched_and_synced_by_the_flusher(tmp_path: Path, syncs: Syncs) -> None:
    j = new_journal(tmp_path)
    path = tmp_path / "journal.jsonl"
    sent: list[str] = []
    for burst in range(8):
        for k in range(20):
            sent.append(f"{burst}-{k}\n")
            j.append_output("a", 1, sent[-1])
        # Each sync the flusher makes leaves a prefix of what was sent on disk, in order;
        # it keeps coming until all of it is there.
        while True:
            syncs.wait_for(len(syncs.calls) + 1)
            data = output_on_disk(path)
            assert "".join(sent).startswith(data), (burst, data[-40:])
            if data == "".join(sent):
                break
    flushed = syncs.threads[1:]  # after the first event's
    j.close()
    assert all(name.startswith("journal-flusher") for name in flushed), flushed
    # Batched: 160 writes, about one sync per burst of 20 (never one per write).
    assert len(flushed) < len(sent) / 4, len(flushed)


def test_fast_output_is_synced_by_the_flusher_too(tmp_path: Path, syncs: Syncs) -> None:
    j = new_journal(tmp_path)
    j.append_output("a", 1, "f" * (3 * MAX_OUTPUT_CHARS))  # written at once, unsynced
    assert not j.synced
    assert len(output_on_disk(tmp_path / "journal.jsonl")) == 3 * MAX_OUTPUT_CHARS
    syncs.wait_for(2)  # after the first event's
    assert syncs.threads[1].startswith("journal-flusher"), syncs.calls
    # The flusher marks itself done just after the call returns.
    deadline = time.monotonic() + 20
    while not j.synced and time.monotonic() < deadline:
        time.sleep(0.005)
    assert j.synced
    assert len(syncs.calls) == 2, syncs.calls
    j.close()


def test_buffered_output_is_flushed_when_the_interpreter_exits_without_close(
    tmp_path: Path,
) -> None:
    path = tmp_path / "journal.jsonl"
    script = (
        "import sys\n"
        "from runbook_tui.session.journal import Journal\n"
        "j = Journal.create(sys.argv[1], {'session_id': 'x'})\n"
        "j.flush_interval = 600\n"
        "j.append_output('a', 1, 'last words\\n')\n"
    )
    subprocess.run([sys.executable, "-c", script, str(path)], check=True, timeout=30)
    events = read_journal(path).events
    assert events[-1]["type"] == "output" and events[-1]["data"] == "last words\n"


def test_small_outputs_are_batched_into_few_events(tmp_path: Path) -> None:
    j = new_journal(tmp_path)
    for i in range(1000):
        j.append_output("a", 1, f"{i}\n")
    j.close()
    outs = [e for e in read_journal(tmp_path / "journal.jsonl").events if e["type"] == "output"]
    assert "".join(e["data"] for e in outs) == "".join(f"{i}\n" for i in range(1000))
    assert len(outs) <= 3


def test_lifecycle_append_writes_buffered_output_first(tmp_path: Path) -> None:
    j = new_journal(tmp_path)
    j.flush_interval = 60  # the flusher must not be what writes it
    j.append("step_started", step_id="a", attempt=1)
    j.append_output("a", 1, "before the end\n")
    j.append("step_finished", step_id="a", attempt=1, exit_code=0)
    events = read_journal(tmp_path / "journal.jsonl").events
    assert [e["type"] for e in events] == [
        "session_started",
        "step_started",
        "output",
        "step_finished",
    ]
    assert events[2]["data"] == "before the end\n"
    assert events[2]["ts"] <= events[3]["ts"]
    j.close()


def test_output_of_another_step_or_attempt_is_not_merged(tmp_path: Path) -> None:
    j = new_journal(tmp_path)
    j.append_output("a", 1, "a1")
    j.append_output("a", 2, "a2")
    j.append_output("b", 1, "b1")
    j.close()
    outs = [e for e in read_journal(tmp_path / "journal.jsonl").events if e["type"] == "output"]
    assert [(e["step_id"], e["attempt"], e["data"]) for e in outs] == [
        ("a", 1, "a1"),
        ("a", 2, "a2"),
        ("b", 1, "b1"),
    ]


def test_a_5mb_chunk_is_split_into_bounded_events(tmp_path: Path) -> None:
    # Control characters and non-ASCII make the JSON longer than the text: the worst case.
    unit = "line \x1b[31mred\x1b[0m ünïcødé ✓\n"
    text = unit * (5 * 1024 * 1024 // len(unit))
    j = new_journal(tmp_path)
    j.append("step_started", step_id="big", attempt=1)
    j.append_output("big", 1, text)
    j.append("step_finished", step_id="big", attempt=1, exit_code=0)
    j.close()
    path = tmp_path / "journal.jsonl"
    events = read_journal(path).events
    outs = [e for e in events if e["type"] == "output"]
    assert "".join(e["data"] for e in outs) == text
    assert all(len(e["data"]) <= MAX_OUTPUT_CHARS for e in outs)
    assert len(outs) == -(-len(text) // MAX_OUTPUT_CHARS)
    assert max(len(line) for line in raw_lines(path)) < 6 * MAX_OUTPUT_CHARS + 200
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))


def test_fast_output_is_written_before_the_timer_so_memory_stays_bounded(tmp_path: Path) -> None:
    j = new_journal(tmp_path)
    j.flush_interval = 60
    chunk = "y" * 4096
    for _ in range(100):  # 400 KiB, far more than one event
        j.append_output("a", 1, chunk)
    outs = [e for e in read_journal(tmp_path / "journal.jsonl").events if e["type"] == "output"]
    assert sum(len(e["data"]) for e in outs) >= 400 * 1024 - MAX_OUTPUT_CHARS
    j.close()
    outs = [e for e in read_journal(tmp_path / "journal.jsonl").events if e["type"] == "output"]
    assert "".join(e["data"] for e in outs) == chunk * 100


def test_many_threads_appending_at_once(tmp_path: Path) -> None:
    j = new_journal(tmp_path)
    n_threads, per_thread = 8, 150
    barrier = threading.Barrier(n_threads + 1)

    def notes(k: int) -> None:
        barrier.wait()
        for i in range(per_thread):
            j.append("note", text=f"t{k}-{i}")

    def output() -> None:
        barrier.wait()
        for i in range(3000):
            j.append_output("run", 1, f"o{i};")

    threads = [threading.Thread(target=notes, args=(k,)) for k in range(n_threads)]
    threads.append(threading.Thread(target=output))
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    j.close()
    read = read_journal(tmp_path / "journal.jsonl")
    assert read.problems == [] and not read.torn
    assert [e["seq"] for e in read.events] == list(range(1, len(read.events) + 1))
    texts = sorted(e["text"] for e in read.events if e["type"] == "note")
    assert texts == sorted(f"t{k}-{i}" for k in range(n_threads) for i in range(per_thread))
    out = "".join(e["data"] for e in read.events if e["type"] == "output")
    assert out == "".join(f"o{i};" for i in range(3000))
    stamps = [e["ts"] for e in read.events]
    assert stamps == sorted(stamps)


def test_close_races_with_output_and_the_flusher(tmp_path: Path) -> None:
    rng = random.Random(3)
    for i in range(25):
        path = tmp_path / f"race{i}.jsonl"
        j = Journal.create(path, FIRST)
        j.flush_interval = 0.01  # make the flusher's unlocked fdatasync overlap close()
        written: list[str] = []

        def pour(j: Journal = j, written: list[str] = written) -> None:
            k = 0
            while k < 3000:  # at most ~9 MB: the race is at close, not in volume
                piece = f"{k:06d}" * 500
                try:
                    j.append_output("a", 1, piece)
                except JournalError as exc:
                    assert "closed" in str(exc)
                    return
                written.append(piece)
                k += 1

        t = threading.Thread(target=pour)
        t.start()
        time.sleep(rng.uniform(0, 0.1))
        j.close()
        t.join()
        read = read_journal(path)
        assert read.problems == [] and not read.torn
        out = "".join(e["data"] for e in read.events if e["type"] == "output")
        assert out == "".join(written)


# -- reading damaged journals -------------------------------------------------------------


def write_sample(path: Path) -> list[dict[str, Any]]:
    j = Journal.create(path, FIRST)
    j.append("step_started", step_id="s1", attempt=1, command="echo 'hé' \"q\"")
    j.append_output("s1", 1, 'hé \x1b[1mbold\x1b[0m ✓ \\ "quoted"\n')
    j.append("step_finished", step_id="s1", attempt=1, exit_code=0, verdict="succeeded")
    j.append("note", text="last: naïve ✓ \u2028 \t done", step_id="s1")
    j.close()
    return read_journal(path).events


def test_torn_last_line_at_every_byte_offset(tmp_path: Path) -> None:
    src = tmp_path / "src.jsonl"
    written = write_sample(src)
    data = src.read_bytes()
    last_start = data.rindex(b"\n", 0, len(data) - 1) + 1
    work = tmp_path / "cut.jsonl"
    for cut in range(last_start, len(data) + 1):
        work.write_bytes(data[:cut])
        read = read_journal(work)
        if cut == last_start:
            assert read.events == written[:-1] and not read.torn
        elif cut >= len(data) - 1:
            # The whole JSON object is there (with or without its newline): kept.
            assert read.events == written and not read.torn, cut
        else:
            assert read.events == written[:-1], cut
            assert read.torn and "torn" in read.problems[0]
        # open_append repairs the tail and continues the sequence.
        j = Journal.open_append(work)
        note = j.append("note", text="after repair")
        j.close()
        again = read_journal(work)
        assert not again.torn and again.problems == [], (cut, again.problems)
        assert again.events[-1] == note
        assert note["seq"] == again.events[-2]["seq"] + 1
        assert work.read_bytes().endswith(b"\n")


def test_invalid_middle_line_is_reported_and_reading_goes_on(tmp_path: Path) -> None:
    path = tmp_path / "j.jsonl"
    written = write_sample(path)
    lines = raw_lines(path)
    lines.insert(2, b"this is not json\n")
    lines.insert(4, b'{"no": "seq"}\n')
    path.write_bytes(b"".join(lines))
    read = read_journal(path)
    assert read.events == written and not read.torn
    assert len(read.problems) == 2 and "line 3" in read.problems[0]
    # open_append leaves history alone (append-only) and only continues after it.
    j = Journal.open_append(path)
    assert j.append("note", text="x")["seq"] == written[-1]["seq"] + 1
    j.close()
    assert b"this is not json\n" in path.read_bytes()


def test_empty_journal_is_reported_not_fatal(tmp_path: Path) -> None:
    path = tmp_path / "j.jsonl"
    path.write_bytes(b"")
    read = read_journal(path)
    assert read.events == [] and read.problems == ["journal is empty"]
    with pytest.raises(JournalError, match="no valid event"):
        Journal.open_append(path)


def test_garbage_tail_of_nul_bytes_is_torn(tmp_path: Path) -> None:
    # What a power loss can leave after unsynced appends on some filesystems.
    path = tmp_path / "j.jsonl"
    written = write_sample(path)
    with open(path, "ab") as f:
        f.write(b"\0" * 300)
    read = read_journal(path)
    assert read.events == written and read.torn


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    ops=st.lists(
        st.one_of(
            st.tuples(st.just("note"), st.text(max_size=40)),
            st.tuples(st.just("output"), st.text(min_size=1, max_size=200)),
            st.tuples(st.just("step_started"), st.text(max_size=10)),
        ),
        max_size=12,
    ),
    cut=st.floats(min_value=0, max_value=1),
)
def test_any_truncation_reads_as_a_prefix(
    tmp_path: Path, ops: list[tuple[str, str]], cut: float
) -> None:
    path = tmp_path / f"p{time.monotonic_ns()}.jsonl"
    j = Journal.create(path, FIRST)
    for kind, text in ops:
        if kind == "output":
            j.append_output("s", 1, text)
        elif kind == "note":
            j.append("note", text=text)
        else:
            j.append("step_started", step_id=text or "s", attempt=1)
    j.close()
    written = read_journal(path).events
    data = path.read_bytes()
    size = int(len(data) * cut)
    path.write_bytes(data[:size])
    read = read_journal(path)  # never raises
    assert read.events == written[: len(read.events)]
    if size == len(data):
        assert read.events == written and not read.torn
    skip = read_journal(path, skip_output=True)
    assert skip.events == [e for e in read.events if e["type"] != "output"]
    path.unlink()


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(blob=st.binary(max_size=300), lines=st.lists(st.binary(max_size=40), max_size=6))
def test_arbitrary_bytes_never_make_reading_raise(
    tmp_path: Path, blob: bytes, lines: list[bytes]
) -> None:
    path = tmp_path / "garbage.jsonl"
    path.write_bytes(blob + b"\n".join(lines))
    read = read_journal(path)
    assert all(isinstance(e, dict) for e in read.events)
    read_journal(path, skip_output=True)
    read_last_event_of(path, ["session_started", "output"])
    read_first_event(path)


def test_skip_output_reader_and_backward_scan(tmp_path: Path) -> None:
    path = tmp_path / "j.jsonl"
    j = Journal.create(path, FIRST)
    j.append("step_started", step_id="a", attempt=1)
    j.append_output("a", 1, "z" * (3 * 1024 * 1024))
    j.append("session_ended", status="completed", reason="")
    j.append_output("a", 1, "after\n")
    j.close()
    reader = JournalReader(path, skip_output=True)
    types = [e["type"] for e in reader]
    assert types == ["session_started", "step_started", "session_ended"]
    assert reader.last_seq == read_journal(path).events[-1]["seq"]
    ended = read_last_event_of(path, ["session_ended", "session_started"])
    assert ended is not None and ended["status"] == "completed"
    first = read_last_event_of(path, ["session_started"], block_size=1000)
    assert first is not None and first["seq"] == 1
    assert read_last_event_of(path, ["no_such_type"]) is None


# -- lines longer than a journal line may be ---------------------------------------------


@pytest.fixture
def small_lines(monkeypatch: pytest.MonkeyPatch) -> int:
    """MAX_LINE_BYTES at 4 KiB and the reading piece at 64 bytes, so that a few KB
    stand for the gigabyte line a damaged journal may hold (the real sizes are
    checked in tests/cli/test_readback_memory.py)."""
    monkeypatch.setattr(journal_module, "MAX_LINE_BYTES", 4096)
    monkeypatch.setattr(journal_module, "_LINE_PIECE", 64)
    return 4096


def test_a_line_over_the_bound_is_damage_skipped_and_reading_goes_on(
    tmp_path: Path, small_lines: int
) -> None:
    path = tmp_path / "j.jsonl"
    written = write_sample(path)
    lines = raw_lines(path)
    long_line = b"x" * (small_lines + 1) + b"\n"
    lines.insert(2, long_line)
    path.write_bytes(b"".join(lines))
    read = read_journal(path)
    assert read.events == written and not read.torn
    assert read.problems == [
        f"line 3: damaged, longer than a journal line may be ({small_lines + 2} bytes, "
        f"the most is {small_lines}): skipped"
    ]
    # The byte ranges of the lines after it still point at them.
    data = path.read_bytes()
    for event, start, end in JournalReader(path).located():
        assert json.loads(data[start:end]) == event
    assert [e["type"] for e in read_journal(path, skip_output=True).events] == [
        e["type"] for e in written if e["type"] != "output"
    ]


def test_a_long_line_within_the_bound_is_read_whole(tmp_path: Path, small_lines: int) -> None:
    path = tmp_path / "j.jsonl"
    j = Journal.create(path, FIRST)
    j.append("step_started", step_id="s1", attempt=1, command="y" * (small_lines - 200))
    j.append("note", text="after")
    j.close()
    read = read_journal(path)
    assert read.problems == [] and read.events[1]["command"] == "y" * (small_lines - 200)
    first = read_first_event(path)
    assert first is not None and first["type"] == "session_started"
    assert read_last_event_of(path, ["step_started"], block_size=100) == read.events[1]


def test_a_long_torn_last_line_is_dropped_and_cut_off_by_open_append(
    tmp_path: Path, small_lines: int
) -> None:
    path = tmp_path / "j.jsonl"
    written = write_sample(path)
    before = path.read_bytes()
    with open(path, "ab") as f:
        f.write(b"\0" * (3 * small_lines))  # no newline: a torn tail of NUL bytes
    read = read_journal(path)
    assert read.events == written and read.torn
    assert "torn last line dropped, longer than" in read.problems[0]
    j = Journal.open_append(path)
    j.append("note", text="after repair")
    j.close()
    after = path.read_bytes()
    assert after.startswith(before) and b"\0" not in after
    again = read_journal(path)
    assert again.problems == [] and again.events[-1]["text"] == "after repair"


def test_first_and_last_event_readers_pass_over_a_long_line(
    tmp_path: Path, small_lines: int
) -> None:
    first_long = tmp_path / "first.jsonl"
    first_long.write_bytes(b"{" * (small_lines + 10) + b"\n" + b"{}\n")
    assert read_first_event(first_long) is None
    path = tmp_path / "j.jsonl"
    written = write_sample(path)
    with open(path, "ab") as f:
        f.write(b'{"seq":99,"ts":"x","type":"note"' + b" " * (2 * small_lines) + b"}\n")
    assert read_last_event_of(path, ["note"], block_size=100) == written[-1]
    assert read_last_event_of(path, ["session_started"], block_size=7) == written[0]


def test_output_readers_pass_over_a_long_line_in_their_ranges(
    tmp_path: Path, small_lines: int
) -> None:
    from runbook_tui.session.journal import read_output, read_output_tail

    path = tmp_path / "j.jsonl"
    j = Journal.create(path, FIRST)
    j.append_output("a", 1, "one\n")
    j.flush()
    j.close()
    good = raw_lines(path)[1]
    bad = b'{"seq":3,"ts":"x","type":"output","step_id":"a","data":"' + b"z" * small_lines
    path.write_bytes(raw_lines(path)[0] + good + bad + b'"}\n' + good)
    start = len(raw_lines(path)[0])
    span = [(start, path.stat().st_size)]
    assert list(read_output(path, span, "a")) == ["one\n", "one\n"]
    assert read_output_tail(path, span, "a", 100, block_size=50) == "one\none\n"


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.sampled_from([b"", b"a", b"bb", b"x" * 90, b"y" * 150]), max_size=12),
    st.booleans(),
    st.integers(min_value=1, max_value=70),
)
def test_lines_read_forwards_and_backwards_agree_with_split(
    parts: list[bytes], newline_at_end: bool, block: int
) -> None:
    """Both line readers, at any piece and block size, give the lines `split` gives,
    a line over the bound (100 bytes here) passed over."""
    import io

    data = b"\n".join(parts) + (b"\n" if newline_at_end and parts else b"")
    saved = journal_module.MAX_LINE_BYTES, journal_module._LINE_PIECE
    journal_module.MAX_LINE_BYTES, journal_module._LINE_PIECE = 100, block
    try:
        forwards = list(journal_module.read_lines(io.BytesIO(data)))
        backwards = list(journal_module._lines_backwards(io.BytesIO(data), 0, len(data), block))
    finally:
        journal_module.MAX_LINE_BYTES, journal_module._LINE_PIECE = saved
    expected = re.findall(b"[^\n]*\n|[^\n]+$", data)
    assert [x if isinstance(x, bytes) else x.length for x in forwards] == [
        x if len(x) <= 100 else len(x) for x in expected
    ]
    assert backwards == [x for x in data.split(b"\n") if x and len(x) <= 100][::-1]


def test_the_writer_never_writes_a_line_over_the_bound(tmp_path: Path, small_lines: int) -> None:
    j = new_journal(tmp_path)
    with pytest.raises(JournalError, match="longer than a journal line may be"):
        j.append("note", text="n" * small_lines)
    j.append("note", text="still writable")
    j.close()
    read = read_journal(tmp_path / "journal.jsonl")
    assert [e.get("text") for e in read.events] == [None, "still writable"]
    assert read.problems == []


# -- crashes and write errors in real processes -------------------------------------------

WRITER = textwrap.dedent(
    """
    import sys
    from runbook_tui.session.journal import Journal
    j = Journal.create(sys.argv[1], {"session_id": "x"})
    i = 0
    while True:
        i += 1
        j.append("step_started", step_id=f"s{i}", attempt=1)
        j.append_output(f"s{i}", 1, ("out %d " % i) * 500 + "\\n")
        j.append("step_finished", step_id=f"s{i}", attempt=1, exit_code=0)
        if i == 3:
            print("ready", flush=True)
    """
)


def test_sigkill_at_random_moments_leaves_a_readable_journal(tmp_path: Path) -> None:
    rng = random.Random(7)
    for round_ in range(6):
        path = tmp_path / f"k{round_}.jsonl"
        proc = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(path)], stdout=subprocess.PIPE, text=True
        )
        assert proc.stdout is not None and proc.stdout.readline() == "ready\n"
        time.sleep(rng.uniform(0, 0.3))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        read = read_journal(path)
        assert [e["seq"] for e in read.events] == list(range(1, len(read.events) + 1))
        assert read.problems == [] or read.torn
        finished = [e for e in read.events if e["type"] == "step_finished"]
        started = [e for e in read.events if e["type"] == "step_started"]
        assert len(finished) >= 3 and len(started) - len(finished) in (0, 1)
        j = Journal.open_append(path)
        j.append("session_resumed", pid=os.getpid())
        j.close()
        again = read_journal(path)
        assert not again.torn and again.problems == []
        assert again.events[-1]["seq"] == again.events[-2]["seq"] + 1


RLIMIT_WRITER = textwrap.dedent(
    """
    import json, resource, signal, sys, time
    from runbook_tui.session.journal import Journal, JournalError
    # Without this the kernel kills us with SIGXFSZ instead of failing the write.
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    mode = sys.argv[2]
    j = Journal.create(sys.argv[1], {"session_id": "x"})
    resource.setrlimit(resource.RLIMIT_FSIZE, (16384, 16384))
    ok = 1
    errors = []
    try:
        if mode == "append":
            while True:
                j.append("note", text="n" * 100)
                ok += 1
        else:
            j.append_output("s", 1, "o" * 30000)  # the flusher hits the limit
            deadline = time.monotonic() + 20
            while j.error is None and time.monotonic() < deadline:
                time.sleep(0.01)  # until the flusher has failed, not a guess at how long
            assert j.error is not None, "the flusher never hit the limit"
            j.append("note", text="never")
    except JournalError as exc:
        errors.append(str(exc))
    try:
        j.append("note", text="after the error")
    except JournalError as exc:
        errors.append(str(exc))
    print(json.dumps({"ok": ok, "errors": errors, "error_attr": str(j.error)}))
    """
)


@pytest.mark.parametrize("mode", ["append", "flusher"])
def test_file_size_limit_raises_journal_error_and_keeps_what_was_written(
    tmp_path: Path, mode: str
) -> None:
    path = tmp_path / "j.jsonl"
    proc = subprocess.run(
        [sys.executable, "-c", RLIMIT_WRITER, str(path), mode],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    first, second = result["errors"]
    assert "File too large" in first and str(path) in first
    assert "refuses writes after an earlier error" in second
    assert result["error_attr"] in first  # the flusher's error reaches the next caller
    read = read_journal(path)
    if mode == "append":
        assert len(read.events) == result["ok"]
        assert all(e["type"] in ("session_started", "note") for e in read.events)
    else:
        # The output that fit may be torn; the first event is intact.
        assert read.events[0]["type"] == "session_started"
    assert path.stat().st_size <= 16384


def _mount_tmpfs(where: Path, size: str) -> bool:
    if shutil.which("mount") is None:
        return False
    where.mkdir()
    proc = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs", str(where)],
        capture_output=True,
    )
    return proc.returncode == 0


def test_disk_full_raises_journal_error_and_keeps_what_was_written(tmp_path: Path) -> None:
    mnt = tmp_path / "small"
    if not _mount_tmpfs(mnt, "64k"):
        # No mount here (not root, or a sandbox that forbids it): a real EFBIG instead.
        test_file_size_limit_raises_journal_error_and_keeps_what_was_written(tmp_path, "append")
        return
    try:
        path = mnt / "journal.jsonl"
        j = Journal.create(path, FIRST)
        appended = [read_journal(path).events[0]]
        with pytest.raises(JournalError) as info:
            while True:
                appended.append(j.append("note", text="n" * 500))
        message = str(info.value)
        assert "No space left on device" in message and str(path) in message
        with pytest.raises(JournalError, match="refuses writes"):
            j.append_output("s", 1, "more")
        with pytest.raises(JournalError, match="refuses writes"):
            j.append("note", text="more")
        j.close()
        read = read_journal(path)
        assert read.events == appended
    finally:
        subprocess.run(["umount", str(mnt)], check=False)


def test_an_interrupted_write_never_reuses_a_sequence_number(tmp_path: Path) -> None:
    """Ctrl-C can land inside a write; the next event must not take the same seq."""
    journal = Journal.create(tmp_path / "j.jsonl", {"session_id": "x"})
    real_write = journal._write
    calls = {"n": 0}

    def interrupted_once(data: bytes) -> None:
        calls["n"] += 1
        if calls["n"] == 1:
            raise KeyboardInterrupt
        real_write(data)

    journal._write = interrupted_once  # type: ignore[method-assign]
    with pytest.raises(KeyboardInterrupt):
        journal.append("note", text="lost")
    journal.append("note", text="kept")
    journal.close()
    seqs = [e["seq"] for e in read_journal(tmp_path / "j.jsonl").events]
    assert len(seqs) == len(set(seqs))
