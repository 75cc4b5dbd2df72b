"""Named third parties of one version: processors, service providers, recipients,
representatives, group companies (pure).

    Fact(kind="party", key="sendgrid", value="SendGrid",
         detail={"role": "processor", "purpose": "email delivery", "country": "USA",
                 "category": "email delivery", "source": "table"})

Sources (`detail["source"]`):
- "table": a table whose header names a recipient column (Recipient, Processor, Vendor,
  Partner, Entity name, Local representative, Destinataire, Sous-traitant, Empfänger,
  Auftragsverarbeiter, Empresa... see `parties_lexicon.json`) gives one party per row, with the
  row's purpose, country, data categories and safeguard; a descriptive cell is read as prose;
  two-column "Processor | X" records too; cells of other tables are read as prose;
- "legal form": a company named with its legal form anywhere ("Tink Germany GmbH", "Halp,
  Inc.", "PayPal (Europe) S.à r.l. et Cie, S.C.A."), also a group company of the owner;
- "list": names introduced as examples of recipients ("partners such as Xandr, Verizon Media",
  "prestataires Stripe, Payline et Adyen") and list items under a heading about providers;
- "label": "EU Representative: Mishcon de Reya", "Company Name: DR & AJU LLC";
- "prose": gazetteer names (longest match wins; ambiguous ones such as "Segment" need a cue
  word) and unknown capitalised names right after a strong cue ("hosted by X").

Never a party: the policy's owner ("Acme, Inc. ("Acme", "we", "us")", the name that dominates
the text), names after "c/o", "Attn:" or "certification of", the products listed after "the
services of <company> such as", generic phrases, countries, months, addresses.
"""

from __future__ import annotations

import copy
import re
from functools import lru_cache
from types import SimpleNamespace
from typing import Any

from watcher.facts.doc import blocks, fold, is_table_line, plain, split_sentences, tables
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
    mentions,
    normalize_name,
    strip_suffix,
)
from watcher.facts.prefilter import trie_pattern
from watcher.models import Fact

__all__ = ["extract", "owners_of", "role_from", "plausible_unknown"]

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


def _head_rx(words: list[str]) -> re.Pattern[str]:
    """Whole-word, case-insensitive matcher of header words (lexicon lists)."""
    alt = "|".join(re.escape(w) for w in sorted(set(words), key=len, reverse=True))
    return re.compile(rf"(?<![\w-])(?:{alt})(?![\w-])", re.I)


_LEX = lexicon()
_NAMEISH = {"name", "nom", "nombre", "naam", "nome", "sdk", "tool", "service"}
_TABLE_NAME_HEAD = _head_rx(_LEX["table_party_headers"])
_TABLE_NAME_PRIO = [
    _head_rx([w for w in _LEX["table_party_headers"] if w not in _NAMEISH]),
    _head_rx(["name", "nom", "nombre", "naam", "nome"]),
    _head_rx(["sdk", "tool", "service"]),
]
_TABLE_PURPOSE_HEAD = re.compile(
    r"purpose|service|function|activit|use|description|processing|nature|zweck|finalit|"
    + "|".join(re.escape(w) for w in _LEX["table_purpose_headers"]),
    re.I,
)
_TABLE_COUNTRY_HEAD = re.compile(
    r"location|country|countries|region|where|place|jurisdiction|\bland|pays|hosting|transf|"
    + "|".join(re.escape(w) for w in _LEX["table_country_headers"]),
    re.I,
)
_TABLE_DATA_HEAD = _head_rx(_LEX["table_data_headers"])
_TABLE_SAFEGUARD_HEAD = _head_rx(_LEX["table_safeguard_headers"])
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


# A list item headed by a kind of service, not a name: "Billing services - to ..." (the
# lower-case noun; "Limestone Networks" is a name).
_CATEGORY_HEAD = re.compile(
    r"\b(?:services?|providers?|partners?|platforms?|tools?|vendors?|companies|agencies"
    r"|networks?|processors?|solutions?|software)\s*$"
)

