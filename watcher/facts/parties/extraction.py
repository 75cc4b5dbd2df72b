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

import re
from collections.abc import Iterator, Sequence
from functools import lru_cache
from typing import Any

from watcher.facts.doc import blocks, is_table_line, plain, tables
from watcher.facts.parties.forms import legal_names, lexicon
from watcher.facts.parties.names import (
    clear_memos,
    countries_in,
    folded,
    gazetteer,
    gazetteer_matches,
    is_country,
    looks_generic,
    lowercase_words,
    may_start_by,
    memo,
    mentions,
    mentions_at_most,
    normalize_name,
    strip_suffix,
)
from watcher.facts.parties.prose import (
    COMPANYISH,
    ITEM,
    Sink,
    clean_purpose,
    heading_context,
    needles,
    plausible_unknown,
    read_block,
    role_from,
)
from watcher.models import Fact

# role_from and plausible_unknown are prose.py's, re-exported
__all__ = ["extract", "owners_of", "role_from", "plausible_unknown"]


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
# (`\b[Ww]e at `, written to start with the letter so that the engine skips ahead to it: the
# look-behind after it tests the character before it)
_OWNER3 = re.compile(r"[Ww](?<!\w[Ww])e at " + _OWNER_NAME)
_OWNER4 = re.compile(
    r"[\"“'‘](?:[Ww]e|[Uu]s|[Oo]ur)[\"”'’][^()]{0,80}\)\s+(?:refers?|means?)\s+(?:to\s+)?(?:the\s+)?"
    + _OWNER_NAME
)


def owners_of(text: str) -> set[str]:
    """Keys of the policy owner's names (from "Acme, Inc. ("Acme", "we", "us")")."""
    return set(_owners_of(text))


_SENTENCE_CUT = re.compile(r"(?<=\.)\s+(?=[A-Z])")
# the other owner patterns are rarely matched: looked for only where their words are
_OWNER_NEEDLES = [(rx, needles(rx)) for rx in (_OWNER2, _OWNER3, _OWNER4)]


@memo(8)
def _owners_of(text: str) -> frozenset[str]:
    owners: set[str] = set()
    head = text[:20000]
    for ms in (
        _owner_matches(head),
        *(rx.finditer(head) for rx, ns in _OWNER_NEEDLES if any(n in head for n in ns)),
    ):
        for m in ms:
            for g in ("n", "a"):
                v = m.groupdict().get(g)
                if v:  # "Acme Computer Inc. We use": the name ends with its sentence
                    v = _SENTENCE_CUT.split(v)[0]
                if v and not looks_generic(v):
                    owners.add(normalize_name(v))
                    # "Acme Dating Group" also owns "Acme"
                    first = v.split()[0]
                    if len(v.split()) > 1 and not looks_generic(first):
                        owners.add(normalize_name(first))
    return frozenset(owners)


# `_OWNER` is slow over a whole text (it is tried at every capital letter), but a match holds
# one "(" (the first after its start) with "we", "us" or "our" after it before any ")", and
# before that "(" only these characters (a name, its legal forms, spaces):
_OWNER_WE = re.compile(r"\b(?:we|us|our)\b")
_OWNER_LAST_OTHER = re.compile(r".*[^\w&'’.\s,-]", re.S)  # up to the last character not one


def _owner_matches(head: str) -> Iterator[re.Match[str]]:
    """The matches of `_OWNER.finditer(head)`, searched only before the "(" that may end
    one: a match starting at s has its "(" at the first "(" q after s, after a run of name
    characters from s to q, and ends before the ")" that follows q (same matches, same
    order)."""
    pos = 0  # where finditer would search next
    floor = 0  # no name run reaches back before the previous "("
    q = head.find("(")
    while q >= 0:
        close = head.find(")", q + 1)
        end = close if close >= 0 else len(head)
        if q > pos and _OWNER_WE.search(head, q + 1, end):
            lo = max(pos, floor)
            other = _OWNER_LAST_OTHER.match(head, lo, q)
            m = _OWNER.search(head, other.end() if other else lo, end)
            if m is not None:
                yield m
                pos = m.end()
        floor = q + 1
        q = head.find("(", q + 1)


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


