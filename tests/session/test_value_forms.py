"""Secret values re-quoted by bash or encoded are masked too: the forms are computed in
Python (redaction.value_forms) and checked here against what real bash prints."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from urllib.parse import quote

import pytest

from runbook_tui.runbook.model import Runbook, Step, Variable
from runbook_tui.session.engine import Engine
from runbook_tui.session.journal import read_journal
from runbook_tui.session.redaction import MASK, Redactor, value_forms

VALUES = [
    'Pa$$w0rd"Q',
    "it's-a-secret",
    "two\nlines-x",
    "tab\tand\\back`tick",
    "pässwörd-ü",
    "ctl\x01'\\\"$`z",
    "sp ace!&;(x)#~",
    "#lead~ing=1",
    "Zq7HunterXv9Lm",
]


def bash(script: str, value: str, locale: str = "C.UTF-8") -> str:
    env = {"V": value, "PATH": os.environ["PATH"], "LC_ALL": locale}
    done = subprocess.run(["bash", "-c", script], env=env, capture_output=True, timeout=10)
    return (done.stdout + done.stderr).decode("utf-8", "surrogateescape")


def unquote(quoted: str) -> str:
    """The inside of one bash word as bash quoted it: '...', $'...', "..." or bare."""
    for opening in ("$'", "'", '"'):
        if quoted.startswith(opening) and len(quoted) > len(opening):
            return quoted[len(opening) : -1]
    return quoted


def printf_q(printed: str) -> str:
    if printed.startswith("$'"):
        return unquote(printed)
    # A leading # or ~ gets a backslash too: the form is the rest of it.
    return printed[1:] if printed[:2] in ("\\#", "\\~") else printed


def bash_forms(value: str, locale: str) -> dict[str, str]:
    """What bash itself prints for `value`, each reduced to the text between its quotes."""
    declared = bash("declare -p V", value, locale).rstrip("\n")
    exported = [ln for ln in bash("export -p", value, locale).splitlines() if " V=" in ln]
    traced = bash('set -x; : "$V"', value, locale).rstrip("\n")
    forms = {
        "declare -p": unquote(declared.split("V=", 1)[1]),
        "export -p": unquote(exported[0].split("V=", 1)[1]) if "\n" not in value else "",
        "printf %q": printf_q(bash('printf %q "$V"', value, locale)),
        "${V@Q}": unquote(bash('printf %s "${V@Q}"', value, locale)),
        "set -x": unquote(traced.removeprefix("+ : ")),
        "base64 <<<": bash('base64 -w0 <<<"$V"', value, locale),
        "printf | base64": bash('printf %s "$V" | base64 -w0', value, locale),
    }
    return {k: v for k, v in forms.items() if v}


@pytest.mark.parametrize("locale", ["C.UTF-8", "C"])
@pytest.mark.parametrize("value", VALUES)
def test_the_forms_bash_prints_are_computed_and_masked(value: str, locale: str) -> None:
    computed = value_forms(value)
    redactor = Redactor([value])
    for how, form in bash_forms(value, locale).items():
        assert form in computed, (how, form)
        masked = redactor.mask(f"before {form} after")
        assert form not in masked and MASK in masked, (how, masked)


@pytest.mark.parametrize("value", VALUES)
def test_url_json_and_base64_alignments_are_masked(value: str) -> None:
    redactor = Redactor([value])
    data = value.encode()
    import base64

    printed = [
        quote(value),
        quote(value, safe=""),
        json.dumps(value)[1:-1],
        json.dumps({"k": value}, ensure_ascii=False),
        base64.b64encode(data).decode().rstrip("="),
        base64.urlsafe_b64encode(data).decode(),
    ]
    for prefix in (b"", b"x", b"xy"):
        whole = base64.b64encode(prefix + data + b"tail").decode()
        core = whole[-(-8 * len(prefix) // 6) : 8 * (len(prefix) + len(data)) // 6]
        masked = redactor.mask(whole)
        assert core not in masked and MASK in masked, (prefix, whole, masked)
    for text in printed:
        assert MASK in redactor.mask(text), text


def test_a_step_that_requotes_a_secret_leaves_no_form_of_it_in_the_journal(
    tmp_path: Path,
) -> None:
    secret = "Pa$$w0rd\"Q'it"
    command = "\n".join(
        [
            "declare -p KEY",
            "export -p | grep ' KEY='",
            "printf '%q\\n' \"$KEY\"",
            '(set -x; : "$KEY")',
            "printf '%s\\n' \"${KEY@Q}\"",
            'base64 <<<"$KEY"',
            'printf %s "$KEY" | base64',
            'python3 -c \'import json, os, urllib.parse as u; k = os.environ["KEY"];'
            ' print(json.dumps(k), u.quote(k), u.quote(k, safe=""))\'',
        ]
    )
    path = tmp_path / "book.md"
    path.write_text("# requote\n")
    book = Runbook(
        title="requote",
        path=str(path),
        steps=(Step(id="s", kind="shell", command=command, line=1, language="sh"),),
        variables=(Variable(name="KEY", secret=True),),
    )
    home = tmp_path / "home"
    engine = Engine.start(book, home=home, variables={"KEY": secret})
    assert engine.run_step("s").succeeded
    engine.end("completed")
    output = "".join(e.get("data", "") for e in read_journal(engine.journal_path).events)
    assert output.count(MASK) >= 9, output
    journal = engine.journal_path.read_text()
    for how, form in bash_forms(secret, "C.UTF-8").items():
        assert form not in output, (how, form, output)
        assert json.dumps(form)[1:-1] not in journal, (how, form)
