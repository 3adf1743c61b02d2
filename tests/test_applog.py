"""The tool's own log: private, rotated, warnings and errors unless --debug, and free of
secrets (tests/session/test_engine_masking.py)."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from runbook_tui import applog


@pytest.fixture
def fresh_log() -> Iterator[None]:
    """No handler from another test; none left behind."""
    root = logging.getLogger("runbook_tui")
    saved, level = root.handlers[:], root.level
    for h in saved:
        root.removeHandler(h)
    yield
    for h in root.handlers[:]:
        root.removeHandler(h)
        h.close()
    for h in saved:
        root.addHandler(h)
    root.setLevel(level)


def test_log_files_stay_private_across_rotation(tmp_path: Path, fresh_log: None) -> None:
    old = os.umask(0o022)
    try:
        path = applog.configure(tmp_path)
        assert path is not None
        log = logging.getLogger("runbook_tui.test")
        for _ in range(3000):  # past 1 MiB: at least one rotation
            log.warning("x" * 500)
    finally:
        os.umask(old)
    files = sorted(tmp_path.glob("runbook-tui.log*"))
    # Rotated at 1 MiB, 3 kept: the current file and up to 3 older ones.
    assert 2 <= len(files) <= 4, files
    assert all(f.stat().st_size <= (1 << 20) + 1024 for f in files)
    for f in files:
        assert oct(f.stat().st_mode & 0o777) == "0o600", f


def test_warnings_and_errors_by_default_everything_with_debug(
    tmp_path: Path, fresh_log: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("RUNBOOK_TUI_LOG_LEVEL", raising=False)
    path = applog.configure(tmp_path)
    assert path is not None and applog.current() == path
    log = logging.getLogger("runbook_tui.test")
    log.info("an info line")
    log.warning("a warning line")
    text = path.read_text()
    assert "a warning line" in text and "an info line" not in text


def _cli(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "RUNBOOK_TUI_LOG_LEVEL"}
    return subprocess.run(
        [sys.executable, "-m", "runbook_tui", *args, "--home", str(home)],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )


def test_debug_before_or_after_the_command_logs_what_the_tool_does(tmp_path: Path) -> None:
    quiet = _cli(tmp_path / "quiet", "sessions")
    assert quiet.returncode == 0, quiet.stderr
    assert (tmp_path / "quiet" / "runbook-tui.log").read_text() == ""
    for home, args in (
        (tmp_path / "after", ("sessions", "--debug")),
        (tmp_path / "before", ("--debug", "sessions")),
    ):
        done = _cli(home, *args)
        assert done.returncode == 0, done.stderr
        assert ": sessions" in (home / "runbook-tui.log").read_text()


def test_an_unexpected_error_is_one_line_that_points_at_the_log(
    tmp_path: Path,
    fresh_log: None,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A bug (here a handler made to raise: a real one cannot be had on purpose) is one
    line on the screen and a traceback in the log, which the line names."""
    from runbook_tui import cli
    from runbook_tui.cli import sessions

    def broken(args: object) -> int:
        raise RuntimeError("the listing broke")

    monkeypatch.setattr(sessions, "handle_list", broken)
    home = tmp_path / "home"
    assert cli.main(["sessions", "--home", str(home)]) == 1
    err = capsys.readouterr().err
    log = home / "runbook-tui.log"
    assert err == (
        "runbook-tui sessions: unexpected error: RuntimeError: the listing broke\n"
        f"  the details are in the tool's log: {log}\n"
    )
    text = log.read_text()
    assert "Traceback" in text and "the listing broke" in text
    # With --debug the traceback is on the screen too.
    with pytest.raises(RuntimeError):
        cli.main(["--debug", "sessions", "--home", str(home)])
