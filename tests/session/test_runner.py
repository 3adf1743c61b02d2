"""ShellRunner with real bash processes: state carry, pty, timeout/cancel, huge output."""

from __future__ import annotations

import contextlib
import os
import re
import select
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import psutil
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from runbook_tui.session.runner import RunResult, ShellRunner

BOTH = pytest.mark.parametrize("use_pty", [True, False], ids=["pty", "pipe"])


class Sink:
    """Collects on_output chunks (or only their sizes, for huge output)."""

    def __init__(self, keep: bool = True) -> None:
        self.keep = keep
        self.chunks: list[str] = []
        self.total = 0
        self.max_chunk = 0
        self.newlines = 0

    def __call__(self, text: str) -> None:
        self.total += len(text)
        self.max_chunk = max(self.max_chunk, len(text))
        self.newlines += text.count("\n")
        if self.keep:
            self.chunks.append(text)

    @property
    def text(self) -> str:
        return "".join(self.chunks)


class ActWhenSeen(Sink):
    """A Sink that, once `marker` has been output, calls `action` from another thread
    (as the UI cancels): the step is known to be running, not just about to start."""

    def __init__(self, marker: str, action: Callable[[], object]) -> None:
        super().__init__()
        self._marker = marker
        self._action = action
        self.acted = False

    def __call__(self, text: str) -> None:
        super().__call__(text)
        if not self.acted and self._marker in self.text:
            self.acted = True
            threading.Thread(target=self._action, daemon=True).start()


def live(pid: int) -> bool:
    """Alive and not a zombie (orphans may wait a while for init to reap them)."""
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def group_members(pgid: int) -> list[int]:
    found = []
    for proc in psutil.process_iter():
        with contextlib.suppress(psutil.Error, OSError):
            if os.getpgid(proc.pid) == pgid and proc.status() != psutil.STATUS_ZOMBIE:
                found.append(proc.pid)
    return found


def pids_in(text: str, tag: str) -> list[int]:
    return [int(p) for p in re.findall(rf"{tag}=(\d+)", text)]


@pytest.fixture
def home(tmp_path: Path) -> Path:
    for d in ("home", "tmp", "work"):
        (tmp_path / d).mkdir()
    return tmp_path


def make_runner(home: Path, use_pty: bool = True, **kw: object) -> ShellRunner:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home / "home"),
        "TMPDIR": str(home / "tmp"),
        "LANG": "C.UTF-8",
    }
    return ShellRunner(env=env, cwd=str(home / "work"), use_pty=use_pty, **kw)  # type: ignore[arg-type]


# --- shell state ---------------------------------------------------------------------


@BOTH
def test_cwd_and_exported_variables_carry(home: Path, use_pty: bool) -> None:
    target = home / "srv" / "app"
    target.mkdir(parents=True)
    r = make_runner(home, use_pty)
    res = r.run(f"cd {target}; export RELEASE=42; LOCAL=1", on_output=Sink())
    assert res.exit_code == 0 and res.state_carried
    assert r.cwd == str(target)
    assert r.env["RELEASE"] == "42"
    assert "LOCAL" not in r.env
    out = Sink()
    r.run('echo "$PWD|$RELEASE|${LOCAL:-unset}"; pwd', on_output=out)
    assert out.text == f"{target}|42|unset\n{target}\n"


def test_what_does_not_carry(home: Path) -> None:
    r = make_runner(home)
    r.run(
        "f() { echo fn; }; alias ll='ls -l'; set -o pipefail; trap 'echo hi' USR1", on_output=Sink()
    )
    out = Sink()
    r.run(
        "type f >/dev/null 2>&1 && echo has-f; alias ll >/dev/null 2>&1 && echo has-alias;"
        " [[ -o pipefail ]] && echo has-pipefail; trap -p USR1; echo end",
        on_output=out,
        pipefail=False,
    )
    assert out.text == "end\n"


