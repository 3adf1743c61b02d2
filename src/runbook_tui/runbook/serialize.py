"""The runbook as plain JSON-ready data: the `show --json` schema (documented in
docs/runbook-format.md). Keys are only ever added, never renamed."""

from __future__ import annotations

import math
from dataclasses import asdict
from typing import Any

from runbook_tui.runbook.model import Diagnostic, Reference, Runbook, Step

SCHEMA_VERSION = 1


def json_safe(value: Any) -> Any:
    """`value` with every NaN or infinite float replaced by None: JSON has no NaN, and
    `show --json` must print JSON (the parser reports such numbers as `bad-number`).
    Containers are copied only when they hold one."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        items = {k: json_safe(v) for k, v in value.items()}
        return value if all(items[k] is value[k] for k in value) else items
    if isinstance(value, list | tuple):
        seq = [json_safe(v) for v in value]
        return value if all(a is b for a, b in zip(seq, value, strict=True)) else seq
    return value


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
        "attrs": json_safe(step.attrs),
        "rollback": step.rollback,
        "sample_output": step.sample_output,
        "confirm": step.confirm,
        "danger": step.danger,
        "timeout_seconds": json_safe(step.timeout_seconds),
        "expect_exit": step.expect_exit,
        "expect_output": step.expect_output,
        "cwd": step.cwd,
        "interactive": step.interactive,
        "errexit": step.errexit,
        "pipefail": step.pipefail,
    }


def reference_to_dict(ref: Reference) -> dict[str, Any]:
    """One entry of `references`: a code block shown in the walk, never run as written."""
    return {
        "id": ref.id,
        "line": ref.line,
        "language": ref.language,
        "text": ref.text,
        "section": list(ref.section),
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
        "rto_seconds": json_safe(runbook.rto_seconds),
        "restores": list(runbook.restores),
        "errexit": runbook.errexit,
        "pipefail": runbook.pipefail,
        "variables": [{**asdict(v), "choices": list(v.choices)} for v in runbook.variables],
        "services": [json_safe(asdict(s)) for s in runbook.services],
        "logs": [asdict(log) for log in runbook.logs],
        "backups": [json_safe(asdict(b)) for b in runbook.backups],
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
        "references": [reference_to_dict(r) for r in runbook.references],
    }
    if diagnostics is not None:
        result["diagnostics"] = [diagnostic_to_dict(d) for d in diagnostics]
    return result
