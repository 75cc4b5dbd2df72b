"""Company identifiers (kind "identifier") and fees (kind "fee").

identifier keys: "company_number", "ico_registration", "vat", "rcs", "siren", "ein",
"registration_number" (a repeated type gets "~2"); value: the identifier as written
(spaces removed). fee keys: "fee" (then "fee~2"...); value: the amount as written ("£10.00");
detail: currency, amount, context (the sentence).
"""

from __future__ import annotations

import re
from typing import Any

from watcher.facts.base import Compare, cap, finding, keyed, label
from watcher.facts.doc import doc, recall, unit_memo
from watcher.models import Fact, Finding

_IDS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("ico_registration", re.compile(r"\b(Z[A-Z]?\d{6,7}|ZA\d{6})\b")),
    (
        "vat",
        re.compile(
            r"\bVAT\s*(?:registration\s*)?(?:no\.?|number|n°|id|reg\.?)?\s*[:#]?\s*((?:[A-Z]{2})?\s?\d[\d ]{6,14}\d)",
            re.I,
        ),
    ),
    (
        "company_number",
        re.compile(
            r"\b(?:company|companies house|registered|registration|company registration)\s*(?:no\.?|number|#|n°|num\.?)\**\s*[:.#]?\s*\(?((?:[A-Z]{2})?\d{6,8})\b",
            re.I,
        ),
    ),
    (
        "rcs",
        re.compile(r"\bR\.?C\.?S\.?\s+(?:[A-Z][a-zé-]+\s+)?((?:[AB]\s)?\d{3}\s?\d{3}\s?\d{3})\b"),
    ),
    (
        "siren",
        re.compile(
            r"\bSIRE[NT]\s*(?:no\.?|number|n°)?\s*[:]?\s*(\d{3}\s?\d{3}\s?\d{3}(?:\s?\d{5})?)\b",
            re.I,
        ),
    ),
    ("ein", re.compile(r"\bEIN\s*[:#]?\s*(\d{2}-\d{7})\b")),
    (
        "registration_number",
        re.compile(r"\bregistration number\s*(?:is\s*)?[:,]?\s*([A-Z0-9][A-Z0-9-]{4,20})\b", re.I),
    ),
)
_ICO_CTX = re.compile(
    r"\b(ICO|Information Commissioner|Data Protection|registered|registration)\b", re.I
)
_MONEY = re.compile(
    r"(?:(?P<sym>[£$€]|US\$|USD|GBP|EUR)\s?(?P<a1>\d{1,6}(?:[.,]\d{3})*(?:[.,]\d{2})?)"
    r"|(?P<a2>\d{1,6}(?:[.,]\d{2})?)\s?(?P<sym2>€|EUR|euros?|USD|GBP|pounds?|dollars?)\b)",
    re.I,
)
_FEE_CTX = re.compile(r"\b(fee|fees|charge|charges|charged|cost|costs|payment of|pay)\b", re.I)
_SPACES = re.compile(r"\s+")
_DIGIT = re.compile(r"\d")
_CUR = {"£": "GBP", "$": "USD", "us$": "USD", "€": "EUR", "euro": "EUR", "euros": "EUR",
        "pound": "GBP", "pounds": "GBP", "dollar": "USD", "dollars": "USD"}  # fmt: skip


def extract(text: str, language: str | None = None) -> list[Fact]:
    facts: list[Fact] = []
    counts: dict[str, int] = {}
    values: set[tuple[str, str]] = set()

    def add(kind: str, base: str, value: str, ev: str, detail: tuple[Any, ...]) -> None:
        if (base, value) in values:
            return
        values.add((base, value))
        n = counts.get(base, 0) + 1
        counts[base] = n
        key = base if n == 1 else f"{base}~{n}"
        facts.append(Fact(kind, key, value, ev[:500], dict(detail)))

    d = doc(text)
    units = d.units
    # units where each pattern may match (exact literal prefilters): the others give nothing
    where = [d.candidates(rx) for rx in _PREFILTERED]
    # What a unit gives depends on its text alone: the versions of a pair share it through
    # the unit memo; `add` replays it in document order (numbering repeated types).
    memo = unit_memo("identifiers")
    for i in d.among(where):
        s = units[i].text
        # (recall calls the lambda at once: the loop variables cannot have moved on)
        adds = recall(memo, s, lambda: _read(s, [i in w for w in where]))  # noqa: B023
        for kind, base, value, detail in adds:
            add(kind, base, value, s, detail)
    return facts


