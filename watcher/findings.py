"""Compare two versions: facts and text -> findings, classification, summary (pure)."""

from __future__ import annotations

import re

from watcher.diff import hunks as _hunks
from watcher.models import SEVERITY_RANK, Analysis, Fact, Finding


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def analyze(
    old_text: str,
    new_text: str,
    old_facts: list[Fact],
    new_facts: list[Fact],
    *,
    title: str | None = None,
) -> Analysis:
    if _norm(old_text) == _norm(new_text):
        return Analysis(False, "none", "no change", [], [])
    hs = _hunks(old_text, new_text)
    added = sum(len(t.split()) for op, t in (w for h in hs for w in h.words) if op == "+")
    removed = sum(len(t.split()) for op, t in (w for h in hs for w in h.words) if op == "-")
    f = Finding(
        "text_changed", "text", removed, added, "low", f"Text changed: +{added} / -{removed} words"
    )
    findings = sorted([f], key=lambda x: -SEVERITY_RANK[x.severity])
    return Analysis(True, "minor", f.summary, findings, hs, added, removed)


def lint(text: str, facts: list[Fact]) -> list[Finding]:
    return []
