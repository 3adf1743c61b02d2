"""The HTML transcript: the markdown transcript's document as one self-contained page.

No request leaves the page: the styles are inline, there is no script, font, image or
link to anything outside it, and a Content-Security-Policy of `default-src 'none'`
tells the browser to load nothing even if something slipped in. Output keeps its
colours: SGR sequences become spans with classes (the 16 palette colours, bold, dim,
italic, underline, strike) or an inline colour (256 colours, true colour); every other
escape sequence is dropped and control characters are shown escaped. Everything from
the journal is HTML-escaped.
"""

from __future__ import annotations

from html import escape
from typing import TextIO

from runbook_tui.export import facts as F
from runbook_tui.export.cut import CutOutput, Line
from runbook_tui.export.markdown import PLACEHOLDERS
from runbook_tui.export.output_text import PLAIN, Style, styled
from runbook_tui.export.record import Record
from runbook_tui.export.steps import AttemptView, StepView, step_views
from runbook_tui.export.timeline import rows
from runbook_tui.runbook.display import escape_controls

# The xterm palette, for the 16 colours a terminal names.
PALETTE = (
    "#000000", "#cd0000", "#00cd00", "#cdcd00", "#0000ee", "#cd00cd", "#00cdcd", "#e5e5e5",
    "#7f7f7f", "#ff0000", "#00ff00", "#ffff00", "#5c5cff", "#ff00ff", "#00ffff", "#ffffff",
)  # fmt: skip
TERMINAL_FG, TERMINAL_BG = "#d8d8d8", "#1c1c1c"

CSS = (
    """
:root { color-scheme: light dark; }
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0;
  background: Canvas; color: CanvasText; }
main { max-width: 72rem; margin: 0 auto; padding: 1rem 1.5rem 4rem; }
h1 { font-size: 1.6rem; } h2 { margin-top: 2.2rem; border-bottom: 1px solid #8884; }
h3 { margin-top: 1.8rem; } h4 { margin: 1.2rem 0 .4rem; }
code, pre { font: 13px/1.4 ui-monospace, "SF Mono", Menlo, Consolas, monospace; }
code { background: #8882; padding: 0 .25em; border-radius: 3px; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .15rem 1rem; }
dl.facts dt { font-weight: 600; } dl.facts dd { margin: 0; overflow-wrap: anywhere; }
table { border-collapse: collapse; width: 100%; }
th, td { border: 1px solid #8886; padding: .25rem .5rem; text-align: left;
  vertical-align: top; overflow-wrap: anywhere; }
th { background: #8882; }
td.time, td.by { white-space: nowrap; }
.placeholder { font-style: italic; opacity: .75; }
.banner { border-left: 4px solid #d29922; padding: .4rem .8rem; background: #d2992222; }
pre { padding: .6rem .8rem; overflow-x: auto; border-radius: 4px; }
pre.cmd { background: #8882; }
pre.out { background: """
    + TERMINAL_BG
    + "; color: "
    + TERMINAL_FG
    + """; }
.omitted { font-style: italic; margin: .2rem 0; }
.b { font-weight: bold; } .d { opacity: .6; } .i { font-style: italic; }
.u { text-decoration: underline; } .s { text-decoration: line-through; }
.u.s { text-decoration: underline line-through; }
.rvf { color: """
    + TERMINAL_BG
    + "; } .rvb { background-color: "
    + TERMINAL_FG
    + "; }\n"
    + "".join(
        f".f{i} {{ color: {c}; }} .g{i} {{ background-color: {c}; }}\n"
        for i, c in enumerate(PALETTE)
    )
)


def _e(text: str) -> str:
    return escape(text, quote=True)


def pieces(parts: F.Pieces) -> str:
    return "".join(f"<code>{_e(s)}</code>" if kind == "code" else _e(s) for kind, s in parts)


def write_html(out: TextIO, record: Record, tool_version: str) -> None:
    st = record.state
    title = f"Transcript: {escape_controls(st.title or '(untitled runbook)')}"
    out.write(
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta http-equiv="Content-Security-Policy" '
        "content=\"default-src 'none'; style-src 'unsafe-inline'\">\n"
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="color-scheme" content="light dark">\n'
        f'<meta name="generator" content="runbook-tui {_e(tool_version)}">\n'
        f"<title>{_e(title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n<main>\n"
        f"<h1>{_e(title)}</h1>\n"
    )
    if record.in_progress:
        out.write(
            '<p class="banner"><strong>In progress.</strong> This session is still running: '
            f"this is what was recorded up to {_e(F.utc(st.last_ts))} UTC.</p>\n"
        )
    out.write('<dl class="facts">\n')
    for label, value in F.header(record, tool_version):
        out.write(f"<dt>{_e(label)}</dt><dd>{pieces(value)}</dd>\n")
    out.write("</dl>\n")
    for heading, prompt in PLACEHOLDERS:
        out.write(f'<h2>{_e(heading)}</h2>\n<p class="placeholder">{_e(prompt)}</p>\n')
    out.write(
        "<h2>Action items</h2>\n<table><tr><th>Action</th><th>Kind</th><th>Owner</th>"
        '<th>Tracking</th></tr>\n<tr><td class="placeholder">What will prevent this, or '
        'find it sooner</td><td class="placeholder">prevent / mitigate / detect</td>'
        "<td></td><td></td></tr></table>\n"
    )
    _variables(out, record)
    out.write(
        '<h2>Timeline</h2>\n<table class="timeline">\n<tr><th>Time (UTC)</th>'
        "<th>What happened</th><th>By</th><th>Result</th></tr>\n"
    )
    for row in rows(record):
        out.write(
            f'<tr class="{_e(row.kind)}"><td class="time">{_e(row.ts)}</td>'
            f'<td>{pieces(row.what)}</td><td class="by">{_e(row.by)}</td>'
            f"<td>{_e(row.result)}</td></tr>\n"
        )
    out.write("</table>\n<h2>Steps</h2>\n")
    for view in step_views(record):
        _step(out, view)
    if record.problems:
        out.write("<h2>Journal</h2>\n<ul>\n")
        for problem in record.problems:
            out.write(f"<li>{_e(escape_controls(problem))}</li>\n")
        out.write("</ul>\n")
    out.write("</main>\n</body>\n</html>\n")


