"""`make screenshot`: docs/screenshot.svg, the walk screen as the app draws it, halfway
through the bundled deploy against a fresh demo sandbox (the README shows it).

It runs the real app (Textual's test pilot, no terminal), the real shop and real steps;
only the size of the screen is chosen."""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path

from runbook_tui.demo import sandbox
from runbook_tui.demo.bundled import runbooks_dir
from runbook_tui.runbook.parser import load

# Wide enough for the evidence column beside the walk (160 columns and more).
SIZE = (164, 40)
# What the screenshot waits for: the shop's health and its log, read live (the backups
# are looked at once a minute: the one the deploy just took comes later); and the
# step's end on the status line.
SHOWN = ("HTTP&#160;200", "listening&#160;on")
GONE = ("Running:",)
WAIT_SECONDS = 20.0
OUT = Path(__file__).resolve().parent.parent / "docs" / "screenshot.svg"


def ready(svg: str) -> bool:
    return all(part in svg for part in SHOWN) and not any(part in svg for part in GONE)


async def shoot(box: sandbox.Sandbox, out: Path) -> None:
    from runbook_tui.tui.app import RunbookApp
    from runbook_tui.tui.walk import WalkScreen

    runbook = load(runbooks_dir() / "deploy.md").runbook
    values = {"RELEASE": "v2", "PORT": str(box.port), "SANDBOX": str(box.root)}
    app = RunbookApp(home=box.root, runbook=runbook, variables=values, workdir=box.root)
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        assert isinstance(screen, WalkScreen)
        await screen.wait_until(lambda: screen.started)
        # The manual step, the preflight and the backup.
        for step_id in [step.id for step in runbook.main_steps[:3]]:
            screen.query_one("#steps").select_step(step_id)
            await pilot.pause()
            await pilot.press("enter")
            await screen.wait_until(lambda sid=step_id: screen.status_of(sid) == "succeeded")
        # The panels fill as their sources report: wait until they show the shop.
        deadline = time.monotonic() + WAIT_SECONDS
        while not ready(app.export_screenshot()):
            if time.monotonic() > deadline:
                raise SystemExit(f"the evidence panels never showed {SHOWN}")
            await pilot.pause(0.1)
        app.save_screenshot(filename=out.name, path=str(out.parent))
        app.exit()  # the session stays behind in the temporary folder, removed below


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="runbook-tui-screenshot-") as tmp:
        box = sandbox.create(Path(tmp) / "sandbox")
        os.environ.update(box.environment())
        try:
            if box.servicectl("start") != 0:
                return 1
            asyncio.run(shoot(box, OUT))
        finally:
            sandbox.stop_service(box.root, say=lambda _: None)
    print(f"wrote {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
