"""Strings decoded from escapes (YAML front matter, JSON attributes) that are not
plain text: lone surrogates, terminal control characters, bidirectional and zero-width
characters.

A YAML `"\\ud800"` or a JSON `"\\udc00"` decodes to a lone surrogate, which no encoder
accepts: printing it, writing it to a journal or passing it to a command fails. Each is
reported and replaced by U+FFFD, so everything after the parser only sees text.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from typing import Any

from runbook_tui.runbook.display import BIDI, CONTROL, escape_char

SURROGATE = re.compile("[\ud800-\udfff]")

Path = tuple[str | int, ...]
# report(path of the string, code, message)
Report = Callable[[Path, str, str], None]


def surrogate_message(text: str) -> str:
    char = SURROGATE.search(text)
    shown = f"\\u{ord(char.group()):04x}" if char else "a surrogate"
    return (
        f"a lone surrogate ({shown}) is not a character: it cannot be printed, recorded "
        "or passed to a command (write the character itself, or a surrogate pair)"
    )


def control_message(text: str) -> str:
    char = CONTROL.search(text)
    shown = escape_char(char.group()) if char else "a control character"
    return (
        f"control character {shown}: a terminal acts on it (it can hide or rewrite "
        "text), so what is shown is not what runs; remove it"
    )


def bidi_message(char: str, where: str = "", *, runs: bool = False) -> str:
    """What a `bidi-character` diagnostic says about `char` (found `where`, e.g.
    " in a command"); `runs`: in text that runs, where it is an error."""
    escaped = escape_char(char)
    name = unicodedata.name(char, "")
    named = f"{escaped} ({name.lower()})" if name else escaped
    said = (
        f"bidirectional or zero-width character {named}{where}: it reorders or hides text "
        "where the runbook is read (an editor, a review, a terminal), so what is read "
    )
    if runs:
        return (
            f"{said}is not what runs (Trojan Source); remove it (a command that needs it "
            f"can write it as an escape, e.g. printf '{escaped}')"
        )
    return f"{said}may not be what is written; runbook-tui shows it as {escaped}"


def clean_strings(
    data: Any,
    report: Report,
    *,
    controls: bool = True,
    runs: Callable[[Path], bool] = lambda path: False,
) -> Any:
    """`data` (built from YAML or JSON: dicts, lists, scalars) with every lone surrogate
    replaced by U+FFFD, in keys and values, changed in place where it is a container.
    Each string with a surrogate is reported as `bad-value`, and with `controls`, each
    with a control character as `control-character` and each with a bidirectional or
    zero-width character as `bidi-character` (worded for text that runs where `runs`
    says so of its path). Shared containers (YAML aliases)
    are visited once, so the walk stays linear; it is a loop, not a recursion, so deep
    nesting cannot overflow the stack."""

    def fix(text: str, path: Path) -> str:
        if text.isascii():
            if controls and CONTROL.search(text):
                report(path, "control-character", control_message(text))
            return text
        if SURROGATE.search(text):
            report(path, "bad-value", surrogate_message(text))
            text = SURROGATE.sub("\ufffd", text)
        if controls and CONTROL.search(text):
            report(path, "control-character", control_message(text))
        if controls and (bidi := BIDI.search(text)) is not None:
            report(path, "bidi-character", bidi_message(bidi.group(), runs=runs(path)))
        return text

    if isinstance(data, str):
        return fix(data, ())
    seen: set[int] = set()
    stack: list[tuple[Any, Path]] = [(data, ())]
    while stack:
        item, path = stack.pop()
        if id(item) in seen:
            continue
        seen.add(id(item))
        if isinstance(item, dict):
            entries = list(item.items())
            rebuilt: list[tuple[Any, Any]] = []
            changed = False
            for key, value in entries:
                where = (*path, str(key))
                new_key = fix(key, where) if isinstance(key, str) else key
                new_value = fix(value, where) if isinstance(value, str) else value
                changed = changed or new_key is not key or new_value is not value
                rebuilt.append((new_key, new_value))
                if isinstance(value, dict | list):
                    stack.append((value, where))
            if changed:
                item.clear()
                item.update(rebuilt)
        elif isinstance(item, list):
            for index, value in enumerate(item):
                if isinstance(value, str):
                    item[index] = fix(value, (*path, index))
                elif isinstance(value, dict | list):
                    stack.append((value, (*path, index)))
    return data
