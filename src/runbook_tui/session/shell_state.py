"""Carrying shell state (working directory, exported variables) from one step to the next.

Each step runs in a fresh `bash -c`. The command is prefixed, on its own first line, with
an EXIT trap that writes the shell's final `pwd` and its exported environment (`env -0`)
to a pipe inherited through `pass_fds`. The parent reads that pipe while the step runs,
so nothing is ever written to disk (secret values live in the environment).

What carries and what does not is documented in docs/execution.md.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

_HEADER = b"RBT-STATE-1\0"
_TRAILER = b"RBT-STATE-END\0"

# Variables bash maintains itself: carrying them would be wrong (`_` is the last argument
# of the trap's own `env` command, SHLVL would grow by one per step).
_NOT_CARRIED = frozenset({"_", "SHLVL"})

# Biggest state report we keep (the kernel caps an environment at a few MiB anyway);
# anything larger is drained and dropped, and the state stays as it was.
MAX_STATE_BYTES = 8 * 1024 * 1024


def wrap_command(command: str, state_fd: int) -> str:
    """The script for `bash -c`: the trap and the command's first line share line 1, so
    bash's "line N" error messages keep the runbook's numbering.

    The trap keeps the command's exit status (`exit "$rc"`); when bash is killed by a
    signal it still dies by that signal after the trap. `builtin` guards against steps
    that define functions named printf, pwd, command or exit; `command -p env` against a
    PATH the step has changed. `set +eu` so a step's `set -eu` cannot cut the report short.
    If `env` fails (an exported value over the kernel's 128 KiB per-string limit makes
    every exec fail) there is no trailer, the report is rejected and the state stays.
    """
    trap = (
        "__rbt_rc=$?; builtin set +eu; "
        "{ builtin printf 'RBT-STATE-1\\0'; builtin pwd; builtin printf '\\0'; "
        "builtin command -p env -0 && builtin printf 'RBT-STATE-END\\0'; } "
        f'2>/dev/null >&{state_fd}; builtin exit "$__rbt_rc"'
    )
    return f"builtin trap '{_escape_single(trap)}' EXIT; {command}\n"


def _escape_single(text: str) -> str:
    return text.replace("'", "'\\''")


@dataclass(frozen=True)
class ShellState:
    cwd: str
    env: dict[str, str]


def parse_state(data: bytes) -> ShellState | None:
    """Parse what the trap wrote, or None if it is missing or not whole (the shell was
    killed before its trap finished, the step replaced the trap, or `exec`'d)."""
    start = data.rfind(_HEADER)
    if start < 0 or not data.endswith(_TRAILER):
        return None
    body = data[start + len(_HEADER) : -len(_TRAILER)]
    pwd_raw, sep, env_raw = body.partition(b"\0")
    if not sep:
        return None
    # `pwd` ends its line with a newline; a path cannot hold NUL, so the split is exact.
    if pwd_raw.endswith(b"\n"):
        pwd_raw = pwd_raw[:-1]
    env: dict[str, str] = {}
    for entry in env_raw.split(b"\0"):
        if not entry:
            continue
        name, eq, value = entry.partition(b"=")
        if not eq or not name:
            continue
        # surrogateescape round-trips bytes that are not UTF-8 back into the next
        # step's environment unchanged (subprocess encodes with os.fsencode).
        key = os.fsdecode(name)
        if key in _NOT_CARRIED:
            continue
        env[key] = os.fsdecode(value)
    return ShellState(cwd=os.fsdecode(pwd_raw), env=env)


def merge_state(
    previous_env: dict[str, str],
    injected: dict[str, str],
    reported: ShellState,
) -> dict[str, str]:
    """The environment to carry: what the shell exported at exit, with the values the
    runner set for the child only put back as they were (unless the step changed them),
    and SHLVL kept as it was before."""
    env = dict(reported.env)
    for key, value in injected.items():
        if env.get(key) == value:
            if key in previous_env:
                env[key] = previous_env[key]
            else:
                del env[key]
    if "SHLVL" in previous_env:
        env["SHLVL"] = previous_env["SHLVL"]
    return env
