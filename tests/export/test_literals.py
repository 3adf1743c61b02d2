"""Output handled as the JSON literals the journal holds: what the bytes say is what
decoding would say, whatever backslashes, escapes and surrogates the text has."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from runbook_tui.export import literals

TEXT = st.text(alphabet=st.sampled_from(["a", "n", "\\", "\n", "\r", '"', "\x1b", "é", "\udcff"]))


def literal(text: str) -> bytes:
    """As the journal writes it (session/journal.py _encode)."""
    return json.dumps(text, ensure_ascii=False).encode("utf-8", "backslashreplace")


@given(TEXT)
def test_newlines_counted_in_the_literal_are_those_of_the_text(text: str) -> None:
    counted = literals.newlines(literal(text))
    assert counted is None or counted == text.count("\n")
    if "\\" not in text:
        assert counted == text.count("\n")


@given(TEXT)
def test_crlf_is_every_lf_after_a_cr_and_no_surrogate_left(text: str) -> None:
    out = literals.crlf(literal(text))
    out.decode("utf-8")  # valid UTF-8, whatever the text held
    want = text.replace("\n", "\r\n").replace("\udcff", "\ufffd")
    assert json.loads(out) == want
    assert b"\\ud" not in out
