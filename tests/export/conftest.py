"""Real sessions to export: recorded by the real engine or by `runbook-tui run` and
`resume` in real processes, with real shells, in a temporary state home; and checks that
hold for every transcript of a format, whatever the session."""

from __future__ import annotations

import itertools
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import jsonschema
import psutil
import pytest

from runbook_tui.runbook.parser import load
from runbook_tui.session.engine import Engine

SCHEMA = json.loads(
    (Path(__file__).parents[2] / "docs" / "transcript.schema.json").read_text(encoding="utf-8")
)
ASCIINEMA = str(Path(sys.executable).with_name("asciinema"))
FORMATS = ("markdown", "json", "asciicast", "html")

SECRET = "s3cr3t-Value-4711"
TOKEN = "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"  # a GitHub token's shape

RUNBOOK = """\
---
title: Restore the orders | db
kind: restore
variables:
  RELEASE:
    default: "42"
  DB_KEY:
    secret: true
    from_env: TEST_DB_KEY
    required: false
---

# Restore the orders | db

## Prepare

- [ ] Tell #incident that writes are paused

```sh {"name":"check"}
printf '\\033[31mred\\033[0m \\074b\\076not bold\\074/b\\076 `tick` | pipe\\n~~~~ tildes\\n'
echo "key is $DB_KEY"
```

## Restore

```sh {"name":"restore"}
test -e ok || { echo "not yet"; exit 3; }
echo restored
```

```sh {"name":"verify"}
echo verified
```

## Rollback

```sh {"name":"undo"}
echo undone
```
"""

CHECK, RESTORE, VERIFY, UNDO = "check", "restore", "verify", "undo"
MANUAL = "prepare-cfbe02"


@pytest.fixture
def book(tmp_path: Path) -> Path:
    path = tmp_path / "restore.md"
    path.write_text(RUNBOOK)
    return path


def cli(
    *args: str, home: Path, cwd: Path, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "runbook_tui", *args, "--home", str(home)],
        cwd=cwd,
        env={**os.environ, **(env or {})},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def only_session(home: Path) -> str:
    [session] = (home / "sessions").iterdir()
    return session.name


def journal_events(home: Path, session_id: str) -> list[dict[str, Any]]:
    lines = (home / "sessions" / session_id / "journal.jsonl").read_text().splitlines()
    return [json.loads(line) for line in lines]


def export(home: Path, session_id: str, fmt: str, cwd: Path) -> str:
    """The transcript as `runbook-tui export` prints it."""
    done = cli("export", session_id, "--format", fmt, home=home, cwd=cwd)
    assert done.returncode == 0, done.stderr
    return done.stdout


def engine_for(book: Path, home: Path, **variables: str) -> Engine:
    result = load(book)
    assert result.runbook is not None
    return Engine.start(result.runbook, home=home, variables=variables, use_pty=True)


# -- sessions ------------------------------------------------------------------------


Scenario = Callable[[Path, Path], tuple[Path, str]]


