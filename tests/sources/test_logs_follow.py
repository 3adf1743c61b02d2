"""FileLog follows real files as `tail -F` does: appends, lines in progress, rotation
(rename + new file), truncation, a file rewritten while away, globs switching to the
newer file, a file that appears later, and a follower far behind."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from runbook_tui.runbook.model import LogSource
from runbook_tui.session.redaction import MASK, Redactor
from runbook_tui.sources.logs import CommandLog, FileLog, LogReading, _describe, open_log


def append(path: Path, text: str) -> None:
    with open(path, "a", encoding="utf-8") as f:
        f.write(text)


def numbered(prefix: str, n: int) -> str:
    return "".join(f"{prefix} {i}\n" for i in range(n))


def test_opening_shows_the_last_lines_as_history(tmp_path: Path) -> None:
    path = tmp_path / "app.log"
    path.write_text(numbered("old", 1000))
    log = FileLog("app", str(path), keep=3)
    first = log.poll()
    assert first.lines == ("old 997", "old 998", "old 999")
    assert (first.new_lines, first.total_lines, first.error_lines) == (0, 0, 0)
    assert first.detail == str(path) and first.error is None
    log.close()


def test_appends_are_read_and_counted_with_their_errors(tmp_path: Path) -> None:
    path = tmp_path / "app.log"
    path.write_text("start ERROR old\n")
    log = FileLog("app", str(path), keep=10)
    log.poll()
    append(path, "a ok\nb ERROR: boom\nc warning: slow\n")
    r = log.poll()
    assert r.lines == ("start ERROR old", "a ok", "b ERROR: boom", "c warning: slow")
    assert (r.new_lines, r.total_lines, r.error_lines, r.warning_lines) == (3, 3, 1, 1)
    append(path, '{"level":"fatal","msg":"x"}\n')
    r = log.poll()
    assert (r.new_lines, r.total_lines, r.error_lines) == (1, 4, 2)
    assert log.poll().new_lines == 0
    log.close()


def test_a_line_in_progress_is_shown_and_counted_once_complete(tmp_path: Path) -> None:
    path = tmp_path / "app.log"
    path.write_text("one\ntw")
    log = FileLog("app", str(path))
    # Shown once it stopped growing for a poll: a write may end inside a secret.
    assert log.poll().lines == ("one",)
    assert log.poll().lines == ("one", "tw")
    append(path, "o ERROR")
    assert log.poll().lines == ("one",)
    r = log.poll()
    assert r.lines == ("one", "two ERROR") and r.new_lines == 0 and r.error_lines == 0
    append(path, "\nthree\n")
    r = log.poll()
    assert r.lines == ("one", "two ERROR", "three")
    assert (r.new_lines, r.error_lines) == (2, 1)
    log.close()


def test_rotation_reads_the_rest_of_the_old_file_then_the_new_one(tmp_path: Path) -> None:
    path = tmp_path / "app.log"
    path.write_text("a1\n")
    log = FileLog("app", str(path))
    log.poll()
    append(path, "a2\n")
    os.rename(path, tmp_path / "app.log.1")
    # Still written by the app through its open descriptor, before it reopens.
    append(tmp_path / "app.log.1", "a3 (after rename)\n")
    gone = log.poll()
    assert gone.notes == (f"gone: {path}",)
    assert gone.lines == ("a1", "a2", "a3 (after rename)")
    append(tmp_path / "app.log.1", "a4\n")
    path.write_text("b1\nb2\n")
    r = log.poll()
    assert r.lines == ("a1", "a2", "a3 (after rename)", "a4", "b1", "b2")
    assert r.notes == (f"rotated: {path} is a new file",)
    assert r.total_lines == 5
    append(path, "b3\n")
    assert log.poll().lines[-1] == "b3"
    log.close()


def test_rotation_between_two_polls_loses_nothing(tmp_path: Path) -> None:
    path = tmp_path / "app.log"
    path.write_text("")
    log = FileLog("app", str(path))
    log.poll()
    append(path, "x1\nx2 unterminated")
    os.rename(path, tmp_path / "app.log.1")
    path.write_text("y1\n")
    r = log.poll()
    assert r.lines == ("x1", "x2 unterminated", "y1")
    assert r.new_lines == 3
    log.close()


def test_truncation_starts_again_from_the_top(tmp_path: Path) -> None:
    path = tmp_path / "app.log"
    path.write_text(numbered("before", 50))
    log = FileLog("app", str(path), keep=5)
    log.poll()
    with open(path, "r+") as f:  # logrotate's copytruncate
        f.truncate(0)
    append(path, "after 1\n")
    r = log.poll()
    assert r.notes == ("truncated",)
    assert r.lines[-1] == "after 1" and r.new_lines == 1
    log.close()


def test_a_file_rewritten_longer_while_away_is_read_again(tmp_path: Path) -> None:
    """The size did not shrink, but the bytes before the read position changed."""
    path = tmp_path / "app.log"
    path.write_text("short\n")
    log = FileLog("app", str(path))
    log.poll()
    path.write_text(numbered("rewritten", 20))  # same inode, truncated then longer
    r = log.poll()
    assert r.notes == ("truncated",)
    assert r.new_lines == 20 and r.lines[-1] == "rewritten 19"
    log.close()


def test_a_missing_file_is_an_error_until_it_appears_then_read_from_its_start(
    tmp_path: Path,
) -> None:
    path = tmp_path / "later.log"
    log = FileLog("later", str(path))
    r = log.poll()
    assert r.error == f"no such file: {path}" and r.lines == ()
    path.write_text("first\nsecond ERROR\n")
    r = log.poll()
    assert r.error is None and r.lines == ("first", "second ERROR")
    assert (r.new_lines, r.error_lines) == (2, 1)
    log.close()


def test_a_directory_is_not_followed(tmp_path: Path) -> None:
    (tmp_path / "dir").mkdir()
    r = FileLog("d", str(tmp_path / "dir")).poll()
    assert r.error == f"not a regular file: {tmp_path / 'dir'}" and r.lines == ()


def test_an_unreadable_file_says_so() -> None:
    """Tests run as root here, which reads any file: the message is checked on the
    error the open would raise."""
    assert _describe(PermissionError(13, "Permission denied"), "/x") == "permission denied: /x"
    assert _describe(OSError(5, "Input/output error"), "/x") == "Input/output error: /x"


def test_a_glob_follows_the_newest_file_and_switches_when_a_newer_one_appears(
    tmp_path: Path,
) -> None:
    old, cur = tmp_path / "app-1.log", tmp_path / "app-2.log"
    old.write_text("old\n")
    cur.write_text("cur 1\n")
    os.utime(old, (1_000_000, 1_000_000))
    os.utime(cur, (2_000_000, 2_000_000))
    log = FileLog("app", str(tmp_path / "app-*.log"))
    r = log.poll()
    assert r.detail == str(cur) and r.lines == ("cur 1",)
    # A newer file while the current one still grows: stay until it stops.
    nxt = tmp_path / "app-3.log"
    nxt.write_text("next 1\n")
    append(cur, "cur 2\n")
    os.utime(cur, (2_000_000, 2_000_000))
    r = log.poll()
    assert r.detail == str(cur) and r.lines == ("cur 1", "cur 2") and r.notes == ()
    r = log.poll()
    assert r.detail == str(nxt)
    assert r.notes == (f"switched to {nxt}",)
    assert r.lines == ("cur 1", "cur 2", "next 1")
    log.close()


def test_a_glob_with_no_match_waits_for_one(tmp_path: Path) -> None:
    log = FileLog("app", "logs/*.log", base_dir=str(tmp_path))
    assert log.poll().error == f"no file matches {tmp_path}/logs/*.log"
    (tmp_path / "logs").mkdir()
    (tmp_path / "logs" / "a.log").write_text("hello\n")
    assert log.poll().lines == ("hello",)
    log.close()


def test_a_follower_far_behind_jumps_to_the_end_and_says_how_much_it_skipped(
    tmp_path: Path,
) -> None:
    path = tmp_path / "app.log"
    path.write_text("")
    log = FileLog("app", str(path), keep=4, max_backlog=10_000)
    log.poll()
    append(path, numbered("flood", 5000))
    r = log.poll()
    assert r.lines == ("flood 4996", "flood 4997", "flood 4998", "flood 4999")
    assert r.skipped_bytes > 10_000
    assert r.notes == (f"skipped {r.skipped_bytes} bytes: the log grew faster than it was read",)
    assert r.new_lines == 4
    log.close()


def test_memory_stays_bounded_by_keep_however_much_arrives(tmp_path: Path) -> None:
    path = tmp_path / "app.log"
    path.write_text("")
    log = FileLog("app", str(path), keep=7)
    log.poll()
    append(path, ("y" * 200_000 + "\n") * 40)
    r = log.poll()
    assert len(r.lines) == 7 and r.new_lines == 40
    assert sum(map(len, r.lines)) < 7 * (64 * 1024 + 40)
    log.close()


def test_open_log_builds_the_reader_for_each_source(tmp_path: Path) -> None:
    (tmp_path / "a.log").write_text("x\n")
    file_log = open_log(LogSource("a", "path", "a.log"), base_dir=str(tmp_path))
    assert isinstance(file_log, FileLog) and file_log.poll().lines == ("x",)
    cmd = open_log(LogSource("c", "command", "true"), base_dir=str(tmp_path))
    assert isinstance(cmd, CommandLog) and cmd.pid is None  # nothing runs before a poll
    cmd.close()
    assert cmd.poll().error == "closed" and cmd.pid is None


def test_home_in_a_path_is_expanded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    (tmp_path / "h.log").write_text("home\n")
    assert FileLog("h", "~/h.log").poll().lines == ("home",)


@settings(max_examples=150, deadline=None)
@given(
    chunks=st.lists(st.text(st.sampled_from("ab \nERROR"), max_size=40), min_size=1, max_size=20),
    keep=st.integers(1, 30),
)
def test_following_any_appends_sees_every_line_once(chunks: list[str], keep: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "a.log"
        path.write_text("")
        log = FileLog("p", str(path), keep=keep)
        readings: list[LogReading] = [log.poll()]
        for chunk in chunks:
            append(path, chunk)
            readings.append(log.poll())
        readings.append(log.poll())  # a line in progress shows once idle for a poll
        data = "".join(chunks)
        complete = data.split("\n")[:-1]
        last = readings[-1]
        assert last.total_lines == len(complete) == sum(r.new_lines for r in readings)
        assert last.error_lines == sum("ERROR" in line.split() for line in complete)
        shown = [] if not data else complete if data.endswith("\n") else data.split("\n")
        assert last.lines == tuple(shown[-keep:])
        log.close()


def test_a_secret_cut_by_a_write_never_shows_as_a_prefix(tmp_path: Path) -> None:
    """A writer's buffer ended inside the secret: the line waits for the rest."""
    path = tmp_path / "app.log"
    path.write_text("")
    log = FileLog("app", str(path), mask=Redactor(["hunter2secret"]).mask)
    log.poll()
    append(path, "login with hunter2")
    assert log.poll().lines == ()
    append(path, "secret done\n")
    assert log.poll().lines == (f"login with {MASK} done",)
    log.close()


