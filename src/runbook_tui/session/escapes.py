"""Terminal escape sequences in captured output: one definition for everything that
must see text as a terminal shows it (masking, expect_output, the output view)."""

from __future__ import annotations

import re

# CSI (colours, cursor), OSC (titles, hyperlinks), charset selection, other 2-char escapes.
ESCAPE_RE = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"
    r"|\x1b\][^\x07\x1b]{0,4096}(?:\x07|\x1b\\)"
    r"|\x1b[()][0-9A-Za-z]"
    r"|\x1b[@-Z\\-_]"
)


def strip_escapes(text: str) -> str:
    """`text` without escape sequences: what a terminal would show."""
    return ESCAPE_RE.sub("", text) if "\x1b" in text else text
