"""Placeholders in command text, found and filled without ever pasting a value in.

Two kinds (docs/runbook-format.md, "Placeholders"):
- `<pod-name>`: `<`, a letter, then letters, digits, `-` and `_` (words may be joined
  by single spaces: `<IP address>`), `>`. Not a redirection (`<file`, `sort <in >out`),
  a here-document (`<<EOF`), a here-string (`<<<`), process substitution (`<(`), and
  not a word kubectl and friends print as output (`<none>`, `<unknown>`), nor an HTML
  tag closed in the same text (`<details>` ... `</details>`).
- `$NAME` / `${NAME}`: a variable the text uses but does not set itself (`NAME=`,
  `export NAME`, `read NAME`, `for NAME in`); `${NAME:-default}` and the like are not
  asked for (they have a default or test whether NAME is set), nor bash's own variables.

Filling (`fill`): a placeholder becomes a reference to an environment variable that
holds the value, `${RBT_FILL_POD_NAME}`, written for the quoting context it stands in:
`"${RBT_FILL_POD_NAME}"` as a bare word (so the value is one word, never split or
globbed), `${RBT_FILL_POD_NAME}` inside double quotes or an unquoted here-document. In
single quotes, `$'...'`, a quoted here-document, backquotes, `${...}` and `$((...))` it
is refused with a reason: there an expansion is not one (or the value would be read
as code). bash expands a variable once and never parses its value, so no value changes
what the command does (tests/runbook/test_placeholders.py checks it against bash).

Pure text, and cheap: a regex takes the scanner from one character that matters to the
next, and text without `<` or `$` is not scanned at all.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Literal, NamedTuple

Context = Literal[
    "bare",
    "double",
    "heredoc",
    "single",
    "quoted-heredoc",
    "backquote",
    "expansion",
    "arithmetic",
    "comment",
]

# `<pod-name>`, `<IP address>`; not `<<name>>`. As a bare word it must not follow a
# word character either (`0<in>out`, `a<b>c` are redirections); in quotes it may.
PLACEHOLDER = re.compile(r"(?<!<)<([A-Za-z][A-Za-z0-9_-]*(?: [A-Za-z0-9_-]+)*)>(?!>)")
# Words commands print in angle brackets, which runbooks paste as sample output.
OUTPUT_WORDS = frozenset(
    (
        "none", "nil", "null", "unknown", "invalid", "pending", "unset", "empty", "no value",
        "snip", "snipped", "redacted", "truncated", "omitted",
    )
)  # fmt: skip
# Variables bash sets itself: never asked for.
BASH_VARIABLES = frozenset(
    (
        "BASH", "BASHOPTS", "BASHPID", "BASH_ALIASES", "BASH_ARGC", "BASH_ARGV",
        "BASH_ARGV0", "BASH_CMDS", "BASH_COMMAND", "BASH_LINENO", "BASH_REMATCH",
        "BASH_SOURCE", "BASH_SUBSHELL", "BASH_VERSINFO", "BASH_VERSION", "COLUMNS",
        "COMP_WORDS", "DIRSTACK", "EPOCHREALTIME", "EPOCHSECONDS", "EUID", "FUNCNAME",
        "GROUPS", "HISTCMD", "HOSTNAME", "HOSTTYPE", "IFS", "LINENO", "LINES", "MACHTYPE",
        "OLDPWD", "OPTARG", "OPTERR", "OPTIND", "OSTYPE", "PIPESTATUS", "PPID", "PS1", "PS2",
        "PS4", "PWD", "RANDOM", "REPLY", "SECONDS", "SHELL", "SHELLOPTS", "SHLVL", "SRANDOM",
        "UID",
    )
)  # fmt: skip
FILL_PREFIX = "RBT_FILL_"

_NOT_ENV = re.compile(r"[^A-Za-z0-9]+")
_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
# Where the scanner stops: every character that can change the quoting context.
_STOPS = {
    "bare": re.compile(r"[\\'\"`$<#\n()]"),
    "double": re.compile(r"[\\\"`$<]"),
    "heredoc": re.compile(r"[\\`$<]"),
    "backquote": re.compile(r"[\\'\"`$<\n]"),
    "expansion": re.compile(r"[\\{}$<]"),
    "arithmetic": re.compile(r"[\\()$<]"),
}
_BARE_LIKE = ("bare", "subst", "paren")
_WORD_BREAK = frozenset(" \t\n;&|()<>")
# The ways a text sets a variable (statically: a good guess, not bash).
_ASSIGNMENTS = re.compile(
    rf"(?:^|[\s;&|(`{{])(?:({_NAME})(?:\[[^\]\n]*\])?\+?="
    rf"|(?:for|select)\s+({_NAME})\b"
    rf"|(?:export|local|declare|typeset|readonly|unset)((?:\s+-\w+)*(?:\s+{_NAME}(?:=\S*)?)+)"
    rf"|(?:read|mapfile|readarray)\b([^;&|\n]*)"
    rf"|printf\s+-v\s+({_NAME})"
    rf"|getopts\s+\S+\s+({_NAME}))",
    re.MULTILINE,
)
# After one of these, a text may set any variable: nothing later in it is asked for.
_OPAQUE = re.compile(r"(?:^|[\s;&|(])(?:source|eval|\.)\s", re.MULTILINE)
_WORDS = re.compile(_NAME)
# After `${NAME`: these operators give a default or test whether NAME is set.
_DEFAULTING = re.compile(r":?[-=+?]")


class Found(NamedTuple):
    """One placeholder (`kind` "placeholder": `<name>`) or variable use (`kind` "name":
    `$NAME`) in a text, at [start, end), in its quoting context."""

    kind: Literal["placeholder", "name"]
    name: str
    start: int
    end: int
    context: Context


class Scan(NamedTuple):
    """What a scan of command text found: placeholders and variable references."""

    found: tuple[Found, ...]

    @property
    def placeholders(self) -> tuple[str, ...]:
        """The `<...>` names outside comments, each once, in order."""
        return _unique(f.name for f in self.found if f.kind == "placeholder")

    @property
    def names(self) -> tuple[str, ...]:
        """The `$NAME`s the text uses before (or without) setting them, each once."""
        return _unique(f.name for f in self.found if f.kind == "name")


def _unique(names: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(names))


def fill_variable(name: str) -> str:
    """The environment variable a placeholder's value travels in: `pod-name` ->
    `RBT_FILL_POD_NAME`."""
    return FILL_PREFIX + env_name(name)


def env_name(placeholder: str) -> str:
    """`<pod name>` -> `POD_NAME`: the placeholder upper-cased, non-alphanumerics `_`."""
    name = _NOT_ENV.sub("_", placeholder).strip("_").upper()
    if not name or name[0].isdigit():
        name = "_" + name
    return name


def placeholder_names(text: str) -> tuple[str, ...]:
    """The `<...>` placeholders of `text` outside comments, each once, in order."""
    if "<" not in text or PLACEHOLDER.search(text) is None:
        return ()
    return Scan(tuple(_Scanner(text, names=False).run())).placeholders


def scan(text: str) -> Scan:
    """Every placeholder and variable use in `text` (a bash command), with its quoting
    context. Comments hold neither; a variable set earlier in the text is not a use."""
    if "<" not in text and "$" not in text:
        return Scan(())
    found = sorted(_Scanner(text).run(), key=lambda f: f.start)
    if "$" in text and any(f.kind == "name" for f in found):
        found = _drop_assigned(text, found)
    return Scan(tuple(found))


def assigned_names(text: str) -> set[str]:
    """The variables `text` sets (statically: assignments, `export`, `read`, `for`)."""
    names: set[str] = set()
    for match in _ASSIGNMENTS.finditer(text):
        single = match.group(1) or match.group(2) or match.group(5) or match.group(6)
        names.update([single] if single else _WORDS.findall(match.group(3) or match.group(4) or ""))
    return names


def _drop_assigned(text: str, found: list[Found]) -> list[Found]:
    """Uses of a variable the text set before them (statically), or after a `source`,
    `.` or `eval` (which may set anything), and of bash's own variables, are dropped."""
    first: dict[str, int] = {}
    for match in _ASSIGNMENTS.finditer(text):
        single = match.group(1) or match.group(2) or match.group(5) or match.group(6)
        names = [single] if single else _WORDS.findall(match.group(3) or match.group(4) or "")
        for name in names:
            first.setdefault(name, match.start())
    opaque = _OPAQUE.search(text)
    cut = opaque.start() if opaque else len(text) + 1
    return [
        f
        for f in found
        if f.kind != "name"
        or (f.name not in BASH_VARIABLES and f.start < cut and first.get(f.name, f.end) >= f.end)
    ]