def test_unset_carries_and_functions_do_not(home: Path) -> None:
    r = make_runner(home)
    r.run("export GONE=1", on_output=Sink())
    assert r.env["GONE"] == "1"
    r.run("unset GONE; g() { echo from-g; }; export -f g", on_output=Sink())
    assert "GONE" not in r.env
    out = Sink()
    r.run("type g >/dev/null 2>&1 || echo no-g", on_output=out)
    assert out.text == "no-g\n"


def test_functions_and_odd_names_from_the_start_environment_pass_through(home: Path) -> None:
    r = make_runner(home)
    r.env["BASH_FUNC_hello%%"] = "() {  echo hello-fn\n}"
    r.env["odd.name"] = "kept"
    out = Sink()
    r.run("cd /", on_output=Sink())
    r.run('hello; env | grep -a "^odd.name="', on_output=out)
    assert out.text == "hello-fn\nodd.name=kept\n"


def test_every_kind_of_value_round_trips(home: Path) -> None:
    r = make_runner(home)
    values = {
        "V_PLAIN": "plain",
        "V_SPACE": "a b  c",
        "V_QUOTES": "q\"d$b\\s`t'x",
        "V_NL": "line1\nline2\n",
        "V_CTL": "tab\tesc\x1b[31mcr\r\x01\x7f",
        "V_UTF8": "€uro ünï",
        "V_EMPTY": "",
        "V_BACKSLASHES": "\\\\n\\t\\x41\\101",
    }
    r.env.update(values)
    r.env["LANG"] = "C"  # bash then writes UTF-8 as octal escapes: parsed back too
    res = r.run(
        "export V_NEW=$'\\xff\\xfe'; declare -rx V_RO=ro; declare -ix V_INT=7; export V_NOVAL",
        on_output=Sink(),
    )
    assert res.state_carried
    for key, value in values.items():
        assert r.env[key] == value, key
    assert r.env["V_RO"] == "ro" and r.env["V_INT"] == "7"
    assert "V_NOVAL" not in r.env
    assert os.fsencode(r.env["V_NEW"]) == b"\xff\xfe"
    res = r.run("set -o posix; export V_POSIX=p", on_output=Sink())
    assert res.state_carried and r.env["V_POSIX"] == "p" and r.env["V_UTF8"] == "€uro ünï"


def test_exit_with_status_still_carries(home: Path) -> None:
    r = make_runner(home)
    res = r.run("cd /; export STEP=one; exit 3", on_output=Sink())
    assert res.exit_code == 3 and res.signal is None
    assert res.state_carried and r.cwd == "/" and r.env["STEP"] == "one"


def test_errexit_and_nounset_do_not_break_the_report(home: Path) -> None:
    r = make_runner(home)
    res = r.run("set -eu; cd /; export A=1; false; echo never", on_output=Sink())
    assert res.exit_code == 1 and res.state_carried and r.cwd == "/" and r.env["A"] == "1"


def test_set_x_traces_the_step_not_the_report(home: Path) -> None:
    r = make_runner(home)
    out = Sink()
    res = r.run("set -x\ncd /\nfalse\necho never", on_output=out)
    assert res.exit_code == 1 and res.state_carried and r.cwd == "/"
    assert out.text == "+ cd /\n+ false\n"


def test_step_that_replaces_the_exit_trap_keeps_previous_state(home: Path) -> None:
    r = make_runner(home)
    before = r.cwd
    out = Sink()
    res = r.run("trap 'echo own-trap' EXIT; cd /; export X=1", on_output=out)
    assert res.exit_code == 0 and not res.state_carried
    assert r.cwd == before and "X" not in r.env
    assert out.text == "own-trap\n"


def test_shlvl_and_child_only_defaults_are_not_carried(home: Path) -> None:
    r = make_runner(home)
    r.env["SHLVL"] = "1"
    r.env["PAGER"] = "less"
    out = Sink()
    for _ in range(3):
        r.run("echo $SHLVL $PAGER $TERM", on_output=out)
    assert out.text == "2 cat xterm-256color\n" * 3
    assert r.env["SHLVL"] == "1" and r.env["PAGER"] == "less" and "TERM" not in r.env


