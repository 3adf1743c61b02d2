"""The hand-over of live output to the view (tui/output_feed.py), without a UI."""

from __future__ import annotations

from runbook_tui.tui.output_feed import Chunk, OutputFeed, Writes


def chunks(step: str, attempt: int, *texts: str, start: int = 0) -> list[Chunk]:
    out, upto = [], start
    for text in texts:
        upto += len(text)
        out.append(Chunk(step, attempt, text, upto))
    return out


def test_only_the_shown_step_is_written_and_nothing_twice() -> None:
    feed = OutputFeed()
    a = chunks("a", 1, "one\n", "two\n", "three\n")
    # The view was filled from the stored output, which already held "one\ntw".
    feed.show("a", 1, upto=6)
    for chunk in (*a, *chunks("b", 1, "other\n")):
        feed.push(chunk)
    assert feed.take() == [Writes(False, "o\nthree\n")]
    assert feed.take() == []


def test_a_new_attempt_clears_the_view_first() -> None:
    feed = OutputFeed()
    feed.show("a", 1, upto=0)
    for chunk in (*chunks("a", 1, "old\n"), *chunks("a", 2, "new\n")):
        feed.push(chunk)
    assert feed.take() == [Writes(False, "old\n"), Writes(True, "new\n")]
    # A step_started event for an attempt already shown changes nothing.
    assert not feed.started("a", 2)
    assert feed.started("a", 3) and feed.upto == 0


def test_a_flood_between_two_flushes_keeps_at_most_the_limit_newest_first() -> None:
    feed = OutputFeed(limit=100)
    feed.show("a", 1, upto=0)
    for chunk in chunks("a", 1, *(f"{n:09d}\n" for n in range(30))):
        feed.push(chunk)
    [writes] = feed.take()
    assert 50 < len(writes.text) <= 100 and not writes.clear
    assert writes.text.endswith("000000029\n")
