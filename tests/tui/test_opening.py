"""Opening a runbook: the picker, the resume offer, the variables form, and what opening
the walk imports."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from textual.widgets import DataTable, Input, Select

from runbook_tui.session.engine import Engine
from runbook_tui.session.store import list_sessions
from runbook_tui.tui.app import RunbookApp
from runbook_tui.tui.dialogs import ResumeOfferDialog
from runbook_tui.tui.picker import PickerScreen
from runbook_tui.tui.variables_form import VariablesScreen
from runbook_tui.tui.walk import WalkScreen

from .conftest import journal_events, of_type, parse_file, walk_screen

MANUAL = "prepare-cfbe02"

VARIABLES_RUNBOOK = """\
---
title: Deploy the shop
kind: deploy
variables:
  RELEASE:
    prompt: Release number
    default: "42"
    pattern: "[0-9]+"
  ENVIRONMENT:
    prompt: Target environment
    choices: [staging, production]
    default: staging
  TOKEN:
    prompt: Deploy token
    secret: true
---

# Deploy

```sh {"name":"show"}
echo "$RELEASE to $ENVIRONMENT"
```
"""


def interrupted_session(runbook_file: Path, home: Path) -> str:
    """A session that confirmed the first step and was then left (not ended)."""
    engine = Engine.start(parse_file(runbook_file), home=home, variables={})
    engine.confirm_manual(MANUAL)
    engine.close()
    return engine.session_id


async def test_resume_offer_resumes_the_unfinished_session(make_app, runbook_file, home):
    old_id = interrupted_session(runbook_file, home)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, ResumeOfferDialog)
        await pilot.press("r")
        walk = await walk_screen(app, pilot)
        assert walk.engine.session_id == old_id
        assert walk.status_of(MANUAL) == "succeeded"
        assert walk.selected_step.id == "check-disk"
    assert len(list_sessions(home)) == 1
    assert of_type(journal_events(home, old_id), "session_resumed")


async def test_resume_offer_can_start_a_new_session_instead(make_app, runbook_file, home):
    old_id = interrupted_session(runbook_file, home)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, ResumeOfferDialog)
        await pilot.press("n")
        walk = await walk_screen(app, pilot)
        assert walk.engine.session_id != old_id
        assert walk.status_of(MANUAL) == "pending"
    assert len(list_sessions(home)) == 2


async def test_no_offer_when_the_last_session_ended(make_app, runbook_file, home):
    engine = Engine.start(parse_file(runbook_file), home=home, variables={})
    engine.end("completed")
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        walk = await walk_screen(app, pilot)
        assert walk.engine.session_id != engine.session_id


async def test_variables_form_checks_patterns_inline_and_masks_secrets(tmp_path, home):
    path = tmp_path / "deploy.md"
    path.write_text(VARIABLES_RUNBOOK)
    app = RunbookApp(home=home, runbook=parse_file(path))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        form = app.screen
        assert isinstance(form, VariablesScreen)
        release = form.query_one("#var-RELEASE", Input)
        assert release.value == "42"
        assert form.query_one("#var-TOKEN", Input).password is True
        assert form.query_one("#var-ENVIRONMENT", Select).value == "staging"
        release.value = "4x2"
        await pilot.pause()
        assert "does not match" in str(form.query_one("#var-RELEASE-error").render())
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen is form  # refused: RELEASE is wrong and TOKEN is missing
        assert "required" in str(form.query_one("#var-TOKEN-error").render())
        release.value = "43"
        form.query_one("#var-TOKEN", Input).value = "s3cret-token"
        form.query_one("#var-ENVIRONMENT", Select).value = "production"
        await pilot.pause()
        await pilot.press("ctrl+s")
        walk = await walk_screen(app, pilot)
        await pilot.press("enter")
        await walk.wait_until(lambda: walk.status_of("show") == "succeeded")
    events = journal_events(home)
    started = of_type(events, "session_started")[0]
    assert started["variables"] == {
        "RELEASE": "43",
        "ENVIRONMENT": "production",
        "TOKEN": "********",
    }
    output = "".join(e["data"] for e in of_type(events, "output"))
    assert "43 to production" in output


async def test_variables_form_focuses_the_first_field_to_fill(tmp_path, home):
    """RELEASE and ENVIRONMENT have acceptable defaults: typing goes into TOKEN, the
    first without a value, and stays masked; it is never lost or put in a plain field."""
    path = tmp_path / "deploy.md"
    path.write_text(VARIABLES_RUNBOOK)
    app = RunbookApp(home=home, runbook=parse_file(path))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        form = app.screen
        assert isinstance(form, VariablesScreen)
        token = form.query_one("#var-TOKEN", Input)
        assert form.focused is token
        await pilot.press(*"s3cret")
        assert token.value == "s3cret" and token.password
        assert form.query_one("#var-RELEASE", Input).value == "42"


async def test_variables_form_focuses_the_first_field_when_all_are_acceptable(tmp_path, home):
    path = tmp_path / "deploy.md"
    path.write_text(VARIABLES_RUNBOOK)
    given = {"RELEASE": "x", "TOKEN": "t"}  # RELEASE does not match: the form opens
    app = RunbookApp(home=home, runbook=parse_file(path), variables=given)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        form = app.screen
        assert isinstance(form, VariablesScreen)
        assert form.focused is form.query_one("#var-RELEASE", Input)
    path.write_text(VARIABLES_RUNBOOK.replace("    secret: true", "    default: t"))
    app = RunbookApp(home=home, runbook=parse_file(path))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        form = app.screen
        assert isinstance(form, VariablesScreen)  # every default is fine: the first
        assert form.focused is form.query_one("#var-RELEASE", Input)


async def test_a_pattern_is_a_hint_under_the_field_never_a_placeholder(tmp_path, home):
    """A placeholder looks like a value already filled in."""
    path = tmp_path / "deploy.md"
    path.write_text(VARIABLES_RUNBOOK)
    app = RunbookApp(home=home, runbook=parse_file(path))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        form = app.screen
        assert isinstance(form, VariablesScreen)
        release = form.query_one("#var-RELEASE", Input)
        assert release.placeholder == ""
        hint = form.query_one("#var-RELEASE-hint")
        assert str(hint.render()) == "pattern: [0-9]+"
        assert hint.region.y > release.region.y  # under the field, on screen
        assert not form.query("#var-TOKEN-hint")  # no pattern, no hint


async def test_variables_given_on_the_command_line_skip_the_form(tmp_path, home):
    path = tmp_path / "deploy.md"
    path.write_text(VARIABLES_RUNBOOK)
    given = {"RELEASE": "7", "ENVIRONMENT": "staging", "TOKEN": "s3cret-token"}
    app = RunbookApp(home=home, runbook=parse_file(path), variables=given)
    async with app.run_test(size=(80, 24)) as pilot:
        walk = await walk_screen(app, pilot)
        assert app.screen is walk
        assert not any(isinstance(s, VariablesScreen) for s in app.screen_stack)
    started = of_type(journal_events(home), "session_started")[0]
    assert started["variables"] == {
        "RELEASE": "7",
        "ENVIRONMENT": "staging",
        "TOKEN": "********",
    }


async def test_picker_lists_runbooks_with_last_run_and_drill(runbook_file, home):
    folder = runbook_file.parent
    (folder / "zz-other.md").write_text("---\ntitle: Rotate keys\nkind: maintenance\n---\n# R\n")
    drill = Engine.start(parse_file(runbook_file), home=home, variables={}, drill=True)
    drill.end("completed")
    app = RunbookApp(home=home, runbook_dir=folder)
    async with app.run_test(size=(100, 24)) as pilot:
        await pilot.pause()
        picker = app.screen
        assert isinstance(picker, PickerScreen)
        table = picker.query_one(DataTable)
        rows = [table.get_row_at(i) for i in range(table.row_count)]
        assert rows[0][:2] == ["Restore the orders database", "restore"]
        assert rows[0][2].startswith("20")  # the drill was a run too
        # Ended by hand with every step left: it was drilled, and did not pass.
        assert rows[0][3] == f"failed {rows[0][2][:10]}"
        assert rows[1][:4] == ["Rotate keys", "maintenance", "never run", "never drilled"]
        await pilot.press("enter")
        walk = await walk_screen(app, pilot)
        assert isinstance(walk, WalkScreen)
        assert walk.runbook.title == "Restore the orders database"


async def test_resume_asks_again_for_secrets_only(tmp_path, home):
    path = tmp_path / "deploy.md"
    path.write_text(VARIABLES_RUNBOOK.replace('echo "$RELEASE', 'echo "${#TOKEN} $RELEASE'))
    values = {"RELEASE": "43", "ENVIRONMENT": "staging", "TOKEN": "first-secret"}
    Engine.start(parse_file(path), home=home, variables=values).close()
    app = RunbookApp(home=home, runbook=parse_file(path))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("r")
        await pilot.pause()
        form = app.screen
        assert isinstance(form, VariablesScreen)
        assert [v.name for v in form.variables] == ["TOKEN"]
        form.query_one("#var-TOKEN", Input).value = "second-secret"
        await pilot.press("ctrl+s")
        walk = await walk_screen(app, pilot)
        await pilot.press("enter")
        await walk.wait_until(lambda: walk.status_of("show") == "succeeded")
    output = "".join(e["data"] for e in of_type(journal_events(home), "output"))
    # The recorded RELEASE carried over; the secret is the one typed now (13 chars).
    assert "13 43 to staging" in output


# Opened in a fresh interpreter: the walk is drawn and its session started, nothing
# pressed. What only a key needs is not imported yet; one key later it is.
OPENING_SCRIPT = """
import asyncio, sys
from pathlib import Path

