"""What the walk shows and runs beyond the runbook's steps, through the real app,
engine, shell and journal: reference blocks (listed in place, edited and run, marked
done, passed by), the placeholder form, ad-hoc commands, lint warnings, a runbook with
no steps, and the summary's counts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.containers import VerticalScroll
from textual.geometry import Region
from textual.widgets import Button, Input, Markdown, TextArea

from runbook_tui.runbook.parser import load
from runbook_tui.tui.adhoc_line import AdhocLine
from runbook_tui.tui.app import RunbookApp
from runbook_tui.tui.dialogs import ConfirmDialog, PassByDialog, ResumeOfferDialog
from runbook_tui.tui.edit_box import EditBox
from runbook_tui.tui.fill_form import FillForm
from runbook_tui.tui.lint_list import WarningsDialog
from runbook_tui.tui.run_options import RunOptions
from runbook_tui.tui.step_list import StepList
from runbook_tui.tui.summary import WalkOverDialog
from runbook_tui.tui.walk_header import WalkHeader
from runbook_tui.tui.walk_items import AdhocItem

from .conftest import journal_events, of_type, select, wait_status, walk_screen

FIXTURES = Path(__file__).parent.parent / "runbook" / "fixtures"

# In the style of the public runbooks: an untagged block with a prompt and its output, a
# console block of log lines only, a step inside a list item, placeholders, a `$NAME`
# nothing sets. The commands are harmless echoes, so they can really run.
DRAIN = """\
# Drain a node

Use this when a node must leave the cluster.

## Look

Check which pods run on the node:

```
$ echo pods on node-3
pods on node-3
web-1   Running
```

The kubelet logs each pod it gives up on:

```console
  kubelet: could not kill default/web-1: context deadline exceeded
```

## Drain

- Otherwise, if you are comfortable with possible data loss,
  you can force delete the pod:

    ```sh {"name":"force-delete"}
    echo deleting <pod-name>
    ```

```sh {"name":"quoted"}
echo 'removing <pod-name>'
```

