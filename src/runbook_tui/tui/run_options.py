"""How a command the operator wrote runs (an edited reference block, an ad-hoc command):
with the real terminal or captured, and with a timeout or none. One row of the edit box
and of the ad-hoc line, read into a `RunRequest`."""

from __future__ import annotations

from dataclasses import dataclass

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Checkbox, Input

from runbook_tui.runbook.durations import format_duration, parse_duration


@dataclass(frozen=True)
class RunRequest:
    """What to run and how: `interactive` hands it the terminal (psql, ssh; its output
    is not recorded), `timeout_seconds` None runs it until it ends or is cancelled."""

    text: str
    interactive: bool = False
    timeout_seconds: float | None = None


class RunOptions(Horizontal):
    """`[ ] Interactive` (the command gets the terminal) and a timeout (`10m`, `45s`;
    empty: none)."""

    def __init__(
        self,
        *,
        interactive: bool = False,
        timeout_seconds: float | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        """Set as given: a command sent back for editing keeps the options it had."""
        super().__init__(id=id, classes=classes)
        self._interactive = interactive
        self._timeout = "" if timeout_seconds is None else typed_duration(timeout_seconds)

    def compose(self) -> ComposeResult:
        yield Checkbox(
            "Interactive (psql, ssh)",
            self._interactive,
            id="run-interactive",
            compact=True,
        )
        yield Input(self._timeout, placeholder="timeout, e.g. 10m", id="run-timeout", compact=True)

    @property
    def interactive(self) -> bool:
        return self.query_one("#run-interactive", Checkbox).value

    def toggle_interactive(self) -> None:
        box = self.query_one("#run-interactive", Checkbox)
        box.value = not box.value

    def request(self, text: str) -> RunRequest:
        """`text` with the options as set; ValueError (saying why) for a bad timeout."""
        raw = self.query_one("#run-timeout", Input).value.strip()
        timeout = None
        if raw:
            try:
                timeout = parse_duration(raw)
            except ValueError as error:
                raise ValueError(f"Timeout: {error}") from None
            if timeout <= 0:
                raise ValueError("Timeout: give a duration above zero, or leave it empty")
        return RunRequest(text, interactive=self.interactive, timeout_seconds=timeout)


def typed_duration(seconds: float) -> str:
    """`seconds` as the timeout field takes it back: `10m00s`, or the plain number of
    seconds where that short form would round it."""
    short = format_duration(seconds)
    if parse_duration(short) == seconds:
        return short
    return f"{seconds:f}".rstrip("0").rstrip(".")
