"""Patterns matched under a time bound (issue 9: `(a*)*b` hung check, show and run)."""

from __future__ import annotations

import re
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from runbook_tui.runbook.parser import parse
from runbook_tui.runbook.patterns import fullmatch_within, search_within, shape

EVIL = "(a*)*b"


@pytest.mark.parametrize(
    ("pattern", "risky"),
    [
        ("[a-z-]+", False), ("v[0-9]+", False), ("abc", False), ("(?:x|yz)", False),
        (EVIL, True), ("(a+)+", True), ("(a|aa)*", True), ("a*a*b", True), (r"(a)\1", True),
        ("(?=a+)b+", True), ("[a-z]+-[0-9]+", True),
    ],
)  # fmt: skip
def test_the_static_check_calls_nested_repeated_and_alternated_quantifiers_risky(
    pattern: str, risky: bool
) -> None:
    assert shape(pattern)[1] is risky


def test_a_catastrophic_match_is_stopped_and_reported_as_undecided() -> None:
    start = time.monotonic()
    assert fullmatch_within(EVIL, "a" * 36, 0.5) is None
    assert search_within(EVIL, "a" * 36, 0.5) is None
    assert time.monotonic() - start < 10  # re alone: minutes


@pytest.mark.parametrize("pattern", ["[a-z]+-[0-9]+", "v[0-9]+", EVIL])
def test_bounded_matches_agree_with_re(pattern: str) -> None:
    for text in ("abc-12", "v12", "aab", "x", ""):
        assert fullmatch_within(pattern, text) is (re.fullmatch(pattern, text) is not None)
        assert search_within(pattern, text) is (re.search(pattern, text) is not None)


def test_an_invalid_pattern_raises_re_error() -> None:
    with pytest.raises(re.error):
        fullmatch_within("(", "x")


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.sampled_from(["a", "b", "[ab]", "a*", "b+", "(", ")", "|", "?", "."]),
             max_size=6).map("".join),
    st.text(alphabet="ab", max_size=8),
)  # fmt: skip
def test_bounded_matches_agree_with_re_on_generated_patterns(pattern: str, text: str) -> None:
    try:
        expected = re.fullmatch(pattern, text) is not None
        found = re.search(pattern, text) is not None
    except re.error:
        return
    assert fullmatch_within(pattern, text, 5) is expected
    assert search_within(pattern, text, 5) is found


def test_check_reports_a_pattern_it_cannot_judge_in_time_as_pattern_timeout() -> None:
    text = f'---\nvariables:\n  A: {{default: "{"a" * 36}", pattern: "{EVIL}"}}\n---\n# T\n'
    start = time.monotonic()
    result = parse(text)
    assert time.monotonic() - start < 15
    assert [(d.code, d.severity, d.line) for d in result.errors] == [
        ("pattern-timeout", "error", 3)
    ]


def test_choices_are_checked_against_the_pattern_too() -> None:
    text = '---\nvariables:\n  A: {choices: [ok, "1"], pattern: "[a-z]+"}\n---\n# T\n'
    (error,) = parse(text).errors
    assert error.code == "bad-value" and "choices[1] '1'" in error.message


def test_validate_stops_a_catastrophic_pattern_with_a_clear_error() -> None:
    from runbook_tui.runbook.model import Variable
    from runbook_tui.session.variables import validate

    variable = Variable(name="A", pattern=EVIL)
    start = time.monotonic()
    why = validate(variable, "a" * 36)
    assert time.monotonic() - start < 10
    assert why is not None and "did not finish in time" in why
    assert validate(Variable(name="B", pattern="[a-z]+"), "ok") is None
    assert "does not match" in (validate(Variable(name="B", pattern="[a-z]+"), "1") or "")