```sh {"name":"node-name"}
echo "node is $RBT_TEST_NODE"
```
"""


def write(tmp_path: Path, text: str, name: str = "drain.md") -> Path:
    folder = tmp_path / "runbooks"
    folder.mkdir(exist_ok=True)
    path = folder / name
    path.write_text(text)
    return path


def open_app(path: Path, home: Path, **kwargs: Any) -> RunbookApp:
    """The app as `runbook-tui FILE` opens it: the runbook and its lint warnings."""
    result = load(path)
    assert not result.errors, result.errors
    return RunbookApp(home=home, runbook=result.runbook, warnings=result.warnings, **kwargs)


async def on_screen(app: Any, pilot: Any, kind: type) -> Any:
    """The screen once it is a `kind` (pushed after the pending messages are handled;
    the count only guards against a dialog that never comes)."""
    for _ in range(500):
        if isinstance(app.screen, kind):
            return app.screen
        await pilot.pause()
    raise AssertionError(f"{kind.__name__} never opened; the screen is {app.screen!r}")


def rows(walk: Any) -> list[str]:
    steps = walk.query_one(StepList)
    lines = steps.render_lines(Region(0, 0, steps.size.width, steps.size.height))
    return [strip.text.rstrip() for strip in lines if strip.text.strip()]


def reference_ids(walk: Any) -> list[str]:
    return [ref.id for ref in walk.runbook.references]


async def test_reference_blocks_are_listed_in_place_marked_apart_and_not_counted(tmp_path, home):
    app = open_app(write(tmp_path, DRAIN), home)
    async with app.run_test(size=(100, 30)) as pilot:
        walk = await walk_screen(app, pilot)
        assert rows(walk) == [
            "Look",
            "◇ $ echo pods on node-3",
            "◇ kubelet: could not kill de…",
            "Drain",
            "○ force-delete",
            "○ quoted",
            "○ node-name",
        ]
        # The walk opens on the first step, not on a block; progress counts steps only.
        assert walk.selected_item.id == "force-delete"
        assert walk.plan.progress().total == 3
        # Enter on a block never runs it: it opens the edit box.
        await select(pilot, walk, reference_ids(walk)[0])
        await pilot.press("enter")
        await on_screen(app, pilot, EditBox)
        await pilot.press("escape")
        await on_screen(app, pilot, type(walk))
        assert walk.message_text == "Nothing was run."
    assert of_type(journal_events(home), "step_started") == []


async def test_enter_edits_a_reference_block_and_ctrl_s_runs_the_edited_text(tmp_path, home):
    app = open_app(write(tmp_path, DRAIN), home)
    async with app.run_test(size=(100, 30)) as pilot:
        walk = await walk_screen(app, pilot)
        ref = walk.runbook.references[0]
        await select(pilot, walk, ref.id)
        await pilot.press("enter")
        box = await on_screen(app, pilot, EditBox)
        area = box.query_one(TextArea)
        assert area.text == ref.text.rstrip("\n")  # as written, sample output and all
        await pilot.press("ctrl+o")  # only the commands, prompts removed
        assert area.text == "echo pods on node-3"
        await pilot.press("end", *" and more")
        await pilot.press("ctrl+s")
        confirm = await on_screen(app, pilot, ConfirmDialog)
        assert "echo pods on node-3 and more" in str(confirm.body)
        await pilot.press("y")
        await wait_status(walk, ref.id, "succeeded")
        await walk.wait_until(
            lambda: walk.query_one("#output").plain_lines[:1] == ["pods on node-3 and more"]
        )
        assert rows(walk)[1] == "◇ $ echo pods on node-3 ✓"
        assert walk.plan.progress().done == 0  # still no step done
    [started] = of_type(journal_events(home), "step_started")
    assert started["kind"] == "reference" and started["step_id"] == ref.id
    assert started["command"] == "echo pods on node-3 and more"
    assert started["written"] == ref.text and started["source_line"] == ref.line
    assert started["confirmed_by"] == "operator"
    [finished] = of_type(journal_events(home), "step_finished")
    assert finished["verdict"] == "succeeded"


async def test_the_run_button_of_the_edit_box_runs_after_the_confirm(tmp_path, home):
    app = open_app(write(tmp_path, DRAIN), home)
    async with app.run_test(size=(100, 30)) as pilot:
        walk = await walk_screen(app, pilot)
        ref = walk.runbook.references[0]
        await select(pilot, walk, ref.id)
        await pilot.press("enter")
        box = await on_screen(app, pilot, EditBox)
        await pilot.press("ctrl+o")
        box.query_one("#edit-run", Button).focus()
        await pilot.press("enter")
        confirm = await on_screen(app, pilot, ConfirmDialog)
        assert "echo pods on node-3" in str(confirm.body)
        await pilot.press("y")
        await wait_status(walk, ref.id, "succeeded")
    [started] = of_type(journal_events(home), "step_started")
    assert (started["step_id"], started["command"]) == (ref.id, "echo pods on node-3")


async def test_each_item_shows_the_prose_nearest_it_whole_as_markdown(tmp_path, home):
    app = open_app(write(tmp_path, DRAIN), home)
    async with app.run_test(size=(100, 30)) as pilot:
        walk = await walk_screen(app, pilot)
        await walk.wait_until(lambda: bool(walk.query("#prose")))
        prose = walk.query_one("#prose", Markdown)
        assert isinstance(prose.parent, VerticalScroll)  # scrollable, however long
        first, second = walk.runbook.references
        await select(pilot, walk, "force-delete")
        # The list item that holds the step: its own words, both lines of them.
        await walk.wait_until(lambda: "force delete the pod" in prose.source)
        assert "if you are comfortable with possible data loss" in prose.source
        assert "kubelet" not in prose.source
        await select(pilot, walk, second.id)
        await walk.wait_until(lambda: "The kubelet logs" in prose.source)
        assert "Check which pods" not in prose.source  # the previous block's, not this one's
        await select(pilot, walk, first.id)
        await walk.wait_until(lambda: "Check which pods run on the node" in prose.source)


async def test_m_marks_a_reference_block_done_and_s_passes_one_by(tmp_path, home):
    app = open_app(write(tmp_path, DRAIN), home)
    async with app.run_test(size=(100, 30)) as pilot:
        walk = await walk_screen(app, pilot)
        first, second = walk.runbook.references
        await select(pilot, walk, first.id)
        await pilot.press("m")
        await wait_status(walk, first.id, "succeeded")
        # The selection moves down, to the next block.
        assert walk.selected_item.id == second.id
        assert rows(walk)[1].endswith(" ✓")
        await pilot.press("s")
        await on_screen(app, pilot, PassByDialog)
        await pilot.press("enter")  # no reason needed
        await wait_status(walk, second.id, "skipped")
        assert walk.query_one(StepList).selected_step_id == "force-delete"
    events = journal_events(home)
    [marked] = of_type(events, "manual_confirmed")
    assert (marked["step_id"], marked["kind"], marked["source_line"]) == (
        first.id,
        "reference",
        first.line,
    )
    [passed] = of_type(events, "step_skipped")
    assert (passed["step_id"], passed["kind"], passed["reason"]) == (
        second.id,
        "reference",
        "passed by",
    )


async def test_placeholders_are_asked_for_the_final_command_shown_and_the_values_recorded(
    tmp_path, home
):
    path = write(tmp_path, DRAIN)
    app = open_app(path, home)
    async with app.run_test(size=(100, 30)) as pilot:
        walk = await walk_screen(app, pilot)
        await select(pilot, walk, "force-delete")
        await pilot.press("enter")
        form = await on_screen(app, pilot, FillForm)
        assert [b.label for b in form.blanks] == ["<pod-name>"]
        hostile = "web-1; touch pwned"
        await pilot.press(*hostile)
        command = str(form.query_one("#fill-command").render())
        assert command.strip() == 'echo deleting "${RBT_FILL_POD_NAME}"'
        assert f"<pod-name> = {hostile}" in str(form.query_one("#fill-values").render())
        await pilot.press("enter")
        await wait_status(walk, "force-delete", "succeeded")
        await walk.wait_until(
            lambda: walk.query_one("#output").plain_lines[:1] == [f"deleting {hostile}"]
        )
    # The value reached the command as a variable: it never ran as shell code.
    assert not (path.parent / "pwned").exists()
    [started] = of_type(journal_events(home), "step_started")
    assert started["template"] == "echo deleting <pod-name>"
    assert started["fills"] == {"pod-name": hostile}
    assert started["command"] == 'echo deleting "${RBT_FILL_POD_NAME}"'


async def test_escape_in_the_form_runs_nothing(tmp_path, home):
    app = open_app(write(tmp_path, DRAIN), home)
    async with app.run_test(size=(100, 30)) as pilot:
        walk = await walk_screen(app, pilot)
        await pilot.press("enter")
        form = await on_screen(app, pilot, FillForm)
        await pilot.press("ctrl+s")  # an empty value is refused
        assert app.screen is form and "Give <pod-name> a value" in str(
            form.query_one("#dialog-error").render()
        )
        await pilot.press("escape")
        await on_screen(app, pilot, type(walk))
        assert walk.message_text == "Nothing was run."
    assert of_type(journal_events(home), "step_started") == []


async def test_an_unset_name_is_asked_for_and_then_carried_in_the_shell(
    tmp_path, home, monkeypatch
):
    monkeypatch.delenv("RBT_TEST_NODE", raising=False)
    app = open_app(write(tmp_path, DRAIN), home)
    async with app.run_test(size=(100, 30)) as pilot:
        walk = await walk_screen(app, pilot)
        await select(pilot, walk, "node-name")
        await pilot.press("enter")
        form = await on_screen(app, pilot, FillForm)
        assert [b.label for b in form.blanks] == ["$RBT_TEST_NODE"]
        await pilot.press(*"node-3", "enter")
        await wait_status(walk, "node-name", "succeeded")
        await walk.wait_until(
            lambda: walk.query_one("#output").plain_lines[:1] == ["node is node-3"]
        )
        # Exported in the session's shell: the next command does not ask again.
        await pilot.press("colon")
        await on_screen(app, pilot, AdhocLine)
        await pilot.press(*'echo "again $RBT_TEST_NODE"', "enter")
        await walk.wait_until(lambda: walk.status_of("adhoc-1") == "succeeded")
        await walk.wait_until(lambda: walk.query_one("#output").plain_lines[:1] == ["again node-3"])
    started = of_type(journal_events(home), "step_started")
    assert started[0]["fills"] == {"RBT_TEST_NODE": "node-3"}
    assert "fills" not in started[1]


async def test_a_placeholder_that_cannot_be_filled_opens_the_edit_box(tmp_path, home):
    app = open_app(write(tmp_path, DRAIN), home)
    async with app.run_test(size=(100, 30)) as pilot:
        walk = await walk_screen(app, pilot)
        await select(pilot, walk, "quoted")
        await pilot.press("enter")
        box = await on_screen(app, pilot, EditBox)
        assert "cannot be filled" in walk.message_text and "single quotes" in walk.message_text
        assert box.query_one(TextArea).text == "echo 'removing <pod-name>'"
        await pilot.press("f7", *"echo removing web-1")  # select all, type over it
        await pilot.press("ctrl+s")
        await on_screen(app, pilot, ConfirmDialog)
        await pilot.press("y")
        # It ran as an ad-hoc command; the step is done with, on the record.
        await wait_status(walk, "quoted", "skipped")
        assert walk.status_of("adhoc-1") == "succeeded"
    events = journal_events(home)
    [started] = of_type(events, "step_started")
    assert (started["kind"], started["command"]) == ("adhoc", "echo removing web-1")
    [skipped] = of_type(events, "step_skipped")
    assert (skipped["step_id"], skipped["reason"]) == ("quoted", "an edited copy ran as adhoc-1")


async def test_an_ad_hoc_command_whose_placeholder_cannot_be_filled_opens_the_edit_box(
    tmp_path, home
):
    # As for a block and a step: the walk says why and opens the edit box on the text as
    # typed (Interactive still ticked, the timeout kept), not the one-line box again.
    app = open_app(write(tmp_path, DRAIN), home)
    async with app.run_test(size=(100, 30)) as pilot:
        walk = await walk_screen(app, pilot)
        await pilot.press("colon")
        line = await on_screen(app, pilot, AdhocLine)
        await pilot.press(*"echo 'removing <pod-name>'", "ctrl+t")
        line.query_one("#run-timeout", Input).focus()
        await pilot.press(*"10m", "enter")
        box = await on_screen(app, pilot, EditBox)
        assert "single quotes" in walk.message_text
        assert "single quotes" in str(box.query_one("#dialog-error").render())
        assert box.query_one(TextArea).text == "echo 'removing <pod-name>'"
        assert box.query_one(RunOptions).interactive
        assert box.query_one("#run-timeout", Input).value == "10m00s"
        # Run as it is, it is refused again: the edit box again, never the line.
        await pilot.press("ctrl+s")
        await walk.wait_until(lambda: isinstance(app.screen, EditBox) and app.screen is not box)
        box = app.screen
        assert box.query_one(TextArea).text == "echo 'removing <pod-name>'"
        assert box.query_one(RunOptions).request("x").timeout_seconds == 600
        await pilot.press("ctrl+t")  # captured this time
        await pilot.press("f7", *"echo removing web-1", "ctrl+s")
        confirm = await on_screen(app, pilot, ConfirmDialog)
        assert "echo removing web-1" in str(confirm.body)
        await pilot.press("y")
        await walk.wait_until(lambda: walk.status_of("adhoc-1") == "succeeded")
        await walk.wait_until(
            lambda: walk.query_one("#output").plain_lines[:1] == ["removing web-1"]
        )
    [started] = of_type(journal_events(home), "step_started")
    assert (started["kind"], started["command"]) == ("adhoc", "echo removing web-1")
    assert of_type(journal_events(home), "step_skipped") == []


async def test_colon_runs_an_ad_hoc_command_listed_and_recorded_in_time_order(tmp_path, home):
    app = open_app(write(tmp_path, DRAIN), home)
    async with app.run_test(size=(100, 30)) as pilot:
        walk = await walk_screen(app, pilot)
        for n, command in enumerate(("echo first; cd /", "pwd"), 1):
            await pilot.press("colon")
            await on_screen(app, pilot, AdhocLine)
            await pilot.press(*command, "enter")
            await walk.wait_until(lambda n=n: walk.status_of(f"adhoc-{n}") == "succeeded")
            # The command started is selected: its output is in view.
            assert walk.selected_item == AdhocItem(f"adhoc-{n}", command)
        await walk.wait_until(lambda: walk.query_one("#output").plain_lines[:1] == ["/"])
        assert rows(walk)[-3:] == ["Ad-hoc commands", "✓ $ echo first; cd /", "✓ $ pwd"]
        assert walk.plan.progress().done == 0
        # Enter on one opens the command line on its text, to run it again.
        await pilot.press("enter")
        line = await on_screen(app, pilot, AdhocLine)
        assert line.query_one(Input).value == "pwd"
        await pilot.press("escape")
    started = of_type(journal_events(home), "step_started")
    assert [(e["step_id"], e["kind"], e["command"]) for e in started] == [
        ("adhoc-1", "adhoc", "echo first; cd /"),
        ("adhoc-2", "adhoc", "pwd"),
    ]


async def test_an_ad_hoc_command_is_masked_and_stopped_by_the_timeout_typed_with_it(tmp_path, home):
    text = """\
