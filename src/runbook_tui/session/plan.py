"""The rules of the walk, in one place: which walk the session is doing, which steps it
holds, what each step's status is in that walk, what is next, whether the walk is over,
and the status the session has earned. Answered from a snapshot of the fold, so the
headless walk, the UI and `sessions` cannot disagree.

The rules (docs/execution.md, "The walk"):
- The walk is the fold's `walk` ("main" or "rollback"); its steps are the runbook's
  main or rollback steps, in order.
- A step is done when it succeeded or was skipped. In the rollback walk, a rollback
  step done before the latest start of a main step is `pending` again: the rollback
  must undo the latest attempt.
- A step needs doing when it is not done; the next step is the first one after the
  given step (wrapping around) that needs doing.
- The walk is over when none of its steps is pending, running or interrupted (a failed
  step counts as ended: the operator may still retry it).
- The status earned at the end: `rolled_back` when the rollback walk has every step
  done; else `failed` when a step of the walk failed; else `completed` when every step
  is done; else `paused` (steps are left).
- Reference blocks are listed in place among the walk's steps (`items`) but are not
  steps: never counted in progress, never next, never run again on resume. Neither are
  ad-hoc commands (`adhoc`), which are listed in the order they ran.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple, Protocol

from runbook_tui.runbook.model import Reference, Runbook, Step, WalkItem
from runbook_tui.session.statuses import DONE_STATUSES, OFF_PLAN_KINDS


class _StepFacts(Protocol):
    @property
    def kind(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def confirmed_at(self) -> str | None: ...
    @property
    def rollback(self) -> bool: ...
    @property
    def started_order(self) -> int: ...
    @property
    def ended_order(self) -> int: ...
    @property
    def duration_seconds(self) -> float | None: ...


class _SessionFacts(Protocol):
    @property
    def walk(self) -> str: ...
    @property
    def steps(self) -> Mapping[str, _StepFacts]: ...


UNFINISHED = ("pending", "running", "interrupted")


class Progress(NamedTuple):
    """How far the walk got: counts of its steps by outcome."""

    total: int
    succeeded: int
    skipped: int
    failed: int
    left: int  # pending, running or interrupted
    seconds: float  # summed duration of the steps' latest attempts

    @property
    def done(self) -> int:
        return self.succeeded + self.skipped

    def describe(self) -> str:
        """`4 of 5 steps done (3 succeeded, 1 skipped), 1 failed`."""
        text = f"{self.done} of {self.total} steps done"
        text += f" ({self.succeeded} succeeded, {self.skipped} skipped)"
        if self.failed:
            text += f", {self.failed} failed"
        if self.left:
            text += f", {self.left} left"
        return text


class ReferenceCounts(NamedTuple):
    """What became of the walk's reference blocks: run (an edited copy ran, whatever
    its verdict), marked done by hand, passed by (passed on the record, or never
    touched)."""

    total: int
    ran: int
    marked: int
    passed: int


class Plan:
    def __init__(self, runbook: Runbook, state: _SessionFacts, walk: str | None = None) -> None:
        """The rules for `state`'s walk, or for `walk` (a walk about to be taken)."""
        self.runbook = runbook
        self.state = state
        walk = walk or state.walk
        self.walk = walk if walk in ("main", "rollback") else "main"
        # The latest start of a main step (in journal order): rollback steps done
        # before it count again.
        self._main_started = max(
            (
                s.started_order
                for s in state.steps.values()
                if not s.rollback and s.kind not in OFF_PLAN_KINDS
            ),
            default=0,
        )

    @property
    def steps(self) -> tuple[Step, ...]:
        """The current walk's steps, in order."""
        return self.steps_of(self.walk)

    def steps_of(self, walk: str) -> tuple[Step, ...]:
        return self.runbook.rollback_steps if walk == "rollback" else self.runbook.main_steps

    @property
    def items(self) -> tuple[WalkItem, ...]:
        """The walk's steps and reference blocks, in document order (what the walk
        lists; references sit between the steps where the runbook has them)."""
        return self.runbook.walk_items(rollback=self.walk == "rollback")

    @property
    def references(self) -> tuple[Reference, ...]:
        """The walk's reference blocks, in order."""
        rollback = self.walk == "rollback"
        return tuple(r for r in self.runbook.references if r.rollback == rollback)

    def reference_counts(self) -> ReferenceCounts:
        """For the end-of-walk summary: what became of this walk's reference blocks."""
        ran = marked = 0
        refs = self.references
        for ref in refs:
            st = self.state.steps.get(ref.id)
            if st is None:
                continue
            if st.status == "succeeded" and st.confirmed_at is not None:
                marked += 1
            elif st.status in ("succeeded", "failed", "running", "interrupted"):
                ran += 1
        return ReferenceCounts(len(refs), ran, marked, len(refs) - ran - marked)

    def adhoc(self) -> tuple[str, ...]:
        """The ids of the ad-hoc commands run in this session, in the order they ran."""
        return tuple(k for k, st in self.state.steps.items() if st.kind == "adhoc")

    def status(self, step_id: str) -> str:
        """The step's status for this walk (see the module doc)."""
        st = self.state.steps.get(step_id)
        if st is None:
            return "pending"
        undoing = self.walk == "rollback" and st.rollback
        if undoing and st.status in DONE_STATUSES and st.ended_order < self._main_started:
            return "pending"
        return st.status

    def statuses(self) -> dict[str, str]:
        """Every runbook step's status, as this walk sees it."""
        return {step.id: self.status(step.id) for step in self.runbook.steps}

    def is_done(self, step_id: str) -> bool:
        return self.status(step_id) in DONE_STATUSES

    def next_step(self, after: str | None = None) -> Step | None:
        """The first step of the walk after `after` (wrapping around, never `after`
        itself) that still needs doing; from the top when `after` is None."""
        steps = self.steps
        ids = [s.id for s in steps]
        start = ids.index(after) + 1 if after in ids else 0
        for step in (*steps[start:], *steps[:start]):
            if step.id != after and not self.is_done(step.id):
                return step
        return None

    def first_step(self) -> Step | None:
        """The step a walk opens on: the first that needs doing, else the walk's first
        (else the runbook's first, for a runbook with rollback steps only)."""
        return self.next_step() or next(iter(self.steps or self.runbook.steps), None)

    def left(self) -> tuple[Step, ...]:
        """The walk's steps still to do, in order."""
        return tuple(s for s in self.steps if not self.is_done(s.id))

    def needed_variables(self) -> set[str] | None:
        """What a resume of this walk must ask for: in the rollback walk, only the
        variables its steps still to run use; None (all of them) in the main walk."""
        # Imported here: variables needs PyYAML, which the walk's first frame does not.
        from runbook_tui.session.variables import variables_used

        return variables_used(self.runbook, self.left()) if self.walk == "rollback" else None

    @property
    def running_step(self) -> str | None:
        for step_id, st in self.state.steps.items():
            if st.status == "running":
                return step_id
        return None

    @property
    def over(self) -> bool:
        """No step of the walk is pending, running or interrupted."""
        return bool(self.steps) and all(self.status(s.id) not in UNFINISHED for s in self.steps)

    def progress(self) -> Progress:
        counts = dict.fromkeys(("succeeded", "skipped", "failed"), 0)
        left = 0
        seconds = 0.0
        for step in self.steps:
            status = self.status(step.id)
            if status in counts:
                counts[status] += 1
            else:
                left += 1
            st = self.state.steps.get(step.id)
            if st is not None and st.duration_seconds and status != "pending":
                seconds += st.duration_seconds
        return Progress(len(self.steps), left=left, seconds=seconds, **counts)

    def earned_status(self) -> str:
        """The status the session has earned now (see the module doc)."""
        progress = self.progress()
        if self.walk == "rollback" and progress.total and progress.done == progress.total:
            return "rolled_back"
        if progress.failed:
            return "failed"
        if progress.done == progress.total:
            return "completed"
        return "paused"

    # -- what the operator may do ---------------------------------------------------

    def can_skip(self, step_id: str) -> bool:
        return self.status(step_id) not in (*DONE_STATUSES, "running")

    def can_retry(self, step_id: str) -> bool:
        return self.status(step_id) in ("failed", "interrupted")

    @property
    def can_roll_back(self) -> bool:
        return self.walk == "main" and bool(self.runbook.rollback_steps)
