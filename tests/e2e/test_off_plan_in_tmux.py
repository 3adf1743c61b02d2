"""Off the plan, in a real terminal (tmux): a reference block edited and run, a step's
placeholder filled in the form, and ad-hoc commands (one of them interactive, with the
terminal handed over); the journal checked to agree with what was seen."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from .tmux import COMMAND, Tmux

pytestmark = [pytest.mark.e2e]

RUNBOOK = """\
# Replace a stuck pod

## Look

See what runs there first:

```
$ echo looked at the pods > looked.txt
web-1   Terminating
```

## Replace

- If you are comfortable with possible data loss, delete the pod:

    ```sh {"name":"delete"}
    echo "deleted <pod-name>" > deleted.txt
    ```
"""


def journal(home: Path) -> list[dict[str, Any]]:
    [session] = list((home / "sessions").iterdir())
    lines = (session / "journal.jsonl").read_text().splitlines()
    return [json.loads(line) for line in lines]


def test_reference_edit_and_run_placeholders_and_ad_hoc_commands(tmux: Tmux, tmp_path: Path):
    book = tmp_path / "replace.md"
    book.write_text(RUNBOOK)
    home = tmp_path / "home"
    tmux.start([COMMAND, str(book), "--home", str(home)], cwd=tmp_path)
    tmux.wait_for("○ delete")
    tmux.wait_for("warnings (w)")

    # The reference block: shown apart, edited (its sample output dropped), confirmed, run.
    tmux.keys("Up")
    tmux.wait_for("⏎ Edit ")
    tmux.keys("Enter")
    tmux.wait_for("Run an edited copy")
    tmux.wait_for("web-1   Terminating")
    tmux.keys("C-o")
    tmux.wait_for(lambda s: "Terminating" not in s.split("Run an edited copy")[1])
    tmux.keys("C-s")
    tmux.wait_for("Run this edited copy of the block at line")
    tmux.keys("y")
    tmux.wait_for("✓ Ran the edited copy of the block at line")
    assert (tmp_path / "looked.txt").read_text() == "looked at the pods\n"

    # The step with a placeholder: the form shows the command as it will run.
    tmux.keys("Down")
    tmux.wait_for("If you are comfortable with possible")
    tmux.keys("Enter")
    tmux.wait_for("Values to fill in")
    tmux.type("web-1")
    tmux.wait_for("with <pod-name> = web-1")
    tmux.wait_for('echo "deleted ${RBT_FILL_POD_NAME}" > deleted.txt')
    tmux.keys("Enter")
    tmux.wait_for("✓ delete")
    assert (tmp_path / "deleted.txt").read_text() == "deleted web-1\n"
    # The only step is done: the summary counts the block that ran.
    screen = tmux.wait_for("1 reference block: 1 ran, 0 marked done, 0 passed by")
    assert "s Pass" not in screen  # the footer behind it is the step's
    tmux.keys("Escape")
    tmux.wait_for(lambda s: "End the session" not in s)

    # An ad-hoc command, in the carried shell state.
    tmux.keys(":")
    tmux.wait_for("Run a command")
    tmux.type("cd / && echo adhoc ran in $PWD")
    tmux.keys("Enter")
    tmux.wait_for("adhoc ran in /")
    tmux.wait_for("✓ $ cd / && echo adhoc")
    # An interactive one: it gets the terminal, and runs where the last one left off.
    tmux.keys(":")
    tmux.wait_for("Run a command")
    tmux.type("printf 'who? '; read who; echo \"got $who\" > " + str(tmp_path / "got.txt"))
    tmux.keys("C-t")
    tmux.keys("Enter")
    tmux.wait_for("who?")
    tmux.wait_for(lambda _screen: tmux.foreground_command() == "bash")
    tmux.type("bob")
    tmux.keys("Enter")
    tmux.wait_for("✓ $ printf 'who? '")
    assert (tmp_path / "got.txt").read_text() == "got bob\n"
    tmux.keys("q")
    assert tmux.exit_code() == 0

    started = [e for e in journal(home) if e["type"] == "step_started"]
    assert [(e["kind"], e["step_id"][:4]) for e in started] == [
        ("reference", "ref-"),
        ("shell", "dele"),
        ("adhoc", "adho"),
        ("adhoc", "adho"),
    ]
    reference, delete, adhoc, interactive = started
    assert reference["command"] == "echo looked at the pods > looked.txt"
    assert "web-1   Terminating" in reference["written"]
    assert delete["fills"] == {"pod-name": "web-1"}
    assert delete["command"] == 'echo "deleted ${RBT_FILL_POD_NAME}" > deleted.txt'
    assert adhoc["cwd"] != "/" and interactive["cwd"] == "/"
    assert interactive["interactive"] is True


# A runbook with no steps (it opens on its blocks): a psql-like session, written as a
# person would, command and sample output mixed, with a placeholder.
CONNECT = """\
# Connect to the orders database

Open a session on the primary:

```
$ printf "password for <db-host>? "; read -r pw; echo "connected to <db-host>" > connected.txt
psql (16.1)
orders=>
```
"""


def test_an_edited_reference_block_runs_interactive_with_its_placeholder_filled(
    tmux: Tmux, tmp_path: Path
):
    book = tmp_path / "connect.md"
    book.write_text(CONNECT)
    home = tmp_path / "home"
    tmux.start([COMMAND, str(book), "--home", str(home)], cwd=tmp_path)
    tmux.wait_for("⏎ Edit ")
    tmux.keys("Enter")
    tmux.wait_for("Run an edited copy")
    tmux.keys("C-o")  # the command line only
    tmux.wait_for(lambda s: "orders=>" not in s.split("Run an edited copy")[1])
    tmux.keys("C-t", "C-s")
    # The value form is the go-ahead: it shows the command as it will run.
    tmux.wait_for("Values to fill in")
    tmux.type("db.internal")
    tmux.wait_for("with <db-host> = db.internal")
    tmux.keys("Enter")
    # The terminal is the command's: it asks, and what is typed goes to it.
    tmux.wait_for("password for db.internal?")
    tmux.wait_for(lambda _screen: tmux.foreground_command() == "bash")
    tmux.type("hunter2")
    tmux.keys("Enter")
    tmux.wait_for("✓ Ran the edited copy of the block at line 5")
    assert (tmp_path / "connected.txt").read_text() == "connected to db.internal\n"
    tmux.keys("q")
    assert tmux.exit_code() == 0

    events = journal(home)
    [started] = [e for e in events if e["type"] == "step_started"]
    assert (started["kind"], started["source_line"], started["interactive"]) == (
        "reference",
        5,
        True,
    )
    assert started["fills"] == {"db-host": "db.internal"}
    assert "<db-host>" not in started["command"] and "RBT_FILL_DB_HOST" in started["command"]
    assert "psql (16.1)" in started["written"]
    [finished] = [e for e in events if e["type"] == "step_finished"]
    assert (finished["step_id"], finished["verdict"]) == (started["step_id"], "succeeded")
    # The terminal was handed over: what was typed into it is not on the record.
    assert all("hunter2" not in json.dumps(e) for e in events)
