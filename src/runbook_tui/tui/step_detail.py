"""The selected item: the prose beside it (the text nearest it in the runbook, whole,
as markdown), its command highlighted, a one-line status, and its output. The item is a
step, a reference block (its text as written) or an ad-hoc command."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.widget import MountError
from textual.widgets import Static

from runbook_tui.runbook.display import escape_controls
from runbook_tui.runbook.model import Reference, Runbook, Step
from runbook_tui.session.redaction import Redactor
from runbook_tui.tui.command_box import EXPAND_KEY, CommandBox
from runbook_tui.tui.engine_api import StepStateLike
from runbook_tui.tui.output_view import OutputView
from runbook_tui.tui.status import colour, symbol
from runbook_tui.tui.step_list import REFERENCE_SYMBOL, StepList
from runbook_tui.tui.walk_items import AdhocItem, ListItem

if TYPE_CHECKING:
    from textual.widgets import Markdown

# `${NAME}` or `$NAME` (the longest name: `$RELEASES` is not `$RELEASE`).
_REFERENCE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)")


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


def describe_reference(ref: Reference, state: StepStateLike | None) -> Content:
    """One line: what became of the block, where it is, why it is shown only, and what
    the operator can do with it."""
    status = state.status if state is not None else "pending"
    parts: list[Content | str] = [Content.styled(f"{REFERENCE_SYMBOL} reference block", "bold")]
    if status == "succeeded" and state is not None and state.confirmed_at is not None:
        parts.append(Content.styled(f" · {symbol(status)} marked done by hand", colour(status)))
    elif status == "skipped":
        reason = state.skip_reason if state is not None else None
        parts.append(Content.styled(f" · {symbol(status)} passed by", colour(status)))
        if reason and reason != "passed by":
            parts.append(f": {reason}")
    elif status != "pending":
        words = {"succeeded": "a copy ran", "failed": "a copy failed", "running": "running"}
        parts.append(
            Content.styled(f" · {symbol(status)} {words.get(status, status)}", colour(status))
        )
        if state is not None and state.exit_code is not None:
            parts.append(f" · exit {state.exit_code}")
    parts.append(Content.styled(f" · line {ref.line} · {ref.why}", "$text-muted"))
    if ref.rollback:
        parts.append(Content.styled(" · rollback", "$text-warning"))
    if status == "pending":
        parts.append(Content.styled(" · shown only: Enter edits and runs a copy", "$text-muted"))
    return Content.assemble(*parts)


def describe_adhoc(item: AdhocItem, state: StepStateLike | None) -> Content:
    """One line: the ad-hoc command's status, exit code, and that Enter runs it again."""
    status = state.status if state is not None else "pending"
    parts: list[Content | str] = [Content.styled(f"{symbol(status)} {status}", colour(status))]
    if state is not None and state.exit_code is not None:
        parts.append(f" · exit {state.exit_code}")
    parts.append(
        Content.styled(f" · ad-hoc command {item.id} · Enter edits it to run again", "$text-muted")
    )
    return Content.assemble(*parts)


def describe_item(item: ListItem, state: StepStateLike | None) -> Content:
    if isinstance(item, Reference):
        return describe_reference(item, state)
    if isinstance(item, AdhocItem):
        return describe_adhoc(item, state)
    return describe_step(item, state)


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
        classes: str | None = None,
    ) -> None:
        """`values`: the session's variable values, for a manual step's text (only
        declared, non-secret ones are ever shown; see `set_values`)."""
        super().__init__(id=id, classes=classes)
        self.runbook = runbook
        self._values = shown_values(runbook, values or {})
        self.step_id: str | None = None
        self._prose = ""
        # (kind, body, language) of the shown item: a step's kind, "reference" or "adhoc".
        self._command: tuple[str, str, str] = ("", "", "bash")
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
        self, step: ListItem, state: StepStateLike | None, output_text: str = ""
    ) -> None:
        """Show `step` (any item of the list); when it is not the item shown already,
        `output_text` (its stored output) replaces whatever output was shown before."""
        changed = step.id != self.step_id
        self.step_id = step.id
        if changed:
            self._prose = item_prose(step)
            self._command = item_command(step)
            self._show_command()
            self.output.show(output_text)
            await self._show_prose()
        self.show_state(step, state)

    def _show_command(self) -> None:
        kind, body, language = self._command
        command = self.query_one(CommandBox)
        if kind == "manual":
            command.update(
                Content.assemble(Content.styled("☐ ", "bold"), manual_text(body, self._values))
            )
        elif self._dressed:
            from textual.highlight import highlight

            command.update(highlight(body, language=language))
        else:
            command.update(Content(body))

    async def _show_prose(self) -> None:
        prose = self._prose
        markdown = self._markdown
        if markdown is None:
            return  # not mounted yet: _dress shows the latest prose
        # The walk may be closed meanwhile (left right after it opened, back to the
        # picker): a fill landing after that has nothing to show.
        if not markdown.is_attached:
            return
        try:
            await markdown.update(prose)
        except MountError:
            if markdown.is_attached:
                raise
            return
        if prose == self._prose and markdown.is_attached:
            self.query_one("#prose-scroll").display = bool(prose)

    def show_state(self, step: ListItem, state: StepStateLike | None) -> None:
        self.query_one("#step-status", Static).update(describe_item(step, state))


def item_prose(item: ListItem) -> str:
    """The markdown shown above the command: the section's path, then the text nearest
    the item in the runbook (`Step.prose`, `Reference.prose`), whole."""
    if isinstance(item, AdhocItem):
        return ""
    heading = f"**{' › '.join(item.section)}**\n\n" if item.section else ""
    return (heading + item.prose).strip()


def item_command(item: ListItem) -> tuple[str, str, str]:
    """(kind, text, language to highlight it as) of what the command box shows."""
    if isinstance(item, Reference):
        # Untagged blocks are mostly commands (kubectl, ssh): read them as shell.
        return ("reference", item.text.rstrip("\n"), item.language or "bash")
    if isinstance(item, AdhocItem):
        return ("adhoc", item.command.rstrip("\n"), "bash")
    return (item.kind, item.command.rstrip("\n"), "bash")
