"""What a fact family is, and the small shared pieces families are written with (pure).

A family is a module of `watcher/facts/` registered by name in `watcher/facts/__init__.py`:

    KINDS = ("contact",)                               # the fact kinds it owns, end to end
    def extract(text, language=None) -> list[Fact]     # facts of one version
    def compare(kind, old, new, ctx) -> list[Finding]  # findings for one of its kinds

`compare` gets the facts of one kind of both versions keyed by `Fact.key` (first occurrence,
document order) and a `Compare` context (both texts); it owns the wording and the severity of
its findings. `analysis.findings.analyze` calls it for every kind present in either version.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from types import ModuleType
from typing import Any, Protocol

from watcher.models import Fact, Finding
from watcher.textutil import shorten


@dataclass(frozen=True)
class Compare:
    """What a family's `compare` may look at besides the facts: both versions' texts."""

    old_text: str
    new_text: str
    title: str | None = None


class Family(Protocol):
    """A fact family module (see the module docstring)."""

    KINDS: tuple[str, ...]

    def extract(self, text: str, language: str | None = None) -> list[Fact]: ...

    def compare(
        self, kind: str, old: dict[str, Fact], new: dict[str, Fact], ctx: Compare
    ) -> list[Finding]: ...


def check_family(mod: ModuleType) -> ModuleType:
    """`mod` if it has what a family needs (KINDS, extract, compare); TypeError naming it else."""
    kinds = getattr(mod, "KINDS", None)
    missing = [n for n in ("extract", "compare") if not callable(getattr(mod, n, None))]
    if not kinds or not isinstance(kinds, tuple) or missing:
        raise TypeError(
            f"fact family {mod.__name__}: needs KINDS (a tuple) and functions extract and compare"
            + (f" (missing: {', '.join(missing)})" if missing else "")
        )
    return mod


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


def load_lexicon(name: str) -> Any:
    """A JSON lexicon shipped in watcher/data/ (read once by the module that needs it)."""
    return json.loads(resources.files("watcher.data").joinpath(name).read_text(encoding="utf-8"))


# --------------------------------------------------------------------------- findings


def finding(
    kind: str,
    field: str,
    old: Any,
    new: Any,
    severity: str,
    summary: str,
    evidence_old: str | None = None,
    evidence_new: str | None = None,
    detail: dict[str, Any] | None = None,
) -> Finding:
    """A Finding with its evidence shortened to one readable excerpt."""
    return Finding(
        kind,
        field,
        old,
        new,
        severity,  # type: ignore[arg-type]
        summary,
        shorten(evidence_old, 300),
        shorten(evidence_new, 300),
        detail,
    )


def keyed(
    kind: str,
    old: dict[str, Fact],
    new: dict[str, Fact],
    *,
    added: Callable[[Fact], Finding | None],
    removed: Callable[[Fact], Finding | None],
    changed: Callable[[Fact, Fact], Finding | None] | None = None,
) -> list[Finding]:
    """Added / changed findings in the new version's order, then removed ones in the old's.

    `changed` is asked only when the values differ (see `same_value`)."""
    out: list[Finding] = []
    for k, b in new.items():
        a = old.get(k)
        f = (
            added(b)
            if a is None
            else (changed(a, b) if changed and not same_value(kind, a, b) else None)
        )
        if f:
            out.append(f)
    for k, a in old.items():
        if k not in new:
            f = removed(a)
            if f:
                out.append(f)
    return out


def same_value(kind: str, a: Fact, b: Fact) -> bool:
    """Whether two facts of the same key say the same (written form aside)."""
    from watcher.analysis.diff import normalize_line

    if a.value == b.value:
        return True
    return normalize_line(str(a.value)).lower() == normalize_line(str(b.value)).lower()


def cap(s: str) -> str:
    return s[:1].upper() + s[1:]


def label(key: str) -> str:
    """A fact key as words ("ico_registration~2" -> "ico registration")."""
    return key.split("~")[0].replace("_", " ")


@lru_cache(maxsize=4096)
def _words(s: str) -> frozenset[str]:
    return frozenset(w for w in _ALNUM.findall(s.lower()) if len(w) > 2)


_ALNUM = re.compile(r"[a-z0-9]+")


def jaccard(a: str, b: str) -> float:
    """Word-set overlap of two texts (words of 3+ letters), 0..1."""
    wa, wb = _words(a), _words(b)
    if not wa or not wb:
        return 0.0
    return len(wa & wb) / len(wa | wb)


def pair_up(
    olds: Iterable[Fact], news: Iterable[Fact], score: Callable[[Fact, Fact], float], least: float
) -> tuple[list[tuple[Fact, Fact]], list[Fact], list[Fact]]:
    """Best-first one-to-one pairing of facts whose score reaches `least`:
    (pairs, unpaired old, unpaired new)."""
    ol, nl = list(olds), list(news)
    cand = []
    for i, a in enumerate(ol):
        for j, b in enumerate(nl):
            s = score(a, b)
            if s >= least:
                cand.append((s, i, j))
    used_o: set[int] = set()
    used_n: set[int] = set()
    pairs: list[tuple[Fact, Fact]] = []
    for _s, i, j in sorted(cand, reverse=True):
        if i in used_o or j in used_n:
            continue
        used_o.add(i)
        used_n.add(j)
        pairs.append((ol[i], nl[j]))
    return (
        pairs,
        [a for i, a in enumerate(ol) if i not in used_o],
        [b for j, b in enumerate(nl) if j not in used_n],
    )