def _may_have_tables(text: str) -> bool:
    """Whether a line of `text` can be a table row (`is_table_line`: "|" or two tabs)."""
    return "|" in text or text.count("\t") >= 2


def _from_tables(text: str, col: Sink) -> None:
    for t in tables(text) if _may_have_tables(text) else ():
        # what a table gives depends only on its cells: worked out once per pair of versions
        if sum(len(c) for r in t.rows for c in r) > _TABLE_MEMO_MAX_LEN:
            _read_table(t.header, t.rows, col)  # a huge table is read each time
            continue
        key = (tuple(t.header), tuple(tuple(r) for r in t.rows))
        _replay(_table_adds(*key), col)


def _read_table(header_cells: Sequence[str], rows: Sequence[Sequence[str]], col: Sink) -> None:
    """The parties of one table (`header_cells` may be empty)."""
    header = [h.lower() for h in header_cells]
    body = [list(r) for r in rows]
    name_i = None
    if header:
        name_i = _name_column(header)
    if name_i is not None and len(header) >= 2:
        _from_party_table(body, header, name_i, col)
        return
    # any other table: its cells are read like prose ("We also use cookies from AddThis,
    # Twitter, YouTube", "(From Apple App Store via Adapty Tech Inc.)")
    _from_blocks([c for r in body for c in r if c], col)
    # Two-column records: "Processor | Amazon Web Services", "Purpose | Hosting" ...
    records = ([list(header_cells)] if header_cells else []) + body
    if records and all(len(r) == 2 for r in records):
        _from_records(records, col)


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


def _from_party_table(rows: list[list[str]], header: list[str], name_i: int, col: Sink) -> None:
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

    for r in rows:
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
            detail["purpose"] = clean_purpose(cell(r, purpose_i))
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


@memo(4096)  # a changed table is read again: its unchanged rows are not
def _table_names(cell: str) -> tuple[str, ...]:
    """The parties a table cell names: every company with a legal form when the cell starts
    with one ("Worldpay B.V. Worldpay (UK) Ltd", "Mindpearl Ltd. Caribbean Plaza, ..."),
    else the one name `_table_name` finds."""
    found = legal_names(cell)
    if found and found[0][0] <= 2:
        return tuple(n for _, _, n in found)
    name = _table_name(cell)
    return (name,) if name else ()


def _from_records(rows: list[list[str]], col: Sink) -> None:
    record: dict[str, Any] | None = None
    name = ""
    evidence: list[str] = []

    def flush() -> None:
        if record is not None and name:
            col.add(name, " | ".join(evidence), record)

    for label, value in rows:
        ll = label.lower()
        if len(ll) < 40 and _TABLE_NAME_PRIO[0].search(ll) and not _NOT_A_RECORD.search(ll):
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
        elif _PURPOSE_LABEL.search(ll):
            record.setdefault("purpose", clean_purpose(value))
    flush()


_NOT_A_RECORD = re.compile(r"polic|privacy|link")
_PURPOSE_LABEL = re.compile(r"purpose|type|function|service")
_PARENS = re.compile(r"\s*\(.*?\)\s*")
_CELL_REST = re.compile(r"\s+[–—-]\s+|:|;|,\s+(?=[a-z])|https?://")
_CAPITAL_OR_DIGIT = re.compile(r"[A-Z0-9]")


def _table_name(cell: str) -> str | None:
    """The party named by a table cell, or None."""
    cell = _PARENS.sub(" ", cell).strip()
    cell = _CELL_REST.split(cell)[0].strip()
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
    if looks_generic(cell) or is_country(cell) or not _CAPITAL_OR_DIGIT.match(cell):
        return None
    if lowercase_words(strip_suffix(cell)) and not COMPANYISH.search(cell):
        return None
    return cell


def _from_prose(text: str, col: Sink) -> None:
    bs = blocks(text)
    _from_blocks([b for b in bs if not is_table_line(b)] if _may_have_tables(text) else bs, col)


