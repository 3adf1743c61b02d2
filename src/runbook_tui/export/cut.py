"""Long output cut to its head and tail, in one pass and bounded memory.

`OutputCut` is fed the output chunk by chunk, as it streams from the journal. It keeps
the first `head` lines in a list and the last `tail` lines in a deque that drops the
oldest, each line cut to `line_chars` characters, and counts the rest: whatever the
output's size, it holds at most (head + tail + 1) * line_chars characters. Lines are
split on LF only and kept raw (escape sequences, CR), for the formats to render.

A chunk's lines are found with C-level string methods (`count`, `split` and `rsplit`
with a limit), so the lines in the middle of a 64 KiB chunk are counted, never made
into objects one by one.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass

from runbook_tui.export import literals

HEAD_LINES = 40
TAIL_LINES = 60
LINE_CHARS = 500
# Output held back, undecoded, in case it is part of the tail (see cut_literals).
HELD_BYTES = 4 * 1024 * 1024


@dataclass(frozen=True)
class Line:
    """A line as kept: its first characters, and how many more it had."""

    text: str
    cut_chars: int = 0


@dataclass(frozen=True)
class CutOutput:
    """What a cut kept. `omitted` lines were between `head` and `tail`; `total` is every
    line (a last line without a newline counts); `ends_with_newline` as the output did."""

    head: tuple[Line, ...]
    tail: tuple[Line, ...]
    omitted: int
    total: int
    ends_with_newline: bool

    @property
    def lines(self) -> tuple[Line, ...]:
        return self.head + self.tail


class OutputCut:
    def __init__(
        self, head: int = HEAD_LINES, tail: int = TAIL_LINES, line_chars: int = LINE_CHARS
    ) -> None:
        self._head_max = head
        self._line_chars = line_chars
        self._head: list[Line] = []
        # Lines as they came (str), or cut (Line); made Lines at the end.
        self._tail: deque[str | Line] = deque(maxlen=tail)
        self._tail_max = tail
        self._lines = 0  # complete lines seen
        self._partial: list[str] = []  # the line being read, at most line_chars
        self._partial_len = 0
        self._partial_cut = 0  # characters of it past line_chars
        self._last_char = ""

    def feed(self, text: str) -> None:
        if not text:
            return
        self._last_char = text[-1]
        first = text.find("\n")
        if first < 0:
            self._extend(text)
            return
        self._extend(text[:first])
        self._push(self._take_partial())
        last = text.rfind("\n")
        self._extend(text[last + 1 :])
        if last == first:
            return
        body = text[first + 1 : last]  # `count` complete lines, LF between them
        count = body.count("\n") + 1
        need = self._head_max - len(self._head)
        if need > 0:
            parts = body.split("\n", need)
            for part in parts[:need]:
                self._push(self._line(part))
            if len(parts) <= need:
                return
            body = parts[need]
            count -= need
        if self._tail_max == 0:
            self._lines += count
            return
        # Only the last `tail` of the remaining lines can still be shown: they go in
        # whole (deque.extend, no call per line) unless one is too long.
        parts = body.rsplit("\n", self._tail_max)
        if len(parts) > self._tail_max:
            parts = parts[1:]
        self._lines += count
        if max(map(len, parts)) > self._line_chars:
            self._tail.extend([self._line(p) for p in parts])
        else:
            self._tail.extend(parts)

    def finish(self) -> CutOutput:
        """The cut, with the last line (one without a newline) counted in."""
        if self._partial_len or self._partial_cut:
            self._push(self._take_partial())
        total = self._lines
        shown = len(self._head) + len(self._tail)
        return CutOutput(
            head=tuple(self._head),
            tail=tuple(Line(t) if isinstance(t, str) else t for t in self._tail),
            omitted=total - shown,
            total=total,
            ends_with_newline=self._last_char == "\n",
        )

    @property
    def head_full(self) -> bool:
        return len(self._head) >= self._head_max

    def skip(self, newlines: int) -> None:
        """Count a piece of output holding `newlines` LFs without reading it. Only for
        a piece no shown line is in: after the head is full, and with more than `tail`
        LFs still to come; the line it ends in (or is inside) is never shown."""
        self._lines += newlines
        self._partial = []
        self._partial_len = 0
        self._partial_cut = 0

    # -- internals -------------------------------------------------------------------

    def _line(self, text: str) -> Line:
        if len(text) > self._line_chars:
            return Line(text[: self._line_chars], len(text) - self._line_chars)
        return Line(text)

    def _push(self, line: Line) -> None:
        self._lines += 1
        if len(self._head) < self._head_max:
            self._head.append(line)
        else:
            self._tail.append(line)

    def _extend(self, text: str) -> None:
        if not text:
            return
        room = self._line_chars - self._partial_len
        if room > 0:
            piece = text[:room]
            self._partial.append(piece)
            self._partial_len += len(piece)
        self._partial_cut += max(0, len(text) - max(room, 0))

    def _take_partial(self) -> Line:
        line = Line("".join(self._partial), self._partial_cut)
        self._partial = []
        self._partial_len = 0
        self._partial_cut = 0
        return line


def cut_literals(
    pieces: Iterable[bytes],
    head: int = HEAD_LINES,
    tail: int = TAIL_LINES,
    line_chars: int = LINE_CHARS,
) -> CutOutput:
    """The cut of output given as JSON string literals (session/journal.py
    `read_output_literals`), decoding only what may be shown: the pieces until the
    head is full, and the last ones, which hold at least `tail` + 1 LFs (held back
    undecoded until later pieces show they are not needed). Pieces in between are
    counted in their literal (export/literals.py). At most HELD_BYTES are held back;
    past that the oldest is decoded and fed as usual."""
    cutter = OutputCut(head, tail, line_chars)
    held: deque[tuple[bytes, int]] = deque()
    held_lfs = 0
    held_bytes = 0
    for piece in pieces:
        if not cutter.head_full:
            cutter.feed(literals.decode(piece))
            continue
        lfs = literals.newlines(piece)
        if lfs is None:
            lfs = literals.decode(piece).count("\n")
        held.append((piece, lfs))
        held_lfs += lfs
        held_bytes += len(piece)
        # What the later pieces make sure is not shown is counted and let go.
        while held_lfs - held[0][1] > tail:
            passed, gone = held.popleft()
            held_lfs -= gone
            held_bytes -= len(passed)
            cutter.skip(gone)
        while held_bytes > HELD_BYTES and len(held) > 1:
            piece, lfs = held.popleft()
            held_lfs -= lfs
            held_bytes -= len(piece)
            cutter.feed(literals.decode(piece))
    for piece, _lfs in held:
        cutter.feed(literals.decode(piece))
    return cutter.finish()
