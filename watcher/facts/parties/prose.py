"""Parties named in one block of prose or table cell (pure): the block reader of
`extraction.py`.

`read_block(b, heading, listed, sink)` calls `sink.add(name, evidence, detail, entity)` for each
party the block names: companies with their legal form ("legal form"), names listed as
examples of recipients ("list"), labelled names ("label"), gazetteer names and unknown names
after a strong cue ("prose"), list items under a heading about providers ("list"). What it
finds depends only on the block, its heading (`heading_context`) and `listed` (the block is an
item after a line ending in ":"), which lets `extraction` memoize it per block.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache
from typing import Any, Protocol

from watcher.facts.doc import MAX_SENTENCE, plain, split_sentences
from watcher.facts.parties.forms import (
    common_word,
    legal_names,
    lexicon,
    listed_names,
    not_a_name,
)
from watcher.facts.parties.names import (
    GENERIC,
    WORD_RUN,
    countries_in,
    gazetteer,
    gazetteer_matches,
    is_country,
    looks_generic,
    lowercase_words,
    normalize_name,
    strip_suffix,
)
from watcher.facts.prefilter import literals
from watcher.textutil import casefold_ascii

_WORD_END = re.compile(r"\w{0,40}")
__all__ = [
    "COMPANYISH",
    "ITEM",
    "Sink",
    "clean_purpose",
    "heading_context",
    "needles",
    "plausible_unknown",
    "read_block",
    "role_from",
]


class Sink(Protocol):
    """Where `read_block` reports the parties it finds (`extraction._Collector`)."""

    def add(
        self, name: str, evidence: str, detail: dict[str, Any], entity: bool = False
    ) -> None: ...


_CUE = re.compile(
    r"\b(?:processors?|sub-?processors?|service providers?|providers?|vendors?|suppliers?"
    r"|partners?|third[- ]part(?:y|ies)|representatives?|powered by|hosted|hosts?|hosting"
    r"|analytics|payments?|we use|we used|we utili[sz]e|we rely|we work|we engage|we partner"
    r"|integrat\w*|SDKs?|plug-?ins?|pixels?|tags?|cookies?|shares?|shared|sharing|disclose"
    r"|transfer\w*|via|through|called|named|operated by|provided by|processed by|stored"
    r"|services? (?:of|from|by)|recipients?|infrastructure|platform|tools?|APIs?|offered by)\b",
    re.I,
)


def needles(rx: re.Pattern[str]) -> tuple[str, ...]:
    """Literals one of which every match of `rx` holds (lower-case when `rx` ignores case:
    then looked for in `casefold_ascii(text)`, which holds the lower-case form of every ASCII
    word that matches the text under IGNORECASE); ("",) when none is known."""
    req, icase = literals(rx.pattern, rx.flags)
    if req is None or (icase and not all(n.isascii() for n in req)):
        return ("",)
    return tuple(sorted(req))


def _searcher(rx: re.Pattern[str]) -> Callable[[str], bool]:
    """`rx.search(text) is not None`, asked only of texts holding one of its `needles`."""
    literal = needles(rx)
    fold = casefold_ascii if rx.flags & re.I else str

    def found(text: str) -> bool:
        hay = fold(text)
        return any(n in hay for n in literal) and rx.search(text) is not None

    return found


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
_ROLE_NEEDLES = [(needles(rx), rx, role) for rx, role in _ROLE_CUES]

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
# Every _STRONG_CUE match holds one of these words as a word run of its own, or "we" and
# then one of these verbs (tests/test_facts_parties.py checks it): a block without cannot
# name a party after a strong cue (see `_may_cue`).
_CUE_RUNS = frozenset(
    ["hosted", "powered", "provided", "operated", "processed", "stored", "called"]
    + ["representative", "processor", "subprocessor", "provider"]
)
_WE_CUES = ("we use", "we utili", "we rely", "we work", "we partner", "we engage", "we have")
_WE_CUES += ("we appointed",)
ITEM = re.compile(r"^(?:[-*+•●▪]|\(?[a-z0-9]{1,3}[.)])\s")
_ATTRIBUTIVE = re.compile(
    r" (?!(?:to|for|and|or|as|in|on|which|who|that|is|are|was|were|will|may|can|with|under"
    r"|based|located|at|from|by|so|if|when|via|through|who|whose|where|acts|provides|processes"
    r"|helps|offers|uses|stores|hosts|collects|receives|operates|also|each|only|we|our)\b)[a-z]"
)
COMPANYISH = re.compile(r"[a-z][A-Z]|\.(?:com|io|ai|net|org|co|app|dev)\b")


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


# A list item headed by a kind of service, not a name: "Billing services - to ..." (the
# lower-case noun; "Limestone Networks" is a name).
_CATEGORY_HEAD = re.compile(
    r"\b(?:services?|providers?|partners?|platforms?|tools?|vendors?|companies|agencies"
    r"|networks?|processors?|solutions?|software)\s*$"
)

# Right before a company name, these say it is an address or a certificate holder, not a
# recipient: "c/o X GmbH", "Attn: X Inc.", "the certification of X LLC", "a trademark of
# X Inc.".
_NOT_RECIPIENT_WORDS = re.compile(
    r"(?:\bc/o|\bcare of|\battn\.?:?|\battention:?|\bcertification of|\bcopyright"
    r"|\btrademarks? of|\bmarques? (?:déposées? )?de|\bMarke(?:n)? der)\s*$",
    re.I,
)
_not_recipient_words = _searcher(_NOT_RECIPIENT_WORDS)  # its words are rare: looked for first


def _not_recipient_before(t: str) -> bool:
    """Whether text `t` ends with one of those words (or "©"), blanks aside."""
    return t.rstrip().endswith("©") or _not_recipient_words(t)


# "EU/UK Representative: Mishcon de Reya (representative@...)", "Company Name: DR & AJU LLC"
_LABELLED = re.compile(
    r"^(?P<label>[^:]{0,30}\b(?i:representative|sub-?processor|processor|service provider"
    r"|provider|vendor|supplier|recipient|partner|company name|name of the company|transferee"
    r"|représentant|sous-traitant|prestataire|destinataire|partenaire|Vertreter|Empfänger"
    r"|Auftragsverarbeiter|Dienstleister|representante|encargado|proveedor|rappresentante)s?)"
    r"\s*:\s+(?P<n>[A-Z0-9][\w&'’.+-]*(?:\s+(?:[A-Z0-9][\w&'’.+-]*|&|de|of|du|von|van|y))*)"
)


def _by_first_run(words: list[str]) -> dict[str, tuple[str, ...]]:
    """`words` under their first word run. Where a word matches with no word character
    around it (a legal form in `legal_form_rx`, a recipient word in `listed_names`), its first
    run is a whole word run of the text and the word is in the text as it is written: a
    block without is not looked at closer (see `_may_hold`)."""
    out: dict[str, tuple[str, ...]] = {}
    for w in words:
        first = WORD_RUN.search(w).group(0)
        out[first] = (*out.get(first, ()), w)
    return out


def _may_hold(table: dict[str, tuple[str, ...]], keys: set[str], p: str) -> bool:
    """Whether text `p`, whose word runs include `keys` (those that are a first run in
    `table`, or more), holds one of the words of `table` under one of its word runs."""
    return any(w in p for k in keys for w in table.get(k, ()))


def _held(table: dict[str, tuple[str, ...]], keys: set[str], p: str) -> list[str]:
    """The words of `table` under one of the word runs `keys` that text `p` holds (see
    `_may_hold`)."""
    return [w for k in keys for w in table.get(k, ()) if w in p]


_LEGAL_BY_RUN = _by_first_run(lexicon()["legal_forms"])
_LIST_BY_RUN = _by_first_run(lexicon()["list_nouns"])


@lru_cache(maxsize=1)
def _first_runs() -> frozenset[str]:
    """The word runs that start a gazetteer surface, a legal form or a recipient word, and
    those of the strong cues."""
    return frozenset(gazetteer()["by_run"]).union(_LEGAL_BY_RUN, _LIST_BY_RUN, _CUE_RUNS, ["we"])


def _may_cue(keys: set[str], p: str) -> bool:
    """Whether `_STRONG_CUE` may match in block `p`, whose word runs include `keys` (those
    that are in `_first_runs`, or more)."""
    return not _CUE_RUNS.isdisjoint(keys) or ("we" in keys and any(c in p for c in _WE_CUES))


# small patterns of the functions below, compiled once (they run for every candidate)
_CAPITAL_OR_DIGIT = re.compile(r"[A-Z0-9]")
_YEAR_OR_DAY = re.compile(r"\d{4}|\b\d{1,2},")
_NEXT_PARTY = re.compile(r",\s+(?:(?:and|while|whereas)\s+)?(?=[A-Z])")
_WE_USE_IT_FOR = re.compile(r"^we use (?:it|them|\S+(?: \S+)?) (?:to|for)\s+", re.I)
_PROVIDING = re.compile(r"^(?:to\s+)?(?:provides?|providing|used for|use for|for)\s+", re.I)
_SERVICES_END = re.compile(r"\s+(?:services?|solutions?|tools?)$", re.I)
_IN_PARENS = re.compile(r"\s*\((?P<c>[^)]{2,40})\)")
_POSSESSIVE = re.compile(r"['’]s$")
_SUFFIX_AFTER = re.compile(
    r",?\s+(?:Inc|Ltd|LLC|GmbH|S\.A|SAS|B\.V|Limited|Corp|plc|AB|Pty|AG|Pte)\b"
)
_CAPITALISED_AFTER = re.compile(r" [A-Z][a-z]")
_CAPITALISED_BEFORE = re.compile(r"[A-Z][\w&.-]* $")  # searched up to the name
_DESCRIBED_AFTER = re.compile(r"\s*(?:\(|,|is\b|provides\b|acts\b|processes\b)")


def plausible_unknown(name: str, strong: bool) -> bool:
    name = name.strip()
    if lowercase_words(strip_suffix(name)) and not COMPANYISH.search(name):
        return False
    if len(name) < 2 or len(name) > 60 or len(name.split()) > 6:
        return False
    if looks_generic(name) or is_country(name):
        return False
    if not _CAPITAL_OR_DIGIT.match(name) or _YEAR_OR_DAY.search(name):
        return False
    if name.isupper() and len(name) <= 3 and strip_suffix(name) == name:
        return False
    has_suffix = strip_suffix(name) != name
    return has_suffix or bool(COMPANYISH.search(name)) or strong


def clean_purpose(p: str) -> str:
    # "to send our newsletter, and Google Analytics to measure visits": the purpose ends
    # where the next named party begins
    p = _NEXT_PARTY.split(p, maxsplit=1)[0]
    p = plain(p).strip(" .;,")
    p = _WE_USE_IT_FOR.sub("", p)
    p = _PROVIDING.sub("", p)
    p = _SERVICES_END.sub("", p)
    words = p.split()
    if len(words) > 10:
        p = " ".join(words[:10]) + "…"
    if p and not p[:2].isupper():
        p = p[0].lower() + p[1:]
    return p


@lru_cache(maxsize=256)
def role_from(text: str) -> str | None:
    """The role a sentence gives its parties (cached: a sentence naming many asks often)."""
    low = casefold_ascii(text)  # the cue words are looked for first (see `needles`)
    for needles, rx, role in _ROLE_NEEDLES:
        if any(n in low for n in needles) and rx.search(text):
            return role
    return None


def _sentence_detail(
    s: str, start: int, end: int, *, only_party: bool = False, stop: int | None = None
) -> dict[str, Any]:
    """Role, purpose and country of the party at s[start:end], from its sentence.

    A place anywhere later in the sentence ("...; data is processed in the United States") is
    attributed only when the sentence names this one party, never guessed among several.
    """
    detail: dict[str, Any] = {"source": "prose"}
    role = role_from(s)
    if role:
        detail["role"] = role
    # 160 characters, and the rest of a word cut there: a purpose never ends inside a word
    cut = end + 160
    if cut < len(s) and s[cut - 1].isalnum():
        cut = _WORD_END.match(s, cut).end()
    tail = s[end:cut]
    # a place is never taken from beyond the next named party ("X to ..., and Y; stored in Z")
    near = tail[: max(0, stop - end)] if stop is not None else tail
    pm = _PURPOSE_PROSE.search(tail)
    if pm:
        detail["purpose"] = clean_purpose(pm.group("p"))
    m = _IN_PARENS.match(near)
    cs = countries_in(m.group("c")) if m else []
    if not cs:
        im = _IN_PLACE.match(s, end)
        if im:
            cs = countries_in(im.group("c"))
    if not cs:
        lm = _LOC_PROSE.search(near[:100] if not only_party else s[end:])
        if lm:
            cs = countries_in(lm.group(0))
    if cs:
        detail["country"] = ", ".join(cs)
    return detail


def heading_context(heading: str) -> str:
    """What `read_block` reads of a block's heading: the heading when it is about providers
    (its list items may name them), else nothing."""
    return heading if _HEADING_PARTY.search(heading) else ""


def read_block(b: str, heading: str, listed: bool, col: Sink) -> None:
    """Parties named in one block of prose (or table cell). They depend on `heading` only
    through `heading_context(heading)`, and on `listed` only when the block is an item."""
    p = plain(b)
    is_item = bool(ITEM.match(b))
    # Most blocks name nobody: the word runs of `p` rule out at once the blocks without a
    # gazetteer name, a legal form, a recipient word or a strong cue (see `_by_first_run`).
    keys = _first_runs().intersection(WORD_RUN.findall(p))
    if keys:
        _from_words(p, keys, heading, is_item and listed, col)
    if ":" in p:
        _from_label(p, col)
    if is_item and _HEADING_PARTY.search(heading):
        _from_item_under_heading(p, heading, col)


def _from_words(p: str, keys: set[str], heading: str, listed_item: bool, col: Sink) -> None:
    """The parties block `p` names with its words `keys` (see `_first_runs`): companies with
    their legal form, example lists, gazetteer names, names after a strong cue."""
    g = gazetteer()
    gaz = not g["by_run"].keys().isdisjoint(keys)
    hits = gazetteer_matches(p, g, keys) if gaz else []
    if hits and not listed_item and _bare_profile_link(p, g, heading, hits):
        gaz, hits = False, []
    # names with a legal form, on the whole block: "F.T. Specialist Inc." must not be cut
    # where a sentence splitter sees "F.T." end a sentence
    legal = _may_hold(_LEGAL_BY_RUN, keys, p)  # else legal_names(p) finds nothing
    entities = legal_names(p) if legal else []
    _from_entities(p, entities, col)
    nouns = _held(_LIST_BY_RUN, keys, p)  # none: listed_names(p) finds nothing
    if nouns:
        _from_lists(p, nouns, entities, g, col)
    cue = _may_cue(keys, p)
    if gaz or cue:
        _from_sentences(p, hits if gaz else None, cue, [n for _, _, n in entities], g, col)


def _from_entities(p: str, entities: list[tuple[int, int, str]], col: Sink) -> None:
    """The companies named with their legal form in block `p` (`legal_names(p)`)."""
    for st, en, name in entities:
        if _not_recipient_before(p[max(0, st - 40) : st]):
            continue  # "c/o Steinmann Schneider Services GmbH": an address
        d = _sentence_detail(p, st, en)
        d["source"] = "legal form"
        col.add(name, _around(p, st, en), d, entity=True)


def _from_lists(
    p: str, nouns: list[str], entities: list[tuple[int, int, str]], g: Any, col: Sink
) -> None:
    """Example lists of block `p` ("partners such as A, B and C"), read on the whole block;
    `nouns`: the recipient words it holds. A company named with its legal form may be
    followed by its address, written as more items of the list ("la société AdClear GmbH,
    Torstraße 106, 10119 Berlin, Allemagne, pour..."): those are not names (`_addresses`)."""
    listed = listed_names(p, nouns)
    skip = _addresses(p, listed, entities)
    for k, (st, en, name) in enumerate(listed):
        if k in skip:
            continue
        if any(a <= st < b for a, b, _ in entities) or not plausible_unknown(name, True):
            continue
        if _PRODUCTS_OF.search(p[max(0, st - 200) : st]):
            continue
        if normalize_name(name) not in g["entries"] and common_word(name, p):
            continue
        d = _sentence_detail(p, st, en)
        d["source"] = "list"
        col.add(name, _around(p, st, en), d)


_NUMBER_WORD = re.compile(r"(?<![\w.])\d+(?:[-–]\d+)?(?![\w.])")  # "106", "4-6", "10119"
_LIST_BREAK = re.compile(r"[.;:!?\n]")


def _addresses(
    p: str, listed: list[tuple[int, int, str]], entities: list[tuple[int, int, str]]
) -> set[int]:
    """The indexes of `listed` items that are a company's address: the items that follow,
    in the same sentence, an item named with its legal form, up to the next such item, when
    they (or what lies between them) hold a number standing alone: a street number, a
    postcode, a suite ("Torstraße 106", "4-6 Riverwalk", "Dublin 24"). A number in a list of
    names that follows no legal name ("Google Optimize 360") is part of a name."""
    out: set[int] = set()
    run: list[int] = []  # the items since the last company with its legal form
    numbered = after_entity = False
    prev_end = -1
    for k, (st, en, _name) in enumerate(listed):
        gap = p[prev_end:st] if 0 <= prev_end <= st else "."
        entity = next(((a, b) for a, b, _ in entities if a <= st < b), None)
        if entity is not None or not (after_entity and not _LIST_BREAK.search(gap)):
            if numbered:
                out.update(run)  # the address of the company before
            run, numbered, after_entity = [], False, entity is not None
            prev_end = entity[1] if entity is not None else en
            continue
        run.append(k)
        numbered = numbered or _NUMBER_WORD.search(p, prev_end, en) is not None
        prev_end = en
    if numbered:
        out.update(run)
    return out


def _from_sentences(
    p: str,
    hits: list[tuple[int, int, str]] | None,
    cue: bool,
    names_here: list[str],
    g: Any,
    col: Sink,
) -> None:
    """Block `p` sentence by sentence: gazetteer names (`hits`: those of the whole block,
    None when it holds no gazetteer word; see `_hits_by_sentence`), then unknown names after
    a strong cue (when `cue`). Sentences are cut at spaces (no match, no sentence with a
    match) unless an over-long one is cut in a word."""
    gaz = hits is not None
    cut = gaz and len(p) > MAX_SENTENCE
    ss = split_sentences(p) if p and (hits or cue or cut) else []
    per_sentence = _hits_by_sentence(p, ss, hits) if gaz else None
    for i, s in enumerate(ss):
        if not gaz:
            found = []
        elif per_sentence is not None:
            found = per_sentence[i]
        else:
            found = gazetteer_matches(s, g)
        if found:
            spans: list[tuple[int, int]] = []
            for n in names_here:
                k = s.find(n)
                if k >= 0:
                    spans.append((k, k + len(n)))
            _gazetteer_hits(s, found, col, g, skip=spans)
        if cue:
            _after_strong_cues(s, g, col)


def _after_strong_cues(s: str, g: Any, col: Sink) -> None:
    """Unknown names right after a strong cue in sentence `s` ("hosted by X")."""
    for m in _STRONG_CUE.finditer(s):
        cand = _trim_name(m.group("n"))
        nxt = s[m.start("n") + len(cand) :]
        if _ATTRIBUTIVE.match(nxt) and normalize_name(cand) not in g["entries"]:
            continue  # "provided by Pitch creators": a modifier, not a name
        if (
            cand
            and plausible_unknown(cand, strong=True)
            and (normalize_name(cand) in g["entries"] or not gazetteer_matches(cand, g))
        ):
            d = _sentence_detail(s, m.start("n"), m.start("n") + len(cand))
            col.add(cand, s, d)


def _from_label(p: str, col: Sink) -> None:
    """A labelled name: "EU Representative: Mishcon de Reya", "Company Name: DR & AJU LLC"."""
    lm = _LABELLED.match(p)
    if lm:
        cand = _trim_name(lm.group("n"))
        if cand and plausible_unknown(cand, strong=True) and not not_a_name(cand):
            d = _sentence_detail(p, lm.start("n"), lm.start("n") + len(cand))
            d["source"] = "label"
            d["role"] = role_from(lm.group("label")) or d.get("role")
            col.add(cand, p, d)


def _from_item_under_heading(p: str, heading: str, col: Sink) -> None:
    """A list item naming a provider under a heading about providers ("- Stripe: payments")."""
    lm = _LIST_HEAD.match(p)
    if lm and not _CATEGORY_HEAD.search(lm.group("n")):
        cand = _trim_name(lm.group("n"))
        rest = p[lm.end("n") :]
        strong = bool(_LIST_REST.match(rest)) or bool(countries_in(rest[:60]))
        if cand and plausible_unknown(cand, strong=strong) and len(cand.split()) <= 4:
            d = _sentence_detail(p, 0, len(cand))
            d["source"] = "list"
            d.setdefault("role", role_from(heading))
            col.add(cand, p, d)


def _around(p: str, start: int, end: int, width: int = 140) -> str:
    """The sentence-sized excerpt of block `p` around p[start:end]."""
    a = max(0, start - width)
    b = min(len(p), end + width)
    cut = p.rfind(". ", a, start)
    a = cut + 2 if cut >= 0 else a
    cut = p.find(". ", end, b)
    b = cut + 1 if cut >= 0 else b
    return p[a:b].strip()


# Where a site keeps its own profiles: a line holding nothing but such a name ("LinkedIn",
# "X [Twitter]", "- YouTube") is a "follow us" link of a footer or menu, not a recipient.
_PROFILE_CATEGORIES = frozenset(
    ["social", "video", "media", "communications", "developer platform", "chat"]
)
_BARE_REST = re.compile(
    r"^[\W_]*(?:\w{1,2}|(?i:privacy policy|privacy notice|terms(?: of (?:service|use))?"
    r"|cookie policy|data policy))?[\W_]*$"
)


def _bare_profile_link(
    p: str, g: dict[str, Any], heading: str, hits: list[tuple[int, int, str]]
) -> bool:
    """True when block `p`, whose gazetteer matches are `hits` (some), is only the names of
    social profiles (outside a heading about processors or providers)."""
    if len(p) > 60 or _HEADING_PARTY.search(heading):
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
        if w.lower() in GENERIC and out and w[0].islower():
            break
        out.append(w)
    while out and out[-1].lower() in ("and", "of", "de", "für", "&"):
        out.pop()
    name = " ".join(out).strip(" .,;:'’")
    return _POSSESSIVE.sub("", name)


def _hits_by_sentence(
    p: str, ss: list[str], hits: list[tuple[int, int, str]]
) -> list[list[tuple[int, int, str]]] | None:
    """`gazetteer_matches(s)` for each sentence `s` of block `p`, from the matches `hits` of
    the whole block; None when that cannot be told (then each sentence is matched itself).

    A sentence is a piece of `p` between spaces: the word runs inside it are those of `p`,
    and a space before or after it passes the checks that `gazetteer_matches` makes at the
    start and the end of a sentence. So the block's matches are the sentences' matches, as
    long as none runs from one sentence into the next (a piece cut inside a word, or a match
    running across, gives None)."""
    out: list[list[tuple[int, int, str]]] = [[] for _ in ss]
    pos = 0
    bounds: list[int] = []  # where each sentence ends
    for s in ss:
        o = p.find(s, pos)
        e = o + len(s)
        if o < 0 or (o and not p[o - 1].isspace()) or (e < len(p) and not p[e].isspace()):
            return None
        bounds.append(e)
        pos = e
    k = 0
    for a, e, surface in hits:
        while k < len(bounds) and a >= bounds[k]:
            k += 1
        if k == len(bounds) or e > bounds[k]:
            return None
        o = bounds[k] - len(ss[k])
        out[k].append((a - o, e - o, surface))
    return out


def _gazetteer_hits(
    s: str,
    found: list[tuple[int, int, str]],
    col: Sink,
    g: dict[str, Any],
    skip: list[tuple[int, int]] = (),
) -> None:
    """Gazetteer names of sentence `s` (`found`: its gazetteer matches; none inside the `skip`
    spans, names already taken whole with their legal form)."""
    has_cue = None
    matches = [m for m in found if not any(a <= m[0] < b for a, b in skip)]
    listing: bool | None = None  # does the sentence list examples? (asked once, if needed)
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
        suffixed = bool(_SUFFIX_AFTER.match(after))
        if entry.get("ambiguous"):
            if _VERB_AFTER.match(s, end):
                continue  # "Adjust your cookie preferences": the word is a verb here
            if has_cue is None:
                has_cue = bool(_CUE.search(s))
            if not (has_cue or suffixed):
                continue
            # part of a longer proper name ("Clear Ring", "Acme Segment")?
            if _CAPITALISED_AFTER.match(after) and not suffixed:
                continue
            if _CAPITALISED_BEFORE.search(s, 0, start) and start > 0:
                continue
            if start == 0 and not suffixed and not _DESCRIBED_AFTER.match(after):
                continue
        elif " " in surface and start > 1 and s[start - 1] == " ":
            # "Adobe Marketing Cloud": a known name inside a longer proper name of another
            a = s.rfind(" ", 0, start - 1) + 1
            prev = s[a : start - 1]
            if (
                a > 0
                and prev[:1].isupper()
                and s[a - 1] in " ("
                and prev.lower() not in lexicon()["stop"]
            ):
                continue
        if start and listing is None:
            listing = _has_list_cue(s)
        if listing and start and _PRODUCTS_OF.search(s[max(0, start - 200) : start]):
            continue  # "the services of Meta Platforms Ireland Limited such as Facebook"
        col.add(surface, s, _sentence_detail(s, start, end, only_party=only_party, stop=stop))


_VERB_AFTER = re.compile(r" (?:your|the|our|their|this|these|its|any|all|a|an) ")
_LIST_CUE_HINT = re.compile(
    r"such as|like|including|tels? que|telles? que|comme|wie|como|come|zoals", re.I
)
_has_list_cue = _searcher(_LIST_CUE_HINT)
# Names listed as the products of a company just named: "the services of Meta Platforms
# Ireland Limited such as Facebook and Instagram", "les services de Google LLC, tels que".
_PRODUCTS_OF = re.compile(
    r"(?:(?i:services?|products?|produits?|apps?|applications?|Dienste|Produkte|servicios"
    r"|productos|servizi|prodotti|diensten|producten|serviços|produtos)\s+(?:de|of|von|di|du|des"
    r"|do|da|van)\s+[A-Z][^.;:()]{1,60}?"
    r"|[A-Z][\w.&-]*\s+(?:Products|Services|Features|Apps|Tools|Produits|Services))"
    r",?\s+(?i:such as|like|including|tels que|telles que|comme|wie|como|come|zoals)"
    r"\s+[^.;:()]{0,80}$"
)
