"""Where each variable's value comes from, and whether it is acceptable.

Precedence, highest first: `--var NAME=VALUE`, `--vars-file`, the variable's
`from_env` (an empty environment variable counts as unset), its `default`. Values
reach commands only as environment variables. The headless prompts and the UI's
variables form both start from `initial_value`, so they cannot disagree.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Collection, Iterable, Mapping
from pathlib import Path
from typing import NamedTuple

from runbook_tui.runbook.model import Runbook, Step, Variable
from runbook_tui.session.redaction import MASK

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# `$NAME` or `${NAME...}` as a shell would expand it (not `$$`, `\$NAME` is close enough).
_MENTION = re.compile(r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)|([A-Za-z_][A-Za-z0-9_]*))")


class VariableError(ValueError):
    """A value is missing or invalid; the message says which and why."""


class Resolved(NamedTuple):
    """The variables' values, where each came from, and which are secret."""

    values: dict[str, str]
    sources: dict[str, str]  # NAME -> "--var", "--vars-file", "env:X", "default", "prompt"
    secrets: tuple[str, ...]  # names of secret variables


def secret_names(runbook: Runbook) -> set[str]:
    return {v.name for v in runbook.variables if v.secret}


def masked_values(runbook: Runbook, values: Mapping[str, str]) -> dict[str, str]:
    """`values` as they may be written down: secret ones replaced by the mask."""
    secret = secret_names(runbook)
    return {k: (MASK if k in secret else v) for k, v in values.items()}


def recorded_values(runbook: Runbook, recorded: Mapping[str, object]) -> dict[str, str]:
    """The values a session recorded that can be used again on resume: declared, not
    secret (secret values were recorded masked and must be given again)."""
    declared = {v.name for v in runbook.variables}
    secret = secret_names(runbook)
    return {
        k: str(v)
        for k, v in recorded.items()
        if k in declared and k not in secret and v != MASK and v is not None
    }


def env_value(var: Variable, environ: Mapping[str, str] | None = None) -> str | None:
    """The value of the variable's `from_env`, or None when unset or empty."""
    env = os.environ if environ is None else environ
    if var.from_env and env.get(var.from_env):
        return env[var.from_env]
    return None


def initial_value(
    var: Variable, given: Mapping[str, str], environ: Mapping[str, str] | None = None
) -> str:
    """What a form or prompt starts from: the given value, else `from_env`, else the
    default, else empty."""
    if var.name in given:
        return given[var.name]
    from_env = env_value(var, environ)
    if from_env is not None:
        return from_env
    return var.default or ""


def mentioned(text: str) -> set[str]:
    """Names a shell text mentions as `$NAME` or `${NAME}`."""
    return {a or b for a, b in _MENTION.findall(text)}


def variables_used(runbook: Runbook, steps: Iterable[Step]) -> set[str]:
    """The declared variables that `steps` need: those their commands (or a manual
    step's text) mention, and the required ones their sections' prose mentions. A
    variable a script reads from the environment without naming it is not seen."""
    declared = {v.name: v for v in runbook.variables}
    names: set[str] = set()
    for step in steps:
        names |= mentioned(step.command) & declared.keys()
        section = runbook.section_for(step)
        if section is not None:
            names |= {n for n in mentioned(section.prose) & declared.keys() if declared[n].required}
    return names


