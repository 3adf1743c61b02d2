"""The runbook parsed in a child while Textual loads (cli/prefetch.py): the same parse
as one made here, and a parse made here whenever the child cannot deliver.

Each case runs in a fresh interpreter: a fork is refused while other threads run, and
the test runner has some."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

BOOKS = {
    "plain": "# Deploy\n\nProse.\n\n```sh\necho one\n```\n\n## Rollback\n\n```sh\necho back\n```\n",
    "front": (
        "---\ntitle: Orders\nkind: restore\nrto: 15m\nvariables:\n"
        "  TOKEN: {secret: true, default: s3cr3t-value}\n"
        "services:\n  - {name: api, http: 'http://127.0.0.1:1/health'}\n---\n"
        '# Orders\n\n```sh {"name":"a","timeout":"5s"}\ncurl <host>\n```\n\n'
        "```\nkubectl get pods\n```\n"
    ),
    "errors": "---\ntitle: [unclosed\n---\n# Broken\n\n```sh\necho x\n```\n",
    "controls": "# Bad \x1b[31m\n\n```sh\necho \u202e\n```\n",
}


def run(script: str) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == "", done.stderr
    return json.loads(done.stdout)


@pytest.mark.parametrize("name", sorted(BOOKS))
def test_the_childs_parse_is_the_parse_made_here(tmp_path: Path, name: str) -> None:
    path = tmp_path / f"{name}.md"
    path.write_text(BOOKS[name])
    found = run(
        f"""
        import json, sys
        from runbook_tui.cli import prefetch
        started = prefetch.start({str(path)!r})
        away = started.result() if started else None
        # The child did the parsing: this process never imported the parser.
        parser_here = "runbook_tui.runbook.parser" in sys.modules
        from runbook_tui.runbook.parser import load
        here = load({str(path)!r})
        print(json.dumps({{
            "started": started is not None,
            "parser_here": parser_here,
            "same": away == here,
            "diagnostics": len(here.diagnostics),
        }}))
        """
    )
    assert found == {
        "started": True,
        "parser_here": False,
        "same": True,
        "diagnostics": found["diagnostics"],
    }
    if name in ("errors", "controls"):
        assert found["diagnostics"], "the fixture should give diagnostics"


def test_a_child_that_dies_gives_no_parse(tmp_path: Path) -> None:
    path = tmp_path / "book.md"
    path.write_text(BOOKS["plain"])
    found = run(
        f"""
        import json, os, signal
        from runbook_tui.cli import prefetch
        started = prefetch.start({str(path)!r})
        os.kill(started.pid, signal.SIGKILL)
        print(json.dumps({{"result": started.result() is None}}))
        """
    )
    assert found == {"result": True}


def test_what_is_better_parsed_here_is_not_forked(tmp_path: Path) -> None:
    big = tmp_path / "big.md"
    big.write_text("# Big\n\n" + "Prose line.\n" * 200_000)  # over 1 MiB
    (tmp_path / "folder.md").mkdir()
    (tmp_path / "small.md").write_text(BOOKS["plain"])
    found = run(
        f"""
        import json, threading
        from runbook_tui.cli import prefetch
        cases = {{
            "missing": prefetch.start({str(tmp_path / "nowhere.md")!r}),
            "folder": prefetch.start({str(tmp_path / "folder.md")!r}),
            "big": prefetch.start({str(big)!r}),
        }}
        stop = threading.Event()
        worker = threading.Thread(target=stop.wait)
        worker.start()
        cases["threads"] = prefetch.start({str(tmp_path / "small.md")!r})
        stop.set()
        worker.join()
        print(json.dumps({{k: v is None for k, v in cases.items()}}))
        """
    )
    assert found == {"missing": True, "folder": True, "big": True, "threads": True}


def test_opening_the_ui_on_a_broken_runbook_says_why_as_before(tmp_path: Path) -> None:
    """The child never prints: the errors come from this process, once, exit 2."""
    path = tmp_path / "broken.md"
    path.write_text(BOOKS["errors"])
    done = subprocess.run(
        [sys.executable, "-m", "runbook_tui", str(path), "--home", str(tmp_path / "home")],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2
    assert done.stderr.count("has 1 error(s)") == 1, done.stderr
    assert done.stdout == ""
