"""Issue 9, as a user meets it: `check` fails, `run` and `show` refuse or stay valid."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path


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
