"""The terminal every end-to-end test drives: a fresh tmux server, killed afterwards.
A test module sets `TMUX_SIZE = (width, height)` for another size than 100x30."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .tmux import Tmux


@pytest.fixture
def tmux(request: pytest.FixtureRequest) -> Iterator[Tmux]:
    width, height = getattr(request.module, "TMUX_SIZE", (100, 30))
    term = Tmux(width=width, height=height)
    try:
        yield term
    finally:
        term.kill()
