"""Flat front matter read without PyYAML: whenever the fast path answers, it answers
exactly what PyYAML does, and a runbook it takes never imports yaml."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from unittest import mock

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from runbook_tui.runbook import frontmatter
from runbook_tui.runbook.codes import DiagnosticSink
from runbook_tui.runbook.frontmatter import (
    FrontMatterBlock,
    _load_flat,
    _load_with_pyyaml,
    read_front_matter,
)

BENCH_FRONT_MATTER = "title: Two hundred steps\nkind: maintenance\n"

GOOD_KEYS = ("title", "kind", "owner", "rto", "Title", "x-y", "a.b", "a_b", "k2")
TRICKY_KEYS = [
    *("yes", "On", "NULL", "true", "y", "n", "1a", "-k", "k k", "k:k", "café", "?k"),
    *("'k'", '"k"', "[k]", "&k", "*k", "!k", "<<", "=", "~", "k\tk", "k" * 64, "k" * 65),
    *("1", "0x1", "1.5", "-1", ".inf", "2024-01-02", "k" * 1030),
]
# Values YAML may read as something else than the text, or not read at all.
TRICKY_VALUES = [
    *("yes", "Yes", "YES", "yEs", "no", "No", "true", "True", "TRUE", "tRUE", "false"),
    *("on", "On", "ON", "off", "Off", "OFF", "y", "Y", "n", "N", "null", "Null", "NULL"),
    *("nuLL", "~", "<<", "=", "1.10", "0755", "0x1f", "-1", "+3", ".5", "1_000", "1:30"),
    *(".inf", ".NaN", "2024-01-02", "2024-13-45", "1e5", "1h30m", "a: b", "a:", "a :b"),
    *("a:b", "x #c", "x#c", "# c", "'q'", '"q"', "'q", "[a, b]", "{a: b}", "- a", "-a"),
    *("&a x", "*a", "!t x", "!!str x", "|", ">", "%x", "@x", "`x", "?", "? x", ",x"),
    *("a\tb", "café", "a\u2028b", "a\x85b", "a\x7fb", "a\x1bb", "a\rb", "", " ", "---"),
    *("...", "a ---", "x\\ny", "it's", 'say "hi"', "(a) [b] {c}", "a/b/c", "a, b"),
]
# Text that may change how a value reads, inserted anywhere in it.
TRICKY_PIECES = [
    *(" #", "#", " # c", ": ", ":", " :", ":\t", "\t", "  ", "é", "\u2028", "\x85"),
    *("\x7f", "\x1b", "\r", "'", '"', "[", "{", "&", "*", "!", "|", ">", "%", "@", "`"),
    *("?", "-", ",", "~", "=", "<<", "0", ".", " - "),
]
SAFE_WORDS = st.text(alphabet=st.sampled_from(list("abXY09-_.,/()'\"!?&*%@`~=<>|[]{}\\")))
# Text the fast path should take: a letter, then words with single or double spaces.
GOOD_VALUES = st.builds(
    lambda first, words, gaps: (
        first + "".join(gap + word for gap, word in zip(gaps, words, strict=False))
    ),
    st.sampled_from(["a", "Z", "Two", "maintenance", "deploy", "t", "nulL", "yEs"]),
    st.lists(SAFE_WORDS, max_size=4),
    st.lists(st.sampled_from([" ", " ", "  ", "", ":"]), min_size=4, max_size=4),
)
TRICKY_SEPARATORS = (":", " : ", ":\t", "\t: ", ": \t", "::", ": :")
TRICKY_INDENTS = (" ", "  ", "\t", "- ", "? ", "# ")
TRICKY_TRAILERS = ("\t", " \t", ":", " :", " #", " # c", "#", "é")
CHANGES = st.sampled_from([None, None, None, "key", "sep", "value", "insert", "indent", "trail"])


@st.composite
def pair_lines(draw: st.DrawFn) -> str:
    """A `key: value` line the fast path should take, or one with a single change that
    may make YAML read it otherwise."""
    key, sep = draw(st.sampled_from(GOOD_KEYS)), draw(st.sampled_from([": ", ":  "]))
    value = draw(GOOD_VALUES)
    indent, trail = "", draw(st.sampled_from(["", " ", "  "]))
    change = draw(CHANGES)
    if change == "key":
        key = draw(st.sampled_from(TRICKY_KEYS))
    elif change == "sep":
        sep = draw(st.sampled_from(TRICKY_SEPARATORS))
    elif change == "value":
        value = draw(st.sampled_from(TRICKY_VALUES))
    elif change == "insert":
        at = draw(st.integers(0, len(value)))
        value = value[:at] + draw(st.sampled_from(TRICKY_PIECES)) + value[at:]
    elif change == "indent":
        indent = draw(st.sampled_from(TRICKY_INDENTS))
    elif change == "trail":
        trail = draw(st.sampled_from(TRICKY_TRAILERS))
    return indent + key + sep + value + trail


OTHER_LINES = [
    *("", "", " ", "\t", " \t ", "# comment", "  - item", "list:", "  nested: x", "---"),
    *("...", "%YAML 1.1", "- a", "[a]", "? k", "title:", "title: "),
]
LINES = st.one_of(pair_lines(), pair_lines(), pair_lines(), st.sampled_from(OTHER_LINES))
TEXTS = st.lists(LINES, min_size=1, max_size=5).map(lambda lines: "\n".join(lines) + "\n")
# One pair between blank (or blank-looking) lines: each change is tried on its own.
BLANKS = ("", "\n", "\n\n", " \n", "\t\n", "  \n")
ONE_PAIR = st.builds(
    lambda before, line, after: f"{before}{line}\n{after}",
    st.sampled_from(BLANKS),
    pair_lines(),
    st.sampled_from(BLANKS),
)


def _each_tricky_case() -> list[str]:
    """Every listed change on its own, beside an accepted pair: the cases the property
    test may draw too rarely to rely on."""
    good = "title: a b"
    lines = [f"title: {value}" for value in TRICKY_VALUES]
    lines += [f"{key}: value" for key in TRICKY_KEYS]
    lines += [f"title{sep}a" for sep in TRICKY_SEPARATORS]
    lines += [f"{indent}{good}" for indent in TRICKY_INDENTS]
    lines += [f"{good}{trail}" for trail in TRICKY_TRAILERS]
    lines += [f"title: {v}" for p in TRICKY_PIECES for v in (f"{p}a b", f"a{p}b", f"a b{p}")]
    lines += list(OTHER_LINES)
    texts = [f"{line}\n" for line in lines]
    texts += [f"{good}\n{line}\n" for line in lines] + [f"{line}\n{good}\n" for line in lines]
    texts += [f"{blank}{good}\n{blank}" for blank in BLANKS]
    texts += [f"{good}\n{blank}kind: b\n" for blank in BLANKS]
    return texts


def _block(text: str) -> FrontMatterBlock:
    return FrontMatterBlock(text, 2, 0, 0)


def _pyyaml(block: FrontMatterBlock) -> tuple[object, list[object]]:
    sink = DiagnosticSink()
    return _load_with_pyyaml(block, sink), sink.items


def _read(block: FrontMatterBlock) -> tuple[object, list[object]]:
    sink = DiagnosticSink()
    return read_front_matter(block, sink), sink.items


def _agrees_when_taken(text: str) -> bool:
    """Whether the fast path took `text`; when it did, assert PyYAML reads the same."""
    block = _block(text)
    fast = _load_flat(block)
    if fast is None:
        return False
    # libyaml's loader (the one used when PyYAML has it) and PyYAML's own both agree.
    assert _pyyaml(block) == (fast, [])
    with mock.patch.object(yaml, "CSafeLoader", yaml.SafeLoader, create=True):
        assert _pyyaml(block) == (fast, [])
    with_fast = _read(block)
    with mock.patch.object(frontmatter, "_load_flat", lambda block: None):
        assert _read(block) == with_fast
    return True


@pytest.mark.parametrize("texts", [ONE_PAIR, TEXTS], ids=["one-pair", "several-lines"])
def test_fast_path_agrees_with_pyyaml_whenever_it_answers(texts: st.SearchStrategy[str]) -> None:
    taken: list[bool] = []

    @settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(texts)
    def check(text: str) -> None:
        taken.append(_agrees_when_taken(text))

    check()
    # The grammar reaches both sides, so the comparison is not vacuous.
    assert 50 < sum(taken) < len(taken) - 50


def test_fast_path_agrees_with_pyyaml_on_each_tricky_case() -> None:
    texts = _each_tricky_case()
    taken = [text for text in texts if _agrees_when_taken(text)]
    assert 50 < len(taken) < len(texts) - 50


def test_bench_front_matter_is_taken_by_the_fast_path() -> None:
    block = _block(BENCH_FRONT_MATTER)
    expected = (
        {"title": "Two hundred steps", "kind": "maintenance"},
        {(): 2, ("title",): 2, ("kind",): 3},
        {},
    )
    assert _load_flat(block) == expected
    assert _pyyaml(block) == (expected, [])


def test_blank_lines_and_trailing_spaces_read_as_pyyaml_does() -> None:
    block = _block("\ntitle: a  b (c)  \n\nowner: it's/ours\n\n")
    fast = _load_flat(block)
    assert fast == (
        {"title": "a  b (c)", "owner": "it's/ours"},
        {(): 3, ("title",): 3, ("owner",): 5},
        {},
    )
    assert _pyyaml(block) == (fast, [])


@pytest.mark.parametrize(
    "text",
    [
        "title: yes\n",
        "title: a: b\n",
        "title: x #c\n",
        "restores:\n  - a\n",
        "- a\n- b\n",
        "title: a\ntitle: b\n",
        "title: 'quoted'\n",
        "title:\n",
        "  title: x\n",
        "title: café\n",
        "title: 1.10\n",
        "# comment\ntitle: x\n",
    ],
)
def test_anything_but_flat_string_pairs_falls_back(text: str) -> None:
    assert _load_flat(_block(text)) is None


def _yaml_imported(tmp_path: Path, front_matter: str) -> bool:
    path = tmp_path / "runbook.md"
    path.write_text(f"---\n{front_matter}---\n\n# T\n\n```sh\necho hi\n```\n")
    probe = (
        "import sys\n"
        "from runbook_tui.runbook.parser import load\n"
        f"load({str(path)!r})\n"
        "print('yaml' in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    return {"True\n": True, "False\n": False}[result.stdout]


def test_loading_a_flat_runbook_never_imports_yaml(tmp_path: Path) -> None:
    assert _yaml_imported(tmp_path, BENCH_FRONT_MATTER) is False
    # The probe does see the import when the front matter needs PyYAML.
    assert _yaml_imported(tmp_path, "title: x\nrestores: [a]\n") is True
