"""The shared corpus of real runbooks: every file parses without raising, and a few
files we read ourselves come out as an operator would expect.

The corpus lives outside the project, so `make test` deselects these tests (marker
`corpus`); `make corpus CORPUS=DIR` runs them and fails when DIR is missing."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from runbook_tui.runbook.parser import ParseResult, load

pytestmark = pytest.mark.corpus

CORPUS = Path(
    os.environ.get("RUNBOOK_TUI_CORPUS") or Path(__file__).parents[1].parent / "shared" / "corpus"
)


@pytest.fixture(scope="module")
def corpus() -> dict[str, ParseResult]:
    files = sorted(CORPUS.rglob("*.md")) if CORPUS.is_dir() else []
    if not files:
        pytest.fail(
            f"runbook corpus not found at {CORPUS}: run `make corpus CORPUS=DIR` (or set "
            "RUNBOOK_TUI_CORPUS) with the folder holding the shared real-world runbooks"
        )
    return {str(path.relative_to(CORPUS)): load(path) for path in files}


def test_every_corpus_file_parses(
    corpus: dict[str, ParseResult], record_property: Callable[[str, object], None]
) -> None:
    steps = sum(len(r.runbook.steps) for r in corpus.values())
    shell = sum(1 for r in corpus.values() for s in r.runbook.steps if s.kind == "shell")
    print(f"\ncorpus: {len(corpus)} files, {steps} steps ({shell} shell)")
    record_property("corpus_files", len(corpus))
    record_property("corpus_steps", steps)
    assert len(corpus) > 800
    # The corpus held 1396 steps when this was written; a big drop means lost steps.
    assert steps > 1200


def test_every_file_reports_its_steps_reference_blocks_and_placeholders(
    corpus: dict[str, ParseResult], capsys: pytest.CaptureFixture[str]
) -> None:
    """The corpus report: per file, what a walk of it would hold. Every model field the
    walk reads is computed (prose, placeholders, unset names, the walk's order), so a
    file that makes any of it raise fails here, named."""
    rows: list[str] = []
    failures: list[str] = []
    totals = [0, 0, 0, 0]
    for name, result in corpus.items():
        book = result.runbook
        try:
            items = (*book.walk_items(), *book.walk_items(rollback=True))
            placeholders = sorted({p for item in items for p in item.placeholders})
            unset = sorted({n for item in items for n in book.unset_names(item.id)})
            prose = sum(len(item.prose) for item in items)
        except Exception as exc:  # the report names the file; the test fails below
            failures.append(f"{name}: {type(exc).__name__}: {exc}")
            continue
        counts = (len(book.steps), len(book.references), len(placeholders), len(unset))
        totals = [a + b for a, b in zip(totals, counts, strict=True)]
        listed = " ".join(f"<{p}>" for p in placeholders) + " " + " ".join(f"${n}" for n in unset)
        rows.append(
            f"{name}: {counts[0]} steps, {counts[1]} reference blocks, "
            f"{counts[2] + counts[3]} placeholders {listed.strip()} (prose {prose} chars)"
        )
    with capsys.disabled():
        print("\ncorpus report (file: steps, reference blocks, placeholders):")
        for row in rows:
            print("  " + row)
        print(
            f"corpus totals: {totals[0]} steps, {totals[1]} reference blocks, "
            f"{totals[2]} <placeholders>, {totals[3]} unset $NAMEs"
        )
    assert not failures, failures
    # 1158 reference blocks when this was written: the code blocks that are not steps.
    assert totals[1] > 1000


def test_reference_blocks_of_real_runbooks_are_walkable(corpus: dict[str, ParseResult]) -> None:
    pvc = corpus["gitlab-com-runbooks/docs/kube/k8s-pvc-resize.md"].runbook
    # Its untagged kubectl blocks, and its Rollback section's, are in the walk.
    assert len(pvc.references) == 11
    assert [r.line for r in pvc.walk_items(rollback=True)] == [150, 157]
    drain = corpus[
        "openshift-runbooks/alerts/machine-config-operator/MachineConfigControllerDrainError.md"
    ].runbook
    force = next(s for s in drain.steps if "--force" in s.command)
    assert force.placeholders == ("pod-name",)
    assert "if you are comfortable with possible data loss" in force.prose
    assert "Check the `openshift-kube-apiserver` logs" not in force.prose


def test_prompts_are_stripped_and_output_kept_aside(corpus: dict[str, ParseResult]) -> None:
    result = corpus[
        "prometheus-operator-runbooks/content/runbooks/node/NodeFilesystemFilesFillingUp.md"
    ]
    (step,) = result.runbook.steps
    assert step.language == "shell"
    assert 'oc debug "node/$NODE_NAME"' in step.command.splitlines()
    assert not any(line.startswith("$") for line in step.command.splitlines())


def test_nested_list_steps_are_found(corpus: dict[str, ParseResult]) -> None:
    name = (
        "openshift-runbooks/alerts/openshift-container-storage-operator/StorageAutoScalingFailed.md"
    )
    steps = corpus[name].runbook.steps
    assert len(steps) == 13
    assert steps[0].command == "oc describe pod <osd_pod> -n <namespace>"
    assert steps[0].section[-1] == "Diagnosis"
    assert any(d.code == "placeholder" for d in corpus[name].diagnostics)


def test_console_sample_output_is_not_run(corpus: dict[str, ParseResult]) -> None:
    name = "openshift-runbooks/alerts/HighlyAvailableWorkloadIncorrectlySpread.md"
    result = corpus[name]
    assert any(d.code == "no-command" and d.line == 23 for d in result.diagnostics)
    assert all(s.line != 23 for s in result.runbook.steps)


def test_rollback_sections_and_task_lists_in_gitlab_runbooks(
    corpus: dict[str, ParseResult],
) -> None:
    pvc = corpus["gitlab-com-runbooks/docs/kube/k8s-pvc-resize.md"].runbook
    manual = [s for s in pvc.steps if s.kind == "manual"]
    assert manual and manual[0].line == 21
    assert manual[0].command.endswith("and deploy (but don't merge yet!)")
    gcp = corpus["gitlab-com-runbooks/certificates/gcp.md"].runbook
    assert any(sec.title == "Rollback" for sec in gcp.sections)
