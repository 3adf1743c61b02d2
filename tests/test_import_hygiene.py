"""Everything but the UI runs without Textual: import it all in a fresh interpreter,
run `check`, and look for `textual` in sys.modules."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

FIXTURE = Path(__file__).parent / "runbook" / "fixtures" / "deploy.md"

SCRIPT = """
import pkgutil, sys
import runbook_tui
from runbook_tui import cli

UI = ("runbook_tui.tui", "runbook_tui.cli.open_ui")
imported = []
for info in pkgutil.walk_packages(runbook_tui.__path__, "runbook_tui."):
    # __main__ modules run the program when imported; they only call cli.main.
    if info.name.startswith(UI) or info.name.endswith("__main__"):
        continue
    __import__(info.name)
    imported.append(info.name)
code = cli.main(["check", sys.argv[1]])
loaded = sorted(m for m in sys.modules if m == "textual" or m.startswith("textual."))
print(len(imported), code, loaded)
assert "runbook_tui.runbook.parser" in imported, imported
assert not loaded, loaded
"""


def test_non_ui_modules_and_check_do_not_import_textual() -> None:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(FIXTURE)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    count, code, loaded = done.stdout.split(maxsplit=2)
    assert int(count) >= 10
    assert code == "0"
    assert loaded.strip() == "[]"
