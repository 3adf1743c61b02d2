"""Regular expressions from a runbook (a variable's `pattern`, a step's
`expect_output`), matched under a time bound.

Patterns are Python `re` syntax, and `re` backtracks: `(a*)*b` against 36 characters
runs for minutes, and a match cannot be interrupted inside the thread running it. So a
pattern a conservative static check calls risky — two or more quantifiers that repeat
(nested, as in `(a+)+`, or in sequence, as in `a*a*b`), a quantifier over an alternation
(`(a|a)*`), a backreference — or a long text is matched in a short-lived child
process that is killed when the time is up. Everything else (no quantifier, or one over
a short text: linear at worst) is matched in-process.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from functools import lru_cache

try:  # Python 3.11+: the parser behind re.compile.
    import re._parser as _sre  # type: ignore[import-not-found]
except ImportError:  # pragma: no cover
    _sre = None  # type: ignore[assignment]

# A value typed by an operator is short; expect_output searches whole step outputs.
_IN_PROCESS_FULLMATCH = 100_000
_IN_PROCESS_SEARCH = 1_000
# The child's interpreter start, on top of the time the match itself is given.
_STARTUP_SECONDS = 2.0
DEFAULT_SECONDS = 1.0

_CHILD = """
import json, re, sys
job = json.loads(sys.stdin.read())
match = (re.fullmatch if job["mode"] == "fullmatch" else re.search)(job["pattern"], job["text"])
sys.stdout.write("1" if match else "0")
"""


@lru_cache(maxsize=256)
def shape(pattern: str) -> tuple[int, bool]:
    """(number of repeating quantifiers, whether the pattern is risky). Raises re.error
    (or RecursionError, OverflowError) for an invalid pattern, as re.compile does."""
    re.compile(pattern)
    if _sre is None:  # pragma: no cover
        return 2, True
    tree = _sre.parse(pattern)
    repeats = 0
    risky = False
    repeat_ops = {_sre.MAX_REPEAT, _sre.MIN_REPEAT, getattr(_sre, "POSSESSIVE_REPEAT", None)}

    def walk(items: object, under_repeat: bool) -> None:
        nonlocal repeats, risky
        for op, av in items:  # type: ignore[attr-defined]
            if op in repeat_ops:
                _low, high, body = av
                repeating = high is _sre.MAXREPEAT or high > 1
                repeats += repeating
                walk(body, under_repeat or repeating)
            elif op is _sre.BRANCH:
                risky = risky or under_repeat
                for branch in av[1]:
                    walk(branch, under_repeat)
            elif op is _sre.SUBPATTERN:
                walk(av[-1], under_repeat)
            elif op in (_sre.ASSERT, _sre.ASSERT_NOT):
                walk(av[1], under_repeat)
            elif op is getattr(_sre, "ATOMIC_GROUP", None):
                walk(av, under_repeat)
            elif op in (_sre.GROUPREF, _sre.GROUPREF_EXISTS):
                risky = True
                if op is _sre.GROUPREF_EXISTS:
                    for part in av[1:]:
                        if part is not None:
                            walk(part, under_repeat)

    walk(tree, False)
    return repeats, risky or repeats >= 2


def fullmatch_within(pattern: str, text: str, seconds: float = DEFAULT_SECONDS) -> bool | None:
    """Whether `pattern` matches all of `text`; None when that could not be decided
    within about `seconds` (the match was stopped). Raises re.error for an invalid
    pattern."""
    repeats, risky = shape(pattern)
    if not risky and (repeats == 0 or len(text) <= _IN_PROCESS_FULLMATCH):
        return re.fullmatch(pattern, text) is not None
    return _in_child("fullmatch", pattern, text, seconds)


def search_within(pattern: str, text: str, seconds: float = DEFAULT_SECONDS) -> bool | None:
    """Whether `pattern` matches somewhere in `text` (as `expect_output` is checked);
    None when that could not be decided within about `seconds`. Raises re.error for an
    invalid pattern."""
    repeats, risky = shape(pattern)
    if not risky and (repeats == 0 or len(text) <= _IN_PROCESS_SEARCH):
        return re.search(pattern, text) is not None
    return _in_child("search", pattern, text, seconds)


def _in_child(mode: str, pattern: str, text: str, seconds: float) -> bool | None:
    """The match in a fresh interpreter (-I: no environment, no user site), killed
    after `seconds` plus its start-up time. A child rather than a fork: the caller may
    have threads (the UI, the engine), and a forked child of a threaded process may
    deadlock on a lock another thread held."""
    job = json.dumps({"mode": mode, "pattern": pattern, "text": text})  # escapes surrogates
    try:
        done = subprocess.run(
            [sys.executable, "-I", "-S", "-c", _CHILD],
            input=job,
            capture_output=True,
            text=True,
            timeout=seconds + _STARTUP_SECONDS,
            check=False,
        )
    except subprocess.TimeoutExpired:  # run() has killed the child
        return None
    except OSError:
        return None
    if done.returncode != 0 or done.stdout not in ("0", "1"):
        return None
    return done.stdout == "1"