def completed(tmp_path: Path, book: Path) -> tuple[Path, str]:
    (tmp_path / "ok").touch()
    home = tmp_path / "home"
    done = cli("run", str(book), "--yes", home=home, cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    return home, only_session(home)


def failed(tmp_path: Path, book: Path) -> tuple[Path, str]:
    home = tmp_path / "home"
    done = cli("run", str(book), "--yes", home=home, cwd=tmp_path, env={"TEST_DB_KEY": SECRET})
    assert done.returncode == 1, done.stdout + done.stderr
    return home, only_session(home)


def rolled_back(tmp_path: Path, book: Path) -> tuple[Path, str]:
    home = tmp_path / "home"
    engine = engine_for(book, home)
    engine.confirm_manual(MANUAL)
    assert engine.run_step(CHECK).succeeded
    assert not engine.run_step(RESTORE).succeeded
    engine.switch_walk("rollback", "after “restore” failed")
    assert engine.run_step(UNDO).succeeded
    assert engine.finish() == "rolled_back"
    return home, engine.session_id


def notes_and_skips(tmp_path: Path, book: Path) -> tuple[Path, str]:
    home = tmp_path / "home"
    engine = engine_for(book, home)
    engine.note("paged the DBA | on call")
    engine.skip(MANUAL, "nobody to tell at 03:00")
    assert engine.run_step(CHECK).succeeded
    engine.note("disk looked fine", step_id=CHECK)
    (tmp_path / "ok").touch()
    assert engine.run_step(RESTORE).succeeded
    engine.skip(VERIFY, "verified by hand <in psql>")
    assert engine.finish() == "completed"
    return home, engine.session_id


def interrupted_and_resumed(tmp_path: Path, book: Path) -> tuple[Path, str]:
    """`run` killed (-9) while `restore` sleeps after printing; then `resume --yes`."""
    path = tmp_path / "slow.md"
    path.write_text(
        book.read_text().replace(
            'test -e ok || { echo "not yet"; exit 3; }',
            'printf "before the %s\\n" crash; echo $$ > pid; [ -e ok ] || sleep 60',
        )
    )
    home = tmp_path / "home"
    proc = subprocess.Popen(
        [sys.executable, "-m", "runbook_tui", "run", str(path), "--yes", "--home", str(home)],
        cwd=tmp_path, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    pid_file = tmp_path / "pid"
    while not (pid_file.exists() and pid_file.read_text().strip()):
        assert time.monotonic() < deadline, "the step never started"
        time.sleep(0.05)
    journal = next((home / "sessions").glob("*/journal.jsonl"))
    while "before the crash" not in _output_so_far(journal):
        assert time.monotonic() < deadline, "the output never reached the journal"
        time.sleep(0.05)
    proc.kill()
    proc.wait()
    step = int(pid_file.read_text())
    os.killpg(step, signal.SIGKILL)
    while psutil.pid_exists(step) and psutil.Process(step).status() != psutil.STATUS_ZOMBIE:
        assert time.monotonic() < deadline, "the step outlived SIGKILL"
        time.sleep(0.05)
    (tmp_path / "ok").touch()
    session = journal.parent.name
    done = cli("resume", session, "--yes", home=home, cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    return home, session


def _output_so_far(journal: Path) -> str:
    """The output events' data in a journal being written (a torn last line skipped)."""
    text = []
    for line in journal.read_text().splitlines():
        try:
            event = json.loads(line)
        except ValueError:
            continue
        if event.get("type") == "output":
            text.append(event["data"])
    return "".join(text)


def with_a_secret(tmp_path: Path, book: Path) -> tuple[Path, str]:
    path = tmp_path / "secret.md"
    path.write_text(
        book.read_text().replace(
            'echo "key is $DB_KEY"',
            f'echo "key is $DB_KEY"; echo "token {TOKEN}"; printf "%s" "$DB_KEY" | base64',
        )
    )
    (tmp_path / "ok").touch()
    home = tmp_path / "home"
    done = cli("run", str(path), "--yes", home=home, cwd=tmp_path, env={"TEST_DB_KEY": SECRET})
    assert done.returncode == 0, done.stdout + done.stderr
    assert SECRET not in done.stdout and TOKEN not in done.stdout
    return home, only_session(home)


FLOOD_LINES = 200_000


def flood(tmp_path: Path, book: Path) -> tuple[Path, str]:
    path = tmp_path / "flood.md"
    path.write_text(book.read_text().replace("echo verified", f"seq 1 {FLOOD_LINES}"))
    (tmp_path / "ok").touch()
    home = tmp_path / "home"
    done = cli("run", str(path), "--yes", home=home, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    return home, only_session(home)


SCENARIOS: dict[str, Scenario] = {
    "completed": completed,
    "failed": failed,
    "rolled_back": rolled_back,
    "notes_and_skips": notes_and_skips,
    "interrupted_and_resumed": interrupted_and_resumed,
    "with_a_secret": with_a_secret,
    "flood": flood,
}


# -- what every transcript of a format must be ----------------------------------------


def check_json(text: str) -> dict[str, Any]:
    doc = json.loads(text)
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    jsonschema.validate(doc, SCHEMA, cls=jsonschema.Draft202012Validator)
    return doc


def check_asciicast(path: Path) -> tuple[dict[str, Any], list[list[Any]], str]:
    """Header, events and what `asciinema cat` (the real one, 2.4.0) prints; `asciinema
    play` (at 1000x) plays it to the end and prints the same (headless: its output is a
    pipe, its input none)."""
    raw = path.read_bytes()
    assert raw.endswith(b"\n")
    lines = raw.decode("utf-8").split("\n")[:-1]
    assert all(line.strip() for line in lines), "a blank line stops the 2.x player"
    header = json.loads(lines[0])
    assert header["version"] == 2 and header["width"] > 0 and header["height"] > 0
    events = [json.loads(line) for line in lines[1:]]
    times = [e[0] for e in events]
    assert times == sorted(times) and all(t >= 0 for t in times)
    assert all(e[1] in ("o", "m") and isinstance(e[2], str) for e in events)
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert all(gap <= 2.0 + 1e-6 for gap in gaps)  # idle gaps are shortened
    env = {**os.environ, "ASCIINEMA_CONFIG_HOME": str(path.parent / "asciinema-config")}
    shown = {}
    for command in (["cat"], ["play", "-s", "1000"]):
        done = subprocess.run(
            [ASCIINEMA, *command, str(path)],
            capture_output=True,
            stdin=subprocess.DEVNULL,
            timeout=120,
            env=env,
        )
        assert done.returncode == 0, done.stderr
        shown[command[0]] = done.stdout.decode("utf-8")
    assert shown["cat"] == "".join(e[2] for e in events if e[1] == "o")
    assert shown["play"] == shown["cat"]
    return header, events, shown["cat"]


class _Page(HTMLParser):
    """What an HTML transcript holds that could reach outside it."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.outside: list[str] = []
        self.text: list[str] = []
        self.style = ""
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        if tag in ("script", "link", "img", "iframe", "object", "embed", "base", "form"):
            self.outside.append(tag)
        for name, value in attrs:
            if name in ("src", "href", "action", "srcset", "poster", "data") or name.startswith(
                "on"
            ):
                self.outside.append(f"{tag} {name}={value}")
            if name == "style" and value and "url(" in value:
                self.outside.append(f"{tag} style={value}")
        self._in_style = tag == "style"

    def handle_endtag(self, tag: str) -> None:
        self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.style += data
        else:
            self.text.append(data)


def check_html(text: str) -> _Page:
    assert text.startswith("<!DOCTYPE html>")
    page = _Page()
    page.feed(text)
    page.close()
    assert page.outside == []
    assert "url(" not in page.style and "@import" not in page.style
    assert "default-src 'none'" in text  # the browser is told to load nothing
    return page


def check_markdown(text: str) -> Any:
    """Parsed as GitHub and GitLab do (CommonMark and GFM tables): every table row has
    its table's cells, no raw HTML but <br>, and the fences close where they should."""
    from markdown_it import MarkdownIt

    md = MarkdownIt("commonmark").enable("table")
    tokens = md.parse(text)
    for i, tok in enumerate(tokens):
        if tok.type == "html_inline" or tok.type == "html_block":
            raise AssertionError(f"raw HTML in the markdown: {tok.content!r}")
        if tok.type == "inline":
            for child in tok.children or []:
                if child.type == "html_inline":
                    assert child.content == "<br>", child.content
        if tok.type == "table_open":
            widths = set()
            j = i
            while tokens[j].type != "table_close":
                if tokens[j].type == "tr_open":
                    k, cells = j, 0
                    while tokens[k].type != "tr_close":
                        cells += tokens[k].type in ("th_open", "td_open")
                        k += 1
                    widths.add(cells)
                j += 1
            assert len(widths) == 1, widths
    headings = [tokens[i + 1].content for i, t in enumerate(tokens) if t.type == "heading_open"]
    for section in (
        "Summary",
        "Impact",
        "Root cause",
        "Action items",
        "Variables",
        "Timeline",
        "Steps",
    ):
        assert section in headings, headings
    return tokens
