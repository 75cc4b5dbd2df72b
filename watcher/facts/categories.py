"""Categories of personal data (kind "data_category"), negation-aware.

key: the category id ("email", "ip_address", "health"...). A mention inside a negated clause
("we do not collect payment information") yields key "not:<id>" with detail negated=True
instead, so a real "we now collect X" is never hidden by a denial elsewhere and vice versa.
detail["sensitive"] is True for special categories, biometric, health and children's data.
"""

from __future__ import annotations

import re

from watcher.facts import units
from watcher.models import Fact

# id -> (reader's label, pattern, sensitive)
CATEGORIES: tuple[tuple[str, str, str, bool], ...] = (
    ("contact_details", "contact details", r"contact (?:details|information|data|info)", False),
    (
        "name",
        "name",
        r"(?:full |first |last |your |display |real |legal )?names?\b(?! of)(?!\s+(?:server|of the))",
        False,
    ),
    ("email", "email address", r"e-?mail (?:address|addresses)", False),
    (
        "phone",
        "phone number",
        r"(?:tele)?phone numbers?|mobile (?:phone )?numbers?|telephone",
        False,
    ),
    (
        "postal_address",
        "postal address",
        r"(?:postal|physical|home|billing|mailing|shipping|street) address(?:es)?",
        False,
    ),
    ("date_of_birth", "date of birth / age", r"dates? of birth|birth ?dates?|birthdays?", False),
    ("gender", "gender", r"gender", False),
    (
        "identifiers",
        "identifiers",
        r"(?:user|account|customer|online|unique|advertising|ad) (?:ids?|identifiers?)|usernames?|user names?|login (?:details|credentials)|passwords?",
        False,
    ),
    (
        "government_id",
        "government ID",
        r"passports?|driv(?:er'?s|ing) licen[cs]es?|(?:government|national)[- ]issued (?:id|identification)|national (?:id|identity|insurance) (?:cards?|numbers?)|social security numbers?|identity documents?|id documents?",
        False,
    ),
    (
        "ip_address",
        "IP address",
        r"ip address(?:es)?|internet protocol (?:\(\"?ip\"?\) )?address(?:es)?",
        False,
    ),
    (
        "device_info",
        "device information",
        r"device (?:information|data|identifiers?|ids?|type|model|attributes)|browser type|operating system|user[- ]agent|hardware model|imei",
        False,
    ),
    (
        "location",
        "location",
        r"(?:geo)?location (?:data|information)|geolocation|gps|precise location|approximate location",
        False,
    ),
    (
        "payment",
        "payment / financial data",
        r"payment (?:information|details|data|card|method)s?|credit card|debit card|card (?:number|details)|bank (?:account|details)|billing information|financial (?:information|data|details)",
        False,
    ),
    (
        "usage_data",
        "usage data",
        r"usage (?:data|information)|log (?:data|files|information)|pages? (?:you )?(?:visit(?:ed)?|view(?:ed)?)|clickstream|browsing (?:history|activity)|interaction data",
        False,
    ),
    ("cookies", "cookies", r"cookies?", False),
    (
        "communications",
        "communications content",
        r"(?:content of (?:your )?(?:messages|communications)|messages you send|chat (?:messages|logs|history)|call recordings?|recordings? of (?:calls|conversations)|voice recordings?)",
        False,
    ),
    (
        "photos",
        "photos / images",
        r"photos?|photographs?|selfies?|profile pictures?|images? of (?:you|your face)",
        False,
    ),
    (
        "user_content",
        "user content / inputs",
        r"user content|(?:your )?prompts|inputs? and outputs?",
        False,
    ),
    ("health", "health data", r"health|medical|disabilit(?:y|ies)", True),
    (
        "special_categories",
        "special category data",
        r"special categor(?:y|ies)|sensitive (?:personal )?(?:data|information)|racial|ethnic origin|religio(?:n|us)|political (?:opinions|views)|sexual orientation|sex life|trade union|philosophical beliefs",
        True,
    ),
    (
        "biometric",
        "biometric data",
        r"biometric|facial (?:recognition|geometry|scans?|features)|face ?prints?|fingerprints?|voice ?prints?",
        True,
    ),
    ("genetic", "genetic data", r"genetic", True),
    (
        "children",
        "children's data",
        r"children|child's|childrens|minors|under (?:the age of )?1[3-8]\b",
        True,
    ),
    (
        "criminal",
        "criminal records",
        r"criminal (?:records?|convictions?|offen[cs]es|background)",
        True,
    ),
)

_COMPILED = tuple(
    (cid, label, re.compile(r"\b(?:" + rx + r")", re.I), sens)
    for cid, label, rx, sens in CATEGORIES
)
_ANY = re.compile(r"\b(?:" + "|".join(rx for _c, _l, rx, _s in CATEGORIES) + ")", re.I)
_NEG = re.compile(
    r"(?:\b(?:not|never|no|neither|nor|without)\b|n't)[^;:]{0,400}$",
    re.I,
)
_NEG_VERB = re.compile(
    r"\b(?:collect|gather|obtain|request|ask|store|process|hold|keep|record|receive|require|use|"
    r"retain|save|track|access)",
    re.I,
)
_CLAUSE = re.compile(r"[;]|\bbut\b|\bhowever\b|\bexcept\b|\bother than\b|\bonly\b|\bunless\b", re.I)


def _negated(s: str, start: int) -> bool:
    """Is the mention at `start` inside a negated clause with a collecting verb?"""
    cut = 0
    for m in _CLAUSE.finditer(s, 0, start):
        cut = m.end()
    clause = s[cut:start]
    m = _NEG.search(clause)
    if not m:
        return False
    # "not limited to", "whether or not", "not only" are not denials
    if re.search(
        r"\bnot (?:limited|only|necessarily|exhaustive)|or not\b|\bno matter\b|\bno longer than\b",
        clause,
        re.I,
    ):
        return False
    return bool(_NEG_VERB.search(clause[m.start() :]))


def extract(text: str, language: str | None = None) -> list[Fact]:
    facts: list[Fact] = []
    seen: set[str] = set()
    for u in units(text):
        s = u.text
        if u.kind == "heading" or (
            u.kind == "para" and len(s.split()) <= 8 and not re.search(r"[.!?:;,]$", s)
        ):
            continue  # headings name topics, they do not state collection
        if not _ANY.search(s):
            continue
        for cid, label, rx, sens in _COMPILED:
            for m in rx.finditer(s):
                if cid == "name" and re.search(
                    r"\b(domain|company|brand|file|product|trade|business|host|user|screen)\s*$",
                    s[: m.start()],
                    re.I,
                ):
                    continue
                neg = _negated(s, m.start())
                key = f"not:{cid}" if neg else cid
                if key in seen:
                    break
                seen.add(key)
                value = f"not {label}" if neg else label
                detail: dict[str, object] = {"label": label, "sensitive": sens}
                if neg:
                    detail["negated"] = True
                facts.append(Fact("data_category", key, value, s[:500], detail))
                break
    return facts
