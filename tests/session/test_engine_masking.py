"""Every string the engine writes is masked in one place (Engine._write), and the tool's
log masks with the redactors of the open sessions. Real engines, real journals, the
real log handler; the files are read back."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from runbook_tui import applog
from runbook_tui.runbook.model import Runbook, Step, Variable
from runbook_tui.session.engine import Engine
from runbook_tui.session.escapes import strip_escapes
from runbook_tui.session.journal import read_journal

SECRET = "Zq7HunterXv9Lm"
MASK = "********"


def book(tmp_path: Path, *steps: Step, title: str = "test runbook") -> Runbook:
    path = tmp_path / "book.md"
    path.write_text("# test runbook\n")
    return Runbook(
        title=title,
        path=str(path),
        steps=steps,
        variables=(Variable(name="KEY", secret=True), Variable(name="kind")),
    )


def shell(step_id: str, command: str, **kw: object) -> Step:
    return Step(id=step_id, kind="shell", command=command, line=1, language="sh", **kw)  # type: ignore[arg-type]


@pytest.fixture
def log_file(tmp_path: Path) -> Iterator[Path]:
    root = logging.getLogger("runbook_tui")
    saved = root.handlers[:]
    for h in saved:
        root.removeHandler(h)
    (tmp_path / "home").mkdir()
    path = applog.configure(tmp_path / "home", debug=True)  # its info lines too
    assert path is not None
    yield path
    for h in root.handlers[:]:
        root.removeHandler(h)
        h.close()
    for h in saved:
        root.addHandler(h)


def test_every_string_of_every_event_is_masked_however_deep(tmp_path: Path) -> None:
    home = tmp_path / "home"
    engine = Engine.start(
        book(tmp_path, shell("s1", "true")),
        home=home,
        variables={"KEY": SECRET, "kind": f"also {SECRET}"},
    )
    # A field no caller masks, nested in dicts and lists: _write masks it anyway.
    event = engine._write(
        "note", text="plain", extra={"deeper": [f"a {SECRET} b", {"kind": SECRET}], "n": 3}
    )
    assert event["extra"] == {"deeper": [f"a {MASK} b", {"kind": MASK}], "n": 3}
    engine.end("aborted", f"because {SECRET}")
    text = engine.journal_path.read_text()
    assert SECRET not in text
    events = read_journal(engine.journal_path).events
    assert events[0]["variables"] == {"KEY": MASK, "kind": f"also {MASK}"}
    assert events[-1]["reason"] == f"because {MASK}"
    assert events[1]["extra"]["n"] == 3


def test_the_tools_log_masks_messages_arguments_and_tracebacks(
    tmp_path: Path, log_file: Path
) -> None:
    engine = Engine.start(book(tmp_path), home=tmp_path / "home", variables={"KEY": SECRET})
    log = logging.getLogger("runbook_tui.test")
    log.info("in /srv/t-%s now", SECRET)
    log.warning(f"formatted beforehand: {SECRET}")
    try:
        raise FileNotFoundError(2, "No such file", f"/srv/t-{SECRET}/x")
    except FileNotFoundError:
        log.exception("could not start %s", "step")
    engine.close()
    text = log_file.read_text()
    assert SECRET not in text
    assert f"in /srv/t-{MASK} now" in text and f"formatted beforehand: {MASK}" in text
    assert "Traceback" in text and f"/srv/t-{MASK}/x" in text


def test_a_step_id_holding_a_secret_is_recorded_under_a_masked_id_also_after_resume(
    tmp_path: Path,
) -> None:
    """A step id holding a secret value (or a token shape) is recorded under
    `step-<hash of the masked id>`: no event, no line of output, not the environment
    resume finds a step's processes by, holds the value. In memory the step keeps its
    runbook id, and a resume with the same value derives the same recorded id, so it
    finds what the step did."""
    import re

    from runbook_tui.session.recorded_ids import recorded_step_ids
    from runbook_tui.session.redaction import Redactor

    token = "AKIAIOSFODNN7EXAMPLE"  # a token shape: masked with no variable declared
    named = f"deploy-{SECRET}"
    runbook = book(
        tmp_path,
        shell(named, 'echo "first as $RUNBOOK_TUI_STEP"'),
        shell(token, "echo never"),
        shell("after", "echo after"),
    )
    home = tmp_path / "home"
    engine = Engine.start(runbook, home=home, variables={"KEY": SECRET})
    ids = recorded_step_ids([s.id for s in runbook.steps], Redactor([SECRET]).mask)
    assert set(ids) == {named, token}
    assert all(re.fullmatch(r"step-[0-9a-f]{8}", i) for i in ids.values())
    assert any(f"holds a secret value; the journal records the step as {ids[named]}" in w
               for w in engine.warnings)  # fmt: skip
    assert engine.run_step(named).succeeded
    engine.note("looked fine", step_id=named)
    engine.skip(token, "not today")
    assert engine.plan.status(named) == "succeeded" and engine.plan.status(token) == "skipped"
    session_id = engine.session_id
    engine.close()

    again = Engine.resume(home, session_id, runbook, variables={"KEY": SECRET})
    assert again.plan.status(named) == "succeeded" and again.plan.status(token) == "skipped"
    text, _ = again.output_snapshot(named)  # read back from the journal by its recorded id
    assert text.strip() == f"first as {ids[named]}"
    assert again.run_step(named).attempt == 2
    assert again.run_step("after").succeeded
    again.finish()

    events = read_journal(again.journal_path).events
    recorded = [e["step_id"] for e in events if e.get("step_id")]
    assert set(recorded) == {ids[named], ids[token], "after"}
    assert [e["attempt"] for e in events if e["type"] == "step_started"] == [1, 2, 1]
    for path in again.session_dir.rglob("*"):
        text = path.read_text(errors="replace")
        assert SECRET not in text and token not in text, path


def test_a_secret_that_masks_every_id_the_journal_could_record_refuses_the_session(
    tmp_path: Path,
) -> None:
    from runbook_tui.session.engine import EngineError

    with pytest.raises(EngineError, match="step 1's id holds a secret value, and so does"):
        Engine.start(
            book(tmp_path, shell("step", "true")), home=tmp_path / "home", variables={"KEY": "step"}
        )
    assert not (tmp_path / "home" / "sessions").exists() or not any(
        (tmp_path / "home" / "sessions").iterdir()
    )


def test_a_title_holding_a_secret_is_masked_in_the_first_event(tmp_path: Path) -> None:
    engine = Engine.start(
        book(tmp_path, title=f"Rotate {SECRET}"), home=tmp_path / "home", variables={"KEY": SECRET}
    )
    engine.close()
    first = read_journal(engine.journal_path).events[0]
    assert first["runbook"]["title"] == f"Rotate {MASK}"
    assert SECRET not in engine.journal_path.read_text()


def test_a_pause_inside_a_coloured_secret_does_not_release_it(tmp_path: Path) -> None:
    """The idle release (after 150 ms of quiet) must judge the held text as a terminal
    shows it: here the held tail is `Zq7H<bold>unter`, the start of the value."""
    home = tmp_path / "home"
    engine = Engine.start(
        book(tmp_path, shell("p", r"printf 'Zq7H\e[1munter'; sleep 0.3; printf 'Xv9Lm\e[0m\n'")),
        home=home,
        variables={"KEY": SECRET},
    )
    assert engine.run_step("p").succeeded
    engine.end("completed")
    output = "".join(e.get("data", "") for e in read_journal(engine.journal_path).events)
    assert MASK in output
    assert SECRET not in strip_escapes(output)
    for path in home.rglob("*"):
        if path.is_file():
            assert SECRET not in strip_escapes(path.read_text(errors="replace")), path
