"""Line hunks with word-level detail for display (pure).

Lines are compared after noise normalization (`normalize_line`: whitespace, quote and dash
variants, Markdown emphasis, link targets, HTML tags, heading anchors, trailing punctuation),
and blank lines are ignored, so noise never becomes a hunk. Hunks carry the raw lines.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterator, Sequence
from difflib import Match, SequenceMatcher
from functools import lru_cache
from itertools import zip_longest
from typing import Any

from watcher import textutil
from watcher.models import Hunk

# typography folded as everywhere (textutil.FOLD), and code backticks read as quotes
_fold = textutil.folder(extra={"`": "'"})
_TRAIL = " .,;:!"  # trailing punctuation and spaces, dropped
_LIST = re.compile(r"^(?:[-*+\u2022>]|\d{1,3}[.)]|[a-zA-Z][.)]|\([a-zA-Z0-9]{1,4}\)|#{1,6})\s+")
_WORD = re.compile(r"\w+")


@lru_cache(maxsize=65536)
def normalize_line(line: str) -> str:
    """A line with noise removed: what two versions must agree on to count as unchanged."""
    s = textutil.strip_inline(_fold(line))
    # whitespace runs -> one space, ends stripped (str.split's whitespace is re's \s, and
    # it is several times faster than a regex substitution on long lines)
    s = " ".join(s.split())
    if s.startswith("|"):
        s = " | ".join(c.strip() for c in s.strip("|").split("|"))
    # only spaces are left as whitespace: rstrip drops what `[\s.,;:!]+$` would
    return s.rstrip(_TRAIL)


def _line_words(s: str) -> list[str]:
    """The layout-free words of one normalized line (see `layout_key`)."""
    while True:
        m = _LIST.match(s)
        if not m:
            break
        s = s[m.end() :]
    if s.isascii():
        return _WORD.findall(s.lower())
    return [w.lower() for w in _WORD.findall(s)]


def layout_key(text: str) -> list[str]:
    """The words of the text without layout: list markers, heading levels, line breaks, case
    and punctuation. Equal layout keys = a cosmetic change at most."""
    out: list[str] = []
    for ln in text.splitlines():
        out.extend(_line_words(normalize_line(ln)))
    return out


_TOKEN = re.compile(r"\s+|\w+|[^\w\s]")
_LAZY = 8  # a token found more often than this in b is matched lazily (see _Matcher)


class _Matcher(SequenceMatcher):
    """`SequenceMatcher` (no junk) with the same results, faster on token lists.

    difflib's `find_longest_match` visits, for every a[i], every position of a[i] in b: with
    whitespace and punctuation tokens that is quadratic. Here the matches of a popular token
    (more than _LAZY positions in b) that do not extend a previous match (length 1) are left
    implicit: they are looked up when the next token needs them, and the matches of two
    popular tokens in a row are found by walking the shorter of their position lists. Lengths
    and tie-breaking (the longest match ending first, then the leftmost in b) are difflib's:
    `get_opcodes` returns identical opcodes (tests/test_diff.py checks it against difflib).

    On large ranges the longest match is first looked for from seeds (`_seeded`): when it is
    long, as it mostly is at the top of the recursion, that is exact and skips the scan.
    """

    # seeds: the runs of _SEED_W elements of a at every _SEED_STEP-th position, on ranges of
    # at least _SEED_MIN elements on both sides
    _SEED_STEP = 8
    _SEED_W = 8
    _SEED_MIN = 32
    _ajs: list[list[int]] | None = None
    _grams: dict[tuple[Any, ...], list[int]] | None = None

    def set_seq1(self, a: Any) -> None:
        self._ajs = None
        super().set_seq1(a)

    def set_seq2(self, b: Any) -> None:
        self._ajs = self._grams = None
        super().set_seq2(b)

    def _seeded(self, alo: int, ahi: int, blo: int, bhi: int) -> Match | None:
        """The longest match in range if it has at least _SEED_STEP + _SEED_W - 1 elements,
        else None. Such a match holds a seed (a run of _SEED_W elements of a starting at a
        multiple of _SEED_STEP), so extending, both ways, every place in b where a seed
        occurs finds every longest match; the first in a, then in b, is difflib's."""
        a, b, step, w = self.a, self.b, self._SEED_STEP, self._SEED_W
        grams = self._grams
        if grams is None:  # the positions in b of every run of w elements, once per matcher
            grams = self._grams = {}
            for j in range(len(b) - w + 1):
                grams.setdefault(tuple(b[j : j + w]), []).append(j)
        besti, bestj, bestsize = alo, blo, 0
        reach: dict[int, int] = {}  # diagonal j - i -> end in a of the run last extended on it
        for i in range(alo + (-alo) % step, ahi - w + 1, step):
            js = grams.get(tuple(a[i : i + w]))
            if not js:
                continue
            if js[0] < blo or js[-1] > bhi - w:
                js = js[bisect_left(js, blo) : bisect_right(js, bhi - w)]
            for j in js:
                if reach.get(j - i, -1) > i:
                    continue  # inside a run already extended from an earlier seed
                s, t = i, j
                while s > alo and t > blo and a[s - 1] == b[t - 1]:
                    s -= 1
                    t -= 1
                e, f = i + w, j + w
                while e < ahi and f < bhi and a[e] == b[f]:
                    e += 1
                    f += 1
                reach[j - i] = e
                k = e - s
                if k > bestsize or (k == bestsize and (s, t) < (besti, bestj)):
                    besti, bestj, bestsize = s, t, k
        if bestsize < step + w - 1:
            return None  # a shorter longest match may hold no seed: scan
        return Match(besti, bestj, bestsize)

    def find_longest_match(
        self, alo: int = 0, ahi: int | None = None, blo: int = 0, bhi: int | None = None
    ) -> Match:
        a, b = self.a, self.b
        ajs = self._ajs
        if ajs is None:  # the positions in b of each a[i], looked up once for every call
            b2j, none = self.b2j, []
            ajs = self._ajs = [b2j.get(t, none) for t in a]
        if ahi is None:
            ahi = len(a)
        if bhi is None:
            bhi = len(b)
        if ahi - alo >= self._SEED_MIN and bhi - blo >= self._SEED_MIN:
            found = self._seeded(alo, ahi, blo, bhi)
            if found is not None:
                return found
        besti, bestj, bestsize = alo, blo, 0
        # j2len[j]: length of the match ending at (i - 1, j); when the previous token was
        # popular (`lazy`), only lengths >= 2 are stored and every other j in range with
        # b[j] == lazy has length 1
        j2len: dict[int, int] = {}
        lazy = None
        lazy_js: list[int] = []
        for i in range(alo, ahi):
            js = ajs[i]
            if not js:  # a token b lacks: no match ends here
                if j2len:
                    j2len = {}
                lazy = None
                continue
            tok = a[i]
            new: dict[int, int] = {}
            if len(js) > _LAZY:
                get = j2len.get
                if lazy is None:  # j2len is complete: extend its matches
                    for jp, k in j2len.items():
                        if jp + 1 < bhi and b[jp + 1] == tok:
                            new[jp + 1] = k + 1
                elif len(lazy_js) <= len(js):
                    for jp in lazy_js[bisect_left(lazy_js, blo) : bisect_left(lazy_js, bhi - 1)]:
                        if b[jp + 1] == tok:
                            new[jp + 1] = get(jp, 1) + 1
                else:
                    for j in js[bisect_left(js, blo + 1) : bisect_left(js, bhi)]:
                        if b[j - 1] == lazy:
                            new[j] = get(j - 1, 1) + 1
                if new:
                    k = max(new.values())
                    if k > bestsize:  # difflib keeps the first (smallest) j of a new best
                        j = min(j for j, kk in new.items() if kk == k)
                        besti, bestj, bestsize = i - k + 1, j - k + 1, k
                elif bestsize == 0:  # the first length-1 match in range
                    x = bisect_left(js, blo)
                    if x < len(js) and js[x] < bhi:
                        besti, bestj, bestsize = i, js[x], 1
                j2len = new
                lazy, lazy_js = tok, js
                continue
            get = j2len.get
            if js and (js[0] < blo or js[-1] >= bhi):
                js = js[bisect_left(js, blo) : bisect_left(js, bhi)]
            for j in js:
                kp = get(j - 1)
                if kp is None:
                    kp = 1 if lazy is not None and j - 1 >= blo and b[j - 1] == lazy else 0
                k = new[j] = kp + 1
                if k > bestsize:
                    besti, bestj, bestsize = i - k + 1, j - k + 1, k
            j2len = new
            lazy = None
        return Match(besti, bestj, bestsize)


