"""One variable resolution for the headless walk, the UI's form and resume."""

from __future__ import annotations

from runbook_tui.runbook.model import Runbook, Variable
from runbook_tui.session.redaction import MASK
from runbook_tui.session.variables import (
    initial_value,
    mentioned,
    recorded_values,
    resolve,
)

BOOK = Runbook(
    title="v",
    variables=(
        Variable(name="REGION", from_env="DEPLOY_REGION", default="eu"),
        Variable(name="TOKEN", secret=True, from_env="DEPLOY_TOKEN"),
    ),
)


def test_an_empty_environment_variable_counts_as_unset_everywhere() -> None:
    environ = {"DEPLOY_REGION": "", "DEPLOY_TOKEN": "t0ps3cret"}
    region = BOOK.variables[0]
    # The form and the headless walk start from the same value: the default.
    assert initial_value(region, {}, environ) == "eu"
    resolved = resolve(BOOK, environ=environ)
    assert resolved.values["REGION"] == "eu" and resolved.sources["REGION"] == "default"
    environ["DEPLOY_REGION"] = "us"
    assert initial_value(region, {}, environ) == "us"
    assert resolve(BOOK, environ=environ).sources["REGION"] == "env:DEPLOY_REGION"
    # A given value wins over both.
    assert initial_value(region, {"REGION": "ap"}, environ) == "ap"


def test_recorded_values_leave_out_secrets_masks_and_undeclared_names() -> None:
    recorded = {"REGION": "us", "TOKEN": MASK, "OLD": "x"}
    assert recorded_values(BOOK, recorded) == {"REGION": "us"}


def test_needed_limits_what_is_required_and_asked() -> None:
    asked: list[str] = []

    def prompt(var: Variable, error: str | None) -> str:
        asked.append(var.name)
        return "typed-value"

    resolved = resolve(BOOK, environ={}, prompt=prompt, needed={"REGION"})
    assert asked == [] and "TOKEN" not in resolved.values  # REGION had its default
    resolve(BOOK, environ={}, prompt=prompt, needed=None)
    assert asked == ["TOKEN"]


def test_mentions_are_found_in_both_shell_forms() -> None:
    assert mentioned('echo "$A ${B:-x} ${#C}" $$ \\$D') >= {"A", "B"}