def test_a_glob_whose_file_is_deleted_shows_the_older_match_as_history(tmp_path: Path) -> None:
    old, cur = tmp_path / "app-1.log", tmp_path / "app-2.log"
    old.write_text(numbered("old ERROR", 100))
    cur.write_text("cur\n")
    os.utime(old, (1_000_000, 1_000_000))
    log = FileLog("app", str(tmp_path / "app-*.log"), keep=2)
    assert log.poll().lines == ("cur",)
    cur.unlink()
    r = log.poll()
    assert r.notes == (f"switched to {old}",)
    assert r.lines == ("old ERROR 98", "old ERROR 99")
    assert (r.new_lines, r.error_lines) == (0, 0)  # history, not news
    log.close()


def test_a_private_key_printed_to_a_log_is_masked_as_a_block(tmp_path: Path) -> None:
    """Masked per line, the key's body lines would show: a batch is masked as one text."""
    path = tmp_path / "app.log"
    path.write_text("")
    log = FileLog("app", str(path), mask=Redactor([]).mask)
    log.poll()
    body = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7"
    append(path, f"loaded key\n-----BEGIN PRIVATE KEY-----\n{body}\n-----END PRIVATE KEY-----\n")
    lines = log.poll().lines
    assert lines == ("loaded key", f"-----BEGIN PRIVATE KEY-----{MASK}-----END PRIVATE KEY-----")
    assert not any(body in line for line in log.tail(10))
    log.close()