---
variables:
  DB_PASSWORD: {secret: true}
---
# Connect

```sh {"name":"connect"}
true
```
"""
    app = open_app(
        write(tmp_path, text, "connect.md"), home, variables={"DB_PASSWORD": "s3cr3t-value"}
    )
    async with app.run_test(size=(100, 30)) as pilot:
        walk = await walk_screen(app, pilot)
        await pilot.press("colon")
        line = await on_screen(app, pilot, AdhocLine)
        await pilot.press(*'echo "pw is $DB_PASSWORD"; sleep 300')
        line.query_one("#run-timeout", Input).focus()
        await pilot.press(*"1s", "enter")
        await walk.wait_until(lambda: walk.status_of("adhoc-1") == "failed")
        await walk.wait_until(
            lambda: walk.query_one("#output").plain_lines[:1] == ["pw is ********"]
        )
        # The message follows the run's end (the journal's status can be read first).
        await walk.wait_until(lambda: "timed out" in walk.message_text)
    events = journal_events(home)
    [started] = of_type(events, "step_started")
    assert started["kind"] == "adhoc"
    [finished] = of_type(events, "step_finished")
    assert finished["timed_out"] and finished["verdict"] == "failed"
    session = next((home / "sessions").iterdir())
    assert all("s3cr3t-value" not in f.read_text() for f in session.rglob("*") if f.is_file())


async def test_the_walk_counts_the_lint_warnings_and_w_lists_them(tmp_path, home):
    path = write(tmp_path, DRAIN)
    warnings = load(path).warnings
    assert warnings  # untagged-command, no-command, placeholder
    app = open_app(path, home)
    async with app.run_test(size=(100, 30)) as pilot:
        walk = await walk_screen(app, pilot)
        assert f"⚠ {len(warnings)} warnings (w)" in walk.query_one(WalkHeader).text
        assert walk.message_text == f"This runbook has {len(warnings)} warnings: w lists them."
        await pilot.press("w")
        dialog = await on_screen(app, pilot, WarningsDialog)
        listed = [str(row.render()) for row in dialog.query(".help-row")]
        assert len(listed) == len(warnings)
        assert all(f"[{w.code}]" in row for w, row in zip(warnings, listed, strict=True))
        await pilot.press("escape")
        await on_screen(app, pilot, type(walk))


async def test_a_runbook_without_warnings_shows_no_count_and_no_w(tmp_path, home):
    path = write(tmp_path, '# Fine\n\n```sh {"name":"one"}\necho one\n```\n', "fine.md")
    app = open_app(path, home)
    async with app.run_test(size=(100, 30)) as pilot:
        walk = await walk_screen(app, pilot)
        assert "warning" not in walk.query_one(WalkHeader).text
        assert walk.check_action("warnings", ()) is False


async def test_a_runbook_with_no_steps_opens_on_its_reference_blocks(tmp_path, home):
    app = open_app(FIXTURES / "alert-only.md", home)
    async with app.run_test(size=(100, 30)) as pilot:
        walk = await walk_screen(app, pilot)
        first = walk.runbook.references[0]
        assert walk.selected_item == first
        assert walk.message_text.startswith("No steps to run: its 3 code blocks are shown only")
        await pilot.pause()
        assert app.screen is walk  # no "the walk is over"
        await pilot.press("enter")
        await on_screen(app, pilot, EditBox)


SUMMARY = """\
# Rotate the logs

