"""Categories of personal data (kind "data_category"), negation-aware.

key: the category id ("email", "ip_address", "health"...). A mention inside a negated clause
("we do not collect payment information") yields key "not:<id>" with detail negated=True
instead, so a real "we now collect X" is never hidden by a denial elsewhere and vice versa.
detail["sensitive"] is True for special categories, biometric, health and children's data.
"""

from __future__ import annotations

import re

from watcher.facts.base import Compare, finding, keyed, load_lexicon
from watcher.facts.doc import doc
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
_CLAUSE = re.compile(r"[;]|\bbut\b|\bhowever\b|\bexcept\b|\bother than\b|\bonly\b|\bunless\b", re.I)


def _negated(s: str, start: int) -> bool:
    """Is the mention at `start` inside a negated clause with a collecting verb?"""
    cut = 0
    for m in _CLAUSE.finditer(s, 0, start):
        cut = m.end()
    clause = s[cut:start]
    m = _NEG.search(clause)
    if not m:
        return False
    # "not limited to", "whether or not", "not only" are not denials
    if re.search(
        r"\bnot (?:limited|only|necessarily|exhaustive)|or not\b|\bno matter\b|\bno longer than\b",
        clause,
        re.I,
    ):
        return False
    return bool(_NEG_VERB.search(clause[m.start() :]))


_NAME_NOT = re.compile(
    r"\b(domain|company|brand|file|product|trade|business|host|user|screen)\s*$", re.I
)
_STATES = re.compile(r"[.!?:;,]$")


def extract(text: str, language: str | None = None) -> list[Fact]:
    facts: list[Fact] = []
    seen: set[str] = set()
    d = doc(text)
    # units where each category's pattern may match (exact literal prefilter)
    where = [d.candidates(rx) for _cid, _label, rx, _sens in _COMPILED]
    units = d.units
    for i in d.among(where):  # a unit in no candidate set gives nothing
        u = units[i]
        s = u.text
        skip: bool | None = None
        for (cid, label, rx, sens), cand in zip(_COMPILED, where, strict=True):
            if i not in cand:
                continue
            if skip is None:
                # headings name topics, they do not state collection
                skip = u.kind == "heading" or (
                    u.kind == "para" and len(s.split()) <= 8 and not _STATES.search(s)
                )
            if skip:
                break
            if cid in seen and "not:" + cid in seen:
                continue  # both forms known: any further mention changes nothing
            for m in rx.finditer(s):
                if cid == "name" and _NAME_NOT.search(s, 0, m.start()):
                    continue
                neg = _negated(s, m.start())
                key = f"not:{cid}" if neg else cid
                if key in seen:
                    break
                seen.add(key)
                value = f"not {label}" if neg else label
                detail: dict[str, object] = {"label": label, "sensitive": sens}
                if neg:
                    detail["negated"] = True
                facts.append(Fact("data_category", key, value, s[:500], detail))
                break
    return facts


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
