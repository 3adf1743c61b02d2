"""Text from a runbook as it may be printed: control characters made visible.

A runbook (or a journal made from one) can carry terminal control characters: an
escape sequence that clears the line or moves the cursor, a lone carriage return that
returns to the start of the line, so what a terminal shows is not what runs. Every
printer of runbook text passes it through `escape_controls` first.
"""

from __future__ import annotations

import re

# C0 controls except TAB and LF, DEL, and the C1 controls U+0080-U+009F (U+009B is a
# one-character CSI on some terminals).
CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def escape_char(char: str) -> str:
    """One control character as Python writes it in a string: `\\x1b`, `\\r`, `\\x9b`."""
    return f"\\x{ord(char):02x}" if char != "\r" else "\\r"


def escape_controls(text: str) -> str:
    """`text` with every control character (C0 but TAB and newline, DEL, C1) written as
    an escape: ESC as `\\x1b`, BEL as `\\x07`, CR as `\\r`, CSI as `\\x9b`. Text without
    control characters is returned unchanged."""
    if CONTROL.search(text) is None:
        return text
    return CONTROL.sub(lambda match: escape_char(match.group()), text)