class _Scanner:
    """One pass over a bash text with a stack of quoting contexts."""

    def __init__(self, text: str, names: bool = True) -> None:
        self.text = text
        self.names = names  # whether to record variable uses (not only placeholders)
        self.found: list[Found] = []
        # ("bare" | "subst" | "paren" | "double" | "backquote" | "expansion" |
        #  "arithmetic" | "heredoc", end): end is where a here-document body stops.
        self.stack: list[tuple[str, int]] = [("bare", -1)]
        # Here-documents opened on the current line: (delimiter, quoted, strip tabs).
        self.pending: list[tuple[str, bool, bool]] = []
        # Where to go on after a here-document body: past its delimiter line.
        self.resume: list[int] = []

    def run(self) -> list[Found]:
        text, n = self.text, len(self.text)
        i = 0
        while i < n:
            mode, end = self.stack[-1]
            if mode == "heredoc":
                if i >= end:
                    self.stack.pop()
                    i = self.resume.pop()
                    continue
                limit = end
            else:
                limit = n
            rule = _STOPS["bare" if mode in _BARE_LIKE else mode]
            match = rule.search(text, i, limit)
            if match is None:
                i = limit
                continue
            i = self.step(mode, match.start(), match.group())
        return self.found

    def context(self, mode: str) -> Context:
        if mode in _BARE_LIKE:
            return "bare"
        return mode  # type: ignore[return-value]

    def step(self, mode: str, i: int, char: str) -> int:
        """Act on the character `char` at `i` in `mode`; return where to go on."""
        text = self.text
        if char == "\\":
            return i + 2
        if char == "<":
            return self.angle(mode, i)
        if char == "$":
            return self.dollar(mode, i)
        if char == "`":
            if mode == "backquote":
                self.stack.pop()
            else:
                self.stack.append(("backquote", -1))
            return i + 1
        if mode == "double":  # char == '"'
            self.stack.pop()
            return i + 1
        if mode == "expansion":
            if char == "{":
                self.stack.append(("expansion", -1))
            else:
                self.stack.pop()
            return i + 1
        if mode == "arithmetic":
            if char == "(":
                self.stack.append(("arithmetic", 0))  # a parenthesis inside
                return i + 1
            _, opened = self.stack.pop()
            # `))` closes `$((` (marked -1); a lone `)` closes a `(` opened inside.
            return i + 2 if opened == -1 and text.startswith("))", i) else i + 1
        if char == '"':
            self.stack.append(("double", -1))
            return i + 1
        if char == "'":
            close = text.find("'", i + 1)
            stop = close if close >= 0 else len(text)
            self.literal(i + 1, stop, "single")
            return stop + 1
        if char == "#":
            if i == 0 or text[i - 1] in _WORD_BREAK:
                newline = text.find("\n", i)
                stop = newline if newline >= 0 else len(text)
                self.literal(i + 1, stop, "comment")
                return stop
            return i + 1
        if char == "(":
            self.stack.append(("paren", -1))
            return i + 1
        if char == ")":
            if mode in ("subst", "paren"):
                self.stack.pop()
            return i + 1
        if char == "\n":
            if self.pending and mode != "heredoc":
                return self.heredocs(i + 1)
            return i + 1
        return i + 1

    def literal(self, start: int, stop: int, context: Context) -> None:
        """Placeholders in text no expansion happens in (single quotes, comments, a
        quoted here-document): found, so a fill there is refused; comments are left."""
        if context == "comment":
            return
        segment = self.text[start:stop]
        if "<" not in segment:
            return
        for match in PLACEHOLDER.finditer(segment):
            self.placeholder(match.group(1), start + match.start(), start + match.end(), context)

    def placeholder(self, name: str, start: int, end: int, context: Context) -> None:
        # `<details>` with a `</details>` in the same text is HTML, not a placeholder.
        if name.lower() not in OUTPUT_WORDS and f"</{name}>" not in self.text:
            self.found.append(Found("placeholder", name, start, end, context))

    def angle(self, mode: str, i: int) -> int:
        text = self.text
        if mode in _BARE_LIKE or mode == "backquote":
            if text.startswith("<<<", i):
                return i + 3
            if text.startswith("<<", i):
                return self.heredoc_operator(i)
        match = PLACEHOLDER.match(text, i)
        if match is None or (i and text[i - 1] == "<"):
            return i + 1
        if mode in _BARE_LIKE and i and _is_word(text[i - 1]):
            return i + 1
        self.placeholder(match.group(1), i, match.end(), self.context(mode))
        return match.end()

    def dollar(self, mode: str, i: int) -> int:
        text = self.text
        nxt = text[i + 1 : i + 2]
        if nxt == "'" and mode in _BARE_LIKE:
            # $'...': backslash escapes, no expansion.
            j = i + 2
            while j < len(text) and text[j] != "'":
                j += 2 if text[j] == "\\" else 1
            self.literal(i + 2, min(j, len(text)), "single")
            return j + 1
        if text.startswith("((", i + 1):
            self.stack.append(("arithmetic", -1))
            return i + 3
        if nxt == "(":
            self.stack.append(("subst", -1))
            return i + 2
        if nxt == "{":
            match = _WORD_AT.match(text, i + 2)
            if match is not None and self.names:
                after = text[match.end() : match.end() + 2]
                if not _DEFAULTING.match(after):
                    self.found.append(
                        Found("name", match.group(), i, match.end(), self.context(mode))
                    )
            self.stack.append(("expansion", -1))
            return i + 2
        match = _WORD_AT.match(text, i + 1)
        if match is not None:
            if self.names:
                self.found.append(Found("name", match.group(), i, match.end(), self.context(mode)))
            return match.end()
        return i + 2 if nxt else i + 1

    def heredoc_operator(self, i: int) -> int:
        """`<<WORD`, `<<-'WORD'`: remember the delimiter for the end of the line."""
        text, n = self.text, len(self.text)
        j = i + 2
        strip = text.startswith("-", j)
        if strip:
            j += 1
        while j < n and text[j] in " \t":
            j += 1
        word: list[str] = []
        quoted = False
        while j < n and text[j] not in _WORD_BREAK:
            char = text[j]
            if char in "'\"":
                close = text.find(char, j + 1)
                close = close if close >= 0 else n
                word.append(text[j + 1 : close])
                quoted = True
                j = close + 1
            elif char == "\\":
                word.append(text[j + 1 : j + 2])
                quoted = True
                j += 2
            else:
                word.append(char)
                j += 1
        delimiter = "".join(word)
        if delimiter:
            self.pending.append((delimiter, quoted, strip))
        return j

    def heredocs(self, start: int) -> int:
        """The bodies of the here-documents opened on the line that ended before
        `start`: each is scanned in its own context, then the scan goes on after the
        last delimiter line."""
        text, n = self.text, len(self.text)
        regions: list[tuple[int, int, int, bool]] = []
        pos = start
        for delimiter, quoted, strip in self.pending:
            body = pos
            while pos < n:
                newline = text.find("\n", pos)
                line_end = newline if newline >= 0 else n
                line = text[pos:line_end]
                if (line.lstrip("\t") if strip else line) == delimiter:
                    regions.append((body, pos, min(line_end + 1, n), quoted))
                    pos = min(line_end + 1, n)
                    break
                pos = line_end + 1
            else:
                regions.append((body, n, n, quoted))
                pos = n
        self.pending = []
        for body, stop, _, quoted in regions:
            if quoted:
                self.literal(body, stop, "quoted-heredoc")
        # Each unquoted body is scanned in its own context, and goes on to the next one.
        unquoted = [(body, stop) for body, stop, _, quoted in regions if not quoted]
        resume = pos
        for body, stop in reversed(unquoted):
            self.stack.append(("heredoc", stop))
            self.resume.append(resume)
            resume = body
        return resume


