"""Categories of personal data (kind "data_category"), negation-aware.

key: the category id ("email", "ip_address", "health"...). A mention inside a negated clause
("we do not collect payment information") yields key "not:<id>" with detail negated=True
instead, so a real "we now collect X" is never hidden by a denial elsewhere and vice versa.
detail["sensitive"] is True for special categories, biometric, health and children's data.
"""

from __future__ import annotations

import re
from typing import Any

from watcher.facts.base import Compare, finding, keyed, load_lexicon
from watcher.facts.doc import doc, recall, unit_memo
from watcher.facts.prefilter import EVERY
from watcher.models import Fact, Finding

# id -> (reader's label, pattern, sensitive), from watcher/data/categories.json
CATEGORIES: tuple[tuple[str, str, str, bool], ...] = tuple(
    (c["id"], c["label"], c["pattern"], bool(c["sensitive"]))
    for c in load_lexicon("categories.json")["categories"]
)

_COMPILED = tuple(
    (cid, label, re.compile(r"\b(?:" + rx + r")", re.I), sens)
    for cid, label, rx, sens in CATEGORIES
)
_NEG = re.compile(
    r"(?:\b(?:not|never|no|neither|nor|without)\b|n't)[^;:]{0,400}$",
    re.I,
)
_NEG_VERB = re.compile(
    r"\b(?:collect|gather|obtain|request|ask|store|process|hold|keep|record|receive|require|use|"
    r"retain|save|track|access)",
    re.I,
)
# "not limited to", "whether or not", "not only" are not denials
_NOT_DENIAL = re.compile(
    r"\bnot (?:limited|only|necessarily|exhaustive)|or not\b|\bno matter\b|\bno longer than\b",
    re.I,
)
_CLAUSE = re.compile(r"[;]|\bbut\b|\bhowever\b|\bexcept\b|\bother than\b|\bonly\b|\bunless\b", re.I)


def _negated(s: str, start: int) -> bool:
    """Is the mention at `start` inside a negated clause with a collecting verb?"""
    # most mentions have no negation before them at all: then none is in their clause either
    # (a match in the clause is one in s[:start]), and the clause need not be found
    if not _NEG.search(s, 0, start):
        return False
    cut = 0
    for m in _CLAUSE.finditer(s, 0, start):
        cut = m.end()
    clause = s[cut:start]
    m = _NEG.search(clause)
    if not m:
        return False
    if _NOT_DENIAL.search(clause):
        return False
    return bool(_NEG_VERB.search(clause[m.start() :]))


_NAME_NOT = re.compile(
    r"\b(domain|company|brand|file|product|trade|business|host|user|screen)\s*$", re.I
)
_STATES = re.compile(r"[.!?:;,]$")


class _Unit:
    """What one unit gives (a pure function of its text and kind): `skip` when it names a
    topic rather than stating collection; per category, computed on demand, None (no mention)
    or whether its first mention is negated. Shared by both versions of a pair through the unit
    memo: a unit both hold is read once."""

    __slots__ = ("text", "skip", "got")

    def __init__(self, text: str, kind: str) -> None:
        self.text = text
        # headings name topics, they do not state collection
        self.skip = kind == "heading" or (
            kind == "para" and len(text.split()) <= 8 and not _STATES.search(text)
        )
        self.got: dict[int, bool | None] = {}

    def mention(self, ci: int) -> bool | None:
        """None when category `ci` is not mentioned, else whether its first mention is negated."""
        if ci in self.got:
            return self.got[ci]
        s = self.text
        cid, _label, rx, _sens = _COMPILED[ci]
        neg: bool | None = None
        for m in rx.finditer(s):
            if cid == "name" and _NAME_NOT.search(s, 0, m.start()):
                continue
            neg = _negated(s, m.start())
            break
        self.got[ci] = neg
        return neg


def extract(text: str, language: str | None = None) -> list[Fact]:
    d = doc(text)
    units = d.units
    memo = unit_memo("categories")
    entries: dict[int, _Unit] = {}

    def entry(i: int) -> _Unit:
        e = entries.get(i)
        if e is None:
            t, kind = units[i].text, units[i].kind
            e = entries[i] = recall(memo, (t, kind), lambda: _Unit(t, kind))
        return e

    # Each key ("email" and "not:email") keeps its first unit: per category, walk the units
    # where its pattern may match (exact literal prefilter) until both forms are found.
    first: list[tuple[int, int, bool]] = []  # (unit index, category index, negated)
    # only a unit where a denial may be can negate a mention: once a category's plain mention
    # is found, the walk for its negated one skips the others (exact literal prefilter)
    w_deny = d.candidates(_NEG)
    for ci, (_cid, _label, rx, _sens) in enumerate(_COMPILED):
        found: set[bool] = set()
        for i in _ordered(d.candidates(rx), len(units)):
            if False in found and i not in w_deny:
                continue
            e = entry(i)
            if e.skip:
                continue
            neg = e.mention(ci)
            if neg is None or neg in found:
                continue
            found.add(neg)
            first.append((i, ci, neg))
            if len(found) == 2:
                break
    facts: list[Fact] = []
    for i, ci, neg in sorted(first):  # document order; in a unit, the categories' order
        cid, label, _rx, sens = _COMPILED[ci]
        detail: dict[str, object] = {"label": label, "sensitive": sens}
        if neg:
            detail["negated"] = True
        key, value = (f"not:{cid}", f"not {label}") if neg else (cid, label)
        facts.append(Fact("data_category", key, value, units[i].text[:500], detail))
    return facts


def _ordered(where: Any, n: int) -> Any:
    """The unit indices of a candidate set in document order."""
    return range(n) if where is EVERY else sorted(where)


# --------------------------------------------------------------------------- findings

KINDS = ("data_category",)

_SENSITIVE_KINDS = {"health", "special_categories", "biometric", "genetic", "children", "criminal"}


def _added(b: Fact) -> Finding:
    d = b.detail or {}
    if d.get("negated"):
        return finding(
            "data_category_added", b.key, None, b.value, "info",
            f"Now states it does not collect {d.get('label', b.value)}", None, b.evidence,
            {"negated": True},
        )  # fmt: skip
    sev = "high" if d.get("sensitive") or b.key in _SENSITIVE_KINDS else "medium"
    return finding(
        "data_category_added", b.key, None, b.value, sev, f"Newly mentions collecting {b.value}",
        None, b.evidence,
    )  # fmt: skip


def _removed(a: Fact) -> Finding:
    d = a.detail or {}
    if d.get("negated"):
        return finding(
            "data_category_removed", a.key, a.value, None, "medium",
            f"No longer states it does not collect {d.get('label', a.value)}", a.evidence, None,
            {"negated": True},
        )  # fmt: skip
    return finding(
        "data_category_removed", a.key, a.value, None, "low", f"No longer mentions {a.value}",
        a.evidence, None,
    )  # fmt: skip


def compare(kind: str, old: dict[str, Fact], new: dict[str, Fact], ctx: Compare) -> list[Finding]:
    """data_category_added (high for sensitive data, info for "we do not collect X") and
    data_category_removed."""
    return keyed(kind, old, new, added=_added, removed=_removed)