def test_errors_read_as_in_a_terminal(home: Path) -> None:
    r = make_runner(home)
    out = Sink()
    r.run("true\nno-such-command-xyz", on_output=out)
    assert out.text == "bash: line 2: no-such-command-xyz: command not found\n"
    out = Sink()
    res = r.run("cd /; echo (", on_output=out)
    assert res.exit_code == 2
    assert out.text.startswith("bash: -c: line 1: syntax error")
    assert "trap" not in out.text


def test_startup_leaves_no_trace_in_the_step(home: Path) -> None:
    r = make_runner(home)
    out = Sink()
    r.run(
        'echo "[${BASH_ENV-unset}]"; trap -p EXIT | grep -c . ;'
        # Builtins only: a pipeline would hold extra pipe fds in bash while ls looks.
        " for fd in {3..64}; do [ -e /proc/$$/fd/$fd ] && echo fd; done",
        on_output=out,
    )
    lines = out.text.splitlines()
    assert lines[0] == "[unset]"
    assert lines[1] == "1"  # our EXIT trap
    # Beyond stdin, stdout and stderr only the state pipe: the startup pipe is closed.
    assert lines[2:] == ["fd"]


def test_users_own_bash_env_is_still_sourced(home: Path) -> None:
    rc = home / "home" / "bash_env"
    rc.write_text("export FROM_BASH_ENV=yes\n")
    r = make_runner(home)
    r.env["BASH_ENV"] = str(rc)
    out = Sink()
    res = r.run('echo "$FROM_BASH_ENV $BASH_ENV"', on_output=out)
    assert out.text == f"yes {rc}\n"
    assert res.state_carried and r.env["BASH_ENV"] == str(rc)


def test_big_environment_and_non_utf8_values_carry(home: Path) -> None:
    r = make_runner(home)
    # Over a pipe buffer in total (the report is read while it is written).
    res = r.run(
        "for i in 1 2 3; do export BIG$i=$(head -c 100000 /dev/zero | tr '\\0' x); done;"
        " export RAW=$'\\xff\\xfeok'",
        on_output=Sink(),
    )
    assert res.state_carried
    assert r.env["BIG3"] == "x" * 100_000
    out = Sink()
    r.run('printf "%s" "$RAW" | od -An -tx1', on_output=out)
    assert out.text.split() == ["ff", "fe", "6f", "6b"]


@settings(max_examples=60, deadline=None)
@given(
    value=st.binary(max_size=40).filter(lambda b: b"\0" not in b),
    lang=st.sampled_from(["C", "C.UTF-8"]),
)
def test_property_any_value_round_trips(
    tmp_path_factory: pytest.TempPathFactory, value: bytes, lang: str
) -> None:
    home = tmp_path_factory.mktemp("rt")
    for d in ("home", "tmp", "work"):
        (home / d).mkdir()
    r = make_runner(home)
    r.env["LANG"] = lang
    r.env["V"] = os.fsdecode(value)
    res = r.run('export W="$V"', on_output=Sink())
    assert res.state_carried
    assert os.fsencode(r.env["V"]) == value
    assert os.fsencode(r.env["W"]) == value


def test_value_too_long_for_any_program_is_not_carried(home: Path) -> None:
    r = make_runner(home)
    # Over 128 KiB: no program can be started with it, so carrying it would make every
    # following step fail to start.
    res = r.run("cd /; export HUGE=$(head -c 200000 /dev/zero | tr '\\0' x) OK=1", on_output=Sink())
    assert res.exit_code == 0 and res.state_carried
    assert "HUGE" not in r.env and r.env["OK"] == "1" and r.cwd == "/"
    assert r.run("true", on_output=Sink()).exit_code == 0


def test_cwd_override_applies_to_one_step(home: Path) -> None:
    r = make_runner(home)
    start = r.cwd
    out = Sink()
    r.run("pwd; export FROM_OVERRIDE=1", on_output=out, cwd="/")
    assert out.text == "/\n"
    assert r.cwd == start and r.env["FROM_OVERRIDE"] == "1"
    with pytest.raises(OSError):
        r.run("true", on_output=Sink(), cwd=str(home / "missing"))


