"""Step ids: from names, otherwise stable under edits elsewhere, always unique."""

from __future__ import annotations

from runbook_tui.runbook.parser import parse


def ids(text: str) -> list[str]:
    return [s.id for s in parse(text).runbook.steps]


BASE = "# Deploy\n\n## Prepare\n\n```sh\necho prepare\n```\n\n## Release\n\n```sh\n./release\n```\n"


def test_named_step_id_is_its_name() -> None:
    assert ids('```sh {"name":"restore-db"}\nx\n```\n') == ["restore-db"]


def test_name_that_is_not_an_id_is_slugified() -> None:
    assert ids('```sh {"name":"Restore the DB!"}\nx\n```\n') == ["restore-the-db"]


def test_unnamed_step_id_is_section_slug_and_content_hash() -> None:
    first, second = ids(BASE)
    assert first.startswith("prepare-") and second.startswith("release-")
    assert len(first) == len("prepare-") + 6


def test_ids_survive_edits_elsewhere_in_the_file() -> None:
    before = ids(BASE)
    edited = BASE.replace("# Deploy\n", "# Deploy\n\nNew prose.\n\n- [ ] a new manual step\n")
    edited = edited.replace("echo prepare", "echo prepare --verbose")
    after = ids(edited)
    assert after[-1] == before[-1]
    assert len(after) == 3


def test_reindenting_a_command_keeps_its_id() -> None:
    moved = "# Deploy\n\n## Release\n\n1. Run it:\n\n   ```sh\n   ./release\n   ```\n"
    assert ids(moved) == ids(BASE)[1:]


def test_identical_steps_in_one_section_are_disambiguated_in_order() -> None:
    text = "## Check\n\n```sh\nx\n```\n\n```sh\nx\n```\n\n```sh\nx\n```\n"
    first, second, third = ids(text)
    assert (second, third) == (f"{first}-2", f"{first}-3")


def test_duplicate_step_names_are_an_error_and_ids_stay_unique() -> None:
    text = '```sh {"name":"a"}\nx\n```\n\n```sh {"name":"a"}\ny\n```\n'
    result = parse(text)
    assert [(d.code, d.line) for d in result.diagnostics] == [("duplicate-name", 5)]
    assert [s.id for s in result.runbook.steps] == ["a", "a-2"]


def test_a_name_wins_its_id_over_an_earlier_derived_step() -> None:
    text = "## S\n\n```sh\nx\n```\n"
    derived = ids(text)[0]
    named = text + f'\n```sh {{"name":"{derived}"}}\ny\n```\n'
    assert ids(named) == [f"{derived}-2", derived]


def test_steps_before_any_heading_get_a_step_prefix() -> None:
    assert ids("```sh\nx\n```\n")[0].startswith("step-")
