"""Masking secrets before anything is written or shown.

`Redactor` masks the values of secret variables (exact substrings) and built-in token
shapes. `StreamMasker` does the same to a stream of chunks, holding back just enough of
the tail that a secret split across chunks, or broken up by ANSI escape sequences, is
still masked. Matching is done on the text with escape sequences removed; the sequences
inside a masked span are kept after the mask so colours stay balanced.
"""

from __future__ import annotations

import base64
import json
import re
import threading
import weakref
from bisect import bisect_right
from collections.abc import Callable, Iterable
from functools import cache
from typing import Any
from urllib.parse import quote, quote_plus

from runbook_tui.session.escapes import CSI_RE, ESCAPE_RE, NON_CSI_ESCAPE_RE

MASK = "********"
# Shorter values are listed in `too_short`; see the class docstring for what happens.
MIN_SECRET_LENGTH = 6
# Short values of at least this length are still masked where they stand as whole words.
MIN_WORD_SECRET_LENGTH = 3

# What the end of a chunk looks like when an escape sequence is cut in two.
_ESC_PARTIAL_RE = re.compile(r"\x1b(?:\[[0-?]*[ -/]*|\][^\x07\x1b]{0,4096}\x1b?|[()])?\Z")

_VALUE = r"[^\s\"',;&]{1,4096}"
_TOKEN_SHAPES = (
    # Private key blocks: the body is masked, the BEGIN/END lines stay to show what it was.
    # Without an END (yet) everything after BEGIN is masked, bounded.
    r"-----BEGIN[A-Z0-9 ]{0,40}PRIVATE KEY-----"
    r"(?P<pem>[\s\S]{1,20000}?(?=-----END[A-Z0-9 ]{0,40}PRIVATE KEY-----)|[\s\S]{1,20000})",
    r"(?i:\bauthorization\b[\"']?[ \t]*[:=][ \t]*[\"']?"
    r"(?:(?:bearer|basic|token|digest|negotiate)[ \t]+)?)(?P<auth>[^\s\"',;]{1,4096})",
    r"(?i:\bbearer[ \t]+)(?P<bearer>[A-Za-z0-9\-._~+/]{8,4096}=*)",
    # name=value / name: value / "name": "value" where the name mentions a credential.
    # A value that starts with $ is a shell variable reference, not a secret.
    r"(?i:(?:password|passwd|passphrase|secret|token|api[_-]?key|access[_-]?key"
    r"|private[_-]?key|credentials?)[A-Za-z0-9_.-]{0,64})[\"']?[ \t]*[:=][ \t]*"
    r"(?:\"(?P<kvdq>(?!\$)[^\"\n]{1,4096})\"|'(?P<kvsq>[^'\n]{1,4096})'"
    rf"|(?P<kv>(?!\$){_VALUE}))",
    r"(?i:--(?:password|passwd|token|secret|api-key)[ \t]+)(?P<flag>(?![-$])[^\s\"']{1,4096})",
    r"(?P<aws>\b(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}\b)",
    r"(?P<gh>\b(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255}))",
    r"(?P<glpat>\bglpat-[A-Za-z0-9_-]{20,255})",
    r"(?P<slack>\bxox[baprs]-[A-Za-z0-9-]{10,255})",
    r"(?P<jwt>\beyJ[A-Za-z0-9_-]{4,4096}\.eyJ[A-Za-z0-9_-]{4,8192}\.[A-Za-z0-9_-]{0,4096})",
    r"(?P<gcp>\bAIza[0-9A-Za-z_-]{35})",
    r"(?P<stripe>\b[rs]k_live_[0-9A-Za-z]{16,255})",
)
_SHAPE_GROUPS = (
    "pem",
    "auth",
    "bearer",
    "kvdq",
    "kvsq",
    "kv",
    "flag",
    "aws",
    "gh",
    "glpat",
    "slack",
    "jwt",
    "gcp",
    "stripe",
)


@cache
def _token_shapes() -> re.Pattern[str]:
    """All token shapes as one regex, compiled the first time a trigger is seen: text
    without one (most runbooks, most output) never needs it, and compiling it took
    ~4 ms of every start."""
    return re.compile("|".join(_TOKEN_SHAPES))