_WORD_AT = re.compile(_NAME)


def _is_word(char: str) -> bool:
    return char.isalnum() or char == "_"


# -- filling -----------------------------------------------------------------------------

_REFUSED: dict[str, str] = {
    "single": "it stands inside single quotes, where nothing is expanded",
    "quoted-heredoc": "it stands in a here-document with a quoted delimiter, where "
    "nothing is expanded",
    "backquote": "it stands inside backquotes (`...`); write $(...) instead",
    "expansion": "it stands inside a ${...} expansion",
    "arithmetic": "it stands inside an arithmetic expression, where a value is read as code",
}


class Refusal(NamedTuple):
    """A placeholder that cannot be filled where it stands, and why."""

    name: str
    context: Context
    reason: str

    def describe(self) -> str:
        return f"<{self.name}> cannot be filled: {self.reason}; edit the command instead"


class Filled(NamedTuple):
    """A text with its placeholders filled. `command` holds only references to the
    `env` variables (never a value); `unfilled` are the placeholders no value was given
    for (left as written), `refused` those that cannot be filled where they stand. Run
    `command` only when both are empty."""

    template: str
    command: str
    env: dict[str, str]
    unfilled: tuple[str, ...] = ()
    refused: tuple[Refusal, ...] = ()

    @property
    def ready(self) -> bool:
        return not self.unfilled and not self.refused


