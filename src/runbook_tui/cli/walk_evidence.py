"""The headless walk's evidence: the runbook's services, backups and logs watched and
recorded while it runs (sources/recorder.py), and the one question about the
commands its checks and logs run."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from runbook_tui.session.engine import Engine
    from runbook_tui.sources.recorder import SessionEvidence

log = logging.getLogger(__name__)


class Screen(Protocol):
    def line(self, text: str = "") -> None: ...


def open_evidence(engine: Engine, err: Screen) -> SessionEvidence | None:
    """The session's sources, or None when the runbook declares none (nothing is
    imported for it then). A source that cannot be set up costs the evidence, never
    the walk."""
    runbook = engine.runbook
    if not (runbook.services or runbook.backups or runbook.logs):
        return None
    from runbook_tui.sources.recorder import SessionEvidence

    try:
        return SessionEvidence.open(engine)
    except Exception as exc:
        log.exception("cannot set up the runbook's services, backups and logs")
        err.line(f"warning: the runbook's services, backups and logs are not watched: {exc}")
        return None


def start_evidence(
    evidence: SessionEvidence,
    *,
    yes: bool,
    out: Screen,
    err: Screen,
    ask: Callable[[str], str],
) -> None:
    """Start the sources. The runbook's check and log commands run with consent:
    `--yes` gives it (recorded, not remembered), trust.json may hold it from an
    earlier walk, else the operator is asked once (`ask` reads the answer; what it
    raises goes on, as at any prompt of the walk)."""
    from runbook_tui.sources.recorder import BY_YES

    if evidence.trust_problem:
        err.line(f"warning: {evidence.trust_problem}")
    listed = [f"  {command.line()}" for command in evidence.commands]
    if evidence.answered_before is not None:
        # Asked once per session: a resumed one keeps the answer its journal holds.
        evidence.start()
        verdict = "allowed" if evidence.answered_before else "refused (not run)"
        out.line(
            f"the runbook's checks and logs: their commands were {verdict} earlier in this session"
        )
        return
    if evidence.commands and yes:
        evidence.allow(BY_YES, remember=False)
        out.line("the runbook's checks and logs run these commands (--yes):")
        for line in listed:
            out.line(line)
    evidence.start()
    if not evidence.commands or yes:
        return
    if evidence.trusted:
        out.line("the runbook's checks and logs run their commands (allowed before, trust.json)")
        return
    out.line("the runbook's checks and logs run these commands while the walk is open:")
    for line in listed:
        out.line(line)
    while True:
        answer = ask("run them? [y]es / [n]o: ").strip().lower()
        if answer in ("y", "yes"):
            problem = evidence.allow()
            if problem:
                err.line(f"warning: {problem}; allowed for this session only")
            else:
                out.line("  allowed; not asked again for this runbook as it is now")
            return
        if answer in ("n", "no"):
            evidence.refuse()
            out.line("  not run; the other checks go on without them")
            return
