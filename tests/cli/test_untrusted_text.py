"""Runbook text is untrusted: what the printers show of it holds no raw control
character, and no raw bidirectional or zero-width character (Trojan Source; step
output keeps its colours: that is the command's own)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

# A heading that would retitle the terminal, a title that would erase its own line.
SNEAKY = (
    "# Deploy \x1b]0;pwned\x07\n\n"
    '```sh {"name":"harm\\u001b[2K\\u001b[1Gless"}\n'
    "printf '\\033[32mgreen\\033[0m\\n'\n"
    "```\n"
)


# Trojan Source: overrides and isolates in a command and a step name, a zero-width space
# in a heading.
TROJAN = (
    "# Deploy\u200b prod\n\n"
    '```sh {"name":"look\\u202e"}\n'
    "echo ok # \u202e } \u2066 rm -rf ~\u2069 \u2066\n"
    "```\n"
)
# Written out, not imported: the characters meant (CVE-2021-42574 and zero-width).
BIDI = "".join(map(chr, [0x61C, *range(0x200B, 0x2010), *range(0x202A, 0x202F), 0x2060]))
BIDI += "".join(map(chr, [*range(0x2066, 0x206A), 0xFEFF]))


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "runbook_tui", *args],
        cwd=cwd,
        env={**os.environ, "RUNBOOK_TUI_HOME": str(cwd / "home")},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_show_and_check_print_control_characters_escaped(tmp_path: Path) -> None:
    (tmp_path / "s.md").write_text(SNEAKY)
    for args in (("show", "s.md"), ("check", "s.md")):
        done = run(*args, cwd=tmp_path)
        assert done.returncode == 1  # control-character is an error
        printed = done.stdout + done.stderr
        assert "\x1b" not in printed and "\x07" not in printed, printed
        assert "\\x1b" in printed
    # JSON keeps the text exactly (its escapes are JSON's own).
    shown = json.loads(run("show", "s.md", "--json", cwd=tmp_path).stdout)
    assert shown["title"].startswith("Deploy \x1b]0;pwned")


def test_show_and_check_print_bidi_characters_escaped_and_check_fails(tmp_path: Path) -> None:
    (tmp_path / "t.md").write_text(TROJAN)
    for args in (("show", "t.md"), ("check", "t.md"), ("show", "t.md", "--json")):
        done = run(*args, cwd=tmp_path)
        assert done.returncode == 1, done.stdout + done.stderr  # error in the command
        printed = done.stdout + done.stderr
        assert not set(BIDI) & set(printed), printed
        assert "\\u202e" in printed
    found = json.loads(run("check", "t.md", "--json", cwd=tmp_path).stdout)
    assert [(d["line"], d["severity"], d["code"]) for d in found] == [
        (1, "warning", "bidi-character"),
        (3, "error", "bidi-character"),
        (4, "error", "bidi-character"),
    ]
    # JSON keeps the text exactly: the escapes are JSON's own.
    shown = json.loads(run("show", "t.md", "--json", cwd=tmp_path).stdout)
    assert shown["title"] == "Deploy\u200b prod"


def test_the_headless_header_escapes_what_the_runbook_says(tmp_path: Path) -> None:
    """`check` refuses such a runbook, so `run` does too; the header's escaping is the
    second line of defence: checked on the printer itself."""
    from runbook_tui.cli.headless import shown
    from runbook_tui.runbook.model import Runbook, Step
    from runbook_tui.session.engine import Engine

    path = tmp_path / "b.md"
    path.write_text("# b\n")
    step = Step(id="a", kind="shell", command="touch x ; : \x1b[2K\x1b[1G $ echo harmless", line=1)
    engine = Engine.start(Runbook(title="b", path=str(path), steps=(step,)), home=tmp_path / "h")
    assert shown(engine, step.command) == "touch x ; : \\x1b[2K\\x1b[1G $ echo harmless"
    engine.close()


def test_any_runbook_text_through_any_printer_holds_no_raw_control_character(
    tmp_path: Path,
) -> None:
    """Property: whatever a heading, a step name, a command or prose holds, `show`'s
    outline, the headless header and the screen's copy show no raw control character
    (TAB and newline aside) and no raw bidirectional or zero-width character."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from runbook_tui.cli.headless import shown
    from runbook_tui.cli.show import outline
    from runbook_tui.runbook.display import BIDI as RAW_BIDI
    from runbook_tui.runbook.display import CONTROL
    from runbook_tui.runbook.model import Runbook, Section, Step
    from runbook_tui.session.engine import Engine
    from runbook_tui.tui.masked import masked_copy

    path = tmp_path / "b.md"
    path.write_text("# b\n")
    engine = Engine.start(Runbook(title="b", path=str(path)), home=tmp_path / "h")
    any_char = st.characters(codec="utf-8", exclude_categories=["Cs"])
    # Any character, and the bidirectional ones often (drawn from all of Unicode they
    # would hardly ever come up).
    text = st.lists(st.one_of(any_char, st.sampled_from(BIDI)), max_size=40).map("".join)

    @settings(max_examples=300, derandomize=True, database=None, deadline=None)
    @given(title=text, name=text, command=text, prose=text)
    def check(title: str, name: str, command: str, prose: str) -> None:
        step = Step(
            id="s",
            kind="shell",
            command=command or "true",
            line=3,
            name=name or None,
            section=(title,),
        )
        runbook = Runbook(
            title=title,
            steps=(step,),
            sections=(Section(title, 1, 1, (title,), prose=prose),),
        )
        copy = masked_copy(runbook)
        printed = [
            outline(runbook),
            shown(engine, title),
            shown(engine, command),
            shown(engine, step.title),
        ]
        printed += [copy.title, copy.steps[0].command, copy.steps[0].title, copy.sections[0].prose]
        for out in printed:
            assert CONTROL.search(out) is None, repr(out)
            assert not set(BIDI) & set(out), repr(out)
        assert not any(RAW_BIDI.search(out) for out in printed)

    try:
        check()
    finally:
        engine.close()
