"""Markdown runbook -> Runbook model plus diagnostics. One pass over markdown-it's
block tokens; nothing here raises on any input text."""

from __future__ import annotations

import gc
import math
import os
import re
from array import array
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, NamedTuple

from runbook_tui.runbook.attributes import parse_info, typed_attributes
from runbook_tui.runbook.codes import DiagnosticSink
from runbook_tui.runbook.console import command_look, reference_commands, split_block
from runbook_tui.runbook.display import BIDI, CONTROL, escape_char
from runbook_tui.runbook.frontmatter import read_front_matter, split_front_matter
from runbook_tui.runbook.ids import (
    REFERENCE_PREFIX,
    IdRequest,
    assign_ids,
    assign_reference_ids,
)
from runbook_tui.runbook.lint import StepSource, lint
from runbook_tui.runbook.markdown import make_markdown, plain_text
from runbook_tui.runbook.model import (
    SHELL_LANGUAGES,
    Diagnostic,
    Reference,
    Runbook,
    Section,
    Step,
)
from runbook_tui.runbook.placeholders import placeholder_names
from runbook_tui.runbook.source import (
    MAX_RUNBOOK_BYTES,
    decode_source,
    lone_cr_lines,
    normalize_text,
)
from runbook_tui.runbook.strings import bidi_message, clean_strings

if TYPE_CHECKING:
    from markdown_it.token import Token

# "Rollback", "Roll back", "Rollback plan", "Step 4: Rollback", "4. Rollback".
ROLLBACK_HEADING = re.compile(
    r"(?:(?:step|phase|part)\s*\d+\s*[:.)-]?\s*|\d+(?:\.\d+)*[.)]?\s+)?roll[- ]?back\b",
    re.IGNORECASE,
)
_TASK = re.compile(r"\[([ xX])\](?:[ \t]+|$)")
_SHELL = frozenset(SHELL_LANGUAGES)
# The containers a fence without a closing line runs to the end of.
_CONTAINERS = {"list_item_open": "list item", "blockquote_open": "block quote"}
_CONTAINER_CLOSE = frozenset(("list_item_close", "blockquote_close"))
_NO_ATTRIBUTES: dict[str, Any] = {}


class ParseResult(NamedTuple):
    """The parsed runbook and every problem found, each at a line of the file."""

    runbook: Runbook
    diagnostics: list[Diagnostic]

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == "error"]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == "warning"]

    @property
    def ok(self) -> bool:
        """True when nothing blocks running the runbook (warnings allowed)."""
        return not self.errors


def load(path: str | os.PathLike[str]) -> ParseResult:
    """Read and parse the file at `path`. Bytes that are not UTF-8 give a `not-utf8`
    error (the rest is parsed with replacement characters). Raises OSError only when
    the file cannot be read at all."""
    with open(path, "rb") as handle:
        # One byte more than the limit tells a file over it, without reading it all.
        data = handle.read(MAX_RUNBOOK_BYTES + 1)
    if len(data) > MAX_RUNBOOK_BYTES:
        return _too_large(os.fspath(path), "the file is larger than")
    text, problem = decode_source(data)
    result = parse(text, os.fspath(path))
    if problem is None:
        return result
    bad = Diagnostic(
        line=problem.line,
        column=problem.column,
        severity="error",
        code="not-utf8",
        message=problem.message,
        path=os.fspath(path),
    )
    diagnostics = sorted([bad, *result.diagnostics], key=lambda d: (d.line, d.column))
    return ParseResult(result.runbook, diagnostics)


