"""Runbooks written for people: code blocks that are not steps become reference blocks,
placeholders are found, each step carries the prose right above it, and the document
title never makes a rollback section. Fixtures in tests/runbook/fixtures/ are written
in the style of public runbooks (untagged kubectl blocks, console blocks mixing
commands and output, steps nested in lists)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from runbook_tui.runbook.model import Reference
from runbook_tui.runbook.parser import load, parse

FIXTURES = Path(__file__).parent / "fixtures"


def test_every_code_block_that_is_not_a_step_is_a_reference_in_document_order() -> None:
    book = load(FIXTURES / "volume-grow.md").runbook
    refs = book.references
    assert [(r.line, r.language, r.indented) for r in refs] == [
        (17, None, False),  # untagged, `$ ` prompts and output
        (29, None, False),  # untagged kubectl
        (33, None, True),  # indented code
        (35, "yaml", False),
        (49, None, False),  # under Rollback
    ]
    assert [r.why for r in refs][:4] == [
        "not tagged sh/bash",
        "not tagged sh/bash",
        "indented code",
        "tagged yaml",
    ]
    assert refs[1].text == "kubectl -n storage delete --cascade=orphan sts/cache"
    assert refs[2].text == "kubectl -n storage get pods -l app=cache"
    assert refs[-1].rollback and not any(r.rollback for r in refs[:-1])
    assert refs[1].section[-1] == "Step 3: Remove the set, keep the pods"
    # The walk lists them in place between the steps.
    lines = [item.line for item in book.walk_items()]
    assert lines == sorted(lines)
    kinds = [item.kind for item in book.walk_items()]
    assert kinds == [
        "manual",
        "manual",
        "reference",
        "reference",
        "reference",
        "reference",
        "shell",
    ]
    assert [item.line for item in book.walk_items(rollback=True)] == [49]


def test_a_console_block_without_prompts_is_a_reference() -> None:
    book = load(FIXTURES / "pod-stuck.md").runbook
    (log,) = [r for r in book.references if r.line == 19]
    assert log.language == "console" and log.why == "console without $ prompts"
    assert log.text.strip().startswith("kubelet: could not kill")
    # Steps are what they were: only blocks with prompts run.
    assert [s.line for s in book.steps] == [11, 29, 37]


def test_reference_ids_are_ref_hashes_unique_and_never_a_step_id() -> None:
    block = "```\nkubectl get pods\n```\n"
    text = "# T\n\n" + block + "\n" + block + '\n```sh {"name": "ref-3a0f0b"}\ntrue\n```\n'
    book = parse(text).runbook
    first, second = book.references
    assert first.id.startswith("ref-") and len(first.id) == len("ref-") + 6
    assert second.id == first.id + "-2"
    # A step named like a reference's id keeps its name; the block steps aside.
    named = parse(f'# T\n\n```sh {{"name": "{first.id}"}}\ntrue\n```\n\n' + block).runbook
    assert named.steps[0].id == first.id
    assert named.references[0].id == first.id + "-2"
    # Stable: the same text in another place gets the same id.
    assert parse("# Other\n\nProse.\n\n" + block).runbook.references[0].id == first.id


def test_placeholders_in_steps_and_references() -> None:
    book = load(FIXTURES / "pod-stuck.md").runbook
    steps = {s.line: s for s in book.steps}
    assert steps[11].placeholders == ("namespace",)
    assert steps[37].placeholders == ("pod-name", "namespace")
    refs = {r.line: r for r in book.references}
    assert refs[42].placeholders == ("pod-name",)
    # `<none>` in sample output is output, not a placeholder.
    grow = load(FIXTURES / "volume-grow.md").runbook
    assert all(r.placeholders == () for r in grow.references)


def test_unset_names_are_the_variables_nothing_declares_or_sets_before() -> None:
    book = load(FIXTURES / "pod-stuck.md").runbook
    assert book.unset_names(book.steps[1].id) == ("NODE_NAME",)
    assert book.unset_names(book.steps[0].id) == ()
    text = (
        "---\nvariables:\n  DECLARED: {}\n---\n# T\n\n"
        "```sh\nexport SET_EARLIER=1\necho $DECLARED\n```\n\n"
        "```sh\necho $SET_EARLIER ${LATER} ${WITH_DEFAULT:-x} $HOME_GROWN $RANDOM\n```\n"
    )
    book = parse(text).runbook
    assert book.unset_names(book.steps[0].id) == ()
    assert book.unset_names(book.steps[1].id) == ("LATER", "HOME_GROWN")


def test_each_step_carries_the_prose_right_above_it() -> None:
    book = load(FIXTURES / "pod-stuck.md").runbook
    force = next(s for s in book.steps if "--force" in s.command)
    # The list item that holds the step shows its own words with it, whole.
    assert force.prose.endswith(
        "- Otherwise, if you are comfortable with possible data loss,\n"
        "  you can force delete the pod and skip graceful deletion:"
    )
    # Only what is between the previous step and this one: nothing of the section above.
    assert "Find the pod" not in force.prose
    assert book.steps[0].prose == "Find the pod and the node it ran on:"
    finalizers = next(r for r in book.references if "finalizers" in r.text)
    assert finalizers.prose == "- If finalizers hold the pod, clear them:"


def test_prose_of_a_nested_item_reads_as_markdown_not_as_indented_code() -> None:
    text = (
        "# T\n\n- Outer item:\n\n    1. First:\n\n        ```sh\n        true\n        ```\n"
        "    2. Second, wrapped\n       onto two lines.\n\n"
        "- Next bullet.\n\n    ```sh\n    false\n    ```\n"
    )
    book = parse(text).runbook
    second = book.steps[1]
    assert second.prose == "2. Second, wrapped\n   onto two lines.\n\n- Next bullet."
    assert not any(line.startswith("    ") for line in second.prose.splitlines())


def test_a_wrapped_task_item_leaves_no_fragment_in_the_next_prose() -> None:
    book = load(FIXTURES / "volume-grow.md").runbook
    first, second = book.steps[0], book.steps[1]
    assert first.command.endswith("reviewed and approved (do not merge it yet)")
    assert second.prose == ""
    assert all("reviewed and approved" not in item.prose for item in book.walk_items())


def test_prose_is_whole_however_long() -> None:
    paragraph = "\n".join(f"Line {i} of the warning." for i in range(40))
    book = parse(f"# T\n\n## S\n\n{paragraph}\n\n```sh\ntrue\n```\n").runbook
    assert book.steps[0].prose == paragraph


def test_the_document_title_never_makes_a_rollback_section() -> None:
    book = load(FIXTURES / "rollback-release.md").runbook
    assert book.title == "Rollback the payments release"
    assert [s.rollback for s in book.steps] == [False, False, False, True]
    assert len(book.main_steps) == 3
    # A level-2 first heading is not the title: it still makes a rollback section.
    assert parse("## Rollback\n\n```sh\ntrue\n```\n").runbook.steps[0].rollback
    # Nor is a level-1 heading after the first one.
    later = parse("# Deploy\n\n```sh\ntrue\n```\n\n# Rollback\n\n```sh\nfalse\n```\n").runbook
    assert [s.rollback for s in later.steps] == [False, True]


def test_show_json_lists_references_and_keeps_steps(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "runbook_tui", "show", "--json", str(FIXTURES / "volume-grow.md")],
        capture_output=True,
        text=True,
        check=False,
    )
    document = json.loads(done.stdout)
    assert set(document["references"][0]) == {"id", "line", "language", "text", "section"}
    assert document["references"][1] == {
        "id": load(FIXTURES / "volume-grow.md").runbook.references[1].id,
        "line": 29,
        "language": None,
        "text": "kubectl -n storage delete --cascade=orphan sts/cache",
        "section": [
            "Grow the volumes of a StatefulSet",
            "Procedure",
            "Step 3: Remove the set, keep the pods",
        ],
    }
    assert [s["line"] for s in document["steps"]] == [10, 12, 42]
    assert "prose" not in document["steps"][0]
    outline = subprocess.run(
        [sys.executable, "-m", "runbook_tui", "show", str(FIXTURES / "volume-grow.md")],
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    assert "5 reference block(s)" in outline
    assert "line 33" in outline and "[indented code]" in outline


def test_a_reference_is_a_reference() -> None:
    ref = parse("# T\n\n```\nls\n```\n").runbook.references[0]
    assert isinstance(ref, Reference) and ref.kind == "reference" and ref.title == "ls"
