"""The selected step: its section's prose, its command highlighted, a one-line status,
and its output."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.widgets import Static

from runbook_tui.runbook.display import escape_controls
from runbook_tui.runbook.model import SHELL_LANGUAGES, Runbook, Step
from runbook_tui.session.redaction import Redactor
from runbook_tui.tui.command_box import EXPAND_KEY, CommandBox
from runbook_tui.tui.engine_api import StepStateLike
from runbook_tui.tui.output_view import OutputView
from runbook_tui.tui.status import colour, symbol
from runbook_tui.tui.step_list import StepList

if TYPE_CHECKING:
    from textual.widgets import Markdown

_TASK_ITEM = re.compile(r"^\s*[-*+] \[[ xX]\] ")
# `${NAME}` or `$NAME` (the longest name: `$RELEASES` is not `$RELEASE`).
_REFERENCE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)")
_FENCE = re.compile(r"^\s*(```+|~~~+)\s*([A-Za-z0-9_-]*)")


def prose_without_steps(prose: str) -> str:
    """Section prose minus the steps themselves (shell blocks and task items), which
    the list and the command box already show."""
    out: list[str] = []
    fence: str | None = None
    dropping = False
    for line in prose.splitlines():
        match = _FENCE.match(line)
        if fence is None and match:
            fence = match.group(1)
            dropping = match.group(2).lower() in SHELL_LANGUAGES
            if not dropping:
                out.append(line)
            continue
        if fence is not None:
            if line.strip().startswith(fence) and line.strip().strip(fence[0]) == "":
                fence = None
                if dropping:
                    dropping = False
                    continue
            if not dropping:
                out.append(line)
            continue
        if not _TASK_ITEM.match(line):
            out.append(line)
    return "\n".join(out).strip()


def describe_step(step: Step, state: StepStateLike | None) -> Content:
    """One line: status mark, kind and the facts that matter before pressing Enter."""
    status = state.status if state is not None else "pending"
    parts: list[Content | str] = [Content.styled(f"{symbol(status)} {status}", colour(status))]
    if step.kind == "shell":
        # The list may cut a long title; a manual step's text is in the command box.
        parts.append(Content.styled(f" · {step.title}", "bold"))
    if state is not None and state.exit_code is not None:
        parts.append(f" · exit {state.exit_code}")
    if status == "interrupted":
        # Its process died mid-step: the side effect may have happened already.
        parts.append(Content.styled(" · may have run: read its output first", "$text-warning"))
    if state is not None and state.attempts > 1:
        parts.append(f" · attempt {state.attempts}")
    if state is not None and state.skip_reason:
        parts.append(f" · skipped: {state.skip_reason}")
    parts.append(
        Content.styled(" · manual" if step.kind == "manual" else " · shell", "$text-muted")
    )
    if step.rollback:
        parts.append(Content.styled(" · rollback", "$text-warning"))
    if step.interactive:
        parts.append(Content.styled(" · interactive", "$text-accent"))
    if step.danger:
        parts.append(Content.styled(f" · danger: type {step.danger!r}", "$text-error"))
    elif step.confirm:
        parts.append(Content.styled(" · asks to confirm", "$text-warning"))
    return Content.assemble(*parts)


def shown_values(runbook: Runbook, values: Mapping[str, str]) -> dict[str, str]:
    """The values a manual step's text may show: declared, not secret, with control
    characters escaped and token shapes masked (values are untrusted text)."""
    mask = Redactor(()).mask
    declared = {v.name for v in runbook.variables if not v.secret}
    return {
        name: escape_controls(mask(str(value)))
        for name, value in values.items()
        if name in declared
    }


def manual_text(text: str, values: Mapping[str, str]) -> Content:
    """A manual step's text with `$NAME` and `${NAME}` replaced by `values` (already
    made safe to show, see `shown_values`), the values marked; other references are
    left as written. On screen only: the journal keeps the text as written."""
    parts: list[Content] = []
    last = 0
    for match in _REFERENCE.finditer(text):
        name = match.group(1) or match.group(2)
        if name not in values:
            continue
        parts.append(Content.styled(escape_controls(text[last : match.start()]), "bold"))
        parts.append(Content.styled(values[name], "bold $text-accent"))
        last = match.end()
    parts.append(Content.styled(escape_controls(text[last:]), "bold"))
    return Content.assemble(*parts)


class StepDetail(Vertical):
    """What the operator reads before and while performing a step.

    The first frame shows the command as plain text and leaves the prose out: the
    Markdown widget and the syntax highlighter (with their imports) come right after
    that frame is on screen, so the walk appears without waiting for them.

    Its keys apply while the focus is in it (the output, the prose, an expanded
    command): Escape goes back to the step list, `c` expands or collapses the command."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back_to_steps", "Back to steps", id="detail.back"),
        Binding(EXPAND_KEY, "toggle_command", "Expand command", show=False, id="detail.command"),
    ]

    def __init__(
        self,
        runbook: Runbook,
        *,
        values: Mapping[str, str] | None = None,
        id: str | None = None,
    ) -> None:
        """`values`: the session's variable values, for a manual step's text (only
        declared, non-secret ones are ever shown; see `set_values`)."""
        super().__init__(id=id)
        self.runbook = runbook
        self._values = shown_values(runbook, values or {})
        self.step_id: str | None = None
        self._prose = ""
        self._command: tuple[str, str] = ("", "")  # (kind, body) of the shown step
        self._dressed = False  # highlighting on (after the first frame)
        self._markdown: Markdown | None = None

    def compose(self) -> ComposeResult:
        yield VerticalScroll(id="prose-scroll")
        yield CommandBox(id="command-box")
        yield Static("", id="step-status")
        yield OutputView(id="output")

    def on_mount(self) -> None:
        self.query_one("#prose-scroll").display = False
        self.call_after_refresh(self._dress)

    async def _dress(self) -> None:
        """After the first frame: mount the prose and highlight the command."""
        from textual.widgets import Markdown

        scroll = self.query_one("#prose-scroll")
        if not scroll.is_attached:
            # The screen went away before its first refresh was done with (a quit
            # right after the walk opened): there is nothing to dress any more.
            return
        self._dressed = True
        self._show_command()
        markdown = Markdown(id="prose")
        await scroll.mount(markdown)
        self._markdown = markdown
        await self._show_prose()

    @property
    def output(self) -> OutputView:
        return self.query_one(OutputView)

    def action_back_to_steps(self) -> None:
        """Focus the step list (after Tab into the output, arrows scroll it)."""
        steps = self.screen.query(StepList)
        if steps:
            steps.first().focus()

    def set_values(self, values: Mapping[str, str]) -> None:
        """The session's variable values (secret ones, and names the runbook does not
        declare, are left out): a manual step's `$NAME` shows the value."""
        shown = shown_values(self.runbook, values)
        if shown != self._values:
            self._values = shown
            if self.is_mounted:
                self._show_command()

    def action_toggle_command(self) -> None:
        self.query_one(CommandBox).action_toggle()

    async def show_step(
        self, step: Step, state: StepStateLike | None, output_text: str = ""
    ) -> None:
        """Show `step`; when it is not the step shown already, `output_text` (its
        stored output) replaces whatever output was shown before."""
        changed = step.id != self.step_id
        self.step_id = step.id
        if changed:
            section = self.runbook.section_for(step)
            heading = f"**{' › '.join(step.section)}**\n\n" if step.section else ""
            prose = prose_without_steps(section.prose) if section is not None else ""
            self._prose = heading + prose
            self._command = (step.kind, step.command.rstrip("\n"))
            self._show_command()
            self.output.show(output_text)
            await self._show_prose()
        self.show_state(step, state)

    def _show_command(self) -> None:
        kind, body = self._command
        command = self.query_one(CommandBox)
        if kind != "shell":
            command.update(
                Content.assemble(Content.styled("☐ ", "bold"), manual_text(body, self._values))
            )
        elif self._dressed:
            from textual.highlight import highlight

            command.update(highlight(body, language="bash"))
        else:
            command.update(Content(body))

    async def _show_prose(self) -> None:
        prose = self._prose
        markdown = self._markdown
        if markdown is None:
            return  # not mounted yet: _dress shows the latest prose
        await markdown.update(prose)
        if prose == self._prose:
            self.query_one("#prose-scroll").display = bool(prose)

    def show_state(self, step: Step, state: StepStateLike | None) -> None:
        self.query_one("#step-status", Static).update(describe_step(step, state))