def test_secret_used_for_carry_never_reaches_disk(home: Path) -> None:
    secret = "s3cr3t-Carry-Value-9f8e7d"
    r = make_runner(home)
    r.env["DB_PASSWORD"] = secret

    def listing() -> set[str]:
        return {str(p) for p in home.rglob("*")}

    def shm() -> set[str]:
        return set(os.listdir("/dev/shm")) if os.path.isdir("/dev/shm") else set()

    before, shm_before = listing(), shm()
    r.run("export TOKEN2=$DB_PASSWORD-x; cd ..", on_output=Sink())
    r.run('test "$TOKEN2" = "$DB_PASSWORD-x" && echo ok; cd work', on_output=Sink())
    assert r.env["TOKEN2"] == f"{secret}-x"
    # The runner itself created nothing, anywhere we can see.
    assert listing() == before
    assert shm() == shm_before
    files = [path for path in home.rglob("*") if path.is_file()]
    for path in files:
        assert secret.encode() not in path.read_bytes(), path


# --- terminal ------------------------------------------------------------------------


def test_pty_is_a_tty_with_a_window_size_and_stdin_is_empty(home: Path) -> None:
    r = make_runner(home, window_size=(100, 30))
    out = Sink()
    res = r.run(
        "test -t 1 && echo out-tty; test -t 2 && echo err-tty; test -t 0 || echo in-not-tty;"
        " stty size <&1; read x || echo read=$?; cat; echo cat=$?",
        on_output=out,
        timeout=10,
    )
    assert res.exit_code == 0 and not res.timed_out
    assert out.text == "out-tty\nerr-tty\nin-not-tty\n30 100\nread=1\ncat=0\n"


def test_pipe_mode_is_not_a_tty(home: Path) -> None:
    out = Sink()
    make_runner(home, use_pty=False).run("test -t 1 || echo not-tty; echo err >&2", on_output=out)
    assert out.text == "not-tty\nerr\n"


def test_ansi_kept_and_invalid_utf8_replaced(home: Path) -> None:
    out = Sink()
    make_runner(home).run(r"printf '\033[31mred\033[0m \xff\xfe ok \xe2\x82\xac\n'", on_output=out)
    assert out.text == "\x1b[31mred\x1b[0m \ufffd\ufffd ok €\n"


@BOTH
def test_utf8_split_across_reads_is_decoded_whole(home: Path, use_pty: bool) -> None:
    out = Sink()
    make_runner(home, use_pty).run(
        r"printf '\xe2'; sleep 0.2; printf '\x82\xac\n'", on_output=out, timeout=10
    )
    assert out.text == "€\n"


# --- failing fast: set -e and set -o pipefail by default ------------------------------


@BOTH
def test_an_early_failing_line_ends_the_step_with_its_status(home: Path, use_pty: bool) -> None:
    r = make_runner(home, use_pty)
    out = Sink()
    res = r.run("echo first\n(exit 3)\necho after", on_output=out)
    assert res.exit_code == 3 and res.signal is None
    assert out.text == "first\n"


def test_failed_cd_mid_step_fails_the_step_with_exit_1(home: Path) -> None:
    r = make_runner(home)
    out = Sink()
    res = r.run("cd /nonexistent; echo after", on_output=out)
    assert res.exit_code == 1
    assert "after" not in out.text
    assert "No such file or directory" in out.text
    assert res.state_carried and r.cwd == str(home / "work")


def test_state_from_before_the_failure_is_carried(home: Path) -> None:
    target = home / "srv"
    target.mkdir()
    r = make_runner(home)
    res = r.run(
        f"cd {target}\nexport DONE=before\nfalse\nexport DONE=after; cd /", on_output=Sink()
    )
    assert res.exit_code == 1 and res.state_carried
    assert r.cwd == str(target) and r.env["DONE"] == "before"


