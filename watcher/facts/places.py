"""Where data goes (kind "location") and on what legal footing (kind "transfer_mechanism").

A location fact needs a storage / processing / transfer cue in its sentence (or a table row
whose cell is a place, as in processor tables). Aliases are normalized: US/USA/U.S./United
States of America -> "United States"; UK/Great Britain -> "United Kingdom"; EU, EEA.
"Outside the EEA" is its own fact (key "outside:eea").
"""

from __future__ import annotations

import re

from watcher.facts import units
from watcher.models import Fact

# canonical name -> aliases (matched case-sensitively, whole words)
PLACES: dict[str, tuple[str, ...]] = {
    "United States": ("United States of America", "United States", "USA", "U.S.A.", "U.S.", "US"),
    "United Kingdom": ("United Kingdom", "UK", "U.K.", "Great Britain", "Britain", "England"),
    "European Union": ("European Union", "EU"),
    "European Economic Area": ("European Economic Area", "EEA"),
    "Switzerland": ("Switzerland",),
    "Ireland": ("Ireland",),
    "Germany": ("Germany",),
    "France": ("France",),
    "Netherlands": ("Netherlands", "the Netherlands"),
    "Belgium": ("Belgium",),
    "Luxembourg": ("Luxembourg",),
    "Spain": ("Spain",),
    "Italy": ("Italy",),
    "Portugal": ("Portugal",),
    "Sweden": ("Sweden",),
    "Finland": ("Finland",),
    "Denmark": ("Denmark",),
    "Norway": ("Norway",),
    "Poland": ("Poland",),
    "Austria": ("Austria",),
    "Czech Republic": ("Czech Republic", "Czechia"),
    "Romania": ("Romania",),
    "Bulgaria": ("Bulgaria",),
    "Greece": ("Greece",),
    "Estonia": ("Estonia",),
    "Lithuania": ("Lithuania",),
    "Latvia": ("Latvia",),
    "Cyprus": ("Cyprus",),
    "Malta": ("Malta",),
    "Iceland": ("Iceland",),
    "Canada": ("Canada",),
    "Mexico": ("Mexico",),
    "Brazil": ("Brazil",),
    "Argentina": ("Argentina",),
    "Chile": ("Chile",),
    "Colombia": ("Colombia",),
    "Australia": ("Australia",),
    "New Zealand": ("New Zealand",),
    "Japan": ("Japan",),
    "South Korea": ("South Korea", "Republic of Korea", "Korea"),
    "China": ("China", "PRC"),
    "Hong Kong": ("Hong Kong",),
    "Taiwan": ("Taiwan",),
    "Singapore": ("Singapore",),
    "India": ("India",),
    "Philippines": ("Philippines",),
    "Vietnam": ("Vietnam", "Viet Nam"),
    "Indonesia": ("Indonesia",),
    "Malaysia": ("Malaysia",),
    "Thailand": ("Thailand",),
    "Israel": ("Israel",),
    "Ukraine": ("Ukraine",),
    "Russia": ("Russia", "Russian Federation"),
    "Turkey": ("Turkey", "Türkiye"),
    "United Arab Emirates": ("United Arab Emirates", "UAE"),
    "South Africa": ("South Africa",),
    "Nigeria": ("Nigeria",),
    "Egypt": ("Egypt",),
    "Pakistan": ("Pakistan",),
    "Serbia": ("Serbia",),
}

_ALIAS: dict[str, str] = {}
for _canon, _aliases in PLACES.items():
    for _a in _aliases:
        _ALIAS[_a] = _canon
_PLACE_RE = re.compile(
    r"(?<![\w.])("
    + "|".join(re.escape(a) for a in sorted(_ALIAS, key=len, reverse=True))
    + r")(?![\w])"
)
_CUE = re.compile(
    r"\b(stor(?:e|ed|es|age|ing)|host(?:s|ed|ing)?|servers?|data ?cent(?:er|re)s?|process(?:ed|es|ing)?|"
    r"transfer(?:s|red|ring)?|sen[dt]|located|locations?|outside|reside|residing|cloud|region|"
    r"shared with|transmit(?:ted)?|export(?:ed)?)\b",
    re.I,
)
_NOT_DATA = re.compile(
    r"\b(registered (?:in|office)|incorporated|laws? of|courts? of|governed by)\b", re.I
)
_LAWISH = re.compile(
    r"\s*(?:-based |based )?(?:GDPR|Data Protection|law|laws|legislation|regulations?|citizens?|residents?|"
    r"users|customers|Privacy Shield|Standard|Extension|representative|Representative|Act|"
    r"English|-U\.?S|[-\u2013]US|Information Commissioner|supervisory|Commission|courts?|government)\b"
)
_LAWISH_BEFORE = re.compile(
    r"(?:laws? of|courts? of|residents? of|citizens? of|governed by)\s*(?:the\s*)?$", re.I
)
_OUTSIDE = re.compile(
    r"\boutside (?:of )?(?:the )?(EEA|European Economic Area|EU|European Union|UK|United Kingdom|"
    r"Switzerland|United States|US|USA|your (?:country|jurisdiction))\b"
)

