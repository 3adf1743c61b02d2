"""`escape_controls`: the one function every printer of runbook text uses."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from runbook_tui.runbook.display import dumps_shown, escape_controls
from runbook_tui.runbook.parser import parse

RAW_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# Trojan Source (CVE-2021-42574) and the zero-width characters, written out here on
# purpose rather than imported: the test says which characters are meant.
BIDI_CHARS = [
    *map(chr, range(0x202A, 0x202F)),
    *map(chr, range(0x2066, 0x206A)),
    *map(chr, range(0x200B, 0x2010)),
    "\u2060",
    "\ufeff",
    "\u061c",
]
RAW_BIDI = re.compile(f"[{''.join(BIDI_CHARS)}]")
CONTROLS = st.sampled_from([chr(c) for c in [*range(0x20), 0x7F, *range(0x80, 0xA0)]])
BIDIS = st.sampled_from(BIDI_CHARS)
WITH_CONTROLS = st.lists(st.one_of(st.text(max_size=6), CONTROLS), max_size=30).map("".join)
WITH_BIDI = st.lists(st.one_of(st.text(max_size=6), CONTROLS, BIDIS), max_size=30).map("".join)
WITHOUT_CONTROLS = st.text(
    alphabet=st.characters(
        blacklist_characters=[
            *(chr(c) for c in range(0xA0) if RAW_CONTROL.match(chr(c))),
            *BIDI_CHARS,
        ]
    )
)


def test_escapes_as_python_writes_them() -> None:
    assert escape_controls("a\x1b[2Kb\x07\r\x9b\x00\x7f") == "a\\x1b[2Kb\\x07\\r\\x9b\\x00\\x7f"
    assert escape_controls("tab\tand\nnewline") == "tab\tand\nnewline"
    assert escape_controls("rm -rf \u202e/ ;\u2066x\u200b\ufeff") == (
        "rm -rf \\u202e/ ;\\u2066x\\u200b\\ufeff"
    )
    assert escape_controls("déjà vu ✓ 🧑") == "déjà vu ✓ 🧑"


@settings(max_examples=500, deadline=None)
@given(WITH_BIDI)
def test_output_never_holds_a_raw_bidirectional_or_zero_width_character(text: str) -> None:
    shown = escape_controls(text)
    assert RAW_BIDI.search(shown) is None and RAW_CONTROL.search(shown) is None
    # Each is written as its escape, in place; nothing else changes.

    def expected(char: str) -> str:
        if char in BIDI_CHARS:
            return f"\\u{ord(char):04x}"
        if char == "\r":
            return "\\r"
        return f"\\x{ord(char):02x}" if RAW_CONTROL.match(char) else char

    assert shown == "".join(map(expected, text))


@settings(max_examples=300, deadline=None)
@given(st.recursive(st.one_of(st.none(), st.integers(), WITH_BIDI),
                    lambda inner: st.one_of(st.lists(inner, max_size=3),
                                            st.dictionaries(WITH_BIDI, inner, max_size=3)),
                    max_leaves=6))  # fmt: skip
def test_json_as_printed_decodes_to_the_same_data_and_holds_no_raw_character(
    value: object,
) -> None:
    import json

    text = dumps_shown(value, indent=2)
    assert json.loads(text) == value
    assert RAW_BIDI.search(text) is None and RAW_CONTROL.search(text) is None


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
