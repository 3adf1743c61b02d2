"""Service checks: http, tcp, process, command, systemd. Each `ServiceCheck.poll()`
blocks for at most about its timeout and returns a `ServiceReading`; the hub runs it in
a worker thread and fills in `since`.

- http: a GET of the URL, redirects not followed; 200-399 is up, or exactly
  `expect_status` when given (as Kubernetes probes do). Latency is the time to the
  response's status line. Proxies from the environment are not used: a health check
  talks to the service itself.
- tcp: a connection to `host:port` is accepted.
- process: some process's command line contains the text (never this process, its
  ancestors or its descendants: the tool, its checks and its steps' shells).
- command: `bash -c` exits 0, in its own process group, killed with its children at
  the timeout; what is left of its group when it exits is killed too.
- systemd: `systemctl show UNIT`; `active` (and `reloading`) is up. Where systemd
  does not run, `unknown` with `no systemd here`.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import shutil
import socket
import ssl
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from runbook_tui.invocation import NAME
from runbook_tui.runbook.model import Service
from runbook_tui.sources.child_process import ChildProcess
from runbook_tui.sources.readings import ServiceReading, ServiceState

DEFAULT_INTERVAL = 10.0
DEFAULT_TIMEOUT = 5.0
# The longest detail a check writes (a command's last line may be anything).
MAX_DETAIL = 200
SYSTEMD_PROPERTIES = ("LoadState", "ActiveState", "SubState", "Result")


@dataclass(frozen=True)
class Outcome:
    state: ServiceState
    detail: str
    latency_ms: float | None = None


class ServiceCheck:
    """One declared service, its target already expanded (see expand.py). `note` is
    put in front of every detail (e.g. an unknown `${NAME}`)."""

    kind = "service"

    def __init__(
        self,
        service: Service,
        *,
        target: str | None = None,
        env: Mapping[str, str] | None = None,
        cwd: str | None = None,
        note: str = "",
    ) -> None:
        self.service = service
        self.name = service.name
        self.check = service.check
        self.target = service.target if target is None else target
        self.interval = service.interval_seconds or DEFAULT_INTERVAL
        self.timeout = service.timeout_seconds or DEFAULT_TIMEOUT
        self.env = dict(os.environ if env is None else env)
        self.cwd = cwd
        self.note = note
        self.runs_command = service.check == "command"
        self._child = ChildProcess()

    @property
    def command(self) -> str | None:
        """The shell text this check runs, or None (it runs nothing of the runbook's)."""
        return self.target if self.runs_command else None

    def poll(self) -> ServiceReading:
        try:
            outcome = self._run()
        except Exception as exc:  # a check that breaks says so and keeps being polled
            outcome = Outcome("unknown", f"check failed: {type(exc).__name__}: {exc}")
        return self._reading(outcome)

    def overdue(self, seconds: float) -> ServiceReading:
        """What the hub reports when a poll has not returned long past its timeout."""
        return self._reading(Outcome("unknown", f"check still running after {seconds:.0f}s"))

    def close(self) -> None:
        self._child.kill()

    def _reading(self, outcome: Outcome) -> ServiceReading:
        detail = outcome.detail
        if self.note:
            detail = f"{self.note}; {detail}" if detail else self.note
        return ServiceReading(
            name=self.name,
            state=outcome.state,
            detail=detail,
            latency_ms=outcome.latency_ms,
            checked_at=time.time(),
        )

    def _run(self) -> Outcome:
        if self.check == "http":
            return check_http(self.target, self.service.expect_status, self.timeout)
        if self.check == "tcp":
            return check_tcp(self.target, self.timeout)
        if self.check == "process":
            return check_process(self.target)
        if self.check == "command":
            return self._command()
        if self.check == "systemd":
            return self._systemd()
        return Outcome("unknown", f"unknown check kind {self.check!r}")

    def _command(self) -> Outcome:
        done = self._child.run(
            ["bash", "-c", self.target],
            env=self.env,
            cwd=self.cwd,
            timeout=self.timeout,
            merge_stderr=True,
        )
        if done.error:
            return Outcome("unknown", done.error)
        if done.killed:
            return Outcome("unknown", "stopped")
        if done.timed_out:
            return Outcome("down", f"timed out after {_secs(self.timeout)}")
        last = _clip(done.last_line())
        if done.exit_code == 0:
            return Outcome("up", f"exit 0: {last}" if last else "exit 0")
        what = f"exit {done.exit_code}" if done.exit_code is not None else "killed by a signal"
        return Outcome("down", f"{what}: {last}" if last else what)

    def _systemd(self) -> Outcome:
        if not systemd_running():
            return Outcome("unknown", "no systemd here")
        props = ",".join(SYSTEMD_PROPERTIES)
        done = self._child.run(
            ["systemctl", "show", self.target, f"--property={props}", "--no-pager"],
            env=self.env,
            timeout=self.timeout,
        )
        if done.error:
            return Outcome(
                "unknown", "no systemd here" if "not installed" in done.error else done.error
            )
        if done.timed_out:
            return Outcome("unknown", f"systemctl did not answer within {_secs(self.timeout)}")
        if done.exit_code != 0:
            why = done.last_line("stderr") or f"systemctl exit {done.exit_code}"
            if "not been booted with systemd" in why or "Failed to connect to bus" in why:
                return Outcome("unknown", "no systemd here")
            return Outcome("unknown", _clip(why))
        return systemd_outcome(parse_systemctl_show(done.stdout_tail.decode("utf-8", "replace")))


def _secs(seconds: float) -> str:
    return f"{seconds:g}s"


def _clip(text: str) -> str:
    return text if len(text) <= MAX_DETAIL else text[: MAX_DETAIL - 1] + "…"


# -- http ------------------------------------------------------------------------------


def check_http(url: str, expect_status: int | None, timeout: float) -> Outcome:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return Outcome("down", f"not an http(s) URL: {url}")
    try:
        port = parts.port
    except ValueError:
        return Outcome("down", f"bad port in {url}")
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    conn: http.client.HTTPConnection
    if parts.scheme == "https":
        conn = http.client.HTTPSConnection(
            parts.hostname, port, timeout=timeout, context=ssl.create_default_context()
        )
    else:
        conn = http.client.HTTPConnection(parts.hostname, port, timeout=timeout)
    start = time.monotonic()
    try:
        conn.request("GET", path, headers={"User-Agent": "runbook-tui", "Connection": "close"})
        response = conn.getresponse()
        latency = (time.monotonic() - start) * 1000
        status, reason = response.status, response.reason
    except TimeoutError:
        return Outcome("down", f"no response within {_secs(timeout)}")
    except ssl.SSLError as exc:
        return Outcome("down", f"TLS: {exc.reason or exc}")
    except (OSError, http.client.HTTPException) as exc:
        return Outcome("down", _network_error(exc))
    finally:
        conn.close()
    if expect_status is not None:
        up = status == expect_status
        want = f"expected {expect_status}"
    else:
        up = 200 <= status <= 399
        want = "expected 200-399"
    text = f"HTTP {status} {reason}".rstrip()
    return Outcome("up" if up else "down", text if up else f"{text}, {want}", latency)


def _network_error(exc: BaseException) -> str:
    if isinstance(exc, socket.gaierror):
        return f"cannot resolve host: {exc.strerror or exc}"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, http.client.RemoteDisconnected):
        return "closed without a response"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror.lower() if exc.strerror[:1].isupper() else exc.strerror
    return f"{type(exc).__name__}: {exc}"