from runbook_tui.runbook.parser import load
from runbook_tui.tui.app import RunbookApp

LATER = sys.argv[3].split(",")


def loaded() -> list[str]:
    return [m for m in LATER if f"runbook_tui.tui.{m}" in sys.modules]


async def main() -> None:
    app = RunbookApp(home=Path(sys.argv[2]), runbook=load(Path(sys.argv[1])).runbook)
    async with app.run_test(size=(100, 30)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        walk = app.walk
        await walk.wait_until(lambda: walk.started)
        await pilot.pause()
        print("opened", loaded())
        await pilot.press("enter")  # the manual step: recorded as done
        await walk.wait_until(lambda: walk.status_of(walk.runbook.steps[0].id) == "succeeded")
        print("after enter", loaded())


asyncio.run(main())
"""


def test_opening_the_walk_imports_none_of_what_only_a_key_needs(tmp_path):
    book = tmp_path / "book.md"
    book.write_text(
        "# Book\n\n- [ ] Wave\n\n```sh\necho hi\n```\n\n## Rollback\n\n```sh\necho back\n```\n"
    )
    later = (
        "walk_onplan,walk_end,walk_offplan,walk_fills,summary,dialogs,edit_box,"
        "adhoc_line,fill_form,lint_list,evidence_board,evidence_link,evidence,log_panel"
    )
    done = subprocess.run(
        [sys.executable, "-c", OPENING_SCRIPT, str(book), str(tmp_path / "home"), later],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert "opened []" in lines, done.stdout
    [after] = [line for line in lines if line.startswith("after enter")]
    assert "'walk_onplan'" in after and "'walk_end'" not in after, done.stdout