_TRIGGERS = (
    "eyj", "akia", "asia", "abia", "acca", "ghp_", "gho_", "ghu_", "ghs_", "ghr_",
    "github_pat_", "glpat-", "xoxb-", "xoxa-", "xoxp-", "xoxr-", "xoxs-", "-----begin",
    "bearer", "authoriz", "pass", "secret", "token", "apikey", "api_key", "api-key",
    "access_key", "access-key", "private_key", "private-key", "credential", "aiza",
    "rk_live_", "sk_live_",
)  # fmt: skip


def _trie(words: Iterable[str], caseless: bool) -> str:
    """`words` as one alternation grouped by first letter, every branch starting with a
    literal: the re module then skips quickly over text that cannot start a match (which
    IGNORECASE or a leading character class would prevent: 25x slower on `seq` output),
    and tries each first letter once rather than once per word. `caseless` spells each
    letter as a class; otherwise the text is expected lower-cased, and the plain literals
    also let a branch be skipped on its first character (about 40% faster again)."""

    def spell(text: str) -> str:
        if not caseless:
            return re.escape(text)
        return "".join(f"[{c.lower()}{c.upper()}]" if c.isalpha() else re.escape(c) for c in text)

    groups: dict[str, set[str]] = {}
    for word in words:
        groups.setdefault(word[0].lower(), set()).add(word[1:].lower())
    branches = []
    for first, rests in sorted(groups.items()):
        inner = "|".join(spell(rest) for rest in sorted(rests, key=lambda r: (-len(r), r)))
        variants = sorted({first, first.upper()}) if caseless else [first]
        branches.extend(f"{re.escape(v)}(?:{inner})" for v in variants)
    return "|".join(branches)


# Every token shape starts at one of these (the `--password` flag two characters before):
# shapes are only tried where a trigger is. StreamMasker also holds back a tail that
# starts with a trigger.
_TRIGGER_LOWER_RE = re.compile(_trie(_TRIGGERS, caseless=False))


@cache
def _caseless_triggers() -> re.Pattern[str]:
    """For text whose lower-casing changes its length (a few characters such as İ).
    Compiled on first use: it is rarely needed, and compiling it took ~4 ms of every
    start."""
    return re.compile(_trie(_TRIGGERS, caseless=True))


# Every trigger holds one of these characters. Looking for each with `in` is a memchr
# pass, so text without any (digits, `seq`, a long run of one letter) is not searched
# for triggers at all: the regex search costs per position whose character could start
# a trigger, badly so in text made mostly of such characters ("aaaa...").
_TRIGGER_GATE = tuple("jkxz_-bcsJKXZBCS")

# The longest trigger is shorter than this: a tail this long may hold a cut-off trigger.
_TRIGGER_TAIL = 16
# How far back a trigger keeps the stream held: token shapes are shorter than this
# (a longer match still in progress is held by the span rule in StreamMasker).
SHAPE_WINDOW = 8192
# Beyond this much held text (only reachable with a flood of escape sequences), emit.
MAX_HOLD = 256 * 1024


# An OSC sequence (window title, hyperlink): introducer, payload, terminator.
_OSC_RE = re.compile(r"(\x1b\])([^\x07\x1b]{1,4096})(\x07|\x1b\\)")


class _View:
    """The text with escape sequences removed, and the way back to raw positions."""

    __slots__ = ("plain", "raw", "raw_starts", "text", "vis_starts")

    def __init__(self, raw: str, escapes: re.Pattern[str] = ESCAPE_RE) -> None:
        self.raw = raw
        self.vis_starts: list[int] = []
        self.raw_starts: list[int] = []
        self.plain = "\x1b" not in raw
        if self.plain:
            self.text = raw
            return
        pieces: list[str] = []
        pos = vis = 0
        for m in escapes.finditer(raw):
            if m.start() > pos:
                self.vis_starts.append(vis)
                self.raw_starts.append(pos)
                pieces.append(raw[pos : m.start()])
                vis += m.start() - pos
            pos = m.end()
        if pos < len(raw):
            self.vis_starts.append(vis)
            self.raw_starts.append(pos)
            pieces.append(raw[pos:])
        self.text = "".join(pieces)

    def raw_index(self, vis: int) -> int:
        """Raw position of visible character `vis` (the raw length for the end)."""
        if self.plain:
            return vis
        if vis >= len(self.text):
            return len(self.raw)
        k = bisect_right(self.vis_starts, vis) - 1
        return self.raw_starts[k] + (vis - self.vis_starts[k])

    def vis_index(self, raw: int) -> int:
        """Visible index of the first visible character at or after raw position `raw`."""
        if self.plain:
            return raw
        k = bisect_right(self.raw_starts, raw) - 1
        nxt = self.vis_starts[k + 1] if k + 1 < len(self.vis_starts) else len(self.text)
        if k >= 0 and raw - self.raw_starts[k] < nxt - self.vis_starts[k]:
            return self.vis_starts[k] + (raw - self.raw_starts[k])
        return nxt

    def raw_span(self, start: int, end: int) -> tuple[int, int]:
        return self.raw_index(start), self.raw_index(end - 1) + 1


