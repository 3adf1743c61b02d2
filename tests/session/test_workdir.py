"""Where the first step starts: the runbook's folder, or the folder the session was
started in (`--workdir`, the demo's sandbox), which resume keeps."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from runbook_tui.runbook.model import Runbook, Step
from runbook_tui.session.engine import Engine
from runbook_tui.session.journal import read_journal


def book(tmp_path: Path) -> Runbook:
    folder = tmp_path / "runbooks"
    folder.mkdir()
    path = folder / "book.md"
    path.write_text("# where\n")
    steps = tuple(
        Step(id=name, kind="shell", command=f'pwd > "$OUT/{name}"', line=1, language="sh")
        for name in ("first", "second")
    )
    return Runbook(title="where", path=str(path), steps=steps)


def test_a_session_started_elsewhere_starts_there_and_resumes_there(tmp_path: Path) -> None:
    runbook, work, out = book(tmp_path), tmp_path / "work", tmp_path / "out"
    work.mkdir()
    out.mkdir()
    engine = Engine.start(runbook, home=tmp_path / "home", variables={}, workdir=work)
    first = read_journal(engine.journal_path).events[0]
    assert first["workdir"] == str(work.resolve())
    session = engine.session_id
    engine.close()  # stopped before any step finished: nothing else records a folder
    resumed = Engine.resume(tmp_path / "home", session, runbook, variables={})
    resumed.runner.env["OUT"] = str(out)
    assert resumed.run_step("first").succeeded
    assert (out / "first").read_text().strip() == str(work.resolve())
    resumed.close()


def test_by_default_the_first_step_starts_in_the_runbooks_folder(tmp_path: Path) -> None:
    runbook, out = book(tmp_path), tmp_path / "out"
    out.mkdir()
    engine = Engine.start(runbook, home=tmp_path / "home", variables={})
    engine.runner.env["OUT"] = str(out)
    assert engine.run_step("first").succeeded
    assert (out / "first").read_text().strip() == str(Path(runbook.path).parent.resolve())
    assert read_journal(engine.journal_path).events[0]["workdir"] == str(
        Path(runbook.path).parent.resolve()
    )
    engine.close()


def test_run_refuses_a_workdir_that_is_not_a_folder(tmp_path: Path) -> None:
    runbook = book(tmp_path)
    done = subprocess.run(
        [sys.executable, "-m", "runbook_tui", "run", str(runbook.path), "--yes", "--workdir",
         str(tmp_path / "nowhere"), "--home", str(tmp_path / "home")],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 2
    assert done.stderr == f"runbook-tui run: --workdir {tmp_path / 'nowhere'} is not a folder\n"
    assert not (tmp_path / "home" / "sessions").exists() or not list(
        (tmp_path / "home" / "sessions").iterdir()
    )
