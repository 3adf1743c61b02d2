"""Carrying shell state (working directory, exported variables) from one step to the next.

Each step runs in a fresh `bash -c COMMAND`. Before the command, bash runs a startup
script given as `BASH_ENV=/dev/fd/N` (a pipe, not a file) that sets an EXIT trap; the trap
writes the shell's final `pwd` and exported variables (`export -p`, a builtin: no extra
process per step) to another pipe inherited through `pass_fds`. The parent reads that
pipe while the step runs, so nothing is ever written to disk (secret values live in the
environment), and the command itself is run unchanged: bash's "line N" in error
messages is the step's own line N.

What carries and what does not is documented in docs/execution.md.
"""

from __future__ import annotations

import os
import re
import shlex
from dataclasses import dataclass

_HEADER = b"RBT-STATE-1\0"
_TRAILER = b"RBT-STATE-END\0"

# Variables bash maintains itself: carrying them would be wrong (`_` is the last argument
# of the trap's own `env` command, SHLVL would grow by one per step).
_NOT_CARRIED = frozenset({"_", "SHLVL"})

# Biggest state report we keep (the kernel caps an environment at a few MiB anyway);
# anything larger is drained and dropped, and the state stays as it was.
MAX_STATE_BYTES = 8 * 1024 * 1024


def startup_script(
    state_fd: int,
    startup_fd: int,
    user_bash_env: str | None,
    *,
    errexit: bool = True,
    pipefail: bool = True,
) -> bytes:
    """The BASH_ENV script (run before the command, so no function of the step can shadow
    anything in it yet): set the trap, close the startup pipe (a plain `exec`: under
    `builtin` the redirection would only last for that command), put BASH_ENV back as the
    step's environment had it (so bash scripts the step runs do not read our pipe), and
    source the user's own BASH_ENV as bash would have. Last, `set -e` and
    `set -o pipefail` unless opted out: set after the user's BASH_ENV, so only the step
    runs under them, and the trap still fires when errexit ends the step.

    The trap keeps the command's exit status (`exit "$rc"`); when bash is killed by a
    signal it still dies by that signal after the trap. `builtin` guards against steps
    that define functions named printf, pwd, export or exit. `set +eu` so a step's
    `set -eu` cannot cut the report short; `set +x` inside a group whose stderr is
    /dev/null, so a step's `set -x` traces none of the trap's own commands.
    """
    trap = (
        "{ __rbt_rc=$?; builtin set +eux; } 2>/dev/null; "
        "{ builtin printf 'RBT-STATE-1\\0'; builtin pwd; builtin printf '\\0'; "
        "builtin export -p; builtin printf 'RBT-STATE-END\\0'; } "
        f'2>/dev/null >&{state_fd}; builtin exit "$__rbt_rc"'
    )
    lines = [f"builtin trap {shlex.quote(trap)} EXIT", f"exec {startup_fd}<&-"]
    if user_bash_env is None:
        lines.append("builtin unset BASH_ENV")
    else:
        lines.append(f"builtin export BASH_ENV={shlex.quote(user_bash_env)}")
        lines.append('[ -r "$BASH_ENV" ] && builtin . "$BASH_ENV"')
    if errexit:
        lines.append("builtin set -e")
    if pipefail:
        lines.append("builtin set -o pipefail")
    return ("\n".join(lines) + "\n").encode()


@dataclass(frozen=True)
class ShellState:
    cwd: str
    env: dict[str, str]


# One line of `export -p`: `declare -x NAME="value"` (other attributes may come with x:
# -rx, -ix), `export NAME="value"` in POSIX mode, no `=` for a variable exported without
# a value (not in the environment, so not carried). Values with characters that are not
# printable are written $'...' (ANSI-C), so every variable is one line.
_EXPORT_LINE = re.compile(rb"(?:declare -[A-Za-z]+|export) ([A-Za-z_][A-Za-z0-9_]*)(?:=(.*))?")
_DQ_ESCAPE = re.compile(rb'\\([\\"$`])')
_ANSI_C_ESCAPE = re.compile(rb"\\(?:([0-7]{1,3})|x([0-9A-Fa-f]{1,2})|(.))", re.DOTALL)
_ANSI_C_SIMPLE = {
    b"a": b"\a", b"b": b"\b", b"e": b"\x1b", b"E": b"\x1b", b"f": b"\f", b"n": b"\n",
    b"r": b"\r", b"t": b"\t", b"v": b"\v", b"\\": b"\\", b"'": b"'", b'"': b'"', b"?": b"?",
}  # fmt: skip
# The kernel refuses to start a program with a longer "NAME=value" (MAX_ARG_STRLEN).
MAX_ENV_ENTRY_BYTES = 128 * 1024 - 1
IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


def _ansi_c(match: re.Match[bytes]) -> bytes:
    octal, hexa, other = match.groups()
    if octal is not None:
        return bytes([int(octal, 8) & 0xFF])
    if hexa is not None:
        return bytes([int(hexa, 16)])
    return _ANSI_C_SIMPLE.get(other, b"\\" + other)


def _unquote(value: bytes) -> bytes | None:
    if len(value) >= 2 and value.startswith(b'"') and value.endswith(b'"'):
        return _DQ_ESCAPE.sub(rb"\1", value[1:-1])
    if len(value) >= 3 and value.startswith(b"$'") and value.endswith(b"'"):
        return _ANSI_C_ESCAPE.sub(_ansi_c, value[2:-1])
    return None


def parse_state(data: bytes) -> ShellState | None:
    """Parse what the trap wrote, or None if it is missing or not whole (the shell was
    killed before its trap finished, the step replaced the trap, or `exec`'d)."""
    start = data.rfind(_HEADER)
    if start < 0 or not data.endswith(_TRAILER):
        return None
    body = data[start + len(_HEADER) : -len(_TRAILER)]
    pwd_raw, sep, exports = body.partition(b"\0")
    if not sep:
        return None
    # `pwd` ends its line with a newline; a path cannot hold NUL, so the split is exact.
    if pwd_raw.endswith(b"\n"):
        pwd_raw = pwd_raw[:-1]
    env: dict[str, str] = {}
    for line in exports.split(b"\n"):
        if not line:
            continue
        m = _EXPORT_LINE.fullmatch(line)
        if m is None:
            return None  # not what bash writes: trust none of it
        if m.group(2) is None:
            continue
        value = _unquote(m.group(2))
        if value is None:
            return None
        # surrogateescape round-trips bytes that are not UTF-8 back into the next
        # step's environment unchanged (subprocess encodes with os.fsencode).
        key = os.fsdecode(m.group(1))
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
    and SHLVL kept as it was before.

    Entries whose names are not shell identifiers (`BASH_FUNC_f%%` for an exported
    function, `a.b=1`) are not bash variables: bash passes them on unchanged, and so do
    we. A value too long for any program to be started with is dropped, or every
    following step would fail to start."""
    env = {k: v for k, v in previous_env.items() if not IDENTIFIER.match(k)}
    for key, value in reported.env.items():
        if len(os.fsencode(key)) + 1 + len(os.fsencode(value)) <= MAX_ENV_ENTRY_BYTES:
            env[key] = value
    for key, value in injected.items():
        if env.get(key) == value:
            if key in previous_env:
                env[key] = previous_env[key]
            else:
                del env[key]
    if "SHLVL" in previous_env:
        env["SHLVL"] = previous_env["SHLVL"]
    return env
