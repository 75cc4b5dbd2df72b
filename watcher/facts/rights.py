"""Data subject rights (kind "right"), legal bases (kind "legal_basis") and cookies /
trackers (kind "cookie")."""

from __future__ import annotations

import re

from watcher.facts import slug, units
from watcher.models import Fact

RIGHTS: tuple[tuple[str, str, str], ...] = (
    ("access", "right of access", r"right (?:of|to) (?:request )?access|right to (?:know|obtain (?:a copy|confirmation))|request (?:a copy|access to)|access (?:to )?(?:the |your )?personal (?:data|information)|\bthe right to access"),
    ("rectification", "right to rectification", r"rectif|right to (?:correct|update)|correct (?:any )?inaccurate|(?:update|correct|amend) (?:or (?:correct|update|amend) )?(?:your|any) (?:personal )?(?:data|information)"),
    ("erasure", "right to erasure", r"erasure|right to (?:be forgotten|delet|have (?:your )?(?:personal )?(?:data|information) (?:deleted|erased))|request (?:the )?delet|request that we delete|(?:personal )?data (?:we hold about you )?deleted"),
    ("restriction", "right to restrict processing", r"restrict(?:ion of| the| our)? (?:the )?processing|right to restrict|(?:rectified or )?restricted"),
    ("objection", "right to object", r"right to object|object to (?:the |our |any )?(?:processing|use|direct marketing|profiling)"),
    ("portability", "right to data portability", r"portab"),
    ("withdraw_consent", "right to withdraw consent", r"withdraw(?:al of)? (?:your |their )?consent"),
    ("complaint", "right to complain to a supervisory authority", r"(?:lodge|file|make|submit|bring) a complaint|right to complain|complaint to (?:a|the|your) (?:local )?(?:supervisory|data protection)|supervisory authority|information commissioner"),
    ("opt_out_sale", "right to opt out of sale/sharing", r"opt[- ]out of (?:the )?(?:sale|selling|sharing)|do not sell(?: or share)? my|right to opt[- ]out"),
    ("automated_decisions", "right not to be subject to automated decisions", r"automated (?:individual )?decision"),
    ("non_discrimination", "right to non-discrimination", r"non-?discrimination|not (?:be )?discriminat"),
)  # fmt: skip

BASES: tuple[tuple[str, str, str], ...] = (
    ("consent", "consent", r"(?:with|based on|on the basis of|where (?:you have|we have) (?:given|obtained|your)|rely on|relying on|basis (?:is|of|for[^.]{0,40}is)) (?:your )?(?:(?:explicit|express|prior) )?consent|consent \(art(?:icle|\.)? ?6\s?\(1\)\s?\(?a|legal basis[^.]{0,60}\bconsent"),
    ("contract", "performance of a contract", r"perform(?:ance of|ing)? (?:a|the|our|your)? ?contract|contractual (?:necessity|obligation)|necessary (?:for|to) (?:enter|perform|fulfil)[^.]{0,30}contract|art(?:icle|\.)? ?6\s?\(1\)\s?\(?b"),
    ("legal_obligation", "legal obligation", r"legal (?:obligation|requirement)s?|comply with (?:a |our |any |applicable )?(?:legal|law|statutory)|art(?:icle|\.)? ?6\s?\(1\)\s?\(?c"),
    ("vital_interests", "vital interests", r"vital interests?"),
    ("public_task", "public task / public interest", r"public (?:task|interest)|official authority"),
    ("legitimate_interests", "legitimate interests", r"legitimate (?:business )?interests?"),
)  # fmt: skip

_BASIS_CTX = re.compile(
    r"\b(basis|bases|lawful|legal ground|grounds?|GDPR|art(?:icle|\.)? ?6|rely|necessary|justif)",
    re.I,
)

