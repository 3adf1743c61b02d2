"""Whole-runbook warnings: placeholders, no steps, danger without rollback."""

from __future__ import annotations

from runbook_tui.runbook.codes import CODES
from runbook_tui.runbook.lint import placeholder_variable
from runbook_tui.runbook.parser import parse


def found(text: str) -> list[tuple[str, int, int]]:
    return [(d.code, d.line, d.column) for d in parse(text).diagnostics]


def test_placeholder_is_a_warning_at_its_column_suggesting_a_variable() -> None:
    result = parse("# T\n\n```console\n$ oc get pods -n <namespace>\n```\n")
    (diag,) = result.diagnostics
    assert (diag.code, diag.line, diag.column) == ("placeholder", 4, 18)
    assert "NAMESPACE" in diag.message and '"$NAMESPACE"' in diag.message


def test_placeholder_column_accounts_for_list_indentation() -> None:
    text = "1. Step\n\n   ```sh\n   oc get pod <pod name>\n   ```\n"
    assert found(text) == [("placeholder", 4, 15)]


def test_placeholder_reported_once_per_step() -> None:
    text = "```sh\noc get -n <ns> a\noc get -n <ns> b\n```\n"
    assert [c for c, *_ in found(text)] == ["placeholder"]


def test_placeholder_message_notes_a_declared_variable() -> None:
    text = "---\nvariables:\n  NS: {}\n---\n```sh\noc -n <ns>\n```\n"
    (diag,) = parse(text).diagnostics
    assert "is declared" in diag.message


def test_redirections_heredocs_and_sample_output_are_not_placeholders() -> None:
    text = "```console\n$ sort <in.txt >out.txt\n$ cat <<EOF\nEOF\n<not-run>\n```\n"
    assert found(text) == []


def test_placeholder_variable_names() -> None:
    assert placeholder_variable("pod name") == "POD_NAME"
    assert placeholder_variable("osd-pod") == "OSD_POD"
    assert placeholder_variable("1st") == "_1ST"


def test_runbook_without_steps_is_a_warning() -> None:
    assert found("# Only prose\n") == [("no-steps", 1, 1)]


def test_danger_step_in_deploy_without_rollback_is_a_warning() -> None:
    text = '---\nkind: deploy\n---\n```sh {"danger":"yes"}\nx\n```\n'
    assert found(text) == [("danger-without-rollback", 4, 1)]


def test_danger_step_with_rollback_section_is_fine() -> None:
    text = '---\nkind: deploy\n---\n```sh {"danger":"yes"}\nx\n```\n\n## Rollback\n\nundo by hand\n'
    assert found(text) == []


def test_danger_step_outside_deploy_runbooks_is_fine() -> None:
    text = '---\nkind: restore\n---\n```sh {"danger":"yes"}\nx\n```\n'
    assert found(text) == []


def test_every_code_is_documented() -> None:
    from pathlib import Path

    doc = (Path(__file__).parents[2] / "docs" / "runbook-format.md").read_text()
    missing = [code for code in CODES if f"`{code}`" not in doc]
    assert missing == []
