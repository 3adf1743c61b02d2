"""The bundled runbooks: one source (the repository's runbooks/), found by the installed
package, each a clean model of the format."""

from __future__ import annotations

import re
from pathlib import Path

from runbook_tui.demo.bundled import runbooks_dir
from runbook_tui.runbook.parser import load

REPO = Path(__file__).resolve().parents[2]


def runbooks() -> dict[str, Path]:
    return {path.name: path for path in sorted(runbooks_dir().glob("*.md"))}


def test_the_package_reads_the_repositorys_runbooks_folder() -> None:
    assert runbooks_dir() == (REPO / "runbooks").resolve()
    link = REPO / "src" / "runbook_tui" / "runbooks"
    # One source: the package's folder is a link to it, not a copy.
    assert link.is_symlink() and link.resolve() == (REPO / "runbooks").resolve()
    assert not list((REPO / "src" / "runbook_tui" / "demo").glob("*.md"))


def test_there_is_a_deploy_a_restore_and_an_incident() -> None:
    kinds = {name: load(path).runbook.kind for name, path in runbooks().items()}
    assert kinds == {"deploy.md": "deploy", "restore.md": "restore", "incident.md": "incident"}


def test_every_bundled_runbook_is_clean() -> None:
    for name, path in runbooks().items():
        result = load(path)
        left = [
            d.format()
            for d in result.diagnostics
            if not (name == "incident.md" and d.code == "placeholder")
        ]
        assert left == [], name


def test_the_deploy_has_health_checks_a_danger_step_and_a_rollback() -> None:
    book = load(runbooks()["deploy.md"]).runbook
    assert [s.name for s in book.services] == ["shop"] and book.services[0].check == "http"
    assert any(step.danger for step in book.main_steps)
    assert any(step.confirm for step in book.main_steps)
    assert [step.id for step in book.rollback_steps] == ["rollback-switch", "rollback-verify"]
    assert book.rto_seconds is not None


def test_the_restore_drill_names_its_backup_set_and_verifies_what_it_restored() -> None:
    book = load(runbooks()["restore.md"]).runbook
    assert book.restores == ("shop-db",) and [b.name for b in book.backups] == ["shop-db"]
    assert book.rto_seconds == 300
    commands = "\n".join(step.command for step in book.steps)
    assert "PRAGMA integrity_check" in commands and "count(*)" in commands


def test_no_runbook_holds_a_port_or_a_sandbox_path() -> None:
    """Ports and paths come from the environment, so the text (and its sha256) is the
    same in every sandbox, and a resumed demo session never says the runbook changed."""
    for name, path in runbooks().items():
        text = path.read_text()
        assert not re.search(r"127\.0\.0\.1:\d", text), name
        assert "/demo/sandbox" not in text and "/tmp/" not in text, name
        for variable in re.findall(r"\$\{(\w+)\}", text.split("\n---\n", 1)[0]):
            assert variable in {v.name for v in load(path).runbook.variables}, (name, variable)


def test_the_incident_has_a_reference_block_a_placeholder_and_an_ad_hoc_command() -> None:
    result = load(runbooks()["incident.md"])
    book = result.runbook
    assert [r.text.strip() for r in book.references] == ['ss -ltnp "sport = :$PORT"']
    [note] = [s for s in book.steps if s.placeholders]
    assert note.placeholders == ("cause",)
    # The one warning check gives, which its prose explains.
    assert [d.code for d in result.diagnostics] == ["placeholder"]
    assert (
        "That placeholder is why `runbook-tui check` warns" in runbooks()["incident.md"].read_text()
    )
    assert "Press `:` and run it" in runbooks()["incident.md"].read_text()
