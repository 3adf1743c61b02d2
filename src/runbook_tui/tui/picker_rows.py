"""The picker's rows: each runbook in the folder with its title, kind, when it was
last run, and when it was last drilled and whether that drill passed ("never drilled"
where that is the truth). Sessions match a runbook by resolved path, as `drills FILE`.
No Textual here: `bench/bench_drills.py` times this over a large store."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from runbook_tui.tui.engine_api import SessionSummaryLike, to_epoch


@dataclass(frozen=True)
class PickerRow:
    path: Path
    title: str
    kind: str
    last_run: str
    last_drilled: str
    problem: str = ""


def _when(epoch: float | None) -> str:
    if epoch is None:
        return ""
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d %H:%M")


NEVER_DRILLED = "never drilled"


def _last_drilled(drills: list[SessionSummaryLike]) -> str:
    """`passed 2026-11-26` (or `failed`, `unfinished`) for the newest drill: the
    verdict first, so a narrow terminal cuts the date, never the verdict."""
    from runbook_tui.session.drills import passed_of

    dated = [(t, s) for s in drills if (t := to_epoch(s.started_at))]
    if not dated:
        return NEVER_DRILLED
    when, newest = max(dated, key=lambda pair: pair[0])
    passed = passed_of(newest.drill_verdict)
    outcome = "unfinished" if passed is None else ("passed" if passed else "failed")
    return f"{outcome} {_when(when)[:10]}"


def picker_rows(folder: Path, sessions: list[SessionSummaryLike]) -> list[PickerRow]:
    """One row per runbook file in `folder`, sorted by file name."""
    from runbook_tui.runbook.parser import load
    from runbook_tui.session.drills import same_runbook

    rows = []
    for path in sorted(folder.glob("*.md")):
        result = load(path)
        errors = [d for d in result.diagnostics if d.severity == "error"]
        runbook = result.runbook
        wanted = str(path.resolve())
        mine = [s for s in sessions if same_runbook(s.runbook_path, wanted)]
        # A drill is a run too; "last drilled" singles the rehearsals out.
        runs = [t for t in (to_epoch(s.started_at) for s in mine) if t]
        rows.append(
            PickerRow(
                path=path,
                title=runbook.title if runbook is not None else path.stem,
                kind=(runbook.kind or "") if runbook is not None else "",
                last_run=_when(max(runs)) if runs else "never run",
                last_drilled=_last_drilled([s for s in mine if s.drill]),
                problem=f"{len(errors)} error(s)" if errors else "",
            )
        )
    return rows
