"""The head-and-tail cut of long output: one pass, bounded, the same lines and counts as
cutting the whole text at once, however the text is split into chunks."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from runbook_tui.export.cut import Line, OutputCut, cut_literals


def reference(
    text: str, head: int, tail: int, line_chars: int
) -> tuple[list[Line], list[Line], int, int]:
    """The cut made with the whole text in memory."""
    lines = text.split("\n")
    if text.endswith("\n"):
        lines.pop()
    if not text:
        lines = []

    def cut(line: str) -> Line:
        if len(line) > line_chars:
            return Line(line[:line_chars], len(line) - line_chars)
        return Line(line)

    first = [cut(x) for x in lines[:head]]
    rest = lines[head:]
    last = [cut(x) for x in rest[max(0, len(rest) - tail) :]] if tail else []
    return first, last, len(lines) - len(first) - len(last), len(lines)


def cut_in_chunks(chunks: list[str], head: int, tail: int, line_chars: int):
    cutter = OutputCut(head=head, tail=tail, line_chars=line_chars)
    for chunk in chunks:
        cutter.feed(chunk)
    return cutter.finish()


@given(
    pieces=st.lists(st.text(alphabet="ab\n\r\x1b", max_size=40), max_size=30),
    head=st.integers(0, 6),
    tail=st.integers(0, 6),
    line_chars=st.integers(1, 8),
)
def test_the_cut_is_the_same_however_the_output_is_chunked(
    pieces: list[str], head: int, tail: int, line_chars: int
) -> None:
    text = "".join(pieces)
    got = cut_in_chunks(pieces, head, tail, line_chars)
    first, last, omitted, total = reference(text, head, tail, line_chars)
    assert list(got.head) == first
    assert list(got.tail) == last
    assert got.omitted == omitted
    assert got.total == total
    assert got.ends_with_newline == text.endswith("\n")


def test_a_flood_keeps_its_first_and_last_lines_and_counts_the_rest() -> None:
    cutter = OutputCut(head=40, tail=60)
    block = "".join(f"{i}\n" for i in range(1, 200_001))
    for start in range(0, len(block), 65_536):  # as the journal cuts output events
        cutter.feed(block[start : start + 65_536])
    cut = cutter.finish()
    assert [line.text for line in cut.head] == [str(i) for i in range(1, 41)]
    assert [line.text for line in cut.tail] == [str(i) for i in range(199_941, 200_001)]
    assert cut.omitted == 200_000 - 100 and cut.total == 200_000


def test_one_endless_line_is_held_to_its_first_characters() -> None:
    cutter = OutputCut(head=2, tail=2, line_chars=10)
    for _ in range(1000):
        cutter.feed("x" * 1000)
    cutter.feed("\nend")
    cut = cutter.finish()
    assert cut.head == (Line("x" * 10, 1_000_000 - 10), Line("end"))
    assert cut.total == 2 and not cut.ends_with_newline


def literal(text: str) -> bytes:
    return json.dumps(text, ensure_ascii=False).encode("utf-8", "backslashreplace")


@given(
    pieces=st.lists(st.text(alphabet='ab\\\n\r"', max_size=30), max_size=40),
    head=st.integers(0, 4),
    tail=st.integers(0, 4),
    held=st.integers(1, 200),
)
def test_counting_lines_in_the_literals_gives_the_cut_of_the_decoded_text(
    pieces: list[str], head: int, tail: int, held: int
) -> None:
    """Backslashes (which make a literal's `\\n` ambiguous) and a small hold-back bound
    take the other paths."""
    import runbook_tui.export.cut as cut_module

    text = "".join(pieces)
    bound = cut_module.HELD_BYTES
    cut_module.HELD_BYTES = held
    try:
        got = cut_literals([literal(p) for p in pieces], head=head, tail=tail, line_chars=6)
    finally:
        cut_module.HELD_BYTES = bound
    first, last, omitted, total = reference(text, head, tail, 6)
    assert (list(got.head), list(got.tail), got.omitted, got.total) == (first, last, omitted, total)
    assert got.ends_with_newline == text.endswith("\n")


def test_a_flood_is_counted_in_its_literals_without_decoding_the_middle(monkeypatch) -> None:
    from runbook_tui.export import literals

    decoded: list[bytes] = []
    real = literals.decode

    def counting(piece: bytes) -> str:
        decoded.append(piece)
        return real(piece)

    monkeypatch.setattr(literals, "decode", counting)
    block = "".join(f"{i}\n" for i in range(1, 200_001))
    pieces = [literal(block[i : i + 65_536]) for i in range(0, len(block), 65_536)]
    cut = cut_literals(pieces, head=40, tail=60)
    assert [line.text for line in cut.tail] == [str(i) for i in range(199_941, 200_001)]
    assert cut.total == 200_000 and cut.omitted == 200_000 - 100
    assert len(decoded) <= 3 < len(pieces)
