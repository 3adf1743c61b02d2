"""The errexit and pipefail step attributes and front-matter defaults (issue 8 part 3)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from runbook_tui.runbook.parser import parse
from runbook_tui.runbook.serialize import runbook_to_dict


def options(text: str) -> list[tuple[bool, bool]]:
    return [(s.errexit, s.pipefail) for s in parse(text).runbook.steps if s.kind == "shell"]


def test_shell_steps_fail_fast_by_default() -> None:
    text = "# T\n\n```sh\ncd app\nmake\n```\n"
    result = parse(text)
    assert result.diagnostics == []
    assert options(text) == [(True, True)]
    assert (result.runbook.errexit, result.runbook.pipefail) == (True, True)


@pytest.mark.parametrize(
    ("info", "expected"),
    [
        ('sh {"errexit":"false"}', (False, True)),
        ('sh {"errexit":false}', (False, True)),
        ('sh {"pipefail":"false"}', (True, False)),
        ("sh { errexit=false }", (False, True)),
        ("sh { pipefail=false }", (True, False)),
        ("sh { errexit=false pipefail=no }", (False, False)),
        ("bash { errexit=true pipefail=true }", (True, True)),
        ("sh { errexit }", (True, True)),  # a bare key is true
    ],
)
def test_step_attributes(info: str, expected: tuple[bool, bool]) -> None:
    result = parse(f"```{info}\nx\n```\n")
    assert result.diagnostics == []
    assert options(f"```{info}\nx\n```\n") == [expected]


@pytest.mark.parametrize(
    "attrs", ['{"errexit":"maybe"}', '{"pipefail":3}', "{ errexit=nope }", '{"pipefail":null}']
)
def test_bad_attribute_value_is_a_lint_error(attrs: str) -> None:
    result = parse(f"```sh {attrs}\nx\n```\n")
    assert [(d.code, d.severity) for d in result.diagnostics] == [("bad-attribute", "error")]
    assert "expected true or false" in result.diagnostics[0].message
    assert options(f"```sh {attrs}\nx\n```\n") == [(True, True)]


def test_front_matter_defaults_and_step_overrides() -> None:
    text = (
        "---\nerrexit: false\npipefail: false\n---\n# T\n\n"
        "```sh\nplain\n```\n\n"
        "```sh { errexit=true }\nstrict\n```\n\n"
        '```sh {"pipefail":"true"}\npiped\n```\n'
    )
    result = parse(text)
    assert result.diagnostics == []
    assert (result.runbook.errexit, result.runbook.pipefail) == (False, False)
    assert options(text) == [(False, False), (True, False), (False, True)]


def test_front_matter_true_is_the_default_spelled_out() -> None:
    text = "---\nerrexit: true\npipefail: yes\n---\n# T\n\n```sh { pipefail=false }\nx\n```\n"
    result = parse(text)
    assert result.diagnostics == []
    assert options(text) == [(True, False)]


@pytest.mark.parametrize("value", ['"false"', "maybe", "0", "[]"])
def test_front_matter_value_that_is_not_a_boolean_is_a_lint_error(value: str) -> None:
    text = f"---\ntitle: T\nerrexit: {value}\npipefail: {value}\n---\n# T\n\n```sh\nx\n```\n"
    result = parse(text)
    found = [(d.code, d.severity, d.line) for d in result.diagnostics]
    assert found == [("wrong-type", "error", 3), ("wrong-type", "error", 4)]
    assert "errexit must be true or false" in result.diagnostics[0].message
    # The bad value is ignored: steps keep the default.
    assert options(text) == [(True, True)]


def test_the_keys_are_known_not_warned_about() -> None:
    result = parse("---\nerrexit: false\n---\n# T\n\n```sh\nx\n```\n")
    assert [d.code for d in result.diagnostics] == []


def test_show_json_includes_them() -> None:
    text = "---\npipefail: false\n---\n# T\n\n```sh { errexit=false }\nx\n```\n\n```sh\ny\n```\n"
    doc = json.loads(json.dumps(runbook_to_dict(parse(text).runbook)))
    assert (doc["errexit"], doc["pipefail"]) == (True, False)
    assert [(s["errexit"], s["pipefail"]) for s in doc["steps"]] == [(False, False), (True, False)]


def test_show_json_cli_includes_them(tmp_path: Path) -> None:
    path = tmp_path / "rb.md"
    path.write_text("---\nerrexit: false\n---\n# T\n\n```sh { pipefail=false }\nx\n```\n")
    done = subprocess.run(
        [sys.executable, "-m", "runbook_tui", "show", str(path), "--json"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    assert (doc["errexit"], doc["pipefail"]) == (False, True)
    (step,) = doc["steps"]
    assert (step["errexit"], step["pipefail"]) == (False, False)
    assert step["attrs"] == {"pipefail": "false"}
