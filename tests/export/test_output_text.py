"""A line of recorded output as a transcript shows it: escape sequences out (markdown)
or colours as styles (HTML), the last redraw of a line, control characters escaped."""

from __future__ import annotations

from runbook_tui.export.cut import Line
from runbook_tui.export.htmlpage import _pre
from runbook_tui.export.output_text import PLAIN, Style, plain, styled


def test_plain_takes_escapes_out_keeps_the_last_redraw_and_escapes_controls() -> None:
    assert plain("\x1b[1;32mok\x1b[0m done\r") == "ok done"
    assert plain("progress 10%\rprogress 100%") == "progress 100%"
    assert plain("\x1b]0;title\x07bell\x07 tab\there") == "bell\\x07 tab\there"
    assert plain("cut \x1b[3", cut=True) == "cut "


def test_colours_become_styles_that_carry_to_the_next_line() -> None:
    runs, after = styled("a\x1b[1;31mred\x1b[22m thin")
    assert runs == [(PLAIN, "a"), (Style(fg=1, bold=True), "red"), (Style(fg=1), " thin")]
    assert after == Style(fg=1)
    runs, after = styled("still red\x1b[0m", after)
    assert runs == [(Style(fg=1), "still red")] and after == PLAIN
    assert styled("\x1b[38;5;208mo\x1b[48;2;1;2;3mb")[0] == [
        (Style(fg="#ff8700"), "o"),
        (Style(fg="#ff8700", bg="#010203"), "b"),
    ]
    assert styled("\x1b[95mbright")[0] == [(Style(fg=13), "bright")]


def test_html_output_is_escaped_and_coloured_with_classes() -> None:
    import io

    out = io.StringIO()
    _pre(
        out,
        (Line("\x1b[31m<script>alert(1)</script>"), Line("& \x1b[7minverse\x07"), Line("x" * 3, 9)),
    )
    html = out.getvalue()
    assert '<span class="f1">&lt;script&gt;alert(1)&lt;/script&gt;</span>' in html
    assert '<span class="rvf g1">inverse\\x07</span>' in html  # red carried, then inverted
    assert "&amp; " in html and "<script>" not in html
    assert "… [9 more characters]" in html
