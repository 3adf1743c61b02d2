"""How to call this tool again: the command lines the tool prints as hints (resume a
session) must work when pasted, wherever the tool was started from."""

from __future__ import annotations

import os
import shlex
import shutil
import sys
from pathlib import Path

NAME = "runbook-tui"


def program(argv0: str | None = None) -> str:
    """`runbook-tui` when that name on PATH is this program; else the full path of the
    program that is running (or `python -m runbook_tui` when started that way)."""
    argv0 = sys.argv[0] if argv0 is None else argv0
    if not argv0 or Path(argv0).name in ("__main__.py", "-m", "-c"):
        return f"{shlex.quote(sys.executable)} -m runbook_tui"
    found = shutil.which(argv0) if os.sep not in argv0 else argv0
    running = Path(found).resolve() if found else None
    on_path = shutil.which(NAME)
    if running is not None and on_path and Path(on_path).resolve() == running:
        return NAME
    return shlex.quote(str(running or argv0))


def resume_hint(
    session_id: str, home: str | os.PathLike[str] | None, *, rollback: bool = False
) -> str:
    """The command that resumes `session_id` without the UI. `--home` is named when the
    session lives anywhere but the default state home."""
    words = [program(), "resume", session_id, *_home_words(home)]
    if rollback:
        words.append("--rollback")
    return " ".join(words)


def open_hint(path: str, home: str | os.PathLike[str] | None) -> str:
    """The command that opens `path` in the UI again (with the same state home)."""
    return " ".join([program(), shlex.quote(path), *_home_words(home)])


def command_hint(words: list[str], home: str | os.PathLike[str] | None) -> str:
    """`runbook-tui WORDS... [--home DIR]`, as it works when pasted."""
    return " ".join([program(), *words, *_home_words(home)])


def _home_words(home: str | os.PathLike[str] | None) -> list[str]:
    """`--home DIR` unless `home` is the default state home."""
    from runbook_tui.session.store import default_home

    if home is None or Path(home).absolute() == default_home():
        return []
    return ["--home", shlex.quote(str(Path(home).absolute()))]