def _too_large(path: str, what: str) -> ParseResult:
    """The result for a file over the size limit: one `too-large` error, nothing
    parsed (an empty runbook titled after the file)."""
    sink = DiagnosticSink(path)
    limit = MAX_RUNBOOK_BYTES // (1024 * 1024)
    sink.add("too-large", 1, f"{what} {limit} MiB, the most a runbook may be: not parsed")
    stem = os.path.splitext(os.path.basename(path))[0] if path else ""
    return ParseResult(Runbook(title=stem or "Untitled", path=path), sink.items)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """The cyclic garbage collector off for the length of a parse. A parse makes
    millions of short-lived objects (markdown-it's tokens) and keeps lists that grow
    with the file (its lines, the headings); every full collection walks those lists
    again, and their number grows with the file too: a setext flood spent a fifth of
    its time there at 4 MB, and the share kept growing with the size (quadratic). The
    parse makes no reference cycles worth collecting (a few hundred objects), and they
    are collected once the collector is back on. Left off if it was off already."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def parse(text: str, path: str = "") -> ParseResult:
    """Parse runbook markdown. `path` is recorded on the runbook and diagnostics and
    gives the fallback title. Diagnostics come sorted by line."""
    if len(text) > MAX_RUNBOOK_BYTES:
        return _too_large(path, "the text has more characters than")
    with _collector_paused():
        return _parse(text, path)


def _parse(text: str, path: str) -> ParseResult:
    sink = DiagnosticSink(path)
    carriage_returns = lone_cr_lines(text.removeprefix("\ufeff"))
    text = normalize_text(text)
    block = split_front_matter(text, sink)
    front = read_front_matter(block, sink)
    body, offset = (text[block.body_start :], block.body_line - 1) if block else (text, 0)
    walker = _Walker(body, offset, sink, carriage_returns)
    walker.walk()

    ids = assign_ids(walker.id_requests)
    steps: list[Step] = []
    sources: list[StepSource] = []
    names: dict[str, int] = {}
    drafts = walker.drafts
    for index, step_id in enumerate(ids):
        draft = drafts[index]
        drafts[index] = None  # type: ignore[call-overload]  # a draft's dict outweighs its Step
        name = draft.fields.get("name")
        if name is not None:
            if name in names:
                sink.add(
                    "duplicate-name",
                    draft.line,
                    f"step name {name!r} is already used on line {names[name]}",
                )
            else:
                names[name] = draft.line
        fields = draft.fields
        if fields["kind"] == "shell":
            # The step's own errexit/pipefail attribute wins over the front-matter default.
            fields = {"errexit": front.errexit, "pipefail": front.pipefail, **fields}
        step = Step(id=step_id, **fields)
        steps.append(step)
        if draft.command_lines:
            sources.append(StepSource(step, draft.command_lines))

    # Only step ids that look like reference ids can collide (a set of every id would
    # cost tens of bytes per step of a runbook with hundreds of thousands).
    taken = {i for i in ids if i.startswith(REFERENCE_PREFIX)} if walker.references else set()
    ref_ids = assign_reference_ids([draft["text"] for draft in walker.references], taken)
    references = tuple(
        Reference(id=ref_id, **draft)
        for ref_id, draft in zip(ref_ids, walker.references, strict=True)
    )
    walker.references = []

    runbook = Runbook(
        title=front.title or walker.first_title(path),
        path=path,
        kind=front.kind,
        owner=front.owner,
        rto_seconds=front.rto_seconds,
        restores=front.restores,
        errexit=front.errexit,
        pipefail=front.pipefail,
        variables=front.variables,
        services=front.services,
        logs=front.logs,
        backups=front.backups,
        steps=tuple(steps),
        sections=tuple(walker.sections()),
        front_matter=front.raw,
        references=references,
    )
    lint(runbook, sources, text, walker.has_rollback_heading, front.restores_line, sink)
    sink.items.sort(key=lambda d: (d.line, d.column))
    return ParseResult(runbook, sink.items)


def _non_finite(value: object) -> bool:
    """Whether a JSON-like value holds a float that is NaN or infinite."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, float) and not math.isfinite(item):
            return True
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def _strings(value: object) -> list[str]:
    """Every string in a JSON-like value, keys included."""
    found: list[str] = []
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            found.append(item)
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return found


# Lines per markdown-it parse in `_Walker.walk`: large enough that the per-call cost
# and the re-parsed last block are small, small enough that the tokens are.
_CHUNK_LINES = 2000


def _last_top_level_block(tokens: list[Token]) -> int | None:
    """Index of the first token of the last top-level block, None without any."""
    for index in range(len(tokens) - 1, -1, -1):
        token = tokens[index]
        if token.level == 0 and token.nesting >= 0 and token.map is not None:
            return index
    return None


def _dedent_runs(lines: list[str]) -> list[str]:
    """Prose lines cut out of a list, made to read as markdown of their own: each run of
    lines is dedented by the indentation of its first line, and a line indented less
    than its run starts a new run. `    4. Last item` followed by `- Next bullet` must
    not render as indented code (a step's prose never holds code: blocks are steps or
    references)."""
    out: list[str] = []
    base = -1
    for line in lines:
        if not line.strip():
            out.append("")
            continue
        indent = len(line) - len(line.lstrip(" "))
        if base < 0 or indent < base:
            base = indent
        out.append(line[base:])
    return out


