"""Journal text in the markdown transcript: whatever it holds (pipes, backticks,
brackets, HTML, newlines), a table row keeps its cells and the text reads back as it
was, parsed as GitHub parses it (CommonMark with GFM tables); an output block is never
closed by a line of the output."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from runbook_tui.export.markdown import code_span, fence_for, inline

MD = MarkdownIt("commonmark").enable("table")
TEXT = st.lists(
    st.sampled_from([*"ab |`*_[]<>()#!~&\\$:-.\n", "&amp;", "<br>", "<b>", "http://x"]),
    max_size=30,
).map("".join)


def cells(row: str) -> list[list[tuple[str, str]]]:
    tokens = MD.parse(f"| one | two |\n| --- | --- |\n| x | {row} |\n")
    inline = [t for t in tokens if t.type == "inline"]
    assert len(inline) == 4, row  # two header cells, two body cells: the row held
    return [[(c.type, c.content) for c in t.children or []] for t in inline[2:]]


@given(TEXT)
def test_text_in_a_cell_reads_back_as_it_was(text: str) -> None:
    [_x, cell] = cells(inline(text))
    got = "".join("\n" if kind == "html_inline" else content for kind, content in cell)
    assert all(kind in ("text", "html_inline") for kind, _ in cell), cell
    assert all(content == "<br>" for kind, content in cell if kind == "html_inline")
    assert got.strip(" ") == text.strip(" ").replace("\r", "")


@given(TEXT)
def test_a_code_span_in_a_cell_reads_back_as_it_was(text: str) -> None:
    [_x, cell] = cells(code_span(text))
    flat = text.replace("\n", " ")
    if not flat:
        assert cell == [("text", "(empty)")]
        return
    [(kind, content)] = cell
    assert kind == "code_inline"
    assert content == flat


@given(st.lists(st.text(alphabet="~` a\t", max_size=12), max_size=8))
def test_no_line_of_the_output_closes_its_block(lines: list[str]) -> None:
    fence = fence_for(lines)
    tokens = MD.parse(f"{fence}\n" + "".join(f"{line}\n" for line in lines) + f"{fence}\n")
    [block] = [t for t in tokens if t.type == "fence"]
    assert block.content == "".join(f"{line}\n" for line in lines)
