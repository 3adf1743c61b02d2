"""Turning a file's bytes into the text the parser reads."""

from __future__ import annotations

import re
from typing import NamedTuple

# The largest runbook `check`, `show` and `run` read: 16 MiB. Parsing is linear in the
# size (bench/bench_parse_shapes.py measures 1, 5 and 10 MB of each shape); a runbook
# is a document a person reads, and a larger file is far more likely a mistake (a log,
# a dump) or an attack than a procedure. Documented in docs/runbook-format.md.
MAX_RUNBOOK_BYTES = 16 * 1024 * 1024

_LONE_CR = re.compile(r"\r(?!\n)")


class DecodeProblem(NamedTuple):
    """Where the runbook's bytes are not valid text, and what was wrong."""

    line: int
    column: int
    message: str


def normalize_text(text: str) -> str:
    """Drop a leading BOM and turn CRLF and lone CR into LF, so lines count the same."""
    if text.startswith("\ufeff"):
        text = text[1:]
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text


def lone_cr_lines(text: str) -> dict[int, int]:
    """Where `text` (with its BOM dropped, not yet normalised) has a carriage return
    that is not part of a CRLF: {1-based line it ends: its 1-based column}, in the line
    numbers of the normalised text (where it is a line break)."""
    found: dict[int, int] = {}
    if "\r" not in text:
        return found
    newlines = scanned = line_start = 0
    for number, match in enumerate(_LONE_CR.finditer(text)):
        pos = match.start()
        newline = text.rfind("\n", scanned, pos)
        if newline >= 0:
            line_start = newline + 1
            newlines += text.count("\n", scanned, pos)
        found[1 + newlines + number] = pos - line_start + 1
        scanned = line_start = pos + 1
    return found


def decode_source(data: bytes) -> tuple[str, DecodeProblem | None]:
    """Decode UTF-8 (with or without BOM), line endings as written (`parse` normalises
    them, and reports lone carriage returns in steps). On invalid bytes, return the text with
    replacement characters (so the rest can still be shown) and where the first bad
    byte is, as a 1-based line and column."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8"), None
    except UnicodeDecodeError as exc:
        before = data[: exc.start]
        line = before.count(b"\n") + 1
        column = exc.start - (before.rfind(b"\n") + 1) + 1
        text = data.decode("utf-8", errors="replace")
        message = f"not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start})"
        return text, DecodeProblem(line, column, message)
