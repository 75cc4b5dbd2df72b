"""Where data goes (kind "location") and on what legal footing (kind "transfer_mechanism").

A location fact needs a storage / processing / transfer cue in its sentence (or a table row
whose cell is a place, as in processor tables). Aliases are normalized: US/USA/U.S./United
States of America -> "United States"; UK/Great Britain -> "United Kingdom"; EU, EEA.
"Outside the EEA" is its own fact (key "outside:eea"), and so are "third countries", "pays
tiers", "Drittland"... Place names, cues and transfer mechanisms are read in English, French,
German, Spanish, Italian, Dutch and Portuguese ("clauses contractuelles types",
"Standardvertragsklauseln", "décision d'adéquation"...), with the same keys as in English, so a
translated paragraph is no change.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any, NamedTuple

from watcher.facts.base import Compare, FirstFacts, finding, keyed, load_lexicon
from watcher.facts.doc import Doc, Unit, doc, remember, unit_memo
from watcher.facts.prefilter import EVERY, trie_pattern
from watcher.models import Fact, Finding

# canonical name -> aliases (matched case-sensitively, whole words), from
# watcher/data/countries.json
PLACES: dict[str, tuple[str, ...]] = {
    canon: tuple(aliases) for canon, aliases in load_lexicon("countries.json")["places"].items()
}

_ALIAS: dict[str, str] = {}
for _canon, _aliases in PLACES.items():
    for _a in _aliases:
        _ALIAS[_a] = _canon
# (a trie of the aliases: the same matches as the longest-first alternation, much faster)
_PLACE_ALT = trie_pattern(list(_ALIAS))


def _place_re() -> re.Pattern[str]:
    """`(?<![\\w.])(_PLACE_ALT)(?![\\w])`, with the look-behind moved after the first letter
    (the width-2 `(?<![\\w.].)` tests the character before it): every branch then starts with
    a letter, so the regex engine skips ahead to the aliases' first letters (mostly capitals).
    Same matches, same groups, 2.5x faster."""
    rests: dict[str, list[str]] = {}
    for a in _ALIAS:
        rests.setdefault(a[0], []).append(a[1:])
    alts = (re.escape(c) + r"(?<![\w.].)" + trie_pattern(r) for c, r in sorted(rests.items()))
    return re.compile("(" + "|".join(alts) + r")(?![\w])")


_PLACE_RE = _place_re()
_CUE_EN = (
    r"\b(stor(?:e|ed|es|age|ing)|host(?:s|ed|ing)?|servers?|data ?cent(?:er|re)s?|process(?:ed|es|ing)?|"
    r"transfer(?:s|red|ring)?|sen[dt]|located|locations?|outside|reside|residing|cloud|region|"
    r"shared with|transmit(?:ted)?|export(?:ed)?)\b"
)
# Transfer / storage cues of the other languages. A text in one of them uses the English cues
# and its own (the cue runs on every sentence: one language's words cost half of all of them);
# a text in an unknown language uses all. English texts use the English patterns only.
_CUE_WORDS = {
    "fr": r"transf[ée]r\w*|h[ée]berg\w*|stock\w*|serveurs?|trait[ée]\w*|situ[ée]e?s?|localis[ée]\w*"
    r"|envoy[ée]\w*|communiqu[ée]\w*",
    "de": r"übermittel\w*|übermittl\w*|übertragen|gespeichert|speicher\w*|verarbeit\w*|gehostet"
    r"|Server\w*|Rechenzentr\w*|Sitz|ansässig|befinde[nt]",
    "es": r"transfier\w*|transferi\w*|almacen\w*|alojad\w*|servidor\w*|se encuentran?|ubicad\w*"
    r"|situad\w*|tratad\w*|tratamiento",
    "it": r"trasferi\w*|archiviat\w*|ospitat\w*|conservat\w*|server|si trova(?:no)?|trattament\w*"
    r"|situat\w*",
    "nl": r"doorgegeven|doorgifte|opgeslagen|verwerkt|gevestigd|servers?",
    "pt": r"transferid\w*|armazenad\w*|localizad\w*|servidor\w*|tratad\w*|situad\w*",
}


@lru_cache(maxsize=16)
def _cue_for(language: str | None) -> re.Pattern[str]:
    lang = (language or "").lower()[:2]
    if lang == "en":
        return _CUE_EN_RX
    extra = _CUE_WORDS.get(lang) or "|".join(_CUE_WORDS.values())
    return re.compile(_CUE_EN.removesuffix(")\\b") + "|" + extra + r")\b", re.I)


_CUE_EN_RX = re.compile(_CUE_EN, re.I)
_CUE = _cue_for(None)  # every language's cues
_NOT_DATA = re.compile(
    r"\b(registered (?:in|office)|incorporated|laws? of|courts? of|governed by)\b", re.I
)
_LAWISH = re.compile(
    r"\s*(?:-based |based )?(?:GDPR|Data Protection|law|laws|legislation|regulations?|citizens?|residents?|"
    r"users|customers|Privacy Shield|Standard|Extension|representative|Representative|Act|"
    r"English|-U\.?S|[-\u2013]US|Information Commissioner|supervisory|Commission|courts?|government"
    r"|-?Kommission|-?Datenschutz\w*|-?DSGVO|-?Recht\w*|-?Gesetz\w*|-?Standard\w*|-?Verordnung"
    r"|-?Vertreter|-?B[üu]rger\w*)\b"
)
_LAWISH_BEFORE = re.compile(
    r"(?:laws? of|courts? of|residents? of|citizens? of|governed by"
    r"|(?:lois?|droit|l[ée]gislation|tribunaux|juridictions?|RGPD|r[èe]glement|r[ée]sidents?)"
    r"\s+(?:d[eu]s?|de\s+la|en)"
    r"|(?:Recht|Gesetze?n?|Gerichte?n?|DSGVO|Verordnung|Einwohner)\s+(?:der|des|von)"
    r"|(?:leyes?|legislaci[óo]n|tribunales|leggi|legge|normativa|wet(?:geving)?|lei)"
    r"\s+(?:de(?:l|la)?|della|dello|van|da|do))\s*(?:the\s*|l['’]\s*)?$",
    re.I,
)
# A law's name, not a destination: "the European Union's General Data Protection Regulation",
# "European Union (Withdrawal) Act 2018", "US Cloud Act".
# "California Consumer Privacy Act", "Singapore Personal Data Protection Act", "Quebec Law 25".
_LAW_NAME = re.compile(
    r"(?:['’]s\b|\s*\([A-Z][^)]{0,30}\)\s*Act\b"
    r"|\s+(?:(?:[A-Z][\w-]*|of|on|the|and|for)\s+){0,5}"
    r"(?:Act|Law|Laws|Regulation|Code|Ordinance|Directive|Bill|Statute)\b)"
)
# Where the reader lives, not where data goes: "applies if you reside in the EEA, Switzerland,
# or UK", "For members in South Korea:" (the whole list of places after the cue).
_RESIDENCE = re.compile(
    r"\b(?:[Yy]ou (?:reside|live|are located|are based|are)(?: in| outside(?: of)?)|\bfrom|(?:members|users"
    r"|customers|individuals|people|residents?|citizens?|consumers)"
    r"(?: (?:located|based|living|residing))? in) (?:the )?"
    r"(?:(?:"
    + _PLACE_ALT
    + r")(?![\w])(?:\s*\([^)]{0,40}\))?(?:,?\s+(?:or|and)\s+(?:the\s+)?|,\s*(?:the\s+)?)?)+"
)
_REGION = (
    r"EEA|European Economic Area|EU|European Union|UK|United Kingdom|Switzerland|United States|US"
    r"|USA|EEE|UE|EWR|EER|SEE|Union européenne|Espace économique européen|Europäischen Union"
    r"|Europäischen Wirtschaftsraums?|Unión Europea|Espacio Económico Europeo|Unione [Ee]uropea"
    r"|Spazio [Ee]conomico [Ee]uropeo|Europese Unie|Europese Economische Ruimte|União Europeia"
    r"|Espaço Econ[óô]mico Europeu"
)
_OUTSIDE_EN = re.compile(
    r"\boutside (?:of )?(?:the )?(EEA|European Economic Area|EU|European Union|UK|United Kingdom|"
    r"Switzerland|United States|US|USA|your (?:country|jurisdiction))\b(?:\s*/\s*(?:EEA|EU|UK)\b)?"
)
_OUTSIDE = re.compile(
    r"\b(?:outside (?:of )?(?:the )?|en dehors (?:de (?:l['’]|la )?|du )|hors (?:de (?:l['’]|la )?)?"
    r"|außerhalb (?:der |des )?|fuera (?:de (?:la )?|del )|al di fuori (?:dell['’]|della |dello )"
    r"|buiten (?:de |het )?|fora (?:do |da )?)"
    r"(" + _REGION + r"|your (?:country|jurisdiction))\b"
    r"(?:\s*/\s*(?:de l['’]|des |del |dello |do )?(?:EEA|EU|UK|EEE|UE|EWR|EER|SEE)\b)?"
)
# "transferred to third countries", "pays tiers", "Drittland": outside the EU / EEA.
_THIRD_EN = re.compile(r"\bthird countr(?:y|ies)\b", re.I)
_THIRD_COUNTRY = re.compile(
    r"\b(?:third countr(?:y|ies)|pays tiers?|Drittl[äa]nd(?:er|ern)?|Drittstaat(?:en)?"
    r"|terceros? pa[íi]s(?:es)?|pa[íi]s(?:es)? tercer(?:o|os)|paesi terzi|paese terzo"
    r"|derde land(?:en)?|pa[íi]s(?:es)? terceiros?)\b",
    re.I,
)

# key, name, English pattern, the other languages' pattern
_MECH_PATTERNS: tuple[tuple[str, str, str, str], ...] = (
    (
        "privacy_shield",
        "EU-US Privacy Shield",
        r"\bPrivacy[- ]Shield\b",
        r"\bbouclier de protection des donn[ée]es\b|\bDatenschutzschild\b",
    ),
    (
        "uk_extension_dpf",
        "UK Extension to the EU-US Data Privacy Framework",
        r"\bUK Extension\b",
        "",
    ),
    (
        "swiss_us_dpf",
        "Swiss-US Data Privacy Framework",
        r"\bSwiss[- ]U\.?S\.? Data Privacy Framework|\bSwiss[- ]U\.?S\.? DPF\b",
        "",
    ),
    ("eu_us_dpf", "EU-US Data Privacy Framework", r"\bData Privacy Framework\b|\bDPF\b", ""),
    (
        "scc",
        "Standard Contractual Clauses",
        r"\bstandard (?:contractual|data protection) clauses\b|\bmodel (?:contract(?:ual)? )?clauses\b"
        r"|\bSCCs?\b",
        r"\bclauses contractuelles (?:types|standards?)\b|\bStandard(?:vertrags|datenschutz)klauseln\b"
        r"|\bcl[áa]usulas contractuales (?:tipo|est[áa]ndar)\b|\bclausole contrattuali (?:standard|tipo)\b"
        r"|\b(?:standaard|model)contract(?:bepalingen|clausules)\b"
        r"|\bcl[áa]usulas contratuais(?:-tipo| tipo| padr[ãa]o)\b",
    ),
    (
        "uk_idta",
        "UK International Data Transfer Agreement / Addendum",
        r"\bInternational Data Transfer (?:Agreement|Addendum)\b|\bIDTA\b",
        "",
    ),
    (
        "adequacy",
        "Adequacy decision",
        r"\badequacy (?:decisions?|regulations?|findings?)\b"
        r"|\badequate level of (?:data )?protection\b",
        r"\bd[ée]cisions? d['’]ad[ée]quation\b|\bniveau de protection (?:des donn[ée]es )?ad[ée]quat\b"
        r"|\bAngemessenheitsbeschl(?:uss|üsse|usses)\b|\bangemessenen? Datenschutzniveaus?\b"
        r"|\bdecisi[óo]n(?:es)? de adecuaci[óo]n\b|\bdecision[ei] di adeguatezza\b"
        r"|\badequaatheidsbesluit(?:en)?\b|\bdecis(?:ão|ões) de adequa[çc][ãa]o\b",
    ),
    (
        "bcr",
        "Binding Corporate Rules",
        r"\bbinding corporate rules\b|\bBCRs?\b",
        r"\br[èe]gles d['’]entreprise contraignantes\b"
        r"|\bverbindliche(?:n)? interne(?:n)? Datenschutzvorschriften\b"
        r"|\bnormas corporativas vinculantes\b|\bnorme vincolanti d['’]impresa\b"
        r"|\bbindende bedrijfsvoorschriften\b|\bregras vinculativas aplic[áa]veis [àa]s empresas\b",
    ),
)
_MECH_EN: tuple[tuple[str, str, re.Pattern[str]], ...] = tuple(
    (key, name, re.compile(en, re.I)) for key, name, en, _other in _MECH_PATTERNS
)
_MECH: tuple[tuple[str, str, re.Pattern[str]], ...] = tuple(
    (key, name, re.compile(f"{en}|{other}" if other else en, re.I))
    for key, name, en, other in _MECH_PATTERNS
)


_TURKEY = re.compile(r"\bturkey\b")
_US_MONEY = re.compile(r"\s*(?:Dollars?|\$)")
_NEGATION = re.compile(
    r"\b(not|never|no|ne|n['’]|jamais|aucune?|nicht|nie|keine?n?|nunca|mai|niet|nooit|nem)\b", re.I
)
_DATA_WORD = re.compile(r"\b(stor|host|server|transfer|data ?cent)", re.I)
_PAREN = re.compile(r"\(.*?\)")
_PLACE_SPLIT = re.compile(r"\s*(?:/|,|&|\band\b)\s*")
_SWISS_UK = re.compile(r"\b(Swiss|UK Extension)\b")
_EU_US_DPF = re.compile(r"\bEU[- ]U\.?S\.? (?:Data Privacy Framework|DPF)")
_SHORT = {"European Economic Area": "EEA", "European Union": "EU", "United Kingdom": "UK"}
_REGION_ALIAS = {"SEE": "European Economic Area"}  # Italian SEE: not a place name elsewhere


def _places_in(s: str) -> list[str]:
    out: list[str] = []
    for m in _PLACE_RE.finditer(s):
        alias = m.group(1)
        if alias == "US" and _US_MONEY.match(s, m.end()):
            continue
        if alias == "Turkey" and _TURKEY.search(s):
            continue
        canon = _ALIAS[alias]
        if canon not in out:
            out.append(canon)
    return out


# One fact a unit gives: (kind, key, value, detail items); its evidence is the unit's text.
_Add = tuple[str, str, str, tuple[tuple[str, object], ...]]


class _Scan(NamedTuple):
    """The patterns of one language and the units where each may match (exact prefilters:
    they only skip work, so what a unit gives depends on its text, cells and language)."""

    cue: re.Pattern[str]
    outside: re.Pattern[str]
    third: re.Pattern[str]
    mechs: tuple[tuple[str, str, re.Pattern[str]], ...]
    w_outside: Any
    w_third: Any
    w_cue: Any
    w_mech: tuple[Any, ...]
    w_any_mech: Any  # the units in some set of w_mech
    w_any: Any  # the units where a pattern but the place names may match
    named: dict[int, bool]  # unit index -> whether it is a cue candidate naming a place


def extract(text: str, language: str | None = None) -> list[Fact]:
    """Locations and transfer mechanisms, the first fact per key winning. What a unit gives
    depends only on its text, its cells and the language (memoized per unit across versions:
    they share most units); the first-wins dedup is replayed here in document order."""
    found = FirstFacts()
    d = doc(text)
    lang = (language or "").lower()[:2]  # (all `_cue_for` and the English test read)
    cue_rx = _cue_for(language)
    if lang == "en":
        outside_rx, third_rx, mechs = _OUTSIDE_EN, _THIRD_EN, _MECH_EN
    else:
        outside_rx, third_rx, mechs = _OUTSIDE, _THIRD_COUNTRY, _MECH
    memo = unit_memo("places")
    scan: _Scan | None = None  # made on the first unit not in the memo
    for i, u in enumerate(d.units):
        key = (u.text, u.kind == "row", u.cells, lang)
        adds = memo.get(key)
        if adds is None:
            if scan is None:
                scan = _scan(d, cue_rx, outside_rx, third_rx, mechs)
            if u.kind != "row" and i not in scan.w_any and not _names_place(scan, i, u.text):
                # no pattern can match in it: it gives nothing (remembered when a place was
                # looked for, so that the other version does not look again)
                if i in scan.w_cue:
                    remember(memo, key, ())
                continue
            adds = remember(memo, key, _unit_facts(i, u, scan))
        for kind, fkey, value, detail in adds:
            found.add(kind, fkey, value, u.text, **dict(detail))
    return found.facts


def _scan(
    d: Doc,
    cue_rx: re.Pattern[str],
    outside_rx: re.Pattern[str],
    third_rx: re.Pattern[str],
    mechs: tuple[tuple[str, str, re.Pattern[str]], ...],
) -> _Scan:
    w_outside, w_third = d.candidates(outside_rx), d.candidates(third_rx)
    w_mech = tuple(d.candidates(rx) for _key, _name, rx in mechs)
    w_any_mech = _union(w_mech)
    return _Scan(
        cue_rx,
        outside_rx,
        third_rx,
        mechs,
        w_outside,
        w_third,
        d.candidates(cue_rx),
        w_mech,
        w_any_mech,
        _union((w_outside, w_third, w_any_mech)),
        {},
    )


def _names_place(sc: _Scan, i: int, s: str) -> bool:
    """Whether unit `i` (text `s`) may hold a cue and names a place: only such a unit gives a
    place from a cue sentence. The place names are looked for once per unit, and only in the
    cue's candidates (a quarter of the units; faster than one pass over the whole text)."""
    got = sc.named.get(i)
    if got is None:
        got = sc.named[i] = i in sc.w_cue and _PLACE_RE.search(s) is not None
    return got


