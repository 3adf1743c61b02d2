"""The walk's header: title, kind, session id and elapsed time; in a drill, elapsed
against the RTO, turning to a warning colour near it and an error colour past it."""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Static

from runbook_tui.tui.status import format_duration

# From this share of the RTO on, the clock warns.
RTO_WARNING_SHARE = 0.8


def rto_level(elapsed: float, rto: float | None) -> str:
    """ "ok", "near" or "over" for a drill clock."""
    if not rto:
        return "ok"
    if elapsed >= rto:
        return "over"
    if elapsed >= rto * RTO_WARNING_SHARE:
        return "near"
    return "ok"


class WalkHeader(Static):
    def show(
        self,
        *,
        title: str,
        kind: str | None,
        session_id: str,
        elapsed: float,
        drill: bool,
        rto: float | None,
        mode: str,
    ) -> None:
        parts: list[Content | str] = [Content.styled(title, "bold")]
        if kind:
            parts.append(Content.styled(f" · {kind}", "$text-muted"))
        if mode == "rollback":
            parts.append(Content.styled(" · ROLLBACK", "bold $text-warning"))
        parts.append(Content.styled(f" · {session_id}", "$text-muted"))
        level = "ok"
        if drill:
            parts.append(Content.styled(" · DRILL", "bold $text-accent"))
            clock = format_duration(elapsed)
            if rto:
                clock += f" / RTO {format_duration(rto)}"
                level = rto_level(elapsed, rto)
            parts.append(f" · {clock}")
        else:
            parts.append(f" · {format_duration(elapsed)}")
        self.set_class(level == "near", "-rto-near")
        self.set_class(level == "over", "-rto-over")
        self.update(Content.assemble(*parts))
