"""trust.json: consent to a runbook's commands, remembered by sha256, written
atomically and privately, and a damaged file read as no consent."""

from __future__ import annotations

import json
import logging
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from runbook_tui.session import trust

SHA_A = "a" * 64
SHA_B = "b" * 64


def test_nothing_is_trusted_before_anything_is_remembered(tmp_path: Path) -> None:
    assert not trust.is_trusted(tmp_path, SHA_A)
    assert not trust.is_trusted(tmp_path, None)
    assert trust.read_trust(tmp_path).problem is None


def test_remember_trusts_that_sha_only_and_the_file_is_private(tmp_path: Path) -> None:
    entry = trust.remember(tmp_path, SHA_A, "alice", path="/srv/book.md")
    assert trust.is_trusted(tmp_path, SHA_A)
    assert not trust.is_trusted(tmp_path, SHA_B)
    path = tmp_path / "trust.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    doc = json.loads(path.read_text())
    assert doc["format"] == 1
    assert doc["runbooks"][SHA_A] == dict(entry)
    assert entry["operator"] == "alice" and entry["path"] == "/srv/book.md"
    assert entry["when"].endswith("Z")
    # No temporary file is left behind.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["trust.json", "trust.json.lock"]


def test_each_entry_holds_the_issues_keys_sha256_when_and_operator(tmp_path: Path) -> None:
    """Issue 10: trust.json records "sha256, when, operator" (a contract: these keys,
    as written); the entry is also found under its sha256."""
    trust.remember(tmp_path, SHA_A, "alice", path="/srv/book.md")
    entry = json.loads((tmp_path / "trust.json").read_text())["runbooks"][SHA_A]
    assert list(entry) == ["sha256", "when", "operator", "path"]
    assert entry["sha256"] == SHA_A and entry["operator"] == "alice"
    assert entry["when"].endswith("Z") and "T" in entry["when"]


def test_a_second_runbook_keeps_the_first(tmp_path: Path) -> None:
    trust.remember(tmp_path, SHA_A, "alice")
    trust.remember(tmp_path, SHA_B, "bob")
    found = trust.read_trust(tmp_path)
    assert set(found.runbooks) == {SHA_A, SHA_B}
    assert found.entry(SHA_B)["operator"] == "bob"  # type: ignore[index]


REMEMBER = """
import sys
from runbook_tui.session import trust
home, n = sys.argv[1], int(sys.argv[2])
for i in range(20):
    trust.remember(home, f"{n:02d}{i:062d}", f"op{n}")
"""


def test_walks_allowing_at_once_in_other_processes_lose_nothing(tmp_path: Path) -> None:
    procs = [
        subprocess.Popen([sys.executable, "-c", REMEMBER, str(tmp_path), str(n)]) for n in range(4)
    ]
    assert [p.wait(timeout=120) for p in procs] == [0, 0, 0, 0]
    assert len(trust.read_trust(tmp_path).runbooks) == 80


@pytest.mark.parametrize(
    "content",
    [b"{not json", b"[1, 2]", b'{"runbooks": 3}', b"\xff\xfe", b""],
    ids=["torn", "a-list", "wrong-shape", "not-utf8", "empty"],
)
def test_a_damaged_file_is_no_consent_and_the_log_says_so(
    tmp_path: Path, content: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / "trust.json").write_bytes(content)
    with caplog.at_level(logging.WARNING, logger="runbook_tui.session.trust"):
        assert not trust.is_trusted(tmp_path, SHA_A)
    found = trust.read_trust(tmp_path)
    assert found.problem is not None and "damaged" in found.problem
    assert any("damaged" in r.getMessage() for r in caplog.records)


def test_a_damaged_file_is_set_aside_when_consent_is_next_remembered(tmp_path: Path) -> None:
    (tmp_path / "trust.json").write_bytes(b'{"runbooks": {"' + SHA_B.encode() + b'": {')
    trust.remember(tmp_path, SHA_A, "alice")
    assert trust.is_trusted(tmp_path, SHA_A)
    assert trust.read_trust(tmp_path).problem is None
    assert (tmp_path / "trust.json.damaged").read_bytes().startswith(b'{"runbooks"')


def test_entries_that_are_not_objects_are_left_out(tmp_path: Path) -> None:
    doc = {"format": 1, "runbooks": {SHA_A: "yes", SHA_B: {"at": "x", "operator": "b"}}}
    (tmp_path / "trust.json").write_text(json.dumps(doc))
    assert not trust.is_trusted(tmp_path, SHA_A)
    assert trust.is_trusted(tmp_path, SHA_B)


def test_a_file_larger_than_any_real_one_is_not_read(tmp_path: Path) -> None:
    with open(tmp_path / "trust.json", "wb") as f:
        f.write(b'{"runbooks": {}, "pad": "')
        f.truncate(trust.MAX_BYTES + 10)
    found = trust.read_trust(tmp_path)
    assert found.problem is not None and "larger" in found.problem