```
echo one
```

```
echo two
```

```
echo three
```

```sh {"name":"rotate"}
echo rotated
```
"""


async def test_the_summary_counts_the_reference_blocks_run_marked_and_passed_by(tmp_path, home):
    app = open_app(write(tmp_path, SUMMARY, "rotate.md"), home)
    async with app.run_test(size=(100, 30)) as pilot:
        walk = await walk_screen(app, pilot)
        one, two, _three = walk.runbook.references
        await select(pilot, walk, one.id)
        await pilot.press("enter")
        await on_screen(app, pilot, EditBox)
        await pilot.press("ctrl+s")
        await on_screen(app, pilot, ConfirmDialog)
        await pilot.press("y")
        await wait_status(walk, one.id, "succeeded")
        await select(pilot, walk, two.id)
        await pilot.press("m")
        await wait_status(walk, two.id, "succeeded")
        await pilot.press("colon")
        await on_screen(app, pilot, AdhocLine)
        await pilot.press(*"true", "enter")
        await walk.wait_until(lambda: walk.status_of("adhoc-1") == "succeeded")
        await select(pilot, walk, "rotate")
        await pilot.press("enter")
        await wait_status(walk, "rotate", "succeeded")
        dialog = await on_screen(app, pilot, WalkOverDialog)
        body = str(dialog.body)
        assert body.startswith("1 of 1 steps done")
        assert "3 reference blocks: 1 ran, 1 marked done, 1 passed by; 1 ad-hoc command" in body
        assert dialog.earned == "completed"


async def test_a_value_named_like_a_secret_is_typed_without_echo(tmp_path, home):
    text = """\
