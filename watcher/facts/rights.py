"""Data subject rights (kind "right"), legal bases (kind "legal_basis") and cookies /
trackers (kind "cookie").

Rights and legal bases are read in English, French, German, Spanish, Italian, Dutch and
Portuguese (patterns in watcher/data/rights.json): "droit d'accès", "Auskunftsrecht",
"derecho de acceso"... give the same keys and English labels."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from watcher.facts.base import Compare, finding, keyed, load_lexicon
from watcher.facts.doc import doc, recall, slug, unit_memo
from watcher.facts.prefilter import EVERY
from watcher.models import Fact, Finding

_LEX = load_lexicon("rights.json")
# id -> (label, pattern), from watcher/data/rights.json and trackers.json
RIGHTS: tuple[tuple[str, str, str], ...] = tuple(
    (r["id"], r["label"], r["pattern"]) for r in _LEX["rights"]
)
# the same with the other languages' wording (`pattern_i18n`), for texts not in English
RIGHTS_I18N: tuple[tuple[str, str, str], ...] = tuple(
    (r["id"], r["label"], "|".join(filter(None, (r["pattern"], r.get("pattern_i18n")))))
    for r in _LEX["rights"]
)
BASES: tuple[tuple[str, str, str], ...] = tuple(
    (r["id"], r["label"], r["pattern"]) for r in _LEX["legal_bases"]
)
BASES_I18N: tuple[tuple[str, str, str], ...] = tuple(
    (r["id"], r["label"], "|".join(filter(None, (r["pattern"], r.get("pattern_i18n")))))
    for r in _LEX["legal_bases"]
)

_BASIS_CTX_EN = re.compile(
    r"\b(basis|bases|lawful|legal ground|grounds?|GDPR|art(?:icle|\.)? ?6|rely|necessary|justif)",
    re.I,
)
_BASIS_CTX = re.compile(
    r"\b(basis|bases|lawful|legal ground|grounds?|GDPR|art(?:icle|\.)? ?6|rely|necessary|justif"
    # French, German, Spanish, Italian, Dutch, Portuguese
    r"|base (?:l[ée]gale|juridique|legal|giuridica|jur[íi]dica)|fondement|RGPD|Grundlage"
    r"|Rechtsgrundlage|gem[äa](?:ß|ss)|DSGVO|legitimaci|rechtsgrond|grondslag|n[ée]cessaire"
    r"|erforderlich|necesari|necessari|noodzakelijk|necess[áa]ri)",
    re.I,
)

TRACKERS: tuple[tuple[str, str, str], ...] = tuple(
    (t["id"], t["label"], t["pattern"]) for t in load_lexicon("trackers.json")["trackers"]
)

_COOKIE_CAT = re.compile(
    r"\b(strictly necessary|essential|necessary|functional(?:ity)?|preferences?|analytic(?:s|al)?|"
    r"performance|statistic(?:s|al)?|advertising|marketing|targeting|social media|session|persistent|"
    r"third[- ]party|first[- ]party|tracking)\s+cookies\b",
    re.I,
)
_CAT_NORM = {
    "essential": "strictly necessary",
    "necessary": "strictly necessary",
    "functionality": "functional",
    "preference": "functional",
    "preferences": "functional",
    "analytic": "analytics",
    "analytical": "analytics",
    "statistics": "analytics",
    "statistical": "analytics",
    "marketing": "advertising",
    "targeting": "advertising",
    "tracking": "advertising",
    "first party": "first-party",
    "third party": "third-party",
}
_COOKIE_NAME = re.compile(
    r"(?<![\w/.-])(_{1,2}[a-z][a-z0-9_]{1,30}|[a-z]+_[a-z0-9_]+_?id)(?![\w.(/-])"
)


def _compiled(
    entries: tuple[tuple[str, str, str], ...],
) -> tuple[tuple[str, str, re.Pattern[str]], ...]:
    return tuple((k, lab, re.compile(r"\b(?:" + rx + ")", re.I)) for k, lab, rx in entries)


_COMPILED_R = _compiled(RIGHTS)
_COMPILED_B = _compiled(BASES)
_COMPILED_R_I18N = _compiled(RIGHTS_I18N)
_COMPILED_B_I18N = _compiled(BASES_I18N)
_COMPILED_T = tuple((k, lab, re.compile(r"\b(?:" + rx + ")", re.I)) for k, lab, rx in TRACKERS)


_RIGHTS_CTX_EN = re.compile(
    r"\b(right|rights|request|may|can|entitled|ask|contact|complain|opt)", re.I
)
_RIGHTS_CTX = re.compile(
    r"\b(right|rights|request|may|can|entitled|ask|contact|complain|opt|droit|demande|pouv|Recht"
    r"|k[öo]nn|haben|verlangen|derecho|solicit|pued|diritt|pu[òo]|richied|recht|kunt|verzoek"
    r"|direito|pode|Beschwerde|Aufsichtsbeh)",
    re.I,
)
_ACCESS_CTX = re.compile(
    r"\b(right|request|ask|entitled|obtain|can access|may access|droit|demander|Recht|Auskunft"
    r"|Auskunftsrecht|derecho|diritto|recht|inzage|inzagerecht|direito)\b",
    re.I,
)
_ALWAYS_BASES = ("consent", "legitimate_interests", "vital_interests")
_ROW_COOKIE = re.compile(r"cookie|expir|session|persistent|\bdays?\b|\byears?\b")


# Per language (English or not), the patterns in the order their facts are added in a unit:
# (kind, key, label, regex). A right needs a rights context in its unit (and "access" its own),
# a legal basis a basis context (or a table row) unless it always names one, a tracker a cookie
# context (or a table row).
_Pattern = tuple[str, str, str, re.Pattern[str]]
_PATTERNS: dict[bool, tuple[_Pattern, ...]] = {
    english: tuple(
        [("right", k, lab, rx) for k, lab, rx in rights]
        + [("legal_basis", k, lab, rx) for k, lab, rx in bases]
        + [("cookie", k, lab, rx) for k, lab, rx in _COMPILED_T]
    )
    for english, rights, bases in (
        (True, _COMPILED_R, _COMPILED_B),
        (False, _COMPILED_R_I18N, _COMPILED_B_I18N),
    )
}


class _Unit:
    """What one unit gives (a pure function of its text, whether it is a table row and the
    language), computed on demand and shared by both versions of a pair through the unit memo:
    per pattern, whether the unit states it; the cookie categories and names it lists."""

    __slots__ = ("text", "low", "row", "english", "got", "_ctx_r", "_ctx_b", "_cookies")

    def __init__(self, text: str, low: str, row: bool, english: bool) -> None:
        self.text, self.low, self.row, self.english = text, low, row, english
        self.got: dict[int, bool] = {}
        self._ctx_r: bool | None = None
        self._ctx_b: bool | None = None
        self._cookies: tuple[tuple[str, str, str], ...] | None = None

    def states(self, r: int) -> bool:
        """Whether pattern `r` of `_PATTERNS[english]` gives its fact in this unit."""
        got = self.got.get(r)
        if got is None:
            got = self.got[r] = self._states(*_PATTERNS[self.english][r])
        return got

    def _states(self, kind: str, key: str, _label: str, rx: re.Pattern[str]) -> bool:
        s = self.text
        if kind == "right":
            if self._ctx_r is None:
                ctx = _RIGHTS_CTX_EN if self.english else _RIGHTS_CTX
                self._ctx_r = bool(ctx.search(s))
            return (
                self._ctx_r
                and rx.search(s) is not None
                and (key != "access" or _ACCESS_CTX.search(s) is not None)
            )
        if kind == "legal_basis":
            if key not in _ALWAYS_BASES:
                if self._ctx_b is None:
                    ctx = _BASIS_CTX_EN if self.english else _BASIS_CTX
                    self._ctx_b = self.row or bool(ctx.search(s))
                if not self._ctx_b:
                    return False
            return rx.search(s) is not None
        return self.cookie_context() and rx.search(s) is not None

    def cookie_context(self) -> bool:
        low = self.low
        return self.row or "cookie" in low or "track" in low or "pixel" in low or "analytic" in low

    def cookies(self, cats: bool, names: bool) -> tuple[tuple[str, str, str], ...]:
        """The (key, label, type) of the cookie categories and names the unit lists, in order;
        `cats` / `names`: whether the prefilter lets those patterns match (it is exact, so
        the answer does not depend on them)."""
        if self._cookies is None:
            ctx = self.cookie_context()
            self._cookies = tuple(self._read_cookies(cats, names)) if ctx else ()
        return self._cookies

    def _read_cookies(self, cats: bool, names: bool) -> Iterator[tuple[str, str, str]]:
        s, low, row = self.text, self.low, self.row
        for m in _COOKIE_CAT.finditer(s) if cats else ():
            cat = slug(m.group(1))
            cat = _CAT_NORM.get(cat, cat)
            yield "category:" + cat, f"{cat} cookies", "category"
        if names and (row or "cookie" in low):
            for m in _COOKIE_NAME.finditer(s):
                name = m.group(1)
                if not row and not name.startswith("_"):
                    continue
                if row and not (name.startswith("_") or _ROW_COOKIE.search(low)):
                    continue
                yield "name:" + name.lower(), name, "name"


def extract(text: str, language: str | None = None) -> list[Fact]:
    d = doc(text)
    units, lows = d.units, d.lows
    english = (language or "").lower().startswith("en")
    patterns = _PATTERNS[english]
    memo = unit_memo("rights")
    entries: dict[int, _Unit] = {}

    def entry(i: int) -> _Unit:
        e = entries.get(i)
        if e is None:
            t, row = units[i].text, units[i].kind == "row"
            e = recall(memo, (t, row, english), lambda: _Unit(t, lows[i], row, english))
            entries[i] = e
        return e

    # Each fact keeps its first unit: per pattern, walk the units where it may match (exact
    # literal prefilter) up to the first one that states it; then the cookie categories and
    # names, whose keys come from the text.
    first: dict[tuple[str, str], tuple[int, int, str, dict[str, str]]] = {}
    # a right needs a rights context in its unit: the units where that cannot match are skipped
    # (exact too), which spares most context searches
    w_ctx = d.candidates(_RIGHTS_CTX_EN if english else _RIGHTS_CTX)
    for r, (kind, key, label, rx) in enumerate(patterns):
        where = d.candidates(rx)
        if kind == "right":
            where = _both(where, w_ctx)
        for i in _ordered(where, len(units)):
            e = entries.get(i) or entry(i)
            got = e.got.get(r)  # (what `states` answers, without the call when known)
            if got or (got is None and e.states(r)):
                first[kind, key] = (i, r, label, {"type": "tracker"} if kind == "cookie" else {})
                break
    n = len(patterns)
    w_cat, w_name = d.candidates(_COOKIE_CAT), d.candidates(_COOKIE_NAME)
    for i in d.among([w_cat, w_name]):
        for j, (key, label, typ) in enumerate(entry(i).cookies(i in w_cat, i in w_name)):
            first.setdefault(("cookie", key), (i, n + j, label, {"type": typ}))
    # document order; in a unit, the patterns' order, then the cookies'
    ordered = sorted(first.items(), key=lambda kv: kv[1][:2])
    return [
        Fact(kind, key, label, units[i].text[:500], detail)
        for (kind, key), (i, _r, label, detail) in ordered
    ]


def _both(a: Any, b: Any) -> Any:
    """The indices in both candidate sets."""
    return b if a is EVERY else a if b is EVERY else a & b


def _ordered(where: Any, n: int) -> Any:
    """The unit indices of a candidate set in document order."""
    return range(n) if where is EVERY else sorted(where)


# --------------------------------------------------------------------------- findings

KINDS = ("right", "legal_basis", "cookie")


def _cookie_phrase(f: Fact, added: bool) -> str:
    t = (f.detail or {}).get("type")
    if t == "category" or f.key.startswith("category:"):
        return f"Now mentions {f.value}" if added else f"No longer mentions {f.value}"
    if t == "name" or f.key.startswith("name:"):
        return f"New cookie: {f.value}" if added else f"Cookie no longer listed: {f.value}"
    return f"New tracker: {f.value}" if added else f"Tracker no longer mentioned: {f.value}"


# kind -> (added severity, added wording, removed severity, removed wording)
_WORDING = {
    "right": ("low", "New right mentioned: {}", "high", "Right no longer mentioned: {}"),
    "legal_basis": ("medium", "New legal basis: {}", "low", "Legal basis no longer mentioned: {}"),
}


def compare(kind: str, old: dict[str, Fact], new: dict[str, Fact], ctx: Compare) -> list[Finding]:
    """right_* (a right no longer mentioned is high), legal_basis_*, cookie_*."""
    if kind == "cookie":
        return keyed(
            kind,
            old,
            new,
            added=lambda b: finding(
                "cookie_added", b.key, None, b.value, "medium", _cookie_phrase(b, True), None,
                b.evidence,
            ),
            removed=lambda a: finding(
                "cookie_removed", a.key, a.value, None, "low", _cookie_phrase(a, False),
                a.evidence, None,
            ),
        )  # fmt: skip
    sev_a, say_a, sev_r, say_r = _WORDING[kind]
    return keyed(
        kind,
        old,
        new,
        added=lambda b: finding(
            f"{kind}_added", b.key, None, b.value, sev_a, say_a.format(b.value), None, b.evidence
        ),
        removed=lambda a: finding(
            f"{kind}_removed", a.key, a.value, None, sev_r, say_r.format(a.value), a.evidence
        ),
    )