def _union(sets: tuple[Any, ...]) -> Any:
    return EVERY if any(w is EVERY for w in sets) else frozenset().union(*sets)


def _unit_facts(i: int, u: Unit, sc: _Scan) -> tuple[_Add, ...]:
    """The facts unit `i` gives, in order (duplicates included: the caller keeps the first)."""
    out: list[_Add] = []
    s = u.text
    cue_rx, outside_rx = sc.cue, sc.outside
    if i in sc.w_outside:
        for m in outside_rx.finditer(s):
            if cue_rx.search(s):
                region = m.group(1)
                canon = _ALIAS.get(region) or _REGION_ALIAS.get(region, region)
                short = _SHORT.get(canon, canon)
                if region.startswith("your"):
                    canon, short = "your country", "your country"
                the = "" if short == "your country" else "the "
                if _NEGATION.search(s[max(0, m.start() - 60) : m.start()]):
                    out.append(
                        (
                            "location",
                            "not_outside:" + short.lower(),
                            f"Kept within {the}{short}",
                            (("negated", True),),
                        )
                    )
                else:
                    out.append(
                        (
                            "location",
                            "outside:" + short.lower(),
                            f"Outside {the}{short}",
                            (("outside", True),),
                        )
                    )
    if i in sc.w_third and cue_rx.search(s):
        m3 = sc.third.search(s)
        if m3 and not _NEGATION.search(s[max(0, m3.start() - 60) : m3.start()]):
            out.append(("location", "outside:eea", "Outside the EEA", (("outside", True),)))
    if u.kind == "row":
        # processor tables: a cell that *is* a place list ("UK / Germany", "USA (...)")
        for c in u.cells[1:]:
            core = _PAREN.sub("", c).strip()
            parts = [p.strip() for p in _PLACE_SPLIT.split(core) if p.strip()]
            if parts and all(p in _ALIAS for p in parts):
                for p in parts:
                    out.append(("location", _ALIAS[p].lower(), _ALIAS[p], (("via", "table"),)))
    elif (
        _names_place(sc, i, s)
        and cue_rx.search(s)
        and not (_NOT_DATA.search(s) and not _DATA_WORD.search(s))
    ):
        outside_spans = None
        for m in _PLACE_RE.finditer(s):
            if outside_spans is None:
                outside_spans = (
                    [m.span() for m in outside_rx.finditer(s)] if i in sc.w_outside else []
                ) + [r.span() for r in _RESIDENCE.finditer(s)]
            if any(a <= m.start() < b for a, b in outside_spans):
                continue
            if (
                _LAWISH.match(s, m.end())
                or _LAW_NAME.match(s, m.end())
                or _LAWISH_BEFORE.search(s, max(0, m.start() - 25), m.start())
            ):
                continue
            for canon in _places_in(m.group(0)):
                out.append(("location", canon.lower(), canon, ()))
    for (key, name, rx), w in zip(sc.mechs, sc.w_mech, strict=True) if i in sc.w_any_mech else ():
        if i in w and rx.search(s):
            if key == "eu_us_dpf" and _SWISS_UK.search(s) and not _EU_US_DPF.search(s):
                continue
            detail: tuple[tuple[str, object], ...] = ()
            if key == "privacy_shield":
                detail = (("invalid", True), ("invalid_since", "2020-07-16"))
            out.append(("transfer_mechanism", key, name, detail))
    return tuple(out)


