"""YAML front matter: finding it, parsing it, and checking it against the schema.

Every diagnostic carries the line of the FILE: YAML marks count from the first line
inside the `---` fence, so they are shifted by where that fence starts.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from runbook_tui.runbook.codes import DiagnosticSink
from runbook_tui.runbook.durations import BadNumber, parse_duration
from runbook_tui.runbook.model import RUNBOOK_KINDS, BackupSet, LogSource, Service, Variable
from runbook_tui.runbook.patterns import fullmatch_within
from runbook_tui.runbook.strings import clean_strings

if TYPE_CHECKING:
    from yaml.nodes import Node

# The tag YAML gives a scalar it reads as a string.
_STR_TAG = "tag:yaml.org,2002:str"

TOP_LEVEL_KEYS = (
    "title",
    "kind",
    "owner",
    "rto",
    "restores",
    "errexit",
    "pipefail",
    "variables",
    "services",
    "logs",
    "backups",
)
VARIABLE_KEYS = ("prompt", "default", "pattern", "choices", "secret", "from_env", "required")
SERVICE_KINDS = ("http", "tcp", "process", "command", "systemd")
SERVICE_KEYS = ("name", *SERVICE_KINDS, "interval", "timeout", "expect_status")
LOG_KINDS = ("path", "command")
LOG_KEYS = ("name", *LOG_KINDS)
BACKUP_KINDS = ("path", "restic")
BACKUP_KEYS = ("name", *BACKUP_KINDS, "password_env", "password_file", "max_age", "min_count")

ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_CLOSING = re.compile(r"^(?:---|\.\.\.)[ \t]*$", re.MULTILINE)
_TCP_TARGET = re.compile(r".+:\d{1,5}")
# `${NAME}` in a value is expanded when the walk or `status` starts (sources/expand.py):
# a target holding one is judged then.
_REFERENCE = re.compile(r"\$\{[A-Za-z_][A-Za-z0-9_]*\}")
# How long `check` lets a variable's pattern match its default or a choice.
PATTERN_SECONDS = 1.0

Path = tuple[str | int, ...]


@dataclass(frozen=True)
class FrontMatterBlock:
    """Where the front matter sits in the text."""

    yaml_text: str
    first_line: int  # file line of the first YAML line
    body_start: int  # offset of the markdown after the closing fence
    body_line: int  # file line where that markdown starts


@dataclass
class FrontMatter:
    """The checked front matter; fields that failed their check are left at defaults."""

    raw: dict[str, Any] = field(default_factory=dict)
    title: str | None = None
    kind: str | None = None
    owner: str | None = None
    rto_seconds: float | None = None
    restores: tuple[str, ...] = ()
    restores_line: int = 0
    errexit: bool = True
    pipefail: bool = True
    variables: tuple[Variable, ...] = ()
    services: tuple[Service, ...] = ()
    logs: tuple[LogSource, ...] = ()
    backups: tuple[BackupSet, ...] = ()


def split_front_matter(text: str, sink: DiagnosticSink) -> FrontMatterBlock | None:
    """The front matter block at the top of `text` (already BOM- and CRLF-normalised),
    or None. A `---` first line without a closing fence is a warning and is read as
    markdown (it may be a thematic break)."""
    if not text.startswith("---"):
        return None
    first_end = text.find("\n")
    if first_end == -1 or text[3:first_end].strip(" \t"):
        return None
    closing = _CLOSING.search(text, first_end + 1)
    if closing is None:
        sink.add(
            "frontmatter-unclosed",
            1,
            "front matter opened with `---` but never closed with `---`; read as markdown",
        )
        return None
    yaml_text = text[first_end + 1 : closing.start()]
    body_start = closing.end() + 1 if closing.end() < len(text) else closing.end()
    closing_line = text.count("\n", 0, closing.start()) + 1
    return FrontMatterBlock(yaml_text, 2, body_start, closing_line + 1)


def read_front_matter(block: FrontMatterBlock | None, sink: DiagnosticSink) -> FrontMatter:
    """Parse and check the front matter; problems go to `sink`, never raise."""
    if block is None or not block.yaml_text.strip():
        return FrontMatter()
    loaded = _load_yaml(block, sink)
    if loaded is None:
        return FrontMatter()
    data, lines, plain = loaded
    if data is None:
        return FrontMatter()
    if not isinstance(data, dict):
        sink.add(
            "frontmatter-type",
            block.first_line,
            f"front matter must be a mapping of keys to values, not {_type_name(data)}",
        )
        return FrontMatter()
    checker = _Checker(sink, lines, block.first_line, plain)
    # Lone surrogates and control characters from YAML escapes, before anything uses
    # them; a bidirectional character is an error in a command (a service's or a log's),
    # a warning elsewhere (titles, prompts, values: shown, not run).
    clean_strings(
        data,
        lambda path, code, message: checker.error(
            code, path, _where(path, message), shown=not _runs(path)
        ),
        runs=_runs,
    )
    return checker.check(data)


def _runs(path: Path) -> bool:
    """Whether the front-matter string at `path` is run: a service's or a log's command."""
    return bool(path) and path[-1] == "command"


def _where(path: Path, message: str) -> str:
    return f"{_describe(path)}: {message}" if path else message


Loaded = tuple[Any, dict[Path, int], dict[Path, str]]


def _load_yaml(block: FrontMatterBlock, sink: DiagnosticSink) -> Loaded | None:
    """`(data, lines, plain)` as `_record_lines` describes them, or None after a
    `yaml-syntax` error."""
    flat = _load_flat(block)
    return flat if flat is not None else _load_with_pyyaml(block, sink)


# Flat front matter is read without PyYAML: importing it and loading the bench's two
# lines cost 89 M of the walk's 1,644 M start-up instructions (5.4%; its reader compiles
# big regexes). The result must be exactly PyYAML's, so only lines it certainly reads as
# a string-to-string pair are taken: a letter-initial key and value of printable ASCII,
# one line each. Everything else goes to PyYAML (tests/runbook/test_flat_frontmatter.py).
_FLAT_PAIR = re.compile(r"([A-Za-z][A-Za-z0-9_.-]{0,63}): +([A-Za-z][ -~]*)")
# Letter-initial plain words YAML 1.1 types, in any case: booleans and null (and y, n:
# booleans in the spec, text to PyYAML; refused all the same). Numbers, dates, `.inf`,
# `~`, `<<` and `=` do not start with a letter, so the pattern never takes them.
_TYPED_WORDS = frozenset({"yes", "no", "true", "false", "on", "off", "null", "y", "n"})


def _load_flat(block: FrontMatterBlock) -> Loaded | None:
    """What PyYAML reads from front matter of `key: value` lines (and empty lines), or
    None when a line may mean anything else: a comment (`#`), a nested mapping (`: `),
    a typed word, a duplicate key (PyYAML warns)."""
    data: dict[str, str] = {}
    lines: dict[Path, int] = {}
    for number, line in enumerate(block.yaml_text.split("\n"), block.first_line):
        if not line:
            continue
        pair = _FLAT_PAIR.fullmatch(line)
        if pair is None:
            return None
        key, value = pair[1], pair[2].rstrip(" ")  # YAML drops trailing spaces
        if (
            key in data
            or "#" in value
            or ": " in value
            or value.endswith(":")
            or key.lower() in _TYPED_WORDS
            or value.lower() in _TYPED_WORDS
        ):
            return None
        lines.setdefault((), number)  # the root mapping starts at its first key
        lines[(key,)] = number
        data[key] = value
    return (data, lines, {}) if data else None


def _load_with_pyyaml(block: FrontMatterBlock, sink: DiagnosticSink) -> Loaded | None:
    # Imported here: a runbook without front matter never pays for PyYAML.
    import yaml

    loader: Any = None
    # libyaml's loader when PyYAML was built with it: same nodes and marks, faster.
    loader_class = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        # The reader checks for control characters already in the constructor.
        loader = loader_class(block.yaml_text)
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = _position(block, mark.index if mark else 0)
        problem = exc.problem or exc.context or "invalid YAML"
        sink.add("yaml-syntax", line, f"YAML: {problem}", column)
        return None
    except yaml.YAMLError as exc:
        # ReaderError (control characters) has a character position but no mark.
        position = getattr(exc, "position", None)
        line, column = _position(block, position if isinstance(position, int) else 0)
        # Its text has a second line naming "<unicode string>": keep only the first.
        first = str(exc).splitlines()[0] if str(exc) else "invalid YAML"
        sink.add("yaml-syntax", line, f"YAML: {first}", column)
        return None
    except RecursionError:
        sink.add("yaml-syntax", block.first_line, "YAML: nested too deeply")
        return None
    except (ValueError, TypeError, OverflowError) as exc:
        # PyYAML's constructors raise plain errors on e.g. a date like 2024-13-45.
        sink.add("yaml-syntax", block.first_line, f"YAML: {exc}")
        return None
    finally:
        if loader is not None:
            loader.dispose()
    lines: dict[Path, int] = {}
    plain: dict[Path, str] = {}
    if node is not None:
        _record_lines(node, (), lines, plain, block, sink, set())
    return data, lines, plain


def _position(block: FrontMatterBlock, index: int) -> tuple[int, int]:
    """File line and column of a character index in the YAML text. YAML's own line
    numbers also break at NEL and U+2028/9, which markdown and editors do not."""
    text = block.yaml_text
    index = max(0, min(index, len(text)))
    line_start = text.rfind("\n", 0, index) + 1
    return block.first_line + text.count("\n", 0, index), index - line_start + 1


def _record_lines(
    node: Node,
    path: Path,
    lines: dict[Path, int],
    plain: dict[Path, str],
    block: FrontMatterBlock,
    sink: DiagnosticSink,
    seen: set[int],
) -> None:
    """Map each structural path to its file line, and warn on duplicate keys. Plain
    (unquoted) scalars that YAML types as something else than a string go to `plain`,
    as written, so the checks can tell when the typed value reads differently."""
    from yaml.nodes import MappingNode, ScalarNode, SequenceNode

    # Aliases share nodes: visiting each once keeps "billion laughs" linear.
    if id(node) in seen:
        return
    seen.add(id(node))
    lines.setdefault(path, _position(block, node.start_mark.index)[0])
    if isinstance(node, ScalarNode):
        if not node.style and node.tag != _STR_TAG:  # plain: None, or "" from libyaml
            plain[path] = node.value
    elif isinstance(node, MappingNode):
        keys: set[str] = set()
        for key_node, value_node in node.value:
            if not isinstance(key_node.value, str):
                continue
            key = key_node.value
            key_line, key_column = _position(block, key_node.start_mark.index)
            if key in keys:
                sink.add(
                    "duplicate-key",
                    key_line,
                    f"key {key!r} appears more than once; the last value is used",
                    key_column,
                )
            keys.add(key)
            lines[(*path, key)] = key_line
            _record_lines(value_node, (*path, key), lines, plain, block, sink, seen)
    elif isinstance(node, SequenceNode):
        for index, item in enumerate(node.value):
            _record_lines(item, (*path, index), lines, plain, block, sink, seen)


def _path_key(path: Path) -> Path:
    """`path` as the YAML walk recorded it: keys as text, list indexes as numbers."""
    return tuple(p if isinstance(p, int) else str(p) for p in path)


def _type_name(value: object) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return f"a {type(value).__name__}"


class _Checker:
    """Checks one front-matter mapping against the schema, reporting at file lines."""

    def __init__(
        self,
        sink: DiagnosticSink,
        lines: dict[Path, int],
        first_line: int,
        plain: dict[Path, str] | None = None,
    ) -> None:
        self.sink = sink
        self.lines = lines
        self.first_line = first_line
        self.plain = plain or {}

    def as_text(self, value: str | int | float, path: Path, what: str) -> str:
        """A scalar taken as text. Unquoted, YAML may have read it as a number or a
        boolean that prints differently (1.10 is 1.1, yes is true, 0755 is 493):
        that is a `retyped-value` warning, and the value is the typed one."""
        text = _scalar_text(value)
        written = self.plain.get(_path_key(path))
        if written is not None and not isinstance(value, str) and written != text:
            self.sink.add(
                "retyped-value",
                self.line(path),
                f"{what}: YAML reads {written} as {text}; "
                f'quote it ("{written}") to keep it as written',
            )
        return text

    def line(self, path: Path) -> int:
        """The file line of `path`, else of its nearest ancestor present in the YAML."""
        while path:
            key = _path_key(path)
            if key in self.lines:
                return self.lines[key]
            path = path[:-1]
        return self.first_line

    def error(self, code: str, path: Path, message: str, *, shown: bool = False) -> None:
        self.sink.add(code, self.line(path), message, shown=shown)

    def unknown_keys(self, mapping: dict[Any, Any], known: tuple[str, ...], path: Path) -> None:
        for key in mapping:
            if str(key) not in known:
                where = "front matter" if not path else _describe(path)
                self.error(
                    "unknown-key",
                    (*path, str(key)),
                    f"unknown key {str(key)!r} in {where} (known: {', '.join(known)})",
                )

    def check(self, data: dict[Any, Any]) -> FrontMatter:
        fm = FrontMatter(raw=data)
        self.unknown_keys(data, TOP_LEVEL_KEYS, ())
        fm.title = self.text(data, "title", ())
        fm.owner = self.text(data, "owner", ())
        kind = self.text(data, "kind", ())
        if kind is not None:
            if kind.strip().lower() in RUNBOOK_KINDS:
                fm.kind = kind.strip().lower()
            else:
                self.error(
                    "unknown-kind",
                    ("kind",),
                    f"unknown runbook kind {kind!r} (use one of {', '.join(RUNBOOK_KINDS)})",
                )
        fm.rto_seconds = self.duration(data, "rto", ())
        fm.restores = self.restores(data.get("restores"))
        fm.restores_line = self.line(("restores",))
        fm.errexit = self.boolean(data, "errexit", (), True)
        fm.pipefail = self.boolean(data, "pipefail", (), True)
        fm.variables = self.variables(data.get("variables"))
        fm.services = tuple(self.entries(data.get("services"), "services", self.service))
        fm.logs = tuple(self.entries(data.get("logs"), "logs", self.log))
        fm.backups = tuple(self.entries(data.get("backups"), "backups", self.backup))
        return fm

    # -- scalar fields ------------------------------------------------------------

    def text(self, mapping: dict[Any, Any], key: str, path: Path) -> str | None:
        """A string field; bare numbers are taken as their text (YAML reads `2024` as int)."""
        value = mapping.get(key)
        if value is None:
            return None
        if isinstance(value, str):
            return value
        if isinstance(value, int | float) and not isinstance(value, bool):
            return str(value)
        self.error(
            "wrong-type",
            (*path, key),
            f"{_describe((*path, key))} must be a string, not {_type_name(value)}",
        )
        return None

    def boolean(self, mapping: dict[Any, Any], key: str, path: Path, default: bool) -> bool:
        value = mapping.get(key)
        if value is None:
            return default
        if isinstance(value, bool):
            return value
        self.error(
            "wrong-type",
            (*path, key),
            f"{_describe((*path, key))} must be true or false, not {_type_name(value)}",
        )
        return default

    def integer(self, mapping: dict[Any, Any], key: str, path: Path) -> int | None:
        value = mapping.get(key)
        if value is None:
            return None
        if isinstance(value, int) and not isinstance(value, bool):
            if value < 0:
                self.error("bad-value", (*path, key), f"{_describe((*path, key))} is negative")
                return None
            return value
        self.error(
            "wrong-type",
            (*path, key),
            f"{_describe((*path, key))} must be a whole number, not {_type_name(value)}",
        )
        return None

    def duration(self, mapping: dict[Any, Any], key: str, path: Path) -> float | None:
        value = mapping.get(key)
        if value is None:
            return None
        if not isinstance(value, str | int | float) or isinstance(value, bool):
            self.error(
                "wrong-type",
                (*path, key),
                f"{_describe((*path, key))} must be a duration like 45m, not {_type_name(value)}",
            )
            return None
        try:
            return parse_duration(value)
        except BadNumber as exc:
            self.error("bad-number", (*path, key), f"{_describe((*path, key))}: {exc}")
            return None
        except ValueError as exc:
            self.error("bad-value", (*path, key), f"{_describe((*path, key))}: {exc}")
            return None

    def env_name(self, mapping: dict[Any, Any], key: str, path: Path) -> str | None:
        value = self.text(mapping, key, path)
        if value is not None and not ENV_NAME.fullmatch(value):
            self.error(
                "bad-value",
                (*path, key),
                f"{_describe((*path, key))}: {value!r} is not an environment variable name",
            )
            return None
        return value

    def restores(self, value: object) -> tuple[str, ...]:
        if value is None:
            return ()
        if isinstance(value, str):
            return (value,)
        if not isinstance(value, list):
            self.error(
                "wrong-type",
                ("restores",),
                f"restores must be a list of backup-set names, not {_type_name(value)}",
            )
            return ()
        names: list[str] = []
        for index, item in enumerate(value):
            if isinstance(item, str):
                names.append(item)
            else:
                self.error(
                    "wrong-type",
                    ("restores", index),
                    f"restores[{index}] must be a backup-set name, not {_type_name(item)}",
                )
        return tuple(names)

    # -- variables ----------------------------------------------------------------

    def variables(self, value: object) -> tuple[Variable, ...]:
        if value is None:
            return ()
        if not isinstance(value, dict):
            self.error(
                "wrong-type",
                ("variables",),
                f"variables must be a mapping from NAME to settings, not {_type_name(value)}",
            )
            return ()
        result: list[Variable] = []
        for raw_name, spec in value.items():
            variable = self.variable(raw_name, spec)
            if variable is not None:
                result.append(variable)
        return tuple(result)

    def variable(self, raw_name: object, spec: object) -> Variable | None:
        if isinstance(raw_name, bool):
            # YAML 1.1 reads an unquoted ON, OFF, YES, NO, Y or N as a boolean.
            self.error(
                "bad-value",
                ("variables",),
                f"a variable name YAML reads as the boolean {str(raw_name).lower()} "
                "(an unquoted on, off, yes, no, y or n): quote the name",
            )
            return None
        name = str(raw_name)
        path: Path = ("variables", name)
        line = self.line(path)
        if not ENV_NAME.fullmatch(name):
            self.error(
                "bad-value",
                path,
                f"variable name {name!r} is not an environment variable name "
                "(letters, digits and _, not starting with a digit)",
            )
            return None
        if spec is None:
            return Variable(name=name, line=line)
        if isinstance(spec, str | int | float) and not isinstance(spec, dict):
            # `NAME: value` is shorthand for a default.
            default = self.as_text(spec, path, f"variables.{name}")
            return Variable(name=name, default=default, line=line)
        if not isinstance(spec, dict):
            self.error(
                "wrong-type",
                path,
                f"variable {name} must be a mapping of settings, not {_type_name(spec)}",
            )
            return None
        self.unknown_keys(spec, VARIABLE_KEYS, path)
        prompt = self.text(spec, "prompt", path)
        default = None
        if spec.get("default") is not None:
            if isinstance(spec["default"], str | int | float):
                default = self.as_text(
                    spec["default"], (*path, "default"), f"variables.{name}.default"
                )
            else:
                self.error(
                    "wrong-type",
                    (*path, "default"),
                    f"variables.{name}.default must be a string, not {_type_name(spec['default'])}",
                )
        pattern = self.text(spec, "pattern", path)
        if pattern is not None:
            try:
                re.compile(pattern)
            except (re.error, RecursionError, OverflowError) as exc:
                self.error(
                    "bad-value", (*path, "pattern"), f"variables.{name}.pattern: bad regex: {exc}"
                )
                pattern = None
        choices = self.choices(spec.get("choices"), name, path)
        if pattern is not None:
            values = [("default", default)] if default is not None else []
            values += [(f"choices[{i}]", choice) for i, choice in enumerate(choices)]
            for what, value in values:
                if not self.matches(pattern, value, (*path, what.partition("[")[0]), name, what):
                    break
        if choices and default is not None and default not in choices:
            self.error(
                "bad-value",
                (*path, "default"),
                f"variables.{name}.default {default!r} is not one of its choices",
            )
        return Variable(
            name=name,
            prompt=prompt,
            default=default,
            pattern=pattern,
            choices=choices,
            secret=self.boolean(spec, "secret", path, False),
            from_env=self.env_name(spec, "from_env", path),
            required=self.boolean(spec, "required", path, True),
            line=line,
        )

    def matches(self, pattern: str, value: str, path: Path, name: str, what: str) -> bool:
        """Check `value` against the variable's pattern under a time bound: a mismatch
        is `bad-value`, a match that does not finish in time `pattern-timeout`. False
        after a timeout (the pattern is not tried on more values)."""
        matched = fullmatch_within(pattern, value, PATTERN_SECONDS)
        if matched is None:
            self.error(
                "pattern-timeout",
                (*path[:2], "pattern"),
                f"variables.{name}.pattern: matching {what} against it did not finish in "
                f"{PATTERN_SECONDS:g}s (a pattern like (a*)*b backtracks exponentially); "
                "write it without nested or repeated quantifiers",
            )
            return False
        if not matched:
            self.error(
                "bad-value", path, f"variables.{name}.{what} {value!r} does not match its pattern"
            )
        return True

    def choices(self, value: object, name: str, path: Path) -> tuple[str, ...]:
        if value is None:
            return ()
        if not isinstance(value, list):
            self.error(
                "wrong-type",
                (*path, "choices"),
                f"variables.{name}.choices must be a list, not {_type_name(value)}",
            )
            return ()
        result: list[str] = []
        for index, item in enumerate(value):
            if isinstance(item, str | int | float):
                where = (*path, "choices", index)
                result.append(self.as_text(item, where, f"variables.{name}.choices[{index}]"))
            else:
                self.error(
                    "wrong-type",
                    (*path, "choices", index),
                    f"variables.{name}.choices[{index}] must be a string, not {_type_name(item)}",
                )
        return tuple(result)

    # -- services, logs, backups --------------------------------------------------

    def entries(
        self,
        value: object,
        key: str,
        build: Callable[[dict[Any, Any], Path, str, str, str], Any],
    ) -> list[Any]:
        if value is None:
            return []
        if not isinstance(value, list):
            self.error(
                "wrong-type", (key,), f"{key} must be a list of entries, not {_type_name(value)}"
            )
            return []
        result: list[Any] = []
        names: dict[str, int] = {}
        for index, item in enumerate(value):
            path: Path = (key, index)
            if not isinstance(item, dict):
                self.error(
                    "wrong-type",
                    path,
                    f"{key}[{index}] must be a mapping with a name, not {_type_name(item)}",
                )
                continue
            if item.get("name") is None:
                self.error("missing-field", path, f"{key}[{index}] has no name")
                continue
            name = self.text(item, "name", path)
            if name is None:
                continue
            if name in names:
                self.error(
                    "duplicate-name",
                    (*path, "name"),
                    f"{key}: name {name!r} is already used on line {names[name]}",
                )
                continue
            names[name] = self.line(path)
            kinds = {"services": SERVICE_KINDS, "logs": LOG_KINDS, "backups": BACKUP_KINDS}[key]
            present = [k for k in kinds if k in item]
            if not present:
                self.error(
                    "unknown-kind",
                    path,
                    f"{key} entry {name!r} needs exactly one of {', '.join(kinds)}",
                )
                continue
            if len(present) > 1:
                self.error(
                    "conflicting-kind",
                    (*path, present[1]),
                    f"{key} entry {name!r} has {' and '.join(present)}; give exactly one",
                )
                continue
            target = self.text(item, present[0], path)
            if target is None:
                if item.get(present[0]) is None:
                    self.error(
                        "missing-field",
                        (*path, present[0]),
                        f"{key} entry {name!r}: {present[0]} is empty",
                    )
                continue
            entry = build(item, path, name, present[0], target)
            if entry is not None:
                result.append(entry)
        return result

    def service(
        self, item: dict[Any, Any], path: Path, name: str, kind: str, target: str
    ) -> Service | None:
        self.unknown_keys(item, SERVICE_KEYS, path)
        if kind == "tcp" and not _TCP_TARGET.fullmatch(target) and not _REFERENCE.search(target):
            self.error(
                "bad-value",
                (*path, "tcp"),
                f"service {name!r}: tcp needs host:port, not {target!r}",
            )
            return None
        if kind == "http" and not target.startswith(("http://", "https://")):
            self.error(
                "bad-value",
                (*path, "http"),
                f"service {name!r}: http needs a URL starting http:// or https://",
            )
            return None
        expect_status = self.integer(item, "expect_status", path)
        if expect_status is not None and not 100 <= expect_status <= 599:
            self.error(
                "bad-value",
                (*path, "expect_status"),
                f"service {name!r}: expect_status {expect_status} is not an HTTP status",
            )
            expect_status = None
        return Service(
            name=name,
            check=kind,
            target=target,
            interval_seconds=self.duration(item, "interval", path),
            timeout_seconds=self.duration(item, "timeout", path),
            expect_status=expect_status,
            line=self.line(path),
        )

    def log(
        self, item: dict[Any, Any], path: Path, name: str, kind: str, target: str
    ) -> LogSource | None:
        self.unknown_keys(item, LOG_KEYS, path)
        return LogSource(name=name, source=kind, target=target, line=self.line(path))

    def backup(
        self, item: dict[Any, Any], path: Path, name: str, kind: str, target: str
    ) -> BackupSet | None:
        self.unknown_keys(item, BACKUP_KEYS, path)
        password_env = self.env_name(item, "password_env", path)
        password_file = self.text(item, "password_file", path)
        if kind == "restic" and password_env is None and password_file is None:
            self.error(
                "missing-field",
                path,
                f"backup {name!r}: restic needs password_env or password_file",
            )
            return None
        return BackupSet(
            name=name,
            source=kind,
            target=target,
            password_env=password_env,
            password_file=password_file,
            max_age_seconds=self.duration(item, "max_age", path),
            min_count=self.integer(item, "min_count", path),
            line=self.line(path),
        )


def _scalar_text(value: str | int | float) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _describe(path: Path) -> str:
    parts: list[str] = []
    for p in path:
        if isinstance(p, int):
            parts.append(f"[{p}]")
        else:
            parts.append(("." if parts else "") + p)
    return "".join(parts)
