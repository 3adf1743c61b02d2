"""The parsed runbook: frozen dataclasses, the contract between parser, engine and UI."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal

StepKind = Literal["shell", "manual"]
Severity = Literal["error", "warning"]

RUNBOOK_KINDS = ("deploy", "restore", "incident", "drill", "maintenance")
SHELL_LANGUAGES = ("sh", "bash", "shell", "zsh", "console")


@dataclass(frozen=True)
class Variable:
    """A variable the front matter declares: how it is asked for and checked."""

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
    """A code block the walk performs (a shell or manual step), with its typed attributes."""

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
    # The markdown between the previous step or reference (or the heading) and this one
    # (see docs/runbook-format.md, "The prose beside a step").
    prose: str = ""
    # The `<...>` placeholders of the command, each once (runbook/placeholders.py).
    placeholders: tuple[str, ...] = ()

    @property
    def title(self) -> str:
        """A one-line label for lists: the name, else the first command line."""
        if self.name:
            return self.name
        first = next((ln.strip() for ln in self.command.splitlines() if ln.strip()), "")
        return first or self.id


@dataclass(frozen=True, slots=True)  # slots: one per code block, of many
class Reference:
    """A code block that is not a step: shown in the walk in place, never run as written.
    The operator may run an edited copy of it, mark it done by hand, or pass it by."""

    id: str
    line: int  # of the fence (of the first line, for indented code)
    text: str  # the block's content as written
    language: str | None = None
    section: tuple[str, ...] = ()
    section_line: int = 0
    rollback: bool = False
    indented: bool = False  # indented code, not a fence
    prose: str = ""
    placeholders: tuple[str, ...] = ()

    kind: Literal["reference"] = "reference"

    @property
    def title(self) -> str:
        """The first line that is not blank."""
        first = next((ln.strip() for ln in self.text.splitlines() if ln.strip()), "")
        return first or self.id

    @property
    def why(self) -> str:
        """Why it is shown only: `not tagged sh/bash`, `console without $ prompts`, ..."""
        if self.indented:
            return "indented code"
        if not self.language:
            return "not tagged sh/bash"
        if self.language in SHELL_LANGUAGES:
            return f"{self.language} without $ prompts"
        return f"tagged {self.language}"


WalkItem = Step | Reference


@dataclass(frozen=True)
class Diagnostic:
    """A finding of the parser or linter, at a line and column of the runbook."""

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
    """A parsed runbook: its front matter, steps, sections and reference blocks."""

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
    # Code blocks that are not steps, in document order.
    references: tuple[Reference, ...] = ()

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

    def reference(self, ref_id: str) -> Reference:
        for r in self.references:
            if r.id == ref_id:
                return r
        raise KeyError(ref_id)

    def item(self, item_id: str) -> WalkItem:
        """The step or reference with this id (ids of the two never collide)."""
        try:
            return self.step(item_id)
        except KeyError:
            return self.reference(item_id)

    def walk_items(self, rollback: bool = False) -> tuple[WalkItem, ...]:
        """The main walk's (or the rollback walk's) steps and references, in document
        order: what the walk lists, references in place between the steps."""
        steps = self.rollback_steps if rollback else self.main_steps
        refs = [r for r in self.references if r.rollback == rollback]
        if not refs:
            return steps
        return tuple(sorted((*steps, *refs), key=lambda item: item.line))

    def unset_names(self, item_id: str) -> tuple[str, ...]:
        """The `$NAME`s a step or reference uses that are neither declared variables,
        nor set by itself before the use, nor assigned by an earlier step or reference
        (a static guess: the walk asks at run time only for those the carried shell
        state does not export)."""
        return self._unset_table.get(item_id, ())

    @cached_property
    def _unset_table(self) -> dict[str, tuple[str, ...]]:
        # Computed on first use (a frozen dataclass without slots may cache this way),
        # so a parse never pays for it.
        # Imported here: the model is imported before the walk's first frame.
        from runbook_tui.runbook.console import reference_commands
        from runbook_tui.runbook.placeholders import assigned_names, scan

        assigned = {v.name for v in self.variables}
        table: dict[str, tuple[str, ...]] = {}
        items = sorted((*self.steps, *self.references), key=lambda item: item.line)
        for item in items:
            if isinstance(item, Step):
                if item.kind != "shell":
                    continue
                text = item.command
            elif item.language and item.language not in SHELL_LANGUAGES:
                continue  # yaml, json, sql: not shell, `$x` means something else there
            else:
                text = reference_commands(item.text)
            names = tuple(n for n in scan(text).names if n not in assigned)
            if names:
                table[item.id] = names
            assigned |= assigned_names(text)
        return table

    def section_for(self, step: Step | Reference) -> Section | None:
        """The innermost section that holds `step`, for its prose."""
        fallback = None
        for sec in self.sections:
            if sec.path == step.section:
                if not step.section_line or sec.line == step.section_line:
                    return sec
                fallback = fallback or sec
        return fallback
