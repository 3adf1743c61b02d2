"""The markdown-it-py setup shared by the parser and (for rendering prose) the UI."""

from __future__ import annotations

import re
from functools import lru_cache

from markdown_it import MarkdownIt
from markdown_it.rules_block import fence as _fence_rule
from markdown_it.rules_block.state_block import StateBlock


@lru_cache(maxsize=2)
def make_markdown(inline: bool = True) -> MarkdownIt:
    """CommonMark plus tables. With `inline=False` (the parser's) the inline pass is
    skipped: the parser needs only block structure (inline tokens keep their source in
    `.content`), and that pass is roughly half of markdown-it's time. The parser's also
    leaves out tables: steps never live in a table, and markdown-it's table rule makes
    several tokens per cell (a 10 MB table took 2 GB); table rows read as paragraph
    text. Treat the result as read-only."""
    md = MarkdownIt("commonmark")
    if inline:
        md.enable("table")
    alt = next(r.alt for r in md.block.ruler.__rules__ if r.name == "fence")
    md.block.ruler.at("fence", _fence_marking_unclosed, {"alt": list(alt)})
    if not inline:
        md.disable("inline")
    return md


def _fence_marking_unclosed(state: StateBlock, start: int, end: int, silent: bool) -> bool:
    """markdown-it's fence rule, plus `token.meta["unclosed"] = True` on a fence that
    has no closing line. CommonMark runs such a
    fence to the end of its container, turning everything below it into code. A fence
    whose content holds a line that opens a fence of its own kind (```` ```sh ```` in a
    ```` ``` ```` block) was most likely left open too, and closed only by the later
    block's closing line: `token.meta["swallowed"]` is that line (0-based)."""
    if not _fence_rule(state, start, end, silent):
        return False
    if not silent:
        token = state.tokens[-1]
        last = state.line - 1
        closed = last > start and _is_closing_fence(state, last, token.markup)
        if not closed:
            token.meta["unclosed"] = True
        if token.markup in token.content:
            for line in range(start + 1, last + (0 if closed else 1)):
                if _opens_fence(state, line, token.markup):
                    token.meta["swallowed"] = line
                    break
    return True


def _fence_text(state: StateBlock, line: int) -> str | None:
    """The line's text within its container, or None when it is indented as code."""
    if state.sCount[line] - state.blkIndent >= 4:
        return None
    return state.src[state.bMarks[line] + state.tShift[line] : state.eMarks[line]]


def _opens_fence(state: StateBlock, line: int, markup: str) -> bool:
    """A line inside a fence that would open a fence with an info string."""
    text = _fence_text(state, line)
    if text is None:
        return False
    run = len(text) - len(text.lstrip(markup[0]))
    info = text[run:].strip(" \t")
    return run >= len(markup) and bool(info) and not (markup[0] == "`" and "`" in info)


def _is_closing_fence(state: StateBlock, line: int, markup: str) -> bool:
    """Whether `line` closes a fence opened with `markup`: the same character, at least
    as many, nothing but spaces after, not indented as code. The fence rule stops at the
    first such line, so the last line it took is one exactly when it found its end."""
    text = _fence_text(state, line)
    if text is None:
        return False
    run = len(text) - len(text.lstrip(markup[0]))
    return run >= len(markup) and not text[run:].strip(" \t")


_IMAGE_OR_LINK = re.compile(r"!?\[([^\]]*)\](?:\([^)]*\)|\[[^\]]*\])")
_HTML_TAG = re.compile(r"</?[A-Za-z][^>\n]*>|<!--.*?-->")
_EMPHASIS = re.compile(r"\*+|~~|`+|(?<!\w)_+|_+(?!\w)")
_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")
_SPACES = re.compile(r"\s+")
# What any of the substitutions below could act on.
_MARKUP = re.compile(r"[\[\]<*_~`\\]")


def plain_text(source: str) -> str:
    """Inline markdown (a heading's source) as plain text: links keep their text,
    emphasis and code markers go, escapes are resolved, whitespace collapses."""
    if _MARKUP.search(source) is None:  # most headings: plain words
        return " ".join(source.split())
    text = _IMAGE_OR_LINK.sub(r"\1", source)
    if "<" in text:
        text = _HTML_TAG.sub("", text)
    text = _EMPHASIS.sub("", text)
    if "\\" in text:
        text = _ESCAPE.sub(r"\1", text)
    return _SPACES.sub(" ", text).strip()
