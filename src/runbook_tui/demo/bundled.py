"""Where the bundled runbooks are."""

from __future__ import annotations

from pathlib import Path


def runbooks_dir() -> Path:
    """The bundled runbooks: the repository's top-level `runbooks/`, which the package
    holds as `runbook_tui/runbooks` (a symbolic link to it in a checkout, so an editable
    install reads the folder itself; a copy of its files in a wheel)."""
    return (Path(__file__).resolve().parent.parent / "runbooks").resolve()
