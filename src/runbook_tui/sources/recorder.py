"""A live session's evidence: the hub of the runbook's sources, tied to the session's
engine, so the journal records what the world looked like while the walk ran.

`SessionEvidence.open(engine)` builds the hub (nothing is polled yet). From `start()`
until `close()`:

- every change of a service's state is written as `service_changed` {name, from, to,
  detail, at} (the first reading of a service is a change from `unknown`), from the
  hub's worker thread as the hub reports it;
- at each step's start and end (`Engine.on_step`: on the step's thread, before its
  command starts and before `run_step` returns) an `evidence` event {step_id,
  attempt, at: step_start|step_end, services, backups, logs} from the latest
  readings: no service or backup is polled for it; the logs are read once more
  (`Hub.fresh`), so the lines a step's last command wrote are counted in its end;
- the runbook's `command` checks and logs wait for consent: `commands` lists them,
  `allow` / `refuse` records the answer (`commands_allowed` / `commands_refused`) and
  `allow` remembers it in the state home's trust.json (session/trust.py). `start()`
  allows them at once when trust.json already does (recorded, `by: trust`). The
  answer is asked once per session: a resumed session keeps the one its journal
  holds (`answered_before`) and records none again.

Everything the hub reports is masked with the session's secrets (its engine's
redactor, and the backups' restic passwords) before anyone sees it; the engine masks
what it writes again. A runbook that declares no service, backup or log records
nothing here.

The engine is the only writer of the journal: this module writes through
`Engine.record`, which refuses once the session ended, so `close()` may come after
`end()` without an event after `session_ended`.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from runbook_tui.runbook.display import escape_controls
from runbook_tui.session import provenance, trust
from runbook_tui.session.engine import Engine, EngineError
from runbook_tui.session.journal import JournalError
from runbook_tui.session.redaction import Redactor, register
from runbook_tui.sources.hub import Hub, Snapshot, Source
from runbook_tui.sources.readings import ServiceChange, iso

if TYPE_CHECKING:
    from runbook_tui.runbook.model import LogSource

log = logging.getLogger(__name__)

# `by` of commands_allowed: asked in the walk, `run --yes`, trust.json from before.
BY_OPERATOR, BY_YES, BY_TRUST = "operator", "--yes", "trust"


@dataclass(frozen=True)
class DeclaredCommand:
    """A command the runbook's sources would run: `kind` service or log, its name, and
    its shell text masked (`command`, for the journal) and, for a screen, `shown`:
    masked with control characters escaped."""

    kind: str
    name: str
    command: str

    @property
    def shown(self) -> str:
        return escape_controls(self.command)

    def line(self) -> str:
        """`service smoke: curl -fsS …` for a list on a screen (escaped)."""
        return f"{self.kind} {escape_controls(self.name)}: " + self.shown.replace("\n", "\n    ")


class SessionEvidence:
    """The sources of one live session (see the module doc). Build it with `open`."""

    def __init__(self, engine: Engine, hub: Hub, *, sha256: str | None) -> None:
        self.engine = engine
        self.hub = hub
        self.sha256 = sha256
        self._lock = threading.Lock()
        self._starts: dict[tuple[str, Any], Snapshot] = {}
        self._answered = False
        self._started = False
        self._closed = False
        self._journal_failed = False
        self._unsubscribe: list[Callable[[], None]] = []
        self._trust = trust.read_trust(engine.home) if hub.commands() else trust.Trust()
        mask = hub.mask or engine.redactor.mask
        self.commands: tuple[DeclaredCommand, ...] = tuple(
            DeclaredCommand(info.kind, mask(info.name), mask(info.command or ""))
            for info in hub.commands()
        )
        self.answered_before = self._answer_in_journal() if self.commands else None
        self._answered = self.answered_before is not None

    def _answer_in_journal(self) -> bool | None:
        """A resumed session's answer (True: allowed), when its journal holds one about
        this runbook file as it is now: the answer is asked once per session and holds
        for all of it. None when there is none, or it was about another version of the
        file (a resume with the runbook changed asks again)."""
        consent = self.engine.state.commands_consent
        if consent is None or self.sha256 is None or consent.get("sha256") != self.sha256:
            return None
        return bool(consent.get("allowed"))

    @classmethod
    def open(
        cls,
        engine: Engine,
        *,
        environ: Mapping[str, str] | None = None,
        log_opener: Callable[[LogSource], Source] | None = None,
    ) -> SessionEvidence:
        """The evidence of `engine`'s session: a hub with a source for every service,
        backup set and log its runbook declares, `${NAME}` expanded from the walk's
        variables (`environ`: the environment, default os.environ). Nothing runs
        until `start()`."""
        from runbook_tui.sources.restores import RestoreIndex

        runbook = engine.runbook
        environ = os.environ if environ is None else environ
        # The walk's values: what the engine gave its steps' shell (resolved variables
        # over the environment), before any step ran.
        values = {
            v.name: engine.runner.env[v.name]
            for v in runbook.variables
            if v.name in engine.runner.env
        }
        mask = _session_mask(engine, values, environ)
        declared = bool(runbook.services or runbook.backups or runbook.logs)
        hub = (
            Hub.for_runbook(
                runbook,
                values=values,
                environ=environ,
                mask=mask,
                restore_lookup=RestoreIndex(engine.home) if runbook.backups else None,
                log_opener=log_opener,
                cwd=engine.workdir,
            )
            if declared
            else Hub(mask=mask)
        )
        sha = None
        if runbook.path:
            try:
                sha = provenance.file_sha256(runbook.path)
            except OSError as exc:
                log.warning("cannot hash %s: %s", runbook.path, exc)
        return cls(engine, hub, sha256=sha)

    # -- consent ------------------------------------------------------------------------

    @property
    def declared(self) -> bool:
        """Whether the runbook declares anything to look at."""
        return bool(self.hub.sources)

    @property
    def trusted(self) -> bool:
        """trust.json already allows this runbook's commands (by its sha256)."""
        return self.sha256 is not None and self._trust.entry(self.sha256) is not None

    @property
    def trust_problem(self) -> str | None:
        """Why trust.json could not be read (it then allows nothing), for the screen."""
        return self._trust.problem

    @property
    def commands_allowed(self) -> bool:
        return self.hub.commands_allowed

    @property
    def needs_consent(self) -> bool:
        """The walk should ask: there are commands, trust.json does not allow them,
        and nobody answered in this session yet."""
        return bool(self.commands) and not self._answered and not self.trusted

    def allow(self, by: str = BY_OPERATOR, *, remember: bool = True) -> str | None:
        """The operator (or `run --yes`: by="--yes", remember=False) allowed the
        commands: recorded in the journal, remembered in trust.json when `remember`,
        and the command checks and logs start. Returns why trust.json could not be
        written, if it could not (the consent holds for this session anyway)."""
        if not self.commands:
            return None
        problem = None
        operator = provenance.operator()
        if remember and self.sha256 is not None:
            try:
                path = self.engine.redactor.mask(os.path.abspath(self.engine.runbook.path))
                trust.remember(self.engine.home, self.sha256, operator, path=path)
            except OSError as exc:
                problem = f"cannot write {trust.trust_path(self.engine.home)}: {exc}"
                log.warning("%s", problem)
        self._consent("commands_allowed", by, operator)
        self.hub.allow_commands()
        return problem

    def refuse(self, by: str = BY_OPERATOR) -> None:
        """The operator said no: recorded; the command checks and logs stay off (the
        other sources run). trust.json is left alone, so the next walk asks again."""
        if self.commands:
            self._consent("commands_refused", by, provenance.operator())

    def _consent(self, event_type: str, by: str, operator: str, **extra: Any) -> None:
        self._answered = True
        self._record(
            event_type,
            sha256=self.sha256,
            commands=[
                {"kind": c.kind, "name": c.name, "command": c.command} for c in self.commands
            ],
            by=by,
            operator=operator,
            **extra,
        )

    # -- running ------------------------------------------------------------------------

    def start(self) -> None:
        """Start the sources (command ones once allowed; at once when trust.json
        allows this runbook) and recording."""
        with self._lock:
            if self._started or self._closed or not self.declared:
                return
            self._started = True
        if self.answered_before:
            self.hub.allow_commands()  # allowed earlier in this session: on the record
        elif self.commands and not self._answered and self.trusted:
            entry = self._trust.entry(self.sha256 or "") or {}
            self._consent(
                "commands_allowed",
                BY_TRUST,
                provenance.operator(),
                trusted_at=trust.when_of(entry),
                trusted_by=str(entry.get("operator") or ""),
            )
            self.hub.allow_commands()
        self._unsubscribe.append(self.hub.subscribe(self._on_update))
        self._unsubscribe.append(self.engine.on_step(self._on_step))
        self.hub.start()

    def close(self) -> None:
        """Stop recording and close the hub: command checks and logs are killed with
        their process groups. Call it when the walk ends (before or after `end()`)."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        for stop in self._unsubscribe:
            stop()
        self.hub.close()

    def __enter__(self) -> SessionEvidence:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- recording ----------------------------------------------------------------------

    def _on_update(self, update: Any) -> None:
        """Hub subscriber (a worker thread): service changes go to the journal."""
        if not isinstance(update, ServiceChange):
            return
        change = {
            "name": update.name,
            "from": update.from_state,
            "to": update.to_state,
            "detail": update.detail,
            "at": iso(update.at),
        }
        self._record("service_changed", **change)

    def _on_step(self, event: dict[str, Any]) -> None:
        """Engine step hook (the step's thread): the evidence at its start and end."""
        step_id = event.get("step_id")
        if not isinstance(step_id, str):
            return
        attempt = event.get("attempt")
        key = (step_id, attempt)
        self.hub.fresh("log")
        now = self.hub.latest()
        if event.get("type") == "step_started":
            with self._lock:
                self._starts[key] = now
            moment, since = "step_start", now
        else:
            with self._lock:
                since = self._starts.pop(key, None)
            moment = "step_end"
        found = now.evidence(since=since)
        # A service not heard from yet is `unknown`, as its first change says.
        services = {
            info.name: found["services"].get(info.name, "unknown")
            for info in self.hub.sources
            if info.kind == "service"
        }
        mask = self.hub.mask or self.engine.redactor.mask
        self._record(
            "evidence",
            step_id=step_id,
            attempt=attempt,
            at=moment,
            # Names are keys here, which the engine's masking leaves alone.
            services={mask(k): v for k, v in services.items()},
            backups={mask(k): v for k, v in found["backups"].items()},
            logs={mask(k): v for k, v in found["logs"].items()},
            raise_journal_errors=True,
        )
        if moment == "step_end":
            # A step is what writes a backup: look again now, for the panel (the
            # evidence above is from the latest readings, as the format says).
            self.hub.poll_soon("backup")

    def _record(
        self, event_type: str, *, raise_journal_errors: bool = False, **fields: Any
    ) -> None:
        try:
            self.engine.record(event_type, **fields)
        except EngineError:
            pass  # the session ended or closed: nothing more is recorded
        except JournalError:
            if raise_journal_errors:
                raise
            if not self._journal_failed:
                self._journal_failed = True
                log.exception("cannot record %s", event_type)


def _session_mask(
    engine: Engine, values: Mapping[str, str], environ: Mapping[str, str]
) -> Callable[[str], str]:
    """The engine's masking, plus what the sources may see that the engine was not
    given: the restic passwords the backups read from the environment, and a secret
    variable's value the sources fall back to (its `from_env` or default)."""
    from runbook_tui.sources.expand import source_values

    runbook = engine.runbook
    seen = source_values(runbook, values, environ)
    secrets = [seen.get(v.name, "") for v in runbook.variables if v.secret]
    secrets += [seen.get(b.password_env, "") for b in runbook.backups if b.password_env]
    secrets = [s for s in secrets if s and engine.redactor.mask(s) == s]
    if not secrets:
        return engine.redactor.mask
    extra = Redactor(secrets)
    register(extra)  # the tool's log masks them too, while this session lives
    engine_mask = engine.redactor.mask

    def mask(text: str) -> str:
        return extra.mask(engine_mask(text))

    return mask
