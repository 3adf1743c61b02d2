"""Steps: which fences run, prompts, attributes, manual steps, rollback, sections."""

from __future__ import annotations

from pathlib import Path

import pytest

from runbook_tui.runbook.parser import load, parse

FIXTURES = Path(__file__).parent / "fixtures"


def test_shell_languages_are_steps_case_insensitively() -> None:
    text = "".join(f"```{lang}\necho {lang}\n```\n\n" for lang in ("sh", "BASH", "Shell", "zsh"))
    steps = parse(text).runbook.steps
    assert [s.command for s in steps] == ["echo sh", "echo BASH", "echo Shell", "echo zsh"]
    assert [s.language for s in steps] == ["sh", "bash", "shell", "zsh"]


def test_other_languages_no_language_and_indented_code_are_not_steps() -> None:
    text = "```python\nprint(1)\n```\n\n```\necho no\n```\n\n    echo indented\n"
    assert parse(text).runbook.steps == ()


def test_tilde_and_long_fences_are_steps() -> None:
    text = "~~~sh\necho tilde\n~~~\n\n````bash\n```\necho inner\n```\n````\n"
    steps = parse(text).runbook.steps
    assert [s.command for s in steps] == ["echo tilde", "```\necho inner\n```"]


def test_fences_in_nested_lists_and_blockquotes_are_steps() -> None:
    text = (
        "1. First\n\n"
        "   ```sh\n   echo one\n   ```\n\n"
        "   - nested\n\n"
        "     ```bash\n     echo two\n     ```\n\n"
        "> quoted\n>\n> ```sh\n> echo three\n> ```\n"
    )
    steps = parse(text).runbook.steps
    assert [(s.command, s.line) for s in steps] == [
        ("echo one", 3),
        ("echo two", 9),
        ("echo three", 15),
    ]


def test_step_line_is_the_opening_fence_after_front_matter() -> None:
    text = "---\ntitle: x\n---\n\n# T\n\n```sh\necho\n```\n"
    (step,) = parse(text).runbook.steps
    assert step.line == 7


def test_empty_shell_block_is_a_warning_not_a_step() -> None:
    result = parse("# T\n\n```sh\n\n```\n")
    assert result.runbook.steps == ()
    assert ("empty-step", 3) in [(d.code, d.line) for d in result.diagnostics]


def test_console_block_runs_only_prompt_lines() -> None:
    result = load(FIXTURES / "console.md")
    (step,) = result.runbook.steps
    assert step.command.splitlines() == [
        "kubectl get pods",
        "kubectl logs api \\",
        "    --tail 10",
        "cat <<EOF > /tmp/x",
        "$ not a prompt inside the heredoc",
        "EOF",
    ]
    assert step.sample_output.splitlines() == ["NAME   READY", "api    1/1", "line one", "done"]


def test_shell_block_written_with_prompts_is_treated_like_console() -> None:
    text = "```shell\n# check\n$ oc get pods\nNAME READY\n```\n"
    (step,) = parse(text).runbook.steps
    assert step.command == "oc get pods"
    assert "NAME READY" in step.sample_output


def test_shell_block_without_prompts_runs_as_written() -> None:
    (step,) = parse("```sh\nexport A=1\necho $A\n```\n").runbook.steps
    assert step.command == "export A=1\necho $A"
    assert step.sample_output == ""


def test_prompt_line_inside_a_script_block_is_a_warning() -> None:
    result = parse("```sh\nexport A=1\n$ echo $A\n```\n")
    assert ("mixed-prompts", 3) in [(d.code, d.line) for d in result.diagnostics]


def test_console_block_without_prompts_is_shown_not_run() -> None:
    result = parse("```console\nNAME READY\napi 1/1\n```\n")
    assert result.runbook.steps == ()
    assert [d.code for d in result.diagnostics] == ["no-command", "no-steps"]


def test_json_attributes() -> None:
    text = '```sh {"name":"restore","timeout":"10m","expect_exit":3,"confirm":true}\nx\n```\n'
    (step,) = parse(text).runbook.steps
    assert (step.id, step.name, step.timeout_seconds, step.expect_exit, step.confirm) == (
        "restore",
        "restore",
        600,
        3,
        True,
    )
    assert step.attrs == {"name": "restore", "timeout": "10m", "expect_exit": 3, "confirm": True}


