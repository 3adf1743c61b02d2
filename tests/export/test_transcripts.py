"""Every format, exported by `runbook-tui export` from real sessions: successful,
failed, rolled back, with notes and skips, interrupted and resumed, with a secret, and
with a flood of output. Each transcript is checked for its format (the JSON against
docs/transcript.schema.json, the asciicast with the real asciinema 2.4.0, the HTML for
anything that would reach outside the page, the markdown as GitHub parses it), and for
what the session recorded."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from .conftest import (
    CHECK,
    FLOOD_LINES,
    FORMATS,
    MANUAL,
    RESTORE,
    SCENARIOS,
    SECRET,
    TOKEN,
    UNDO,
    VERIFY,
    check_asciicast,
    check_html,
    check_json,
    check_markdown,
    cli,
    export,
    journal_events,
)


def recorded_output(events: list[dict[str, Any]], step_id: str, attempt: int) -> str:
    return "".join(
        e["data"]
        for e in events
        if e["type"] == "output" and e["step_id"] == step_id and e["attempt"] == attempt
    )


@pytest.fixture(params=list(SCENARIOS))
def session(request: pytest.FixtureRequest, tmp_path: Path, book: Path) -> tuple[str, Path, str]:
    home, session_id = SCENARIOS[request.param](tmp_path, book)
    return request.param, home, session_id


def test_every_format_of_every_session_is_valid_and_holds_what_was_recorded(
    session: tuple[str, Path, str], tmp_path: Path
) -> None:
    _name, home, sid = session
    events = journal_events(home, sid)
    started = [e for e in events if e["type"] == "step_started"]

    doc = check_json(export(home, sid, "json", tmp_path))
    assert doc["session"]["id"] == sid and doc["in_progress"] is False
    assert doc["timeline"] == [e for e in events if e["type"] != "output"]
    attempts = {(s["id"], a["attempt"]): a for s in doc["steps"] for a in s["attempts"]}
    for e in started:
        got = attempts[e["step_id"], e["attempt"]]
        assert got["output"] == recorded_output(events, e["step_id"], e["attempt"])
        assert got["command"] == e["command"]

    cast = tmp_path / "session.cast"
    cast.write_text(export(home, sid, "asciicast", tmp_path), encoding="utf-8")
    header, cast_events, shown = check_asciicast(cast)
    assert sid in header["title"]
    markers = [e[2] for e in cast_events if e[1] == "m"]
    assert len(markers) >= len(started)
    # Each attempt's output is replayed whole and in order (LF written CR LF).
    replay = shown.replace("\r\n", "\n")
    at = 0
    for e in started:
        out = recorded_output(events, e["step_id"], e["attempt"])
        found = replay.find(out, at)
        assert found >= 0, (e["step_id"], e["attempt"])
        at = found + len(out)

    page = check_html(export(home, sid, "html", tmp_path))
    page_text = "".join(page.text)
    assert f"Session{sid}" in page_text.replace("\n", "")

    text = export(home, sid, "markdown", tmp_path)
    check_markdown(text)
    for e in started:
        assert f"“{e['name'] or e['step_id']}”" in text or e["name"] is None


def test_the_markdown_reads_as_a_postmortem_of_a_failed_session(tmp_path: Path, book: Path) -> None:
    home, sid = SCENARIOS["failed"](tmp_path, book)
    text = export(home, sid, "markdown", tmp_path)
    assert text.startswith("# Transcript: Restore the orders \\| db\n")
    facts = dict(re.findall(r"^- \*\*(.+?):\*\* (.*)$", text.split("## Summary")[0], re.M))
    assert facts["Outcome"].startswith("failed")
    assert facts["Runbook sha256"].strip("`") == journal_events(home, sid)[0]["runbook"]["sha256"]
    assert facts["Operator"] and facts["Host"] and facts["Started"].endswith("UTC")
    assert facts["Kind"] == "restore"
    for placeholder in ("## Summary", "## Impact", "## Root cause", "## Action items"):
        assert placeholder in text
    # The variables as recorded: the secret one masked, the other as given.
    assert "| `RELEASE` | `42` |" in text and "| `DB_KEY` | `********` |" in text
    timeline = text.split("## Timeline")[1].split("## Steps")[0]
    rows = [line for line in timeline.splitlines() if line.startswith("| 2")]
    assert "Session started" in rows[0] and "Session ended" in rows[-1]
    assert any("Confirmed step 1 “Tell \\#incident" in r and "(--yes)" in r for r in rows)
    [failed] = [r for r in rows if "✗ failed: exit 3, expected 0" in r]
    assert "Step 3 “restore” ended" in failed
    # A pipe in output, a backtick and tildes cannot break the table or the fences.
    steps = text.split("## Steps")[1]
    assert "~~~~~\nred <b>not bold</b> `tick` | pipe\n~~~~ tildes\n" in steps
    assert "key is ********" in steps
    # The steps the session never reached are listed from the runbook (unchanged).
    assert "### 4. verify\n" in steps and "not reached" in steps.split("### 4. verify")[1]
    assert "### 5. undo\n" in steps and "the rollback steps" in steps.split("### 5. undo")[1]


def test_a_rolled_back_session_shows_the_switch_and_the_rollback(
    tmp_path: Path, book: Path
) -> None:
    home, sid = SCENARIOS["rolled_back"](tmp_path, book)
    text = export(home, sid, "markdown", tmp_path)
    timeline = text.split("## Timeline")[1].split("## Steps")[0]
    order = [
        "Started step 2 “check”",
        "Step 3 “restore” ended",
        "Switched to the rollback steps: after “restore” failed",
        "Started step 5 “undo”",
        "Session ended",
    ]
    positions = [timeline.index(what) for what in order]
    assert positions == sorted(positions)
    assert "- **Outcome:** rolled back" in text
    doc = check_json(export(home, sid, "json", tmp_path))
    undo = next(s for s in doc["steps"] if s["id"] == UNDO)
    assert undo["rollback"] and undo["status"] == "succeeded"
    assert undo["attempts"][0]["output"] == "undone\n"


def test_notes_and_skips_are_in_time_order_with_their_reasons(tmp_path: Path, book: Path) -> None:
    home, sid = SCENARIOS["notes_and_skips"](tmp_path, book)
    text = export(home, sid, "markdown", tmp_path)
    timeline = text.split("## Timeline")[1].split("## Steps")[0]
    order = [
        "Note: paged the DBA \\| on call",
        "Skipped step 1 “Tell \\#incident that writes are paused”: nobody to tell at 03:00",
        "Started step 2 “check”",
        "Note (on step 2 “check”): disk looked fine",
        "Started step 3 “restore”",
        "Skipped step 4 “verify”: verified by hand \\<in psql\\>",
    ]
    positions = [timeline.index(what) for what in order]
    assert positions == sorted(positions)
    html = export(home, sid, "html", tmp_path)
    assert "verified by hand &lt;in psql&gt;" in html
    assert "<in psql>" not in html


def test_an_interrupted_and_resumed_session_shows_both_sittings(tmp_path: Path, book: Path) -> None:
    home, sid = SCENARIOS["interrupted_and_resumed"](tmp_path, book)
    doc = check_json(export(home, sid, "json", tmp_path))
    restore = next(s for s in doc["steps"] if s["id"] == RESTORE)
    first, second = restore["attempts"]
    assert first["status"] == "interrupted" and first["interrupted_at"]
    assert "before the crash" in first["output"]
    assert second["status"] == "succeeded"
    assert len(doc["session"]["segments"]) == 2 and len(doc["session"]["resumes"]) == 1
    text = export(home, sid, "markdown", tmp_path)
    assert "was found interrupted (attempt 1)" in text and "Session resumed" in text
    assert "Retried step 3 “restore” (attempt 2)" in text
    assert "#### Attempt 1" in text and "#### Attempt 2" in text
    assert re.search(r"Duration:\*\* .+ \(open .+ over 2 sittings\)", text)


def test_no_format_holds_a_secret_or_a_token(tmp_path: Path, book: Path) -> None:
    home, sid = SCENARIOS["with_a_secret"](tmp_path, book)
    import base64

    encoded = base64.b64encode(SECRET.encode()).decode()
    for fmt in FORMATS:
        out = tmp_path / f"transcript.{fmt}"
        done = cli("export", sid, "--format", fmt, "-o", str(out), home=home, cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        data = out.read_text(encoding="utf-8")
        for raw in (SECRET, TOKEN, encoded.rstrip("=")):
            assert raw not in data, (fmt, raw)
        assert "********" in data  # and the masked value is there, where it was printed
    show = cli("sessions", "show", sid, home=home, cwd=tmp_path).stdout
    assert SECRET not in show and TOKEN not in show


def test_a_flood_is_cut_to_head_and_tail_and_counted(tmp_path: Path, book: Path) -> None:
    home, sid = SCENARIOS["flood"](tmp_path, book)
    text = export(home, sid, "markdown", tmp_path)
    verify = text.split("### 4. verify")[1].split("###")[0]
    assert f"Output ({FLOOD_LINES:,} lines, colours removed; the first 40 and the last 60" in verify
    left = FLOOD_LINES - 100
    assert f"_… {left:,} lines left out (lines 41 to {40 + left:,}) …_" in verify
    from markdown_it import MarkdownIt

    fences = [t for t in MarkdownIt("commonmark").parse(verify) if t.type == "fence"]
    command, head, tail = (f.content.splitlines() for f in fences)
    assert command == [f"seq 1 {FLOOD_LINES}"]
    assert head == [str(i) for i in range(1, 41)]
    assert tail == [str(i) for i in range(FLOOD_LINES - 59, FLOOD_LINES + 1)]
    html = export(home, sid, "html", tmp_path)
    assert f"… {left:,} lines left out" in html
    cast = tmp_path / "flood.cast"
    cast.write_text(export(home, sid, "asciicast", tmp_path), encoding="utf-8")
    _, _, shown = check_asciicast(cast)
    assert shown.count("\r\n") >= FLOOD_LINES


def test_a_running_session_exports_what_is_recorded_so_far(tmp_path: Path, book: Path) -> None:
    home = tmp_path / "home"
    from .conftest import engine_for

    engine = engine_for(book, home)
    try:
        assert engine.run_step(CHECK).succeeded
        sid = engine.session_id
        md = export(home, sid, "markdown", tmp_path)
        assert "> **In progress.**" in md and "- **Outcome:** in progress" in md
        assert "(in progress: recorded up to here)" in md
        assert "not reached yet" in md
        doc = check_json(export(home, sid, "json", tmp_path))
        assert doc["in_progress"] is True and doc["session"]["status"] == "running"
        assert "In progress." in export(home, sid, "html", tmp_path)
        cast = tmp_path / "live.cast"
        cast.write_text(export(home, sid, "asciicast", tmp_path), encoding="utf-8")
        header, _, shown = check_asciicast(cast)
        assert "(in progress)" in header["title"] and "in progress" in shown
    finally:
        engine.close()


def test_usage_errors_exit_2_and_o_prints_where_the_file_went(tmp_path: Path, book: Path) -> None:
    home, sid = SCENARIOS["completed"](tmp_path, book)
    unknown = cli("export", "19990101T", home=home, cwd=tmp_path)
    assert unknown.returncode == 2 and "19990101T" in unknown.stderr
    assert cli("export", sid, "--format", "pdf", home=home, cwd=tmp_path).returncode == 2
    # A second session of the same second makes the shared prefix ambiguous.
    other = home / "sessions" / (sid[:-4] + "ffff")
    other.mkdir()
    (other / "journal.jsonl").write_bytes((home / "sessions" / sid / "journal.jsonl").read_bytes())
    ambiguous = cli("export", sid[:10], home=home, cwd=tmp_path)
    assert ambiguous.returncode == 2 and "matches 2 sessions" in ambiguous.stderr
    done = cli("export", sid, "-o", str(tmp_path), "--format", "html", home=home, cwd=tmp_path)
    assert done.returncode == 0
    where = Path(done.stdout.strip())
    assert where == tmp_path / f"{sid}.html" and where.stat().st_mode & 0o777 == 0o600
    assert not list(tmp_path.glob(".*.tmp"))
    bad = cli("export", sid, "-o", str(tmp_path / "no" / "such" / "x.md"), home=home, cwd=tmp_path)
    assert bad.returncode == 2 and "cannot write" in bad.stderr
    assert json.loads(export(home, sid, "json", tmp_path))["session"]["status"] == "completed"
    default = export(home, sid, "markdown", tmp_path)  # markdown, to stdout, by default
    assert cli("export", sid, home=home, cwd=tmp_path).stdout == default
    assert default.startswith("# Transcript: ")


def test_steps_the_journal_named_after_the_runbook_changed_are_still_shown(
    tmp_path: Path, book: Path
) -> None:
    """A failed session whose runbook file changed since: the journal alone tells."""
    home, sid = SCENARIOS["failed"](tmp_path, book)
    book.write_text(book.read_text().replace("echo verified", "echo changed"))
    text = export(home, sid, "markdown", tmp_path)
    assert "### 3. restore" in text and "verify" not in text.split("## Steps")[1]
    assert MANUAL not in text and VERIFY not in text.split("## Steps")[1]