def test_errexit_false_lets_the_last_line_decide(home: Path) -> None:
    r = make_runner(home)
    out = Sink()
    res = r.run("false\necho after", on_output=out, errexit=False)
    assert res.exit_code == 0 and out.text == "after\n"
    res = r.run("true\nfalse", on_output=Sink(), errexit=False)
    assert res.exit_code == 1


def test_pipefail_by_default_and_opted_out(home: Path) -> None:
    r = make_runner(home)
    out = Sink()
    res = r.run("false | true\necho after", on_output=out)
    assert res.exit_code == 1 and out.text == ""
    out = Sink()
    res = r.run("false | true\necho after", on_output=out, pipefail=False)
    assert res.exit_code == 0 and out.text == "after\n"
    # Both off: the shell of before.
    res = r.run(
        "false | true; false | false; true", on_output=Sink(), errexit=False, pipefail=False
    )
    assert res.exit_code == 0


def test_head_pitfall_sigpipe_under_pipefail(home: Path) -> None:
    """Documented in docs/execution.md: the writer dies of SIGPIPE once head is done."""
    r = make_runner(home)
    res = r.run("yes | head -1 >/dev/null", on_output=Sink())
    assert res.exit_code == 128 + 13
    assert r.run("yes | head -1 >/dev/null", on_output=Sink(), pipefail=False).exit_code == 0


def test_set_plus_e_inside_a_step_and_bash_exemptions(home: Path) -> None:
    r = make_runner(home)
    out = Sink()
    res = r.run(
        "[[ $- == *e* ]] || exit 9\n"
        "if false; then :; fi\n"
        "false || echo or-list\n"
        "false && echo never\n"
        "! false\n"
        "set +e\nfalse\necho after-set-plus-e",
        on_output=out,
    )
    assert res.exit_code == 0
    assert out.text == "or-list\nafter-set-plus-e\n"


def test_options_are_fresh_in_every_step(home: Path) -> None:
    r = make_runner(home)
    out = Sink()
    r.run("set +e +o pipefail", on_output=Sink())
    r.run('echo "$-" ; shopt -po pipefail', on_output=out)
    flags, pipefail = out.text.splitlines()
    assert "e" in flags and pipefail == "set -o pipefail"
    out = Sink()
    r.run('echo "$-" ; shopt -po pipefail || :', on_output=out, errexit=False, pipefail=False)
    flags, pipefail = out.text.splitlines()
    assert "e" not in flags and pipefail == "set +o pipefail"


def test_users_bash_env_does_not_run_under_errexit(home: Path) -> None:
    rc = home / "home" / "bash_env"
    rc.write_text("false\nexport FROM_BASH_ENV=yes\n")
    r = make_runner(home)
    r.env["BASH_ENV"] = str(rc)
    out = Sink()
    res = r.run('echo "$FROM_BASH_ENV"', on_output=out)
    assert res.exit_code == 0 and out.text == "yes\n"


def test_interactive_steps_fail_fast_too(home: Path) -> None:
    r = make_runner(home)
    res = r.run("cd /; false; cd /tmp; exit 5", on_output=Sink(), interactive=True)
    assert res.exit_code == 1 and res.state_carried and r.cwd == "/"
    res = r.run("false | true; exit 5", on_output=Sink(), interactive=True, pipefail=False)
    assert res.exit_code == 5
    res = r.run("false; exit 6", on_output=Sink(), interactive=True, errexit=False)
    assert res.exit_code == 6


# --- ending: exit codes, signals, timeout, cancel ---------------------------------------


def test_exit_code_and_signal(home: Path) -> None:
    r = make_runner(home)
    assert r.run("exit 7", on_output=Sink()).exit_code == 7
    killed = r.run("kill -9 $$", on_output=Sink())
    assert killed.exit_code is None and killed.signal == 9
    assert not killed.state_carried
    inner = r.run("sleep 5 & kill -TERM $!; wait $!", on_output=Sink())
    assert inner.exit_code == 128 + 15 and inner.signal is None