def test_key_value_attributes() -> None:
    text = (
        '```sh { name=restore timeout=1h30m danger="drop prod" cwd=/srv '
        "interactive=true expect_output='^ok$' }\nx\n```\n"
    )
    result = parse(text)
    (step,) = result.runbook.steps
    assert result.diagnostics == []
    assert step.attrs["timeout"] == "1h30m"
    assert (step.timeout_seconds, step.danger, step.cwd) == (5400, "drop prod", "/srv")
    assert (step.interactive, step.expect_output) == (True, "^ok$")


def test_runme_attributes_are_accepted_silently() -> None:
    text = (
        "```bash { background=false category=setup closeTerminalOnSuccess=true "
        "excludeFromRunAll=true interactive=true interpreter=bash name=setup-go "
        "promptEnv=true terminalRows=10 tag=a,b }\nx\n```\n"
    )
    result = parse(text)
    assert result.diagnostics == []
    assert result.runbook.steps[0].attrs["tag"] == "a,b"


def test_runme_string_booleans_in_json_are_understood() -> None:
    (step,) = parse('```sh {"interactive":"false","confirm":"true"}\nx\n```\n').runbook.steps
    assert (step.interactive, step.confirm) == (False, True)


def test_unknown_attribute_is_a_warning_at_its_column() -> None:
    result = parse("```sh { name=a colour=red }\nx\n```\n")
    (diag,) = result.diagnostics
    assert (diag.code, diag.line, diag.column) == ("unknown-attribute", 1, 16)


@pytest.mark.parametrize(
    "info",
    ['sh {"name": "x"', 'sh {"name": }', 'sh {name="x}', "sh { = }", 'sh {"a"}'],
)
def test_malformed_attributes_are_an_error(info: str) -> None:
    result = parse(f"```{info}\nx\n```\n")
    assert [d.code for d in result.diagnostics if d.severity == "error"] == ["malformed-attributes"]


@pytest.mark.parametrize(
    "attrs",
    [
        '{"timeout":"soon"}',
        '{"expect_exit":"zero"}',
        '{"expect_exit":300}',
        '{"confirm":"maybe"}',
        '{"expect_output":"("}',
        '{"danger":true}',
        '{"timeout":0}',
    ],
)
def test_bad_attribute_values_are_an_error(attrs: str) -> None:
    result = parse(f"```sh {attrs}\nx\n```\n")
    assert [d.code for d in result.diagnostics] == ["bad-attribute"]


def test_text_after_language_that_is_not_attributes_is_ignored() -> None:
    result = parse("```console # Drain, but wait\n$ drain\n```\n")
    assert result.diagnostics == []
    assert result.runbook.steps[0].command == "drain"


def test_task_list_items_are_manual_steps() -> None:
    text = "# T\n\n- [ ] Tell #incident\n  that writes are paused\n- [x] Done already\n- plain\n"
    steps = parse(text).runbook.steps
    assert [(s.kind, s.command, s.line) for s in steps] == [
        ("manual", "Tell #incident that writes are paused", 3),
        ("manual", "Done already", 5),
    ]


def test_nested_task_items_and_ordered_lists_are_found() -> None:
    text = "1. [ ] outer\n   - [ ] inner\n"
    assert [s.command for s in parse(text).runbook.steps] == ["outer", "inner"]


def test_empty_task_item_is_a_warning() -> None:
    result = parse("- [ ]\n")
    assert [d.code for d in result.diagnostics] == ["empty-step", "no-steps"]


def test_rollback_heading_marks_its_steps_and_subsections() -> None:
    text = (
        "# Deploy\n\n```sh\nmain\n```\n\n## Rollback\n\n```sh\nundo\n```\n\n"
        "### Database\n\n- [ ] restore db\n\n## After\n\n```sh\nafter\n```\n"
    )
    rb = parse(text).runbook
    assert [s.command for s in rb.main_steps] == ["main", "after"]
    assert [s.command for s in rb.rollback_steps] == ["undo", "restore db"]


@pytest.mark.parametrize("title", ["ROLLBACK", "Roll back", "Step 4: Rollback", "Rollback plan"])
def test_rollback_heading_variants(title: str) -> None:
    assert parse(f"## {title}\n\n```sh\nx\n```\n").runbook.steps[0].rollback


