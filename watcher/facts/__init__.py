"""Fact extraction: one module per family, each ``extract(text, language=None) -> list[Fact]``.

`extract_facts` runs every family module present (in a fixed order) and deduplicates by
(kind, key), keeping the first occurrence. The small text helpers below (`clean`, `units`) are
shared by the families written here; they are pure and cached per text.

Speed: a text is split into `units` once; `doc(text)` wraps them with their lower-cased forms
and a literal prefilter, so a family runs a costly pattern only on the units that contain one of
the literal strings every match of that pattern must contain (`Doc.candidates`). The prefilter
is exact: it never drops a unit where the pattern could match.
"""

from __future__ import annotations

import importlib
import json
import re
from bisect import bisect_right
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

from watcher.facts.text import cap_length
from watcher.models import Fact

FAMILIES = (
    "dates",
    "parties",
    "contacts",
    "places",
    "retention",
    "categories",
    "rights",
    "sections",
    "identifiers",
)


class FirstFacts:
    """Facts in the order found, keeping the first one per (kind, key).

    `seen` holds the (kind, key) pairs already found, so extractors can skip work for them.
    """

    def __init__(self) -> None:
        self.facts: list[Fact] = []
        self.seen: set[tuple[str, str]] = set()

    def add(self, kind: str, key: str, value: str, evidence: str, **detail: object) -> None:
        self.add_fact(Fact(kind, key, value, evidence[:500], dict(detail)))

    def add_fact(self, fact: Fact) -> None:
        if (fact.kind, fact.key) not in self.seen:
            self.seen.add((fact.kind, fact.key))
            self.facts.append(fact)


def extract_facts(text: str, language: str | None = None) -> list[Fact]:
    """Run every family module present; deterministic order, deduplicated by (kind, key)."""
    found = FirstFacts()
    for name in FAMILIES:
        try:
            mod = importlib.import_module(f"watcher.facts.{name}")
        except ImportError:
            continue
        fn = getattr(mod, "extract", None)
        if fn is None:
            continue
        for f in fn(text, language):
            found.add_fact(f)
    return found.facts


def clear_caches() -> None:
    """Forget every per-text cache (for cold-start benchmarks)."""
    units.cache_clear()
    doc.cache_clear()


def load_lexicon(name: str) -> Any:
    """A JSON lexicon shipped in watcher/data/ (read once by the module that needs it)."""
    return json.loads(resources.files("watcher.data").joinpath(name).read_text(encoding="utf-8"))


# --------------------------------------------------------------------------- text helpers

_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_TAG = re.compile(r"<[^>]{1,200}>")
_BR = re.compile(r"<br\s*/?>", re.I)
_EMPH = re.compile(r"(\*\*|__|\*|`)")
_BLANKS = re.compile(r"[ \t]+")
_QUOTE_MAP = {
    "\u2018": "'",
    "\u2019": "'",
    "\u201a": "'",
    "\u201b": "'",
    "\u2032": "'",
    "\u201c": '"',
    "\u201d": '"',
    "\u201e": '"',
    "\u00ab": '"',
    "\u00bb": '"',
    "\u2010": "-",
    "\u2011": "-",
    "\u2012": "-",
    "\u2013": "-",
    "\u2014": "-",
    "\u2015": "-",
    "\u2212": "-",
    "\u00a0": " ",
    "\u202f": " ",
    "\u2009": " ",
    "\u200b": "",
    "\u200c": "",
    "\u200d": "",
    "\ufeff": "",
    "\u00ad": "",
}
_QUOTES = str.maketrans(_QUOTE_MAP)
_QUOTE_RX = re.compile("[" + "".join(_QUOTE_MAP) + "]")
_LIST = re.compile(r"^\s*(?:[-*+\u2022]|\d{1,3}[.)]|[a-zA-Z][.)]|\([a-zA-Z0-9]{1,4}\))\s+")
_HEAD = re.compile(r"^\s*(#{1,6})\s+")
_SEP_CELL = re.compile(r":?-{2,}:?")


def _unquote(m: re.Match[str]) -> str:
    return _QUOTE_MAP[m.group()]


def clean(s: str) -> str:
    """Strip Markdown decoration (links keep their text, emphasis, tags) and unify quotes."""
    if not s.isascii():
        s = _QUOTE_RX.sub(_unquote, s)  # = s.translate(_QUOTES), several times faster
    if "<" in s:
        s = _BR.sub(" ", s)
    if "[" in s:
        s = _LINK.sub(r"\1", s)
    if "<" in s:
        s = _TAG.sub(" ", s)
    if "*" in s or "_" in s or "`" in s:
        s = _EMPH.sub("", s)
    return _BLANKS.sub(" ", s).strip()


@dataclass(frozen=True)
class Unit:
    """One sentence (or table row / heading) of the text, cleaned, with where it came from."""

    text: str
    kind: str  # "heading", "item", "row", "para"
    line: int  # 0-based line index
    cells: tuple[str, ...] = ()
    level: int = 0  # heading level / list indent level


