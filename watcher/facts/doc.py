"""One segmentation of a Document's text for every fact family (pure, cached per text).

The input is a Document's Markdown-like text: one block per line (`# heading`, paragraphs,
`- item`, `| a | b |` table rows). Lines holding two or more TAB characters are table rows too
(plain-text extractions of HTML tables look like that).

- `units(text)` / `doc(text)`: the text as `Unit`s -- headings, list items, paragraphs cut into
  sentences, table rows (with their cells) -- cleaned; `Doc` adds lower-cased forms and a
  literal prefilter (`Doc.candidates(rx)`: the units where a regex may match, exact).
- `split_sentences(p)`: THE sentence splitter (abbreviations such as "e.g.", "Inc.", "approx."
  and single initials never end a sentence; over-long sentences are cut, see `cap_length`).
- `plain(line)`: one block without inline markup and list markers; `clean(s)`: inline markup
  stripped and quotes/dashes unified (the form of `Unit.text`).
- `blocks(text)`, `sentences(text)`, `tables(text)` (`Table(header, rows)`), `table_rows(text)`,
  `cells(line)`, `is_table_line(line)`, `slug(s)`, `fold(s)`.
"""

from __future__ import annotations

import re
import threading
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import accumulate
from typing import Any, NamedTuple

import ahocorasick

from watcher import textutil
from watcher.facts.prefilter import EVERY, RISKY_ANY, RISKY_ANY_CHARS, RISKY_ASCII, literals

# the inline-markup patterns of `textutil.strip_inline` (tests compare `plain` with them)
_LINK, _AUTOLINK, _BR, _TAG = textutil.MD_LINK, textutil.AUTOLINK, textutil.BR, textutil.TAG
_EMPH = textutil.EMPHASIS
_MARKER = re.compile(r"^(?:#{1,6}\s+|>\s*|(?:[-*+•●▪◦]|\(?[a-zA-Z0-9]{1,3}[.)])\s+)+")
_SPACES = re.compile(r"[ \t\u00a0\u2009\u202f]+")
_TABLE_SEP = re.compile(r"^\|?\s*:?-{2,}:?\s*(?:\|\s*:?-{2,}:?\s*)*\|?$")
_DASHES = re.compile(r"^[-\s|:]+$")

# Sentence boundary: ., ! or ? then space then an upper-case letter, digit or quote,
# unless the dot ends a common abbreviation or a single initial.
_ABBREV = frozenset(
    [
        "inc",
        "ltd",
        "llc",
        "co",
        "corp",
        "plc",
        "e.g",
        "i.e",
        "etc",
        "vs",
        "no",
        "nr",
        "art",
        "arts",
        "sec",
        "st",
        "mr",
        "mrs",
        "ms",
        "dr",
        "jr",
        "sr",
        "u.s",
        "u.k",
        "s.a",
        "b.v",
        "n.v",
        "s.r.l",
        "approx",
        "incl",
        "ca",
        "cf",
        "fig",
        "dept",
        "ave",
        "blvd",
        "pte",
        "pty",
        "para",
        "p",
        "pp",
        "min",
        "max",
    ]
)
_SENT_END = re.compile(r"[.!?][\"'”’)]*\s+(?=[\"'“‘(]*[A-Z0-9ÀÂÄÉÈÊËÎÏÔÖÙÛÜÇÑ])")
_LAST_WORD = re.compile(r"([\w.]+)[.!?][\"'”’)]*\s*$")


fold = textutil.casefold_ascii  # same-length lower-casing for IGNORECASE prefilters


# Per-line work is memoized: the two versions of a page share most of their lines, and several
# families read the same blocks. Only short strings are kept (memory stays bounded).
_MEMO_LINES = 16384
_MEMO_MAX_LEN = 4000


def plain(line: str) -> str:
    """One block without its Markdown markup (links keep their text, list markers dropped)."""
    return _plain_memo(line) if len(line) <= _MEMO_MAX_LEN else _plain(line)


def _plain(line: str) -> str:
    s = textutil.strip_inline(line)
    s = s.strip()
    m = _MARKER.match(s)  # anchored at the start: the same as _MARKER.sub("", s)
    if m:
        s = s[m.end() :]
    if "  " in s or "\t" in s or "\u00a0" in s or "\u2009" in s or "\u202f" in s:
        s = _SPACES.sub(" ", s)
    return s.strip()


