"""`${NAME}` in services, logs and backups: text replaced, never shell-evaluated."""

from __future__ import annotations

from runbook_tui.runbook.parser import parse
from runbook_tui.sources.expand import expand, mentioned_unknown, source_values


def test_known_names_are_replaced_and_unknown_ones_stay_as_written() -> None:
    done = expand("http://${HOST}:${PORT}/${PATH_X}/${PORT}", {"HOST": "db", "PORT": "5432"})
    assert done.text == "http://db:5432/${PATH_X}/5432"
    assert done.unknown == ("PATH_X",)
    assert done.note == "${PATH_X} is not set (no such variable or environment variable)"


def test_only_the_braced_form_is_expanded_and_no_shell_syntax() -> None:
    values = {"A": "x", "B": "y"}
    assert expand("$A $$ ${A:-z} ${A}${B}", values).text == "$A $$ ${A:-z} xy"
    assert expand("$(rm -rf /) `id` ${A}", values).text == "$(rm -rf /) `id` x"


def test_a_value_is_not_expanded_again() -> None:
    assert expand("${A}", {"A": "${B}", "B": "no"}).text == "${B}"


def test_commands_are_left_to_their_shell_but_unknown_names_are_named() -> None:
    done = mentioned_unknown("curl -f http://127.0.0.1:${PORT}/ ${TOKEN}", {"PORT": "1"})
    assert done.text == "curl -f http://127.0.0.1:${PORT}/ ${TOKEN}"
    assert done.unknown == ("TOKEN",)


RUNBOOK = """\
---
variables:
  PORT: {default: "8080"}
  HOST: {from_env: DEMO_HOST, default: localhost}
  REGION: {from_env: DEMO_REGION}
  GIVEN:
---
# x
"""


def test_values_come_from_the_walk_then_from_env_then_defaults_then_the_environment() -> None:
    runbook = parse(RUNBOOK).runbook
    env = {"DEMO_HOST": "db.internal", "GIVEN": "from-env", "HOME": "/root", "PORT": "1"}
    values = source_values(runbook, {"PORT": "9000"}, env)
    assert values["PORT"] == "9000"  # the walk's value wins
    assert values["HOST"] == "db.internal"  # from_env
    assert values["GIVEN"] == "from-env"  # declared without a value: the environment's
    assert values["HOME"] == "/root"
    assert "REGION" not in values
    assert source_values(runbook, None, {})["HOST"] == "localhost"
    assert source_values(runbook, None, {"PORT": "1"})["PORT"] == "8080"
