"""Step ids: stable across unrelated edits, unique within a runbook."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from typing import NamedTuple

_VALID_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
_NOT_SLUG = re.compile(r"[^a-z0-9]+")


class IdRequest(NamedTuple):
    """What an id is made from."""

    name: str | None
    section_title: str
    kind: str
    text: str


def slugify(text: str, max_length: int = 32) -> str:
    """Lower-case words joined by `-`, cut at a word boundary to `max_length`."""
    slug = _NOT_SLUG.sub("-", text.lower()).strip("-")
    if len(slug) > max_length:
        cut = slug[:max_length]
        slug = cut.rsplit("-", 1)[0] if "-" in cut else cut
    return slug


def content_hash(kind: str, text: str) -> str:
    """Six hex digits of the text with whitespace collapsed, so re-indenting or
    re-wrapping a step does not change its id."""
    normalized = kind + "\0" + " ".join(text.split())
    return hashlib.sha1(normalized.encode("utf-8", "surrogatepass")).hexdigest()[:6]


def assign_ids(requests: Sequence[IdRequest]) -> list[str]:
    """Ids in the order of `requests`. Named steps are served first (so a name always
    wins its id), then the rest get `<section-slug>-<hash>`; a taken id gets `-2`,
    `-3`, ... in document order."""
    ids: list[str | None] = [None] * len(requests)
    used: set[str] = set()

    def claim(index: int, base: str) -> None:
        candidate, n = base, 1
        while candidate in used:
            n += 1
            candidate = f"{base}-{n}"
        used.add(candidate)
        ids[index] = candidate

    for index, req in enumerate(requests):
        if req.name:
            base = req.name if _VALID_ID.fullmatch(req.name) else slugify(req.name, 64)
            if base:
                claim(index, base)
    for index, req in enumerate(requests):
        if ids[index] is None:
            prefix = slugify(req.section_title) or "step"
            claim(index, f"{prefix}-{content_hash(req.kind, req.text)}")
    return [i for i in ids if i is not None]


REFERENCE_PREFIX = "ref-"


def assign_reference_ids(texts: Sequence[str], taken: set[str]) -> list[str]:
    """Ids of reference blocks (code blocks that are not steps), in document order:
    `ref-` and the hash of the text as for a step (kind `reference`), `-2`, `-3`, ...
    for a repeat. `taken` (the step ids) is never given out: a step named `ref-ab12cd`
    keeps its id and the block gets `ref-ab12cd-2`."""
    used = set(taken)
    ids: list[str] = []
    for text in texts:
        base = candidate = REFERENCE_PREFIX + content_hash("reference", text)
        n = 1
        while candidate in used:
            n += 1
            candidate = f"{base}-{n}"
        used.add(candidate)
        ids.append(candidate)
    return ids
