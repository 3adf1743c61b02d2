"""Start-up runs without the cyclic garbage collector; every command gets it back."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path

import pytest

from runbook_tui.cli import main, startup


@pytest.fixture(autouse=True)
def _collector_restored() -> Iterator[None]:
    yield
    gc.unfreeze()
    gc.enable()


def test_a_headless_command_runs_with_the_collector_and_main_leaves_it_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[bool] = []
    from runbook_tui.cli import check

    real = check.handle

    def handle(args: object) -> int:
        seen.append(gc.isenabled())
        return real(args)  # type: ignore[arg-type]

    book = tmp_path / "book.md"
    book.write_text("# Book\n\n```sh\necho hi\n```\n")
    monkeypatch.setattr(check, "handle", handle)  # main registers the handlers anew
    assert main(["check", str(book)]) == 0
    assert seen == [True]
    assert gc.isenabled()


def test_main_leaves_the_collector_on_even_when_the_command_fails() -> None:
    with pytest.raises(SystemExit):
        main(["check"])  # missing FILE: argparse exits
    assert gc.isenabled()


async def test_the_ui_turns_the_collector_back_on_after_its_first_frame(
    tmp_path: Path,
) -> None:
    from runbook_tui.runbook.parser import load
    from runbook_tui.tui.app import RunbookApp

    book = tmp_path / "book.md"
    book.write_text("# Book\n\n```sh\necho hi\n```\n")
    runbook = load(book).runbook
    assert runbook is not None
    startup.begin()
    assert not gc.isenabled()
    app = RunbookApp(home=tmp_path / "home", runbook=runbook, after_first_frame=startup.ui_done)
    async with app.run_test() as pilot:
        await pilot.pause()
        assert gc.isenabled()
        assert gc.get_freeze_count() > 0  # what start-up built is left out of collections
