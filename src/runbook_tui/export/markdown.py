"""The markdown transcript: a postmortem draft in the shape of the Google SRE and
PagerDuty templates, the facts filled in from the journal and the judgement left to
people. Reads the same on GitHub and GitLab (CommonMark with GFM tables).

Every piece of journal text is escaped for where it goes: markdown punctuation and HTML
in running text and table cells (a pipe or a newline would break a row), backtick runs
in code spans. Output goes in tilde fences longer than any run of tildes that opens a
line of the shown text, so nothing in the output can close its block.
"""

from __future__ import annotations

import re
from typing import TextIO

from runbook_tui.export import facts as F
from runbook_tui.export.cut import CutOutput, Line
from runbook_tui.export.output_text import plain
from runbook_tui.export.record import Record
from runbook_tui.export.steps import AttemptView, StepView, step_views
from runbook_tui.export.timeline import rows
from runbook_tui.runbook.display import escape_controls

# Characters that mean something in CommonMark or GFM inline text (and HTML): escaped
# with a backslash wherever journal text lands in running text.
_SPECIAL = re.compile(r"([\\`*_\[\]<>|~&#!$])")
_TILDES = re.compile(r"^ {0,3}(~+)", re.MULTILINE)
_BACKTICKS = re.compile(r"`+")

PLACEHOLDERS = (
    (
        "Summary",
        "What happened, in two or three sentences: what broke, for how long, how it was fixed.",
    ),
    ("Impact", "Who and what was affected (users, requests, data), for how long, and how badly."),
    ("Root cause", "Why it happened, and what triggered it. Ask why until the answer is a fix."),
)


def inline(text: str) -> str:
    """Journal text in running text or a table cell: escaped, one line."""
    return _SPECIAL.sub(r"\\\1", text).replace("\r", "").replace("\n", "<br>")


def code_span(text: str) -> str:
    """`text` as inline code that no backtick in it can end, safe in a table cell
    (GFM splits cells at a pipe even inside code: it is escaped)."""
    text = text.replace("\r", " ").replace("\n", " ")
    if not text:
        return "(empty)"
    longest = max((len(m) for m in _BACKTICKS.findall(text)), default=0)
    fence = "`" * (longest + 1)
    # CommonMark takes one space off each end of a code span that has one at both
    # (and is not all spaces): pad when an end is a space or a backtick.
    ends = text[0] + text[-1]
    pad = " " if text.strip(" ") and ("`" in ends or " " in ends) else ""
    return f"{fence}{pad}{text.replace('|', chr(92) + '|')}{pad}{fence}"


def pieces(parts: F.Pieces) -> str:
    return "".join(code_span(s) if kind == "code" else inline(s) for kind, s in parts)


def fence_for(lines: list[str], char: str = "~") -> str:
    """A fence of `char` longer than any run of it that opens one of `lines` (at least
    four), so no line can close the block."""
    longest = 0
    for line in lines:
        m = _TILDES.match(line) if char == "~" else None
        if m is not None:
            longest = max(longest, len(m.group(1)))
    return char * max(4, longest + 1)


def write_markdown(out: TextIO, record: Record, tool_version: str) -> None:
    st = record.state
    title = st.title or "(untitled runbook)"
    out.write(f"# Transcript: {inline(title)}\n\n")
    if record.in_progress:
        out.write(
            f"> **In progress.** This session is still running: this is what was recorded "
            f"up to {inline(F.utc(st.last_ts))} UTC. Export it again when it has ended.\n\n"
        )
    for label, value in F.header(record, tool_version):
        out.write(f"- **{label}:** {pieces(value)}\n")
    out.write("\n")
    for heading, prompt in PLACEHOLDERS:
        out.write(f"## {heading}\n\n_{prompt}_\n\n")
    out.write("## Action items\n\n")
    out.write("| Action | Kind | Owner | Tracking |\n| --- | --- | --- | --- |\n")
    out.write(
        "| _What will prevent this, or find it sooner_ | _prevent / mitigate / detect_ | | |\n\n"
    )
    _variables(out, record)
    _timeline(out, record)
    out.write("## Steps\n\n")
    for view in step_views(record):
        _step(out, view)
    if record.problems:
        out.write("## Journal\n\n")
        for problem in record.problems:
            out.write(f"- {inline(problem)}\n")
        out.write("\n")