def _variables(out: TextIO, record: Record) -> None:
    out.write("<h2>Variables</h2>\n")
    values = F.variables(record)
    if not values:
        out.write("<p>None.</p>\n")
        return
    out.write("<p>Secret values were masked before they were recorded.</p>\n")
    out.write("<table><tr><th>Name</th><th>Value</th></tr>\n")
    for name, value in values:
        out.write(f"<tr><td><code>{_e(name)}</code></td><td><code>{_e(value)}</code></td></tr>\n")
    out.write("</table>\n")


def _facts(out: TextIO, items: list[tuple[str, F.Pieces]]) -> None:
    out.write('<dl class="facts">\n')
    for label, value in items:
        out.write(f"<dt>{_e(label)}</dt><dd>{pieces(value)}</dd>\n")
    out.write("</dl>\n")


def _step(out: TextIO, view: StepView) -> None:
    out.write(f'<section class="step" id="step-{view.number}">\n')
    out.write(f"<h3>{view.number}. {_e(escape_controls(view.name))}</h3>\n")
    several = len(view.attempts) > 1
    _facts(out, view.facts + (view.attempts[0].facts if len(view.attempts) == 1 else []))
    if view.body:
        body = _e(escape_controls(view.body))
        if view.body_is_command:
            out.write("<p>Command (from the runbook; it was not run):</p>\n")
            out.write(f'<pre class="cmd">{body}</pre>\n')
        else:
            out.write(f"<p>{body}</p>\n")
    for attempt in view.attempts:
        if several:
            out.write(f"<h4>{_e(attempt.title)}</h4>\n")
            _facts(out, attempt.facts)
        _attempt(out, attempt)
    out.write("</section>\n")


def _attempt(out: TextIO, attempt: AttemptView) -> None:
    if attempt.original is not None:
        label, before = attempt.original
        out.write(f"<p>{_e(label)}:</p>\n")
        out.write(f'<pre class="cmd">{_e(escape_controls(before))}</pre>\n<p>As run:</p>\n')
    if attempt.command is not None:
        out.write(f'<pre class="cmd">{_e(escape_controls(attempt.command))}</pre>\n')
    if attempt.attempt.confirmed is not None:
        return
    if attempt.interactive:
        out.write("<p>It ran with the terminal: its output was not captured.</p>\n")
    elif not attempt.has_output:
        out.write("<p>No output.</p>\n")
    else:
        _output(out, attempt.cut())


def _output(out: TextIO, cut: CutOutput) -> None:
    total = f"{cut.total:,} line{'s' if cut.total != 1 else ''}"
    if not cut.omitted:
        out.write(f"<p>Output ({total}):</p>\n")
        _pre(out, cut.lines)
        return
    first = len(cut.head)
    out.write(
        f"<p>Output ({total}; the first {first:,} and the last {len(cut.tail):,} are shown):</p>\n"
    )
    _pre(out, cut.head)
    out.write(
        f'<p class="omitted">… {cut.omitted:,} line{"s" if cut.omitted != 1 else ""} left out '
        f"(lines {first + 1:,} to {first + cut.omitted:,}) …</p>\n"
    )
    _pre(out, cut.tail)


def _pre(out: TextIO, lines: tuple[Line, ...]) -> None:
    """Lines in one block; colours carry from line to line, as in a terminal (a block
    after left-out lines starts in the default colours)."""
    out.write('<pre class="out">')
    style = PLAIN
    for line in lines:
        runs, style = styled(line.text, style, cut=bool(line.cut_chars))
        out.write("".join(_span(s, t) for s, t in runs))
        if line.cut_chars:
            out.write(f'<span class="d"> … [{line.cut_chars:,} more characters]</span>')
        out.write("\n")
    out.write("</pre>\n")


def _span(style: Style, text: str) -> str:
    if style.plain:
        return _e(text)
    fg, bg = style.fg, style.bg
    if style.inverse:
        fg, bg = (bg if bg is not None else "rvf"), (fg if fg is not None else "rvb")
    classes: list[str] = []
    css: list[str] = []
    for value, prefix, prop in ((fg, "f", "color"), (bg, "g", "background-color")):
        if isinstance(value, int):
            classes.append(f"{prefix}{value}")
        elif value in ("rvf", "rvb"):
            classes.append(value)
        elif isinstance(value, str):
            css.append(f"{prop}:{value}")  # "#rrggbb", made by output_text
    for flag, name in (
        (style.bold, "b"),
        (style.dim, "d"),
        (style.italic, "i"),
        (style.underline, "u"),
        (style.strike, "s"),
    ):
        if flag:
            classes.append(name)
    attrs = f' class="{" ".join(classes)}"' if classes else ""
    if css:
        attrs += f' style="{";".join(css)}"'
    return f"<span{attrs}>{_e(text)}</span>" if attrs else _e(text)
