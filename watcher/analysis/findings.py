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
from bisect import bisect_right
from collections import Counter
from difflib import SequenceMatcher

from watcher.analysis.diff import LineDiff, normalize_line
from watcher.analysis.lint import lint
from watcher.facts import COMPARERS, comparer
from watcher.facts.base import Compare, finding
from watcher.language import guess
from watcher.models import SEVERITY_RANK, Analysis, Fact, Finding

__all__ = ["analyze", "lint", "fact_findings", "cap_findings", "merge_rows", "locate"]

_DIGIT = re.compile(r"\d")
_TEXT_WORD = re.compile(r"\w[\w'-]*")


# kinds whose family compares the texts as well as the facts (attribute TEXT_AWARE = True)
TEXT_KINDS = frozenset(k for k, fam in COMPARERS.items() if getattr(fam, "TEXT_AWARE", False))


def _by_key(facts: list[Fact]) -> dict[str, dict[str, Fact]]:
    out: dict[str, dict[str, Fact]] = {}
    for f in facts:
        out.setdefault(f.kind, {}).setdefault(f.key, f)
    return out


def fact_findings(old_facts: list[Fact], new_facts: list[Fact], ctx: Compare) -> list[Finding]:
    """The findings of every fact kind present in either version, kinds in name order; a
    family that also reads the changed text (`TEXT_KINDS`, e.g. parties: a name only in an
    added sentence) is asked even when neither version has facts of its kind."""
    o, n = _by_key(old_facts), _by_key(new_facts)
    out: list[Finding] = []
    for kind in sorted(set(o) | set(n) | TEXT_KINDS):
        fam = comparer(kind)
        if fam is None:
            continue  # a kind no family knows (facts stored by an older version): text covers it
        out += fam.compare(kind, o.get(kind, {}), n.get(kind, {}), ctx)
    return out


# --------------------------------------------------------------------------- text


def _text_finding(hs: list, cosmetic: bool) -> tuple[Finding, int, int]:
    # the words of all changed lines at once (no word spans a line break)
    old_words = Counter(
        _TEXT_WORD.findall("\n".join(normalize_line(x) for h in hs for x in h.old_lines).lower())
    )
    new_words = Counter(
        _TEXT_WORD.findall("\n".join(normalize_line(x) for h in hs for x in h.new_lines).lower())
    )
    removed = sum((old_words - new_words).values())
    added = sum((new_words - old_words).values())
    # evidence: the first changed line on each side (a changed word alone says little)
    ex_old = next((normalize_line(x) for h in hs for x in h.old_lines if x.strip()), None)
    ex_new = next((normalize_line(x) for h in hs for x in h.new_lines if x.strip()), None)
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


_NUMBER = re.compile(r"\d+")
_LANGUAGE_NAMES = {
    "en": "English", "fr": "French", "de": "German", "es": "Spanish", "it": "Italian",
    "nl": "Dutch", "pt": "Portuguese", "sv": "Swedish", "da": "Danish", "pl": "Polish",
}  # fmt: skip


def _translated(hs: list) -> tuple[str, str] | None:
    """(from, to) language names when the changed text is the same passage in another language:
    both sides long enough to tell (20+ function words), in different languages, of comparable
    length, with the same numbers. With no fact changed, that is a translation, not a policy
    change."""
    old = "\n".join(normalize_line(x) for h in hs for x in h.old_lines)
    new = "\n".join(normalize_line(x) for h in hs for x in h.new_lines)
    a, b = guess(old), guess(new)
    if a.language is None or b.language is None or a.language == b.language:
        return None
    if min(a.hits, b.hits) < 20 or min(a.share, b.share) < 0.5:
        return None
    wa, wb = len(old.split()), len(new.split())
    if not 0.6 <= wb / max(1, wa) <= 1.6:
        return None
    if sorted(_NUMBER.findall(old)) != sorted(_NUMBER.findall(new)):
        return None  # a translation keeps its numbers: "30 days" -> "13 mois" is a change
    name = _LANGUAGE_NAMES.get
    return name(a.language, a.language), name(b.language, b.language)  # type: ignore[return-value]


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
                if _DIGIT.search(a + b):
                    return False  # "28" -> "30" or "v2" -> "v3" is no typo
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
    if old_text == new_text:
        return Analysis(False, "none", "no change", [], [])
    lines = LineDiff(old_text, new_text)
    hs = lines.hunks()
    if not hs:  # the same normalized lines
        return Analysis(False, "none", "no change", [], [])
    cosmetic_layout = lines.layout_only()  # equal layout keys
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
    translated = None if facts_found or cosmetic_layout else _translated(hs)
    if translated:
        tf.severity = "info"
        tf.summary = f"Text translated from {translated[0]} into {translated[1]}; no fact changed"
        tf.detail = {**(tf.detail or {}), "translated": list(translated)}
    if (
        translated
        or cosmetic_layout
        or (
            all(
                f.kind.startswith("date_") or f.kind in ("section_moved", "section_renamed")
                for f in facts_found
            )
            and (_only_date_lines(hs, old_facts, new_facts) or _typo_only(hs))
            and not any(f.kind in ("section_moved", "section_renamed") for f in facts_found)
        )
    ):
        cls = "cosmetic"
    elif any(SEVERITY_RANK.get(f.severity, 0) >= 2 for f in facts_found) or added + removed >= 100:
        cls = "substantive"
    else:
        cls = "minor"
    if cls != "cosmetic" and tf.severity == "info":
        tf.severity = "low"  # never silent: what is not cosmetic reaches the default min_severity
        findings.sort(key=lambda f: -SEVERITY_RANK.get(f.severity, 0))  # stable
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
    findings = cap_findings(merge_rows(findings))
    locate(findings, old_text, new_text, hs)
    return Analysis(True, cls, summary, findings, hs, added, removed)  # type: ignore[arg-type]


