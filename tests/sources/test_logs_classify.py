"""Error and warning lines, as the issue decides: ERROR, FATAL, CRITICAL or PANIC as a
word in any case, or a JSON line whose level is error or above (then the level alone)."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from runbook_tui.sources.logs import classify, classify_bytes, count_levels


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


ERROR_RE = re.compile(rb"\b(?:error|fatal|critical|panic)\b", re.IGNORECASE)
WARNING_RE = re.compile(rb"\b(?:warn|warning)\b", re.IGNORECASE)
LEVEL_RE = re.compile(rb'"(?:level|severity|levelname)"[ \t]*:[ \t]*(?:"([A-Za-z]+)"|(\d+))')


def oracle(line: bytes) -> str | None:
    """The rule written plainly, one line at a time, with regular expressions."""
    if line.lstrip(b" \t")[:1] == b"{":
        m = LEVEL_RE.search(line)
        if m:
            if m.group(2) is not None:
                n = int(m.group(2))
                return "error" if n >= 50 else "warning" if n >= 40 else None
            name = m.group(1).lower()
            if name in b"error err fatal critical crit panic dpanic alert emerg emergency".split():
                return "error"
            return "warning" if name in (b"warn", b"warning") else None
    if ERROR_RE.search(line):
        return "error"
    return "warning" if WARNING_RE.search(line) else None


TOKENS = st.sampled_from(
    ["error", "ERROR", "Fatal", "panic", "critical", "warn", "WARNING", "errors", "_error",
     "x", " ", "{", "}", '"level":"error"', '"level": "info"', '"level":55', '"level":45',
     '"severity":"warn"', "é", "\t", ":", '"msg":"error"', "é"]
)  # fmt: skip
LINES = st.lists(st.lists(TOKENS, max_size=8).map("".join), min_size=1, max_size=12)


@settings(max_examples=400, deadline=None)
@given(lines=LINES)
def test_counting_a_chunk_agrees_with_the_rule_line_by_line(lines: list[str]) -> None:
    raw = [line.encode() for line in lines]
    levels = [oracle(line) for line in raw]
    assert count_levels(b"\n".join(raw)) == (levels.count("error"), levels.count("warning"))
    assert [classify_bytes(line) for line in raw] == levels