# --------------------------------------------------------------------------- findings

KINDS = ("location", "transfer_mechanism")

# Places written with "the" ("the United States", "the EEA").
_THE_PLACE = re.compile(
    r"^(?:United |European |Netherlands$|Philippines$|Czech Republic$|EEA$|EU$|UK$|US$|USA$)"
)
_MECHANISM_NAMES = {
    "adequacy": "an adequacy decision",
    "scc": "Standard Contractual Clauses",
    "bcr": "Binding Corporate Rules",
}


def _place(v: str) -> str:
    return f"the {v}" if _THE_PLACE.match(v) else v


def _region(key: str, value: str) -> str:
    """The region of an "outside:" / "not_outside:" location fact ("the EEA", "your country")."""
    r = re.sub(r"^(?:Outside|Kept within)\s+(?:the\s+)?", "", str(value)).strip()
    if not r:
        r = key.split(":", 1)[-1].upper()
    return r if r.lower().startswith("your ") else _place(r)


def _location_phrase(f: Fact, added: bool) -> str:
    k, v = f.key, str(f.value)
    now = "Now says" if added else "No longer says"
    if k.startswith("not_outside:"):
        return f"{now} data stays within {_region(k, v)}"
    if k.startswith("outside:"):
        return f"{now} data may be transferred outside {_region(k, v)}"
    if added:
        return f"Now mentions data stored in or sent to {_place(v)}"
    return f"No longer mentions data going to {_place(v)}"