# -- tcp -------------------------------------------------------------------------------


def split_host_port(target: str) -> tuple[str, int] | None:
    """`host:port` or `[v6]:port` -> (host, port), None when it is neither."""
    host, sep, port = target.rpartition(":")
    if not sep or not port.isdigit() or not host:
        return None
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    number = int(port)
    return (host, number) if 0 < number < 65536 else None


def check_tcp(target: str, timeout: float) -> Outcome:
    where = split_host_port(target)
    if where is None:
        return Outcome("down", f"not host:port: {target}")
    start = time.monotonic()
    try:
        with socket.create_connection(where, timeout=timeout):
            latency = (time.monotonic() - start) * 1000
    except TimeoutError:
        return Outcome("down", f"no answer within {_secs(timeout)}")
    except OSError as exc:
        return Outcome("down", _network_error(exc))
    return Outcome("up", "connected", latency)


# -- process ---------------------------------------------------------------------------


def own_family(pid: int | None = None) -> set[int]:
    """This process, its ancestors and its descendants: what a process check must not
    count (the tool's own command line, its checks, its steps' shells)."""
    import psutil

    me = psutil.Process(pid or os.getpid())
    family = {me.pid}
    with contextlib.suppress(psutil.Error):
        family |= {p.pid for p in me.parents()}
    with contextlib.suppress(psutil.Error):
        family |= {p.pid for p in me.children(recursive=True)}
    return family


