"""Runbook text is untrusted: what the printers show of it holds no raw control
character (step output keeps its colours; that is the command's own)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

# A heading that would retitle the terminal, a title that would erase its own line.
SNEAKY = (
    "# Deploy \x1b]0;pwned\x07\n\n"
    '```sh {"name":"harm\\u001b[2K\\u001b[1Gless"}\n'
    "printf '\\033[32mgreen\\033[0m\\n'\n"
    "```\n"
)


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "runbook_tui", *args],
        cwd=cwd,
        env={**os.environ, "RUNBOOK_TUI_HOME": str(cwd / "home")},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_show_and_check_print_control_characters_escaped(tmp_path: Path) -> None:
    (tmp_path / "s.md").write_text(SNEAKY)
    for args in (("show", "s.md"), ("check", "s.md")):
        done = run(*args, cwd=tmp_path)
        assert done.returncode == 1  # control-character is an error
        printed = done.stdout + done.stderr
        assert "\x1b" not in printed and "\x07" not in printed, printed
        assert "\\x1b" in printed
    # JSON keeps the text exactly (its escapes are JSON's own).
    shown = json.loads(run("show", "s.md", "--json", cwd=tmp_path).stdout)
    assert shown["title"].startswith("Deploy \x1b]0;pwned")


def test_the_headless_header_escapes_what_the_runbook_says(tmp_path: Path) -> None:
    """`check` refuses such a runbook, so `run` does too; the header's escaping is the
    second line of defence: checked on the printer itself."""
    from runbook_tui.cli.headless import shown
    from runbook_tui.runbook.model import Runbook, Step
    from runbook_tui.session.engine import Engine

    path = tmp_path / "b.md"
    path.write_text("# b\n")
    step = Step(id="a", kind="shell", command="touch x ; : \x1b[2K\x1b[1G $ echo harmless", line=1)
    engine = Engine.start(Runbook(title="b", path=str(path), steps=(step,)), home=tmp_path / "h")
    assert shown(engine, step.command) == "touch x ; : \\x1b[2K\\x1b[1G $ echo harmless"
    engine.close()
