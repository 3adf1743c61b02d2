"""Checks over the whole parsed runbook (the per-block checks happen while parsing)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import NamedTuple

from runbook_tui.runbook.codes import DiagnosticSink
from runbook_tui.runbook.model import Runbook, Step
from runbook_tui.runbook.placeholders import PLACEHOLDER, env_name


class StepSource(NamedTuple):
    """Where a shell step's command lines sit in the file, for precise columns."""

    step: Step
    # (file line, command text taken from that line)
    command_lines: tuple[tuple[int, str], ...]


def placeholder_variable(placeholder: str) -> str:
    """The environment variable name suggested for `<placeholder>`: `<pod name>` ->
    `POD_NAME`."""
    return env_name(placeholder)


def lint(
    runbook: Runbook,
    sources: Sequence[StepSource],
    file_text: str,
    has_rollback_heading: bool,
    restores_line: int,
    sink: DiagnosticSink,
) -> None:
    """Whole-runbook warnings: placeholders, no steps, a deploy's danger step with no
    rollback, `restores` naming an unknown backup set."""
    lines: list[str] = []

    def file_lines() -> list[str]:
        # Split only when a placeholder needs a column: most runbooks have none.
        if not lines:
            lines.extend(file_text.split("\n"))
        return lines

    declared = {v.name for v in runbook.variables}
    for source in sources:
        _placeholders(source, file_lines, declared, sink)
    if not runbook.steps:
        sink.add("no-steps", 1, "no steps: no shell blocks (```sh) and no task-list items")
    if runbook.kind == "deploy" and not runbook.rollback_steps and not has_rollback_heading:
        for step in runbook.steps:
            if step.danger:
                sink.add(
                    "danger-without-rollback",
                    step.line,
                    f"step {step.id} is marked danger but this deploy runbook has no "
                    "Rollback section or rollback step",
                )
    known = {b.name for b in runbook.backups}
    for name in runbook.restores:
        if name not in known:
            sink.add(
                "unknown-backup",
                restores_line,
                f"restores names {name!r}, which is not a backup set under `backups`",
            )


def _placeholders(
    source: StepSource,
    file_lines: Callable[[], list[str]],
    declared: set[str],
    sink: DiagnosticSink,
) -> None:
    # The step's placeholders (runbook/placeholders.py: not in comments, not `<none>`),
    # each reported at its first place on a command line.
    wanted = set(source.step.placeholders)
    if not wanted:
        return
    seen: set[str] = set()
    for line_no, text in source.command_lines:
        if "<" not in text:
            continue
        for match in PLACEHOLDER.finditer(text):
            name = match.group(1)
            if name in seen or name not in wanted:
                continue
            seen.add(name)
            all_lines = file_lines()
            raw = all_lines[line_no - 1] if 0 < line_no <= len(all_lines) else ""
            start = raw.find(text) if text else -1
            column = (start if start >= 0 else 0) + match.start() + 1
            env = placeholder_variable(name)
            advice = (
                f"variable {env} is declared:"
                if env in declared
                else f"declare variable {env} under `variables:` and"
            )
            sink.add(
                "placeholder",
                line_no,
                f'placeholder <{name}> in a command: {advice} write "${env}" instead',
                column,
            )