@BOTH
def test_timeout_kills_the_whole_group_including_background(home: Path, use_pty: bool) -> None:
    r = make_runner(home, use_pty)
    out = Sink()
    start = time.monotonic()
    res = r.run(
        "echo shell=$$; sleep 1000 & echo bg=$!; (sleep 1000; true) & echo sub=$!; sleep 1000",
        on_output=out,
        timeout=1.0,
    )
    elapsed = time.monotonic() - start
    assert res.timed_out and not res.cancelled
    assert res.exit_code is None and res.signal == 15
    assert elapsed > 0.9  # never before the timeout (how soon after: bench/, not here)
    (shell,) = pids_in(out.text, "shell")
    assert group_members(shell) == []
    for pid in pids_in(out.text, "bg") + pids_in(out.text, "sub"):
        assert not live(pid)


def test_timeout_escalates_to_sigkill(home: Path) -> None:
    r = make_runner(home, kill_grace=0.5)
    out = Sink()
    start = time.monotonic()
    res = r.run("echo shell=$$; trap '' TERM; sleep 1000", on_output=out, timeout=0.5)
    assert res.timed_out and res.signal == 9
    # SIGTERM was ignored: the SIGKILL came after the timeout and then the grace.
    assert time.monotonic() - start > 0.5 + 0.5 - 0.1
    assert group_members(pids_in(out.text, "shell")[0]) == []


def test_timeout_also_kills_a_child_that_left_the_group(home: Path) -> None:
    r = make_runner(home)
    out = Sink()
    res = r.run("setsid sleep 1000 & echo esc=$!; sleep 1000", on_output=out, timeout=1.0)
    assert res.timed_out
    (escaped,) = pids_in(out.text, "esc")
    deadline = time.monotonic() + 20  # it is killed; init reaps it when it gets to it
    while live(escaped) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not live(escaped)


def test_cancel_event_from_another_thread(home: Path) -> None:
    r = make_runner(home)
    cancel = threading.Event()
    out = ActWhenSeen("shell=", cancel.set)
    res = r.run("echo shell=$$; sleep 1000 & sleep 1000", on_output=out, cancel=cancel)
    assert res.cancelled and not res.timed_out
    assert group_members(pids_in(out.text, "shell")[0]) == []


def test_cancel_method_from_another_thread(home: Path) -> None:
    r = make_runner(home)
    res = r.run("echo started; sleep 1000", on_output=ActWhenSeen("started", r.cancel))
    assert res.cancelled
    # A later step is not affected by the earlier cancel.
    assert r.run("echo again", on_output=Sink()).exit_code == 0


def test_already_cancelled_event_runs_nothing(home: Path) -> None:
    cancel = threading.Event()
    cancel.set()
    marker = home / "tmp" / "ran"
    res = make_runner(home).run(f"touch {marker}", on_output=Sink(), cancel=cancel)
    assert res.cancelled and not marker.exists()


@BOTH
def test_background_child_holding_output_open_does_not_hang(home: Path, use_pty: bool) -> None:
    r = make_runner(home, use_pty)
    out = Sink()
    finished = home / "tmp" / "bg-finished"
    res = r.run(f"(sleep 30; touch {finished}) & echo bg=$!; echo done", on_output=out)
    assert not finished.exists()  # the step ended without waiting the child out
    assert res.exit_code == 0 and out.text.endswith("done\n")
    # Steps leave no strays: the group is stopped when the shell exits.
    (bg,) = pids_in(out.text, "bg")
    assert not live(bg)


def test_background_output_before_shell_exit_is_kept(home: Path) -> None:
    out = Sink()
    make_runner(home).run("(sleep 0.2; echo late) & echo early", on_output=out)
    assert out.text == "early\n"  # the straggler was stopped at step end: documented
    out2 = Sink()
    make_runner(home).run("(sleep 0.2; echo late) & echo early; wait", on_output=out2)
    assert out2.text == "early\nlate\n"


