"""The id a journal records for a step whose runbook id holds a secret value.

A step's id comes from the runbook (its `name`, or its heading and text), so it can hold
the value of a secret variable, or a token shape (a step named `AKIA...`). Step ids are
not masked like other text: the fold matches events to steps by them, and `********`
in an id would make two steps one. So such a step is recorded under an id of its own,
`step-` and eight hex digits of the SHA-256 of its id as masked: it never holds the
value (it is made from the masked text), and the same runbook with the same secret
values gives the same ids again, so a resume finds the steps it recorded. In memory
(the plan, the screen's rows, the operator's intents) the step keeps its runbook id;
the engine turns one into the other where the journal is written and read.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable

PREFIX = "step-"


# How many suffixes to try before giving up on an id (see recorded_step_ids).
_TRIES = 64


class NoSafeId(ValueError):
    """Every id tried for a step was masked: a secret value as common as `step`."""


def recorded_step_ids(step_ids: Iterable[str], mask: Callable[[str], str]) -> dict[str, str]:
    """{runbook id: recorded id} for each of `step_ids` that `mask` changes. A recorded
    id taken already (by another step, or by an earlier one masked alike) gets `-2`,
    `-3`, ... in runbook order, as ids.py does, and so does one `mask` would change
    (a secret value found in the digest). Raises NoSafeId, naming the step by its
    position, when none of those survives masking."""
    ids = list(step_ids)
    used = set(ids)
    recorded: dict[str, str] = {}
    for position, step_id in enumerate(ids, 1):
        masked = mask(step_id)
        if masked == step_id:
            continue
        base = PREFIX + hashlib.sha256(masked.encode("utf-8", "surrogatepass")).hexdigest()[:8]
        for n in range(1, _TRIES + 1):
            candidate = base if n == 1 else f"{base}-{n}"
            if candidate not in used and mask(candidate) == candidate:
                break
        else:
            raise NoSafeId(
                f"step {position}'s id holds a secret value, and so does every id the "
                "journal could record it under: a secret value that short or common "
                "cannot be kept out of the journal"
            )
        used.add(candidate)
        recorded[step_id] = candidate
    return recorded