@lru_cache(maxsize=4096)
def _words(old: str, new: str) -> tuple[tuple[str, str], ...]:
    a = _TOKEN.findall(old)
    b = _TOKEN.findall(new)
    if not a:
        return (("+", new),) if new else ()
    if not b:
        return (("-", old),)
    if len(a) * len(b) > 4_000_000:  # too big for a word diff: show it whole
        return (("-", old), ("+", new))
    # the same objects for equal tokens: the matcher's comparisons stop at identity
    same = {t: t for t in b}
    a = [same.get(t, t) for t in a]
    sm = _Matcher(None, a, b, autojunk=False)
    out: list[tuple[str, str]] = []
    for tag, i1, i2, j1, j2 in sm.get_opcodes():
        if tag == "equal":
            out.append(("=", "".join(a[i1:i2])))
        else:
            if i2 > i1:
                out.append(("-", "".join(a[i1:i2])))
            if j2 > j1:
                out.append(("+", "".join(b[j1:j2])))
    return tuple(out)


class WordDiff(Sequence[tuple[str, str]]):
    """A hunk's word-level rendering, (op, text) pairs, worked out the first time it is read.

    The word diff is for display: findings and the classification read only lines, the
    daemon re-renders a stored change's hunks when a digest goes out, and a change under a
    channel's `min_severity` is never shown. On a large rewrite it is most of the analysis's
    cost, so it is paid only by what shows it (a report, `watcher compare`, `--json`).
    `pairs` holds (old, new) texts rendered one after the other, separated by a line break
    (a replaced block of as many lines as it replaces is rendered line by line)."""

    __slots__ = ("_pairs", "_ops")

    def __init__(self, pairs: tuple[tuple[str, str], ...]) -> None:
        self._pairs = pairs
        self._ops: list[tuple[str, str]] | None = None

    def _all(self) -> list[tuple[str, str]]:
        ops = self._ops
        if ops is None:
            ops = []
            for k, (x, y) in enumerate(self._pairs):
                if k:
                    ops.append(("=", "\n"))
                ops.extend(_words(x, y))
            self._ops = ops
        return ops

    def __getitem__(self, i):  # type: ignore[no-untyped-def,override]
        return self._all()[i]

    def __len__(self) -> int:
        return len(self._all())

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return iter(self._all())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Sequence):
            return self._all() == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return repr(self._all())


