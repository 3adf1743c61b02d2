"""No input may raise: arbitrary text, markdown-ish text and arbitrary front matter."""

from __future__ import annotations

import json

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from runbook_tui.runbook.codes import CODES
from runbook_tui.runbook.frontmatter import TOP_LEVEL_KEYS, VARIABLE_KEYS
from runbook_tui.runbook.parser import parse
from runbook_tui.runbook.serialize import runbook_to_dict
from runbook_tui.runbook.source import normalize_text

SETTINGS = settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])

PIECES = st.sampled_from(
    [
        "---\n",
        "...\n",
        "# ",
        "## Rollback\n",
        "```",
        "~~~",
        "sh",
        "console",
        "bash {",
        '"name":"x"',
        "}",
        "name=x ",
        "timeout=10m ",
        "danger=",
        "\n",
        "$ ",
        "\\\n",
        "<<EOF\n",
        "EOF\n",
        "<ns>",
        "- [ ] ",
        "- [x] ",
        "1. ",
        "   ",
        "> ",
        "|a|b|\n|-|-|\n",
        "\r\n",
        "\ufeff",
        "\x00",
        "title: ",
        "kind: deploy\n",
        "variables:\n",
        "  A: {pattern: '('}\n",
        "services:\n  - ",
        "{",
        "[",
        "&a ",
        "*a",
        "!!python/object ",
    ]
)
MARKDOWNISH = st.lists(st.one_of(PIECES, st.text(max_size=8)), max_size=40).map("".join)

SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), st.text(max_size=12)
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.text(max_size=8), inner, max_size=4),
    ),
    max_leaves=8,
)
# The schema's own keys (so the fuzz reaches every branch), plus a few kinds' keys and
# one unknown key.
KEYS = st.sampled_from(
    sorted({*TOP_LEVEL_KEYS, *VARIABLE_KEYS, "name", "http", "tcp", "path", "restic"}
           | {"max_age", "min_count", "x"})
)  # fmt: skip
FRONT = st.dictionaries(
    KEYS,
    st.one_of(VALUES, st.lists(st.dictionaries(KEYS, VALUES, max_size=5), max_size=3)),
    max_size=8,
)


def check(text: str) -> None:
    result = parse(text, "prop.md")
    json.dumps(runbook_to_dict(result.runbook, result.diagnostics))
    # Lines as the parser counts them: CRLF and a lone CR are line breaks too.
    lines = normalize_text(text).count("\n") + 2
    for diagnostic in result.diagnostics:
        assert diagnostic.code in CODES
        assert 1 <= diagnostic.line <= lines
    ids = [s.id for s in result.runbook.steps]
    assert len(ids) == len(set(ids))


@SETTINGS
@given(st.text(max_size=300))
def test_arbitrary_text_never_raises(text: str) -> None:
    check(text)


@SETTINGS
@given(MARKDOWNISH)
def test_markdown_like_text_never_raises(text: str) -> None:
    check(text)


# Generating nested YAML values is the slow part: fewer, richer examples.
@settings(SETTINGS, max_examples=150)
@given(FRONT, MARKDOWNISH)
def test_arbitrary_front_matter_never_raises(front: dict, body: str) -> None:
    check("---\n" + yaml.safe_dump(front, allow_unicode=True) + "---\n" + body)


@SETTINGS
@given(st.text(max_size=200))
def test_arbitrary_text_as_front_matter_never_raises(front: str) -> None:
    check("---\n" + front.replace("---", "- -") + "\n---\n# T\n")


@SETTINGS
@given(st.text(max_size=80))
def test_any_info_string_gives_a_language_and_a_dict(info: str) -> None:
    from runbook_tui.runbook.attributes import parse_info, typed_attributes

    parsed = parse_info(info)
    assert isinstance(parsed.attrs, dict)
    assert parsed.error is None or parsed.attrs == {}
    typed_attributes(parsed.attrs)


LINES = st.lists(
    st.one_of(
        st.sampled_from(["$ ls", "$", "$ a \\", "  $ cat <<EOF", "EOF", "# c", "", "out"]),
        st.text(alphabet=st.characters(blacklist_characters="\n"), max_size=10),
    ),
    max_size=12,
)


@SETTINGS
@given(LINES)
def test_console_split_loses_no_line(lines: list[str]) -> None:
    from runbook_tui.runbook.console import split_block

    split = split_block("\n".join(lines), console=True)
    taken = {index for index, _ in split.command_lines}
    output = split.sample_output.split("\n")
    for index, line in enumerate(lines):
        if index not in taken and line.strip():
            assert line in output