MAX_FINDINGS = 50  # per change; the rest are summarised in one finding with counts
MAX_PER_KIND = 10  # low and info findings of one kind listed one by one


def merge_rows(findings: list[Finding]) -> list[Finding]:
    """One finding per table row: a location found in the same added (removed) row as a
    party is folded into the party's finding (`detail["location"]`)."""
    rows: dict[tuple[str, str], Finding] = {}
    for f in findings:
        if f.kind in ("party_added", "party_removed"):
            side = "new" if f.kind == "party_added" else "old"
            ev = f.evidence_new if side == "new" else f.evidence_old
            if ev and " | " in ev:
                rows.setdefault((side, ev), f)
    if not rows:
        return findings
    out: list[Finding] = []
    for f in findings:
        side = {"location_added": "new", "location_removed": "old"}.get(f.kind)
        ev = (f.evidence_new if side == "new" else f.evidence_old) if side else None
        party = rows.get((side, ev)) if side and ev else None
        if party is not None:
            d = dict(party.detail or {})  # never the fact's own dict
            d.setdefault("location", f.new if side == "new" else f.old)
            party.detail = d
            continue
        out.append(f)
    return out


def cap_findings(findings: list[Finding]) -> list[Finding]:
    """At most MAX_PER_KIND low/info findings of one kind and MAX_FINDINGS in all (sorted, most
    severe first); what is left out is counted in one `findings_summarised` finding."""
    kept: list[Finding] = []
    left: list[Finding] = []
    per_kind: Counter[str] = Counter()
    for f in findings:
        minor = SEVERITY_RANK.get(f.severity, 0) <= SEVERITY_RANK["low"]
        if f.kind != "text_changed" and minor:
            per_kind[f.kind] += 1
            if per_kind[f.kind] > MAX_PER_KIND:
                left.append(f)
                continue
        kept.append(f)
    if len(kept) + (1 if left else 0) > MAX_FINDINGS:
        left = kept[MAX_FINDINGS - 1 :] + left
        kept = kept[: MAX_FINDINGS - 1]
    if not left:
        return findings
    by_kind = Counter(f.kind for f in left)
    by_sev = Counter(f.severity for f in left)
    worst = max(left, key=lambda f: SEVERITY_RANK.get(f.severity, 0)).severity
    parts = [f"{n:,} {_KIND_WORDS.get(k, k.replace('_', ' '))}" for k, n in by_kind.most_common()]
    summary = (
        f"{len(left):,} more finding{'' if len(left) == 1 else 's'} not listed: "
        + ", ".join(parts[:6])
        + (", ..." if len(parts) > 6 else "")
    )
    more = finding(
        "findings_summarised", "more", None, len(left), worst, summary, None, None,
        {"count": len(left), "by_kind": dict(by_kind), "by_severity": dict(by_sev)},
    )  # fmt: skip
    out = kept + [more]
    out.sort(key=lambda f: -SEVERITY_RANK.get(f.severity, 0))  # stable: the summary goes last
    return out


_KIND_WORDS = {
    "section_added": "sections added",
    "section_removed": "sections removed",
    "section_renamed": "sections renamed",
    "section_moved": "sections moved",
}


def locate(findings: list[Finding], old_text: str, new_text: str, hs: list) -> None:
    """Set `detail["section"]`: the heading each finding's evidence sits under (new version;
    the old one for what was removed)."""
    where = {"old": _Headings(old_text), "new": _Headings(new_text)}
    for f in findings:
        if f.kind.startswith("section_") or f.kind == "findings_summarised":
            continue
        if f.kind == "text_changed":
            h = hs[0] if hs else None
            sec = None
            if h is not None:
                sec = (
                    where["new"].at_line(h.new_start - 1)
                    if h.new_lines
                    else where["old"].at_line(h.old_start - 1)
                )
        else:
            sec = where["new"].of(f.evidence_new) if f.evidence_new else None
            if sec is None and f.evidence_old:
                sec = where["old"].of(f.evidence_old)
        if sec:
            d = dict(f.detail or {})  # never the fact's own dict
            d.setdefault("section", sec)
            f.detail = d


class _Headings:
    """The heading above each line of a text (from the section family's outline)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self._raw: list[str] | None = None
        self._lines: list[str] = []  # the normalized lines read so far (`of`)
        self._starts: list[int] | None = None
        self._names: list[str] = []

    def at_line(self, i: int) -> str | None:
        if self._starts is None:
            from watcher.facts.sections import heading, outline

            self._starts = []
            for line, _level, h, _num in outline(self.text):
                self._starts.append(line)
                self._names.append(heading(h))
        k = bisect_right(self._starts, i) - 1
        return self._names[k] if k >= 0 else None

    def of(self, evidence: str) -> str | None:
        """The heading above the first line holding the evidence (lines are normalized as they
        are read, from the top, as far as that line: the rest may never be)."""
        probe = normalize_line(evidence)[:80]
        if not probe:
            return None
        lines = self._lines
        for i, ln in enumerate(lines):
            if probe in ln:
                return self.at_line(i)
        if self._raw is None:
            self._raw = self.text.splitlines()
        raw = self._raw
        for i in range(len(lines), len(raw)):
            ln = normalize_line(raw[i])
            lines.append(ln)
            if probe in ln:
                return self.at_line(i)
        return None


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