_PREFILTERED = (*(rx for _key, rx in _IDS), _FEE_CTX, _MONEY)


def _read(s: str, may: list[bool]) -> tuple[tuple[str, str, str, tuple[Any, ...]], ...]:
    """The (kind, base key, value, detail items) unit `s` gives, in order; `may`: per pattern of
    `_IDS`, then the fee context and the amount, whether the prefilter lets it match (it is
    exact: the answer is the same)."""
    out: list[tuple[str, str, str, tuple[Any, ...]]] = []
    taken: list[str] = []
    for (key, rx), ok in zip(_IDS, may, strict=False):
        if not ok:
            continue
        for m in rx.finditer(s):
            val = _SPACES.sub("", m.group(1))
            if key == "ico_registration" and not _ICO_CTX.search(s):
                continue
            if key == "registration_number" and (val in taken or not _DIGIT.search(val)):
                continue
            if val in taken:
                continue
            taken.append(val)
            out.append(("identifier", key, val, (("type", key),)))
    if may[-2] and may[-1] and _FEE_CTX.search(s):
        for m in _MONEY.finditer(s):
            sym = (m.group("sym") or m.group("sym2") or "").lower()
            amount = m.group("a1") or m.group("a2")
            cur = _CUR.get(sym, sym.upper())
            out.append(("fee", "fee", m.group(0).strip(), (("currency", cur), ("amount", amount))))
    return tuple(out)


# --------------------------------------------------------------------------- findings

KINDS = ("identifier", "fee")

_IDENTIFIER_NAMES = {
    "company_number": "company number",
    "ico_registration": "ICO registration number",
    "vat": "VAT number",
    "rcs": "RCS number",
    "siren": "SIREN number",
    "ein": "EIN",
    "registration_number": "registration number",
}


def _name(kind: str, key: str) -> str:
    if kind == "fee":
        return "fee"
    base = key.split("~")[0]
    return _IDENTIFIER_NAMES.get(base, label(base))


def compare(kind: str, old: dict[str, Fact], new: dict[str, Fact], ctx: Compare) -> list[Finding]:
    """identifier_* (info when added or removed: a registration number rarely matters to a
    reader), fee_* (medium)."""
    if kind == "fee":
        return keyed(
            kind,
            old,
            new,
            added=lambda b: finding(
                "fee_added", b.key, None, b.value, "medium", f"New fee: {b.value}", None, b.evidence
            ),
            removed=lambda a: finding(
                "fee_removed", a.key, a.value, None, "low", f"Fee removed: {a.value}", a.evidence
            ),
            changed=lambda a, b: finding(
                "fee_changed", b.key, a.value, b.value, "medium",
                f"Fee changed from {a.value} to {b.value}", a.evidence, b.evidence,
            ),
        )  # fmt: skip
    return keyed(
        kind,
        old,
        new,
        added=lambda b: finding(
            "identifier_added", b.key, None, b.value, "info",
            f"New {_name(kind, b.key)}: {b.value}", None, b.evidence,
        ),
        removed=lambda a: finding(
            "identifier_removed", a.key, a.value, None, "info",
            f"Removed {_name(kind, a.key)}: {a.value}", a.evidence, None,
        ),
        changed=lambda a, b: finding(
            "identifier_changed", b.key, a.value, b.value, "low",
            f"{cap(_name(kind, b.key))} changed from {a.value} to {b.value}", a.evidence,
            b.evidence,
        ),
    )  # fmt: skip