def blocks(text: str) -> list[str]:
    """The non-empty lines of `text`, stripped."""
    return [b for b in (ln.strip() for ln in text.splitlines()) if b]


def is_table_line(line: str) -> bool:
    s = line.strip()
    return (s.startswith("|") and s.count("|") >= 2) or line.count("\t") >= 2


MAX_SENTENCE = 1500  # characters; longer "sentences" are run-on text or hostile input


def cap_length(parts: list[str], limit: int = MAX_SENTENCE) -> list[str]:
    """Cut over-long sentences at spaces into pieces of at most `limit` characters.

    Real sentences stay whole; a 5 MB paragraph without a full stop becomes pieces, so every
    per-sentence pattern in the fact extractors stays linear in the size of the page.
    """
    if all(len(p) <= limit for p in parts):
        return parts
    out: list[str] = []
    for p in parts:
        while len(p) > limit:
            cut = p.rfind(" ", limit // 2, limit)
            cut = cut if cut > 0 else limit
            out.append(p[:cut].strip())
            p = p[cut:].strip()
        if p:
            out.append(p)
    return out


def split_sentences(s: str) -> list[str]:
    """The sentences of one plain block (over-long ones cut, see `cap_length`)."""
    if len(s) <= _MEMO_MAX_LEN:
        return list(_split_memo(s))
    return cap_length(_split_sentences(s))


@lru_cache(maxsize=_MEMO_LINES)
def _split_memo(s: str) -> tuple[str, ...]:
    return tuple(cap_length(_split_sentences(s)))


def _split_sentences(s: str) -> list[str]:
    out: list[str] = []
    start = 0
    for m in _SENT_END.finditer(s):
        head = s[start : m.end()]
        # A _LAST_WORD match holds no whitespace but at its end: search the last word only.
        core = head.rstrip()
        w = _LAST_WORD.search(head, len(core) - len(core.rsplit(None, 1)[-1]) if core else 0)
        if w and s[m.start()] == ".":
            word = w.group(1).lower()
            if word in _ABBREV or (len(word) == 1 and word.isalpha()):
                continue
        out.append(s[start : m.end()].strip())
        start = m.end()
    tail = s[start:].strip()
    if tail:
        out.append(tail)
    return out


def sentences(text: str) -> list[str]:
    """Plain sentences of all non-table blocks, in document order."""
    out: list[str] = []
    for b in blocks(text):
        if is_table_line(b):
            continue
        p = plain(b)
        if p:
            out.extend(split_sentences(p))
    return out


@dataclass
class Table:
    """One table: `header` (plain cells, possibly empty) and its data `rows` (plain cells)."""

    header: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    start_line: int = 0

    def records(self) -> list[dict[str, str]]:
        """Rows as {header cell: value} (columns without a header are named "col<i>")."""
        names = [h or f"col{i}" for i, h in enumerate(self.header)]
        out = []
        for r in self.rows:
            out.append({(names[i] if i < len(names) else f"col{i}"): c for i, c in enumerate(r)})
        return out


def cells(line: str) -> list[str]:
    s = line.strip()
    if "\t" in s and not s.startswith("|"):
        parts = s.split("\t")
    else:
        if s.startswith("|"):
            s = s[1:]
        if s.endswith("|") and not s.endswith("\\|"):
            s = s[:-1]
        parts = re.split(r"(?<!\\)\|", s)
    return [plain(p) for p in parts]


def _looks_like_header(cells: list[str], limit: int = 40) -> bool:
    filled = [c for c in cells if c]
    if len(filled) < 2:
        return False
    return all(len(c) <= limit and not re.search(r"https?://|@|\d{3,}", c) for c in filled)


def tables(text: str) -> list[Table]:
    """Group table lines into tables and associate each with its header row.

    A header is the row before a `|---|` separator (OTA-style empty header rows are skipped in
    favour of the first non-empty row); without a separator, the first row counts as a header
    when its cells are short labels. A header-less run right after a table with the same number
    of columns (a short interstitial line allowed) continues that table.
    """
    lines = text.splitlines()
    out: list[Table] = []
    i = 0
    last_end = -10
    while i < len(lines):
        if not is_table_line(lines[i]):
            i += 1
            continue
        run: list[tuple[int, str]] = []
        while i < len(lines) and (is_table_line(lines[i]) or not lines[i].strip()):
            if lines[i].strip():
                run.append((i, lines[i]))
            i += 1
        rows: list[list[str]] = []
        has_sep = False
        sep_at = -1
        for _, ln in run:
            s = ln.strip()
            if _TABLE_SEP.match(s) or (_DASHES.match(s) and "-" in s):
                has_sep = True
                sep_at = len(rows)
                continue
            rows.append(cells(ln))
        rows = [r for r in rows if any(r)] if not has_sep else rows
        header: list[str] = []
        if has_sep and sep_at >= 1:
            header = rows[sep_at - 1]
            body = rows[: sep_at - 1] + rows[sep_at:]
            body = [r for r in body if any(r)]
            if not any(header) and body and _looks_like_header(body[0], 80):
                header, body = body[0], body[1:]
        else:
            body = [r for r in rows if any(r)]
            if body and _looks_like_header(body[0]) and len(body) > 1:
                header, body = body[0], body[1:]
        start = run[0][0]
        ncols = max((len(r) for r in body), default=len(header))
        prev = out[-1] if out else None
        if not header and prev is not None and start - last_end <= 5 and len(prev.header) == ncols:
            prev.rows.extend(body)
        elif header or body:
            out.append(Table(header=header, rows=body, start_line=start))
        last_end = run[-1][0]
    return out


def table_rows(text: str) -> list[list[str]]:
    """Every data row of every table (header rows excluded), as plain cells."""
    return [r for t in tables(text) for r in t.rows]


# --------------------------------------------------------------------------- text helpers

_BLANKS = re.compile(r"[ \t]+")
_LIST = re.compile(r"^\s*(?:[-*+\u2022]|\d{1,3}[.)]|[a-zA-Z][.)]|\([a-zA-Z0-9]{1,4}\))\s+")
_HEAD = re.compile(r"^\s*(#{1,6})\s+")
_SEP_CELL = re.compile(r":?-{2,}:?")


def clean(s: str) -> str:
    """Inline markup stripped (links keep their text, emphasis, tags; single underscores stay:
    cookie names such as "_ga"), typography folded."""
    return _clean_memo(s) if len(s) <= _MEMO_MAX_LEN else _clean(s)


def _clean(s: str) -> str:
    s = textutil.strip_inline(textutil.fold_typography(s), underscores=False)
    # without a tab or two spaces in a row every blank run is one space already: the
    # substitution (which rewrites every space of the line) would change nothing
    if "  " in s or "\t" in s:
        s = _BLANKS.sub(" ", s)
    return s.strip()


class Unit(NamedTuple):
    """One sentence (or table row / heading) of the text, cleaned, with where it came from.
    (A NamedTuple: made for every unit of every version, it is built 2.5x faster than a
    frozen dataclass.)"""

    text: str
    kind: str  # "heading", "item", "row", "para"
    line: int  # 0-based line index
    cells: tuple[str, ...] = ()
    level: int = 0  # heading level / list indent level


@lru_cache(maxsize=32)
def units(text: str) -> tuple[Unit, ...]:
    """Cleaned sentences of the text, one Unit each; table rows and headings stay whole."""
    out: list[Unit] = []
    # what a line gives is memoized per line: the other version of a pair only assembles
    for i, raw in enumerate(text.splitlines()):
        if len(raw) <= _MEMO_MAX_LEN:
            parts = _line_parts_memo(raw)
        else:
            parts = _line_parts(raw)
        for t, kind, cells, level in parts:
            out.append(Unit(t, kind, i, cells, level))
    return tuple(out)


_Part = tuple[str, str, tuple[str, ...], int]  # a Unit but its line: text, kind, cells, level


def _line_parts(raw: str) -> tuple[_Part, ...]:
    """The units of one line (what they are depends on the line alone)."""
    stripped = raw.strip()
    if not stripped:
        return ()
    if stripped[0] == "#":
        m = _HEAD.match(raw)
        if m:
            return ((clean(raw[m.end() :]), "heading", (), len(m.group(1))),)
    if stripped[0] == "|" or "\t" in stripped:
        if stripped[0] == "|":
            cells = tuple(clean(c) for c in stripped.strip("|").split("|"))
        else:
            cells = tuple(clean(c) for c in stripped.split("\t"))
        cells = tuple(c for c in cells if c)
        if not cells or all(_SEP_CELL.fullmatch(c) for c in cells):
            return ()
        return ((" | ".join(cells), "row", cells, 0),)
    kind = "para"
    level = 0
    lm = _LIST.match(raw)
    if lm:
        kind = "item"
        level = (len(raw) - len(raw.lstrip())) // 2
        raw = raw[lm.end() :]
    c = clean(raw)
    if not c:
        return ()
    if "." in c or "!" in c or "?" in c:
        return tuple((s, kind, (), level) for s in split_sentences(c))
    return ((c, kind, (), level),)  # one sentence (already stripped)


def slug(s: str) -> str:
    """Lower-case words joined by single spaces (no punctuation)."""
    return " ".join(_SLUG_WORD.findall(s.lower()))


_SLUG_WORD = re.compile(r"[a-z0-9]+")


class Doc:
    """The units of one text, their lower-cased forms and a literal prefilter over them.

    A Doc built right after another one (`base`: the other version of a pair, as `watcher
    compare` and the monitor extract them) answers `having` and `matching` for the units whose
    text the base also holds from the base's answer, and scans only the other units: a unit's
    answer depends on its text alone, so the result is the same as a full scan."""

    __slots__ = (
        "units",
        "texts",
        "lows",
        "_joined",
        "_low",
        "_starts",
        "_low_starts",
        "_memo",
        "_base",
        "_delta",
    )

    def __init__(self, us: tuple[Unit, ...], base: Doc | None = None) -> None:
        self.units = us
        self.texts = tuple(u.text for u in us)
        self.lows = tuple(t.lower() for t in self.texts)
        self._joined = "\n".join(self.texts)
        self._low = "\n".join(self.lows)
        self._starts = self._offsets(self.texts)
        self._low_starts = self._offsets(self.lows)
        self._memo: dict[Any, Any] = {}
        if not self._joined.isascii():
            # units holding a character that IGNORECASE matches unlike str.lower(): a
            # case-insensitive prefilter always counts them as candidates
            self._memo["risky_ascii"] = self._holding(textutil.CASE_RISKY, RISKY_ASCII)
            self._memo["risky_any"] = self._holding(RISKY_ANY_CHARS, RISKY_ANY)
        self._base: Doc | None = None
        self._delta: _Delta | None = None
        if base is not None and base.texts:
            delta = _Delta.of(self.texts, base.texts)
            if delta is not None:
                self._base, self._delta = base, delta

    def _holding(self, chars: str, rx: re.Pattern[str]) -> frozenset[int]:
        """The units holding one of `chars` (`rx`: the class of them). Mostly none: the whole
        text is looked through for each character first (faster than a regex per unit)."""
        if not any(c in self._joined for c in chars):
            return frozenset()
        return frozenset(i for i, t in enumerate(self.texts) if not t.isascii() and rx.search(t))

    @staticmethod
    def _offsets(parts: tuple[str, ...] | list[str]) -> list[int]:
        """Where each part starts in the parts joined by newlines (summed at C speed)."""
        return list(accumulate(map((1).__add__, map(len, parts[:-1])), initial=0)) if parts else []

    def having(self, needles: frozenset[str] | tuple[str, ...], icase: bool = True) -> Any:
        """Indices of the units containing one of `needles` (lower-case needles when icase);
        EVERY when that cannot be decided exactly."""
        key = (needles, icase)
        got = self._memo.get(key)
        if got is not None:
            return got
        if any(not n or "\n" in n for n in needles):
            self._memo[key] = EVERY
            return EVERY
        risky: frozenset[int] = frozenset()
        if icase:
            ascii_only = all(n.isascii() for n in needles)
            risky = self._memo.get("risky_ascii" if ascii_only else "risky_any", risky)
        res: Any = None
        if self._base is not None and self._delta is not None:
            shared = self._base.having(needles, icase)
            if shared is not EVERY:
                d = self._delta
                found = self._found(needles, icase, d)
                res = frozenset(found.union(*d.carried(shared)))
        if res is None:
            res = frozenset(self._found(needles, icase, None))
        if risky:
            res |= risky
        self._memo[key] = res
        return res

    def _found(self, needles: Any, icase: bool, delta: _Delta | None) -> set[int]:
        """The units holding one of `needles`: among all units, or only the delta's changed
        ones. Case-insensitive needles the shared automaton knows are looked up in a table of
        this text's hits (one pass per unit for every needle); the others are scanned for."""
        scanned: Any = needles
        out: set[int] = set()
        if icase:
            built, table = self._hit_table(delta)
            scanned = []
            for n in needles:
                k = NEEDLES.ids.get(n)
                if k is None or k >= built:
                    scanned.append(n)
                else:
                    out.update(table.get(k, ()))
            if not scanned:
                return out
            NEEDLES.add(scanned)  # the next text's automaton will know them
        if delta is None:
            hay = self._low if icase else self._joined
            out.update(_scan(hay, self._low_starts if icase else self._starts, scanned))
        else:
            hay, starts = (delta.low, delta.low_starts) if icase else (delta.joined, delta.starts)
            out.update(delta.changed[k] for k in _scan(hay, starts, scanned))
        return out

    def _hit_table(self, delta: _Delta | None) -> tuple[int, dict[int, set[int]]]:
        """(how many needles the automaton knew, needle id -> indices of the units holding it),
        over all units or only the delta's changed ones; made once per text."""
        key = ("hits", delta is None)
        got = self._memo.get(key)
        if got is None:
            built, automaton = NEEDLES.automaton()
            table: dict[int, set[int]] = {}
            if automaton is not None:
                lows = self.lows
                for j in range(len(lows)) if delta is None else delta.changed:
                    for _end, k in automaton.iter(lows[j]):
                        hit = table.get(k)
                        if hit is None:
                            table[k] = {j}
                        else:
                            hit.add(j)
            got = self._memo[key] = (built, table)
        return got

    def matching(self, rx: re.Pattern[str]) -> frozenset[int]:
        """Indices of the units where `rx` matches, found in one pass over the joined text.

        Only for a pattern none of whose matches can hold a newline and whose lookarounds treat
        a newline as they treat the start or end of a string (the units are joined by "\\n"):
        then a unit holds a match exactly when the joined text has one inside that unit."""
        key = ("matching", rx)
        got = self._memo.get(key)
        if got is None:
            if self._base is not None and self._delta is not None:
                d = self._delta
                shared = self._base.matching(rx)
                found = (
                    {
                        d.changed[bisect_right(d.starts, m.start()) - 1]
                        for m in rx.finditer(d.joined)
                    }
                    if d.changed
                    else set()
                )
                got = frozenset(found.union(*d.carried(shared)))
            else:
                starts = self._starts
                got = frozenset(
                    bisect_right(starts, m.start()) - 1 for m in rx.finditer(self._joined)
                )
            self._memo[key] = got
        return got

    def among(self, sets: list[Any]) -> Any:
        """The indices of the units in any of `sets` (candidate sets), in order: a family whose
        units outside all its candidate sets do nothing visits only these."""
        if any(w is EVERY for w in sets):
            return range(len(self.units))
        return sorted(frozenset().union(*sets))

    def candidates(self, rx: re.Pattern[str]) -> Any:
        """Indices of the units where `rx` may match (a superset; EVERY if unknown)."""
        req, icase = literals(rx.pattern, rx.flags)
        if req is None:
            return EVERY
        return self.having(req, icase)


class _Needles:
    """Every case-insensitive literal the prefilters have asked for, and one Aho-Corasick
    automaton over them (pyahocorasick): a text's units are read once for all of them instead
    of one `str.find` pass per literal (~450 literals per page; 21 -> 2.5 ms on an 83 kB
    policy). A literal first asked for on one text is scanned for there and joins the
    automaton of the next text, so after a process's first pages the set no longer grows."""

    def __init__(self) -> None:
        self.ids: dict[str, int] = {}
        self._words: list[str] = []
        self._lock = threading.Lock()
        self._automaton: Any = None
        self._built = 0

    def add(self, needles: Any) -> None:
        with self._lock:
            for n in needles:
                if n not in self.ids:
                    self.ids[n] = len(self._words)
                    self._words.append(n)

    def automaton(self) -> tuple[int, Any]:
        """(how many needles it knows, the automaton or None when there are none yet)."""
        with self._lock:
            if self._built != len(self._words):
                a = ahocorasick.Automaton()
                for k, w in enumerate(self._words):
                    a.add_word(w, k)
                a.make_automaton()
                self._automaton, self._built = a, len(self._words)
            return self._built, self._automaton


NEEDLES = _Needles()


def _scan(hay: str, starts: list[int], needles: Any) -> set[int]:
    """Indices of the parts of `hay` (parts start at `starts`, joined by newlines) holding one
    of `needles`; a part is scanned no further once one needle is found in it."""
    n_parts = len(starts)
    found: set[int] = set()
    for n in needles:
        i = hay.find(n)
        while i != -1:
            k = bisect_right(starts, i) - 1
            found.add(k)
            if k + 1 >= n_parts:
                break
            i = hay.find(n, starts[k + 1])
    return found


@dataclass(frozen=True)
class _Delta:
    """How a text's units map onto another version's: `same[k]` = the indices of this text's
    units whose text is the base's unit k; `changed` = the indices of the others, whose texts
    (joined by newlines, and lower-cased) are the only ones a prefilter scans."""

    same: dict[int, tuple[int, ...]]
    changed: tuple[int, ...]
    joined: str
    starts: list[int]
    low: str
    low_starts: list[int]

    def carried(self, shared: Any) -> Any:
        """The tuples of this text's indices whose units the base holds at one of the indices
        `shared` (mapped at C speed: a candidate set can hold most of a page's units)."""
        return filter(None, map(self.same.get, shared))

    @classmethod
    def of(cls, texts: tuple[str, ...], base: tuple[str, ...]) -> _Delta | None:
        # a text's first index in the base (a dict filled backwards keeps the first)
        first = dict(zip(reversed(base), range(len(base) - 1, -1, -1), strict=True))
        same: dict[int, list[int]] = {}
        changed: list[int] = []
        for j, t in enumerate(texts):
            k = first.get(t)
            if k is None:
                changed.append(j)
            else:
                same.setdefault(k, []).append(j)
        if len(changed) * 2 > len(texts):
            return None  # mostly new text: a full scan is as cheap
        parts = [texts[j] for j in changed]
        lows = [p.lower() for p in parts]
        return cls(
            {k: tuple(v) for k, v in same.items()},
            tuple(changed),
            "\n".join(parts),
            Doc._offsets(parts),
            "\n".join(lows),
            Doc._offsets(lows),
        )


_last_doc: list[Doc] = []  # the Doc built last: the next one (the other version) reuses it


@lru_cache(maxsize=8)
def doc(text: str) -> Doc:
    """The shared, pre-split form of a text (see `Doc`)."""
    d = Doc(units(text), base=_last_doc[0] if _last_doc else None)
    if _last_doc:
        _last_doc[0]._base = _last_doc[0]._delta = None  # no chains: one base at a time
    _last_doc[:] = [d]
    return d


# Per-unit results of the families, shared by the versions of a pair (most units are the same
# in both): `unit_memo(name)` is a dict the family keys by what its result depends on (the
# unit's text and kind, and whatever context it reads). Values must not be mutated by readers.
_UNIT_MEMOS: dict[str, dict[Any, Any]] = {}
_UNIT_MEMO_MAX = 20000


def unit_memo(name: str) -> dict[Any, Any]:
    """The per-unit memo of one family (one dict per name, emptied by `clear_caches`)."""
    return _UNIT_MEMOS.setdefault(name, {})


def remember(memo: dict[Any, Any], key: Any, value: Any) -> Any:
    """Store `value` under `key` in a unit memo (emptied first when it reached its bound)."""
    if len(memo) >= _UNIT_MEMO_MAX:
        memo.clear()
    memo[key] = value
    return value


def recall(memo: dict[Any, Any], key: Any, make: Callable[[], Any]) -> Any:
    """What a unit memo holds under `key`, or `make()` remembered there."""
    got = memo.get(key, _NOTHING)
    if got is _NOTHING:
        got = remember(memo, key, make())
    return got


_NOTHING = object()


def clear_caches() -> None:
    """Forget every per-text cache (for cold-start benchmarks)."""
    units.cache_clear()
    doc.cache_clear()
    _last_doc.clear()
    for m in _UNIT_MEMOS.values():
        m.clear()
    _plain_memo.cache_clear()
    _clean_memo.cache_clear()
    _split_memo.cache_clear()
    _line_parts_memo.cache_clear()


_plain_memo = lru_cache(maxsize=_MEMO_LINES)(_plain)
_line_parts_memo = lru_cache(maxsize=_MEMO_LINES)(_line_parts)
_clean_memo = lru_cache(maxsize=_MEMO_LINES)(_clean)