# What `printf %q` puts a backslash before (bash 5; `#` and `~` only at the start, which
# leaves the rest of the form as computed here). Control characters make it use $'...'.
_Q_SPECIAL = frozenset(" !\"$&'()*,;<>?[\\]^`{|}")
_ANSI_C = {"\a": "\\a", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\v": "\\v", "\f": "\\f",
           "\r": "\\r", "\x1b": "\\E", "\\": "\\\\", "'": "\\'"}  # fmt: skip
# `base64` (coreutils) wraps its output at 76 columns.
_B64_WRAP = 76


def _ansi_c(value: str, utf8: bool) -> str:
    """The inside of bash's $'...' form: as a UTF-8 locale writes it (other characters
    as they are), or as the C locale does (every byte past ASCII in octal)."""
    out = []
    for c in value:
        if c in _ANSI_C:
            out.append(_ANSI_C[c])
        elif c < " " or c == "\x7f" or (not utf8 and c > "\x7f"):
            out.extend(f"\\{b:03o}" for b in c.encode("utf-8", "surrogatepass"))
        else:
            out.append(c)
    return "".join(out)


def _base64_forms(data: bytes) -> set[str]:
    """The base64 text (standard and URL-safe) of `data` whole, with and without its
    padding, the lines `base64` wraps it into, and, for `data` inside a longer encoded
    stream, the characters that depend on `data` alone at each of the three byte
    alignments it can start at."""
    forms: set[str] = set()
    for encode in (base64.b64encode, base64.urlsafe_b64encode):
        whole = encode(data).decode()
        forms |= {whole, whole.rstrip("=")}
        forms |= {whole[i : i + _B64_WRAP] for i in range(0, len(whole), _B64_WRAP)}
        for offset in range(3):
            # Character j holds bits [6j, 6j+6): those inside data's bits only.
            text = encode(b"\0" * offset + data + b"\0\0").decode()
            first, end = -(-8 * offset // 6), 8 * (offset + len(data)) // 6
            forms.add(text[first:end])
    return forms


def value_forms(value: str) -> set[str]:
    """`value` and the forms it is printed in by bash re-quoting it and by common
    encodings (docs/security.md lists them): what `declare -p`/`export -p` write
    between double quotes, `set -x` and `${V@Q}` between single quotes, `printf %q`
    with backslashes, $'...' (both locales); base64 (see `_base64_forms`), URL-encoded
    and JSON-escaped. Forms shorter than the value's own minimum are left out."""
    forms = {
        value,
        re.sub(r'([\\"$`])', r"\\\1", value),
        value.replace("'", "'\\''"),
        "".join("\\" + c if c in _Q_SPECIAL else c for c in value),
        _ansi_c(value, utf8=True),
        _ansi_c(value, utf8=False),
        json.dumps(value)[1:-1],
        json.dumps(value, ensure_ascii=False)[1:-1],
        quote(value),
        quote(value, safe=""),
        quote_plus(value),
    }
    if "\n" in value:  # printed raw through a pty, a newline arrives as CR LF
        forms |= {f.replace("\n", "\r\n") for f in (value, value.replace("'", "'\\''"))}
    data = value.encode("utf-8", "surrogatepass")
    forms |= _base64_forms(data) | _base64_forms(data + b"\n")
    return {f for f in forms if len(f) >= MIN_SECRET_LENGTH}


class Redactor:
    """Masks secret values and common token shapes with `********`.

    Values of at least 6 characters are masked wherever they occur. Shorter values are
    listed in `too_short` so the caller can warn; of those, values of 3 to 5 characters
    are still masked where they stand as a whole word (not next to a letter or digit),
    since masking every occurrence of, say, "abc" inside other words would garble output.
    Values of 1 or 2 characters are not masked at all.
    """

    def __init__(self, secrets: Iterable[str]) -> None:
        given = {s for s in secrets if s}
        self.too_short: list[str] = sorted(
            (s for s in given if len(s) < MIN_SECRET_LENGTH), key=lambda s: (-len(s), s)
        )
        # Each value long enough to be masked is also masked in its re-quoted and
        # encoded forms (value_forms).
        forms = {f for s in given if len(s) >= MIN_SECRET_LENGTH for f in value_forms(s)}
        values = sorted(forms | set(self.too_short), key=lambda s: (-len(s), s))
        alternatives = []
        for value in values:
            if len(value) >= MIN_SECRET_LENGTH:
                alternatives.append(re.escape(value))
            elif len(value) >= MIN_WORD_SECRET_LENGTH:
                # The word-boundary lookbehind comes after the literal so the pattern
                # still starts with one (see _trie for why that matters).
                esc = re.escape(value)
                alternatives.append(rf"{esc}(?<![A-Za-z0-9]{esc})(?![A-Za-z0-9])")
        # Longest first, so a secret that contains another is masked whole.
        self._secrets_re = re.compile("|".join(alternatives)) if alternatives else None
        self.longest = len(values[0]) if values else 0
        self._values = tuple(v for v in values if len(v) >= MIN_WORD_SECRET_LENGTH)
        # For the substring test before the regex: a value that holds another one
        # cannot be there without it (a base64 form holds its shorter core).
        anchors: list[str] = []
        for value in sorted(self._values, key=len):
            if not any(anchor in value for anchor in anchors):
                anchors.append(value)
        self._anchors = tuple(anchors)

    def mask(self, text: str) -> str:
        """Mask everything in `text`, taken as a whole."""
        if not text:
            return text
        view = _View(text)
        spans, _ = self._scan(view)
        return self.mask_inside_escapes(_rebuild(view, spans, len(text)) if spans else text)

    def mask_inside_escapes(self, out: str) -> str:
        """`out` (already masked as a terminal shows it) with any secret value still in
        its raw text masked too: one inside an escape sequence's payload (a window
        title, a hyperlink's URL) is invisible on screen, yet it would be stored. Token
        shapes are looked for in window titles and hyperlinks (OSC) too."""
        if "\x1b" not in out:
            return out
        if "\x1b]" in out:
            out = _OSC_RE.sub(lambda m: m[1] + self.mask(m[2]) + m[3], out)
        found = self._secret_spans(out)
        if not found:
            return out
        # An escape sequence holding (part of) a value goes whole: masked inside, it
        # would parse differently and could join what is around it into the value.
        escapes = [m.span() for m in ESCAPE_RE.finditer(out)]
        spans = []
        for start, end in found:
            for esc_start, esc_end in escapes:
                if esc_start < end and start < esc_end:
                    start, end = min(start, esc_start), max(end, esc_end)
            spans.append((start, end))
        spans = self._merge(spans)
        pieces: list[str] = []
        pos = 0
        for start, end in spans:
            pieces += (out[pos:start], MASK)
            pos = end
        pieces.append(out[pos:])
        return "".join(pieces)

    def _scan(self, view: _View, window: int | None = None) -> tuple[list[tuple[int, int]], int]:
        """Sorted, merged [start, end) spans of the visible text to mask, and where the
        first trigger at or after `window` is (len(text) if none): one pass for both.

        Secret values are looked for in the visible text (a value broken up by colour
        codes) and in the raw text too: a value may begin with characters that, after
        an ESC, read as an escape sequence (ESC then "@abc..."), and the raw text is
        what gets stored. When the text has escapes other than CSI, also in the text
        with only the CSI sequences taken out (ESC, then "@ab", a colour, "c..."): what
        a tool that strips colour codes shows."""
        text = view.text
        first_trigger = len(text)
        spans = self._secret_spans(text)
        if not view.plain and self._secrets_re is not None:
            raw_spans = self._secret_spans(view.raw)
            if NON_CSI_ESCAPE_RE.search(view.raw):
                colourless = _View(view.raw, CSI_RE)
                raw_spans += (
                    colourless.raw_span(start, end)
                    for start, end in self._secret_spans(colourless.text)
                )
            for raw_start, raw_end in raw_spans:
                start, end = view.vis_index(raw_start), view.vis_index(raw_end)
                if start < end:
                    spans.append((start, end))
        covered = 0
        if not any(c in text for c in _TRIGGER_GATE):
            return self._merge(spans), first_trigger
        lowered = text.lower()
        # lower() keeps positions except for a few characters (İ becomes two).
        triggers = (
            _TRIGGER_LOWER_RE.finditer(lowered)
            if len(lowered) == len(text)
            else _caseless_triggers().finditer(text)
        )
        for trigger in triggers:
            at = trigger.start()
            if window is not None and at >= window and first_trigger == len(text):
                # Hold a `--password` flag from its dashes, or it would not match later.
                first_trigger = at - 2 if at >= 2 and text.startswith("--", at - 2) else at
            if at < covered:
                continue  # inside a token already found (a key block's body)
            shapes = _token_shapes()
            m = None
            if at >= 2 and text.startswith("--", at - 2):
                m = shapes.match(text, at - 2)
            if m is None:
                m = shapes.match(text, at)
            if m is None:
                continue
            covered = m.end()
            for name in _SHAPE_GROUPS:
                if m.group(name) is not None:
                    spans.append(m.span(name))
                    break
        return self._merge(spans), first_trigger

    def _secret_spans(self, text: str) -> list[tuple[int, int]]:
        spans: list[tuple[int, int]] = []
        rx = self._secrets_re
        # A substring test per value (fast, C) before the regex, which is slow on text
        # made of characters a value starts with.
        if rx is not None and any(anchor in text for anchor in self._anchors):
            # Overlapping occurrences too: the search restarts one character in.
            m = rx.search(text)
            while m is not None:
                spans.append(m.span())
                m = rx.search(text, m.start() + 1)
        return spans

    @staticmethod
    def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
        if not spans:
            return spans
        spans.sort()
        merged = [spans[0]]
        for start, end in spans[1:]:
            last_start, last_end = merged[-1]
            if start <= last_end:
                if end > last_end:
                    merged[-1] = (last_start, end)
            else:
                merged.append((start, end))
        return merged


def mask_strings(value: Any, mask: Callable[[str], str], keep: frozenset[str] = frozenset()) -> Any:
    """`value` with every string in it masked: dict values and list items too, however
    deep. A top-level key in `keep` keeps its value as is (identifiers the fold matches
    on); deeper down everything is masked (a variable may be called `kind`)."""
    if isinstance(value, str):
        return mask(value)
    if isinstance(value, dict):
        return {k: (v if k in keep else mask_strings(v, mask)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [mask_strings(v, mask) for v in value]
    return value


# The redactors of the sessions open in this process, for what is written outside a
# session's own journal (the tool's log). Weak: a redactor goes when its engine does.
_active: weakref.WeakSet[Redactor] = weakref.WeakSet()
_active_lock = threading.Lock()


def register(redactor: Redactor) -> None:
    """Mask `redactor`'s secrets in `mask_active` (the tool's log) while it lives."""
    with _active_lock:
        _active.add(redactor)


def mask_active(text: str) -> str:
    """`text` masked with every registered redactor."""
    with _active_lock:
        redactors = list(_active)
    for redactor in redactors:
        text = redactor.mask(text)
    return text


def _rebuild(view: _View, spans: list[tuple[int, int]], raw_limit: int) -> str:
    """The raw text up to `raw_limit` with each (visible) span replaced by the mask; escape
    sequences inside a span are kept after the mask."""
    raw = view.raw
    out: list[str] = []
    pos = 0
    for start, end in spans:
        rs, re_ = view.raw_span(start, end)
        if rs >= raw_limit:
            break
        out.append(raw[pos:rs])
        out.append(MASK)
        inner = raw[rs:re_]
        if "\x1b" in inner:
            out.extend(m.group() for m in ESCAPE_RE.finditer(inner))
        pos = re_
    out.append(raw[pos:raw_limit])
    return "".join(out)


class StreamMasker:
    """Masks a stream of chunks. `feed` returns what is safe to show now; `flush` (at the
    end of the stream) returns the rest.

    Held back: the last (longest secret - 1) visible characters, at least a few in case a
    token's start is cut off, everything from a token-shape trigger within the last 8 KiB,
    and any match still running into the end (a key block whose END has not come yet).
    """

    def __init__(self, redactor: Redactor) -> None:
        self._redactor = redactor
        self._held = ""
        self._hold = max(redactor.longest - 1, _TRIGGER_TAIL)

    def feed(self, text: str) -> str:
        if not text:
            return ""
        buf = self._held + text if self._held else text
        # An escape sequence still arriving at the end is held whole and kept out of the
        # matching: counted as text it would shorten the held-back tail.
        end = len(buf)
        esc = buf.rfind("\x1b", max(0, end - 4200))
        if esc >= 0 and _ESC_PARTIAL_RE.match(buf, esc):
            end = esc
        view = _View(buf[:end])
        vis = view.text
        n = len(vis)
        spans, trigger = self._redactor._scan(view, max(0, n - SHAPE_WINDOW))
        cut = min(n - self._hold, trigger)
        for start, stop in spans:
            # A match running into the end may grow with the next chunk: hold it whole.
            if start < cut < stop or (start < cut and stop >= n):
                cut = start
                break
        if cut <= 0:
            if len(buf) > MAX_HOLD:
                return self._emit_all(buf)
            self._held = buf
            return ""
        # Cut right after the last emitted visible character: escape sequences before
        # the held text stay with it, since a value may start inside one (ESC then "@").
        raw_cut = view.raw_index(cut - 1) + 1
        if len(buf) - raw_cut > MAX_HOLD:
            return self._emit_all(buf)
        self._held = buf[raw_cut:]
        out = _rebuild(view, spans, raw_cut) if spans else buf[:raw_cut]
        return self._redactor.mask_inside_escapes(out)

    def flush(self) -> str:
        rest, self._held = self._held, ""
        return self._redactor.mask(rest)

    @property
    def holding(self) -> bool:
        return bool(self._held)

    def release_idle(self) -> str:
        """What may be shown when the stream has gone quiet: the held text, masked,
        except a tail that could still grow into a secret value (judged on the text as
        a terminal shows it, escape sequences removed, as well as raw). Without this, a
        line printed before a long pause (`echo started; sleep 600`) would stay hidden.

        The cost: a token *shape* (not a declared secret) printed in two writes with a
        pause between them is masked only in the part before the pause."""
        held = self._held
        if not held:
            return ""
        # An escape sequence still arriving stays held, and out of the judgement.
        end = len(held)
        esc = held.rfind("\x1b", max(0, end - 4200))
        if esc >= 0 and _ESC_PARTIAL_RE.match(held, esc):
            end = esc
        # The possible beginning of a value is looked for in the text as the masker
        # matches it: without escape sequences (a value broken up by colour codes), raw,
        # and with only colour codes removed (see Redactor._scan). Held is everything
        # from where the earliest such beginning starts, escapes inside it included;
        # a match already whole (a value whose end also begins it, `000000`) is emitted
        # masked, not cut in two.
        view = _View(held[:end])
        spans, _ = self._redactor._scan(view)
        raw_spans = [view.raw_span(start, stop) for start, stop in spans]

        def outside_matches(cut: int) -> int:
            for start, stop in raw_spans:
                if start < cut < stop:
                    return stop
            return cut

        cut = outside_matches(view.raw_index(self._prefix_start(view.text)))
        if not view.plain:
            cut = min(cut, outside_matches(self._prefix_start(view.raw)))
            if NON_CSI_ESCAPE_RE.search(view.raw):
                colourless = _View(view.raw, CSI_RE)
                start = colourless.raw_index(self._prefix_start(colourless.text))
                cut = min(cut, outside_matches(start))
        self._held = held[cut:]
        if cut == 0:
            return ""
        out = _rebuild(view, spans, cut) if spans else held[:cut]
        return self._redactor.mask_inside_escapes(out)

    def _prefix_start(self, text: str) -> int:
        """Where the longest tail of `text` that is the beginning (not the whole) of a
        secret value starts; len(text) if there is none."""
        keep = 0
        for secret in self._redactor._values:
            for k in range(min(len(secret) - 1, len(text)), keep, -1):
                if text.endswith(secret[:k]):
                    keep = k
                    break
        return len(text) - keep

    def _emit_all(self, buf: str) -> str:
        self._held = ""
        return self._redactor.mask(buf)