TRACKERS: tuple[tuple[str, str, str], ...] = (
    ("google_analytics", "Google Analytics", r"google anal[a-z]*"),
    ("google_tag_manager", "Google Tag Manager", r"google tag manager"),
    ("google_ads", "Google Ads / DoubleClick", r"google ads|doubleclick|adsense|google adwords"),
    ("facebook_pixel", "Facebook / Meta Pixel", r"(?:facebook|meta) pixel|facebook conversion|meta conversions api"),
    ("linkedin_insight", "LinkedIn Insight Tag", r"linkedin insight"),
    ("hotjar", "Hotjar", r"hotjar"),
    ("mixpanel", "Mixpanel", r"mixpanel"),
    ("segment", "Segment", r"\bsegment\.(?:io|com)|twilio segment"),
    ("amplitude", "Amplitude", r"\bamplitude\b(?= (?:analytics|inc|cookies))|amplitude analytics"),
    ("clarity", "Microsoft Clarity", r"microsoft clarity"),
    ("tiktok_pixel", "TikTok Pixel", r"tiktok pixel"),
    ("web_beacons", "web beacons / pixels", r"web beacons?|tracking pixels?|pixel tags?|clear gifs?"),
    ("local_storage", "local storage", r"local storage|localstorage|html5 storage"),
    ("fingerprinting", "device fingerprinting", r"(?:device|browser) fingerprint"),
)  # fmt: skip

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

_COMPILED_R = tuple((k, lab, re.compile(r"\b(?:" + rx + ")", re.I)) for k, lab, rx in RIGHTS)
_COMPILED_B = tuple((k, lab, re.compile(r"\b(?:" + rx + ")", re.I)) for k, lab, rx in BASES)
_COMPILED_T = tuple((k, lab, re.compile(r"\b(?:" + rx + ")", re.I)) for k, lab, rx in TRACKERS)


def extract(text: str, language: str | None = None) -> list[Fact]:
    facts: list[Fact] = []
    seen: set[tuple[str, str]] = set()

    def add(kind: str, key: str, value: str, ev: str, **detail: object) -> None:
        if (kind, key) in seen:
            return
        seen.add((kind, key))
        facts.append(Fact(kind, key, value, ev[:500], dict(detail)))

    rights_ctx = re.compile(
        r"\b(right|rights|request|may|can|entitled|ask|contact|complain|opt)", re.I
    )
    for u in units(text):
        s = u.text
        if rights_ctx.search(s):
            for k, lab, rx in _COMPILED_R:
                if rx.search(s):
                    if k == "access" and not re.search(
                        r"\b(right|request|ask|entitled|obtain|can access|may access)\b", s, re.I
                    ):
                        continue
                    add("right", k, lab, s)
        ctx = bool(_BASIS_CTX.search(s)) or u.kind == "row"
        for k, lab, rx in _COMPILED_B:
            if (ctx or k in ("consent", "legitimate_interests", "vital_interests")) and rx.search(
                s
            ):
                add("legal_basis", k, lab, s)
        low = s.lower()
        if (
            "cookie" in low
            or "track" in low
            or "pixel" in low
            or "analytic" in low
            or u.kind == "row"
        ):
            for k, lab, rx in _COMPILED_T:
                if rx.search(s):
                    add("cookie", k, lab, s, type="tracker")
            for m in _COOKIE_CAT.finditer(s):
                cat = slug(m.group(1)).replace(" ", " ")
                cat = _CAT_NORM.get(cat, cat)
                add("cookie", "category:" + cat, f"{cat} cookies", s, type="category")
            if "cookie" in low or u.kind == "row":
                for m in _COOKIE_NAME.finditer(s):
                    name = m.group(1)
                    if u.kind != "row" and not name.startswith("_"):
                        continue
                    if u.kind == "row" and not (
                        name.startswith("_")
                        or re.search(r"cookie|expir|session|persistent|\bdays?\b|\byears?\b", low)
                    ):
                        continue
                    add("cookie", "name:" + name.lower(), name, s, type="name")
    return facts
