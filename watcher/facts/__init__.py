"""Fact extraction: one module per family, each ``extract(text, language=None) -> list[Fact]``."""

from __future__ import annotations

import importlib

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


def extract_facts(text: str, language: str | None = None) -> list[Fact]:
    """Run every family module present; deterministic order, deduplicated by (kind, key)."""
    out: list[Fact] = []
    seen: set[tuple[str, str]] = set()
    for name in FAMILIES:
        try:
            mod = importlib.import_module(f"watcher.facts.{name}")
        except ImportError:
            continue
        fn = getattr(mod, "extract", None)
        if fn is None:
            continue
        for f in fn(text, language):
            k = (f.kind, f.key)
            if k in seen:
                continue
            seen.add(k)
            out.append(f)
    return out