def fill(text: str, values: Mapping[str, str], found: Iterable[Found] | None = None) -> Filled:
    """`text` with each `<placeholder>` that has a value in `values` (keyed by the name
    as written: `pod-name`) replaced by a reference to `RBT_FILL_POD_NAME`, quoted for
    where it stands (see the module doc). `found`: a scan of `text` already made."""
    every = found if found is not None else scan(text).found
    items = [f for f in every if f.kind == "placeholder"]
    if not items:
        return Filled(text, text, {})
    variables: dict[str, str] = {}  # placeholder -> env variable (distinct per name)
    taken: set[str] = set()
    env: dict[str, str] = {}
    unfilled: list[str] = []
    refused: list[Refusal] = []
    parts: list[str] = []
    pos = 0
    for item in sorted(items, key=lambda f: f.start):
        if item.name not in values:
            unfilled.append(item.name)
            continue
        if item.context in _REFUSED:
            refused.append(Refusal(item.name, item.context, _REFUSED[item.context]))
            continue
        variable = variables.get(item.name)
        if variable is None:
            base = variable = fill_variable(item.name)
            n = 1
            while variable in taken:
                n += 1
                variable = f"{base}_{n}"
            taken.add(variable)
            variables[item.name] = variable
            env[variable] = values[item.name]
        reference = "${" + variable + "}"
        parts.append(text[pos : item.start])
        parts.append(f'"{reference}"' if item.context == "bare" else reference)
        pos = item.end
    parts.append(text[pos:])
    return Filled(
        text,
        "".join(parts),
        env,
        _unique(unfilled),
        tuple({r.name: r for r in refused}.values()),
    )
