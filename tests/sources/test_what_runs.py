"""Issue 10, "What runs, and when": `check`, `show` and the picker never run anything a
runbook declares (no command check, no command log, not even an http or tcp check);
`status` runs them because it is asked to. Real processes, a real listener on
127.0.0.1: a check that connected would be waiting in its backlog."""

from __future__ import annotations

import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture
def backlog() -> Iterator[socket.socket]:
    """A listener nobody accepts from: every connection made to it stays queued."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    sock.setblocking(False)
    try:
        yield sock
    finally:
        sock.close()


def connections(sock: socket.socket) -> int:
    count = 0
    while True:
        try:
            conn, _ = sock.accept()
        except BlockingIOError:
            return count
        conn.close()
        count += 1


def declaring_book(tmp_path: Path, port: int) -> Path:
    path = tmp_path / "book.md"
    path.write_text(
        "---\ntitle: Declares\n"
        "services:\n"
        f"  - {{name: web, http: 'http://127.0.0.1:{port}/', timeout: 500ms}}\n"
        f"  - {{name: port, tcp: '127.0.0.1:{port}'}}\n"
        "  - {name: mark, command: 'touch check-ran'}\n"
        "logs:\n  - {name: follow, command: 'touch log-ran; exec sleep 600'}\n"
        "---\n# Declares\n\n```sh\necho hi\n```\n"
    )
    return path


def tool(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "runbook_tui", *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )


def test_check_and_show_run_nothing_the_runbook_declares(
    tmp_path: Path, backlog: socket.socket
) -> None:
    book = declaring_book(tmp_path, backlog.getsockname()[1])
    for args in (("check", str(book)), ("show", str(book)), ("show", str(book), "--json")):
        done = tool(tmp_path, *args)
        assert done.returncode == 0, (args, done.stdout + done.stderr)
    assert connections(backlog) == 0
    assert not (tmp_path / "check-ran").exists() and not (tmp_path / "log-ran").exists()
    # The same file, to `status`: it runs them (the check against this very listener).
    done = tool(tmp_path, "status", str(book), "--home", str(tmp_path / "home"), "--wait", "1s")
    assert connections(backlog) == 2, done.stdout + done.stderr
    assert (tmp_path / "check-ran").exists() and (tmp_path / "log-ran").exists()
