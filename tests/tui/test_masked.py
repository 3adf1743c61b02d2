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


def test_control_characters_are_shown_escaped_everywhere_the_screen_shows_text() -> None:
    """The parser's `check` refuses such a runbook; the screen's copy is the second line
    of defence, built from a runbook model directly."""
    from runbook_tui.runbook.model import Runbook, Section, Step

    runbook = Runbook(
        title="Deploy \x1b]0;pwned\x07",
        steps=(
            Step(
                id="a",
                kind="shell",
                command="touch x ; : \x1b[2K\x1b[1G $ echo harmless",
                line=3,
                name="harm\x9bless",
                section=("Swap \x1b[31m",),
            ),
        ),
        sections=(Section("Swap \x1b[31m", 2, 2, ("Swap \x1b[31m",), prose="Mind \x1b[8mhidden"),),
    )
    shown = masked_copy(runbook)
    texts = [shown.title, shown.steps[0].command, shown.steps[0].title, *shown.steps[0].section]
    texts += [shown.sections[0].title, shown.sections[0].prose, *shown.sections[0].path]
    for text in texts:
        assert not any(ch in text for ch in "\x1b\x07\x9b"), text
    assert shown.steps[0].command == "touch x ; : \\x1b[2K\\x1b[1G $ echo harmless"
    # The step still finds its section's prose: both are escaped alike.
    assert shown.section_for(shown.steps[0]) is shown.sections[0]


def test_reference_blocks_and_the_prose_beside_a_step_are_masked_and_escaped(
    tmp_path: Path,
) -> None:
    """The edit box opens on a block's text as the screen shows it: never a token shape,
    never a raw control character."""
    path = tmp_path / "book.md"
    path.write_text(
        "# Book\n\n## Rotate\n\n"
        "Use the token token=s3cr3ts3cr3t only here \x1b[8m.\n\n"
        '```sh {"name":"rotate"}\nvault write auth\n```\n\n'
        "```\nvault login token=abcdefabcdef \x1b]0;x\x07\n```\n"
    )
    runbook = parse_file(path)
    shown = masked_copy(runbook)
    [step], [ref] = shown.steps, shown.references
    assert "s3cr3t" not in step.prose and "********" in step.prose
    assert "abcdef" not in ref.text and "********" in ref.text
    assert "\x1b" not in ref.text and "\\x1b" in ref.text
    assert ref.id == runbook.references[0].id
    assert "abcdef" in runbook.references[0].text  # the engine's copy is untouched
