"""Fact extraction: one module per family, registered here by name.

Each family module (see `base.py`) owns its fact kinds end to end: `KINDS`, `extract(text,
language=None) -> list[Fact]` and `compare(kind, old, new, ctx) -> list[Finding]` (wording and
severity of its findings). The registry below imports every family explicitly, so a missing or
misspelt module fails at import instead of silently dropping a family; `COMPARERS` maps each
fact kind to the family that compares it (two families claiming one kind is an error).

`extract_facts` runs every family in the order of `FAMILIES` and deduplicates by (kind, key),
keeping the first occurrence. All families read the text through one segmentation
(`doc.py`: sentences, list items, table rows and cells).

To add a family: write `watcher/facts/<name>.py` with KINDS, extract and compare, and add it
to the import and to `FAMILIES` below.
"""

from __future__ import annotations

from types import ModuleType

from watcher.facts import (
    categories,
    contacts,
    dates,
    identifiers,
    parties,
    places,
    retention,
    rights,
    sections,
)
from watcher.facts.base import FirstFacts, check_family, load_lexicon
from watcher.facts.doc import clear_caches as _clear_doc_caches
from watcher.models import Fact

__all__ = [
    "COMPARERS",
    "FAMILIES",
    "FirstFacts",
    "clear_caches",
    "comparer",
    "extract_facts",
    "load_lexicon",
]

FAMILIES: tuple[ModuleType, ...] = tuple(
    check_family(m)
    for m in (
        dates,
        parties,
        contacts,
        places,
        retention,
        categories,
        rights,
        sections,
        identifiers,
    )
)


def _comparers() -> dict[str, ModuleType]:
    out: dict[str, ModuleType] = {}
    for fam in FAMILIES:
        for kind in fam.KINDS:
            if kind in out:
                raise TypeError(
                    f"fact kind {kind!r} claimed by {out[kind].__name__} and {fam.__name__}"
                )
            out[kind] = fam
    return out


COMPARERS: dict[str, ModuleType] = _comparers()


def comparer(kind: str) -> ModuleType | None:
    """The family that compares facts of `kind` (None for a kind no family knows)."""
    return COMPARERS.get(kind)


def clear_caches() -> None:
    """Forget every per-text and per-line memo (for cold-start benchmarks)."""
    _clear_doc_caches()
    parties.extraction.clear_caches()
    sections.clear_caches()


def extract_facts(text: str, language: str | None = None) -> list[Fact]:
    """Run every family; deterministic order, deduplicated by (kind, key)."""
    found = FirstFacts()
    for fam in FAMILIES:
        for f in fam.extract(text, language):
            found.add_fact(f)
    return found.facts