def test_on_output_error_kills_the_step_and_propagates(home: Path) -> None:
    r = make_runner(home)
    seen: list[str] = []

    def boom(text: str) -> None:
        seen.append(text)
        raise RuntimeError("journal full")

    with pytest.raises(RuntimeError, match="journal full"):
        r.run("echo shell=$$; sleep 1000", on_output=boom)
    (shell,) = pids_in("".join(seen), "shell")
    assert group_members(shell) == []


def test_no_fd_leak(home: Path) -> None:
    r = make_runner(home)
    r.run("true", on_output=Sink())
    before = len(os.listdir("/proc/self/fd"))
    for _ in range(20):
        r.run("echo x; sleep 0.01 &", on_output=Sink())
    r.run("sleep 10", on_output=Sink(), timeout=0.2)
    assert len(os.listdir("/proc/self/fd")) == before


def test_interactive_inherits_terminal_and_still_times_out(home: Path) -> None:
    r = make_runner(home)
    out = Sink()
    res = r.run("cd /; export I=1; exit 4", on_output=out, interactive=True)
    assert res.exit_code == 4 and r.cwd == "/" and r.env["I"] == "1"
    assert out.chunks == []
    start = time.monotonic()
    res = r.run("sleep 1000", on_output=out, interactive=True, timeout=0.5)
    assert res.timed_out and time.monotonic() - start > 0.4


INTERACTIVE_CHILD = """
import os, sys, threading
from runbook_tui.session.runner import ShellRunner
r = ShellRunner(env=dict(os.environ), cwd="/")
box = {}
# From a worker thread, as the UI does.
t = threading.Thread(target=lambda: box.update(res=r.run(
    'test -t 0 && echo in-tty; read -r x; echo "got=$x"; cd /tmp',
    on_output=lambda text: None, interactive=True, timeout=20)))
t.start(); t.join()
print("exit", box["res"].exit_code, "cwd", r.cwd)
print("terminal back", os.tcgetpgrp(0) == os.getpgrp())
"""


