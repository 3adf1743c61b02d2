"""Issue 9, as a user meets it: `check` fails, `run` and `show` refuse or stay valid."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest


def cli(*args: str | Path, home: Path | None = None) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "runbook_tui", *map(str, args)]
    if home is not None:
        command += ["--home", str(home)]
    return subprocess.run(command, capture_output=True, text=True, timeout=60)


UNCLOSED = "# Deploy\n\n```sh\necho start\n\n## Cleanup\n\nreboot now\n"


def test_check_fails_on_an_unclosed_fence_and_run_refuses_it(tmp_path: Path) -> None:
    path = tmp_path / "unclosed.md"
    path.write_text(UNCLOSED)
    done = cli("check", path)
    assert done.returncode == 1
    assert f"{path}:3:1: error:" in done.stdout and "[unclosed-fence]" in done.stdout
    ran = cli("run", path, "--yes", home=tmp_path / "home")
    assert ran.returncode == 2
    assert "[unclosed-fence]" in ran.stderr
    assert "reboot" not in ran.stdout


def test_show_json_of_a_runbook_with_lone_surrogates_is_valid_utf8_json(tmp_path: Path) -> None:
    path = tmp_path / "surrogate.md"
    path.write_text('# T\n\n```sh {"name": "n\\ud800"}\necho\n```\n')
    done = subprocess.run(
        [sys.executable, "-m", "runbook_tui", "show", "--json", str(path)],
        capture_output=True,
        timeout=60,
    )
    assert done.returncode == 1, done.stderr
    document = json.loads(done.stdout.decode("utf-8"))
    assert document["steps"][0]["name"] == "n\ufffd"
    assert b"[bad-value]" in done.stderr and b"Traceback" not in done.stderr


def test_show_json_never_prints_nan(tmp_path: Path) -> None:
    path = tmp_path / "nan.md"
    path.write_text('---\nrto: .nan\n---\n# T\n\n```sh {"timeout": NaN}\necho\n```\n')
    assert cli("check", path).returncode == 1
    done = cli("show", "--json", path)
    assert done.returncode == 1 and "[bad-number]" in done.stderr
    document = json.loads(done.stdout, parse_constant=lambda word: pytest.fail(word))
    assert document["rto_seconds"] is None