class _Kept:
    """The lines of `raw[start:]` that do not normalize to nothing, normalized as they are
    asked for: `idx[k]` (index in `raw`) and `norm[k]` of the k-th one."""

    def __init__(self, raw: list[str], start: int) -> None:
        self.raw = raw
        self.idx: list[int] = []
        self.norm: list[str] = []
        self._next = start  # the first raw line not read yet

    def read_to(self, stop: int) -> None:
        """Read the raw lines up to `stop` (excluded)."""
        i = self._next
        for k, s in enumerate(map(normalize_line, self.raw[i:stop]), i):
            if s:
                self.idx.append(k)
                self.norm.append(s)
        self._next = max(i, stop)

    def has(self, k: int) -> bool:
        """Whether there is a k-th line (reading on as far as needed)."""
        raw = self.raw
        n = len(raw)
        while len(self.norm) <= k and self._next < n:
            s = normalize_line(raw[self._next])
            if s:
                self.idx.append(self._next)
                self.norm.append(s)
            self._next += 1
        return k < len(self.norm)


class LineDiff:
    """Two texts' lines as the diff sees them (normalized, blank ones left out) and the span
    where they differ: `old[lo:old_hi]` against `new[lo:new_hi]`, the common head and tail
    trimmed (cheap, and most revisions touch a few lines).

    `old` and `new` start at the first raw line that differs: the raw lines before it and
    those after the last that differs are the same on both sides, hence the same normalized
    lines, so they are trimmed without being normalized (the common tail is read only as far
    as one side's changed lines run out before the other's)."""

    def __init__(self, old_text: str, new_text: str) -> None:
        a_raw, b_raw = self.old_raw, self.new_raw = old_text.splitlines(), new_text.splitlines()
        n = min(len(a_raw), len(b_raw))
        p = 0
        while p < n and a_raw[p] == b_raw[p]:
            p += 1
        t = 0
        while t < n - p and a_raw[-1 - t] == b_raw[-1 - t]:
            t += 1
        a, b = _Kept(a_raw, p), _Kept(b_raw, p)
        a.read_to(len(a_raw) - t)
        b.read_to(len(b_raw) - t)
        ma, mb = len(a.norm), len(b.norm)  # the changed raw lines' normalized lines
        lo = 0
        while a.has(lo) and b.has(lo) and a.norm[lo] == b.norm[lo]:
            lo += 1
            if lo == ma == mb:
                break  # the same normalized lines so far, then the same tail: no change
        if lo <= min(ma, mb):  # the common tail is trimmed whole, then the changed lines'
            hi_a, hi_b = ma, mb
            while hi_a > lo and hi_b > lo and a.norm[hi_a - 1] == b.norm[hi_b - 1]:
                hi_a -= 1
                hi_b -= 1
        else:  # one side's changed lines are the start of the other's: the rest is the tail,
            # which ends both sides, so trimming the tail stops at lo on the shorter side
            hi_a, hi_b = lo + ma - min(ma, mb), lo + mb - min(ma, mb)
        a.has(hi_a)  # read the line after the span too (a hunk's position when it is empty)
        b.has(hi_b)
        self.old, self.new, self.old_idx, self.new_idx = a.norm, b.norm, a.idx, b.idx
        self.lo, self.old_hi, self.new_hi = lo, hi_a, hi_b

    @property
    def changed(self) -> bool:
        """Whether the normalized lines differ at all."""
        return self.old_hi > self.lo or self.new_hi > self.lo

    def layout_only(self) -> bool:
        """Whether the texts have equal `layout_key`s. Only the differing span is read: the
        trimmed head and tail are the same normalized lines, hence the same words, on both
        sides (lines that normalize to nothing have no words); and it is read only up to the
        first word that differs."""
        a = (w for s in self.old[self.lo : self.old_hi] for w in _line_words(s))
        b = (w for s in self.new[self.lo : self.new_hi] for w in _line_words(s))
        end = object()
        return all(x == y for x, y in zip_longest(a, b, fillvalue=end))

    def hunks(self) -> list[Hunk]:
        """See `hunks`."""
        if not self.changed:
            return []
        lo, a_raw, b_raw, a_idx, b_idx = (
            self.lo,
            self.old_raw,
            self.new_raw,
            self.old_idx,
            self.new_idx,
        )
        sm = _Matcher(None, self.old[lo : self.old_hi], self.new[lo : self.new_hi], autojunk=False)
        out: list[Hunk] = []
        for tag, i1, i2, j1, j2 in sm.get_opcodes():
            if tag == "equal":
                continue
            i1, i2, j1, j2 = i1 + lo, i2 + lo, j1 + lo, j2 + lo
            ol = [a_raw[a_idx[k]] for k in range(i1, i2)]
            nl = [b_raw[b_idx[k]] for k in range(j1, j2)]
            old_start = (a_idx[i1] if i1 < len(a_idx) else len(a_raw)) + 1
            new_start = (b_idx[j1] if j1 < len(b_idx) else len(b_raw)) + 1
            if tag == "replace" and len(ol) == len(nl) and len(ol) > 1:  # line by line
                pairs = tuple((x.strip(), y.strip()) for x, y in zip(ol, nl, strict=True))
            else:
                pairs = (("\n".join(x.strip() for x in ol), "\n".join(y.strip() for y in nl)),)
            words = WordDiff(pairs)
            out.append(
                Hunk(
                    tag=tag,
                    old_start=old_start,
                    old_lines=ol,
                    new_start=new_start,
                    new_lines=nl,
                    words=words,
                )
            )
        return out


def hunks(old_text: str, new_text: str) -> list[Hunk]:
    """Line-level hunks between two texts (noise-normalized, blank lines ignored), each with
    a word-level rendering (op "=", "-", "+") of its region."""
    return LineDiff(old_text, new_text).hunks()
