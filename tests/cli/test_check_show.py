"""`runbook-tui check` and `show`, run as a user runs them: in a subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

FIXTURES = Path(__file__).parents[1] / "runbook" / "fixtures"
GOOD = FIXTURES / "deploy.md"


def cli(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "runbook_tui", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=60,
    )


def bad_runbook(tmp_path: Path) -> Path:
    path = tmp_path / "bad.md"
    path.write_text("---\nkind: party\nweight: 1\n---\n# Bad\n\n```sh {name=\necho x\n```\n")
    return path


def test_check_clean_file_exits_zero_and_prints_nothing_on_stdout() -> None:
    done = cli("check", GOOD)
    assert (done.returncode, done.stdout) == (0, "")


def test_check_reports_located_problems_and_exits_one_on_errors(tmp_path: Path) -> None:
    bad = bad_runbook(tmp_path)
    done = cli("check", bad)
    assert done.returncode == 1
    lines = done.stdout.splitlines()
    assert f"{bad}:2:1: error: unknown runbook kind 'party'" in lines[0]
    assert lines[0].endswith("[unknown-kind]")
    assert any(line.startswith(f"{bad}:3:1: warning:") for line in lines)
    assert any("[malformed-attributes]" in line and ":7:" in line for line in lines)


def test_check_with_only_warnings_exits_zero(tmp_path: Path) -> None:
    path = tmp_path / "warn.md"
    path.write_text("# Only prose\n")
    done = cli("check", path)
    assert done.returncode == 0
    assert "[no-steps]" in done.stdout


def test_check_json_lists_every_diagnostic(tmp_path: Path) -> None:
    bad = bad_runbook(tmp_path)
    done = cli("check", "--json", bad, GOOD)
    assert done.returncode == 1
    items = json.loads(done.stdout)
    assert {tuple(sorted(i)) for i in items} == {
        ("code", "column", "line", "message", "path", "severity")
    }
    assert items[0] == {
        "path": str(bad),
        "line": 2,
        "column": 1,
        "severity": "error",
        "code": "unknown-kind",
        "message": items[0]["message"],
    }


def test_check_missing_file_is_a_usage_error(tmp_path: Path) -> None:
    done = cli("check", GOOD, tmp_path / "missing.md")
    assert done.returncode == 2
    assert "no such file" in done.stderr


def test_check_without_files_is_a_usage_error() -> None:
    assert cli("check").returncode == 2


def test_check_directory_checks_every_markdown_file(tmp_path: Path) -> None:
    bad_runbook(tmp_path)
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "ok.md").write_text("```sh\necho ok\n```\n")
    done = cli("check", tmp_path)
    assert done.returncode == 1
    assert "2 file(s)" in done.stderr


def test_check_non_utf8_file_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "latin1.md"
    path.write_bytes(b"# T\n\ncaf\xe9\n")
    done = cli("check", path)
    assert done.returncode == 1
    assert f"{path}:3:4: error:" in done.stdout and "[not-utf8]" in done.stdout


def test_show_json_has_the_documented_keys() -> None:
    done = cli("show", GOOD, "--json")
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    for key in ("title", "kind", "rto_seconds", "variables", "services", "logs", "backups"):
        assert key in doc
    assert doc["rto_seconds"] == 2700
    assert doc["variables"][1]["name"] == "API_TOKEN" and doc["variables"][1]["secret"] is True
    pull = next(s for s in doc["steps"] if s["id"] == "pull")
    for key in ("id", "name", "kind", "section", "line", "language", "command", "attrs"):
        assert key in pull
    assert pull["section"] == ["Deploy the api", "Prepare"]
    assert pull["attrs"] == {"name": "pull", "timeout": "10m"}
    manual = doc["steps"][0]
    assert (manual["kind"], manual["name"], manual["rollback"]) == ("manual", None, False)
    assert doc["steps"][-1]["rollback"] is True


def test_show_outline_lists_sections_and_steps() -> None:
    done = cli("show", GOOD)
    assert done.returncode == 0
    out = done.stdout
    assert out.startswith("Deploy the api\n")
    assert "## Rollback" in out
    assert "pull" in out and "shell" in out and "manual" in out
    assert "[rollback]" in out.splitlines()[-1]


def test_show_missing_file_is_a_usage_error(tmp_path: Path) -> None:
    assert cli("show", tmp_path / "nope.md").returncode == 2


def test_help_for_check_and_show() -> None:
    assert "FILE" in cli("check", "--help").stdout
    assert "--json" in cli("show", "--help").stdout