_SENT_SPLIT = re.compile(r"(?<=[.!?;])\s+(?=[\"'(]?[A-Z0-9])")
_ABBR = re.compile(r"\b(?:e\.g|i\.e|etc|Inc|Ltd|Co|No|Corp|St|Mr|Ms|Dr|vs|U\.S|U\.K)\.$")


def split_sentences(s: str) -> list[str]:
    parts = _SENT_SPLIT.split(s)
    out: list[str] = []
    for p in parts:
        if out and _ABBR.search(out[-1]):
            out[-1] = out[-1] + " " + p
        else:
            out.append(p)
    return cap_length([p.strip() for p in out if p.strip()])


@lru_cache(maxsize=32)
def units(text: str) -> tuple[Unit, ...]:
    """Cleaned sentences of the text, one Unit each; table rows and headings stay whole."""
    out: list[Unit] = []
    for i, raw in enumerate(text.splitlines()):
        stripped = raw.strip()
        if not stripped:
            continue
        if stripped[0] == "#":
            m = _HEAD.match(raw)
            if m:
                out.append(Unit(clean(raw[m.end() :]), "heading", i, level=len(m.group(1))))
                continue
        if stripped[0] == "|" or "\t" in stripped:
            if stripped[0] == "|":
                cells = tuple(clean(c) for c in stripped.strip("|").split("|"))
            else:
                cells = tuple(clean(c) for c in stripped.split("\t"))
            cells = tuple(c for c in cells if c)
            if not cells or all(_SEP_CELL.fullmatch(c) for c in cells):
                continue
            out.append(Unit(" | ".join(cells), "row", i, cells=cells))
            continue
        kind = "para"
        level = 0
        lm = _LIST.match(raw)
        if lm:
            kind = "item"
            level = (len(raw) - len(raw.lstrip())) // 2
            raw = raw[lm.end() :]
        c = clean(raw)
        if not c:
            continue
        if "." in c or "!" in c or "?" in c or ";" in c:
            for s in split_sentences(c):
                out.append(Unit(s, kind, i, level=level))
        else:
            out.append(Unit(c, kind, i, level=level))  # one sentence (already stripped)
    return tuple(out)


def slug(s: str) -> str:
    """Lower-case words joined by single spaces (no punctuation)."""
    return " ".join(_SLUG_WORD.findall(s.lower()))


_SLUG_WORD = re.compile(r"[a-z0-9]+")


# --------------------------------------------------------------------------- literal prefilter

try:  # Python >= 3.11
    from re import _constants as _sre_c
    from re import _parser as _sre_p
    from re._casefix import _EXTRA_CASES
except ImportError:  # pragma: no cover
    _sre_c = _sre_p = None  # type: ignore[assignment]
    _EXTRA_CASES = {}

_MAX_SET = 64  # give up on literal sets larger than this
_ZERO_WIDTH = ("AT", "ASSERT", "ASSERT_NOT")

# Characters that re.IGNORECASE matches against a pattern character although str.lower() does
# not map them the same way (long s, dotless i, dotted capital I, Greek/Cyrillic variants...).
# Unit texts holding one of them are not prefiltered case-insensitively: for ASCII literals only
# the first set matters, for other literals the second.
_RISKY_ASCII = re.compile("[\u0130\u0131\u017f\u212a]")
_RISKY_ANY = re.compile(
    "["
    + "".join(sorted({chr(c) for k, vs in _EXTRA_CASES.items() for c in (k, *vs) if c > 127}))
    + "\u0130\u212a]"
)


def _exact(items: Any) -> set[str] | None:
    """The finite set of strings a parsed (sub)pattern matches, if small; else None."""
    out = {""}
    for op, av in items:
        name = str(op)
        if name == "LITERAL":
            part: set[str] | None = {chr(av)}
        elif name in _ZERO_WIDTH:
            continue
        elif name == "SUBPATTERN":
            part = None if (av[1] or av[2]) else _exact(av[3])
        elif name == "BRANCH":
            part = set()
            for alt in av[1]:
                e = _exact(alt)
                if e is None:
                    return None
                part |= e
        elif name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
            lo, hi, sub = av
            inner = _exact(sub)
            if inner is None or hi > 2 or hi < lo:
                return None
            part = {""} if lo == 0 else set()
            if hi >= 1 and lo <= 1:
                part |= inner
            if hi == 2:
                part |= {a + b for a in inner for b in inner}
        elif name == "IN":
            chars: set[str] = set()
            for iop, iav in av:
                if str(iop) != "LITERAL":
                    return None
                chars.add(chr(iav))
            part = chars
        else:
            return None
        if part is None:
            return None
        out = {a + b for a in out for b in part}
        if len(out) > _MAX_SET:
            return None
    return out


def _minimal(c: frozenset[str]) -> frozenset[str]:
    """Drop the literals that contain another one of the set (finding that one suffices)."""
    return frozenset(s for s in c if not any(t != s and t in s for t in c))


