"""The README's claims, checked: the two commands at the top, the first runbook it
shows (clean, and it runs), and every file it links to."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from runbook_tui.runbook.parser import parse

REPO = Path(__file__).resolve().parents[1]
README = (REPO / "README.md").read_text()


def test_the_two_commands_at_the_top_are_make_demo_and_make_test() -> None:
    first_block = README.split("```sh\n", 1)[1].split("```", 1)[0]
    commands = [line.split("#")[0].strip() for line in first_block.splitlines()]
    assert commands == ["make demo", "make test"]
    assert README.index("```sh") < README.index("\n## ")  # before anything else


def test_the_first_runbook_is_about_15_lines_clean_and_runs(tmp_path: Path) -> None:
    section = README.split("## Your first runbook", 1)[1]
    text = section.split("````markdown\n", 1)[1].split("````", 1)[0]
    assert 12 <= len(text.splitlines()) <= 16
    result = parse(text, path="clear-cache.md")
    assert result.diagnostics == []
    book = tmp_path / "clear-cache.md"
    book.write_text(text)
    cache = tmp_path / "cache"
    (cache / "old").mkdir(parents=True)
    (cache / "old" / "entry").write_text("stale")
    done = subprocess.run(
        [sys.executable, "-m", "runbook_tui", "run", str(book), "--yes",
         "--var", f"CACHE_DIR={cache}", "--home", str(tmp_path / "home")],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"emptied {cache}" in done.stdout and list(cache.iterdir()) == []


def test_every_file_the_readme_links_to_exists() -> None:
    links = re.findall(r"\]\(([^)#]+)\)", README)
    assert "docs/screenshot.svg" in links
    for link in links:
        assert (REPO / link).exists(), link
    assert (REPO / "docs" / "screenshot.svg").read_text().lstrip().startswith("<svg")
