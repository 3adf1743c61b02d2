"""`sessions show` (plain) tells what a reader needs: skip reasons, the end reason, who
confirmed, and what happened in time order (notes where they were written)."""

from __future__ import annotations

from pathlib import Path

from .conftest import MANUAL, SCENARIOS, cli


def test_sessions_show_interleaves_notes_with_steps_and_gives_reasons(
    tmp_path: Path, book: Path
) -> None:
    home, sid = SCENARIOS["notes_and_skips"](tmp_path, book)
    shown = cli("sessions", "show", sid, home=home, cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    lines = shown.stdout.splitlines()
    steps = lines[lines.index("steps:") + 1 : lines.index("events:")]
    events = lines[lines.index("events:") + 1 :]
    assert any(
        MANUAL in s and "skipped" in s and "reason: nobody to tell at 03:00" in s for s in steps
    )
    assert any("verify" in s and "reason: verified by hand <in psql>" in s for s in steps)
    order = [
        "Note: paged the DBA | on call",
        "Skipped step 1 “Tell #incident that writes are paused”: nobody to tell at 03:00",
        "Started step 2 “check”",
        "Note (on step 2 “check”): disk looked fine",
        "Step 3 “restore” ended",
        "Session ended",
    ]
    at = [next(i for i, e in enumerate(events) if what in e) for what in order]
    assert at == sorted(at), events


def test_sessions_show_names_the_end_reason_and_who_confirmed(tmp_path: Path, book: Path) -> None:
    home, sid = SCENARIOS["failed"](tmp_path, book)
    out = cli("sessions", "show", sid, home=home, cwd=tmp_path).stdout
    assert "end reason: step restore failed: exit 3, expected 0" in out
    assert f"{MANUAL}  “Tell #incident that writes are paused”  confirmed by --yes" in out
    assert "restore exit 3  allowed by --yes" in out
    assert "→ ✗ failed: exit 3, expected 0" in out
