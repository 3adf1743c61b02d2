"""Error and warning lines, as the issue decides: ERROR, FATAL, CRITICAL or PANIC as a
word in any case, or a JSON line whose level is error or above (then the level alone)."""

from __future__ import annotations

import pytest

from runbook_tui.sources.logs import classify, classify_bytes


@pytest.mark.parametrize(
    ("line", "level"),
    [
        ("2026-01-02 ERROR db: connection refused", "error"),
        ("error: no such unit", "error"),
        ("[Fatal] out of memory", "error"),
        ("CRITICAL disk full", "error"),
        ("panic: runtime error: index out of range", "error"),
        ("level=error msg=x", "error"),
        ("WARN slow query", "warning"),
        ("Warning: deprecated", "warning"),
        ("warn+error together", "error"),
        ("0 errors, 0 warnings", None),
        ("error_count=0 terrorist fatalistic", None),
        ("all good", None),
        ('{"level":"error","msg":"x"}', "error"),
        ('{"level":"ERROR","msg":"x"}', "error"),
        ('  {"severity":"CRITICAL","message":"x"}', "error"),
        ('{"levelname": "WARNING", "message": "x"}', "warning"),
        ('{"level":"fatal"}', "error"),
        ('{"level":"dpanic"}', "error"),
        ('{"level":"warn","msg":"x"}', "warning"),
        ('{"level":50,"msg":"pino error"}', "error"),
        ('{"level":60,"msg":"pino fatal"}', "error"),
        ('{"level":40,"msg":"pino warn"}', "warning"),
        ('{"level":30,"msg":"pino info"}', None),
        # A JSON line with a level is classified by it alone.
        ('{"level":"info","msg":"retrying after error","error":null}', None),
        # A JSON line without a level falls back to the words.
        ('{"msg":"ERROR in handler"}', "error"),
        ("", None),
    ],
)
def test_lines_are_classified(line: str, level: str | None) -> None:
    assert classify(line) == level
    assert classify_bytes(line.encode()) == level


def test_undecodable_bytes_do_not_prevent_classification() -> None:
    assert classify_bytes(b"\xff\xfe ERROR \x00") == "error"