def test_interactive_step_gets_the_terminal_and_gives_it_back(home: Path) -> None:
    """Under a real terminal (util-linux `script` provides one): the step reads the
    keyboard as the foreground group, and the terminal returns to us afterwards."""
    child = home / "child.py"
    child.write_text(INTERACTIVE_CHILD)
    proc = subprocess.Popen(
        ["script", "-qec", f"{sys.executable} {child}", "/dev/null"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    assert proc.stdin is not None and proc.stdout is not None
    # Type once the step runs on the terminal (it printed in-tty), not after a guess.
    seen = b""
    deadline = time.monotonic() + 30
    while b"in-tty" not in seen:
        remaining = deadline - time.monotonic()
        assert remaining > 0 and select.select([proc.stdout], [], [], remaining)[0], seen
        chunk = os.read(proc.stdout.fileno(), 4096)
        assert chunk, seen  # the child ended without getting there
        seen += chunk
    proc.stdin.write(b"typed-line\n")
    proc.stdin.flush()
    out, _ = proc.communicate(timeout=30)
    text = (seen + out).decode(errors="replace").replace("\r", "")
    assert "in-tty\n" in text
    assert "got=typed-line\n" in text
    assert "exit 0 cwd /tmp\n" in text
    assert "terminal back True\n" in text


SLOW_HANDOVER_CHILD = """
import os, sys, threading, time
from runbook_tui.session import runner
# A hand-over that takes a while (a loaded machine): the step must not start before it.
original = runner._foreground
def slow(pgid):
    time.sleep(0.5)
    return original(pgid)
runner._foreground = slow
r = runner.ShellRunner(env=dict(os.environ), cwd="/")
# Builtins only, so the check runs as soon as bash does: field 8 of stat is the
# terminal's foreground group, field 5 our group.
cmd = ('read -r -a f < /proc/$$/stat; '
       '[ "${f[7]}" = "${f[4]}" ] && echo fg-at-start || echo bg-at-start')
res = r.run(cmd, on_output=lambda text: None, interactive=True, timeout=20)
print("exit", res.exit_code)
"""


def test_interactive_step_starts_only_once_it_holds_the_terminal(home: Path) -> None:
    """Keys typed as soon as the step's prompt appears must reach the step: it may not
    print (or read) anything before it is the terminal's foreground group."""
    child = home / "child.py"
    child.write_text(SLOW_HANDOVER_CHILD)
    out = subprocess.run(
        ["script", "-qec", f"{sys.executable} {child}", "/dev/null"],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        timeout=60,
    ).stdout.decode(errors="replace")
    assert "fg-at-start" in out and "exit 0" in out, out


def test_many_short_steps_in_a_row_all_succeed(home: Path) -> None:
    # How quick they are is measured by bench/bench_engine.py (300 trivial steps).
    r = make_runner(home)
    for i in range(50):
        out = Sink()
        assert r.run(f"echo {i}", on_output=out).exit_code == 0
        assert out.text == f"{i}\n"


# --- huge and binary output ------------------------------------------------------------


@contextlib.contextmanager
def rss_peak() -> Iterator[list[int]]:
    """Samples this process's RSS while the block runs; yields [baseline, peak]."""
    proc = psutil.Process()
    result = [proc.memory_info().rss, 0]
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            result[1] = max(result[1], proc.memory_info().rss)
            time.sleep(0.01)

    t = threading.Thread(target=sample, daemon=True)
    t.start()
    try:
        yield result
    finally:
        stop.set()
        t.join()


@pytest.mark.slow
@BOTH
def test_single_50mb_line_bounded_memory(home: Path, use_pty: bool) -> None:
    out = Sink(keep=False)
    with rss_peak() as rss:
        res = make_runner(home, use_pty).run(
            "head -c 50000000 /dev/zero | tr '\\0' a", on_output=out, timeout=120
        )
    assert res.exit_code == 0
    assert out.total == 50_000_000 and out.newlines == 0
    assert out.max_chunk <= 65536
    assert rss[1] - rss[0] < 100 * 1024 * 1024


@pytest.mark.slow
def test_binary_garbage(home: Path) -> None:
    out = Sink(keep=False)
    res = make_runner(home).run("head -c 20000000 /dev/urandom", on_output=out, timeout=120)
    assert res.exit_code == 0 and out.max_chunk <= 65536
    assert 10_000_000 < out.total <= 20_000_000 + 3


@pytest.mark.slow
@BOTH
def test_three_million_lines(home: Path, use_pty: bool) -> None:
    # How fast: bench/bench_engine.py (the same seq against `script`).
    out = Sink(keep=False)
    with rss_peak() as rss:
        res = make_runner(home, use_pty).run("seq 1 3000000", on_output=out, timeout=120)
    assert res.exit_code == 0 and not res.timed_out
    assert out.newlines == 3_000_000
    assert out.max_chunk <= 65536
    assert rss[1] - rss[0] < 50 * 1024 * 1024


def test_result_type(home: Path) -> None:
    res = make_runner(home).run("true", on_output=Sink())
    assert isinstance(res, RunResult)
    assert res.duration_seconds > 0


def test_a_step_longer_than_an_argument_may_be_runs_as_written(tmp_path: Path) -> None:
    """The kernel refuses an argument over 128 KiB (E2BIG): such a step is read by bash
    from a memory file instead, with the same shell state carried and the same result."""
    filler = "".join(f": line {n} {'x' * 60}\n" for n in range(3000))  # ~200 KiB
    command = f'{filler}cd "{tmp_path}"; export LONG=yes\necho "done $((1 + 2))"\nfalse\necho never'
    assert len(command) > 128 * 1024
    runner = ShellRunner(env=dict(os.environ), cwd="/", use_pty=False)
    out: list[str] = []
    result = runner.run(command, on_output=out.append)
    assert "".join(out) == "done 3\n"
    assert result.exit_code == 1  # set -e stopped it at `false`
    assert runner.cwd == str(tmp_path) and runner.env["LONG"] == "yes"
