"""The engine against real subprocesses and real files: journal first, then act."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

import psutil
import pytest

from runbook_tui.runbook.model import Runbook, Step, Variable
from runbook_tui.runbook.parser import load
from runbook_tui.session.engine import Engine, EngineError, RunbookChanged
from runbook_tui.session.journal import read_journal
from runbook_tui.session.store import SessionLocked


def gone(pid: int) -> bool:
    """Exited (or a zombie waiting to be reaped): checked in one call, so a process that
    exits between two looks cannot raise NoSuchProcess."""
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def shell(step_id: str, command: str, **kw: object) -> Step:
    return Step(id=step_id, kind="shell", command=command, line=1, language="sh", **kw)  # type: ignore[arg-type]


def make_runbook(tmp_path: Path, *steps: Step, variables: tuple[Variable, ...] = ()) -> Runbook:
    path = tmp_path / "book.md"
    path.write_text("# test runbook\n" + "".join(f"<!-- {s.id} -->\n" for s in steps))
    return Runbook(title="test runbook", path=str(path), steps=steps, variables=variables)


def events_of(engine: Engine) -> list[dict]:
    return read_journal(engine.journal_path).events


def test_step_start_and_finish_are_on_disk_when_run_step_returns(tmp_path: Path) -> None:
    book = make_runbook(tmp_path, shell("hello", "echo hello"))
    engine = Engine.start(book, home=tmp_path / "home")
    outcome = engine.run_step("hello")
    assert outcome.succeeded and outcome.exit_code == 0
    types = [e["type"] for e in events_of(engine)]
    assert types[0] == "session_started"
    assert "step_started" in types and types[-1] == "step_finished"
    engine.end("completed")
    assert events_of(engine)[-1]["type"] == "session_ended"
    text = "".join(e.get("data", "") for e in events_of(engine) if e["type"] == "output")
    assert "hello" in text


def test_shell_state_carries_from_one_step_to_the_next(tmp_path: Path) -> None:
    target = tmp_path / "srv"
    target.mkdir()
    book = make_runbook(
        tmp_path,
        shell("enter", f"cd {target}; export RELEASE=42"),
        shell("use", 'echo "$RELEASE in $(pwd)" > where.txt'),
    )
    engine = Engine.start(book, home=tmp_path / "home")
    assert engine.run_step("enter").succeeded
    assert engine.run_step("use").succeeded
    assert (target / "where.txt").read_text().strip() == f"42 in {target}"
    engine.end("completed")


def test_variables_arrive_as_environment_never_as_shell_text(tmp_path: Path) -> None:
    evil = f"$(touch {tmp_path}/pwned)"
    book = make_runbook(
        tmp_path,
        shell("show", 'printf "%s" "$TARGET" > value.txt'),
        variables=(Variable(name="TARGET"),),
    )
    engine = Engine.start(book, home=tmp_path / "home", variables={"TARGET": evil})
    assert engine.run_step("show").succeeded
    assert (tmp_path / "value.txt").read_text() == evil
    assert not (tmp_path / "pwned").exists()
    engine.end("completed")


def test_secret_values_never_reach_the_session_directory(tmp_path: Path) -> None:
    secret = "hunter2-correct-horse-battery"
    book = make_runbook(
        tmp_path,
        # printed whole, split by a colour code, and exported to carry to the next step
        shell("leak", 'echo "token=$TOKEN"; printf "%s" "$TOKEN"; export COPY="$TOKEN"'),
        shell("again", 'echo "copy is $COPY"'),
        variables=(Variable(name="TOKEN", secret=True),),
    )
    home = tmp_path / "home"
    engine = Engine.start(book, home=home, variables={"TOKEN": secret})
    assert engine.run_step("leak").succeeded
    assert engine.run_step("again").succeeded
    engine.note(f"pasted the token {secret} by mistake")
    engine.end("completed")
    files = [path for path in home.rglob("*") if path.is_file()]
    assert any(path.name == "journal.jsonl" for path in files), files  # something checked
    for path in files:
        assert secret.encode() not in path.read_bytes(), path
    output = "".join(e.get("data", "") for e in events_of(engine) if e["type"] == "output")
    assert "********" in output


def test_expected_exit_code_and_output_decide_the_verdict(tmp_path: Path) -> None:
    book = make_runbook(
        tmp_path,
        shell("three", "exit 3", expect_exit=3),
        shell("wrong-exit", "exit 1"),
        shell("match", "echo all systems ok", expect_output="systems ok$"),
        shell("no-match", "echo degraded", expect_output="^ok"),
    )
    engine = Engine.start(book, home=tmp_path / "home")
    assert engine.run_step("three").succeeded
    failed = engine.run_step("wrong-exit")
    assert not failed.succeeded and failed.reason == "exit 1, expected 0"
    assert engine.run_step("match").succeeded
    nomatch = engine.run_step("no-match")
    assert not nomatch.succeeded and "did not match" in nomatch.reason
    finished = [e for e in events_of(engine) if e["type"] == "step_finished"]
    assert [e["verdict"] for e in finished] == ["succeeded", "failed", "succeeded", "failed"]
    assert [e["exit_code"] for e in finished] == [3, 1, 0, 0]
    engine.end("failed")


def test_timeout_kills_background_children_too(tmp_path: Path) -> None:
    pidfile = tmp_path / "child.pid"
    survived = tmp_path / "child-finished"
    book = make_runbook(
        tmp_path,
        shell(
            "hang",
            f"(sleep 300; touch {survived}) & echo $! > {pidfile}; wait",
            timeout_seconds=1.0,
        ),
    )
    engine = Engine.start(book, home=tmp_path / "home")
    outcome = engine.run_step("hang")
    # Stopped by the timeout, not by waiting the child out.
    assert not survived.exists()
    assert outcome.timed_out and not outcome.succeeded
    assert "timed out" in outcome.reason
    child = int(pidfile.read_text())
    assert gone(child)
    engine.end("failed")


def test_cancel_from_another_thread_stops_the_step_and_records_it(tmp_path: Path) -> None:
    book = make_runbook(tmp_path, shell("long", "echo started; sleep 300"))
    engine = Engine.start(book, home=tmp_path / "home")
    seen = threading.Event()
    engine.subscribe(lambda e: seen.set() if e["type"] == "output" else None)
    threading.Thread(target=lambda: (seen.wait(10), engine.cancel()), daemon=True).start()
    outcome = engine.run_step("long")
    assert outcome.cancelled and outcome.reason == "cancelled by the operator"
    assert engine.state.steps["long"].status == "failed"
    engine.end("aborted")


def test_output_before_a_long_pause_is_shown_during_the_pause(tmp_path: Path) -> None:
    secret = "s3cret-value-123"
    go = tmp_path / "go"
    book = make_runbook(
        tmp_path,
        # The pause lasts until the test ends it: then a line that is not the secret.
        shell(
            "pause",
            'echo started; printf "%s" "${TOKEN:0:6}"; '
            f"while [ ! -e {go} ]; do sleep 0.05; done; echo; echo after; sleep 30",
        ),
        variables=(Variable(name="TOKEN", secret=True),),
    )
    engine = Engine.start(book, home=tmp_path / "home", variables={"TOKEN": secret})
    shown: list[str] = []
    seen = threading.Event()
    after = threading.Event()

    def watch(event: dict) -> None:
        if event["type"] == "output":
            shown.append(event["data"])
            if "started" in "".join(shown):
                seen.set()
            if "after" in "".join(shown):
                after.set()

    engine.subscribe(watch)
    worker = threading.Thread(target=engine.run_step, args=("pause",))
    worker.start()
    try:
        assert seen.wait(20), f"nothing shown while the step paused: {shown!r}"
        go.touch()
        assert after.wait(20), f"the step never went on: {shown!r}"
        # Everything shown before the line after the pause: the secret's first characters
        # might be the start of the secret, so they were still held.
        during = "".join(shown[: next(i for i, t in enumerate(shown) if "after" in t)])
        assert "started" in during
        assert "s3cret" not in during
    finally:
        engine.cancel()
        worker.join(15)
    engine.end("aborted")


def test_manual_confirmation_skip_and_notes_are_recorded(tmp_path: Path) -> None:
    manual = Step(id="tell", kind="manual", command="Tell #ops", line=3)
    book = make_runbook(tmp_path, manual, shell("later", "true"))
    engine = Engine.start(book, home=tmp_path / "home")
    with pytest.raises(EngineError):
        engine.run_step("tell")
    engine.confirm_manual("tell")
    engine.note("paged the db team", step_id="later")
    engine.skip("later", "not needed tonight")
    state = engine.state
    assert state.steps["tell"].status == "succeeded"
    assert state.steps["later"].status == "skipped"
    assert state.steps["later"].skip_reason == "not needed tonight"
    engine.end("completed")
    types = [e["type"] for e in events_of(engine)]
    assert types.count("manual_confirmed") == 1 and types.count("note") == 1


def test_a_second_writer_is_refused_while_the_first_holds_the_session(tmp_path: Path) -> None:
    book = make_runbook(tmp_path, shell("a", "true"))
    engine = Engine.start(book, home=tmp_path / "home")
    with pytest.raises(SessionLocked):
        Engine.resume(tmp_path / "home", engine.session_id, book)
    engine.close()
    again = Engine.resume(tmp_path / "home", engine.session_id, book)
    again.end("completed")


def test_resume_marks_a_dead_running_step_interrupted_and_runs_it_again(tmp_path: Path) -> None:
    book = make_runbook(tmp_path, shell("a", "echo a >> marks"), shell("b", "echo b >> marks"))
    engine = Engine.start(book, home=tmp_path / "home")
    assert engine.run_step("a").succeeded
    # What a process killed mid-step leaves behind: a start with no finish.
    engine.journal.append("step_started", step_id="b", attempt=1, name=None, kind="shell")
    engine.close()
    resumed = Engine.resume(tmp_path / "home", engine.session_id, book)
    assert resumed.state.steps["a"].status == "succeeded"
    assert resumed.state.steps["b"].status == "interrupted"
    following = resumed.plan.next_step()
    assert following is not None and following.id == "b"
    outcome = resumed.run_step("b")
    assert outcome.succeeded and outcome.attempt == 2
    resumed.end("completed")
    assert (tmp_path / "marks").read_text() == "a\nb\n"
    types = [e["type"] for e in events_of(resumed)]
    assert "session_resumed" in types and "step_interrupted" in types


def test_resume_refuses_a_changed_runbook_unless_allowed(tmp_path: Path) -> None:
    book = make_runbook(tmp_path, shell("a", "true"))
    engine = Engine.start(book, home=tmp_path / "home")
    engine.close()
    Path(book.path).write_text("# changed\n")
    with pytest.raises(RunbookChanged):
        Engine.resume(tmp_path / "home", engine.session_id, book)
    resumed = Engine.resume(tmp_path / "home", engine.session_id, book, allow_changed=True)
    last = events_of(resumed)[-1]
    assert last["type"] == "session_resumed" and last["runbook_changed"] is True
    resumed.end("completed")


def test_session_files_are_private(tmp_path: Path) -> None:
    book = make_runbook(tmp_path, shell("a", "true"))
    engine = Engine.start(book, home=tmp_path / "home")
    engine.end("completed")
    assert oct(os.stat(engine.session_dir).st_mode & 0o777) == "0o700"
    assert oct(os.stat(engine.journal_path).st_mode & 0o777) == "0o600"
    first = json.loads(engine.journal_path.read_text().splitlines()[0])
    assert first["runbook"]["sha256"] and first["operator"] and first["host"]


def test_invalid_utf8_output_is_recorded_with_replacement_characters(tmp_path: Path) -> None:
    book = make_runbook(
        tmp_path, shell("binary", r"printf 'ok \377\376 done\n'; head -c 4096 /dev/urandom")
    )
    engine = Engine.start(book, home=tmp_path / "home")
    assert engine.run_step("binary").succeeded
    engine.end("completed")
    read = read_journal(engine.journal_path)
    assert not read.torn and not read.problems
    text = "".join(e.get("data", "") for e in read.events if e["type"] == "output")
    assert "ok \ufffd\ufffd done" in text


@pytest.mark.slow
def test_a_50_mb_line_without_newline_is_journaled_in_bounded_events(tmp_path: Path) -> None:
    book = make_runbook(tmp_path, shell("wide", "head -c 50000000 /dev/zero | tr '\\0' x"))
    engine = Engine.start(book, home=tmp_path / "home")
    before = psutil.Process().memory_info().rss
    assert engine.run_step("wide").succeeded
    grown_mib = (psutil.Process().memory_info().rss - before) / 2**20
    engine.end("completed")
    assert grown_mib < 100, f"memory grew by {grown_mib:.0f} MiB"
    total, longest = 0, 0
    with open(engine.journal_path, "rb") as f:
        for line in f:
            longest = max(longest, len(line))
            event = json.loads(line)
            if event["type"] == "output":
                total += len(event["data"])
    assert total == 50_000_000
    assert longest < 200_000
    # The live state keeps only a tail; the journal has all of it.
    assert len(engine.state.steps["wide"].output) <= 256 * 1024


def test_expect_output_is_matched_on_whole_lines_without_colour_codes(tmp_path: Path) -> None:
    book = make_runbook(
        tmp_path,
        # "3" then "0 of 5 FAILED" on the same line: `$` must not match after the "3".
        shell("half", "printf 'ready: 3'; sleep 0.4; printf '0 of 5 FAILED\\n'",
              expect_output="^ready: 3$"),
        shell("colour", "printf 'db \\033[01;31mstatus\\033[m: OK\\n'", expect_output="status: OK"),
    )  # fmt: skip
    engine = Engine.start(book, home=tmp_path / "home")
    assert not engine.run_step("half").succeeded
    assert engine.run_step("colour").succeeded
    engine.end("failed")


def test_a_cancel_that_arrives_while_the_step_is_starting_is_kept(tmp_path: Path) -> None:
    book = make_runbook(tmp_path, shell("never", "touch ran"))
    engine = Engine.start(book, home=tmp_path / "home")
    with engine._run_lock:  # the moment between "run" and the step's process existing
        assert engine.cancel() is True
    engine._run_lock.acquire()
    engine._run_lock.release()
    outcome = engine._run(book.step("never"), interactive=False, confirmed_by=None)
    assert outcome.cancelled and not (tmp_path / "ran").exists()
    engine.end("aborted")


def test_step_started_records_the_folder_the_step_runs_in(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    book = make_runbook(tmp_path, shell("there", "pwd > where", cwd="sub"))
    engine = Engine.start(book, home=tmp_path / "home")
    assert engine.run_step("there").succeeded
    engine.end("completed")
    started = next(e for e in events_of(engine) if e["type"] == "step_started")
    assert started["cwd"] == str(tmp_path / "sub")
    assert (tmp_path / "sub" / "where").read_text().strip() == str(tmp_path / "sub")


def test_a_value_given_on_an_earlier_resume_is_kept_by_the_next(tmp_path: Path) -> None:
    book = make_runbook(tmp_path, shell("a", "true"), variables=(Variable(name="TARGET"),))
    home = tmp_path / "home"
    engine = Engine.start(book, home=home, variables={"TARGET": "staging"})
    engine.close()
    first = Engine.resume(home, engine.session_id, book, variables={"TARGET": "production"})
    first.close()
    second = Engine.resume(home, engine.session_id, book)
    assert second.runner.env["TARGET"] == "production"
    second.end("completed")
    with pytest.raises(EngineError, match="already completed"):
        Engine.resume(home, engine.session_id, book)


# --- failing fast (issue 8 part 3) ------------------------------------------------------


def output_of(engine: Engine, step_id: str) -> str:
    return "".join(
        e.get("data", "")
        for e in events_of(engine)
        if e["type"] == "output" and e.get("step_id") == step_id
    )


def test_an_early_failing_line_fails_the_step_and_later_lines_do_not_run(tmp_path: Path) -> None:
    book = make_runbook(tmp_path, shell("multi", "echo one\n(exit 4)\ntouch ran-on\necho two"))
    engine = Engine.start(book, home=tmp_path / "home")
    outcome = engine.run_step("multi")
    assert not outcome.succeeded
    assert (outcome.exit_code, outcome.reason) == (4, "exit 4, expected 0")
    assert not (tmp_path / "ran-on").exists()
    assert output_of(engine, "multi") == "one\n"
    engine.end("failed")


def test_a_failed_cd_mid_step_is_the_steps_failure_and_state_carries(tmp_path: Path) -> None:
    target = tmp_path / "srv"
    target.mkdir()
    book = make_runbook(
        tmp_path,
        shell(
            "go", f"cd {target}\nexport STAGE=one\ncd /nonexistent; echo after\nexport STAGE=two"
        ),
        shell("where", 'echo "$STAGE $PWD" > where.txt'),
    )
    engine = Engine.start(book, home=tmp_path / "home")
    outcome = engine.run_step("go")
    assert not outcome.succeeded and outcome.exit_code == 1
    assert outcome.reason == "exit 1, expected 0"
    assert "after" not in output_of(engine, "go")
    finished = next(e for e in events_of(engine) if e["type"] == "step_finished")
    assert (finished["verdict"], finished["exit_code"]) == ("failed", 1)
    assert finished["cwd_after"] == str(target)
    assert engine.run_step("where").succeeded
    assert (target / "where.txt").read_text() == f"one {target}\n"
    engine.end("failed")


def test_errexit_false_step_passes_as_before(tmp_path: Path) -> None:
    book = make_runbook(
        tmp_path,
        shell("lenient", "false\necho after", errexit=False),
        shell("last-fails", "true\nfalse", errexit=False),
    )
    engine = Engine.start(book, home=tmp_path / "home")
    assert engine.run_step("lenient").succeeded
    assert output_of(engine, "lenient") == "after\n"
    last = engine.run_step("last-fails")
    assert not last.succeeded and last.exit_code == 1
    engine.end("failed")


def test_pipefail_by_default_and_pipefail_false(tmp_path: Path) -> None:
    book = make_runbook(
        tmp_path,
        shell("strict", "false | true"),
        shell("lenient", "false | true", pipefail=False),
    )
    engine = Engine.start(book, home=tmp_path / "home")
    strict = engine.run_step("strict")
    assert not strict.succeeded and strict.exit_code == 1
    assert engine.run_step("lenient").succeeded
    engine.end("failed")


def test_front_matter_default_false_with_a_step_override_true(tmp_path: Path) -> None:
    path = tmp_path / "book.md"
    path.write_text(
        "---\nerrexit: false\npipefail: false\n---\n# Book\n\n"
        '```sh {"name":"loose"}\nfalse | true\nfalse\necho loose-after\n```\n\n'
        "```sh { name=strict errexit=true }\nfalse\necho strict-after\n```\n\n"
        "```sh { name=piped pipefail=true }\nfalse | true\n```\n"
    )
    result = load(path)
    assert result.diagnostics == []
    engine = Engine.start(result.runbook, home=tmp_path / "home")
    assert engine.run_step("loose").succeeded
    assert output_of(engine, "loose") == "loose-after\n"
    strict = engine.run_step("strict")
    assert not strict.succeeded and strict.exit_code == 1
    assert output_of(engine, "strict") == ""
    piped = engine.run_step("piped")
    assert not piped.succeeded and piped.exit_code == 1
    engine.end("failed")


def test_interactive_steps_get_the_same_options(tmp_path: Path) -> None:
    book = make_runbook(
        tmp_path,
        shell("strict", "false\ntouch ran-on", interactive=True),
        shell("lenient", "false\ntouch ran-on", interactive=True, errexit=False),
    )
    engine = Engine.start(book, home=tmp_path / "home")
    strict = engine.run_interactive("strict")
    assert not strict.succeeded and strict.exit_code == 1
    assert not (tmp_path / "ran-on").exists()
    assert engine.run_interactive("lenient").succeeded
    assert (tmp_path / "ran-on").exists()
    engine.end("failed")


def test_resume_keeps_where_old_output_is_and_reads_its_tail_back(tmp_path: Path) -> None:
    book = make_runbook(tmp_path, shell("a", "seq 1 100000"), shell("b", "echo b"))
    engine = Engine.start(book, home=tmp_path / "home", use_pty=False)
    assert engine.run_step("a").succeeded
    engine.close()
    events = read_journal(engine.journal_path).events
    printed = "".join(e["data"] for e in events if e["type"] == "output")
    assert len(printed) > 256 * 1024
    resumed = Engine.resume(tmp_path / "home", engine.session_id, book, use_pty=False)
    step = resumed.state.steps["a"]
    # The fold holds the count, not the text: the journal has it.
    assert step.output == "" and step.output_chars == len(printed)
    text, upto = resumed.output_snapshot("a")
    assert text == printed[-256 * 1024 :] and upto == len(printed)
    assert resumed.run_step("b").succeeded
    assert resumed.output_snapshot("b") == ("b\n", 2)  # live output: kept in memory
    assert resumed.output_snapshot("a") == (text, upto)
    resumed.end("completed")


def test_a_pattern_that_could_backtrack_without_end_is_judged_under_a_time_bound(
    tmp_path: Path,
) -> None:
    """`(a*)*b` on a line of a's takes longer than the age of the universe in `re`; the
    step ends failed, saying why, instead of hanging the engine."""
    book = make_runbook(
        tmp_path,
        shell("hang", "printf 'a%.0s' $(seq 60); echo", expect_output="(a*)*b"),
        shell("fine", "echo ababc", expect_output="(a|b)*c$"),
    )
    engine = Engine.start(book, home=tmp_path / "home", use_pty=False)
    outcome = engine.run_step("hang")
    assert outcome.verdict == "failed" and "could not be matched" in outcome.reason
    assert engine.run_step("fine").succeeded
    engine.end("failed")
