"""A line of recorded terminal output as a reader sees it, without a terminal.

Output is recorded raw: colours and other escape sequences, CR LF line ends, and a lone
CR where a progress bar redraws its line. A transcript shows each line as the terminal
left it, roughly: the text after its last lone CR (what was drawn last; text of an
earlier draw that a shorter redraw did not cover is dropped), escape sequences taken
out (`plain`) or colours turned into styles (`styled`), and every other control
character written as an escape (`\\x07`), so nothing in a transcript can drive the
reader's terminal or hide text.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, replace

from runbook_tui.runbook.display import escape_controls
from runbook_tui.session.escapes import ESCAPE_RE, strip_escapes

# An escape sequence cut off at the end of a line that was cut to its first characters.
_CUT_ESCAPE_RE = re.compile(r"\x1b(?:\[[0-?]*[ -/]*|\][^\x07\x1b]*|[()])?\Z")
_SGR_RE = re.compile(r"\x1b\[([0-9;:]*)m")


def redraws(raw: str, cut: bool = False) -> tuple[str, str]:
    """(what was drawn over, what shows) for a raw line: the line end's CRs go, and a
    lone CR starts the line again. `cut`: the line was cut short, so an escape sequence
    at its end may be incomplete (it is dropped)."""
    line = raw.rstrip("\r")
    if cut:
        line = _CUT_ESCAPE_RE.sub("", line)
    at = line.rfind("\r")
    if at < 0:
        return "", line
    return line[:at], line[at + 1 :]


def plain(raw: str, cut: bool = False) -> str:
    """The line's text: escape sequences out, other control characters escaped."""
    return escape_controls(strip_escapes(redraws(raw, cut)[1]))


# -- colours ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Style:
    """The SGR attributes in force. Colours: None (the default), 0-15 (the terminal's
    palette, drawn by class) or "#rrggbb" (256-colour and true colour)."""

    fg: int | str | None = None
    bg: int | str | None = None
    bold: bool = False
    dim: bool = False
    italic: bool = False
    underline: bool = False
    inverse: bool = False
    strike: bool = False

    @property
    def plain(self) -> bool:
        return self == PLAIN


PLAIN = Style()


def styled(
    raw: str, style: Style = PLAIN, cut: bool = False
) -> tuple[list[tuple[Style, str]], Style]:
    """The line as runs of (style, text), text with control characters escaped, and the
    style in force at its end (the next line starts with it). SGR sequences in the part
    that was drawn over still count; other escape sequences are dropped."""
    over, shown = redraws(raw, cut)
    for _text, token in _tokens(over):
        if token is not None:
            style = apply_sgr(style, token)
    runs: list[tuple[Style, str]] = []
    for text, token in _tokens(shown):
        if token is not None:
            style = apply_sgr(style, token)
        elif text:
            text = escape_controls(text)
            if runs and runs[-1][0] == style:
                runs[-1] = (style, runs[-1][1] + text)
            else:
                runs.append((style, text))
    return runs, style


def _tokens(text: str) -> Iterator[tuple[str, str | None]]:
    """(text, None) pieces and (sequence, SGR parameters) for SGR sequences; other
    escape sequences are left out."""
    if "\x1b" not in text:
        yield text, None
        return
    pos = 0
    for m in ESCAPE_RE.finditer(text):
        if m.start() > pos:
            yield text[pos : m.start()], None
        sgr = _SGR_RE.fullmatch(m.group())
        if sgr is not None:
            yield "", sgr.group(1)
        pos = m.end()
    if pos < len(text):
        yield text[pos:], None


_ATTRS = {1: "bold", 2: "dim", 3: "italic", 4: "underline", 7: "inverse", 9: "strike"}
_RESETS = {
    22: ("bold", "dim"),
    23: ("italic",),
    24: ("underline",),
    27: ("inverse",),
    29: ("strike",),
}


def apply_sgr(style: Style, params: str) -> Style:
    """`style` after an SGR sequence with these parameters (`1;31`, `38;5;208`, `0`)."""
    codes = [int(p) if p.isdigit() else 0 for p in re.split("[;:]", params)] if params else [0]
    i = 0
    while i < len(codes):
        code = codes[i]
        i += 1
        if code == 0:
            style = PLAIN
        elif code in _ATTRS:
            style = replace(style, **{_ATTRS[code]: True})
        elif code in _RESETS:
            style = replace(style, **dict.fromkeys(_RESETS[code], False))
        elif 30 <= code <= 37:
            style = replace(style, fg=code - 30)
        elif 90 <= code <= 97:
            style = replace(style, fg=code - 90 + 8)
        elif 40 <= code <= 47:
            style = replace(style, bg=code - 40)
        elif 100 <= code <= 107:
            style = replace(style, bg=code - 100 + 8)
        elif code == 39:
            style = replace(style, fg=None)
        elif code == 49:
            style = replace(style, bg=None)
        elif code in (38, 48):
            colour, i = _extended_colour(codes, i)
            if colour is not None:
                style = replace(style, **{"fg" if code == 38 else "bg": colour})
    return style


def _extended_colour(codes: list[int], i: int) -> tuple[int | str | None, int]:
    """`38;5;N` or `38;2;R;G;B` from position i (after the 38/48); the position after."""
    if i < len(codes) and codes[i] == 5 and i + 1 < len(codes):
        n = codes[i + 1]
        return (palette_colour(n) if 0 <= n <= 255 else None), i + 2
    if i < len(codes) and codes[i] == 2 and i + 3 < len(codes):
        r, g, b = (min(255, c) for c in codes[i + 1 : i + 4])
        return f"#{r:02x}{g:02x}{b:02x}", i + 4
    return None, len(codes)


def palette_colour(n: int) -> int | str:
    """A 256-colour index as the 16-colour class (0-15) or its xterm RGB value."""
    if n < 16:
        return n
    if n < 232:
        n -= 16
        levels = (0, 95, 135, 175, 215, 255)
        r, g, b = levels[n // 36], levels[n // 6 % 6], levels[n % 6]
        return f"#{r:02x}{g:02x}{b:02x}"
    grey = 8 + (n - 232) * 10
    return f"#{grey:02x}{grey:02x}{grey:02x}"
