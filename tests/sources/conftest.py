"""Real things for the sources to look at: HTTP and TCP servers on 127.0.0.1 started
here, a port nothing listens on, a listener that accepts and never answers."""

from __future__ import annotations

import http.server
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        status = {"/ok": 200, "/moved": 301, "/broken": 500, "/teapot": 418}.get(self.path, 404)
        self.send_response(status)
        if status == 301:
            self.send_header("Location", "/ok")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


@dataclass
class Server:
    url: str
    port: int


@pytest.fixture
def http_server() -> Iterator[Server]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    port = server.server_address[1]
    try:
        yield Server(f"http://127.0.0.1:{port}", port)
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def silent_listener() -> Iterator[Server]:
    """Accepts connections (the kernel does, from its backlog) and never answers."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    port = sock.getsockname()[1]
    try:
        yield Server(f"http://127.0.0.1:{port}", port)
    finally:
        sock.close()


@pytest.fixture
def closed_port() -> int:
    """A port nothing listens on: bound and closed again, so it was free a moment ago
    (and nothing here listens on ports it did not choose)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return port


def wait_until(condition: Callable[[], bool], guard: float = 30.0) -> bool:
    """Poll `condition` until it holds; the deadline only guards against a hang."""
    deadline = time.monotonic() + guard
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


class Web:
    """An HTTP server on 127.0.0.1 that can be stopped and started again on its port;
    its reason phrase is `reason` (a check's detail shows it)."""

    def __init__(self, reason: str = "OK") -> None:
        self.reason = reason
        self.port = 0
        self._server: http.server.ThreadingHTTPServer | None = None
        self.start()

    def start(self) -> None:
        web = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.send_response(200, web.reason)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: object) -> None:
                pass

        http.server.ThreadingHTTPServer.allow_reuse_address = True
        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None


@pytest.fixture
def web() -> Iterator[Web]:
    server = Web()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def listener() -> Iterator[int]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    try:
        yield sock.getsockname()[1]
    finally:
        sock.close()
