"""`${NAME}` in the values of `services`, `logs` and `backups`: replaced by text, never
evaluated by a shell.

A name is looked up in the values of the runbook's declared variables (given values,
else `from_env`, else `default`), then in the environment. A name found in neither
stays as written and is reported, so the reading can say why a check of
`http://127.0.0.1:${PORT}/` failed. Only the braced form is expanded: `$NAME` and
`$$` are left alone, and there is no `${NAME:-default}` or other shell syntax (such
text stays as written).

Command values (`command` checks and logs) are not expanded here: a value pasted into
shell text could inject code. The command gets the variables in its environment and
the shell expands `${NAME}` itself, as in the steps (`mentioned_unknown` still names
what would stay empty)."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass

from runbook_tui.runbook.model import Runbook

_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


@dataclass(frozen=True)
class Expanded:
    text: str
    unknown: tuple[str, ...]  # names left as written, in order of first use

    @property
    def note(self) -> str:
        """What to put in front of a reading's detail, or ''."""
        if not self.unknown:
            return ""
        names = ", ".join("${" + n + "}" for n in self.unknown)
        verb = "is" if len(self.unknown) == 1 else "are"
        return f"{names} {verb} not set (no such variable or environment variable)"


def expand(text: str, values: Mapping[str, str]) -> Expanded:
    """`text` with each `${NAME}` that `values` has replaced by its value."""
    unknown: list[str] = []

    def one(match: re.Match[str]) -> str:
        name = match.group(1)
        if name in values:
            return values[name]
        if name not in unknown:
            unknown.append(name)
        return match.group(0)

    if "${" not in text:
        return Expanded(text, ())
    return Expanded(_REF.sub(one, text), tuple(unknown))


def mentioned_unknown(text: str, values: Mapping[str, str]) -> Expanded:
    """`text` unchanged, with the `${NAME}`s `values` lacks: for commands, which the
    shell expands from their environment."""
    names: list[str] = []
    for name in _REF.findall(text):
        if name not in values and name not in names:
            names.append(name)
    return Expanded(text, tuple(names))


def source_values(
    runbook: Runbook,
    given: Mapping[str, str] | None = None,
    environ: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """What `${NAME}` may name: the environment, overlaid by each declared variable's
    value (`given`, e.g. the walk's resolved values, else its `from_env`, else its
    default). A declared variable with no value falls back to the environment
    variable of the same name, if any."""
    from runbook_tui.session.variables import env_value

    env = dict(os.environ if environ is None else environ)
    given = given or {}
    out = dict(env)
    for var in runbook.variables:
        if var.name in given:
            out[var.name] = given[var.name]
            continue
        value = env_value(var, env)
        if value is None:
            value = var.default
        if value is not None:
            out[var.name] = value
    return out