def _score(c: frozenset[str]) -> tuple[int, int, int]:
    # every literal costs one scan of the text; beyond 5 characters, length barely adds
    # selectivity, so prefer few literals of decent length
    shortest = min(len(s) for s in c)
    return (min(shortest, 5), -len(c), shortest)


def _required(items: Any) -> frozenset[str] | None:
    """A set of literals one of which every match of the parsed (sub)pattern contains."""
    cands: list[frozenset[str]] = []
    runs: list[set[str]] = []  # literal runs ending here, one per start element

    def commit() -> None:
        for r in runs:
            if r and all(r) and len(r) <= _MAX_SET:
                cands.append(frozenset(r))

    for op, av in items:
        name = str(op)
        if name in _ZERO_WIDTH:
            continue
        sub: frozenset[str] | None = None
        if name == "SUBPATTERN" and not (av[1] or av[2]):
            sub = _required(av[3])
        elif name == "ATOMIC_GROUP":
            sub = _required(av)
        elif name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT") and av[0] >= 1:
            sub = _required(av[2])
        elif name == "BRANCH":
            alts = [_required(alt) for alt in av[1]]
            if all(a is not None for a in alts):
                sub = frozenset().union(*alts)  # type: ignore[arg-type]
        if sub:
            cands.append(sub)
        ex = _exact([(op, av)])
        if ex is not None:
            if name != "LITERAL":
                commit()  # the runs as they are, before a multi-way extension
            runs = [{a + b for a in r for b in ex} for r in runs]
            runs = [r for r in runs if len(r) <= _MAX_SET]
            if len(ex) <= _MAX_SET:
                runs.append(set(ex))
            continue
        commit()
        runs = []
    commit()
    cands = [_minimal(c) for c in cands if c and all(c) and len(c) <= _MAX_SET]
    if not cands:
        return None
    return max(cands, key=_score)


@lru_cache(maxsize=1024)
def literals(pattern: str, flags: int) -> tuple[frozenset[str] | None, bool]:
    """(required literals or None, case-insensitive?) for a regex; literals are lower-cased
    when the pattern ignores case."""
    icase = bool(flags & re.I)
    if _sre_p is None:
        return None, icase
    try:
        parsed = _sre_p.parse(pattern, flags)
        req = _required(parsed.data)
    except Exception:  # noqa: BLE001 - an exotic pattern: no prefilter
        return None, icase
    if req is None or any("\n" in s for s in req):
        return None, icase
    if icase:
        req = frozenset(s.lower() for s in req)
    return req, icase


class _Everything:
    """A set that contains every unit index (no prefilter)."""

    def __contains__(self, item: object) -> bool:
        return True


EVERY = _Everything()


class Doc:
    """The units of one text, their lower-cased forms and a literal prefilter over them."""

    __slots__ = ("units", "texts", "lows", "_joined", "_low", "_starts", "_low_starts", "_memo")

    def __init__(self, us: tuple[Unit, ...]) -> None:
        self.units = us
        self.texts = tuple(u.text for u in us)
        self.lows = tuple(t.lower() for t in self.texts)
        self._joined = "\n".join(self.texts)
        self._low = "\n".join(self.lows)
        self._starts = self._offsets(self.texts)
        self._low_starts = self._offsets(self.lows)
        self._memo: dict[Any, Any] = {}
        if not self._joined.isascii():
            self._memo["risky_ascii"] = bool(_RISKY_ASCII.search(self._joined))
            self._memo["risky_any"] = bool(_RISKY_ANY.search(self._joined))

    @staticmethod
    def _offsets(parts: tuple[str, ...]) -> list[int]:
        out, pos = [], 0
        for p in parts:
            out.append(pos)
            pos += len(p) + 1
        return out

    def having(self, needles: frozenset[str] | tuple[str, ...], icase: bool = True) -> Any:
        """Indices of the units containing one of `needles` (lower-case needles when icase);
        EVERY when that cannot be decided exactly."""
        key = (needles, icase)
        got = self._memo.get(key)
        if got is not None:
            return got
        hay = self._low if icase else self._joined
        risky = False
        if icase:
            ascii_only = all(n.isascii() for n in needles)
            risky = self._memo.get("risky_ascii" if ascii_only else "risky_any", False)
        if risky or any(not n or "\n" in n for n in needles):
            self._memo[key] = EVERY
            return EVERY
        starts = self._low_starts if icase else self._starts
        n_units = len(starts)
        found: set[int] = set()
        for n in needles:
            i = hay.find(n)
            while i != -1:
                k = bisect_right(starts, i) - 1
                found.add(k)
                if k + 1 >= n_units:
                    break
                i = hay.find(n, starts[k + 1])
        res = frozenset(found)
        self._memo[key] = res
        return res

    def candidates(self, rx: re.Pattern[str]) -> Any:
        """Indices of the units where `rx` may match (a superset; EVERY if unknown)."""
        req, icase = literals(rx.pattern, rx.flags)
        if req is None:
            return EVERY
        return self.having(req, icase)


@lru_cache(maxsize=8)
def doc(text: str) -> Doc:
    """The shared, pre-split form of a text (see `Doc`)."""
    return Doc(units(text))