class _Draft:
    """A step being assembled from its block before its attributes are checked."""

    __slots__ = ("command_lines", "fields", "line")

    def __init__(
        self, line: int, fields: dict[str, Any], command_lines: tuple[tuple[int, str], ...] = ()
    ) -> None:
        self.line = line
        self.fields = fields
        self.command_lines = command_lines


class _Walker:
    """Walks the block tokens once, collecting headings, steps and their drafts."""

    def __init__(
        self, body: str, offset: int, sink: DiagnosticSink, carriage_returns: dict[int, int]
    ) -> None:
        self.body = body
        # {file line: column} of carriage returns that were not part of a CRLF.
        self.carriage_returns = carriage_returns
        self.offset = offset
        self.sink = sink
        self.drafts: list[_Draft] = []
        self.id_requests: list[IdRequest] = []
        # (level, path, under a Rollback heading) for the headings above the token.
        self.stack: list[tuple[int, tuple[str, ...], bool]] = []
        self.path: tuple[str, ...] = ()
        self.in_rollback = False
        self.section_line = 0
        self.has_rollback_heading = False
        # Reference drafts (the fields of a Reference but its id), in document order.
        self.references: list[dict[str, Any]] = []
        # Body line where the prose of the next step or reference starts: after the
        # previous one, or after the heading above it.
        self.prose_from = 0
        # Per heading, in parallel (one tuple each weighed more than its Section):
        # title, level, file line, body line after the heading, path (shared if equal).
        self.titles: list[str] = []
        self.levels = array("b")
        self.heading_lines = array("q")
        self.heading_ends = array("q")
        self.paths: list[tuple[str, ...]] = []
        self._path_cache: dict[tuple[str, ...], tuple[str, ...]] = {}
        self._body_lines: list[str] | None = None
        # One scan of the whole body spares a search per heading and command line in
        # the common case of a runbook without a control or bidirectional character.
        self.may_hold_controls = (
            bool(carriage_returns)
            or CONTROL.search(body) is not None
            or BIDI.search(body) is not None
        )

    @property
    def body_lines(self) -> list[str]:
        if self._body_lines is None:
            self._body_lines = self.body.split("\n")
        return self._body_lines

    def walk(self) -> None:
        """Tokenize the body a chunk of lines at a time, so markdown-it's tokens (a few
        hundred bytes each, several per short line) never exist for the whole file at
        once. Each chunk is cut before its last top-level block, which is parsed again
        at the start of the next: every block before it ended inside the chunk, and a
        top-level block's extent depends only on its own lines and the line after it,
        so the tokens are those of a parse of the whole body. A chunk holding one block
        only is doubled and parsed again (linear in total)."""
        md = make_markdown(inline=False)
        lines = self.body_lines
        total = len(lines)
        start, size = 0, _CHUNK_LINES
        while start < total:
            stop = min(total, start + size)
            tokens = md.parse("\n".join(lines[start:stop]))
            if stop == total:
                self.tokens(tokens, start)
                return
            last = _last_top_level_block(tokens)
            if last is None:  # only blank lines
                start = stop
            elif last == 0:
                size *= 2
                continue
            else:
                self.tokens(tokens[:last], start)
                start += tokens[last].map[0]  # type: ignore[index]
            size = _CHUNK_LINES

    def tokens(self, tokens: list[Token], shift: int) -> None:
        """Walk one chunk's tokens; `shift` is the body line of the chunk's first."""
        count = len(tokens)
        containers: list[str] = []  # open list items and block quotes, innermost last
        for token in tokens:
            if token.map is not None and shift:
                token.map = [token.map[0] + shift, token.map[1] + shift]
        for index, token in enumerate(tokens):
            kind = token.type
            if kind == "fence":
                self.fence(token.info, token.content, token.map)
                if token.meta:
                    if "swallowed" in token.meta:
                        token.meta["swallowed"] += shift
                    container = containers[-1] if containers else "document"
                    self.unclosed(token.markup, token.info, token.meta, container, token.map)
            elif kind == "code_block":
                self.indented_code(token.content, token.map)
            elif kind == "heading_open" and index + 1 < count:
                self.heading(int(token.tag[1]), tokens[index + 1].content, token.map)
            elif kind in _CONTAINERS:
                containers.append(_CONTAINERS[kind])
                if (
                    kind == "list_item_open"
                    and index + 2 < count
                    and tokens[index + 1].type == "paragraph_open"
                ):
                    content = tokens[index + 2].content
                    if content.startswith("["):
                        self.task(content, token.map, tokens[index + 1].map)
            elif kind in _CONTAINER_CLOSE and containers:
                containers.pop()

    def heading(self, level: int, source: str, where: list[int] | None) -> None:
        if where:
            self.controls(where[0], where[1], "a heading", shown=True)
        title = plain_text(source)
        stack = self.stack
        while stack and stack[-1][0] >= level:
            stack.pop()
        # The document's title (its first heading, when level 1) never makes a rollback
        # section: `# Rollback the payments release` is a runbook for rolling back.
        is_title = level == 1 and not self.titles
        rollback = not is_title and ROLLBACK_HEADING.match(title) is not None
        if rollback:
            self.has_rollback_heading = True
        # Each entry carries its path and whether it is under a Rollback heading, so a
        # heading costs the same however deep it sits.
        parent_path, parent_rollback = (stack[-1][1], stack[-1][2]) if stack else ((), False)
        path = (*parent_path, title)
        path = self._path_cache.setdefault(path, path)
        self.path = path
        self.in_rollback = rollback or parent_rollback
        stack.append((level, path, self.in_rollback))
        start, end = where if where else (0, 0)
        self.section_line = self.offset + start + 1
        self.titles.append(title)
        self.levels.append(min(level, 6))
        self.heading_lines.append(self.section_line)
        self.heading_ends.append(end)
        self.paths.append(path)
        self.prose_from = end

    def unclosed(
        self, markup: str, info: str, meta: dict[str, Any], container: str, where: list[int] | None
    ) -> None:
        """An `unclosed-fence` error for a fence that runs past where its author meant
        it to end (see markdown.py): it turns what follows into part of one block."""
        start = where[0] if where else 0
        language = parse_info(info).language
        opened = f"the {markup}{language or ''} fence opened here"
        runs = " (a shell block runs it all as one command)" if language in _SHELL else ""
        if "unclosed" in meta:
            message = (
                f"{opened} is never closed: everything after it to the end of the "
                f"{container} is part of this block{runs}; close it with a line of {markup}"
            )
        elif "swallowed" in meta:
            message = (
                f"{opened} holds a line that opens another fence (line "
                f"{self.offset + meta['swallowed'] + 1}): this block was most likely never "
                f"closed, and the text up to the next closing {markup} is part of it{runs}; "
                f"close it, or open it with a longer fence ({markup}{markup[0]}) if the "
                "inner fence is meant as text"
            )
        else:
            return
        self.sink.add(
            "unclosed-fence", self.offset + start + 1, message, self._column_of(markup, start)
        )

    def fence(self, info: str, content: str, where: list[int] | None) -> None:
        parsed = parse_info(info)
        start = where[0] if where else 0
        line = self.offset + start + 1
        if not info.strip() and (first := command_look(content)) is not None:
            shown = first if len(first) <= 40 else first[:39] + "…"
            self.sink.add(
                "untagged-command",
                line,
                f"a code block without a language reads as a command ({shown}): it is "
                "shown, never run; mark it ```sh (```console for `$ ` prompts) to make "
                "it a step",
            )
        if parsed.language not in _SHELL:
            self.reference(content, where, parsed.language)
            return
        attrs_column = self._column_of("{", start) if parsed.error or parsed.attrs else 1
        if parsed.error:
            self.sink.add("malformed-attributes", line, parsed.error, attrs_column)
        attrs = parsed.attrs
        if attrs:
            # Lone surrogates from JSON escapes (control characters are reported below).
            attrs = clean_strings(
                attrs,
                lambda _path, code, message: self.sink.add(
                    code, line, f"attributes: {message}", attrs_column
                ),
                controls=False,
            )
        if attrs:
            attrs = self.finite_attributes(attrs, line, attrs_column)
        typed = typed_attributes(attrs) if attrs else None
        if typed is not None:
            for problem in typed.problems:
                self.sink.add("bad-attribute", line, problem, attrs_column)
            for key in typed.unknown:
                self.sink.add(
                    "unknown-attribute",
                    line,
                    f"unknown attribute {key!r} (ignored)",
                    self._column_of(key, start, attrs_column - 1),
                )
        split = split_block(content, console=parsed.language == "console")
        if not split.command:
            if split.sample_output.strip():
                self.sink.add(
                    "no-command",
                    line,
                    f"{parsed.language} block has no `$ ` command lines: shown as sample "
                    "output, never run (prefix commands with `$ `)",
                )
                self.reference(content, where, parsed.language)
            else:
                self.sink.add("empty-step", line, f"empty {parsed.language} block: not a step")
            return
        for index in split.stray_prompt_lines:
            self.sink.add(
                "mixed-prompts",
                line + 1 + index,
                "this line starts with `$ ` in a block that runs as a script; write the "
                "whole block with `$ ` prompts (console style) or drop the prompt",
            )
        fields: dict[str, Any] = {
            "kind": "shell",
            "command": split.command,
            "line": line,
            "section": self.path,
            "section_line": self.section_line,
            "language": parsed.language,
            # One shared empty dict for the steps without attributes (most of them):
            # steps are read-only, and an empty dict per step weighed 64 bytes each.
            "attrs": attrs or _NO_ATTRIBUTES,
            "rollback": self.in_rollback,
            "sample_output": split.sample_output,
            "prose": self.prose(start, where[1] if where else start + 1),
        }
        if "<" in split.command:
            fields["placeholders"] = placeholder_names(split.command)
        if typed is not None:
            fields.update(typed.values)
            # A rollback attribute adds to a Rollback heading; it cannot cancel one.
            fields["rollback"] = self.in_rollback or typed.values.get("rollback", False)
        first_content_line = line + 1
        located = tuple((first_content_line + i, text) for i, text in split.command_lines)
        if not self.controls(start, start + 1, "a step's fence line"):
            self.value_controls(attrs, line, attrs_column, "a step attribute")
        for file_line, _ in located:
            body_line = file_line - self.offset - 1
            self.controls(body_line, body_line + 1, "a command")
        self._add(_Draft(line, fields, located), fields.get("name"), "shell", split.command)

    def task(self, content: str, where: list[int] | None, paragraph: list[int] | None) -> None:
        match = _TASK.match(content)
        if match is None:
            return
        if paragraph:
            self.controls(paragraph[0], paragraph[1], "a manual step", shown=True)
        line = self.offset + (where[0] if where else 0) + 1
        text = " ".join(part.strip() for part in content[match.end() :].split("\n")).strip()
        if not text:
            self.sink.add("empty-step", line, "empty task-list item: not a step")
            return
        start = where[0] if where else 0
        # The item's own lines, wrapped ones too, are the step: prose ends before them.
        fields: dict[str, Any] = {
            "kind": "manual",
            "command": text,
            "line": line,
            "section": self.path,
            "section_line": self.section_line,
            "rollback": self.in_rollback,
            "prose": self.prose(start, paragraph[1] if paragraph else start + 1),
        }
        self._add(_Draft(line, fields), None, "manual", text)

    def reference(self, content: str, where: list[int] | None, language: str | None) -> None:
        """A code block that is not a step: shown in the walk, never run as written."""
        text = content.rstrip("\n")
        if not text.strip():
            return
        start = where[0] if where else 0
        draft: dict[str, Any] = {
            "line": self.offset + start + 1,
            "text": text,
            "language": language,
            "section": self.path,
            "section_line": self.section_line,
            "rollback": self.in_rollback,
            "prose": self.prose(start, where[1] if where else start + 1),
        }
        if "<" in text:
            # A block of prompts and output: only its commands can hold placeholders.
            draft["placeholders"] = placeholder_names(reference_commands(text))
        self.references.append(draft)

    def indented_code(self, content: str, where: list[int] | None) -> None:
        start = len(self.references)
        self.reference(content, where, None)
        if len(self.references) > start:
            self.references[-1]["indented"] = True

    def prose(self, start: int, end: int) -> str:
        """The markdown on body lines [prose_from, start), dedented, blank lines around
        it dropped; the next prose starts at `end` (after this step or block)."""
        begin, self.prose_from = self.prose_from, max(end, self.prose_from)
        if start <= begin:
            return ""
        chunk = self.body_lines[begin:start]
        while chunk and not chunk[-1].strip():
            chunk.pop()
        first = 0
        while first < len(chunk) and not chunk[first].strip():
            first += 1
        if first == len(chunk):
            return ""
        return "\n".join(_dedent_runs(chunk[first:]))

    def finite_attributes(self, attrs: dict[str, Any], line: int, column: int) -> dict[str, Any]:
        """`attrs` without values holding NaN or an infinity (JSON `NaN`, `Infinity`,
        `1e999`): each is a `bad-number` error. No JSON printer may meet one."""
        bad = [key for key, value in attrs.items() if _non_finite(value)]
        for key in bad:
            self.sink.add(
                "bad-number",
                line,
                f"attribute {key}: {attrs[key]!r} is not a finite number (NaN and "
                "infinities are not numbers a runbook can mean)",
                column,
            )
        return {k: v for k, v in attrs.items() if k not in bad} if bad else attrs

    def controls(self, start: int, stop: int, what: str, *, shown: bool = False) -> bool:
        """On each body line in [start, stop): a `control-character` error for the first
        control character (C0 but TAB and LF, DEL, C1, a CR not part of CRLF), and a
        `bidi-character` for the first bidirectional or zero-width character (an error,
        a warning in text that is only `shown`). True when there was either."""
        if not self.may_hold_controls:
            return False
        lines = self.body_lines
        found = False
        for index in range(start, min(stop, len(lines))):
            file_line = self.offset + index + 1
            text = lines[index]
            match = CONTROL.search(text)
            if match is not None:
                self.control(file_line, match.start() + 1, match.group(), what)
                found = True
            elif file_line in self.carriage_returns:
                self.control(file_line, self.carriage_returns[file_line], "\r", what)
                found = True
            match = BIDI.search(text)
            if match is not None:
                self.bidi(file_line, match.start() + 1, match.group(), what, shown)
                found = True
        return found

    def value_controls(self, value: object, line: int, column: int, what: str) -> None:
        """The same for strings decoded from escapes (JSON attributes)."""
        control = bidi = False
        for text in _strings(value):
            match = None if control else CONTROL.search(text)
            if match is not None:
                self.control(line, column, match.group(), what)
                control = True
            match = None if bidi else BIDI.search(text)
            if match is not None:
                self.bidi(line, column, match.group(), what, False)
                bidi = True

    def control(self, line: int, column: int, char: str, what: str) -> None:
        shown = escape_char(char)
        self.sink.add(
            "control-character",
            line,
            f"control character {shown} in {what}: a terminal acts on it (it can hide or "
            "rewrite text), so what is shown is not what runs; remove it (a command that "
            f"needs it can write it as an escape, e.g. printf '{shown}')",
            column,
        )

    def bidi(self, line: int, column: int, char: str, what: str, shown: bool) -> None:
        message = bidi_message(char, f" in {what}", runs=not shown)
        self.sink.add("bidi-character", line, message, column, shown=shown)

    def _add(self, draft: _Draft, name: str | None, kind: str, text: str) -> None:
        self.drafts.append(draft)
        section_title = self.path[-1] if self.path else ""
        self.id_requests.append(IdRequest(name, section_title, kind, text))

    def _column_of(self, needle: str, body_line: int, after: int = 0) -> int:
        lines = self.body_lines
        if body_line < len(lines):
            found = lines[body_line].find(needle, after)
            if found >= 0:
                return found + 1
        return 1

    def first_title(self, path: str) -> str:
        """The first level-1 heading, else the first heading, else the file name."""
        for title, level in zip(self.titles, self.levels, strict=True):
            if level == 1 and title:
                return title
        for title in self.titles:
            if title:
                return title
        if path:
            stem = os.path.splitext(os.path.basename(path))[0]
            if stem:
                return stem
        return "Untitled"

    def sections(self) -> list[Section]:
        """Sections with their prose: the markdown between a heading and the next.
        Text before the first heading becomes a level-0 section with an empty title
        and an empty path (the section of steps above every heading)."""
        lines = self.body_lines
        result: list[Section] = []
        count = len(self.titles)
        first_start = self.heading_lines[0] - self.offset - 1 if count else len(lines)
        preamble = "\n".join(lines[:first_start]).strip("\n")
        if preamble.strip():
            result.append(Section("", 0, self.offset + 1, (), preamble))
        titles, paths = self.titles, self.paths
        for number in range(count):
            file_line, end = self.heading_lines[number], self.heading_ends[number]
            stop = (
                self.heading_lines[number + 1] - self.offset - 1
                if number + 1 < count
                else len(lines)
            )
            prose = "\n".join(lines[end:stop]).strip("\n") if stop > end else ""
            result.append(
                Section(titles[number], self.levels[number], file_line, paths[number], prose)
            )
        return result