def _variables(out: TextIO, record: Record) -> None:
    out.write("## Variables\n\n")
    values = F.variables(record)
    if not values:
        out.write("None.\n\n")
        return
    out.write("Secret values were masked before they were recorded.\n\n")
    out.write("| Name | Value |\n| --- | --- |\n")
    for name, value in values:
        out.write(f"| {code_span(name)} | {code_span(value)} |\n")
    out.write("\n")


def _timeline(out: TextIO, record: Record) -> None:
    out.write("## Timeline\n\n")
    out.write("| Time (UTC) | What happened | By | Result |\n| --- | --- | --- | --- |\n")
    for row in rows(record):
        out.write(f"| {row.ts} | {pieces(row.what)} | {inline(row.by)} | {inline(row.result)} |\n")
    out.write("\n")


def _facts(out: TextIO, items: list[tuple[str, F.Pieces]]) -> None:
    for label, value in items:
        out.write(f"- **{label}:** {pieces(value)}\n")
    out.write("\n")


def _block(out: TextIO, lines: list[str], info: str = "") -> None:
    fence = fence_for(lines)
    out.write(f"{fence}{info}\n")
    for line in lines:
        out.write(line + "\n")
    out.write(f"{fence}\n\n")


def _step(out: TextIO, view: StepView) -> None:
    out.write(f"### {view.number}. {inline(view.name)}\n\n")
    several = len(view.attempts) > 1
    if len(view.attempts) == 1:  # one list: the step's facts and its attempt's
        _facts(out, view.facts + view.attempts[0].facts)
    else:
        _facts(out, view.facts)
    if view.body:
        if view.body_is_command:
            out.write("Command (from the runbook; it was not run):\n\n")
            _block(out, escape_controls(view.body).splitlines(), "sh")
        else:
            out.write(f"{inline(escape_controls(view.body))}\n\n")
    for attempt in view.attempts:
        if several:
            out.write(f"#### {attempt.title}\n\n")
            _facts(out, attempt.facts)
        _attempt(out, attempt)


def _attempt(out: TextIO, attempt: AttemptView) -> None:
    if attempt.original is not None:
        label, before = attempt.original
        out.write(f"{label}:\n\n")
        _block(out, escape_controls(before).splitlines() or [""], "sh")
    if attempt.command is not None:
        out.write("Command (as run):\n\n" if attempt.original else "Command:\n\n")
        _block(out, escape_controls(attempt.command).splitlines() or [""], "sh")
    if attempt.attempt.confirmed is not None:
        return
    if attempt.interactive:
        out.write("It ran with the terminal: its output was not captured.\n\n")
        return
    if not attempt.has_output:
        out.write("No output.\n\n")
        return
    _output(out, attempt.cut())


def _shown(line: Line) -> str:
    shown = plain(line.text, cut=bool(line.cut_chars))
    if line.cut_chars:
        shown += f" … [{line.cut_chars:,} more characters]"
    return shown


def _output(out: TextIO, cut: CutOutput) -> None:
    total = f"{cut.total:,} line{'s' if cut.total != 1 else ''}"
    if not cut.omitted:
        out.write(f"Output ({total}, colours removed):\n\n")
        _block(out, [_shown(line) for line in cut.lines])
        return
    first = len(cut.head)
    out.write(
        f"Output ({total}, colours removed; the first {first:,} and the last "
        f"{len(cut.tail):,} are shown):\n\n"
    )
    _block(out, [_shown(line) for line in cut.head])
    out.write(
        f"_… {cut.omitted:,} line{'s' if cut.omitted != 1 else ''} left out "
        f"(lines {first + 1:,} to {first + cut.omitted:,}) …_\n\n"
    )
    _block(out, [_shown(line) for line in cut.tail])
