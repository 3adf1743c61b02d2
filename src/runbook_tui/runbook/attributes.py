"""Fence info strings and the attributes that follow the language, in Runme's syntax.

Both forms Runme writes are read: JSON (```` ```sh {"name":"x","timeout":"10m"} ````)
and key=value (```` ```sh { name=x timeout=10m } ````). Raw values are kept as written
(key=value values are strings, as in Runme); the typed views convert them.
"""

from __future__ import annotations

import json
import re
from typing import Any, NamedTuple

from runbook_tui.runbook.durations import parse_duration

OUR_ATTRIBUTES = (
    "name",
    "confirm",
    "danger",
    "timeout",
    "expect_exit",
    "expect_output",
    "cwd",
    "interactive",
    "rollback",
    "errexit",
    "pipefail",
)
# Runme's own cell attributes: accepted silently so Runme runbooks lint clean.
RUNME_ATTRIBUTES = (
    "background",
    "category",
    "closeTerminalOnSuccess",
    "cwd",
    "excludeFromRunAll",
    "id",
    "interactive",
    "interpreter",
    "mimeType",
    "name",
    "promptEnv",
    "skipPrompts",
    "tag",
    "terminalRows",
)
KNOWN_ATTRIBUTES = frozenset(OUR_ATTRIBUTES) | frozenset(RUNME_ATTRIBUTES)

_KEY_VALUE = re.compile(
    r"""\s*(?P<key>[A-Za-z_][\w.-]*)
        (?:\s*=\s*(?P<value>"(?:[^"\\]|\\.)*"|'[^']*'|[^\s"']*))?
        (?=\s|$)""",
    re.VERBOSE,
)
_LANGUAGE = re.compile(r"[^\s{]*")
_TRUE = frozenset(("true", "yes", "on", "1"))
_FALSE = frozenset(("false", "no", "off", "0"))


class InfoString(NamedTuple):
    """A fence's info string, split into its language and attributes."""

    language: str | None
    attrs: dict[str, Any]
    error: str | None = None
    # Offset in the info string of the `{`, to point diagnostics at it.
    attrs_offset: int = 0


def parse_info(info: str) -> InfoString:
    """Split `info` into a lower-cased language and its attributes. Text after the
    language that does not start with `{` is ignored, as markdown renderers do."""
    stripped = info.strip()
    if not stripped:
        return InfoString(None, {})
    match = _LANGUAGE.match(stripped)
    end = match.end() if match else 0
    language = stripped[:end].lower() or None
    rest = stripped[end:].lstrip()
    if not rest.startswith("{"):
        return InfoString(language, {})
    lead = len(info) - len(info.lstrip())
    offset = lead + len(stripped) - len(rest)
    attrs, error = parse_attributes(rest)
    return InfoString(language, attrs, error, offset)


def parse_attributes(text: str) -> tuple[dict[str, Any], str | None]:
    """Attributes from `{...}` in either form; on failure, `({}, reason)`."""
    text = text.strip()
    if not text.endswith("}"):
        return {}, "attributes start with `{` but do not end with `}`"
    inner = text[1:-1].strip()
    if not inner:
        return {}, None
    if inner.startswith('"'):
        return _json_attributes(text)
    return _key_value_attributes(inner)


def _json_attributes(text: str) -> tuple[dict[str, Any], str | None]:
    try:
        value = json.loads(text)
    except (ValueError, RecursionError) as exc:
        return {}, f"attributes are not valid JSON: {exc}"
    if not isinstance(value, dict):
        return {}, "attributes must be a JSON object"
    return value, None