def _from_blocks(bs: list[str], col: Sink) -> None:
    """Parties named in blocks of prose: lines of text, or the cells of a table."""
    context = ""  # what `read_block` reads of the current heading
    listed = False
    for b in bs:
        p = plain(b)
        if b.startswith("#"):
            context = heading_context(p)
        is_item = bool(ITEM.match(b))
        if not is_item:
            listed = p.endswith(":")  # items after "...links to their opt-out tools, are:"
        # what a block gives depends only on the block, `context` and whether it is an item
        # after such a line: the two versions of a page share most blocks, so it is worked out
        # once (see _block_adds), also under a heading that changed (renumbered, reworded)
        if len(b) > _MEMO_MAX_LEN:
            read_block(b, context, listed and is_item, col)
        else:
            _replay(_block_adds(b, context, listed and is_item), col)


# longer blocks, bigger tables are read each time (the memos stay small)
_MEMO_MAX_LEN = 4000
_TABLE_MEMO_MAX_LEN = 50000

_Calls = tuple[tuple[str, str, dict[str, Any], bool], ...]


class _Recorder:
    """A `Sink` that records the `add` calls made to it, to replay them (`_replay`)."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, dict[str, Any], bool]] = []

    def add(self, name: str, evidence: str, detail: dict[str, Any], entity: bool = False) -> None:
        self.calls.append((name, evidence, dict(detail), entity))


def _replay(calls: _Calls, col: Sink) -> None:
    for name, evidence, detail, entity in calls:
        # a copy: `add` may set the detail's category (the values are strings)
        col.add(name, evidence, dict(detail), entity=entity)


@lru_cache(maxsize=8192)
def _block_adds(b: str, heading: str, listed: bool) -> _Calls:
    """The `add` calls block `b` makes (under `heading`, after a line ending in ":" when
    `listed`), in order."""
    rec = _Recorder()
    read_block(b, heading, listed, rec)
    return tuple(rec.calls)


@lru_cache(maxsize=256)
def _table_adds(header: tuple[str, ...], rows: tuple[tuple[str, ...], ...]) -> _Calls:
    """The `add` calls a table makes, in order."""
    rec = _Recorder()
    _read_table(header, rows, rec)
    return tuple(rec.calls)


def clear_caches() -> None:
    """Forget the per-block and per-table memos and the per-text ones."""
    _block_adds.cache_clear()
    _table_adds.cache_clear()
    clear_memos()


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
    policy): mentioned 10+ times, first within the opening 15%, twice as often as any other.

    Most texts have none: the owner is one of the names that may be mentioned in the opening
    15% (most are not), so without one of those that may be mentioned 10 times there is none.
    Else only the two largest counts matter: names are counted in decreasing order of a cheap
    bound on their count (`mentions_at_most`), until no name left can reach the second."""
    low = folded(text)
    names = [(strip_suffix(f.value), f.key) for f in facts]
    names = [(base, key) for base, key in names if len(base) >= 2]
    cut = 0.15 * len(text)
    bounds = {
        key: mentions_at_most(base, text, low)
        for base, key in names
        if may_start_by(base, text, low, int(cut))
    }
    if not any(b >= 10 for b in bounds.values()):
        return None
    todo: list[tuple[int, str, str]] = []  # (bound, name, key)
    for base, key in names:
        bound = bounds[key] if key in bounds else mentions_at_most(base, text, low)
        if bound:
            todo.append((bound, base, key))
    todo.sort(key=lambda t: -t[0])  # stable: ties keep the facts' order
    counts: list[tuple[int, int, str]] = []
    for bound, base, key in todo:
        if len(counts) >= 2 and bound < counts[1][0]:
            break  # neither the largest count nor the second can change
        n, first = mentions(base, text, low)
        if n:
            counts.append((n, first, key))
            counts.sort(reverse=True)
    if not counts:
        return None
    n, first, key = counts[0]
    second = counts[1][0] if len(counts) > 1 else 0
    if n >= 10 and first <= cut and n >= 2 * second:
        return key
    return None
