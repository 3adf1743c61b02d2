"""Text from a runbook as it may be printed: control and invisible characters made
visible.

A runbook (or a journal made from one) can carry terminal control characters: an
escape sequence that clears the line or moves the cursor, a lone carriage return that
returns to the start of the line, so what a terminal shows is not what runs. It can
also carry characters that are not controls but change what text looks like: the
bidirectional overrides and isolates that make a terminal or an editor show a line's
characters in another order (Trojan Source, CVE-2021-42574), and zero-width characters
that hide a difference between two words. Every printer of runbook text passes it
through `escape_controls` first.
"""

from __future__ import annotations

import json
import re

# C0 controls except TAB and LF, DEL, and the C1 controls U+0080-U+009F (U+009B is a
# one-character CSI on some terminals).
CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# Bidirectional embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069), the
# marks (U+200E, U+200F, U+061C), zero-width space, non-joiner and joiner (U+200B-U+200D),
# the word joiner (U+2060) and U+FEFF (a byte order mark is dropped at the file's start;
# anywhere else it is a zero-width no-break space).
BIDI = re.compile("[\u061c\u200b-\u200f\u202a-\u202e\u2060\u2066-\u2069\ufeff]")
_SHOWN_ESCAPED = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200b-\u200f\u202a-\u202e\u2060\u2066-\u2069\ufeff]"
)


def escape_char(char: str) -> str:
    """One such character as Python writes it in a string: `\\x1b`, `\\r`, `\\x9b`,
    `\\u202e`."""
    if char == "\r":
        return "\\r"
    code = ord(char)
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def escape_controls(text: str) -> str:
    """`text` with every control character (C0 but TAB and newline, DEL, C1) and every
    bidirectional or zero-width character (`BIDI`) written as an escape: ESC as `\\x1b`,
    BEL as `\\x07`, CR as `\\r`, CSI as `\\x9b`, RIGHT-TO-LEFT OVERRIDE as `\\u202e`.
    Text without any is returned unchanged."""
    if _SHOWN_ESCAPED.search(text) is None:
        return text
    return _SHOWN_ESCAPED.sub(lambda match: escape_char(match.group()), text)


def dumps_shown(value: object, **options: object) -> str:
    """`json.dumps(value, ensure_ascii=False, **options)` with the characters
    `escape_controls` escapes written as JSON escapes (`\\u202e`, `\\u009b`): the same
    document, decoding to the same strings, but safe to print on a terminal (outside
    strings, JSON text is ASCII, so only string contents change)."""
    text = json.dumps(value, ensure_ascii=False, **options)  # type: ignore[arg-type]
    if _SHOWN_ESCAPED.search(text) is None:
        return text
    return _SHOWN_ESCAPED.sub(lambda match: f"\\u{ord(match.group()):04x}", text)
