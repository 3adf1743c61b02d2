"""Backup sets against real files (modification times set with os.utime) and a real
restic repository made here with `restic init` (`.ci/run` installs Debian's restic)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from runbook_tui.runbook.model import BackupSet
from runbook_tui.sources.backups import BackupCheck, SnapshotScan, inventory_paths
from runbook_tui.sources.readings import RestoreDrill

PASSWORD = "correct-horse-battery"
DAY = 86400.0


def files(folder: Path, ages: dict[str, float], size: int = 10) -> float:
    """Backup files `name` -> age in seconds; returns the time they are aged from."""
    folder.mkdir(parents=True, exist_ok=True)
    now = time.time()
    for name, age in ages.items():
        path = folder / name
        path.write_bytes(b"x" * size)
        os.utime(path, (now - age, now - age))
    return now


def path_set(pattern: str, **kw: object) -> BackupCheck:
    return BackupCheck(BackupSet(name="nightly", source="path", target=pattern, **kw))  # type: ignore[arg-type]


# -- path globs ------------------------------------------------------------------------


def test_newest_file_time_age_count_and_total_bytes(tmp_path: Path) -> None:
    now = files(tmp_path, {"db-1.dump": 3 * DAY, "db-2.dump": 2 * DAY, "db-3.dump": 3600})
    reading = path_set(f"{tmp_path}/db-*.dump").poll()
    assert reading.state == "ok" and reading.detail == ""
    assert reading.count == 3 and reading.total_bytes == 30
    assert reading.newest_at == pytest.approx(now - 3600, abs=0.01)
    assert reading.age_seconds is not None and reading.age_seconds >= 3600
    assert reading.last_restore_drill is None


def test_nothing_there_is_missing(tmp_path: Path) -> None:
    reading = path_set(f"{tmp_path}/*.dump").poll()
    assert reading.state == "missing"
    assert reading.detail == f"nothing matches {tmp_path}/*.dump"
    assert (reading.count, reading.newest_at, reading.age_seconds) == (0, None, None)


def test_newest_older_than_max_age_is_stale(tmp_path: Path) -> None:
    files(tmp_path, {"a.tar": 3 * DAY, "b.tar": 2 * DAY + 7200})
    reading = path_set(f"{tmp_path}/*.tar", max_age_seconds=DAY).poll()
    assert reading.state == "stale"
    assert reading.detail == "newest is 2d 2h old, max_age 24h00m"


def test_fewer_than_min_count_is_stale_with_the_reason(tmp_path: Path) -> None:
    files(tmp_path, {"a.tar": 60, "b.tar": 120})
    reading = path_set(f"{tmp_path}/*.tar", min_count=3, max_age_seconds=DAY).poll()
    assert (reading.state, reading.detail) == ("stale", "2 found, min_count 3")
    both = path_set(f"{tmp_path}/*.tar", min_count=3, max_age_seconds=10).poll()
    assert both.state == "stale"
    assert both.detail == "newest is 1m old, max_age 10s; 2 found, min_count 3"


def test_relative_globs_are_read_from_the_runbook_folder_and_span_folders(
    tmp_path: Path,
) -> None:
    files(tmp_path / "backups" / "2026" / "11", {"x.dump": 50})
    files(tmp_path / "backups" / "2026" / "12", {"y.dump": 10})
    check = BackupCheck(
        BackupSet(name="n", source="path", target="backups/**/*.dump"), cwd=str(tmp_path)
    )
    reading = check.poll()
    assert (reading.state, reading.count, reading.total_bytes) == ("ok", 2, 20)


def test_a_matched_folder_counts_once_at_its_own_time(tmp_path: Path) -> None:
    (tmp_path / "snap-1").mkdir()
    files(tmp_path / "snap-1", {"big": 5}, size=1000)
    old = time.time() - 7200
    os.utime(tmp_path / "snap-1", (old, old))
    found = inventory_paths(f"{tmp_path}/snap-*")
    assert found.count == 1 and found.total_bytes == 0
    assert found.newest_at == pytest.approx(old, abs=0.01)


def test_broken_links_do_not_count(tmp_path: Path) -> None:
    (tmp_path / "gone.dump").symlink_to(tmp_path / "nowhere")
    assert path_set(f"{tmp_path}/*.dump").poll().state == "missing"


def test_restore_lookup_fills_the_last_drill(tmp_path: Path) -> None:
    files(tmp_path, {"a.dump": 10})
    drill = RestoreDrill(at="2026-11-30T09:00:00.000Z", passed=True, session="20261130T0900Z-ab12")
    asked: list[str] = []
    check = BackupCheck(
        BackupSet(name="nightly", source="path", target=f"{tmp_path}/*.dump"),
        restore_lookup=lambda name: asked.append(name) or drill,  # type: ignore[func-returns-value]
    )
    assert check.poll().last_restore_drill == drill
    assert asked == ["nightly"]


# -- restic ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def restic_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    assert shutil.which("restic"), "restic is needed: `apt-get install restic` (.ci/run does)"
    return tmp_path_factory.mktemp("restic-cache")


@pytest.fixture
def restic_env(restic_cache: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """restic's cache in the tests' folder, not the user's; no restic settings leak in."""
    monkeypatch.setenv("RESTIC_CACHE_DIR", str(restic_cache))
    for name in ("RESTIC_PASSWORD", "RESTIC_PASSWORD_FILE", "RESTIC_REPOSITORY"):
        monkeypatch.delenv(name, raising=False)
    return {**os.environ, "RESTIC_PASSWORD": PASSWORD}


