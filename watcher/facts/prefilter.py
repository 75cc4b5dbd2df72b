"""Literal prefilters for regexes: which literal strings every match of a pattern must contain.

`literals(pattern, flags)` derives them from the parsed pattern (exact: a unit of text without
any of them cannot match), so `doc.Doc.candidates` runs a costly pattern only on the units that
may match. `trie_pattern(words)` builds a fast alternation of literal words.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from watcher.textutil import CASE_RISKY

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
RISKY_ASCII = re.compile(f"[{CASE_RISKY}]")
RISKY_ANY_CHARS = (
    "".join(sorted({chr(c) for k, vs in _EXTRA_CASES.items() for c in (k, *vs) if c > 127}))
    + "\u0130\u212a"
)
RISKY_ANY = re.compile(f"[{RISKY_ANY_CHARS}]")


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


def trie_pattern(words: list[str]) -> str:
    """A regex alternation of the literal `words` factored as a trie: it matches what the
    longest-first alternation matches, in the same order, but much faster."""
    root: dict = {}
    for w in words:
        node = root
        for c in w:
            node = node.setdefault(c, {})
        node[""] = {}

    def rx(node: dict) -> str:
        alts = [re.escape(c) + rx(sub) for c, sub in sorted(node.items()) if c]
        if not alts:
            return ""
        body = alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"
        return f"(?:{body})?" if "" in node else body

    return rx(root)