def test_heading_mentioning_rollbacks_later_is_not_rollback() -> None:
    assert not parse("# Upgrades and Rollbacks\n\n```sh\nx\n```\n").runbook.steps[0].rollback


def test_rollback_attribute_marks_a_step() -> None:
    (step,) = parse('```sh {"rollback": true}\nx\n```\n').runbook.steps
    assert step.rollback


def test_sections_hold_heading_path_and_prose() -> None:
    text = "Intro.\n\n# A\n\nProse A.\n\n## B\n\nProse B.\n\n```sh\nx\n```\n\n# C\n"
    rb = parse(text).runbook
    assert [(s.title, s.level, s.line, s.path) for s in rb.sections] == [
        ("", 0, 1, ()),
        ("A", 1, 3, ("A",)),
        ("B", 2, 7, ("A", "B")),
        ("C", 1, 15, ("C",)),
    ]
    assert rb.sections[1].prose == "Prose A."
    assert rb.sections[2].prose.startswith("Prose B.")
    (step,) = rb.steps
    assert step.section == ("A", "B")
    assert rb.section_for(step) is rb.sections[2]


def test_section_for_tells_apart_two_sections_with_the_same_title() -> None:
    text = "# T\n\n## Check\n\nfirst\n\n## Check\n\nsecond\n\n```sh\nx\n```\n"
    rb = parse(text).runbook
    section = rb.section_for(rb.steps[0])
    assert section is not None and section.prose.startswith("second")


def test_heading_markup_is_plain_in_titles() -> None:
    rb = parse("# **Restore** the `db` [now](http://x)\n").runbook
    assert rb.title == "Restore the db now"


def test_crlf_and_bom_change_nothing() -> None:
    crlf = load(FIXTURES / "crlf.md")
    bom = load(FIXTURES / "bom.md")
    assert crlf.diagnostics == [] and bom.diagnostics == []
    assert (crlf.runbook.title, crlf.runbook.steps[0].command, crlf.runbook.steps[0].line) == (
        "CRLF",
        "echo crlf",
        3,
    )
    assert (bom.runbook.title, bom.runbook.steps[0].line) == ("BOM", 3)


def test_non_utf8_file_is_an_error_with_its_position(tmp_path: Path) -> None:
    # Written here, not kept as a fixture: linters choke on non-UTF-8 files in the tree.
    latin1 = tmp_path / "latin1.md"
    latin1.write_bytes(b"# Latin-1\n\ncaf\xe9\n\n```sh\necho hi\n```\n")
    result = load(latin1)
    (diag,) = result.errors
    assert (diag.code, diag.line, diag.column) == ("not-utf8", 3, 4)
    assert result.runbook.steps[0].command == "echo hi"


def test_full_fixture_parses_cleanly() -> None:
    result = load(FIXTURES / "deploy.md")
    assert result.diagnostics == []
    rb = result.runbook
    assert [s.id for s in rb.steps][2:] == ["pull", "release", rb.steps[4].id]
    assert rb.steps[3].danger == "release api"
    assert rb.steps[4].rollback


def test_unknown_attribute_column_points_inside_the_braces() -> None:
    (diag,) = parse("> ```sh {s=1}\n> x\n> ```\n").diagnostics
    assert (diag.code, diag.column) == ("unknown-attribute", 10)


def test_a_fence_without_a_language_that_reads_as_a_command_gets_a_hint() -> None:
    text = (
        "# T\n\n```\nsudo KUBECONFIG=x kubectl get pods\n```\n\n"
        "```\n$ dig +short example.com\n93.184.216.34\n```\n\n"
        "```\nHTTP/1.1 200 OK\ncontent-type: text/html\n```\n\n"
        "```text\nkubectl get pods\n```\n"
    )
    result = parse(text)
    hints = [(d.line, d.severity) for d in result.diagnostics if d.code == "untagged-command"]
    assert hints == [(3, "warning"), (7, "warning")]
    first = next(d for d in result.diagnostics if d.code == "untagged-command")
    assert "mark it ```sh" in first.message and "(sudo KUBECONFIG=x kubectl" in first.message
    assert result.runbook.steps == ()  # a hint, not a step