# Right before a company name, these say it is an address or a certificate holder, not a
# recipient: "c/o X GmbH", "Attn: X Inc.", "the certification of X LLC", "a trademark of
# X Inc.".
_NOT_RECIPIENT_BEFORE = re.compile(
    r"(?i:\bc/o|\bcare of|\battn\.?:?|\battention:?|\bcertification of|\bcopyright|©"
    r"|\btrademarks? of|\bmarques? (?:déposées? )?de|\bMarke(?:n)? der)\s*$"
)

# "EU/UK Representative: Mishcon de Reya (representative@...)", "Company Name: DR & AJU LLC"
_LABELLED = re.compile(
    r"^(?P<label>[^:]{0,30}\b(?i:representative|sub-?processor|processor|service provider"
    r"|provider|vendor|supplier|recipient|partner|company name|name of the company|transferee"
    r"|représentant|sous-traitant|prestataire|destinataire|partenaire|Vertreter|Empfänger"
    r"|Auftragsverarbeiter|Dienstleister|representante|encargado|proveedor|rappresentante)s?)"
    r"\s*:\s+(?P<n>[A-Z0-9][\w&'’.+-]*(?:\s+(?:[A-Z0-9][\w&'’.+-]*|&|de|of|du|von|van|y))*)"
)

# Prefilters (tries): a block without a legal form or a recipient word needs no closer look.
_LEGAL_HINT = re.compile(r"(?<![\w&])(?:" + trie_pattern(lexicon()["legal_forms"]) + r")(?![\w&])")
_LIST_HINT = re.compile(r"\b(?:" + trie_pattern(lexicon()["list_nouns"]) + r")\b")


def plausible_unknown(name: str, strong: bool) -> bool:
    name = name.strip()
    if lowercase_words(strip_suffix(name)) and not _COMPANYISH.search(name):
        return False
    if len(name) < 2 or len(name) > 60 or len(name.split()) > 6:
        return False
    if looks_generic(name) or is_country(name):
        return False
    if not re.match(r"[A-Z0-9]", name) or re.search(r"\d{4}|\b\d{1,2},", name):
        return False
    if name.isupper() and len(name) <= 3 and strip_suffix(name) == name:
        return False
    has_suffix = strip_suffix(name) != name
    return has_suffix or bool(_COMPANYISH.search(name)) or strong


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
def role_from(text: str) -> str | None:
    """The role a sentence gives its parties (cached: a sentence naming many asks often)."""
    for rx, role in _ROLE_CUES:
        if rx.search(text):
            return role
    return None


def owners_of(text: str) -> set[str]:
    """Keys of the policy owner's names (from "Acme, Inc. ("Acme", "we", "us")")."""
    return set(_owners_of(text))


@lru_cache(maxsize=8)
def _owners_of(text: str) -> frozenset[str]:
    owners: set[str] = set()
    head = text[:20000]
    for rx in (_OWNER, _OWNER2, _OWNER3, _OWNER4):
        for m in rx.finditer(head):
            for g in ("n", "a"):
                v = m.groupdict().get(g)
                if v:  # "Acme Computer Inc. We use": the name ends with its sentence
                    v = re.split(r"(?<=\.)\s+(?=[A-Z])", v)[0]
                if v and not looks_generic(v):
                    owners.add(normalize_name(v))
                    # "Acme Dating Group" also owns "Acme"
                    first = v.split()[0]
                    if len(v.split()) > 1 and not looks_generic(first):
                        owners.add(normalize_name(first))
    return frozenset(owners)


