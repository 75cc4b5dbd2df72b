"""Data subject rights (kind "right"), legal bases (kind "legal_basis") and cookies /
trackers (kind "cookie").

Rights and legal bases are read in English, French, German, Spanish, Italian, Dutch and
Portuguese (patterns in watcher/data/rights.json): "droit d'accès", "Auskunftsrecht",
"derecho de acceso"... give the same keys and English labels."""

from __future__ import annotations

import re

from watcher.facts.base import Compare, FirstFacts, finding, keyed, load_lexicon
from watcher.facts.doc import doc, slug
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


def extract(text: str, language: str | None = None) -> list[Fact]:
    found = FirstFacts()
    add, seen = found.add, found.seen

    d = doc(text)
    # per pattern, the units where it may match (exact literal prefilter); a fact already
    # found needs no further search (`add` keeps the first one)
    english = (language or "").lower().startswith("en")
    c_rights, c_bases = (
        (_COMPILED_R, _COMPILED_B) if english else (_COMPILED_R_I18N, _COMPILED_B_I18N)
    )
    rights_ctx, basis_ctx = (
        (_RIGHTS_CTX_EN, _BASIS_CTX_EN) if english else (_RIGHTS_CTX, _BASIS_CTX)
    )
    w_rights = [(("right", k), lab, rx, d.candidates(rx)) for k, lab, rx in c_rights]
    w_bases = [(("legal_basis", k), lab, rx, d.candidates(rx)) for k, lab, rx in c_bases]
    w_trackers = [(("cookie", k), lab, rx, d.candidates(rx)) for k, lab, rx in _COMPILED_T]
    w_cat = d.candidates(_COOKIE_CAT)
    w_name = d.candidates(_COOKIE_NAME)
    # a unit in none of the candidate sets gives nothing: only the others are visited
    sets = [w for *_x, w in w_rights + w_bases + w_trackers] + [w_cat, w_name]
    units = d.units
    for i in d.among(sets):
        u = units[i]
        s = u.text
        row = u.kind == "row"
        todo = [r for r in w_rights if i in r[3] and r[0] not in seen]
        if todo and rights_ctx.search(s):
            for key, lab, rx, _w in todo:
                if rx.search(s):
                    if key[1] == "access" and not _ACCESS_CTX.search(s):
                        continue
                    add("right", key[1], lab, s)
        ctx: bool | None = None
        for key, lab, rx, w in w_bases:
            if i not in w or key in seen:
                continue
            if key[1] not in _ALWAYS_BASES:
                if ctx is None:
                    ctx = row or bool(basis_ctx.search(s))
                if not ctx:
                    continue
            if rx.search(s):
                add("legal_basis", key[1], lab, s)
        low = d.lows[i]  # = s.lower()
        if row or "cookie" in low or "track" in low or "pixel" in low or "analytic" in low:
            for key, lab, rx, w in w_trackers:
                if i in w and key not in seen and rx.search(s):
                    add("cookie", key[1], lab, s, type="tracker")
            if i in w_cat:
                for m in _COOKIE_CAT.finditer(s):
                    cat = slug(m.group(1))
                    cat = _CAT_NORM.get(cat, cat)
                    add("cookie", "category:" + cat, f"{cat} cookies", s, type="category")
            if (row or "cookie" in low) and i in w_name:
                for m in _COOKIE_NAME.finditer(s):
                    name = m.group(1)
                    if not row and not name.startswith("_"):
                        continue
                    if row and not (name.startswith("_") or _ROW_COOKIE.search(low)):
                        continue
                    add("cookie", "name:" + name.lower(), name, s, type="name")
    return found.facts


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
