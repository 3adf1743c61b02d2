"""The runbook as plain JSON-ready data: the `show --json` schema (documented in
docs/runbook-format.md). Keys are only ever added, never renamed."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from runbook_tui.runbook.model import Diagnostic, Runbook, Step

SCHEMA_VERSION = 1


def diagnostic_to_dict(diagnostic: Diagnostic) -> dict[str, Any]:
    """One `check --json` entry."""
    return {
        "path": diagnostic.path,
        "line": diagnostic.line,
        "column": diagnostic.column,
        "severity": diagnostic.severity,
        "code": diagnostic.code,
        "message": diagnostic.message,
    }


def step_to_dict(step: Step) -> dict[str, Any]:
    return {
        "id": step.id,
        "name": step.name,
        "kind": step.kind,
        "section": list(step.section),
        "line": step.line,
        "language": step.language,
        "command": step.command,
        "attrs": step.attrs,
        "rollback": step.rollback,
        "sample_output": step.sample_output,
        "confirm": step.confirm,
        "danger": step.danger,
        "timeout_seconds": step.timeout_seconds,
        "expect_exit": step.expect_exit,
        "expect_output": step.expect_output,
        "cwd": step.cwd,
        "interactive": step.interactive,
        "errexit": step.errexit,
        "pipefail": step.pipefail,
    }


def runbook_to_dict(
    runbook: Runbook, diagnostics: list[Diagnostic] | None = None
) -> dict[str, Any]:
    """The `show --json` document."""
    result: dict[str, Any] = {
        "schema": SCHEMA_VERSION,
        "path": runbook.path,
        "title": runbook.title,
        "kind": runbook.kind,
        "owner": runbook.owner,
        "rto_seconds": runbook.rto_seconds,
        "restores": list(runbook.restores),
        "errexit": runbook.errexit,
        "pipefail": runbook.pipefail,
        "variables": [{**asdict(v), "choices": list(v.choices)} for v in runbook.variables],
        "services": [asdict(s) for s in runbook.services],
        "logs": [asdict(log) for log in runbook.logs],
        "backups": [asdict(b) for b in runbook.backups],
        "sections": [
            {
                "title": s.title,
                "level": s.level,
                "line": s.line,
                "path": list(s.path),
                "prose": s.prose,
            }
            for s in runbook.sections
        ],
        "steps": [step_to_dict(s) for s in runbook.steps],
    }
    if diagnostics is not None:
        result["diagnostics"] = [diagnostic_to_dict(d) for d in diagnostics]
    return result
