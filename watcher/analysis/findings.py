"""Compare two versions: facts and text -> findings, classification, summary (pure).

`analyze(old_text, new_text, old_facts, new_facts)` matches facts by (kind, key) and hands
each kind to the family that owns it (`watcher.facts.COMPARERS`: the family's `compare` words
its findings and sets their severity), so a fact whose sentence merely moved yields nothing.
Text is compared after noise normalization (see `diff.normalize_line`): identical after
normalization -> changed False, classification "none", no findings. Layout-only changes (list
markers, indentation, heading levels, re-wrapping, case) -> classification "cosmetic" with one
info text_changed finding.

text_changed: `old` = number of words removed, `new` = number of words added (moved text
cancels out); the evidence holds a short excerpt of the first removed / added words.
"""

from __future__ import annotations

import re
from collections import Counter
from difflib import SequenceMatcher

from watcher.analysis.diff import hunks as _hunks
from watcher.analysis.diff import layout_key, normalize_line
from watcher.analysis.lint import lint
from watcher.facts import comparer
from watcher.facts.base import Compare, finding
from watcher.models import SEVERITY_RANK, Analysis, Fact, Finding

__all__ = ["analyze", "lint", "fact_findings"]


def _by_key(facts: list[Fact]) -> dict[str, dict[str, Fact]]:
    out: dict[str, dict[str, Fact]] = {}
    for f in facts:
        out.setdefault(f.kind, {}).setdefault(f.key, f)
    return out


def fact_findings(old_facts: list[Fact], new_facts: list[Fact], ctx: Compare) -> list[Finding]:
    """The findings of every fact kind present in either version, kinds in name order."""
    o, n = _by_key(old_facts), _by_key(new_facts)
    out: list[Finding] = []
    for kind in sorted(set(o) | set(n)):
        fam = comparer(kind)
        if fam is None:
            continue  # a kind no family knows (facts stored by an older version): text covers it
        out += fam.compare(kind, o.get(kind, {}), n.get(kind, {}), ctx)
    return out


# --------------------------------------------------------------------------- text


def _norm_lines(text: str) -> list[str]:
    return [x for x in (normalize_line(ln) for ln in text.splitlines()) if x]


def _layout_words(text: str) -> list[str]:
    return layout_key(text)


def _text_finding(hs: list, cosmetic: bool) -> tuple[Finding, int, int]:
    old_words: Counter[str] = Counter()
    new_words: Counter[str] = Counter()
    for h in hs:
        for ln in h.old_lines:
            old_words.update(re.findall(r"\w[\w'-]*", normalize_line(ln).lower()))
        for ln in h.new_lines:
            new_words.update(re.findall(r"\w[\w'-]*", normalize_line(ln).lower()))
    removed = sum((old_words - new_words).values())
    added = sum((new_words - old_words).values())
    ex_old = next((t for h in hs for op, t in h.words if op == "-" and t.strip()), None)
    ex_new = next((t for h in hs for op, t in h.words if op == "+" and t.strip()), None)
    total = added + removed
    if cosmetic:
        sev = "info"
        summary = "Formatting-only changes (layout, list markers or heading levels)"
    else:
        sev = "info" if total <= 3 else "low" if total < 40 else "medium" if total < 400 else "high"
        summary = f"Text changed: {added} word{'' if added == 1 else 's'} added, {removed} removed"
    f = finding(
        "text_changed", "text", removed, added, sev, summary, ex_old, ex_new, {"hunks": len(hs)}
    )
    return f, added, removed


def _typo_only(hs: list) -> bool:
    """Every change is a small edit inside a word (spelling fix), at most a few words."""
    n = 0
    for h in hs:
        ops = [w for w in h.words if w[0] != "="]
        i = 0
        while i < len(ops):
            op, t = ops[i]
            if op == "-" and i + 1 < len(ops) and ops[i + 1][0] == "+":
                a, b = t.strip(), ops[i + 1][1].strip()
                if len(a.split()) > 1 or len(b.split()) > 1:
                    return False
                if SequenceMatcher(None, a.lower(), b.lower()).ratio() < 0.7:
                    return False
                n += 1
                i += 2
                continue
            if t.strip() and re.search(r"\w", t):
                return False
            i += 1
    return n <= 3


# --------------------------------------------------------------------------- public API


def analyze(
    old_text: str,
    new_text: str,
    old_facts: list[Fact],
    new_facts: list[Fact],
    *,
    title: str | None = None,
) -> Analysis:
    """Compare two versions. Findings are sorted most severe first."""
    if old_text == new_text or _norm_lines(old_text) == _norm_lines(new_text):
        return Analysis(False, "none", "no change", [], [])
    hs = _hunks(old_text, new_text)
    if not hs:
        return Analysis(False, "none", "no change", [], [])
    cosmetic_layout = _layout_words(old_text) == _layout_words(new_text)
    findings: list[Finding] = []
    if not cosmetic_layout:
        findings += fact_findings(old_facts, new_facts, Compare(old_text, new_text, title))
    tf, added, removed = _text_finding(hs, cosmetic_layout)
    findings.append(tf)
    order = {
        k: i
        for i, k in enumerate(
            ("party", "transfer", "location", "data_category", "retention", "right")
        )
    }
    findings.sort(
        key=lambda f: (
            -SEVERITY_RANK.get(f.severity, 0),
            f.kind == "text_changed",
            min((v for k, v in order.items() if f.kind.startswith(k)), default=99),
        )
    )
    # classification
    facts_found = [f for f in findings if f.kind != "text_changed"]
    if cosmetic_layout or (
        all(
            f.kind.startswith("date_") or f.kind in ("section_moved", "section_renamed")
            for f in facts_found
        )
        and (_only_date_lines(hs, old_facts, new_facts) or _typo_only(hs))
        and not any(f.kind in ("section_moved", "section_renamed") for f in facts_found)
    ):
        cls = "cosmetic"
    elif any(SEVERITY_RANK.get(f.severity, 0) >= 2 for f in facts_found) or added + removed >= 100:
        cls = "substantive"
    else:
        cls = "minor"
    lead = findings[0]
    if lead.kind == "text_changed" and facts_found:
        lead = facts_found[0]
    others = len(facts_found) - (1 if lead is not tf else 0)
    summary = (
        lead.summary[:1].lower() + lead.summary[1:]
        if lead.summary[:2] != lead.summary[:2].upper()
        else lead.summary
    )
    if others > 0:
        summary += f", +{others} more"
    if lead is not tf and not facts_found:
        summary = tf.summary
    return Analysis(True, cls, summary, findings, hs, added, removed)  # type: ignore[arg-type]


def _only_date_lines(hs: list, old_facts: list[Fact], new_facts: list[Fact]) -> bool:
    """Every changed line carries a date fact's evidence (a pure "last updated" bump)."""
    evs = [
        normalize_line(f.evidence).lower()
        for f in old_facts + new_facts
        if f.kind == "date" and f.evidence
    ]
    if not evs:
        return False
    for h in hs:
        for ln in h.old_lines + h.new_lines:
            n = normalize_line(ln).lower()
            if n and not any(e and (e in n or n in e) for e in evs):
                return False
    return True
