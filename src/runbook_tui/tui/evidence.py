"""Side panels with the evidence beside the walk: logs, services, backups.

For now they list what the runbook declares; the live sources (a later issue) will
fill in the readings. Each panel is built from the runbook alone, so the wide layout
and the tabbed layout can each hold their own copy."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.content import Content
from textual.widgets import Static

from runbook_tui.runbook.model import Runbook


def _fmt_seconds(seconds: float) -> str:
    if seconds % 86400 == 0:
        return f"{int(seconds // 86400)}d"
    if seconds % 3600 == 0:
        return f"{int(seconds // 3600)}h"
    if seconds % 60 == 0:
        return f"{int(seconds // 60)}m"
    return f"{seconds:g}s"


def logs_lines(runbook: Runbook) -> list[Content]:
    return [
        Content.assemble(Content.styled(log.name, "bold"), f"  {log.source}: {log.target}")
        for log in runbook.logs
    ]


def services_lines(runbook: Runbook) -> list[Content]:
    return [
        Content.assemble(
            Content.styled("? ", "$text-muted"),
            Content.styled(svc.name, "bold"),
            f"  {svc.check} {svc.target}",
        )
        for svc in runbook.services
    ]


def backups_lines(runbook: Runbook) -> list[Content]:
    out = []
    for backup in runbook.backups:
        limits = []
        if backup.max_age_seconds is not None:
            limits.append(f"max age {_fmt_seconds(backup.max_age_seconds)}")
        if backup.min_count is not None:
            limits.append(f"at least {backup.min_count}")
        extra = f" ({', '.join(limits)})" if limits else ""
        restored = " · restored here" if backup.name in runbook.restores else ""
        out.append(
            Content.assemble(
                Content.styled(backup.name, "bold"),
                f"  {backup.source}: {backup.target}{extra}",
                Content.styled(restored, "$text-accent"),
            )
        )
    return out


PANELS = {
    "logs": ("Logs", logs_lines, "no logs declared"),
    "services": ("Services", services_lines, "no services declared"),
    "backups": ("Backups", backups_lines, "no backups declared"),
}


class EvidencePanel(VerticalScroll):
    """The declared items of one kind ("logs", "services" or "backups")."""

    def __init__(self, runbook: Runbook, kind: str, *, titled: bool = True) -> None:
        super().__init__(classes=f"evidence evidence-{kind}")
        self.runbook = runbook
        self.kind = kind
        if titled:
            self.border_title = PANELS[kind][0]

    def compose(self) -> ComposeResult:
        _title, lines_for, empty = PANELS[self.kind]
        lines = lines_for(self.runbook)
        if not lines:
            yield Static(Content.styled(empty, "$text-muted italic"))
        for line in lines:
            yield Static(line, classes="evidence-item")
