"""The entry point: version, help, and what a bare invocation means."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from runbook_tui import __version__
from runbook_tui.cli import build_parser, main, route


def test_version_is_printed() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "runbook_tui", "--version"], capture_output=True, text=True
    )
    assert out.returncode == 0 and out.stdout.strip() == f"runbook-tui {__version__}"


def test_the_changelog_has_a_section_for_this_version_under_unreleased() -> None:
    """A release moves the Unreleased entries under its version (docs/operations.md):
    the version the package says is a heading, and Unreleased stays the first."""
    changelog = (Path(__file__).resolve().parents[2] / "CHANGELOG.md").read_text()
    headings = [line[3:] for line in changelog.splitlines() if line.startswith("## ")]
    assert headings[0] == "Unreleased" and __version__ in headings, headings


@pytest.mark.parametrize(
    "command", ["check", "show", "run", "sessions", "resume", "export", "open"]
)
def test_every_subcommand_has_help(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main([command, "--help"])
    assert exit_.value.code == 0
    assert "usage: runbook-tui" in capsys.readouterr().out


@pytest.mark.parametrize(
    "argv",
    [["book.md"], ["--drill", "book.md"], ["--dir", "runbooks"], ["book.md", "--drill"]],
)
def test_a_file_or_ui_flag_first_means_open(argv: list[str]) -> None:
    args = build_parser().parse_args(route(argv))
    assert args.command == "open"


def test_subcommands_and_top_level_flags_are_not_rerouted() -> None:
    assert route(["check", "x.md"]) == ["check", "x.md"]
    assert route(["--version"]) == ["--version"]
    assert route([]) == ["open"]


def test_sessions_help_reads_show_as_optional(capsys: pytest.CaptureFixture[str]) -> None:
    """`sessions` alone lists; the usage must not read as if `show` were required."""
    with pytest.raises(SystemExit):
        main(["sessions", "--help"])
    usage = capsys.readouterr().out.split("\n\n")[0]
    lines = [line.strip() for line in usage.splitlines()]
    assert lines[0] == "usage: runbook-tui sessions [-h] [--json] [--home DIR]", usage
    assert "runbook-tui sessions show [-h] [--json] [--no-output] [--home DIR] ID" in lines
    args = build_parser().parse_args(["sessions"])
    assert args.sessions_command is None
    with pytest.raises(SystemExit):
        main(["sessions", "show", "--help"])
    usage = capsys.readouterr().out.split("\n\n")[0]
    assert usage == "usage: runbook-tui sessions show [-h] [--json] [--no-output] [--home DIR] ID"


def test_a_command_imports_only_its_own_module_and_help_lists_them_all() -> None:
    """`check` (and every command) registers its own arguments alone: the other
    subcommands' modules are not imported. `--help` still lists every command."""
    from runbook_tui.cli import COMMAND_MODULES

    fixture = Path(__file__).resolve().parents[1] / "runbook" / "fixtures" / "deploy.md"
    script = (
        "import sys\n"
        "from runbook_tui.cli import main\n"
        "code = main(['check', sys.argv[1]])\n"
        "print(code, sorted(m for m in sys.modules if m.startswith('runbook_tui.cli.')))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(fixture)], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    code, loaded = done.stdout.split(maxsplit=1)
    assert code == "0"
    others = [m for name, m in COMMAND_MODULES.items() if name != "check"]
    assert "runbook_tui.cli.check" in loaded
    assert not [m for m in others if f"'{m}'" in loaded], loaded
    listed = subprocess.run(
        [sys.executable, "-m", "runbook_tui", "--help"], capture_output=True, text=True
    ).stdout
    commands = listed.split("positional arguments:")[1]
    assert all(f"    {name} " in commands for name in COMMAND_MODULES), listed