class _Collector:
    def __init__(self, owners: set[str]) -> None:
        self.owners = owners
        self.facts: dict[str, Fact] = {}

    def add(self, name: str, evidence: str, detail: dict[str, Any], entity: bool = False) -> None:
        """Record party `name`; `entity`: a name with its legal form, which is a party even
        when it starts with the owner's name (a group company: "Cloudflare Sweden AB")."""
        name = name.strip(" ,;:'\"“”")
        if not entity:
            name = name.rstrip(".")
        key = normalize_name(name)
        if (
            not key
            or key in self.owners
            or (not entity and any(key.startswith(o + " ") for o in self.owners))
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
            name_i = _name_column(header)
        if name_i is not None and len(header) >= 2:
            _from_party_table(t, header, name_i, col)
            continue
        # any other table: its cells are read like prose ("We also use cookies from AddThis,
        # Twitter, YouTube", "(From Apple App Store via Adapty Tech Inc.)")
        _from_blocks([c for r in t.rows for c in r if c], col)
        # Two-column records: "Processor | Amazon Web Services", "Purpose | Hosting" ...
        rows = ([t.header] if t.header else []) + t.rows
        if rows and all(len(r) == 2 for r in rows):
            _from_records(rows, col)


def _name_column(header: list[str]) -> int | None:
    """The column of a table header that names recipients: a cell that is just such a word
    ("Nom", "Recipient", "Entreprise") before one that contains one ("Durée de conservation du
    prestataire"); recipient words before "name", before "service"/"tool"."""
    for whole in (True, False):
        for prio in _TABLE_NAME_PRIO:
            for i, h in enumerate(header):
                h = h.strip(" *:")
                if not h or _TABLE_PURPOSE_HEAD.fullmatch(h):
                    continue
                m = prio.fullmatch(h) if whole else prio.search(h)
                if m and _TABLE_NAME_HEAD.search(h):
                    return i
    return None


def _column(header: list[str], rx: re.Pattern[str], *skip: int | None) -> int | None:
    return next(
        (i for i, h in enumerate(header) if i not in skip and h and rx.search(h)),
        None,
    )


def _from_party_table(t: Any, header: list[str], name_i: int, col: _Collector) -> None:
    """One party per row of a table whose column `name_i` names recipients, with the row's
    purpose, country, data categories and safeguard in `detail`."""
    purpose_i = _column(header, _TABLE_PURPOSE_HEAD, name_i)
    country_i = _column(header, _TABLE_COUNTRY_HEAD, name_i, purpose_i)
    role_i = _column(header, _TABLE_ROLE_HEAD, name_i, purpose_i)
    data_i = _column(header, _TABLE_DATA_HEAD, name_i, purpose_i, country_i)
    safe_i = _column(header, _TABLE_SAFEGUARD_HEAD, name_i, purpose_i, country_i, data_i)
    role = role_from(header[name_i]) or "service provider"

    def cell(r: list[str], i: int | None) -> str:
        return r[i] if i is not None and i < len(r) else ""

    for r in t.rows:
        if name_i >= len(r) or [c.lower() for c in r] == header:
            continue  # short row, or the header repeated as a row
        if sum(1 for c in r if c) == 1 and len(r[name_i]) > 80:
            continue  # a note spanning the table, not a row
        names = _table_names(r[name_i])
        if not names:
            # a description ("Advertising partners ..., including MoPub Inc. and Unity ..."):
            # read like prose
            _from_blocks([r[name_i]], col)
            continue
        detail: dict[str, Any] = {"role": role, "source": "table"}
        if cell(r, role_i):
            detail["role"] = role_from(cell(r, role_i)) or role
        if cell(r, purpose_i):
            detail["purpose"] = _clean_purpose(cell(r, purpose_i))
        cs = countries_in(cell(r, country_i)) if country_i is not None else []
        if cs:
            detail["country"] = ", ".join(cs)
        if cell(r, data_i):
            detail["data"] = _short_cell(cell(r, data_i))
        if cell(r, safe_i):
            detail["safeguard"] = _short_cell(cell(r, safe_i))
        for name in names:
            col.add(name, " | ".join(r), dict(detail), entity=strip_suffix(name) != name)


def _short_cell(c: str, words: int = 16) -> str:
    ws = c.split()
    return " ".join(ws[:words]) + ("…" if len(ws) > words else "")


def _table_names(cell: str) -> list[str]:
    """The parties a table cell names: every company with a legal form when the cell starts
    with one ("Worldpay B.V. Worldpay (UK) Ltd", "Mindpearl Ltd. Caribbean Plaza, ..."),
    else the one name `_table_name` finds."""
    found = legal_names(cell)
    if found and found[0][0] <= 2:
        return [n for _, _, n in found]
    name = _table_name(cell)
    return [name] if name else []


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
                record = {"role": role_from(ll) or "service provider", "source": "table"}
                evidence = [f"{label} | {value}"]
            continue
        if record is None:
            continue
        evidence.append(f"{label} | {value}")
        if _TABLE_COUNTRY_HEAD.search(ll):
            cs = countries_in(value)
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
    hits = gazetteer_matches(cell, g)
    if hits and hits[0][0] == 0:
        return hits[0][2]
    if len(cell.split()) > 6 or cell.endswith("."):
        return None
    if looks_generic(cell) or is_country(cell) or not re.match(r"[A-Z0-9]", cell):
        return None
    if lowercase_words(strip_suffix(cell)) and not _COMPANYISH.search(cell):
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
    role = role_from(s)
    if role:
        detail["role"] = role
    tail = s[end : end + 160]
    # a place is never taken from beyond the next named party ("X to ..., and Y; stored in Z")
    near = tail[: max(0, stop - end)] if stop is not None else tail
    pm = _PURPOSE_PROSE.search(tail)
    if pm:
        detail["purpose"] = _clean_purpose(pm.group("p"))
    m = re.match(r"\s*\((?P<c>[^)]{2,40})\)", near)
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


def _from_prose(text: str, col: _Collector) -> None:
    _from_blocks([b for b in blocks(text) if not is_table_line(b)], col)


def _from_blocks(bs: list[str], col: _Collector) -> None:
    """Parties named in blocks of prose: lines of text, or the cells of a table."""
    heading = ""
    listed = False
    for b in bs:
        p = plain(b)
        if b.startswith("#"):
            heading = p
        is_item = bool(_ITEM.match(b))
        if not is_item:
            listed = p.endswith(":")  # items after "...links to their opt-out tools, are:"
        # what a block gives depends only on the block, its heading and `listed`: the two
        # versions of a page share most blocks, so it is worked out once (see _block_adds)
        if len(b) > _MEMO_MAX_LEN:
            _read_block(b, heading, listed, col)
            continue
        for name, evidence, detail, entity in _block_adds(b, heading, listed):
            col.add(name, evidence, copy.deepcopy(detail), entity=entity)


_MEMO_MAX_LEN = 4000  # longer blocks are read each time (the memo stays small)


def clear_caches() -> None:
    """Forget the per-block memo."""
    _block_adds.cache_clear()


@lru_cache(maxsize=8192)
def _block_adds(
    b: str, heading: str, listed: bool
) -> tuple[tuple[str, str, dict[str, Any], bool], ...]:
    """The `add` calls block `b` makes (under `heading`, after a line ending in ":" when
    `listed`), in order; the caller copies each detail before handing it on."""
    calls: list[tuple[str, str, dict[str, Any], bool]] = []
    rec = SimpleNamespace(add=lambda n, ev, d, entity=False: calls.append((n, ev, dict(d), entity)))
    _read_block(b, heading, listed, rec)  # type: ignore[arg-type]
    return tuple(calls)


def _read_block(b: str, heading: str, listed: bool, col: _Collector) -> None:
    """Parties named in one block of prose (or table cell)."""
    g = gazetteer()
    by_run = g["by_run"]
    p = plain(b)
    is_item = bool(_ITEM.match(b))
    # The sentences of a block are pieces of `p` cut at spaces: when `p` holds no gazetteer
    # word or no strong-cue keyword, none of its sentences does.
    gaz = not by_run.keys().isdisjoint(WORD_RUN.findall(p))
    cue = _STRONG_CUE_HINT.search(p) is not None
    if gaz and not (is_item and listed) and _bare_profile_link(p, g, heading):
        gaz = False
    legal = _LEGAL_HINT.search(p) is not None
    listy = _LIST_HINT.search(p) is not None
    # names with a legal form, on the whole block: "F.T. Specialist Inc." must not be cut
    # where a sentence splitter sees "F.T." end a sentence
    entities = legal_names(p) if legal else []
    for st, en, name in entities:
        if _NOT_RECIPIENT_BEFORE.search(p[max(0, st - 40) : st]):
            continue  # "c/o Steinmann Schneider Services GmbH": an address
        d = _sentence_detail(p, st, en)
        d["source"] = "legal form"
        col.add(name, _around(p, st, en), d, entity=True)
    names_here = [n for _, _, n in entities]
    # example lists ("partners such as A, B and C") on the whole block too
    for st, en, name in listed_names(p) if listy else ():
        if any(a <= st < b for a, b, _ in entities) or not plausible_unknown(name, True):
            continue
        if _PRODUCTS_OF.search(p[max(0, st - 200) : st]):
            continue
        if normalize_name(name) not in g["entries"] and common_word(name, p):
            continue
        d = _sentence_detail(p, st, en)
        d["source"] = "list"
        col.add(name, _around(p, st, en), d)
    for s in split_sentences(p) if p and (gaz or cue) else ():
        if gaz:
            spans: list[tuple[int, int]] = []
            for n in names_here:
                i = s.find(n)
                if i >= 0:
                    spans.append((i, i + len(n)))
            _gazetteer_hits(s, col, g, skip=spans)
        if not cue:
            continue
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
    lm = _LABELLED.match(p)
    if lm:
        cand = _trim_name(lm.group("n"))
        if cand and plausible_unknown(cand, strong=True) and not not_a_name(cand):
            d = _sentence_detail(p, lm.start("n"), lm.start("n") + len(cand))
            d["source"] = "label"
            d["role"] = role_from(lm.group("label")) or d.get("role")
            col.add(cand, p, d)
    if is_item and _HEADING_PARTY.search(heading):
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


def _bare_profile_link(p: str, g: dict[str, Any], heading: str) -> bool:
    """True when block `p` is only the names of social profiles (outside a heading about
    processors or providers)."""
    if len(p) > 60 or _HEADING_PARTY.search(heading):
        return False
    hits = gazetteer_matches(p, g)
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
        if w.lower() in GENERIC and out and w[0].islower():
            break
        out.append(w)
    while out and out[-1].lower() in ("and", "of", "de", "für", "&"):
        out.pop()
    name = " ".join(out).strip(" .,;:'’")
    name = re.sub(r"['’]s$", "", name)
    return name


def _gazetteer_hits(
    s: str, col: _Collector, g: dict[str, Any], skip: list[tuple[int, int]] = ()
) -> None:
    """Gazetteer names of sentence `s` (none inside the `skip` spans, names already taken
    whole with their legal form)."""
    has_cue = None
    matches = [m for m in gazetteer_matches(s, g) if not any(a <= m[0] < b for a, b in skip)]
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
        suffixed = bool(
            re.match(
                r",?\s+(?:Inc|Ltd|LLC|GmbH|S\.A|SAS|B\.V|Limited|Corp|plc|AB|Pty|AG|Pte)\b", after
            )
        )
        if entry.get("ambiguous"):
            if _VERB_AFTER.match(s, end):
                continue  # "Adjust your cookie preferences": the word is a verb here
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
            listing = _LIST_CUE_HINT.search(s) is not None
        if listing and start and _PRODUCTS_OF.search(s[max(0, start - 200) : start]):
            continue  # "the services of Meta Platforms Ireland Limited such as Facebook"
        col.add(surface, s, _sentence_detail(s, start, end, only_party=only_party, stop=stop))


_VERB_AFTER = re.compile(r" (?:your|the|our|their|this|these|its|any|all|a|an) ")
_LIST_CUE_HINT = re.compile(
    r"(?i:such as|like|including|tels? que|telles? que|comme|wie|como|come|zoals)"
)
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


def extract(text: str, language: str | None = None) -> list[Fact]:
    """Named third parties of `text`, one fact per normalized name, in document order."""
    col = _Collector(owners_of(text))
    _from_prose(text, col)
    _from_tables(text, col)
    owner = _dominant(text, list(col.facts.values()))
    facts = [f for f in col.facts.values() if f.key != owner]
    return _merge_short_names(facts)


def _merge_short_names(facts: list[Fact]) -> list[Fact]:
    """Drop a name that is only the start of a company named in full with its legal form in
    the same text ("Alibaba Cloud" beside "Alibaba Cloud Computing Co. Ltd.", "PayPal" beside
    "PayPal (Europe) S.à r.l. et Cie, S.C.A."): one party, named once in full."""
    full = [f.key for f in facts if (f.detail or {}).get("source") == "legal form"]
    if not full:
        return facts
    out = []
    for f in facts:
        if (f.detail or {}).get("source") != "legal form" and any(
            k != f.key and k.startswith(f.key + " ") for k in full
        ):
            continue
        out.append(f)
    return out


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
        n, first = mentions(base, text, low)
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
