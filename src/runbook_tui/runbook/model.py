"""The parsed runbook: frozen dataclasses, the contract between parser, engine and UI."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

StepKind = Literal["shell", "manual"]
Severity = Literal["error", "warning"]

RUNBOOK_KINDS = ("deploy", "restore", "incident", "drill", "maintenance")
SHELL_LANGUAGES = ("sh", "bash", "shell", "zsh", "console")


@dataclass(frozen=True)
class Variable:
    name: str
    prompt: str | None = None
    default: str | None = None
    pattern: str | None = None
    choices: tuple[str, ...] = ()
    secret: bool = False
    from_env: str | None = None
    required: bool = True
    line: int = 0


@dataclass(frozen=True)
class Service:
    """A health check. `check` is one of http, tcp, process, command, systemd."""

    name: str
    check: str
    target: str
    interval_seconds: float | None = None
    timeout_seconds: float | None = None
    expect_status: int | None = None
    line: int = 0


@dataclass(frozen=True)
class LogSource:
    """`source` is path (file or glob) or command (a follow command)."""

    name: str
    source: str
    target: str
    line: int = 0


@dataclass(frozen=True)
class BackupSet:
    """`source` is path (glob of backup files) or restic (repository location)."""

    name: str
    source: str
    target: str
    password_env: str | None = None
    password_file: str | None = None
    max_age_seconds: float | None = None
    min_count: int | None = None
    line: int = 0


@dataclass(frozen=True, slots=True)  # slots: one per heading or step, of millions
class Section:
    """A heading and the prose (markdown source) directly under it."""

    title: str
    level: int
    line: int
    path: tuple[str, ...]
    prose: str = ""


@dataclass(frozen=True, slots=True)  # slots: one per heading or step, of millions
class Step:
    id: str
    kind: StepKind
    command: str
    line: int
    section: tuple[str, ...] = ()
    name: str | None = None
    language: str | None = None
    attrs: dict[str, Any] = field(default_factory=dict)
    rollback: bool = False
    # Sample output lines of a console-style block, kept for display, never run.
    sample_output: str = ""
    # Typed views of our own attributes (the raw values stay in attrs).
    confirm: bool = False
    danger: str | None = None
    timeout_seconds: float | None = None
    expect_exit: int = 0
    expect_output: str | None = None
    cwd: str | None = None
    interactive: bool = False
    # Shell options the step runs under (`set -e`, `set -o pipefail`): the step's own
    # attribute, else the front-matter default, else on.
    errexit: bool = True
    pipefail: bool = True
    # Line of the heading that holds the step (0: none). Tells apart two sections with
    # the same title path, e.g. two "## Diagnosis" under one title.
    section_line: int = 0

    @property
    def title(self) -> str:
        """A one-line label for lists: the name, else the first command line."""
        if self.name:
            return self.name
        first = next((ln.strip() for ln in self.command.splitlines() if ln.strip()), "")
        return first or self.id


@dataclass(frozen=True)
class Diagnostic:
    line: int
    column: int
    severity: Severity
    code: str
    message: str
    path: str = ""

    def format(self) -> str:
        where = f"{self.path}:{self.line}:{self.column}"
        return f"{where}: {self.severity}: {self.message} [{self.code}]"


@dataclass(frozen=True)
class Runbook:
    title: str
    path: str = ""
    kind: str | None = None
    owner: str | None = None
    rto_seconds: float | None = None
    restores: tuple[str, ...] = ()
    # Front-matter defaults of the steps' shell options (each step holds its own value).
    errexit: bool = True
    pipefail: bool = True
    variables: tuple[Variable, ...] = ()
    services: tuple[Service, ...] = ()
    logs: tuple[LogSource, ...] = ()
    backups: tuple[BackupSet, ...] = ()
    steps: tuple[Step, ...] = ()
    sections: tuple[Section, ...] = ()
    front_matter: dict[str, Any] = field(default_factory=dict)

    @property
    def main_steps(self) -> tuple[Step, ...]:
        return tuple(s for s in self.steps if not s.rollback)

    @property
    def rollback_steps(self) -> tuple[Step, ...]:
        return tuple(s for s in self.steps if s.rollback)

    def step(self, step_id: str) -> Step:
        for s in self.steps:
            if s.id == step_id:
                return s
        raise KeyError(step_id)

    def section_for(self, step: Step) -> Section | None:
        """The innermost section that holds `step`, for its prose."""
        fallback = None
        for sec in self.sections:
            if sec.path == step.section:
                if not step.section_line or sec.line == step.section_line:
                    return sec
                fallback = fallback or sec
        return fallback
