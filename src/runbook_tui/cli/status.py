"""`runbook-tui status FILE [--json] [--lines N] [--wait S] [--home DIR]`: the evidence a
runbook declares (services, backups, logs), looked at once, without the UI.

Exit 0 when every service is up and every backup set is ok, 1 otherwise, 2 on usage
errors (a missing file, a runbook with errors). It runs the runbook's `command`
checks and `command` logs: it is asked to (docs/security.md). Nothing heavy is
imported for a runbook that declares nothing.
"""

from __future__ import annotations

import argparse
import time
from typing import TYPE_CHECKING, Any

from runbook_tui.cli.common import add_home

if TYPE_CHECKING:
    from runbook_tui.runbook.model import Runbook
    from runbook_tui.sources.hub import Source
    from runbook_tui.sources.readings import BackupReading, ServiceReading

DEFAULT_LINES = 50
DEFAULT_WAIT = 2.0
# Log readers are read this often while a command log runs (its output is streamed by
# the reader's own thread; this only bounds how stale the last poll is).
_LOG_POLL = 0.1


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more: {value}")
    return value


def _seconds(text: str) -> float:
    from runbook_tui.runbook.durations import parse_duration

    try:
        return parse_duration(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "status",
        help="check a runbook's services, backups and logs once, without the UI",
        description=(
            "Check every service, backup set and log FILE declares, once, and print "
            "what was found (or JSON with --json). Runs the runbook's command checks and "
            "command logs. Exit status: 0 every service up and every backup ok, "
            "1 otherwise, 2 usage error."
        ),
    )
    p.add_argument("file", metavar="FILE", help="the runbook (markdown)")
    p.add_argument("--json", action="store_true", help="print {services, backups, logs} as JSON")
    p.add_argument(
        "--lines",
        type=_count,
        default=DEFAULT_LINES,
        metavar="N",
        help=f"show the last N lines of each log (default {DEFAULT_LINES})",
    )
    p.add_argument(
        "--wait",
        type=_seconds,
        default=DEFAULT_WAIT,
        metavar="S",
        help=f"let a command log run this long (default {DEFAULT_WAIT:g}s)",
    )
    p.add_argument(
        "--workdir",
        metavar="DIR",
        help="folder the checks run in and relative paths are read from, as in the walk "
        "(default: the runbook file's folder)",
    )
    add_home(p)
    # The state home (the log, the drills) is opened only when there is something to
    # look at: a runbook that declares nothing costs what `check` costs.
    p.set_defaults(handler=handle, defer_log=True)


def handle(args: argparse.Namespace) -> int:
    from runbook_tui.cli.common import check_workdir, load_runbook, start_log

    runbook = load_runbook(args.file, "status")
    if runbook is None or not check_workdir(args.workdir, "status"):
        return 2
    declared = bool(runbook.services or runbook.backups or runbook.logs)
    if declared and not start_log(args):
        return 2
    if not declared:
        services: list[ServiceReading] = []
        backups: list[BackupReading] = []
        logs: list[tuple[str, tuple[str, ...], str]] = []
    else:
        services, backups, logs = gather(runbook, args)
    healthy = all(s.state == "up" for s in services) and all(b.state == "ok" for b in backups)
    if args.json:
        document = {
            "services": [s.as_dict() for s in services],
            "backups": [b.as_dict() for b in backups],
            "logs": [{"name": name, "lines": list(lines)} for name, lines, _ in logs],
        }
        from runbook_tui.runbook.display import dumps_shown

        # JSON escapes C0 but not DEL, C1 or the bidi overrides: written as \u escapes.
        print(dumps_shown(document, indent=2))
    else:
        print(render(runbook, services, backups, logs, args.lines))
    return 0 if healthy else 1


def gather(
    runbook: Runbook, args: argparse.Namespace
) -> tuple[list[ServiceReading], list[BackupReading], list[tuple[str, tuple[str, ...], str]]]:
    """Poll services and backups once through the hub while the logs are read."""
    import threading

    from runbook_tui.session.redaction import Redactor, register
    from runbook_tui.session.store import state_home
    from runbook_tui.sources.expand import source_values
    from runbook_tui.sources.hub import Hub

    values = source_values(runbook)
    secrets = [values[v.name] for v in runbook.variables if v.secret and values.get(v.name)]
    secrets += [values[b.password_env] for b in runbook.backups if values.get(b.password_env or "")]
    redactor = Redactor(secrets)
    register(redactor)
    lookup = _restore_lookup(state_home(args.home)) if runbook.backups else None
    hub = Hub.for_runbook(
        runbook,
        mask=redactor.mask,
        restore_lookup=lookup,
        commands_allowed=True,
        with_logs=False,
        cwd=args.workdir,
    )
    snapshot: list[Any] = []
    polling = threading.Thread(target=lambda: snapshot.append(hub.poll_once()), daemon=True)
    try:
        polling.start()
        logs = read_logs(runbook, redactor.mask, args.lines, args.wait, args.workdir)
        polling.join()
    finally:
        hub.close()
    latest = snapshot[0] if snapshot else hub.latest()
    services = [latest.services.get(s.name) or _never(s.name) for s in runbook.services]
    backups = [latest.backups.get(b.name) or _never_backup(b.name) for b in runbook.backups]
    return services, backups, logs