---
variables:
  DB_PASSWORD: {secret: true}
---
# Connect

```sh {"name":"connect"}
echo <db-password> <api-token> <host>
```
"""
    path = write(tmp_path, text, "connect.md")
    app = open_app(path, home, variables={"DB_PASSWORD": "s3cr3t-value"})
    async with app.run_test(size=(100, 30)) as pilot:
        await walk_screen(app, pilot)
        await pilot.press("enter")
        form = await on_screen(app, pilot, FillForm)
        hidden = [field.password for field in form.query(Input)]
        assert hidden == [True, True, False]
        await pilot.press(*"pw-1", "enter", *"tok-1", "enter", *"db.internal")
        shown = str(form.query_one("#fill-values").render())
        assert "pw-1" not in shown and "tok-1" not in shown and "db.internal" in shown
        await pilot.press("escape")


async def test_the_palette_offers_mark_pass_by_the_command_line_and_the_warnings(tmp_path, home):
    from runbook_tui.tui.commands import WalkCommands

    app = open_app(write(tmp_path, DRAIN), home)
    async with app.run_test(size=(100, 30)) as pilot:
        walk = await walk_screen(app, pilot)
        on_step = {action for _t, _h, action in WalkCommands(walk)._commands()}
        assert {"adhoc", "warnings"} <= on_step and "mark" not in on_step
        await select(pilot, walk, walk.runbook.references[0].id)
        on_block = {action for _t, _h, action in WalkCommands(walk)._commands()}
        assert {"mark", "skip", "adhoc", "warnings", "perform"} <= on_block


async def test_a_resumed_session_lists_its_ad_hoc_commands_and_blocks_as_recorded(tmp_path, home):
    from runbook_tui.session.engine import Engine

    path = write(tmp_path, DRAIN)
    result = load(path)
    engine = Engine.start(result.runbook, home=home, variables={})
    first = result.runbook.references[0]
    engine.mark_reference(first.id)
    engine.run_adhoc("echo before the resume")
    engine.close()  # left without an end: interrupted, offered for resume
    app = open_app(path, home)
    async with app.run_test(size=(100, 30)) as pilot:
        await on_screen(app, pilot, ResumeOfferDialog)
        await pilot.press("r")
        walk = await walk_screen(app, pilot)
        assert rows(walk)[-2:] == ["Ad-hoc commands", "✓ $ echo before the resume"]
        assert rows(walk)[1] == "◇ $ echo pods on node-3 ✓"
        # Nothing runs again on resume.
        assert walk.status_of("adhoc-1") == "succeeded"
    started = of_type(journal_events(home), "step_started")
    assert [e["step_id"] for e in started] == ["adhoc-1"]
