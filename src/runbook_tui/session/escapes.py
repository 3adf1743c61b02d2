"""Terminal escape sequences in captured output: one definition for everything that
must see text as a terminal shows it (masking, expect_output, the output view)."""

from __future__ import annotations

import re

_ESC = r"\x1b"
_CSI_BODY = r"\[[0-?]*[ -/]*[@-~]"
_OSC_BODY = r"\][^\x07\x1b]{0,4096}(?:\x07|\x1b\\)"
# CSI (colours, cursor), OSC (titles, hyperlinks), charset selection, other 2-char escapes.
ESCAPE_RE = re.compile(
    rf"{_ESC}{_CSI_BODY}|{_ESC}{_OSC_BODY}|{_ESC}[()][0-9A-Za-z]|{_ESC}[@-Z\\-_]"
)
# CSI only: what a tool that strips colour codes (and nothing else) takes away.
CSI_RE = re.compile(_ESC + _CSI_BODY)
# An ESC that does not start a whole CSI sequence: where the two views differ.
NON_CSI_ESCAPE_RE = re.compile(rf"{_ESC}(?!{_CSI_BODY})")


def strip_escapes(text: str) -> str:
    """`text` without escape sequences: what a terminal would show."""
    return ESCAPE_RE.sub("", text) if "\x1b" in text else text
