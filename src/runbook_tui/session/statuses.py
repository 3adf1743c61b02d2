"""The statuses of steps and sessions, and the one rule that derives a session's status
from the journal (used by the fold and by the store's fast listing alike). No classes
here: the store and the walk's plan import it at start-up, before the first frame."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

Event = Mapping[str, Any]

STEP_STATUSES = ("pending", "running", "succeeded", "failed", "skipped", "interrupted")
# `paused`: the operator quit with steps left; `rolled_back`: the rollback walk ran to
# its end; `interrupted`: the process died without ending the session.
SESSION_STATUSES = (
    "running",
    "completed",
    "failed",
    "rolled_back",
    "paused",
    "interrupted",
    "aborted",
)
# What `Engine.end` may write (the others are derived, never written).
END_STATUSES = ("completed", "failed", "rolled_back", "paused", "aborted")
DONE_STATUSES = ("succeeded", "skipped")
WALKS = ("main", "rollback")
# Kinds of recorded steps that are not the runbook's steps: a reference block run (or
# marked done, or passed by) and an ad-hoc command. Never counted in progress, never run
# again on resume.
OFF_PLAN_KINDS = ("reference", "adhoc")
SESSION_LEVEL_EVENTS = ("session_started", "session_resumed", "session_ended")


def session_status(last_session_event: Event | None, live: bool) -> str:
    """A session's status from its last session-level event (see the module doc)."""
    if last_session_event is not None and last_session_event.get("type") == "session_ended":
        # An unknown status (a newer writer) is kept as written rather than guessed.
        status = last_session_event.get("status")
        return status if isinstance(status, str) and status else "completed"
    return "running" if live else "interrupted"