def _mechanism(f: Fact) -> str:
    v = str(f.value)
    name = _MECHANISM_NAMES.get(f.key)
    if name:
        return name
    return f"the {v}" if re.match(r"(?:EU|UK|Swiss|US)\b", v) else v


def compare(kind: str, old: dict[str, Fact], new: dict[str, Fact], ctx: Compare) -> list[Finding]:
    """location_added (high) / location_removed (medium); transfer_mechanism_added (medium,
    high for the invalidated Privacy Shield) / transfer_mechanism_removed."""
    if kind == "location":
        return keyed(
            kind,
            old,
            new,
            added=lambda b: finding(
                "location_added", b.key, None, b.value, "high", _location_phrase(b, True),
                None, b.evidence,
            ),
            removed=lambda a: finding(
                "location_removed", a.key, a.value, None, "medium", _location_phrase(a, False),
                a.evidence, None,
            ),
        )  # fmt: skip

    def added(b: Fact) -> Finding:
        sev = "high" if b.key == "privacy_shield" else "medium"
        extra = " (invalid since 16 July 2020)" if (b.detail or {}).get("invalid") else ""
        return finding(
            "transfer_mechanism_added", b.key, None, b.value, sev,
            f"Transfers now rely on {_mechanism(b)}{extra}", None, b.evidence,
        )  # fmt: skip

    def removed(a: Fact) -> Finding:
        sev = "low" if a.key == "privacy_shield" else "medium"
        return finding(
            "transfer_mechanism_removed", a.key, a.value, None, sev,
            f"Transfers no longer rely on {_mechanism(a)}", a.evidence, None,
        )  # fmt: skip

    return keyed(kind, old, new, added=added, removed=removed)
