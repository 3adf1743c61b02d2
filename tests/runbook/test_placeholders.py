"""Placeholders: the grammar (against shapes seen in real runbooks), and filling them
checked against real bash: a filled value never changes what bash parses."""

from __future__ import annotations

import os
import subprocess

from hypothesis import given, settings
from hypothesis import strategies as st

from runbook_tui.runbook.placeholders import fill, fill_variable, placeholder_names, scan

BASH = "/bin/bash" if os.path.exists("/bin/bash") else "bash"


def bash_output(command: str, env: dict[str, str]) -> bytes:
    done = subprocess.run(
        [BASH, "--noprofile", "--norc", "-c", command],
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), **env},
        capture_output=True,
        check=False,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_what_is_a_placeholder_and_what_is_not() -> None:
    assert placeholder_names("oc delete pod <pod-name> -n <namespace>") == ("pod-name", "namespace")
    assert placeholder_names("ssh <IP Address>") == ("IP Address",)
    assert placeholder_names("echo <vm_name> <VERSION> <node-1>") == (
        "vm_name",
        "VERSION",
        "node-1",
    )
    for text in (
        "sort <in >out",
        "cat <file",
        "cat <<EOF\nx\nEOF",
        "cat <<<word",
        "diff <(ls a) <(ls b)",
        "grep -v <none> out",  # sample output pasted in
        "a<b>c",
        "echo 1 # replace <this> in a comment",
        "echo <rando@example.com>",
        "echo <<name>>",
    ):
        assert placeholder_names(text) == (), text


def test_each_context_is_filled_for_where_it_stands() -> None:
    values = {"pod": "web-1"}
    variable = fill_variable("pod")
    assert variable == "RBT_FILL_POD"
    assert (
        fill("kubectl delete pod <pod>", values).command == f'kubectl delete pod "${{{variable}}}"'
    )
    assert fill('echo "pod <pod> is gone"', values).command == f'echo "pod ${{{variable}}} is gone"'
    heredoc = fill("cat <<EOF\nname: <pod>\nEOF\n", values)
    assert heredoc.command == f"cat <<EOF\nname: ${{{variable}}}\nEOF\n"
    assert heredoc.env == {variable: "web-1"} and heredoc.ready


def test_a_fill_is_refused_where_nothing_is_expanded() -> None:
    for text in (
        "echo '<pod>'",
        "echo $'<pod>'",
        "cat <<'EOF'\n<pod>\nEOF",
        "echo `echo <pod>`",
        "echo $(( <pod> + 1 ))",
    ):
        filled = fill(text, {"pod": "x"})
        assert not filled.ready and [r.name for r in filled.refused] == ["pod"], text
        assert filled.refused[0].describe().startswith("<pod> cannot be filled")


def test_unfilled_placeholders_are_listed_and_left_as_written() -> None:
    filled = fill("oc get <kind> <name>", {"kind": "pod"})
    assert filled.unfilled == ("name",)
    assert filled.command.endswith("<name>")
    assert not filled.ready


def test_two_names_with_one_variable_name_get_two_variables() -> None:
    filled = fill("echo <pod-name> <pod_name>", {"pod-name": "a", "pod_name": "b"})
    assert filled.env == {"RBT_FILL_POD_NAME": "a", "RBT_FILL_POD_NAME_2": "b"}
    assert bash_output(filled.command, filled.env) == b"a b\n"


def test_names_used_before_they_are_set() -> None:
    text = 'for f in *; do echo "$f" "$MISSING"; done; read -r ANSWER; echo $ANSWER ${OTHER}'
    assert scan(text).names == ("MISSING", "OTHER")
    assert scan("echo $LATE; LATE=1").names == ("LATE",)
    assert scan("echo '$QUOTED' # $COMMENT").names == ()
    assert scan("source ./env.sh; echo $FROM_ENV_FILE").names == ()
    assert scan("echo ${A:-x} ${B:=y} ${C:+z} ${D?}").names == ()


# -- the property: no value changes what bash parses ----------------------------------

# Literal text around placeholders, in the characters a runbook's commands use.
SAFE = "abcxyzABC019_./:=@%+-"
literal = st.text(alphabet=SAFE, max_size=4)
in_quotes = st.text(alphabet=SAFE + " ", max_size=4)
# Any value an environment variable can hold: no NUL, no lone surrogate.
values = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
    max_size=40,
)
NAMES = ("pod-name", "namespace", "ns")


@st.composite
def word(draw: st.DrawFn) -> list[tuple[str, str, str]]:
    """A shell word as parts: (kind, text, context) with kind "lit" or "ph"."""
    parts: list[tuple[str, str, str]] = []
    for _ in range(draw(st.integers(1, 3))):
        where = draw(st.sampled_from(("bare", "double")))
        if where == "bare":
            # As a bare word, `<` after a word character is a redirection (`0<in`).
            lead = draw(literal)
            if lead and (lead[-1].isalnum() or lead[-1] == "_"):
                lead += draw(st.sampled_from("/:=@%+-."))
            parts.append(("lit", lead, "bare"))
            parts.append(("ph", draw(st.sampled_from(NAMES)), "bare"))
        else:
            inner = [
                ("lit", draw(in_quotes), "double"),
                ("ph", draw(st.sampled_from(NAMES)), "double"),
            ]
            if draw(st.booleans()):
                inner.append(("lit", draw(in_quotes), "double"))
            parts.append(("open", '"', "double"))
            parts.extend(inner)
            parts.append(("close", '"', "double"))
    return parts


def render(parts: list[tuple[str, str, str]]) -> str:
    return "".join(f"<{text}>" if kind == "ph" else text for kind, text, _ in parts)


def expected(parts: list[tuple[str, str, str]], vals: dict[str, str]) -> str:
    """The word's value with each placeholder as a single-quoted literal would give."""
    return "".join(
        vals[text] if kind == "ph" else text for kind, text, _ in parts if kind in ("ph", "lit")
    )


@settings(max_examples=60, deadline=None)
@given(
    words=st.lists(word(), min_size=1, max_size=3),
    vals=st.fixed_dictionaries({name: values for name in NAMES}),
)
def test_filled_values_reach_bash_as_one_literal_each(
    words: list[list[tuple[str, str, str]]], vals: dict[str, str]
) -> None:
    template = "printf '%s\\0' " + " ".join(render(w) for w in words)
    filled = fill(template, vals)
    assert filled.ready, filled
    # Never pasted in: the command text is the same whatever the values.
    assert filled.command == fill(template, dict.fromkeys(vals, "x")).command
    out = bash_output(filled.command, filled.env)
    argv = out.split(b"\0")[:-1]
    assert argv == [expected(w, vals).encode("utf-8", "surrogateescape") for w in words]


@settings(max_examples=40, deadline=None)
@given(before=in_quotes, after=in_quotes, value=values)
def test_a_filled_value_in_a_heredoc_is_text(before: str, after: str, value: str) -> None:
    template = f"cat <<EOF\n{before}<pod-name>{after}\nEOF\necho done"
    filled = fill(template, {"pod-name": value})
    assert filled.ready
    out = bash_output(filled.command, filled.env)
    assert out == f"{before}{value}{after}\ndone\n".encode()


@given(st.text(max_size=200))
def test_scanning_and_filling_any_text_never_raise(text: str) -> None:
    found = scan(text)
    filled = fill(text, dict.fromkeys(found.placeholders, "v"))
    assert set(filled.unfilled) <= set(found.placeholders)
