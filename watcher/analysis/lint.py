"""Issues of a single version (kind "lint"): outdated legal references, dangling date
references and GDPR Art. 13 items the policy does not seem to state (pure)."""

from __future__ import annotations

import re

from watcher.facts.base import finding as _f
from watcher.models import SEVERITY_RANK, Fact, Finding


def _by_key(facts: list[Fact]) -> dict[str, dict[str, Fact]]:
    out: dict[str, dict[str, Fact]] = {}
    for f in facts:
        out.setdefault(f.kind, {}).setdefault(f.key, f)
    return out


_LINT_PATTERNS: tuple[tuple[str, str, str, re.Pattern[str]], ...] = (
    ("dpa_1998", "medium", "Cites the UK Data Protection Act 1998, replaced by the Data Protection Act 2018",
     re.compile(r"Data Protection Act,?\s*(?:\()?1998", re.I)),
    ("data_protection_directive", "low", "Cites the EU Data Protection Directive 95/46/EC, repealed by the GDPR in 2018",
     re.compile(r"\b95/46/EC\b|Data Protection Directive", re.I)),
)  # fmt: skip
_DATE_REF = re.compile(
    r"date (?:at|on) the top of this (?:page|policy|document)|\blast updated\"? date (?:above|below|at the top|on this page)|"
    r"date (?:shown|indicated|stated|noted) (?:above|at the top)|(?:effective|revision) date above",
    re.I,
)


def lint(text: str, facts: list[Fact]) -> list[Finding]:
    """Issues of a single version (kind "lint"): outdated legal references, dangling date
    references and GDPR Art. 13 items the policy does not seem to state."""
    out: list[Finding] = []
    by = _by_key(facts)

    def sentence_of(m: re.Match[str]) -> str:
        a = max(text.rfind("\n", 0, m.start()), 0)
        b = text.find("\n", m.end())
        return text[a : b if b != -1 else len(text)].strip()

    ps = by.get("transfer_mechanism", {}).get("privacy_shield")
    if ps is None:
        m = re.search(r"\bPrivacy[- ]Shield\b", text, re.I)
        ev = sentence_of(m) if m else None
    else:
        ev = ps.evidence
    if ev is not None and not re.search(
        r"invalidat|no longer (?:valid|rely)|struck down|Schrems", ev, re.I
    ):
        out.append(
            _f("lint", "privacy_shield", None, "EU-US Privacy Shield", "high",
               "Relies on the EU-US Privacy Shield, invalidated by the CJEU on 16 July 2020 (Schrems II)",
               None, ev)
        )  # fmt: skip
    for field, sev, msg, rx in _LINT_PATTERNS:
        m = rx.search(text)
        if m:
            out.append(_f("lint", field, None, m.group(0), sev, msg, None, sentence_of(m)))
    m = _DATE_REF.search(text)
    if m and not by.get("date"):
        out.append(
            _f("lint", "missing_date", None, m.group(0), "medium",
               "Refers to a date at the top of the page, but no date is stated", None, sentence_of(m))
        )  # fmt: skip
    contacts = by.get("contact", {})
    if not any(k not in ("dpo",) and not k.endswith("_representative") for k in contacts):
        out.append(
            _f(
                "lint",
                "controller_contact",
                None,
                None,
                "medium",
                "No contact details (e-mail, postal address or phone) for the controller",
                None,
                None,
            )
        )
    if "dpo" not in contacts:
        out.append(
            _f(
                "lint",
                "dpo",
                None,
                None,
                "info",
                "No Data Protection Officer contact mentioned (GDPR Art. 13(1)(b), where one is required)",
                None,
                None,
            )
        )
    if not by.get("retention"):
        out.append(
            _f(
                "lint",
                "retention",
                None,
                None,
                "low",
                "No retention period stated (GDPR Art. 13(2)(a))",
                None,
                None,
            )
        )
    if "complaint" not in by.get("right", {}):
        out.append(
            _f(
                "lint",
                "complaint_right",
                None,
                None,
                "low",
                "Does not mention the right to complain to a supervisory authority (GDPR Art. 13(2)(d))",
                None,
                None,
            )
        )
    out.sort(key=lambda f: -SEVERITY_RANK.get(f.severity, 0))
    return out