def _restore_lookup(home: Any) -> Any:
    """The drills' restore evidence: session/drills.py's lookup when there is one,
    else this package's reader of the store."""
    from runbook_tui.sources.restores import RestoreIndex

    return RestoreIndex(home)


def read_logs(
    runbook: Runbook, mask: Any, lines: int, wait: float, cwd: str | None = None
) -> list[tuple[str, tuple[str, ...], str]]:
    """(name, last `lines` lines, problem) per log. A file log is read once; a command
    log runs for `wait` seconds (from when it started) and is stopped."""
    from runbook_tui.sources.hub import open_log_source

    out: list[tuple[str, tuple[str, ...], str]] = []
    readers: list[tuple[str, Source | None, str]] = []
    started = time.monotonic()
    for entry in runbook.logs:
        try:
            reader = open_log_source(runbook, entry, mask=mask, cwd=cwd)
            reading = reader.poll()
            readers.append((entry.name, reader, getattr(reading, "error", None) or ""))
        except Exception as exc:  # one log that cannot be read says so; the rest print
            readers.append((entry.name, None, f"cannot read: {exc}"))
    running = [
        r for (_, r, _), e in zip(readers, runbook.logs, strict=True) if r and e.source == "command"
    ]
    deadline = started + wait
    while running and time.monotonic() < deadline:
        time.sleep(min(_LOG_POLL, max(0.0, deadline - time.monotonic())))
        # A command that ended (`journalctl -n 50`) is not waited for: its reading's
        # detail is `running (pid N)` only while it runs (docs/architecture.md).
        running = [r for r in running if str(getattr(r.poll(), "detail", "")).startswith("running")]
    for name, reader, problem in readers:
        if reader is None:
            out.append((name, (), problem))
            continue
        try:
            reading = reader.poll()
            problem = getattr(reading, "error", None) or ""
            tail = getattr(reader, "tail", None)
            shown = tuple(tail(lines)) if callable(tail) else ()
        finally:
            reader.close()
        out.append((name, shown if lines else (), problem))
    return out


def _never(name: str) -> ServiceReading:
    from runbook_tui.sources.readings import ServiceReading

    return ServiceReading(name, "unknown", "not checked", None, time.time())


def _never_backup(name: str) -> BackupReading:
    from runbook_tui.sources.readings import BackupReading

    return BackupReading(name, "error", None, None, 0, None, None, "not looked at", time.time())


# -- plain output -------------------------------------------------------------------------


def render(
    runbook: Runbook,
    services: list[ServiceReading],
    backups: list[BackupReading],
    logs: list[tuple[str, tuple[str, ...], str]],
    lines: int,
) -> str:
    """A table-ish report, every piece of runbook or world text with its control
    characters escaped."""
    from runbook_tui.runbook.display import escape_controls as esc

    out = [esc(runbook.title)]
    if not (services or backups or logs):
        out.append("  no services, backups or logs declared")
        return "\n".join(out)
    if services:
        out.append("services")
        width = max(len(s.name) for s in services)
        for s in services:
            facts = [s.detail] if s.detail else []
            if s.latency_ms is not None:
                facts.append(f"{s.latency_ms:.0f} ms")
            out.append(f"  {s.state:<8} {esc(s.name):<{width}}  {esc(' · '.join(facts))}".rstrip())
    if backups:
        out.append("backups")
        width = max(len(b.name) for b in backups)
        for b in backups:
            out.append(f"  {b.state:<8} {esc(b.name):<{width}}  {esc(_backup_facts(b))}".rstrip())
    for name, shown, problem in logs:
        head = f"log {esc(name)}: last {len(shown)} line(s)" if lines else f"log {esc(name)}"
        out.append(head + (f" ({esc(problem)})" if problem else ""))
        out.extend(f"  {esc(line)}" for line in shown)
    return "\n".join(out)


def _backup_facts(b: BackupReading) -> str:
    from runbook_tui.sources.readings import iso

    facts = []
    if b.detail:
        facts.append(b.detail)
    if b.newest_at is not None:
        when = (iso(b.newest_at) or "")[:19].replace("T", " ") + "Z"
        facts.append(f"newest {when} ({_ago(b.age_seconds or 0)} ago)")
    if b.count:
        facts.append(f"{b.count} backup{'s' if b.count != 1 else ''}")
    if b.total_bytes is not None and b.count:
        facts.append(_size(b.total_bytes))
    drill = b.last_restore_drill
    if drill is None:
        facts.append("last restore drill: never tested")
    else:
        verdict = {True: "passed", False: "failed", None: "no verdict"}[drill.passed]
        facts.append(f"last restore drill: {drill.at or '?'} {verdict} ({drill.session})")
    return " · ".join(facts)


def _ago(seconds: float) -> str:
    from runbook_tui.sources.backups import age_text

    return age_text(seconds)


def _size(n: int) -> str:
    size = float(n)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if size < 1024 or unit == "TiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{n} B"
