"""Reference blocks and ad-hoc commands run by the engine as steps of their own kind,
and placeholders filled at run time: real bash, real journals."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from runbook_tui.runbook.parser import load
from runbook_tui.session.engine import Engine, EngineError
from runbook_tui.session.journal import read_journal
from runbook_tui.session.readback import fold_journal

RUNBOOK = """\
---
variables:
  TOKEN: {secret: true}
---
# Clear a stuck pod

## Look

Note the pod first:

```
kubectl get pods -n <namespace>
touch ref-ran
```

```sh
echo main > main-ran
```

## Fix

```console
$ echo "deleting <pod-name>" > deleted
```

```yaml
kind: Pod
```
"""


@pytest.fixture
def book(tmp_path: Path):
    path = tmp_path / "stuck.md"
    path.write_text(RUNBOOK)
    return load(path).runbook


def started(tmp_path: Path, book, **kw) -> Engine:
    return Engine.start(book, home=tmp_path / "home", variables={"TOKEN": "s3cr3t-value"}, **kw)


def events(engine: Engine) -> list[dict]:
    return read_journal(engine.journal_path).events


def test_a_reference_runs_its_edited_text_recorded_beside_the_block(tmp_path: Path, book) -> None:
    engine = started(tmp_path, book)
    ref = book.references[0]
    edited = "touch ref-ran; echo edited"
    outcome = engine.run_reference(ref.id, edited)
    assert outcome.succeeded
    assert (tmp_path / "ref-ran").exists()
    start = next(e for e in events(engine) if e["type"] == "step_started")
    assert start["kind"] == "reference" and start["step_id"] == ref.id
    assert start["source_line"] == ref.line == 11
    assert start["written"] == ref.text
    assert start["command"] == edited
    snap = engine.state.steps[ref.id]
    assert (snap.kind, snap.status, snap.source_line, snap.written) == (
        "reference",
        "succeeded",
        11,
        ref.text,
    )
    assert "edited" in engine.output_snapshot(ref.id)[0]
    # Not a step of the walk: progress counts the runbook's steps only.
    assert engine.plan.progress().total == 2 and engine.plan.progress().done == 0
    assert engine.plan.next_step() is not None
    engine.end("paused")


def test_reference_runs_share_the_carried_shell_state(tmp_path: Path, book) -> None:
    engine = started(tmp_path, book)
    (tmp_path / "sub").mkdir()
    engine.run_reference(book.references[0].id, "cd sub && export PICKED=web-1")
    engine.run_adhoc('echo "$PICKED" > picked')
    assert (tmp_path / "sub" / "picked").read_text().strip() == "web-1"
    assert engine.run_step(book.steps[0].id).succeeded
    assert (tmp_path / "sub" / "main-ran").exists()
    engine.end("completed")


def test_adhoc_commands_are_recorded_in_time_order_and_masked(tmp_path: Path, book) -> None:
    engine = started(tmp_path, book)
    engine.run_adhoc("echo first")
    engine.run_step(book.steps[0].id)
    bad = engine.run_adhoc("echo s3cr3t-value; exit 3")
    assert not bad.succeeded and bad.exit_code == 3
    kinds = [(e["step_id"], e["kind"]) for e in events(engine) if e["type"] == "step_started"]
    assert kinds == [("adhoc-1", "adhoc"), (book.steps[0].id, "shell"), ("adhoc-2", "adhoc")]
    text = Path(engine.journal_path).read_text()
    assert "s3cr3t-value" not in text and "********" in text
    assert engine.plan.adhoc() == ("adhoc-1", "adhoc-2")
    # An ad-hoc failure is not a step failure of the walk.
    assert engine.plan.progress().failed == 0
    with pytest.raises(EngineError, match="empty"):
        engine.run_adhoc("   ")
    engine.end("paused")


def test_marked_and_passed_references_are_recorded(tmp_path: Path, book) -> None:
    engine = started(tmp_path, book)
    first, second = book.references[0], book.references[1]
    engine.mark_reference(first.id)
    engine.pass_reference(second.id, "not needed")
    types = [(e["type"], e.get("kind")) for e in events(engine)[1:]]
    assert types == [("manual_confirmed", "reference"), ("step_skipped", "reference")]
    counts = engine.plan.reference_counts()
    assert (counts.total, counts.ran, counts.marked, counts.passed) == (2, 0, 1, 1)
    assert engine.state.steps[second.id].skip_reason == "not needed"
    with pytest.raises(EngineError, match="no reference block"):
        engine.mark_reference(book.steps[0].id)
    engine.end("paused")


def test_resume_never_runs_reference_or_adhoc_runs_again(tmp_path: Path, book) -> None:
    engine = started(tmp_path, book)
    engine.run_reference(book.references[0].id, "echo x >> ref-count")
    engine.run_adhoc("echo x >> adhoc-count")
    engine.close()  # the process goes away without ending the session
    resumed = Engine.resume(tmp_path / "home", engine.session_id, book)
    plan = resumed.plan
    assert [s.id for s in plan.left()] == [s.id for s in book.main_steps]
    assert plan.next_step().id == book.steps[0].id
    # The headless walk runs what the plan says is left: no reference, no ad-hoc.
    while (step := resumed.plan.next_step()) is not None:
        step_fills = {"pod-name": "web-1"} if step.placeholders else None
        assert resumed.run_step(step.id, fills=step_fills).succeeded
    assert resumed.finish() == "completed"
    assert (tmp_path / "ref-count").read_text() == "x\n"
    assert (tmp_path / "adhoc-count").read_text() == "x\n"
    folded = fold_journal(resumed.journal_path, book).state
    assert folded.steps["adhoc-1"].kind == "adhoc" and folded.status == "completed"


def test_a_reference_run_while_rolling_back_does_not_undo_the_rollback(tmp_path: Path) -> None:
    path = tmp_path / "r.md"
    path.write_text(
        "# Release\n\n```sh\ntrue\n```\n\n## Rollback\n\n```sh\ntrue\n```\n\n```\nls\n```\n"
    )
    book = load(path).runbook
    engine = Engine.start(book, home=tmp_path / "home")
    engine.run_step(book.steps[0].id)
    engine.switch_walk("rollback", "test")
    engine.run_step(book.rollback_steps[0].id)
    engine.run_reference(book.references[0].id, "true")
    assert engine.plan.earned_status() == "rolled_back"
    engine.end("rolled_back")


def test_a_step_with_a_placeholder_does_not_run_until_filled(tmp_path: Path, book) -> None:
    engine = started(tmp_path, book)
    step = book.steps[1]
    assert step.placeholders == ("pod-name",)
    before = len(events(engine))
    with pytest.raises(EngineError, match="<pod-name>") as raised:
        engine.run_step(step.id)
    assert f"line {step.line}" in str(raised.value)
    assert len(events(engine)) == before  # nothing recorded, nothing ran
    assert not (tmp_path / "deleted").exists()
    evil = f"x$(touch {tmp_path}/pwned)`touch {tmp_path}/pwned2`'\"; touch {tmp_path}/pwned3"
    assert engine.run_step(step.id, fills={"pod-name": evil}).succeeded
    assert (tmp_path / "deleted").read_text() == f"deleting {evil}\n"
    assert not any((tmp_path / name).exists() for name in ("pwned", "pwned2", "pwned3"))
    start = [e for e in events(engine) if e["type"] == "step_started"][-1]
    assert start["template"] == step.command
    assert start["fills"] == {"pod-name": evil}
    assert start["command"] == 'echo "deleting ${RBT_FILL_POD_NAME}" > deleted'
    # The fill lived for that command only.
    assert "RBT_FILL_POD_NAME" not in engine.runner.env
    snap = engine.state.steps[step.id]
    assert snap.template == step.command and dict(snap.fills) == {"pod-name": evil}
    engine.end("paused")


def test_fill_values_matching_a_secret_are_masked(tmp_path: Path, book) -> None:
    engine = started(tmp_path, book)
    engine.run_step(book.steps[1].id, fills={"pod-name": "s3cr3t-value"})
    text = Path(engine.journal_path).read_text()
    assert "s3cr3t-value" not in text
    start = [e for e in events(engine) if e["type"] == "step_started"][-1]
    assert start["fills"] == {"pod-name": "********"}
    engine.end("paused")


def test_an_unset_name_is_asked_for_and_then_carried(tmp_path: Path, book) -> None:
    engine = started(tmp_path, book)
    prepared = engine.prepare('echo "$WHERE_TO" > where')
    assert prepared.missing == ("WHERE_TO",) and not prepared.ready
    assert "$WHERE_TO" in prepared.problem
    with pytest.raises(EngineError, match=r"\$WHERE_TO"):
        engine.run_adhoc('echo "$WHERE_TO" > where')
    assert engine.run_adhoc('echo "$WHERE_TO" > where', fills={"WHERE_TO": "eu-1"}).succeeded
    assert (tmp_path / "where").read_text() == "eu-1\n"
    # Exported in the carried state: not asked again.
    assert engine.prepare("echo $WHERE_TO").ready
    # Names the session's environment or an earlier command exports are not asked for.
    assert engine.prepare("echo $HOME $PATH").ready
    engine.run_adhoc("export PICKED=1")
    assert engine.prepare("echo $PICKED").ready
    assert engine.prepare("echo $TOKEN").ready  # declared
    engine.end("paused")


def test_a_placeholder_in_single_quotes_is_refused(tmp_path: Path, book) -> None:
    engine = started(tmp_path, book)
    prepared = engine.prepare("echo '<pod-name>'", {"pod-name": "x"})
    assert not prepared.ready and "single quotes" in prepared.problem
    with pytest.raises(EngineError, match="single quotes"):
        engine.run_adhoc("echo '<pod-name>'", fills={"pod-name": "x"})
    engine.end("paused")


def test_sessions_show_lists_reference_and_adhoc_runs(tmp_path: Path, book) -> None:
    engine = started(tmp_path, book)
    ref = book.references[0]
    engine.run_reference(ref.id, "echo from the block")
    engine.run_adhoc("echo by hand")
    engine.pass_reference(book.references[1].id)
    engine.end("paused")
    done = subprocess.run(
        [sys.executable, "-m", "runbook_tui", "sessions", "show", engine.session_id,
         "--home", str(tmp_path / "home")],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    listed = done.stdout.split("off the runbook's steps", 1)[1].splitlines()[1:]
    assert listed[0].split()[:2] == ["succeeded", ref.id]
    assert f"(block at line {ref.line})" in listed[0] and "echo from the block" in listed[0]
    assert listed[1].split()[:2] == ["succeeded", "adhoc-1"] and "(ad-hoc)" in listed[1]
    assert listed[2].strip().startswith("passed by")
