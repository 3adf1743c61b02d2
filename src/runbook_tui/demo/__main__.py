"""`python -m runbook_tui.demo DIR`: make a sandbox, start the demo app, open the UI."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from pathlib import Path


def build_sandbox(root: Path, port: int) -> Path:
    """A fresh app, backups and runbooks folder under `root`; `root/state` (the
    sessions) is kept between demos so the picker shows the history."""
    for name in ("app", "backups", "runbooks"):
        shutil.rmtree(root / name, ignore_errors=True)
    app = root / "app"
    for sub in ("releases/41", "data", "logs"):
        (app / sub).mkdir(parents=True, exist_ok=True)
    (app / "releases/41/VERSION").write_text("41\n")
    (app / "data/users.csv").write_text("id,name\n1,ada\n2,grace\n")
    (app / "logs/app.log").write_text("demo app started\n")
    (app / "current").symlink_to("releases/41")
    (root / "backups").mkdir()
    runbooks = root / "runbooks"
    runbooks.mkdir()
    template = resources.files("runbook_tui.demo").joinpath("deploy-demo.md").read_text()
    target = runbooks / "deploy-demo.md"
    target.write_text(template.replace("{{PORT}}", str(port)))
    (root / "state").mkdir(mode=0o700, exist_ok=True)
    return target


def start_app(log_path: Path) -> ThreadingHTTPServer:
    """The demo's web app: /health answers ok and each request is logged."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            ok = self.path == "/health"
            body = b"ok\n" if ok else b"not found\n"
            self.send_response(200 if ok else 404)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            with log_path.open("a") as f:
                f.write(f"GET {self.path} {200 if ok else 404}\n")

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def main(argv: list[str]) -> int:
    root = Path(argv[0] if argv else ".demo").resolve()
    root.mkdir(parents=True, exist_ok=True)
    (root / "app/logs").mkdir(parents=True, exist_ok=True)
    server = start_app(root / "app/logs/app.log")
    runbook = build_sandbox(root, server.server_address[1])
    env = dict(os.environ)
    env["RUNBOOK_TUI_HOME"] = str(root / "state")
    env.setdefault("DEMO_DEPLOY_TOKEN", "demo-" + os.urandom(6).hex())
    cmd = [sys.executable, "-m", "runbook_tui", str(runbook.relative_to(root))]
    if not sys.stdin.isatty():
        cmd = [sys.executable, "-m", "runbook_tui", "show", str(runbook)]
    print(f"demo sandbox: {root}")
    try:
        return subprocess.call(cmd, cwd=root, env=env)
    finally:
        server.shutdown()


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
