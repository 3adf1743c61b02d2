"""`escape_controls`: the one function every printer of runbook text uses."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from runbook_tui.runbook.display import escape_controls
from runbook_tui.runbook.parser import parse

RAW_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
CONTROLS = st.sampled_from([chr(c) for c in [*range(0x20), 0x7F, *range(0x80, 0xA0)]])
WITH_CONTROLS = st.lists(st.one_of(st.text(max_size=6), CONTROLS), max_size=30).map("".join)
WITHOUT_CONTROLS = st.text(
    alphabet=st.characters(
        blacklist_characters=[chr(c) for c in range(0xA0) if RAW_CONTROL.match(chr(c))]
    )
)


def test_escapes_as_python_writes_them() -> None:
    assert escape_controls("a\x1b[2Kb\x07\r\x9b\x00\x7f") == "a\\x1b[2Kb\\x07\\r\\x9b\\x00\\x7f"
    assert escape_controls("tab\tand\nnewline") == "tab\tand\nnewline"


@settings(max_examples=500, deadline=None)
@given(WITH_CONTROLS)
def test_output_never_holds_a_raw_control_character_but_tab_and_newline(text: str) -> None:
    assert RAW_CONTROL.search(escape_controls(text)) is None


@settings(max_examples=500, deadline=None)
@given(WITHOUT_CONTROLS)
def test_identity_on_text_without_control_characters(text: str) -> None:
    assert escape_controls(text) == text


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.one_of(
            WITH_CONTROLS,
            st.sampled_from(
                ["```sh\n", "```\n", "# ", "- [ ] ", "\n", "\r", "\r\n", '{"name":"\\u001b"}']
            ),
        ),
        max_size=20,
    ).map("".join)
)
def test_the_parser_never_raises_on_text_with_control_characters(text: str) -> None:
    result = parse(text)
    lines = text.count("\n") + text.count("\r") + 2
    assert all(1 <= d.line <= lines for d in result.diagnostics)