def is_runbook_tui(argv: Sequence[str]) -> bool:
    """Whether a command line is runbook-tui's: its script (`…/bin/runbook-tui`, as the
    program or as the interpreter's first argument) or `python [flags] -m runbook_tui`."""
    if any(os.path.basename(arg) == NAME for arg in argv[:2]):
        return True
    for index, arg in enumerate(argv[1:5], start=1):
        if arg == "-m":
            module = argv[index + 1] if index + 1 < len(argv) else ""
            return module.partition(".")[0] == "runbook_tui"
    return False


def check_process(text: str) -> Outcome:
    import psutil

    if not text:
        return Outcome("down", "no text to look for")
    family = own_family()
    found: list[tuple[int, str]] = []
    for proc in psutil.process_iter(["pid", "cmdline", "status"]):
        info = proc.info
        if info["pid"] in family or info.get("status") == psutil.STATUS_ZOMBIE:
            continue
        argv = info.get("cmdline") or ()
        # Another runbook-tui names its runbook (`runbook-tui nginx-fix.md`): not the
        # service, whichever terminal it walks in.
        if is_runbook_tui(argv):
            continue
        line = " ".join(argv)
        if text in line:
            found.append((info["pid"], line))
    if not found:
        return Outcome("down", f"no process's command line contains {text!r}")
    pid, line = min(found)
    more = f" (and {len(found) - 1} more)" if len(found) > 1 else ""
    return Outcome("up", _clip(f"pid {pid}{more}: {line}"))


# -- systemd ---------------------------------------------------------------------------


def systemd_running() -> bool:
    """Whether systemd is the init system here (sd_booted(3)'s test) and systemctl is
    on PATH."""
    return os.path.isdir("/run/systemd/system") and shutil.which("systemctl") is not None


def parse_systemctl_show(text: str) -> dict[str, str]:
    """`Key=Value` lines of `systemctl show` as a mapping."""
    out: dict[str, str] = {}
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        if sep and key.strip():
            out[key.strip()] = value.strip()
    return out


def systemd_outcome(props: Mapping[str, str]) -> Outcome:
    """active / reloading: up; a unit that is not loaded, inactive, failed, activating
    or deactivating: down (it is not serving yet, or no more)."""
    load = props.get("LoadState", "")
    active = props.get("ActiveState", "")
    sub = props.get("SubState", "")
    result = props.get("Result", "")
    if load == "not-found":
        return Outcome("down", "unit not found")
    if not active:
        return Outcome("unknown", "systemctl gave no ActiveState")
    detail = f"{active} ({sub})" if sub else active
    if active in ("active", "reloading"):
        return Outcome("up", detail)
    if result and result != "success":
        detail += f", result {result}"
    return Outcome("down", detail)