def restic(env: dict[str, str], repo: Path, *args: str) -> str:
    done = subprocess.run(
        ["restic", "-r", str(repo), "--quiet", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory, restic_cache: Path) -> Path:
    """One repository with two snapshots, made once for this module (restic's key
    derivation makes every `init` and open take a while)."""
    env = {**os.environ, "RESTIC_PASSWORD": PASSWORD, "RESTIC_CACHE_DIR": str(restic_cache)}
    root = tmp_path_factory.mktemp("restic")
    path = root / "repo"
    restic(env, path, "init")
    data = root / "data"
    data.mkdir()
    (data / "orders.sql").write_text("insert into orders values (1);\n")
    restic(env, path, "backup", str(data))
    (data / "orders.sql").write_text("insert into orders values (2);\n")
    restic(env, path, "backup", str(data))
    return path


def restic_set(repo: Path, **kw: object) -> BackupSet:
    return BackupSet(name="orders", source="restic", target=str(repo), **kw)  # type: ignore[arg-type]


def test_restic_snapshots_give_count_and_newest_time(
    repo: Path, restic_env: dict[str, str]
) -> None:
    listed = json.loads(restic(restic_env, repo, "snapshots", "--json"))
    check = BackupCheck(
        restic_set(repo, password_env="ORDERS_RESTIC", max_age_seconds=DAY),
        values={**os.environ, "ORDERS_RESTIC": PASSWORD},
    )
    reading = check.poll()
    assert (reading.state, reading.count, reading.detail) == ("ok", 2, "")
    from datetime import datetime

    newest = max(datetime.fromisoformat(s["time"]).timestamp() for s in listed)
    assert reading.newest_at == pytest.approx(newest, abs=0.001)
    assert reading.total_bytes is None  # restic 0.14 has no summary: not known cheaply


def test_restic_password_file(repo: Path, tmp_path: Path, restic_env: dict[str, str]) -> None:
    (tmp_path / "pw").write_text(PASSWORD + "\n")
    check = BackupCheck(restic_set(repo, password_file="pw"), cwd=str(tmp_path))
    assert check.poll().state == "ok"
    missing = BackupCheck(restic_set(repo, password_file="nope"), cwd=str(tmp_path))
    assert missing.poll().detail == "password_file nope: no such file"


def test_wrong_restic_password_is_an_error_with_the_reason(
    repo: Path, restic_env: dict[str, str]
) -> None:
    check = BackupCheck(
        restic_set(repo, password_env="PW"), values={**os.environ, "PW": "not-the-password"}
    )
    reading = check.poll()
    assert reading.state == "error"
    assert reading.detail == "restic: wrong password or no key found"
    assert reading.newest_at is None and reading.count == 0


def test_unset_password_env_is_an_error(repo: Path, restic_env: dict[str, str]) -> None:
    reading = BackupCheck(restic_set(repo, password_env="NOT_SET_ANYWHERE"), values={}).poll()
    assert (reading.state, reading.detail) == ("error", "password_env NOT_SET_ANYWHERE is not set")


def test_no_repository_there_is_an_error(tmp_path: Path, restic_env: dict[str, str]) -> None:
    check = BackupCheck(
        restic_set(tmp_path / "none", password_env="PW"), values={**os.environ, "PW": PASSWORD}
    )
    reading = check.poll()
    assert reading.state == "error"
    assert reading.detail.startswith("restic: unable to open config file")


def test_an_empty_repository_is_missing(tmp_path: Path, restic_env: dict[str, str]) -> None:
    restic(restic_env, tmp_path / "empty", "init")
    check = BackupCheck(
        restic_set(tmp_path / "empty", password_env="PW"), values={**os.environ, "PW": PASSWORD}
    )
    reading = check.poll()
    assert (reading.state, reading.detail) == ("missing", "no snapshots")


def test_restic_not_installed_is_an_error(tmp_path: Path) -> None:
    empty = tmp_path / "bin"
    empty.mkdir()
    check = BackupCheck(
        restic_set(tmp_path / "repo", password_env="PW"),
        values={"PATH": str(empty), "PW": PASSWORD},
    )
    reading = check.poll()
    assert (reading.state, reading.detail) == ("error", "restic not installed")


def test_the_password_never_reaches_restics_argument_list(
    repo: Path, tmp_path: Path, restic_env: dict[str, str]
) -> None:
    """A restic on PATH that records what it was given, then runs the real one."""
    real = shutil.which("restic")
    shim = tmp_path / "shim"
    shim.mkdir()
    record = tmp_path / "record"
    (shim / "restic").write_text(
        f'#!/bin/bash\nprintf "%s\\n" "$@" > {record}\n'
        f'printf "pw=%s repo=%s\\n" "$RESTIC_PASSWORD" "$RESTIC_REPOSITORY" >> {record}\n'
        f'exec {real} "$@"\n'
    )
    (shim / "restic").chmod(0o755)
    values = {**os.environ, "PATH": f"{shim}:{os.environ['PATH']}", "PW": PASSWORD}
    reading = BackupCheck(restic_set(repo, password_env="PW"), values=values).poll()
    assert reading.state == "ok"
    lines = record.read_text().splitlines()
    assert lines[:-1] == ["snapshots", "--json", "--no-lock", "--quiet"]
    assert lines[-1] == f"pw={PASSWORD} repo={repo}"


def test_restic_json_is_read_as_it_streams_in_any_cut() -> None:
    """Debian's 0.14 writes no `summary`; newer ones do: only `time` is read."""
    listed = [
        {"time": "2026-11-30T02:00:00.123456789+01:00", "id": "a" * 64, "paths": ["/srv"]},
        {
            "time": "2026-11-30T03:00:00.5Z",
            "id": "b" * 64,
            "summary": {"total_bytes_processed": 123},
        },
    ]
    data = json.dumps(listed).encode() + b"\n"
    for cut in range(len(data) + 1):
        scan = SnapshotScan()
        scan.feed(data[:cut])
        scan.feed(data[cut:])
        assert scan.finish() is None
        assert scan.count == 2
        assert scan.newest == pytest.approx(1796007600.5)


@pytest.mark.parametrize(
    ("output", "problem"),
    [
        (b'{"time": 1}', "its output is not a JSON list"),
        (b'[{"time": "2026-11-30T03:00:00Z"}', "its JSON output was cut short"),
        (b'[{"id": "x"}]', "a snapshot without a time"),
        (b'[{"time": "yesterday"}]', "a snapshot time that is not ISO 8601: yesterday"),
    ],
)
def test_restic_output_that_is_not_a_snapshot_list_says_so(output: bytes, problem: str) -> None:
    scan = SnapshotScan()
    scan.feed(output)
    found = scan.finish()
    assert found is not None and found.startswith(problem)
