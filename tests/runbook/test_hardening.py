"""Issue 9: what an adversarial run broke in the parser and linter, each fixed at the
mechanism. Every test here failed before its fix."""

from __future__ import annotations

import pytest

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
