"""Company names in running text, found by their form rather than by a list (pure).

- `legal_names(s)`: names that end with a legal form ("Tink Germany GmbH", "Halp, Inc.",
  "PayPal (Europe) S.à r.l. et Cie, S.C.A.", "Tilleke & Gibbins Digital Solutions Co., Ltd.",
  "Bae, Kim & Lee LLC"): capitalised words (with connectors such as "&", "de", "und") right
  before one or more legal forms, in any language the lexicon lists;
- `listed_names(s)`: proper names introduced as examples of recipients ("advertising partners,
  such as Xandr, Verizon Media, or Facebook", "agencies (such as Kantar)", "prestataires tels
  que Stripe et Adyen").

The vocabulary (legal forms, connectors, leading words that are never part of a name, list
cues) is in `watcher/data/parties_lexicon.json`, per language where it matters.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterable, Iterator
from functools import lru_cache
from typing import Any

from watcher.facts.base import load_lexicon
from watcher.facts.parties.names import memo
from watcher.facts.prefilter import trie_pattern

__all__ = [
    "common_word",
    "legal_form_rx",
    "legal_names",
    "lexicon",
    "listed_names",
    "not_a_name",
    "trim_name",
]

_UP = "A-ZÀ-ÖØ-ÞĀ-ſ"  # capitals: ASCII, Latin-1 and Latin Extended-A (checked per char below)


@lru_cache(maxsize=1)
def lexicon() -> dict[str, Any]:
    raw = load_lexicon("parties_lexicon.json")
    raw["stop"] = frozenset(w.lower() for w in raw["stop_words"])
    raw["weak"] = frozenset(raw["legal_forms_weak"])
    raw["address"] = frozenset(raw["address_words"])
    return raw


def _alt(words: list[str]) -> str:
    """An alternation of literal `words` (longest match first), factored as a trie."""
    return trie_pattern(sorted(set(words)))


@lru_cache(maxsize=1)
def legal_form_rx() -> re.Pattern[str]:
    """A name followed by its legal form(s); group "n" is the name part, "f" the forms."""
    lx = lexicon()
    forms = _alt(lx["legal_forms"])
    conn = _alt(lx["connectors"])
    # a legal form is never a word of the name ("Dogwood Labs, Inc., AgileCraft LLC")
    form_ahead = rf"(?:{forms})(?![\w&])"
    token = (
        rf"(?!{form_ahead}[,.]?(?:\s|$))"
        rf"(?:[{_UP}0-9][\w'’&.+/-]*|\([{_UP}][\w .&'-]{{0,30}}\))"
    )
    name = rf"{token}(?:[ \t]+(?:(?:{conn})[ \t]+)*{token}){{0,7}}"
    # "Bae, Kim & Lee LLC": commas inside a name only in a run of names ended by "&"/"and"
    firm = rf"{token}(?:,[ \t]+{token}){{1,3}}[ \t]+(?:&|and|und|et|y)[ \t]+{token}"
    chain = rf"(?:,?[ \t]+(?:et[ \t]+Cie,?[ \t]+|&[ \t]+Co\.?,?[ \t]+)?(?:{forms})(?![\w&]))"
    return re.compile(
        rf"(?<![\w@/.&-])(?P<n>{firm}|{name}),?[ \t]+(?P<f>(?:{forms})(?![\w&]){chain}*)"
    )


_PAREN_TAIL = re.compile(r"\s*\([^)]*$")


def trim_name(name: str) -> str:
    """`name` without the leading words that never start a company name ("Through Tink",
    "Contact Borlux", "Le sous-traitant Airship")."""
    stop = lexicon()["stop"]
    words = name.split()
    while words and (
        words[0].lower().strip(",.:;()'’\"") in stop
        or words[0] in "&+-–—©"
        or words[0].strip("©(),.").isdigit()
    ):
        words.pop(0)
    out = " ".join(words).strip(" ,;:")
    return _PAREN_TAIL.sub("", out) if out.count("(") > out.count(")") else out


def not_a_name(name: str) -> bool:
    """True for a candidate that is a postal address ("Merrion Road", "Dublin 4", "D04 X2K5")
    or shouted prose ("YOU AGREE TO THIS PRIVACY")."""
    lx = lexicon()
    words = [w.strip(",.()'’") for w in name.split()]
    if any(part.lower() in lx["address"] for w in words for part in w.split("-")):
        return True
    if any(any(c.isdigit() for c in w) for w in words) and not any(
        w.isalpha() and len(w) > 3 for w in words
    ):
        return True
    return sum(w.isupper() and len(w) > 1 and w.lower() in lx["stop"] for w in words) >= 2


def _shouting(s: str) -> bool:
    # An ALL-CAPS text has few ASCII lower-case letters: with L of them, at most len(s) - L
    # capitals, and over 70% of the letters capitals needs 3 * (len(s) - L) > 7 * L (the
    # letters are counted one by one only then).
    if len(s) <= 40 or 3 * len(s) <= 10 * (len(s) - len(s.translate(_NO_LOWER))):
        return False
    letters = [c for c in s if c.isalpha()]
    return len(letters) > 40 and sum(c.isupper() for c in letters) > 0.7 * len(letters)


_NO_LOWER = str.maketrans("", "", string.ascii_lowercase)


def legal_names(s: str) -> list[tuple[int, int, str]]:
    """(start, end, name with its legal form) of each company name ending with a legal form."""
    if _shouting(s):
        return []  # an ALL-CAPS paragraph: every word looks like a name
    lx = lexicon()
    out: list[tuple[int, int, str]] = []
    for m in legal_form_rx().finditer(s):
        raw = m.group("n")
        # "... to generate the Output. Brave Inc.": a word of 5+ letters ending with a full
        # stop ends a sentence (abbreviations such as "Lab." or "F.T." are shorter or dotted)
        cut = list(_SENTENCE_END_WORD.finditer(raw))
        offset = cut[-1].end() if cut else 0
        raw = raw[offset:]
        name = trim_name(raw)
        if not name or not name[0].isalnum():
            continue
        words = name.split()
        forms = m.group("f")
        first_form = forms.split()[0].rstrip(",")
        if first_form in lx["weak"] and (
            len(words) < 2 or words[-1].lower() in lx["stop"]  # "The Company", "our Group AS"
        ):
            continue
        if _POSTCODE_AFTER.match(s, m.end()):
            continue  # "Las Vegas, NV 89108": a state and its postcode, not a legal form
        if all(w.lower().strip(",.()") in lx["stop"] or w.isdigit() for w in words):
            continue
        if not any(c.isalpha() for c in name) or not_a_name(name):
            continue
        start = m.start("n") + offset + raw.find(words[0])
        out.append((start, m.end(), s[start : m.end()]))
    return out


_SENTENCE_END_WORD = re.compile(r"(?<![\w.])[^\W\d_]{5,}\.(?:\s+|$)")
_POSTCODE_AFTER = re.compile(r"[ \t]+\d{3,}")


@lru_cache(maxsize=1)
def _list_rx() -> re.Pattern[str]:
    lx = lexicon()
    cues = _alt(lx["list_cues"])
    token = rf"[{_UP}0-9][\w'’&.+-]*"
    name = rf"{token}(?:[ \t]+(?:&[ \t]+)?{token}){{0,4}}(?:[ \t]+\([^()]{{1,30}}\))?"
    sep = r"(?:,[ \t]*(?:(?:and|or|et|ou|und|oder|y|o|e|en|of)[ \t]+)?|[ \t]+(?:and|or|et|ou|und|oder|y|o|e|en|of)[ \t]+|[ \t]*/[ \t]*)"
    nouns = _alt(lx["list_nouns"])
    direct = _alt([n for n in lx["list_nouns"] if n not in lx["product_nouns"]])
    # "partners, such as A, B or C", "agencies (such as Kantar)", "les prestataires Stripe,
    # Payline et Adyen", "our payment processor, Stripe"
    return re.compile(
        rf"(?:\b(?:{nouns})\b[^.;:()]{{0,60}}?(?:\b|\()(?i:{cues})\b|\b(?:{direct})\b[ \t]*[:,]?)"
        rf"[:,]?[ \t]+"
        rf"(?P<list>{name}(?:(?i:{sep}){name}){{0,12}})"
    )


_NAME_TOKEN = re.compile(rf"[{_UP}0-9][\w'’&.+-]*")
_SPLIT_LIST = re.compile(
    r",[ \t]*(?:(?:and|or|et|ou|und|oder|y|o|e|en)[ \t]+)?|[ \t]+(?:and|or|et|ou|und|oder|y|o|e|en)[ \t]+|[ \t]*/[ \t]*"
)


def listed_names(s: str, nouns: Iterable[str] | None = None) -> list[tuple[int, int, str]]:
    """(start, end, name) of the proper names listed after a word for recipients, directly or
    after "such as", "including", "tels que"... (cues match in any case, names start with a
    capital or a digit). `nouns`: the recipient words (`list_nouns`) that `s` holds, when the
    caller knows them (then the list pattern is tried only where they are)."""
    out: list[tuple[int, int, str]] = []
    for m in _list_matches(s, nouns):
        lst = m.group("list")
        base = m.start("list")
        pos = 0
        for part in _SPLIT_LIST.split(lst):
            i = lst.find(part, pos)
            pos = i + len(part)
            name = part.strip()
            # the case-insensitive match lets lower-case words in: cut at the first one
            words = []
            for w in name.split():
                if not _NAME_TOKEN.fullmatch(w) and w != "&":
                    break
                if w.endswith(".") and len(w) > 4 and "." not in w[:-1]:
                    words.append(w[:-1])  # "LinkedIn. Use ...": the sentence ends here
                    break
                words.append(w)
            while words and words[-1].lower() in lexicon()["stop"]:
                words.pop()  # "partenaire Payplug Le règlement": the next sentence's "Le"
            name = " ".join(words).strip(" .&")
            if name and not not_a_name(name):
                out.append((base + i, base + i + len(name), name))
    return out


def _list_matches(s: str, nouns: Iterable[str] | None) -> Iterator[re.Match[str]]:
    """The matches of `_list_rx().finditer(s)`. Each one starts with a recipient word, so
    given `nouns` (those `s` holds) the pattern is tried only where one of them starts, from
    left to right, going on after each match: the same matches in the same order, without
    trying the pattern at every other position of the text."""
    rx = _list_rx()
    if nouns is None:
        yield from rx.finditer(s)
        return
    pos = 0
    for q in sorted({i for w in nouns for i in _occurrences(s, w)}):
        if q >= pos and (m := rx.match(s, q)) is not None:
            yield m
            pos = m.end()


def _occurrences(s: str, w: str) -> Iterator[int]:
    i = s.find(w)
    while i >= 0:
        yield i
        i = s.find(w, i + 1)


def common_word(name: str, text: str) -> bool:
    """A one-word candidate that the text also writes in lower case is an ordinary word
    ("Autocaristes" beside "autocaristes", "Level", "Boost"), not a company's name. Parts of
    web or e-mail addresses ("pay.hyperwallet.com") do not count."""
    if " " in name or not name[:1].isupper() or name.isupper():
        return False
    return name.lower() in _lower_words(text)


_LOWER_WORD = re.compile(r"(?<![\w./@-])[^\W\d_A-ZÀ-ÖØ-Þ][\w-]*(?![\w@-]|\.\w)")


@memo(16)
def _lower_words(text: str) -> frozenset[str]:
    """The words `text` writes in lower case, outside web and e-mail addresses."""
    return frozenset(w for w in _LOWER_WORD.findall(text) if w.islower())
