"""Writing a session's transcript in a format: to a stream, or to a file that appears
whole (written beside it, then renamed over it) and private (0600, like the journal:
it records what was done on a system; share it on purpose)."""

from __future__ import annotations

import contextlib
import io
import os
import secrets
from pathlib import Path
from typing import BinaryIO

from runbook_tui import __version__
from runbook_tui.session.store import SessionDir, is_live

FORMATS = ("markdown", "json", "asciicast", "html")
EXTENSIONS = {"markdown": ".md", "json": ".json", "asciicast": ".cast", "html": ".html"}


def write_transcript(out: BinaryIO, session: SessionDir, fmt: str) -> None:
    """The transcript of `session` in `fmt` (one of FORMATS), written to `out` in
    UTF-8 whatever the locale (what cannot be encoded, a lone surrogate, is replaced)."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown transcript format {fmt!r}")
    live = is_live(session.path)
    if fmt == "asciicast":
        from runbook_tui.export.asciicast import write_asciicast

        write_asciicast(out, session.journal_path, live=live)
        return
    from runbook_tui.export.record import read_record, recorded_runbook

    # The journal alone tells what happened. The runbook file (when unchanged) adds the
    # steps the session never reached and the names of steps known only by their id:
    # read (and parsed, which costs as much as the rest of the start-up) only for a
    # session that did not complete, or that has such a step; then the journal is
    # scanned again with it, which costs little (the scan decodes no output).
    record = read_record(session.journal_path, live=live)
    if record.state.status != "completed" or record.unnamed:
        runbook = recorded_runbook(session.journal_path)
        if runbook is not None:
            record = read_record(session.journal_path, runbook, live=live)
    text = io.TextIOWrapper(out, encoding="utf-8", errors="replace", newline="")
    try:
        if fmt == "markdown":
            from runbook_tui.export.markdown import write_markdown

            write_markdown(text, record, __version__)
        elif fmt == "html":
            from runbook_tui.export.htmlpage import write_html

            write_html(text, record, __version__)
        else:
            from runbook_tui.export.jsondoc import write_json

            write_json(text, record, __version__)
        text.flush()
    finally:
        text.detach()


def default_name(session: SessionDir, fmt: str) -> str:
    return f"{session.id}{EXTENSIONS[fmt]}"


def save_transcript(session: SessionDir, fmt: str, path: str | os.PathLike[str]) -> Path:
    """Write the transcript to `path` (a folder: `<id><ext>` in it) and return where
    it went. The file appears whole or not at all; an existing one is replaced."""
    target = Path(path).expanduser()
    if target.is_dir():
        target = target / default_name(session, fmt)
    target = target.absolute()
    temp = target.with_name(f".{target.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
    try:
        os.fchmod(fd, 0o600)  # the umask can only take bits away; be explicit
        with open(fd, "wb") as out:
            write_transcript(out, session, fmt)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
    return target
