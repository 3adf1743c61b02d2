"""Turning a file's bytes into the text the parser reads."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DecodeProblem:
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


def decode_source(data: bytes) -> tuple[str, DecodeProblem | None]:
    """Decode UTF-8 (with or without BOM). On invalid bytes, return the text with
    replacement characters (so the rest can still be shown) and where the first bad
    byte is, as a 1-based line and column."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return normalize_text(data.decode("utf-8")), None
    except UnicodeDecodeError as exc:
        before = data[: exc.start]
        line = before.count(b"\n") + 1
        column = exc.start - (before.rfind(b"\n") + 1) + 1
        text = normalize_text(data.decode("utf-8", errors="replace"))
        message = f"not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start})"
        return text, DecodeProblem(line, column, message)
