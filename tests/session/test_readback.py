"""Reading a journal back in bounded memory: the fold keeps where output is, not the
text; output streams from the file; `sessions show --json` is the same document."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from runbook_tui.runbook.model import Runbook, Step
from runbook_tui.session import journal as journal_mod
from runbook_tui.session.journal import (
    Journal,
    JournalReader,
    read_journal,
    read_output,
    read_output_tail,
)
from runbook_tui.session.readback import (
    fold_journal,
    step_output,
    step_output_tail,
    write_session_json,
)
from runbook_tui.session.state import fold

RUNBOOK = Runbook(
    title="Two steps",
    path="/rb/two.md",
    steps=(
        Step(id="a", kind="shell", command="make a", line=3),
        Step(id="b", kind="shell", command="make b", line=7),
        Step(id="never", kind="shell", command="true", line=9),
    ),
)
FIRST = {
    "session_id": "20261126T141500Z-3f9a",
    "runbook": {"path": "/rb/two.md", "sha256": "ab" * 32, "title": "Two steps", "kind": None},
    "operator": "alice",
    "variables": {"TOKEN": "********"},
    "walk": "main",
}
# Escapes, non-ASCII, astral characters, a lone surrogate: whatever output may hold.
ODD = 'tab\t"quoted" back\\slash \x1b[31mred\x1b[0m é 中 😀 \udcff nul\x00 end\n'


def write_journal(path: Path, *, torn: bool = False) -> None:
    j = Journal.create(path, FIRST)
    j.append("step_started", step_id="a", attempt=1, kind="shell", command="make a")
    for i in range(300):
        j.append_output("a", 1, f"first try {i} {ODD}")
    j.append("step_finished", step_id="a", attempt=1, exit_code=1, verdict="failed")
    j.append("step_started", step_id="a", attempt=2, kind="shell", command="make a")
    j.append_output("a", 2, "second " * 30_000)  # several 64 KiB events in a row
    j.append_output("a", 1, "late output of the first attempt\n")  # not attempt 2's
    j.append_output("a", 2, ODD)
    j.append("note", text="half way", step_id="a")
    j.append_output("a", 2, "after the note\n")
    j.append("step_finished", step_id="a", attempt=2, exit_code=0, verdict="succeeded")
    j.append("step_started", step_id="b", attempt=1, kind="shell", command="make b")
    j.append_output("b", 1, ODD * 3)
    j.append("step_started", step_id="quiet", attempt=1, kind="shell", command="true")
    j.append("step_finished", step_id="quiet", attempt=1, exit_code=0, verdict="succeeded")
    j.close()
    if torn:
        with open(path, "ab") as f:
            f.write(
                b'{"seq":999,"ts":"2026-11-26T14:15:00.000Z","type":"output","step_id":"b","att'
            )


def old_show_doc(path: Path, runbook: Runbook | None, include_output: bool) -> dict[str, Any]:
    """`sessions show --json` as it was: everything read and folded in memory."""
    read = read_journal(path)
    doc = fold(read.events, runbook=runbook).to_dict(include_output=include_output)
    doc["journal"] = str(path)
    doc["journal_torn"] = read.torn
    return doc


@pytest.mark.parametrize("torn", [False, True])
def test_the_fold_of_the_file_matches_the_fold_in_memory_but_keeps_no_text(
    tmp_path: Path, torn: bool
) -> None:
    path = tmp_path / "journal.jsonl"
    write_journal(path, torn=torn)
    old = fold(read_journal(path).events, RUNBOOK)
    read = fold_journal(path, RUNBOOK)
    assert read.torn == torn and read.problems == read_journal(path).problems
    assert read.state.to_dict(include_output=False) == old.to_dict(include_output=False)
    for step_id, step in read.state.steps.items():
        assert step.output == ""  # no text in memory
        assert step.output_truncated == (step.output_chars > 0)
        assert "".join(step_output(path, step)) == old.steps[step_id].output
    a = read.state.steps["a"]
    assert a.output_chars == len(old.steps["a"].output) and a.attempts == 2
    # Adjacent output lines are one range: the step's output is a handful of ranges.
    assert len(a.output_spans) <= 3


def test_the_tail_is_read_from_the_end(tmp_path: Path) -> None:
    path = tmp_path / "journal.jsonl"
    write_journal(path)
    read = fold_journal(path, RUNBOOK)
    for step_id in ("a", "b"):
        step = read.state.steps[step_id]
        whole = "".join(step_output(path, step))
        for n in (0, 1, 5, len(ODD), 64 * 1024, 64 * 1024 + 7, len(whole) - 1, 10**9):
            want = whole[len(whole) - n :] if n else ""
            assert step_output_tail(path, step, n) == want, (step_id, n)
            spans = [(s, e) for s, e in step.output_spans]
            got = read_output_tail(path, spans, step_id, n, block_size=1000)
            assert got == want, (step_id, n)


def test_streamed_json_is_the_document_json_dump_wrote(tmp_path: Path) -> None:
    path = tmp_path / "journal.jsonl"
    write_journal(path, torn=True)
    for runbook in (RUNBOOK, None):
        for include_output in (True, False):
            read = fold_journal(path, runbook)
            out = io.StringIO()
            write_session_json(
                out,
                read.state,
                path,
                extra={"journal": str(path), "journal_torn": read.torn},
                include_output=include_output,
            )
            old = old_show_doc(path, runbook, include_output)
            assert json.loads(out.getvalue()) == old
            assert out.getvalue() == json.dumps(old, indent=2)  # byte for byte


def test_placeholder_looking_text_in_the_journal_stays_text(tmp_path: Path) -> None:
    path = tmp_path / "journal.jsonl"
    j = Journal.create(path, FIRST)
    j.append("note", text='\x00deadbeef:0\x00 "\\u0000')
    j.append("step_started", step_id="a", attempt=1, kind="shell", command="\x00x:0\x00")
    j.append_output("a", 1, "\x00deadbeef:0\x00")
    j.close()
    out = io.StringIO()
    write_session_json(out, fold_journal(path).state, path)
    assert json.loads(out.getvalue()) == fold(read_journal(path).events).to_dict()


def test_read_output_passes_over_lines_that_are_not_the_steps_output(tmp_path: Path) -> None:
    path = tmp_path / "journal.jsonl"
    write_journal(path)
    whole = (0, path.stat().st_size)
    assert "".join(read_output(path, [whole], "b")) == ODD * 3
    assert list(read_output(path, [], "b")) == []


def test_skip_output_never_decodes_an_output_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "journal.jsonl"
    write_journal(path)
    j = Journal.open_append(path)
    j.append("session_ended", status="completed", reason="")  # the last line is not output
    j.close()
    decoded: list[bytes] = []
    real = journal_mod._parse

    def spy(line: bytes) -> Any:
        decoded.append(line)
        return real(line)

    monkeypatch.setattr(journal_mod, "_parse", spy)
    read = read_journal(path, skip_output=True)
    assert read.events and all(e["type"] != "output" for e in read.events)
    assert not any(b'"type":"output"' in line[:96] for line in decoded)
    assert len(decoded) == len(read.events)
    reader = JournalReader(path, skip_output=True)
    assert sum(1 for _ in reader) == len(read.events) and reader.problems == []


def test_located_ranges_are_the_lines(tmp_path: Path) -> None:
    path = tmp_path / "journal.jsonl"
    write_journal(path)
    data = path.read_bytes()
    pos = 0
    for event, start, end in JournalReader(path).located():
        assert start == pos and data[end - 1 : end] == b"\n"
        assert json.loads(data[start:end]) == event
        pos = end
    assert pos == len(data)


@pytest.mark.parametrize("torn", [False, True])
def test_output_heads_tell_where_output_is_without_its_data(tmp_path: Path, torn: bool) -> None:
    """output_data=False: the same events, output without `data` (read from the head of
    the line); "json": with the data's literal, which decodes to the data."""
    path = tmp_path / "journal.jsonl"
    write_journal(path, torn=torn)
    full = list(JournalReader(path).located())
    heads = list(JournalReader(path, output_data=False).located())
    literal = list(JournalReader(path, output_data="json").located())
    assert [(s, e) for _, s, e in heads] == [(s, e) for _, s, e in full]
    for (event, _, _), (head, _, _), (lit, _, _) in zip(full, heads, literal, strict=True):
        if event["type"] != "output":
            assert head == event == lit
            continue
        assert "data" not in head or head == event  # the last line is parsed whole
        assert {k: v for k, v in head.items() if k != "data"} == {
            k: v for k, v in event.items() if k != "data"
        }
        if "data_json" in lit:
            assert json.loads(lit["data_json"]) == event["data"]
    read = fold_journal(path, RUNBOOK)
    for step_id, step in read.state.steps.items():
        spans = [(s, e) for s, e in step.output_spans]
        literals = list(journal_mod.read_output_literals(path, spans, step_id))
        assert [json.loads(x) for x in literals] == list(read_output(path, spans, step_id))
