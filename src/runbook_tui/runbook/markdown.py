"""The markdown-it-py setup shared by the parser and (for rendering prose) the UI."""

from __future__ import annotations

import re
from functools import lru_cache

from markdown_it import MarkdownIt


@lru_cache(maxsize=2)
def make_markdown(inline: bool = True) -> MarkdownIt:
    """CommonMark plus tables. With `inline=False` the inline pass is skipped: the
    parser needs only block structure (inline tokens keep their source in `.content`),
    and that pass is roughly half of markdown-it's time. Treat the result as read-only."""
    md = MarkdownIt("commonmark").enable("table")
    if not inline:
        md.disable("inline")
    return md


_IMAGE_OR_LINK = re.compile(r"!?\[([^\]]*)\](?:\([^)]*\)|\[[^\]]*\])")
_HTML_TAG = re.compile(r"</?[A-Za-z][^>\n]*>|<!--.*?-->")
_EMPHASIS = re.compile(r"\*+|~~|`+|(?<!\w)_+|_+(?!\w)")
_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")
_SPACES = re.compile(r"\s+")


def plain_text(source: str) -> str:
    """Inline markdown (a heading's source) as plain text: links keep their text,
    emphasis and code markers go, escapes are resolved, whitespace collapses."""
    text = _IMAGE_OR_LINK.sub(r"\1", source)
    if "<" in text:
        text = _HTML_TAG.sub("", text)
    text = _EMPHASIS.sub("", text)
    if "\\" in text:
        text = _ESCAPE.sub(r"\1", text)
    return _SPACES.sub(" ", text).strip()
