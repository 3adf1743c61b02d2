"""Output as the journal holds it: each event's `data` as a JSON string literal
(bytes, quotes included; session/journal.py `read_output_literals`). Most of a flood
need not be decoded: its lines can be counted in the literal, and a JSON writer can
copy the literal as it is.

In a literal without an escaped backslash (`\\\\`), every backslash starts an escape,
so `\\n` is a newline and `\\r\\n` a CR LF: these can be counted and replaced as bytes.
A literal with one is decoded instead (the callers fall back)."""

from __future__ import annotations

import json
import re

_SURROGATE = re.compile("[\ud800-\udfff]")


def decode(literal: bytes) -> str:
    text = json.loads(literal)
    return text if isinstance(text, str) else ""


def newlines(literal: bytes) -> int | None:
    """How many LFs the text holds; None when that needs decoding."""
    lfs = literal.count(b"\\n")
    # Every backslash in a `\n`: no other escape, so none of them escaped (the count of
    # one byte is the cheapest pass there is); else look for an escaped backslash.
    if literal.count(b"\\") == lfs or b"\\\\" not in literal:
        return lfs
    return None


def crlf(literal: bytes) -> bytes:
    """The literal of the text with each LF written CR LF (one already after a CR too:
    CR CR LF shows as CR LF does, and looking for them would cost a pass over the
    text), and a lone surrogate (not UTF-8, refused by strict JSON readers) as U+FFFD."""
    has_lf = b"\\n" in literal
    if has_lf and b"\\\\" not in literal and b"\\ud" not in literal:
        return literal.replace(b"\\n", b"\\r\\n")
    if not has_lf and b"\\ud" not in literal:
        return literal
    text = _SURROGATE.sub("\ufffd", decode(literal).replace("\n", "\r\n"))
    return json.dumps(text, ensure_ascii=False).encode("utf-8")