_MECH: tuple[tuple[str, str, re.Pattern[str]], ...] = (
    (
        "privacy_shield",
        "EU-US Privacy Shield",
        re.compile(r"\bPrivacy[- ]Shield\b", re.I),
    ),
    (
        "uk_extension_dpf",
        "UK Extension to the EU-US Data Privacy Framework",
        re.compile(r"\bUK Extension\b", re.I),
    ),
    (
        "swiss_us_dpf",
        "Swiss-US Data Privacy Framework",
        re.compile(r"\bSwiss[- ]U\.?S\.? Data Privacy Framework|\bSwiss[- ]U\.?S\.? DPF\b", re.I),
    ),
    (
        "eu_us_dpf",
        "EU-US Data Privacy Framework",
        re.compile(r"\bData Privacy Framework\b|\bDPF\b", re.I),
    ),
    (
        "scc",
        "Standard Contractual Clauses",
        re.compile(
            r"\bstandard (?:contractual|data protection) clauses\b|\bmodel (?:contract(?:ual)? )?clauses\b|\bSCCs?\b",
            re.I,
        ),
    ),
    (
        "uk_idta",
        "UK International Data Transfer Agreement / Addendum",
        re.compile(r"\bInternational Data Transfer (?:Agreement|Addendum)\b|\bIDTA\b", re.I),
    ),
    (
        "adequacy",
        "Adequacy decision",
        re.compile(
            r"\badequacy (?:decisions?|regulations?|findings?)\b|\badequate level of (?:data )?protection\b",
            re.I,
        ),
    ),
    (
        "bcr",
        "Binding Corporate Rules",
        re.compile(r"\bbinding corporate rules\b|\bBCRs?\b", re.I),
    ),
)


def _places_in(s: str) -> list[str]:
    out: list[str] = []
    for m in _PLACE_RE.finditer(s):
        alias = m.group(1)
        if alias == "US" and re.match(r"\s*(?:Dollars?|\$)", s[m.end() :]):
            continue
        if alias == "Turkey" and re.search(r"\bturkey\b", s):
            continue
        canon = _ALIAS[alias]
        if canon not in out:
            out.append(canon)
    return out


def extract(text: str, language: str | None = None) -> list[Fact]:
    facts: list[Fact] = []
    seen: set[tuple[str, str]] = set()

    def add(kind: str, key: str, value: str, ev: str, **detail: object) -> None:
        if (kind, key) in seen:
            return
        seen.add((kind, key))
        facts.append(Fact(kind, key, value, ev[:500], dict(detail)))

    for u in units(text):
        s = u.text
        for m in _OUTSIDE.finditer(s):
            if _CUE.search(s):
                region = m.group(1)
                canon = _ALIAS.get(region, region)
                short = {
                    "European Economic Area": "EEA",
                    "European Union": "EU",
                    "United Kingdom": "UK",
                }.get(canon, canon)
                if region.startswith("your"):
                    canon, short = "your country", "your country"
                if re.search(r"\b(not|never|no)\b", s[max(0, m.start() - 60) : m.start()], re.I):
                    add(
                        "location",
                        "not_outside:" + short.lower(),
                        f"Kept within the {short}",
                        s,
                        negated=True,
                    )
                else:
                    add(
                        "location",
                        "outside:" + short.lower(),
                        f"Outside the {short}",
                        s,
                        outside=True,
                    )
        if u.kind == "row":
            # processor tables: a cell that *is* a place list ("UK / Germany", "USA (...)")
            for c in u.cells[1:]:
                core = re.sub(r"\(.*?\)", "", c).strip()
                parts = [p.strip() for p in re.split(r"\s*(?:/|,|&|\band\b)\s*", core) if p.strip()]
                if parts and all(p in _ALIAS for p in parts):
                    for p in parts:
                        add("location", _ALIAS[p].lower(), _ALIAS[p], s, via="table")
        elif _CUE.search(s) and not (
            _NOT_DATA.search(s)
            and not re.search(r"\b(stor|host|server|transfer|data ?cent)", s, re.I)
        ):
            outside_spans = [m.span() for m in _OUTSIDE.finditer(s)]
            for m in _PLACE_RE.finditer(s):
                if any(a <= m.start() < b for a, b in outside_spans):
                    continue
                if _LAWISH.match(s, m.end()) or _LAWISH_BEFORE.search(
                    s[max(0, m.start() - 25) : m.start()]
                ):
                    continue
                places = _places_in(m.group(0))
                for canon in places:
                    add("location", canon.lower(), canon, s)
        for key, name, rx in _MECH:
            if rx.search(s):
                if (
                    key == "eu_us_dpf"
                    and re.search(r"\b(Swiss|UK Extension)\b", s)
                    and not re.search(r"\bEU[- ]U\.?S\.? (?:Data Privacy Framework|DPF)", s)
                ):
                    continue
                detail: dict[str, object] = {}
                if key == "privacy_shield":
                    detail = {"invalid": True, "invalid_since": "2020-07-16"}
                add("transfer_mechanism", key, name, s, **detail)
    return facts
