"""Every diagnostic code the parser and linter emit, with its severity and meaning.

One table, so `check`, the docs and the tests agree on what exists. Codes are short,
stable and kebab-case: scripts filter on them, so never rename one.
"""

from __future__ import annotations

from typing import NamedTuple

from runbook_tui.runbook.model import Diagnostic, Severity


class Code(NamedTuple):
    """A diagnostic code of the linter: its severity and what it means."""

    code: str
    severity: Severity
    summary: str
    # The severity in text that is only shown, never run (a heading, a manual step),
    # where that differs.
    shown_severity: Severity | None = None


_TABLE = (
    # The file as a whole.
    Code("not-utf8", "error", "the file is not UTF-8 text"),
    Code("too-large", "error", "the file is over the size limit (16 MiB): not parsed"),
    # Front matter.
    Code("yaml-syntax", "error", "the front matter is not valid YAML"),
    Code("frontmatter-unclosed", "warning", "a leading `---` has no closing `---`"),
    Code("frontmatter-type", "error", "the front matter is not a mapping of keys to values"),
    Code("unknown-key", "warning", "a front-matter key (or entry key) this tool does not know"),
    Code("duplicate-key", "warning", "a YAML mapping repeats a key; the last value wins"),
    Code("wrong-type", "error", "a front-matter value has the wrong type"),
    Code("bad-number", "error", "a number that is NaN or infinite (or too large for a float)"),
    Code("bad-value", "error", "a front-matter value has the right type but is invalid"),
    Code("pattern-timeout", "error", "a variable's pattern did not finish matching in time"),
    Code("unknown-kind", "error", "a runbook, service, log or backup kind that does not exist"),
    Code("conflicting-kind", "error", "a service, log or backup entry names more than one kind"),
    Code("missing-field", "error", "a required front-matter field is missing"),
    Code("unknown-backup", "warning", "`restores` names a backup set not declared in `backups`"),
    Code("retyped-value", "warning", "an unquoted variable value YAML reads as another text"),
    # Steps and attributes.
    Code("control-character", "error", "a terminal control character in a command or title"),
    Code(
        "bidi-character",
        "error",
        "a bidirectional or zero-width character (Trojan Source) in a command; "
        "a warning in a heading, title or manual step",
        shown_severity="warning",
    ),
    Code("unclosed-fence", "error", "a code fence never closed: the rest of its container is code"),
    Code("malformed-attributes", "error", "the `{...}` after a fence's language does not parse"),
    Code("bad-attribute", "error", "a known attribute has a value of the wrong type or form"),
    Code("unknown-attribute", "warning", "an attribute neither runbook-tui nor Runme knows"),
    Code("duplicate-name", "error", "two steps (or services, logs, backups) share a name"),
    Code("empty-step", "warning", "an empty shell block or task-list item: not a step"),
    Code("no-command", "warning", "a console block without `$ ` lines: shown, never run"),
    Code("mixed-prompts", "warning", "a shell block run as a script has lines starting `$ `"),
    Code("untagged-command", "warning", "a fence without a language that reads as a command"),
    # Whole-runbook lint.
    Code("placeholder", "warning", "a `<placeholder>` in a command: needs a value to run"),
    Code("no-steps", "warning", "the runbook has no steps"),
    Code("danger-without-rollback", "warning", "a deploy runbook has a danger step, no rollback"),
    # The session store, read by `check --max-drill-age` only.
    Code("stale-drill", "error", "a restore runbook has no passing drill recent enough"),
)

CODES: dict[str, Code] = {c.code: c for c in _TABLE}


class DiagnosticSink:
    """Collects diagnostics for one file; the severity always comes from the table."""

    def __init__(self, path: str = "") -> None:
        self.path = path
        self.items: list[Diagnostic] = []

    def add(
        self, code: str, line: int, message: str, column: int = 1, *, shown: bool = False
    ) -> None:
        """Record `code` at a 1-based file line and column. `shown`: found in text that
        is only shown, never run (the code's `shown_severity` applies, if it has one)."""
        entry = CODES[code]
        self.items.append(
            Diagnostic(
                line=max(line, 1),
                column=max(column, 1),
                severity=(entry.shown_severity or entry.severity) if shown else entry.severity,
                code=code,
                message=message,
                path=self.path,
            )
        )