def _key_value_attributes(inner: str) -> tuple[dict[str, Any], str | None]:
    attrs: dict[str, Any] = {}
    pos = 0
    while pos < len(inner):
        if inner[pos].isspace():
            pos += 1
            continue
        match = _KEY_VALUE.match(inner, pos)
        if match is None or match.end() == pos:
            snippet = inner[pos : pos + 20]
            return {}, f"cannot read attributes at {snippet!r} (use key=value or JSON)"
        raw = match.group("value")
        value: Any
        if raw is None:
            value = True  # a bare key, like an HTML boolean attribute
        elif raw.startswith('"'):
            try:
                value = json.loads(raw)
            except ValueError:
                return {}, f"bad quoted value for {match.group('key')!r}"
        elif raw.startswith("'"):
            value = raw[1:-1]
        else:
            value = raw
        attrs[match.group("key")] = value
        pos = match.end()
    return attrs, None


class TypedAttributes:
    """Our attributes converted to the types Step holds, plus what was wrong."""

    __slots__ = ("problems", "unknown", "values")

    def __init__(self) -> None:
        self.values: dict[str, Any] = {}
        self.problems: list[str] = []
        self.unknown: list[str] = []


def typed_attributes(attrs: dict[str, Any]) -> TypedAttributes:
    """Convert the raw attributes into Step's typed fields; report bad values."""
    typed = TypedAttributes()
    for key, raw in attrs.items():
        if key not in KNOWN_ATTRIBUTES:
            typed.unknown.append(key)
            continue
        converter = _CONVERTERS.get(key)
        if converter is None:
            continue
        try:
            field_name, value = converter(raw)
        except ValueError as exc:
            typed.problems.append(f"attribute {key}: {exc}")
            continue
        typed.values[field_name] = value
    return typed


def as_bool(value: Any) -> bool:
    """True/false, also as the strings Runme writes ("true", "false")."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in _TRUE:
        return True
    if isinstance(value, str) and value.strip().lower() in _FALSE:
        return False
    raise ValueError(f"expected true or false, got {value!r}")


def _text(value: Any, what: str) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ValueError(f"expected {what}, got {value!r}")
    text = str(value)
    if not text.strip():
        raise ValueError(f"expected {what}, got an empty value")
    return text


def _name(value: Any) -> tuple[str, Any]:
    return "name", _text(value, "a step name")


def _confirm(value: Any) -> tuple[str, Any]:
    return "confirm", as_bool(value)


def _danger(value: Any) -> tuple[str, Any]:
    return "danger", _text(value, "the phrase the operator must type")


def _timeout(value: Any) -> tuple[str, Any]:
    if isinstance(value, bool):
        raise ValueError(f"expected a duration like 10m, got {value!r}")
    seconds = parse_duration(value)
    if seconds <= 0:
        raise ValueError("a timeout must be longer than zero")
    return "timeout_seconds", seconds


def _expect_exit(value: Any) -> tuple[str, Any]:
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 255:
        raise ValueError(f"expected an exit status from 0 to 255, got {value!r}")
    return "expect_exit", value


def _expect_output(value: Any) -> tuple[str, Any]:
    pattern = _text(value, "a regular expression")
    try:
        re.compile(pattern)
    except (re.error, RecursionError, OverflowError) as exc:
        raise ValueError(f"bad regular expression: {exc}") from None
    return "expect_output", pattern


def _cwd(value: Any) -> tuple[str, Any]:
    return "cwd", _text(value, "a directory")


def _interactive(value: Any) -> tuple[str, Any]:
    return "interactive", as_bool(value)


def _rollback(value: Any) -> tuple[str, Any]:
    return "rollback", as_bool(value)


def _errexit(value: Any) -> tuple[str, Any]:
    return "errexit", as_bool(value)


def _pipefail(value: Any) -> tuple[str, Any]:
    return "pipefail", as_bool(value)


_CONVERTERS = {
    "name": _name,
    "confirm": _confirm,
    "danger": _danger,
    "timeout": _timeout,
    "expect_exit": _expect_exit,
    "expect_output": _expect_output,
    "cwd": _cwd,
    "interactive": _interactive,
    "rollback": _rollback,
    "errexit": _errexit,
    "pipefail": _pipefail,
}
