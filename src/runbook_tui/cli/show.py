"""`runbook-tui show FILE [--json]`: the parsed runbook, as an outline or as JSON.

Exit 0 when the runbook has no errors, 1 when it has (they go to stderr; the outline
or JSON is still printed), 2 on usage errors (a missing file).
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from runbook_tui.runbook.durations import format_duration

if TYPE_CHECKING:
    from runbook_tui.runbook.model import Reference, Runbook, Step


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "show",
        help="print a runbook's sections and steps as parsed",
        description=(
            "Print the parsed runbook: an outline of sections and steps (id, kind, "
            "line; rollback steps marked), or with --json the whole model "
            "(schema in docs/runbook-format.md)."
        ),
    )
    p.add_argument("file", metavar="FILE", help="runbook file")
    p.add_argument("--json", action="store_true", help="print the parsed runbook as JSON")
    p.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    from runbook_tui.runbook.display import dumps_shown, escape_controls
    from runbook_tui.runbook.parser import load
    from runbook_tui.runbook.serialize import runbook_to_dict

    try:
        result = load(args.file)
    except FileNotFoundError:
        print(f"runbook-tui show: {args.file}: no such file", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"runbook-tui show: {args.file}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    for diagnostic in result.diagnostics:
        print(escape_controls(diagnostic.format()), file=sys.stderr)
    if args.json:
        document = runbook_to_dict(result.runbook, result.diagnostics)
        # allow_nan=False: never print NaN/Infinity, which is not JSON (the serializer
        # already replaced any with null; this is the backstop).
        print(dumps_shown(document, indent=2, default=str, allow_nan=False))
    else:
        print(outline(result.runbook))
    return 1 if result.errors else 0


def outline(runbook: Runbook) -> str:
    """A readable outline: header facts, then sections with their steps in order, with
    control characters escaped."""
    from runbook_tui.runbook.display import escape_controls

    lines = [runbook.title]
    facts = []
    if runbook.kind:
        facts.append(f"kind: {runbook.kind}")
    if runbook.owner:
        facts.append(f"owner: {runbook.owner}")
    if runbook.rto_seconds is not None:
        facts.append(f"rto: {format_duration(runbook.rto_seconds)}")
    if facts:
        lines.append("  " + " · ".join(facts))
    if runbook.variables:
        names = [v.name + (" (secret)" if v.secret else "") for v in runbook.variables]
        lines.append("  variables: " + ", ".join(names))
    for label, items in (
        ("services", runbook.services),
        ("logs", runbook.logs),
        ("backups", runbook.backups),
    ):
        if items:
            lines.append(f"  {label}: " + ", ".join(i.name for i in items))
    main, rollback = len(runbook.main_steps), len(runbook.rollback_steps)
    counts = f"  {main} step(s), {rollback} rollback step(s)"
    if runbook.references:
        counts += f", {len(runbook.references)} reference block(s) (shown, never run)"
    lines.append(counts)
    by_section: dict[tuple[tuple[str, ...], int], list[Step | Reference]] = {}
    items = sorted((*runbook.steps, *runbook.references), key=lambda item: item.line)
    for item in items:
        by_section.setdefault((item.section, item.section_line), []).append(item)
    width = max((len(s.id) for s in items), default=0)
    for section in runbook.sections:
        found = by_section.pop((section.path, section.line if section.level else 0), [])
        indent = "  " * max(section.level, 1)
        if section.level:
            lines.append(f"{indent}{'#' * section.level} {section.title}  (line {section.line})")
        lines.extend(_item_line(item, indent, width) for item in found)
    # Steps whose section is missing from the list (not expected): never drop them.
    for found in by_section.values():
        lines.extend(_item_line(item, "  ", width) for item in found)
    # Runbook text, untrusted: a control character is shown, never acted on.
    return escape_controls("\n".join(lines))


def _item_line(item: Step | Reference, indent: str, width: int) -> str:
    mark = " [rollback]" if item.rollback else ""
    title = item.title if len(item.title) <= 70 else item.title[:69] + "…"
    kind = "shown" if item.kind == "reference" else item.kind
    if item.kind == "reference":
        mark += f" [{item.why}]"  # type: ignore[union-attr]
    return f"{indent}  {item.id:<{width}}  {kind:<6}  line {item.line:<5} {title}{mark}"