def parse_assignments(items: Iterable[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not _NAME.fullmatch(name):
            # Not the text itself: it may be a secret typed with the wrong separator.
            raise VariableError("--var takes NAME=VALUE (a name, then =, then the value)")
        out[name] = value
    return out


def read_vars_file(path: str | Path) -> dict[str, str]:
    """A YAML/JSON mapping (.yml, .yaml, .json) or NAME=VALUE lines with # comments."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise VariableError(f"cannot read vars file {path}: {exc}") from exc
    if p.suffix.lower() in (".yml", ".yaml", ".json"):
        import yaml  # only here: opening the UI should not pay for it

        try:
            # BaseLoader keeps every scalar as the text written: 1.10 stays "1.10",
            # yes stays "yes", 0755 stays "0755".
            data = yaml.load(text, Loader=yaml.BaseLoader) or {}
        except yaml.YAMLError as exc:
            # The message quotes the offending line, which may hold a secret value.
            mark = getattr(exc, "problem_mark", None)
            where = f" at line {mark.line + 1}" if mark is not None else ""
            raise VariableError(f"vars file {path} is not valid YAML{where}") from None
        if not isinstance(data, dict):
            raise VariableError(f"vars file {path} must hold a mapping of NAME: value")
        return {str(k): "" if v is None else str(v) for k, v in data.items()}
    out: dict[str, str] = {}
    for lineno, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        line = line.removeprefix("export ").strip()
        name, sep, value = line.partition("=")
        if not sep or not _NAME.fullmatch(name.strip()):
            raise VariableError(f"{path}:{lineno}: expected NAME=VALUE")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        out[name.strip()] = value
    return out


def validate(var: Variable, value: str) -> str | None:
    """Why `value` is not acceptable for `var`, or None when it is."""
    if var.choices and value not in var.choices:
        return f"{var.name} must be one of {', '.join(var.choices)}"
    if var.pattern:
        # Imported here: this function's edit stays inside this function.
        from runbook_tui.runbook.patterns import fullmatch_within

        try:
            matched = fullmatch_within(var.pattern, value)
        except (re.error, RecursionError, OverflowError) as exc:
            return f"{var.name} has an invalid pattern: {exc}"
        if matched is None:
            return (
                f"{var.name}: checking the value against the pattern {var.pattern} did not "
                "finish in time (the pattern backtracks too much); fix the runbook's pattern"
            )
        if not matched:
            return f"{var.name} does not match the pattern {var.pattern}"
    return None


def check_declared(runbook: Runbook, names: Iterable[str], source: str = "") -> None:
    """A name the runbook does not declare is a typo until proven otherwise: refuse it,
    rather than run with the default the operator meant to override."""
    declared = [v.name for v in runbook.variables]
    unknown = sorted(set(names) - set(declared))
    if unknown:
        where = f" in {source}" if source else ""
        raise VariableError(
            f"unknown variable {', '.join(unknown)}{where} "
            f"(this runbook declares: {', '.join(declared) or 'none'})"
        )


Prompt = Callable[[Variable, str | None], str | None]


def resolve(
    runbook: Runbook,
    *,
    cli: Mapping[str, str] | None = None,
    file_values: Mapping[str, str] | None = None,
    environ: Mapping[str, str] | None = None,
    prompt: Prompt | None = None,
    needed: Collection[str] | None = None,
) -> Resolved:
    """Every declared variable's value, validated. Without `prompt` a missing required
    value is an error; with it, the operator is asked (and re-asked on invalid input).
    With `needed`, only those variables are asked for or required; the others still
    take a value given, from the environment or by default."""
    cli = dict(cli or {})
    file_values = dict(file_values or {})
    check_declared(runbook, cli)
    values: dict[str, str] = {}
    sources: dict[str, str] = {}
    problems: list[str] = []
    for var in runbook.variables:
        value: str | None = None
        if var.name in cli:
            value, source = cli[var.name], "--var"
        elif var.name in file_values:
            value, source = file_values[var.name], "--vars-file"
        elif env_value(var, environ) is not None:
            value, source = env_value(var, environ), f"env:{var.from_env}"
        elif var.default is not None:
            value, source = str(var.default), "default"
        if value is not None:
            why = validate(var, value)
            if why and prompt is None:
                problems.append(f"{why} (value from {source})")
                continue
            if why:
                value = None
        wanted = needed is None or var.name in needed
        if (
            value is None
            and wanted
            and prompt is not None
            and (var.required or var.default is None)
        ):
            value = _ask(var, prompt)
            source = "prompt"
        if value is None:
            if var.required and wanted:
                hint = f" or set ${var.from_env}" if var.from_env else ""
                problems.append(f"{var.name} is required: pass --var {var.name}=VALUE{hint}")
            continue
        values[var.name] = value
        sources[var.name] = source
    if problems:
        raise VariableError("; ".join(problems))
    secrets = tuple(v.name for v in runbook.variables if v.secret)
    return Resolved(values=values, sources=sources, secrets=secrets)


def _ask(var: Variable, prompt: Prompt) -> str | None:
    error: str | None = None
    for _ in range(5):
        value = prompt(var, error)
        if value is None:
            return None
        error = validate(var, value)
        if error is None:
            return value
    raise VariableError(error or f"{var.name}: no valid value given")
