"""The runbook copy the screen shows."""

from __future__ import annotations

from pathlib import Path

from runbook_tui.tui.masked import masked_copy

from .conftest import parse_file


def test_a_runbook_without_token_shapes_is_shown_as_it_is(runbook_file: Path) -> None:
    runbook = parse_file(runbook_file)
    assert masked_copy(runbook) is runbook


def test_only_the_text_is_masked_and_a_danger_phrase_stays_typeable(tmp_path: Path) -> None:
    path = tmp_path / "book.md"
    path.write_text(
        "# Book\n\n"
        '```sh {"name":"rotate","danger":"token=abc123abc123"}\n'
        "vault write auth token=s3cr3ts3cr3t\n```\n"
    )
    runbook = parse_file(path)
    shown = masked_copy(runbook)
    [step], [original] = shown.steps, runbook.steps
    assert "s3cr3t" not in step.command and "********" in step.command
    assert "s3cr3t" in original.command  # the engine's copy is untouched
    assert step.id == original.id and step.danger == "token=abc123abc123"
