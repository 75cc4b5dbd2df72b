"""Party names: legal-suffix stripping, normalization into keys, the bundled gazetteer of known
companies (`watcher/data/companies.json`) and fast whole-word mention counting (pure).

`key` of a party is its normalized name: lower case, legal suffix stripped (Inc., Ltd, GmbH,
S.A. ...) and aliases resolved through the gazetteer ("AWS" and "Amazon Web Services" share the
key "amazon web services"). A gazetteer entry may list `formerly` names: each is a party of its
own whose entry says `renamed_to` the company's key (Twitter -> X Corp., AppNexus -> Xandr).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator
from functools import lru_cache
from importlib import resources
from typing import Any

from watcher.facts.prefilter import RISKY_ANY
from watcher.textutil import casefold_ascii

__all__ = [
    "folded",
    "mentioned",
    "mentions_at_most",
    "may_start_by",
    "GENERIC",
    "WORD_RUN",
    "countries_in",
    "gazetteer",
    "gazetteer_matches",
    "is_country",
    "looks_generic",
    "lowercase_words",
    "mentions",
    "normalize_name",
    "norm",
    "strip_suffix",
]

# Memos of whole-text and per-name work; `clear_memos` forgets them (`watcher.facts.clear_caches`,
# for cold-start benchmarks).
_MEMOS: list[Any] = []


def memo(maxsize: int) -> Callable[[Callable[..., Any]], Any]:
    """`lru_cache(maxsize)` for a pure function of texts or names, emptied by `clear_memos`."""

    def wrap(f: Callable[..., Any]) -> Any:
        cached = lru_cache(maxsize=maxsize)(f)
        _MEMOS.append(cached)
        return cached

    return wrap


def clear_memos() -> None:
    for cached in _MEMOS:
        cached.cache_clear()


_SUFFIX = re.compile(
    r"(?:[,.]?\s+(?:Inc|Incorporated|Ltd|Limited|LLC|L\.L\.C|LLP|LP|GmbH|gGmbH|mbH|AG|SE|S\.?A\.?S?"
    r"|SAS|SARL|S\.?à\s?r\.?l|B\.?V|N\.?V|Corp|Corporation|Co|Company|plc|PLC|AB|Pty|Pty\.?\s+Ltd"
    r"|Pte\.?\s+Ltd|Pte|S\.?r\.?l|SRL|S\.?L|S\.?p\.?A|SpA|Oy|Oyj|ApS|A/S|AS|ASA|KK|K\.K|PBC|ULC"
    r"|Sp\.\s?z\s?o\.o|d\.o\.o|Kft|Zrt|OÜ|UAB|e\.K|KG|OHG|eG|Co\.,?\s*Ltd)\.?)+$",
    re.I,
)
_WS = re.compile(r"\s+")

# Generic words: a candidate made only of these (or starting with a determiner) is no party.
GENERIC = frozenset(
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


_PREFIX = re.compile(r"^(?:SAS|SARL|SA|S\.A\.S?\.?|EURL|SASU)\s+(?=[A-Z])")


@memo(8192)  # asked of every candidate name, often the same
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
        key = norm(strip_suffix(e["name"]))
        entries.setdefault(key, e)
        for s in [e["name"], *e.get("aliases", [])]:
            alias.setdefault(norm(strip_suffix(s)), key)
            surfaces.setdefault(s, key)
    # "formerly": earlier names of a company; each is a party of its own whose "renamed_to"
    # is the company's key, so that old -> new gives one party_renamed finding
    for e in raw["companies"]:
        key = norm(strip_suffix(e["name"]))
        for former in e.get("formerly", []):
            fkey = alias.get(norm(strip_suffix(former)))
            if fkey is None:
                fkey = norm(strip_suffix(former))
                entries[fkey] = {"name": former, "category": e.get("category")}
                alias[fkey] = fkey
            surfaces.setdefault(former, fkey)
            if fkey != key:
                entries[fkey] = {**entries[fkey], "renamed_to": key}
    ordered = sorted(surfaces, key=len, reverse=True)
    # by_run: the surfaces (longest first, as in "regex") under their leading word, which is
    # also the word a match starts with; `gazetteer_matches` uses it instead of "regex".
    by_run: dict[str, list[str]] = {}
    for surface in ordered:
        by_run.setdefault(WORD_RUN.match(surface).group(0), []).append(surface)
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


WORD_RUN = re.compile(r"\w+")
_GAZ_AFTER = re.compile(r"[\w-]|\.\w")  # what may not follow a gazetteer name


def gazetteer_matches(
    s: str, g: dict[str, Any], words: Iterable[str] | None = None
) -> list[tuple[int, int, str]]:
    """(start, end, surface) of every match of `g["regex"].finditer(s)`, found by word
    (`words`: the word runs of `s`, `WORD_RUN.findall(s)`, or at least all those that lead a
    surface, when the caller has them).

    Each surface starts with a word character and the regex allows no word character before
    it, so a match starts where a word starts, and that word is the surface's leading word
    (the one after it would be a word character or the surface's own next character). The
    candidates of that word are tried longest first, like the regex alternation.
    """
    by_run = g["by_run"]
    present = by_run.keys() & (WORD_RUN.findall(s) if words is None else words)
    # only the word runs that lead a surface the text holds are tried, found with str.find
    # ("The", "Data", "1" lead some surfaces and are in most texts; the surfaces are not)
    starts = sorted(
        (p, w)
        for w in present
        if any(surface in s for surface in reversed(by_run[w]))  # shortest first
        for p in _run_starts(s, w)
    )
    out: list[tuple[int, int, str]] = []
    pos = 0
    for p, w in starts:
        if p < pos or (p and s[p - 1] in "@/.-"):
            continue
        for surface in by_run[w]:
            if s.startswith(surface, p):
                e = p + len(surface)
                if not _GAZ_AFTER.match(s, e):
                    out.append((p, e, surface))
                    pos = e
                    break
    return out


_WORD_CHAR = re.compile(r"\w")


def _run_starts(s: str, w: str) -> Iterator[int]:
    """Where the word run `w` (a `WORD_RUN` match) is a whole word run of `s`."""
    n = len(w)
    p = s.find(w)
    while p >= 0:
        if (p == 0 or not _WORD_CHAR.match(s, p - 1)) and not _WORD_CHAR.match(s, p + n):
            yield p
        p = s.find(w, p + 1)


_MARKS = re.compile(r"[\"“”*_]")
_POSSESSIVE = re.compile(r"'s$")
_DOMAIN = re.compile(r"\.(?:com|io|ai|net|co|app|dev)$")


def norm(s: str) -> str:
    s = s.replace("’", "'").lower()
    s = _MARKS.sub("", s)
    return _WS.sub(" ", s).strip(" .,;:'")


@memo(8192)  # every mention of a party asks it
def normalize_name(name: str) -> str:
    """The party key: lower case, suffix stripped, alias resolved."""
    base = norm(strip_suffix(name))
    base = _POSSESSIVE.sub("", base)
    alias = gazetteer()["alias"]
    if base not in alias:
        bare = _DOMAIN.sub("", base)
        if bare in alias:
            return alias[bare]
    return alias.get(base, base)


def looks_generic(name: str) -> bool:
    words = [w.strip(".,'’()").lower() for w in name.replace("-", " ").split()]
    words = [w for w in words if w]
    if not words:
        return True
    if words[0] in _DETERMINERS:
        return True
    return all(w in GENERIC or w.isdigit() for w in words)


def is_country(name: str) -> bool:
    """A country or a union of countries, in any language the places family reads
    ("Allemagne", "Irlande", "Vereinigtes Königreich"): a place, never a recipient."""
    bare = strip_suffix(name)
    return bare in gazetteer()["countries"] or bare in _place_names()


@lru_cache(maxsize=1)
def _place_names() -> frozenset[str]:
    """Every alias of watcher/data/countries.json (the places family's lexicon)."""
    raw = json.loads(
        resources.files("watcher").joinpath("data", "countries.json").read_text(encoding="utf-8")
    )
    return frozenset(a for aliases in raw["places"].values() for a in aliases)


def lowercase_words(name: str) -> bool:
    """A proper name is Title Case: "Limestone Networks", not "Service providers"."""
    return any(
        w[0].islower() and w not in ("and", "of", "de", "für", "&", "du", "la", "von")
        for w in name.split()
        if w[0].isalpha()
    )


def countries_in(text: str) -> list[str]:
    g = gazetteer()
    out: list[str] = []
    for m in g["country_regex"].finditer(text):
        c = g["countries"][m.group(0)]
        if c not in out:
            out.append(c)
    return out


_MENTION_BEFORE = re.compile(r"[\w.@/]", re.I)
_MENTION_AFTER = re.compile(r"[\w]", re.I)


@lru_cache(maxsize=512)
def _literal_ci(base: str) -> re.Pattern[str]:
    return re.compile(re.escape(base), re.I)


@memo(4)
def folded(text: str) -> str:
    """`fold(text)` once per text: the owner test of `extract` and `compare` both ask it."""
    return casefold_ascii(text)


# Characters that IGNORECASE matches with another character than the one str.lower() gives
# (`prefilter.RISKY_ANY`), and the capital sigma (lower-cased by its context): a non-ASCII
# name, or a text, holding one is searched with the regex.
_CASE_RISKY = re.compile(f"{RISKY_ANY.pattern}|\u03a3")


@memo(4)
def _plain_case(text: str) -> bool:
    return _CASE_RISKY.search(text) is None


def _by_literal(base: str, text: str, low: str) -> bool:
    """Whether the mentions of `base` are found as plain substrings of `low`: where the
    lower-case `base` is in `low`, the case-insensitive `base` matches `text`, and only there.
    True for an ASCII `base` (`fold` keeps the length and lowers the characters that match an
    ASCII letter under IGNORECASE), and for any `base` when neither it nor `text` holds a
    `_CASE_RISKY` character (then both lower case character by character as the regex
    engine compares them)."""
    if len(low) != len(text):
        return False
    if base.isascii():
        return True
    return _CASE_RISKY.search(base) is None and _plain_case(text)


def _mention_spans(base: str, text: str, low: str) -> Iterator[tuple[int, int]]:
    r"""(start, end) of each match of `(?<![\w.@/]){re.escape(base)}(?![\w])` (IGNORECASE) in
    `text`, `low` being `fold(text)`, in order.

    Same matches, much faster: the lower-case literal is looked for as a plain substring of
    `low` (when `_by_literal`), the context around it is then checked on `text`."""
    n = len(base)
    if _by_literal(base, text, low):
        needle = base.lower()
        a = low.find(needle)
        while a >= 0:
            b = a + n
            if (a == 0 or not _MENTION_BEFORE.match(text, a - 1)) and not _MENTION_AFTER.match(
                text, b
            ):
                yield a, b
                a = low.find(needle, b)
            else:
                a = low.find(needle, a + 1)
        return
    rx = _literal_ci(base)
    pos = 0
    while (m := _search_ci(rx, base, text, low, pos)) is not None:
        a, b = m.span()
        if (a == 0 or not _MENTION_BEFORE.match(text, a - 1)) and not _MENTION_AFTER.match(text, b):
            yield a, b
            pos = b
        else:
            pos = a + 1


def _search_ci(rx: re.Pattern[str], base: str, text: str, low: str, pos: int) -> Any:
    """`rx.search(text, pos)` for `rx` = `_literal_ci(base)`, tried only where the longest
    ASCII piece of `base` is in `low` (`fold(text)`): each character of `base` matches one
    character of `text`, and where an ASCII piece matches, its lower-case form is in `low`
    at the same place. A case-insensitive regex reads a long text slowly (a name with a
    dotless "ı" or a long "ſ" is searched this way)."""
    piece, at = _ascii_piece(base)
    if not piece or len(low) != len(text):
        return rx.search(text, pos)
    i = low.find(piece, pos + at)
    while i >= 0:
        m = rx.match(text, i - at)
        if m is not None:
            return m
        i = low.find(piece, i + 1)
    return None


@lru_cache(maxsize=512)
def _ascii_piece(base: str) -> tuple[str, int]:
    """The longest run of ASCII characters of `base`, lower-cased, and where it starts."""
    best = max(_ASCII_RUN.finditer(base), key=lambda m: len(m.group(0)), default=None)
    return (best.group(0).lower(), best.start()) if best else ("", 0)


_ASCII_RUN = re.compile(r"[\x00-\x7f]+")


def mentions(base: str, text: str, low: str) -> tuple[int, int]:
    """(count, first start) of the mentions of `base` in `text` (see `_mention_spans`)."""
    n, first = 0, -1
    for a, _ in _mention_spans(base, text, low):
        if first < 0:
            first = a
        n += 1
    return n, first


def mentions_at_most(base: str, text: str, low: str) -> int:
    """A bound on `mentions(base, text, low)[0]`: the mentions are non-overlapping
    occurrences of the lower-case `base` in `low` when `_by_literal` (else no bound)."""
    if _by_literal(base, text, low):
        return low.count(base.lower())
    return len(text) + 1


def may_start_by(base: str, text: str, low: str, end: int) -> bool:
    """False when no mention of `base` (see `mentions`) starts at or before `end`: each one
    is an occurrence of the lower-case `base` in `low` when `_by_literal`."""
    if not _by_literal(base, text, low):
        return True
    needle = base.lower()
    return low.find(needle, 0, end + len(needle)) >= 0


def mentioned(base: str, text: str, low: str) -> bool:
    """Whether `text` mentions `base` at least once (what `mentions` counts), stopping at the
    first mention. A non-ASCII name with a word the text never uses is ruled out first (for an
    ASCII name, a mention implies that every word of `base` is a word of `low`, so the test
    would only repeat the search)."""
    if not (base.isascii() and len(low) == len(text)):
        words = _WORD.findall(base.lower())
        if words and not _words_of(low).issuperset(words):
            return False
    return next(_mention_spans(base, text, low), None) is not None


_WORD = re.compile(r"\w+")


@memo(8)
def _words_of(low: str) -> frozenset[str]:
    return frozenset(_WORD.findall(low))
