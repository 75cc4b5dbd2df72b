"""Named third parties: processors, service providers, recipients, representatives.

    Fact(kind="party", key="sendgrid", value="SendGrid",
         detail={"role": "processor", "purpose": "email delivery", "country": "USA",
                 "category": "email delivery", "source": "table"})

`key` is the normalized name: lower case, legal suffix stripped (Inc., Ltd, GmbH, S.A. ...) and
aliases resolved through the gazetteer `watcher/data/companies.json` ("AWS" and "Amazon Web
Services" share the key "amazon web services"). `value` is the name as first written.

Sources, in order of trust:
- processor tables: a table whose header names a party column (Name, Processor, Provider,
  Vendor, Supplier, Recipient, Third party...) -> one party per row, with purpose and country
  from the Purpose/Service and Location/Country columns; also two-column "Processor | X" records;
- prose and list items: gazetteer names (longest match wins, so "Google Analytics" never also
  yields "Google"; names flagged ambiguous in the gazetteer such as "Segment" or "Stripe" need
  a cue word in the same sentence), and unknown capitalized names right after a strong cue
  ("hosted by X", "powered by X", "our EU representative is X", "a service called X")
  when they look like a company (legal suffix, CamelCase, domain-like or a strong cue).

The policy's owner ("Acme, Inc. ("Acme", "we", "us")") is never reported as a third party.
Precision over recall: generic phrases ("service providers", "Privacy Policy", "Personal
Data", countries, months) are never parties.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from importlib import resources
from typing import Any

from watcher.facts.base import Compare, finding, keyed
from watcher.facts.doc import blocks, fold, is_table_line, plain, split_sentences, tables
from watcher.facts.prefilter import trie_pattern
from watcher.models import Fact, Finding

__all__ = ["extract", "normalize_name", "strip_suffix", "gazetteer"]

_SUFFIX = re.compile(
    r"(?:[,.]?\s+(?:Inc|Incorporated|Ltd|Limited|LLC|L\.L\.C|LLP|LP|GmbH|gGmbH|mbH|AG|SE|S\.?A\.?S?"
    r"|SAS|SARL|S\.?à\s?r\.?l|B\.?V|N\.?V|Corp|Corporation|Co|Company|plc|PLC|AB|Pty|Pty\.?\s+Ltd"
    r"|Pte\.?\s+Ltd|Pte|S\.?r\.?l|SRL|S\.?L|S\.?p\.?A|SpA|Oy|Oyj|ApS|A/S|AS|ASA|KK|K\.K|PBC|ULC"
    r"|Sp\.\s?z\s?o\.o|d\.o\.o|Kft|Zrt|OÜ|UAB|e\.K|KG|OHG|eG|Co\.,?\s*Ltd)\.?)+$",
    re.I,
)
_WS = re.compile(r"\s+")

# Generic words: a candidate made only of these (or starting with a determiner) is no party.
_GENERIC = frozenset(
    [
        "a",
        "an",
        "the",
        "we",
        "us",
        "our",
        "you",
        "your",
        "they",
        "their",
        "its",
        "this",
        "these",
        "that",
        "those",
        "any",
        "all",
        "other",
        "others",
        "privacy",
        "policy",
        "policies",
        "notice",
        "statement",
        "terms",
        "conditions",
        "service",
        "services",
        "personal",
        "data",
        "information",
        "site",
        "website",
        "websites",
        "app",
        "apps",
        "application",
        "applications",
        "platform",
        "platforms",
        "provider",
        "providers",
        "partner",
        "partners",
        "vendor",
        "vendors",
        "processor",
        "processors",
        "sub-processor",
        "sub-processors",
        "subprocessor",
        "subprocessors",
        "company",
        "companies",
        "affiliate",
        "affiliates",
        "third",
        "party",
        "parties",
        "group",
        "team",
        "teams",
        "customer",
        "customers",
        "user",
        "users",
        "member",
        "members",
        "account",
        "accounts",
        "cookie",
        "cookies",
        "analytics",
        "advertising",
        "advertisers",
        "marketing",
        "payment",
        "payments",
        "email",
        "emails",
        "e-mail",
        "support",
        "hosting",
        "cloud",
        "storage",
        "security",
        "content",
        "social",
        "media",
        "network",
        "networks",
        "product",
        "products",
        "tools",
        "tool",
        "features",
        "feature",
        "software",
        "sdk",
        "sdks",
        "api",
        "apis",
        "law",
        "laws",
        "regulation",
        "regulations",
        "authority",
        "authorities",
        "government",
        "court",
        "courts",
        "commission",
        "european",
        "union",
        "eu",
        "eea",
        "uk",
        "us",
        "usa",
        "gdpr",
        "ccpa",
        "cpra",
        "standard",
        "contractual",
        "clauses",
        "data",
        "protection",
        "officer",
        "dpo",
        "controller",
        "processing",
        "legal",
        "basis",
        "legitimate",
        "interest",
        "interests",
        "consent",
        "rights",
        "right",
        "request",
        "requests",
        "contact",
        "section",
        "appendix",
        "annex",
        "table",
        "schedule",
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
        "none",
        "n/a",
        "na",
        "various",
        "multiple",
        "not",
        "applicable",
        "other",
        "yes",
        "no",
        "see",
        "name",
        "names",
        "purpose",
        "purposes",
        "location",
        "country",
        "countries",
        "type",
        "types",
        "category",
        "categories",
        "google-owned",
        "facebook-owned",
        "and",
        "or",
        "of",
        "for",
        "with",
        "in",
        "on",
        "by",
        "to",
        "from",
        "as",
        "at",
        "business",
        "businesses",
        "entity",
        "entities",
        "organization",
        "organisation",
        "organizations",
        "organisations",
        "you're",
    ]
)
_DETERMINERS = frozenset(
    [
        "a",
        "an",
        "the",
        "our",
        "your",
        "their",
        "its",
        "this",
        "these",
        "those",
        "such",
        "any",
        "all",
        "some",
        "each",
    ]
)

_CUE = re.compile(
    r"\b(?:processors?|sub-?processors?|service providers?|providers?|vendors?|suppliers?"
    r"|partners?|third[- ]part(?:y|ies)|representatives?|powered by|hosted|hosts?|hosting"
    r"|analytics|payments?|we use|we used|we utili[sz]e|we rely|we work|we engage|we partner"
    r"|integrat\w*|SDKs?|plug-?ins?|pixels?|tags?|cookies?|shares?|shared|sharing|disclose"
    r"|transfer\w*|via|through|called|named|operated by|provided by|processed by|stored"
    r"|services? (?:of|from|by)|recipients?|infrastructure|platform|tools?|APIs?|offered by)\b",
    re.I,
)

_ROLE_CUES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"\brepresentative\b", re.I), "representative"),
    (re.compile(r"\bsub-?processors?\b", re.I), "sub-processor"),
    (re.compile(r"\bprocessors?\b", re.I), "processor"),
    (
        re.compile(r"\b(?:service providers?|vendors?|suppliers?|providers?)\b", re.I),
        "service provider",
    ),
    (re.compile(r"\bpartners?\b", re.I), "partner"),
    (re.compile(r"\brecipients?\b", re.I), "recipient"),
    (re.compile(r"\banalytic", re.I), "analytics"),
    (re.compile(r"\badvertis", re.I), "advertising"),
]

# Unknown names are taken only after these cues (group "n" is the candidate).
_NAME = r"(?P<n>[A-Z0-9][\w&'’.+-]*(?:\s+(?:[A-Z0-9][\w&'’.+-]*|&|de|of|and|für))*)"
_STRONG_CUE = re.compile(
    r"\b(?:hosted (?:by|with|on)|powered by|provided by|operated by|processed by|stored (?:with|by)"
    r"|(?:service|platform|provider|tool|company|vendor|processor) called"
    r"|(?:representative|processor|sub-?processor|provider)(?: in the (?:EU|EEA|UK|European Union|United Kingdom))?"
    r"(?:,? (?:is|being|which is))?(?: the company)?:?"
    r"|we (?:use|utili[sz]e|rely on|work with|partner with|engage|have engaged|have appointed|appointed)"
    r"(?: the services of| a service (?:called|named))?)\s+" + _NAME
)
# Every _STRONG_CUE match holds one of these (tests/test_facts_parties.py checks it).
_STRONG_CUE_HINT = re.compile(
    trie_pattern(
        [
            "hosted ",
            "powered by",
            "provided by",
            "operated by",
            "processed by",
            "stored ",
            "called",
            "representative",
            "processor",
            "provider",
            "we use",
            "we utili",
            "we rely",
            "we work",
            "we partner",
            "we engage",
            "we have",
            "we appointed",
        ]
    )
)
_ITEM = re.compile(r"^(?:[-*+•●▪]|\(?[a-z0-9]{1,3}[.)])\s")
_ATTRIBUTIVE = re.compile(
    r" (?!(?:to|for|and|or|as|in|on|which|who|that|is|are|was|were|will|may|can|with|under"
    r"|based|located|at|from|by|so|if|when|via|through|who|whose|where|acts|provides|processes"
    r"|helps|offers|uses|stores|hosts|collects|receives|operates|also|each|only|we|our)\b)[a-z]"
)
_COMPANYISH = re.compile(r"[a-z][A-Z]|\.(?:com|io|ai|net|org|co|app|dev)\b")

_TABLE_NAME_HEAD = re.compile(
    r"\b(?:sub-?processors?|processors?|(?:service )?providers?|vendors?|suppliers?|recipients?"
    r"|third[- ]part(?:y|ies)(?: name)?|partners?|company|companies|entity|entities|name"
    r"|organi[sz]ation|sdk|tool|service)\b",
    re.I,
)
_TABLE_NAME_PRIO = [
    re.compile(
        r"sub-?processor|processor|vendor|supplier|provider|recipient|third|partner|company|entit|organi",
        re.I,
    ),
    re.compile(r"\bname\b", re.I),
    re.compile(r"sdk|tool|service", re.I),
]
_TABLE_PURPOSE_HEAD = re.compile(
    r"purpose|service|function|activit|use|description|processing|nature|zweck|finalit", re.I
)
_TABLE_COUNTRY_HEAD = re.compile(
    r"location|country|countries|region|where|place|jurisdiction|land|pays|hosting|data location",
    re.I,
)
_TABLE_ROLE_HEAD = re.compile(r"\b(?:role|type|category)\b", re.I)

_OWNER = re.compile(
    r"(?P<n>[A-Z][\w&'’.-]*(?:\s+[A-Z][\w&'’.-]*){0,4})(?:,?\s+(?:Inc|Ltd|LLC|GmbH|S\.A|SAS|B\.V|Limited|Corp|plc|AB|Pty|Pte\.? Ltd|AG)\.?)*"
    r"\s*\((?:(?:collectively|together)[^)]{0,20})?(?:the\s+)?[\"“”'‘*_\s]*(?P<a>[^\"“”'‘’)]{1,40})?[\"“”'’*_]*"
    r"[^)]{0,80}?\b(?:we|us|our)\b",
)
_OWNER2 = re.compile(
    r"[\"“]we[\"”],?\s+[\"“]us[\"”],?\s+(?:and|or)\s+[\"“]our[\"”]\s+(?:all\s+)?(?:refer|refers|mean|means)\s+(?:to\s+)?"
    + r"(?P<n>[A-Z][\w&'’.-]*(?:\s+[A-Z][\w&'’.-]*){0,4})"
)
# The owner speaking of itself: "We at OpenAI respect your privacy", and a definition whose
# defined term is "we"/"us": 'Company (referred to as "We", "Us" or "Our") refers to Acme Inc.'
_OWNER_NAME = r"(?P<n>[A-Z][\w&'’.-]*(?:\s+[A-Z][\w&'’.-]*){0,4})"
_OWNER3 = re.compile(r"\b[Ww]e at " + _OWNER_NAME)
_OWNER4 = re.compile(
    r"[\"“'‘](?:[Ww]e|[Uu]s|[Oo]ur)[\"”'’][^()]{0,80}\)\s+(?:refers?|means?)\s+(?:to\s+)?(?:the\s+)?"
    + _OWNER_NAME
)
_PURPOSE_PROSE = re.compile(
    r"\b(?:to|for)\s+(?P<p>(?:send|sending|deliver|delivering|process|processing|host|hosting|store"
    r"|storing|provide|analy[sz]e|analy[sz]ing|measure|understand|track|manage|monitor|verify"
    r"|authenticate|serve|display|handle|run|operate|power|support|improve|facilitate|enable"
    r"|detect|prevent|collect|help|offer|communicate|conduct|perform|back up|transcribe|translate)"
    r"\b[^.;:()\[\]]{0,70})"
)
_LOC_PROSE = re.compile(
    r"\b(?:based|located|headquartered|hosted|stored|processed|kept|incorporated|established"
    r"|registered|servers?)"
    r"\s+(?:in|within)\s+(?:the\s+)?(?P<c>[A-Z][\w.]*(?:\s+[A-Z][\w.]*){0,3})"
)
# "hosted by Amazon Web Services in Ireland": a place right after the name
_IN_PLACE = re.compile(r"\s+in\s+(?:the\s+)?(?P<c>[A-Z][\w.]*(?:\s+[A-Z][\w.]*){0,3})")
_HEADING_PARTY = re.compile(
    r"processor|service providers?\b|third[- ]party (?:services|providers|vendors)|vendors|suppliers",
    re.I,
)
_LIST_REST = re.compile(
    r"^\s*(?:[:–—(-]\s*)?(?:(?:for|to|used for|used to|provides?|providing)\b|[A-Z][\w ]{0,30}\))",
)
_LIST_HEAD = re.compile(r"^(?P<n>[^:–—(]{2,60}?)\s*(?:[:–—]|\s-\s|\()")


_PREFIX = re.compile(r"^(?:SAS|SARL|SA|S\.A\.S?\.?|EURL|SASU)\s+(?=[A-Z])")


def strip_suffix(name: str) -> str:
    """`name` without its legal-form suffix(es): "Stripe, Inc." -> "Stripe"."""
    s = _PREFIX.sub("", name.strip().strip(",;"))
    prev = None
    while prev != s:
        prev = s
        s = _SUFFIX.sub("", s).strip().strip(",")
    return s or name.strip()


@lru_cache(maxsize=1)
def gazetteer() -> dict[str, Any]:
    """The bundled gazetteer: {"entries": {key: entry}, "alias": {lower surface: key},
    "regex": compiled case-sensitive matcher, "countries": {surface: canonical}}."""
    raw = json.loads(
        resources.files("watcher").joinpath("data", "companies.json").read_text(encoding="utf-8")
    )
    entries: dict[str, dict[str, Any]] = {}
    alias: dict[str, str] = {}
    surfaces: dict[str, str] = {}
    for e in raw["companies"]:
        key = _norm(strip_suffix(e["name"]))
        entries.setdefault(key, e)
        for s in [e["name"], *e.get("aliases", [])]:
            alias.setdefault(_norm(strip_suffix(s)), key)
            surfaces.setdefault(s, key)
    ordered = sorted(surfaces, key=len, reverse=True)
    # by_run: the surfaces (longest first, as in "regex") under their leading word, which is
    # also the word a match starts with; `_gazetteer_matches` uses it instead of "regex".
    by_run: dict[str, list[str]] = {}
    for surface in ordered:
        by_run.setdefault(_RUN.match(surface).group(0), []).append(surface)
    countries: dict[str, str] = raw.get("countries", {})
    cpat = "|".join(re.escape(s) for s in sorted(countries, key=len, reverse=True))
    crx = re.compile(rf"(?<![\w.])(?:{cpat})(?![\w])")
    return _Gazetteer(
        entries=entries,
        alias=alias,
        surfaces=surfaces,
        by_run=by_run,
        countries=countries,
        country_regex=crx,
    )


class _Gazetteer(dict):
    """The gazetteer dict; its big "regex" (unused by this module) is compiled on first use."""

    def __missing__(self, key: str) -> Any:
        if key != "regex":
            raise KeyError(key)
        pat = "|".join(re.escape(s) for s in sorted(self["surfaces"], key=len, reverse=True))
        rx = self["regex"] = re.compile(rf"(?<![\w@/.-])(?:{pat})(?![\w-]|\.\w)")
        return rx


_RUN = re.compile(r"\w+")
_GAZ_AFTER = re.compile(r"[\w-]|\.\w")  # what may not follow a gazetteer name


def _gazetteer_matches(s: str, g: dict[str, Any]) -> list[tuple[int, int, str]]:
    """(start, end, surface) of every match of `g["regex"].finditer(s)`, found by word.

    Each surface starts with a word character and the regex allows no word character before
    it, so a match starts where a word starts, and that word is the surface's leading word
    (the one after it would be a word character or the surface's own next character). The
    candidates of that word are tried longest first, like the regex alternation.
    """
    by_run = g["by_run"]
    words = _RUN.findall(s)
    if by_run.keys().isdisjoint(words):
        return []
    out: list[tuple[int, int, str]] = []
    pos = 0
    for wm in _RUN.finditer(s):
        p = wm.start()
        if p < pos:
            continue
        cands = by_run.get(wm.group(0))
        if cands is None or (p and s[p - 1] in "@/.-"):
            continue
        for surface in cands:
            if s.startswith(surface, p):
                e = p + len(surface)
                if not _GAZ_AFTER.match(s, e):
                    out.append((p, e, surface))
                    pos = e
                    break
    return out


def _norm(s: str) -> str:
    s = s.replace("’", "'").lower()
    s = re.sub(r"[\"“”*_]", "", s)
    return _WS.sub(" ", s).strip(" .,;:'")


def normalize_name(name: str) -> str:
    """The party key: lower case, suffix stripped, alias resolved."""
    base = _norm(strip_suffix(name))
    base = re.sub(r"'s$", "", base)
    alias = gazetteer()["alias"]
    if base not in alias:
        bare = re.sub(r"\.(?:com|io|ai|net|co|app|dev)$", "", base)
        if bare in alias:
            return alias[bare]
    return alias.get(base, base)


def _looks_generic(name: str) -> bool:
    words = [w.strip(".,'’()").lower() for w in name.split()]
    words = [w for w in words if w]
    if not words:
        return True
    if words[0] in _DETERMINERS:
        return True
    return all(w in _GENERIC or w.isdigit() for w in words)


def _is_country(name: str) -> bool:
    return strip_suffix(name) in gazetteer()["countries"]


def _lowercase_words(name: str) -> bool:
    """A proper name is Title Case: "Limestone Networks", not "Service providers"."""
    return any(
        w[0].islower() and w not in ("and", "of", "de", "für", "&", "du", "la", "von")
        for w in name.split()
        if w[0].isalpha()
    )


def _plausible_unknown(name: str, strong: bool) -> bool:
    name = name.strip()
    if _lowercase_words(strip_suffix(name)) and not _COMPANYISH.search(name):
        return False
    if len(name) < 2 or len(name) > 60 or len(name.split()) > 6:
        return False
    if _looks_generic(name) or _is_country(name):
        return False
    if not re.match(r"[A-Z0-9]", name) or re.search(r"\d{4}|\b\d{1,2},", name):
        return False
    if name.isupper() and len(name) <= 3 and strip_suffix(name) == name:
        return False
    has_suffix = strip_suffix(name) != name
    return has_suffix or bool(_COMPANYISH.search(name)) or strong


def _countries_in(text: str) -> list[str]:
    g = gazetteer()
    out: list[str] = []
    for m in g["country_regex"].finditer(text):
        c = g["countries"][m.group(0)]
        if c not in out:
            out.append(c)
    return out


def _clean_purpose(p: str) -> str:
    # "to send our newsletter, and Google Analytics to measure visits": the purpose ends
    # where the next named party begins
    p = re.split(r",\s+(?:(?:and|while|whereas)\s+)?(?=[A-Z])", p, maxsplit=1)[0]
    p = plain(p).strip(" .;,")
    p = re.sub(r"^we use (?:it|them|\S+(?: \S+)?) (?:to|for)\s+", "", p, flags=re.I)
    p = re.sub(r"^(?:to\s+)?(?:provides?|providing|used for|use for|for)\s+", "", p, flags=re.I)
    p = re.sub(r"\s+(?:services?|solutions?|tools?)$", "", p, flags=re.I)
    words = p.split()
    if len(words) > 10:
        p = " ".join(words[:10]) + "…"
    if p and not p[:2].isupper():
        p = p[0].lower() + p[1:]
    return p


@lru_cache(maxsize=256)
def _role_from(text: str) -> str | None:
    """The role a sentence gives its parties (cached: a sentence naming many asks often)."""
    for rx, role in _ROLE_CUES:
        if rx.search(text):
            return role
    return None


def _owners(text: str) -> set[str]:
    """Keys of the policy owner's names (from "Acme, Inc. ("Acme", "we", "us")")."""
    owners: set[str] = set()
    head = text[:20000]
    for rx in (_OWNER, _OWNER2, _OWNER3, _OWNER4):
        for m in rx.finditer(head):
            for g in ("n", "a"):
                v = m.groupdict().get(g)
                if v and not _looks_generic(v):
                    owners.add(normalize_name(v))
                    # "Acme Dating Group" also owns "Acme"
                    first = v.split()[0]
                    if len(v.split()) > 1 and not _looks_generic(first):
                        owners.add(normalize_name(first))
    return owners


class _Collector:
    def __init__(self, owners: set[str]) -> None:
        self.owners = owners
        self.facts: dict[str, Fact] = {}

    def add(self, name: str, evidence: str, detail: dict[str, Any]) -> None:
        name = name.strip(" .,;:'\"“”")
        key = normalize_name(name)
        if (
            not key
            or key in self.owners
            or any(key == o or key.startswith(o + " ") for o in self.owners)
        ):
            return
        entry = gazetteer()["entries"].get(key)
        if entry is not None:
            if entry.get("party") is False:
                return
            detail.setdefault("category", entry.get("category"))
        detail = {k: v for k, v in detail.items() if v}
        f = self.facts.get(key)
        if f is None:
            self.facts[key] = Fact(
                kind="party", key=key, value=name, evidence=evidence[:300], detail=detail
            )
        else:
            for k, v in detail.items():
                f.detail.setdefault(k, v)


def _from_tables(text: str, col: _Collector) -> None:
    for t in tables(text):
        header = [h.lower() for h in t.header]
        name_i = None
        if header:
            for prio in _TABLE_NAME_PRIO:
                for i, h in enumerate(header):
                    if (
                        h
                        and prio.search(h)
                        and _TABLE_NAME_HEAD.search(h)
                        and not _TABLE_PURPOSE_HEAD.fullmatch(h)
                    ):
                        name_i = i
                        break
                if name_i is not None:
                    break
        if name_i is not None and len(header) >= 2:
            purpose_i = next(
                (i for i, h in enumerate(header) if i != name_i and _TABLE_PURPOSE_HEAD.search(h)),
                None,
            )
            country_i = next(
                (i for i, h in enumerate(header) if i != name_i and _TABLE_COUNTRY_HEAD.search(h)),
                None,
            )
            role_i = next(
                (i for i, h in enumerate(header) if i != name_i and _TABLE_ROLE_HEAD.search(h)),
                None,
            )
            role = _role_from(header[name_i]) or "service provider"
            for r in t.rows:
                if name_i >= len(r):
                    continue
                cell = r[name_i]
                name = _table_name(cell)
                if not name:
                    continue
                detail: dict[str, Any] = {"role": role, "source": "table"}
                if role_i is not None and role_i < len(r):
                    detail["role"] = _role_from(r[role_i]) or role
                if purpose_i is not None and purpose_i < len(r):
                    detail["purpose"] = _clean_purpose(r[purpose_i])
                if country_i is not None and country_i < len(r):
                    cs = _countries_in(r[country_i])
                    if cs:
                        detail["country"] = ", ".join(cs)
                col.add(name, " | ".join(r), detail)
            continue
        # Two-column records: "Processor | Amazon Web Services", "Purpose | Hosting" ...
        rows = ([t.header] if t.header else []) + t.rows
        if rows and all(len(r) == 2 for r in rows):
            _from_records(rows, col)


def _from_records(rows: list[list[str]], col: _Collector) -> None:
    record: dict[str, Any] | None = None
    name = ""
    evidence: list[str] = []

    def flush() -> None:
        if record is not None and name:
            col.add(name, " | ".join(evidence), record)

    for label, value in rows:
        ll = label.lower()
        if (
            _TABLE_NAME_PRIO[0].search(ll)
            and len(ll) < 40
            and not re.search(r"polic|privacy|link", ll)
        ):
            cand = _table_name(value)
            if cand:
                flush()
                name = cand
                record = {"role": _role_from(ll) or "service provider", "source": "table"}
                evidence = [f"{label} | {value}"]
            continue
        if record is None:
            continue
        evidence.append(f"{label} | {value}")
        if _TABLE_COUNTRY_HEAD.search(ll):
            cs = _countries_in(value)
            if cs:
                record.setdefault("country", ", ".join(cs))
        elif re.search(r"purpose|type|function|service", ll):
            record.setdefault("purpose", _clean_purpose(value))
    flush()


def _table_name(cell: str) -> str | None:
    """The party named by a table cell, or None."""
    cell = re.sub(r"\s*\(.*?\)\s*", " ", cell).strip()
    cell = re.split(r"\s+[–—-]\s+|:|;|,\s+(?=[a-z])|https?://", cell)[0].strip()
    if not cell or len(cell) > 80:
        return None
    g = gazetteer()
    key = normalize_name(cell)
    if key in g["entries"]:
        return cell
    hits = _gazetteer_matches(cell, g)
    if hits and hits[0][0] == 0:
        return hits[0][2]
    if len(cell.split()) > 6 or cell.endswith("."):
        return None
    if _looks_generic(cell) or _is_country(cell) or not re.match(r"[A-Z0-9]", cell):
        return None
    if _lowercase_words(strip_suffix(cell)) and not _COMPANYISH.search(cell):
        return None
    return cell


def _sentence_detail(
    s: str, start: int, end: int, *, only_party: bool = False, stop: int | None = None
) -> dict[str, Any]:
    """Role, purpose and country of the party at s[start:end], from its sentence.

    A place anywhere later in the sentence ("...; data is processed in the United States") is
    attributed only when the sentence names this one party, never guessed among several.
    """
    detail: dict[str, Any] = {"source": "prose"}
    role = _role_from(s)
    if role:
        detail["role"] = role
    tail = s[end : end + 160]
    # a place is never taken from beyond the next named party ("X to ..., and Y; stored in Z")
    near = tail[: max(0, stop - end)] if stop is not None else tail
    pm = _PURPOSE_PROSE.search(tail)
    if pm:
        detail["purpose"] = _clean_purpose(pm.group("p"))
    m = re.match(r"\s*\((?P<c>[^)]{2,40})\)", near)
    cs = _countries_in(m.group("c")) if m else []
    if not cs:
        im = _IN_PLACE.match(s, end)
        if im:
            cs = _countries_in(im.group("c"))
    if not cs:
        lm = _LOC_PROSE.search(near[:100] if not only_party else s[end:])
        if lm:
            cs = _countries_in(lm.group(0))
    if cs:
        detail["country"] = ", ".join(cs)
    return detail


def _from_prose(text: str, col: _Collector) -> None:
    g = gazetteer()
    by_run = g["by_run"]
    heading = ""
    listed = False
    for b in blocks(text):
        if is_table_line(b):
            continue
        p = plain(b)
        if b.startswith("#"):
            heading = p
        is_item = bool(_ITEM.match(b))
        # The sentences of a block are pieces of `p` cut at spaces: when `p` holds no gazetteer
        # word or no strong-cue keyword, none of its sentences does.
        gaz = not by_run.keys().isdisjoint(_RUN.findall(p))
        cue = _STRONG_CUE_HINT.search(p) is not None
        if not is_item:
            listed = p.endswith(":")  # items after "...links to their opt-out tools, are:"
        if gaz and not (is_item and listed) and _bare_profile_link(p, g, heading):
            gaz = False
        for s in split_sentences(p) if p and (gaz or cue) else ():
            if gaz:
                _gazetteer_hits(s, col, g)
            if not cue:
                continue
            for m in _STRONG_CUE.finditer(s):
                cand = _trim_name(m.group("n"))
                nxt = s[m.start("n") + len(cand) :]
                if _ATTRIBUTIVE.match(nxt) and normalize_name(cand) not in g["entries"]:
                    continue  # "provided by Pitch creators": a modifier, not a name
                if (
                    cand
                    and _plausible_unknown(cand, strong=True)
                    and (normalize_name(cand) in g["entries"] or not _gazetteer_matches(cand, g))
                ):
                    d = _sentence_detail(s, m.start("n"), m.start("n") + len(cand))
                    col.add(cand, s, d)
        if is_item and _HEADING_PARTY.search(heading):
            lm = _LIST_HEAD.match(p)
            if lm:
                cand = _trim_name(lm.group("n"))
                rest = p[lm.end("n") :]
                strong = bool(_LIST_REST.match(rest)) or bool(_countries_in(rest[:60]))
                if cand and _plausible_unknown(cand, strong=strong) and len(cand.split()) <= 4:
                    d = _sentence_detail(p, 0, len(cand))
                    d["source"] = "list"
                    d.setdefault("role", _role_from(heading))
                    col.add(cand, p, d)


# Where a site keeps its own profiles: a line holding nothing but such a name ("LinkedIn",
# "X [Twitter]", "- YouTube") is a "follow us" link of a footer or menu, not a recipient.
_PROFILE_CATEGORIES = frozenset(
    ["social", "video", "media", "communications", "developer platform", "chat"]
)
_BARE_REST = re.compile(r"^[\W_]*(?:\w{1,2})?[\W_]*$")


def _bare_profile_link(p: str, g: dict[str, Any], heading: str) -> bool:
    """True when block `p` is only the names of social profiles (outside a heading about
    processors or providers)."""
    if len(p) > 60 or _HEADING_PARTY.search(heading):
        return False
    hits = _gazetteer_matches(p, g)
    if not hits:
        return False
    rest, pos = [], 0
    for start, end, surface in hits:
        entry = g["entries"][g["surfaces"][surface]]
        if entry.get("category") not in _PROFILE_CATEGORIES:
            return False
        rest.append(p[pos:start])
        pos = end
    rest.append(p[pos:])
    return _BARE_REST.match(" ".join(rest)) is not None


def _trim_name(n: str) -> str:
    words = n.split()
    out: list[str] = []
    for w in words:
        if out and w.lower() in ("and", "of", "de", "für", "&") and len(out) >= 1:
            out.append(w)
            continue
        if w.lower() in _GENERIC and out and w[0].islower():
            break
        out.append(w)
    while out and out[-1].lower() in ("and", "of", "de", "für", "&"):
        out.pop()
    name = " ".join(out).strip(" .,;:'’")
    name = re.sub(r"['’]s$", "", name)
    return name


def _gazetteer_hits(s: str, col: _Collector, g: dict[str, Any]) -> None:
    has_cue = None
    matches = list(_gazetteer_matches(s, g))
    only_party = len({g["surfaces"][m[2]] for m in matches}) == 1
    starts = [(m[0], g["surfaces"][m[2]]) for m in matches]
    for start, end, surface in matches:
        key_here = g["surfaces"][surface]
        stop = next((st for st, k in starts if st >= end and k != key_here), None)
        key = g["surfaces"][surface]
        entry = g["entries"][key]
        if entry.get("party") is False:
            continue
        after = s[end : end + 30]
        suffixed = bool(
            re.match(
                r",?\s+(?:Inc|Ltd|LLC|GmbH|S\.A|SAS|B\.V|Limited|Corp|plc|AB|Pty|AG|Pte)\b", after
            )
        )
        if entry.get("ambiguous"):
            if has_cue is None:
                has_cue = bool(_CUE.search(s))
            if not (has_cue or suffixed):
                continue
            # part of a longer proper name ("Clear Ring", "Acme Segment")?
            if re.match(r" [A-Z][a-z]", after) and not suffixed:
                continue
            if re.search(r"[A-Z][\w&.-]* $", s[:start]) and start > 0:
                continue
            if (
                start == 0
                and not suffixed
                and not re.match(r"\s*(?:\(|,|is\b|provides\b|acts\b|processes\b)", after)
            ):
                continue
        col.add(surface, s, _sentence_detail(s, start, end, only_party=only_party, stop=stop))


def extract(text: str, language: str | None = None) -> list[Fact]:
    """Named third parties of `text`, one fact per normalized name, in document order."""
    col = _Collector(_owners(text))
    _from_prose(text, col)
    _from_tables(text, col)
    owner = _dominant(text, list(col.facts.values()))
    return [f for f in col.facts.values() if f.key != owner]


def _dominant(text: str, facts: list[Fact]) -> str | None:
    """The key of a name that dominates the text (the policy owner: "GitHub" in GitHub's
    policy): mentioned 10+ times, first within the opening 15%, twice as often as any other."""
    if not facts:
        return None
    counts: list[tuple[int, int, str]] = []
    low = fold(text)
    for f in facts:
        base = strip_suffix(f.value)
        if len(base) < 2:
            continue
        n, first = _mentions(base, text, low)
        if n:
            counts.append((n, first, f.key))
    if not counts:
        return None
    counts.sort(reverse=True)
    n, first, key = counts[0]
    second = counts[1][0] if len(counts) > 1 else 0
    if n >= 10 and first <= 0.15 * len(text) and n >= 2 * second:
        return key
    return None


_MENTION_BEFORE = re.compile(r"[\w.@/]", re.I)
_MENTION_AFTER = re.compile(r"[\w]", re.I)


@lru_cache(maxsize=512)
def _literal_ci(base: str) -> re.Pattern[str]:
    return re.compile(re.escape(base), re.I)


def _mentions(base: str, text: str, low: str) -> tuple[int, int]:
    r"""(count, first start) of the matches of
    `(?<![\w.@/]){re.escape(base)}(?![\w])` (IGNORECASE) in `text`, `low` being `fold(text)`.

    Same matches, much faster: the bare literal is looked for (as a plain substring of `low`
    when `base` is ASCII, see `fold`; no look-behind in front of it), the context after."""
    rx = _literal_ci(base)
    fast = base.isascii() and len(low) == len(text)
    needle = base.lower()
    n, first, pos = 0, -1, 0
    while True:
        if fast:
            a = low.find(needle, pos)
            if a < 0:
                return n, first
            m = rx.match(text, a)
            if m is None:
                pos = a + 1
                continue
        else:
            m = rx.search(text, pos)
            if m is None:
                return n, first
        a, b = m.span()
        if (a == 0 or not _MENTION_BEFORE.match(text, a - 1)) and not _MENTION_AFTER.match(text, b):
            n += 1
            if first < 0:
                first = a
            pos = b
        else:
            pos = a + 1


# --------------------------------------------------------------------------- findings

KINDS = ("party",)

_ROLE_NAMES = {"advertising": "advertising partner", "analytics": "analytics provider"}


def _party_phrase(f: Fact) -> str:
    d = f.detail or {}
    bits = [str(d[k]) for k in ("purpose", "country") if d.get(k)]
    return f"{f.value} ({', '.join(bits)})" if bits else str(f.value)


def _party_role(f: Fact) -> str:
    role = str((f.detail or {}).get("role") or "third party").replace("_", " ")
    return _ROLE_NAMES.get(role, role)


def compare(kind: str, old: dict[str, Fact], new: dict[str, Fact], ctx: Compare) -> list[Finding]:
    """party_added (high) and party_removed (medium); the key is the identity."""
    return keyed(
        kind,
        old,
        new,
        added=lambda b: finding(
            "party_added", b.key, None, b.value, "high",
            f"New {_party_role(b)}: {_party_phrase(b)}", None, b.evidence, dict(b.detail or {}),
        ),
        removed=lambda a: finding(
            "party_removed", a.key, a.value, None, "medium",
            f"No longer lists {_party_role(a)}: {_party_phrase(a)}", a.evidence, None,
            dict(a.detail or {}),
        ),
    )  # fmt: skip
