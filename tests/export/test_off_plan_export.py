"""Reference blocks and ad-hoc commands in a transcript: a real session where the
operator ran an edited copy of a reference block with a placeholder filled in, marked
one done by hand, passed one by, and ran an ad-hoc command; every format."""

from __future__ import annotations

from pathlib import Path

from runbook_tui.runbook.parser import load
from runbook_tui.session.engine import Engine

from .conftest import check_asciicast, check_html, check_json, check_markdown, export

RUNBOOK = """\
# Clear a stuck pod

## Look

Note the pod first:

```
kubectl get pods -n <namespace>
```

```sh {"name":"main"}
echo main
```

## Fix

```
df -h /var/lib/kubelet
```

```
systemctl restart kubelet
```
"""


def test_reference_blocks_and_adhoc_commands_are_told_as_they_happened(tmp_path: Path) -> None:
    path = tmp_path / "stuck.md"
    path.write_text(RUNBOOK)
    book = load(path).runbook
    assert book is not None and len(book.references) == 3
    look, fix, restart = book.references
    home = tmp_path / "home"
    engine = Engine.start(book, home=home, variables={})
    assert engine.run_reference(
        look.id, "echo pods in <namespace>", fills={"namespace": "web"}
    ).succeeded
    assert engine.run_step("main").succeeded
    engine.mark_reference(fix.id)
    engine.pass_reference(restart.id, "not needed")
    assert engine.run_adhoc("echo by hand | tr a-z A-Z").succeeded
    engine.end("completed")
    sid = engine.session_id

    text = export(home, sid, "markdown", tmp_path)
    check_markdown(text)
    timeline = text.split("## Timeline")[1].split("## Steps")[0]
    assert f"(reference block at line {look.line})" in timeline
    marked = "Marked done by hand: step 3 “df -h /var/lib/kubelet”"
    assert f"{marked} (reference block at line {fix.line})" in timeline
    passed = "Passed by step 4 “systemctl restart kubelet”"
    assert f"{passed} (reference block at line {restart.line}): not needed" in timeline
    assert "(ad-hoc command): `echo by hand \\| tr a-z A-Z`" in timeline
    steps = text.split("## Steps")[1]
    assert "As written in the runbook:\n\n~~~~sh\nkubectl get pods -n <namespace>\n~~~~" in steps
    assert "- **Filled in:** `namespace=web`" in steps
    assert "BY HAND" in steps and "ad-hoc command (not in the runbook)" in steps

    doc = check_json(export(home, sid, "json", tmp_path))
    ref = next(s for s in doc["steps"] if s["id"] == look.id)
    [attempt] = ref["attempts"]
    assert attempt["written"].startswith("kubectl get pods") and attempt["source_line"] == look.line
    assert (
        attempt["fills"] == {"namespace": "web"}
        and attempt["template"] == "echo pods in <namespace>"
    )
    cast = tmp_path / "t.cast"
    cast.write_text(export(home, sid, "asciicast", tmp_path), encoding="utf-8")
    check_asciicast(cast)
    check_html(export(home, sid, "html", tmp_path))
