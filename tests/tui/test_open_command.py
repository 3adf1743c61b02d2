"""`runbook-tui [FILE]` before the UI starts: argument and file errors, and Textual
staying out of every other command."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from runbook_tui.cli import main


def test_parse_errors_print_diagnostics_and_exit_2(tmp_path: Path, capsys):
    bad = tmp_path / "bad.md"
    bad.write_text('---\ntitle: [unclosed\n---\n# x\n```sh {"timeout":"soon"}\necho\n```\n')
    assert main([str(bad), "--home", str(tmp_path / "home")]) == 2
    err = capsys.readouterr().err
    assert "error" in err and str(bad) in err


def test_unknown_variable_exits_2(tmp_path: Path, capsys):
    book = tmp_path / "ok.md"
    book.write_text("# ok\n\n```sh\necho hi\n```\n")
    assert main([str(book), "--var", "NOPE=1", "--home", str(tmp_path / "home")]) == 2
    assert "unknown variable NOPE" in capsys.readouterr().err


def test_no_file_and_no_runbooks_folder_exits_2(tmp_path: Path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["open", "--home", str(tmp_path / "home")]) == 2
    assert "no folder" in capsys.readouterr().err


def test_loading_the_cli_does_not_import_textual():
    code = "import sys, runbook_tui.cli; assert 'textual' not in sys.modules, 'textual loaded'"
    subprocess.run([sys.executable, "-c", code], check=True)
