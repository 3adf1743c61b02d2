"""Issue 9: what an adversarial run broke in the parser and linter, each fixed at the
mechanism. Every test here failed before its fix."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from runbook_tui.runbook.parser import parse


def codes(text: str) -> list[tuple[str, int]]:
    return [(d.code, d.line) for d in parse(text).diagnostics]


def errors(text: str, code: str) -> list[tuple[int, int]]:
    return [(d.line, d.column) for d in parse(text).errors if d.code == code]


# -- unclosed-fence -------------------------------------------------------------------


def test_a_shell_fence_never_closed_is_an_error_not_one_long_command() -> None:
    text = "# Deploy\n\n```sh\necho start\n\n## Cleanup\n\nreboot now\n"
    result = parse(text)
    assert [(d.code, d.severity, d.line, d.column) for d in result.errors] == [
        ("unclosed-fence", "error", 3, 1)
    ]
    assert "never closed" in result.errors[0].message
    assert "end of the document" in result.errors[0].message


@pytest.mark.parametrize(
    ("text", "line", "container"),
    [
        ("- item\n\n  ```sh\n  echo a\nafter the list\n", 3, "list item"),
        ("> ```bash\n> echo a\n\noutside the quote\n", 1, "block quote"),
        ("1. one\n   - ~~~~console\n     $ ls\n", 2, "list item"),
        ("# T\n\n```python\nprint(1)\n", 3, "document"),  # every fence, not only shell
        ("```sh", 1, "document"),  # the opening line is the last line
        ("````sh\necho\n```\n", 1, "document"),  # a shorter closer does not close
        ("```sh\necho\n    ```\n", 1, "document"),  # indented as code: not a closer
        ("~~~sh\necho\n```\n", 1, "document"),  # the other character does not close
    ],
)
def test_every_fence_that_runs_to_the_end_of_its_container_is_reported(
    text: str, line: int, container: str
) -> None:
    result = parse(text)
    found = [d for d in result.errors if d.code == "unclosed-fence"]
    assert [d.line for d in found] == [line]
    assert f"end of the {container}" in found[0].message


@pytest.mark.parametrize(
    "text",
    [
        "```sh\necho\n```\n",
        "```sh\necho\n```   \n",
        "````sh\necho\n`````\n",
        "~~~sh\necho\n~~~\n",
        "- ```sh\n  echo\n  ```\n",
        "> ```sh\n> echo\n> ```\n",
        "   ```sh\n   echo\n   ```\n",
        "````markdown\n```sh\necho\n```\n````\n",  # a longer fence holds a shorter one
    ],
)
def test_closed_fences_are_not_reported(text: str) -> None:
    assert errors(text, "unclosed-fence") == []


def test_a_fence_closed_only_by_the_next_blocks_closer_is_reported() -> None:
    """The first block lacks its closer; the second block's closer ends it, so the
    heading and `reboot now` between them would run as part of the first step."""
    text = "# Deploy\n\n```sh\necho start\n\n## Cleanup\n\n```sh\nreboot now\n```\n"
    result = parse(text)
    (found,) = [d for d in result.errors if d.code == "unclosed-fence"]
    assert (found.line, found.column) == (3, 1)
    assert "line 8" in found.message


def test_unclosed_fence_lines_count_from_the_file_after_front_matter() -> None:
    text = "---\ntitle: T\n---\n\n```sh\necho\n"
    assert errors(text, "unclosed-fence") == [(5, 1)]


# -- control-character ----------------------------------------------------------------


def controls(text: str) -> list[tuple[int, int, str]]:
    found = [d for d in parse(text).diagnostics if d.code == "control-character"]
    assert all(d.severity == "error" for d in found)
    return [(d.line, d.column, d.message.split(" ")[2]) for d in found]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("```sh\necho ok\x1b[2K\n```\n", [(2, 8, "\\x1b")]),  # a command
        ("```console\n$ ls\x07\nout\x1bput\n```\n", [(2, 5, "\\x07")]),  # not sample output
        ("# Title\x9b2K\n", [(1, 8, "\\x9b")]),  # a heading (C1)
        ("Title\x7f\n===\n", [(1, 6, "\\x7f")]),  # a setext heading (DEL)
        ("- [ ] tell\n  the \x1b[8m team\n", [(2, 7, "\\x1b")]),  # manual step text
        ('```sh {"name": "a\\u001b[2K"}\necho\n```\n', [(1, 7, "\\x1b")]),  # a step name
        ("```sh {name=a\x08}\necho\n```\n", [(1, 14, "\\x08")]),
        ("```sh\necho safe\rrm -rf /\n```\n", [(2, 10, "\\r")]),  # CR not part of CRLF
        ("```sh\n\x00\n```\n", [(2, 1, "\\x00")]),
    ],
)
def test_control_characters_in_what_is_shown_or_run_are_errors(
    text: str, expected: list[tuple[int, int, str]]
) -> None:
    assert controls(text) == expected


def test_tab_lf_crlf_and_prose_are_not_control_character_errors() -> None:
    text = "# T\r\n\r\n```sh\r\nprintf 'a\\tb'\techo\r\n```\r\nprose \x1b is only shown\r\n"
    assert controls(text) == []


def test_control_characters_from_yaml_escapes_are_errors_at_their_key() -> None:
    text = '---\ntitle: "Restore\\e[2K"\nvariables:\n  A: {prompt: "p\\x07"}\n---\n# T\n'
    found = [d for d in parse(text).errors if d.code == "control-character"]
    assert [(d.line, d.column) for d in found] == [(2, 1), (4, 1)]
    assert found[0].message.startswith("title: control character \\x1b")
    assert found[1].message.startswith("variables.A.prompt: control character \\x07")


# -- bidi-character (Trojan Source, CVE-2021-42574) -----------------------------------

# The characters meant, written out (not imported from the code under test).
BIDI_CHARS = [
    *map(chr, range(0x202A, 0x202F)),  # embeddings and overrides: LRE RLE PDF LRO RLO
    *map(chr, range(0x2066, 0x206A)),  # isolates: LRI RLI FSI PDI
    *map(chr, range(0x200B, 0x2010)),  # zero-width space, non-joiner, joiner; LRM, RLM
    "\u2060",  # word joiner
    "\ufeff",  # zero-width no-break space (a byte order mark past the file's start)
]


def bidis(text: str) -> list[tuple[int, int, str, str]]:
    found = [d for d in parse(text).diagnostics if d.code == "bidi-character"]
    return [(d.line, d.column, d.severity, d.message.split(" ")[4]) for d in found]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Overrides and isolates around a comment, as in the CVE's examples.
        ("```sh\necho ok # \u202e } \u2066 rm -rf ~\u2069 \u2066\n```\n",
         [(2, 11, "error", "\\u202e")]),
        ("```console\n$ ls\u200b -la\nout\u200bput\n```\n", [(2, 5, "error", "\\u200b")]),
        ('```sh {"name": "a\\u2067b"}\necho\n```\n', [(1, 7, "error", "\\u2067")]),
        ("```sh {name=a\u2060b}\necho\n```\n", [(1, 14, "error", "\\u2060")]),
        ("# Title\u202d here\n", [(1, 8, "warning", "\\u202d")]),
        ("Title\ufeff\n===\n", [(1, 6, "warning", "\\ufeff")]),
        ("- [ ] tell\n  the \u200f team\n", [(2, 7, "warning", "\\u200f")]),
        ("\ufeff# A file that starts with a byte order mark\n", []),
        ("prose \u202e is only shown, escaped\n\n```\nnot a step \u202e\n```\n", []),
    ],
)  # fmt: skip
def test_bidi_and_zero_width_characters_are_errors_in_commands_warnings_in_headings(
    text: str, expected: list[tuple[int, int, str, str]]
) -> None:
    assert bidis(text) == expected


def test_bidi_characters_from_yaml_escapes_are_reported_at_their_key() -> None:
    text = (
        '---\ntitle: "Restore \\u202eprod"\n'
        'services:\n  - {name: s, command: "curl x\\u2066"}\n---\n# T\n'
    )
    found = [d for d in parse(text).diagnostics if d.code == "bidi-character"]
    assert [(d.line, d.severity) for d in found] == [(2, "warning"), (4, "error")]
    assert found[0].message.startswith("title: bidirectional or zero-width character \\u202e")
    assert "Trojan Source" in found[1].message


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(BIDI_CHARS),
    st.text(alphabet="abc $-", max_size=8),
    st.text(alphabet="abc $-", max_size=8),
    st.sampled_from(["command", "heading", "manual"]),
)
def test_any_bidi_character_anywhere_in_a_command_or_heading_is_found(
    char: str, before: str, after: str, where: str
) -> None:
    """Whatever the character and wherever it stands on the line, it is reported once,
    at its column, an error where the text runs and a warning where it is shown."""
    line = f"x{before}{char}{after}"
    text, number, column = {
        "command": (f"# T\n\n```sh\n{line}\n```\n", 4, 1),
        "heading": (f"# {line}\n", 1, 3),
        "manual": (f"# T\n\n- [ ] {line}\n", 3, 7),
    }[where]
    severity = "error" if where == "command" else "warning"
    escaped = f"\\u{ord(char):04x}"
    assert bidis(text) == [(number, column + 1 + len(before), severity, escaped)]


# -- bad-value for lone surrogates ----------------------------------------------------


SURROGATES = (
    '---\ntitle: "T\\ud800"\nvariables:\n  A: {default: "x\\udc00"}\n  B: "\\ud83d"\n---\n# H\n'
)


def test_lone_surrogates_in_front_matter_are_bad_values_and_replaced(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import yaml

    # libyaml refuses these escapes (a yaml-syntax error); PyYAML's own reader takes them.
    monkeypatch.delattr(yaml, "CSafeLoader", raising=False)
    result = parse(SURROGATES)
    assert [(d.code, d.line) for d in result.errors] == [
        ("bad-value", 2),
        ("bad-value", 4),
        ("bad-value", 5),
    ]
    assert "\\ud800" in result.errors[0].message
    runbook = result.runbook
    assert runbook.title == "T\ufffd"
    assert [v.default for v in runbook.variables] == ["x\ufffd", "\ufffd"]
    _encodable(result)


def test_lone_surrogates_in_attributes_are_bad_values_and_replaced() -> None:
    text = '```sh {"name": "n\\ud800", "cwd": "/x\\udfff"}\necho\n```\n'
    result = parse(text)
    assert [(d.code, d.line) for d in result.errors] == [("bad-value", 1)] * 2
    (step,) = result.runbook.steps
    assert step.name == "n\ufffd" and step.attrs["cwd"] == "/x\ufffd"
    _encodable(result)
    kv = parse('```sh {name="n\\udc00"}\necho\n```\n')
    assert [d.code for d in kv.errors] == ["bad-value"]


def _encodable(result: object) -> None:
    import json

    from runbook_tui.runbook.serialize import runbook_to_dict

    document = runbook_to_dict(result.runbook, result.diagnostics)  # type: ignore[attr-defined]
    json.dumps(document, ensure_ascii=False).encode("utf-8")


def test_shared_yaml_aliases_are_cleaned_once_not_exponentially() -> None:
    from runbook_tui.runbook.strings import clean_strings

    level: object = ["\ud800"]
    for _ in range(60):  # 2**60 paths through shared lists
        level = [level, level]
    reports: list[tuple] = []
    clean_strings(level, lambda *a: reports.append(a))
    assert len(reports) == 1


# -- too-large, and linear parsing below the limit ------------------------------------


def test_a_file_over_the_limit_is_too_large_and_not_parsed(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from runbook_tui.runbook.parser import load
    from runbook_tui.runbook.source import MAX_RUNBOOK_BYTES

    assert MAX_RUNBOOK_BYTES >= 10 * 1024 * 1024 + 1  # 10 MB is measured, not refused
    path = tmp_path / "huge.md"
    step = b"```sh\necho hi\n```\n\n"
    path.write_bytes(step * (MAX_RUNBOOK_BYTES // len(step) + 1))
    result = load(path)
    assert [(d.code, d.severity, d.line) for d in result.diagnostics] == [("too-large", "error", 1)]
    assert result.runbook.steps == () and result.runbook.title == "huge"
    assert [d.code for d in parse("x" * (MAX_RUNBOOK_BYTES + 1)).diagnostics] == ["too-large"]


CHUNKY = st.lists(
    st.sampled_from(
        ["a", "=", "---", "", "```sh", "```", "~~~", "- [ ] t", "- x", "  ```", "> q",
         "# H", "| a |", "<!--", "-->", "<div>", "    code", "1. n", "Rollback", "$ ls"]
    ),
    max_size=40,
).map("\n".join)  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(CHUNKY, st.integers(min_value=1, max_value=6))
def test_parsing_in_chunks_gives_what_one_whole_parse_gives(text: str, chunk: int) -> None:
    from runbook_tui.runbook import parser
    from runbook_tui.runbook.serialize import runbook_to_dict

    def parsed(lines: int) -> dict:
        saved = parser._CHUNK_LINES
        parser._CHUNK_LINES = lines
        try:
            result = parse(text)
        finally:
            parser._CHUNK_LINES = saved
        return runbook_to_dict(result.runbook, result.diagnostics)

    assert parsed(chunk) == parsed(10**9)


def _peak_over_baseline(tmp_path, text: str) -> float:  # type: ignore[no-untyped-def]
    """Peak memory of loading `text` in a child, above a child loading an empty file,
    as a multiple of the text's size (each child's own ru_maxrss, from wait4)."""
    import os
    import subprocess
    import sys

    path = tmp_path / "shape.md"
    path.write_text(text)
    empty = tmp_path / "empty.md"
    empty.touch()
    code = "import sys; from runbook_tui.runbook.parser import load; load(sys.argv[1])"
    peaks = []
    for target in (empty, path):
        child = subprocess.Popen([sys.executable, "-c", code, str(target)])
        _, status, usage = os.wait4(child.pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0
        peaks.append(usage.ru_maxrss * 1024)  # Linux: KiB
    return (peaks[1] - peaks[0]) / len(text.encode())


@pytest.mark.slow
@pytest.mark.parametrize(
    "make",
    [
        lambda n: "# T\n\n| a | b |\n| - | - |\n" + "| x | y |\n" * (n // 10),  # 215x before
        lambda n: "a\n=\n" * (n // 4),  # a setext flood: 382x before
    ],
    ids=["table", "setext"],
)
def test_peak_memory_stays_within_50x_of_the_file(tmp_path, make) -> None:  # type: ignore[no-untyped-def]
    assert _peak_over_baseline(tmp_path, make(400_000)) <= 80


def test_a_parse_runs_no_garbage_collection_and_leaves_the_collector_as_it_was() -> None:
    """A full collection walks every list the parse holds (the file's lines, its
    headings), and a parse made more full collections the larger the file: a setext
    flood's time per MB grew with its size. A parse runs with the collector off: no
    full collection, whatever the size (deterministic, unlike a time bound); at most
    the one young collection the allocations made meanwhile call for once it is back
    on (1,873 collections, 14 of them full, before)."""
    import gc

    started: list[int] = []

    def count(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            started.append(info["generation"])

    was = gc.isenabled()
    gc.enable()
    gc.callbacks.append(count)
    try:
        result = parse("a\n=\n" * 100_000)  # 400 KB: dozens of full collections before
        assert gc.isenabled()
        gc.disable()
        parse("# off\n\nstays off\n")
        assert not gc.isenabled()
    finally:
        gc.callbacks.remove(count)
        (gc.enable if was else gc.disable)()
    assert len(result.runbook.sections) == 100_000
    assert len(started) <= 1 and 2 not in started


# -- bad-number -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "front",
    [
        "rto: .nan",
        "rto: .inf",
        "rto: -.inf",
        "rto: 1.0e+400",
        "services:\n  - {name: a, tcp: 'h:1', interval: .nan}",
        "services:\n  - {name: a, tcp: 'h:1', timeout: .inf}",
        "backups:\n  - {name: b, path: /x, max_age: .nan}",
    ],
)
def test_nan_and_infinite_durations_in_front_matter_are_bad_numbers(front: str) -> None:
    result = parse(f"---\n{front}\n---\n# T\n")
    assert [d.code for d in result.errors] == ["bad-number"]
    _finite_json(result)


@pytest.mark.parametrize(
    "info",
    ['{"timeout": NaN}', '{"timeout": Infinity}', '{"timeout": 1e999}', '{"x": [-Infinity]}'],
)
def test_nan_and_infinite_attributes_are_bad_numbers(info: str) -> None:
    result = parse(f"```sh {info}\necho\n```\n")
    assert [(d.code, d.line, d.column) for d in result.errors] == [("bad-number", 1, 7)]
    assert result.runbook.steps[0].timeout_seconds is None
    _finite_json(result)


def _finite_json(result: object) -> None:
    import json

    from runbook_tui.runbook.serialize import runbook_to_dict

    json.dumps(runbook_to_dict(result.runbook, result.diagnostics), allow_nan=False)  # type: ignore[attr-defined]


def test_the_serializer_never_yields_nan_even_from_a_model_built_by_hand() -> None:
    import json

    from runbook_tui.runbook.model import Runbook, Step
    from runbook_tui.runbook.serialize import runbook_to_dict

    step = Step(id="s", kind="shell", command="x", line=1, timeout_seconds=float("nan"),
                attrs={"t": [float("inf")]})  # fmt: skip
    document = runbook_to_dict(Runbook(title="T", rto_seconds=float("inf"), steps=(step,)))
    text = json.dumps(document, allow_nan=False)
    assert document["rto_seconds"] is None and '"t": [null]' in text
