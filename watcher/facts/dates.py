"""Policy dates: "last updated", "effective", "last reviewed"... normalized to ISO.

One fact per label family (the first one in document order wins, as a policy states its own
date at the top or the bottom and a bundle of documents lists the main one first):

    Fact(kind="date", key="last_updated", value="2021-08-10",
         detail={"label": "last reviewed", "as_written": "10th August 2021", "precision": "day"})

Keys: last_updated, last_modified, last_revised, last_reviewed, effective (also "applies from",
"in force from", "gilt ab", "en vigueur", "à partir du"...), posted, version_date (also
compact references: "V3 - 03/2023", "Version : 05/2018"), policy_date (a date standing alone
in its block, the line under the title, used only when no labelled date exists).
Labels in English, French, German, Spanish, Italian, Dutch and Portuguese. In a version
history (table rows or list items with the same label) the latest date is the policy's own;
a label after "previous / ancienne / vorherige ..." names another version and is ignored.

A date only counts when a label governs it: the label is followed by the date after a short
gap without digits or sentence ends (tight for weak labels such as "Updated" or "Version").
Dates in sentences about a law ("the GDPR became effective on 25 May 2018") are ignored, and
so are bare years, durations, phone numbers and copyright lines (none of them has a label).

Numeric dates such as 01/02/2023 whose parts are both <= 12 are ambiguous: detail["ambiguous"]
is True and the order is chosen by, in turn, (1) the document's other numeric dates that are
unambiguous (13/05/2024 -> day first), (2) the way it writes dates with month names
("May 25, 2018" -> month first, "25 May 2018" -> day first; dates of laws are not counted), (3) a regional language tag
("en-US" -> month first, any other tag -> day first... only if it names a region), (4) US
jurisdiction cues (California, CCPA, "U.S.") outweighing EU ones (GDPR, EU, Ltd, GmbH...), and
(5) day first by default. Dotted dates (1.2.2023) are always day first.
"""

from __future__ import annotations

import re
from datetime import date
from typing import NamedTuple

import ahocorasick

from watcher.facts.base import Compare, cap, finding, label
from watcher.facts.doc import blocks, cells, fold, is_table_line, plain, recall, unit_memo
from watcher.facts.prefilter import trie_pattern
from watcher.models import Fact, Finding

__all__ = ["extract", "parse_date", "MONTHS"]


MONTHS: dict[str, int] = {}
_MONTH_NAMES = {
    1: "january jan janv janvier januar jänner jan. enero ene gennaio gen januari janeiro",
    2: "february feb febr février fevrier févr fevr februar febrero febbraio februari fevereiro"
    " fev",
    3: "march mar mars märz maerz marzo mrt maart março marco",
    4: "april apr avril avr abril aprile",
    5: "may mai mayo maggio mei maio",
    6: "june jun juin juni junio giugno junho",
    7: "july jul juillet juil juli julio luglio julho",
    8: "august aug août aout agosto augustus",
    9: "september sep sept septembre septiembre setiembre settembre set setembro",
    10: "october oct octobre oktober octubre ottobre okt outubro",
    11: "november nov novembre noviembre novembro",
    12: "december dec décembre decembre dezember dez diciembre dicembre dezembro dic",
}
for _n, _names in _MONTH_NAMES.items():
    for _w in _names.split():
        MONTHS[_w.rstrip(".")] = _n

# As a trie, the month names are tried in the same order as a longest-first alternation (the
# names that match at one place are prefixes of each other) but far faster.
_MONTH_RE = trie_pattern(list(MONTHS))
_ORD = r"(?:\s?(?:st|nd|rd|th)|er|º|°|\.)?"

_DATE = re.compile(
    rf"""
    (?P<iso>(?P<iy>(?:19|20)\d\d)[-/.](?P<im>\d{{1,2}})[-/.](?P<id>\d{{1,2}}))(?!\d)
  | (?P<dmy>(?P<d1>\d{{1,2}}){_ORD}(?:\s*|-)(?:of\s+|de\s+)?(?P<m1>{_MONTH_RE})\.?(?:,?\s+|-)(?:de\s+)?(?P<y1>(?:19|20)\d\d))(?!\d)
  | (?P<mdy>(?P<m2>{_MONTH_RE})\.?\s+(?P<d2>\d{{1,2}}){_ORD},?\s+(?P<y2>(?:19|20)\d\d))(?!\d)
  | (?P<num>(?P<a>\d{{1,2}})(?P<sep>[./-])(?P<b>\d{{1,2}})(?P=sep)(?P<y4>(?:19|20)\d\d|\d\d))(?![\d.]\d)
  | (?P<my>(?P<m5>{_MONTH_RE})\.?(?:,?\s+|-)(?:de\s+|del\s+)?(?P<y5>(?:19|20)\d\d))(?!\d)
  | (?<![\d/.])(?P<nmy>(?P<m6>0?[1-9]|1[0-2])[/.-](?P<y6>(?:19|20)\d\d))(?![\d/.-]\d|\d)
    """,
    re.I | re.X,
)
_DATE_AT_START = re.compile(r"^\W{0,3}(?:" + _DATE.pattern + ")", re.I | re.X)

# Labels: (key, strong?) -> alternatives. Strong labels allow a short free gap before the
# date ("Last updated on this page: ..."), weak ones only ":", "on", "as of"...
_LABELS: list[tuple[str, bool, str]] = [
    # English
    (
        "last_revised",
        True,
        r"date\s+of\s+(?:the\s+)?last\s+revision|revision\s+date|last\s+revised",
    ),
    ("last_modified", True, r"date\s+of\s+(?:the\s+)?last\s+modification|last\s+modified"),
    ("last_updated", True, r"date\s+of\s+(?:the\s+)?last\s+update|last\s+updated?|latest\s+update"),
    ("last_reviewed", True, r"last\s+reviewed|date\s+of\s+(?:the\s+)?last\s+review|review\s+date"),
    ("last_updated", True, r"last\s+(?:amended|changed)"),
    (
        "effective",
        True,
        r"effective\s+date|date\s+effective"
        r"|effective\s+(?:as\s+(?:of|from)|from|on|since|starting(?:\s+(?:on|from))?|beginning)"
        r"|(?:is|was|be|become|becomes|became)\s+effective|(?:takes?|took|take)\s+effect"
        r"|(?:comes?|came)\s+into\s+(?:effect|force)|in\s+effect\s+(?:as\s+of|from|since)"
        r"|in\s+force\s+(?:as\s+of|from|since)|entry\s+into\s+force"
        r"|(?:applies|apply|applicable|valid)\s+(?:from|as\s+of|since)",
    ),
    ("version_date", True, r"version\s+date|date\s+of\s+(?:this\s+)?version"),
    # French
    (
        "last_updated",
        True,
        r"derni[èe]re\s+mise\s+[àa]\s+jour|mise?s?\s+[àa]\s+jour\s+(?:le|du|au)"
        r"|actualis[ée]e?s?\s+(?:pour\s+la\s+derni[èe]re\s+fois\s+|la\s+derni[èe]re\s+fois\s+)?le",
    ),
    ("last_modified", True, r"derni[èe]re\s+modification|modifi[ée]e?s?\s+le"),
    (
        "effective",
        True,
        r"(?:date\s+d.)?entr[ée]e\s+en\s+vigueur|en\s+vigueur\s+(?:le|depuis|du|au|[àa]\s+compter)"
        r"|s.applique(?:nt)?\s+(?:[àa]\s+(?:partir|compter)\s+d[ue]|d[èe]s\s+le)"
        r"|applicable\s+[àa]\s+(?:partir|compter)\s+d[ue]|date\s+d.effet",
    ),
    # German
    (
        "last_updated",
        True,
        r"zuletzt\s+aktualisiert|letzte\s+aktualisierung|aktualisiert\s+am|stand\s+vom"
        r"|zuletzt\s+überarbeitet|überarbeitet\s+am",
    ),
    ("last_modified", True, r"letzte\s+[äa]nderung|zuletzt\s+ge[äa]ndert|ge[äa]ndert\s+am"),
    (
        "effective",
        True,
        r"g[üu]ltig\s+(?:ab|seit)|gilt\s+(?:ab|seit)|gelten\s+(?:ab|seit)|in\s+kraft\s+(?:seit|ab)"
        r"|wirksam\s+(?:ab|seit)|inkrafttreten",
    ),
    # Spanish
    ("last_updated", True, r"[úu]ltima\s+actualizaci[óo]n|actualizad[oa]\s+(?:el|a)"),
    ("last_modified", True, r"[úu]ltima\s+modificaci[óo]n"),
    ("last_revised", True, r"[úu]ltima\s+revisi[óo]n"),
    (
        "effective",
        True,
        r"fecha\s+de\s+(?:entrada\s+en\s+vigor|vigencia)|en\s+vigor\s+(?:desde|a\s+partir)"
        r"|vigente\s+(?:desde|a\s+partir)",
    ),
    ("last_updated", True, r"fecha\s+de\s+(?:la\s+)?[úu]ltima\s+actualizaci[óo]n"),
    # Portuguese
    (
        "last_updated",
        True,
        r"[úu]ltima\s+atualiza[çc][ãa]o|atualizad[oa]\s+(?:em|a)|data\s+da\s+[úu]ltima\s+atualiza[çc][ãa]o",
    ),
    ("last_modified", True, r"[úu]ltima\s+(?:modifica[çc][ãa]o|altera[çc][ãa]o)"),
    ("last_revised", True, r"[úu]ltima\s+revis[ãa]o|revisto\s+em|revisad[oa]\s+em"),
    (
        "effective",
        True,
        r"data\s+de\s+(?:entrada\s+em\s+vigor|vig[êe]ncia)|em\s+vigor\s+(?:desde|a\s+partir)"
        r"|v[áa]lid[oa]\s+a\s+partir",
    ),
    # Italian
    ("last_updated", True, r"ultimo\s+aggiornamento|aggiornat[oa]\s+(?:al|il)"),
    ("last_modified", True, r"ultima\s+modifica"),
    ("last_revised", True, r"ultima\s+revisione"),
    ("effective", True, r"(?:data\s+di\s+)?entrata\s+in\s+vigore|in\s+vigore\s+dal|efficace\s+dal"),
    # Dutch
    ("last_updated", True, r"laatst\s+bijgewerkt|laatste\s+(?:update|wijziging)|bijgewerkt\s+op"),
    ("last_modified", True, r"laatst\s+gewijzigd|gewijzigd\s+op"),
    ("effective", True, r"ingangsdatum|van\s+kracht\s+(?:vanaf|per|sinds)|geldig\s+(?:vanaf|per)"),
    # Weak, single-word labels: the date must follow right away.
    (
        "last_updated",
        False,
        r"updated|update|mise?s?\s+[àa]\s+jour|actualizad[oa]|aggiornat[oa]|bijgewerkt"
        r"|aktualisiert|stand|atualizad[oa]|actualis[ée]e?s?",
    ),
    ("last_revised", False, r"revised|revision"),
    ("last_modified", False, r"modified"),
    ("last_reviewed", False, r"reviewed"),
    (
        "effective",
        False,
        r"effective|en\s+vigueur|in\s+effect|g[üu]ltig|[àa]\s+(?:partir|compter)\s+du"
        r"|vigente|in\s+vigore|em\s+vigor|en\s+vigor",
    ),
    ("posted", False, r"posted|published|publi[ée]e?|ver[öo]ffentlicht|publicad[oa]|pubblicat[oa]"),
    # "Version : 05/2018", "V3 - 03/2023", "v2.1 du 3 mars 2023"
    (
        "version_date",
        False,
        r"version|versie|versione|versi[óo]n|vers[ãa]o|fassung"
        r"|v(?:1|2|3|4|5|6|7|8|9)(?:\.(?:0|1|2|3|4|5|6|7|8|9))?",
    ),
]

# The word-start lookbehind is shared by all branches (checked once per position, not once per
# branch); group spans and `lastgroup` are the same as with one lookbehind inside each group.
_LABEL = re.compile(
    "(?<![\\w-])(?:"
    + "|".join(f"(?P<L{i}>(?:{alt})(?![\\w-]))" for i, (_k, _s, alt) in enumerate(_LABELS))
    + ")",
    re.I,
)
# Cheap pre-filter (performance only, never changes a result). Every spelling of every label
# holds one of these keywords; the number is how far into the label the keyword can start,
# over all spellings when each \s+ matches one character and "." any letter.
# tests/test_facts_dates.py recomputes both from `_LABELS`.
_KEYWORD_REACH = {
    "revis": 17, "last": 12, "modif": 17, "updat": 17, "review": 17, "effect": 11, "force": 11,
    "appl": 2, "valid": 0, "versi": 13, "jour": 16, "actualis": 0, "vigu": 17, "compter": 15,
    "partir": 15, "effet": 7, "aktualisier": 8, "stand": 0, "berarbeit": 9, "nderung": 8,
    "ndert": 11, "ltig": 2, "gilt": 0, "gelten": 0, "kraft": 3, "wirksam": 0, "actualiza": 19,
    "vigor": 20, "vigen": 9, "atualiza": 15, "altera": 7, "vig\u00eanc": 8, "aggiorna": 7,
    "efficace": 0, "laatst": 0, "bijgewerkt": 7, "gewijzigd": 7, "ingangsdatum": 0, "kracht": 4,
    "geldig": 0, "posted": 0, "publish": 0, "publi\u00e9": 0, "publie": 0, "ffentlich": 4,
    "publica": 0, "pubblica": 0, "vers\u00e3o": 0, "versao": 0, "fassung": 0, "v1": 0, "v2": 0,
    "v3": 0, "v4": 0, "v5": 0, "v6": 0, "v7": 0, "v8": 0, "v9": 0,
}  # fmt: skip


# Keywords are searched in the case-folded text (`fold`). A block without one holds no label:
# `plain` only deletes markup and normalizes spaces, so a keyword of the plain text is a run of
# the raw block too, unless `plain` joined two runs by deleting a link target, a tag or a
# backslash. `_PREFILTER` therefore also stops at "[", "<" and "\\" (then `_scan_line` first).
_KEYWORD = re.compile(trie_pattern(list(_KEYWORD_REACH)))
_PREFILTER = re.compile(r"[\[<\\]|" + _KEYWORD.pattern)
_MARKUP = "[<\\"
# Whether a text holds a keyword at all: an Aho-Corasick automaton (pyahocorasick, as doc.py's
# prefilter) answers that twice as fast as `_KEYWORD.search`; every block of the old version
# is asked (`_may_label`: the same answer as `_PREFILTER`, tests/test_facts_dates.py).
_KEYWORDS = ahocorasick.Automaton()
for _kw in _KEYWORD_REACH:
    _KEYWORDS.add_word(_kw, _kw)
_KEYWORDS.make_automaton()
_WS_RUN = re.compile(r"\s\s")
# Exactly the characters for which str.isdigit() is true (\d plus superscripts, circled digits
# and the like; tests/test_facts_dates.py checks it against the running Python's Unicode).
_ANY_DIGIT = re.compile(
    "[\\d\u00b2\u00b3\u00b9\u1369-\u1371\u19da\u2070\u2074-\u2079\u2080-\u2089\u2460-\u2468"
    "\u2474-\u247c\u2488-\u2490\u24ea\u24f5-\u24fd\u24ff\u2776-\u277e\u2780-\u2788\u278a-\u2792"
    "\U00010a40-\U00010a43\U00010e60-\U00010e68\U00011052-\U0001105a\U0001f100-\U0001f10a]"
)


def _labels(s: str) -> list[re.Match[str]]:
    """The matches of `_LABEL.finditer(s)`, trying the label only shortly before keywords.

    A label match starts at a word start and ends before a non-word character, so no keyword
    runs across its ends, and every keyword inside it starts at most `_KEYWORD_REACH[kw]`
    characters in. So the first keyword found at or after the start of the next match has that
    start within its reach, and earlier keywords have no match within theirs.
    """
    low = fold(s)
    if len(low) != len(s) or _WS_RUN.search(s):
        return list(_LABEL.finditer(s))
    out: list[re.Match[str]] = []
    pos = 0
    for km in _KEYWORD.finditer(low):
        k = km.start()
        if k < pos:
            continue
        for q in range(max(pos, k - _KEYWORD_REACH[km.group(0)]), k + 1):
            m = _LABEL.match(s, q)
            if m:
                out.append(m)
                pos = m.end()
                break
    return out


_STRONG_GAP = re.compile(r"^[^\d.!?;]{0,45}$")
_WEAK_GAP = re.compile(
    r"^\s*(?:[:\-–—]\s*)?(?:(?:date|on|in|as\s+of|as\s+at|at|from|le|du|au|am|vom|el|il|al|op"
    r"|per|of|the|de|del|dal|em|van|desde|datum|data|fecha)\s*[:\-–—]?\s+)*$",
    re.I,
)
_LAWISH = re.compile(
    r"\b(?:GDPR|DSGVO|RGPD|CCPA|CPRA|LGPD|PIPEDA|regulation|directive|act|law|loi|gesetz|ley"
    r"|legge|shield|framework|treaty|règlement|reglamento|verordnung)\b",
    re.I,
)
_POLICYISH = re.compile(
    r"\b(?:policy|notice|statement|terms|this|these|document|politique|déclaration|datenschutz"
    r"\w*|erklärung|bestimmungen|política|aviso|informativa|privacyverklaring|beleid|version)\b",
    re.I,
)
_US_CUES = re.compile(
    r"\b(?:California|CCPA|CPRA|U\.S\.|United States|Delaware|Nevada|Virginia|Colorado)\b"
)
_EU_CUES = re.compile(
    r"\b(?:GDPR|EEA|European Union|European Economic Area|Ltd|Limited|GmbH|SAS|S\.A\.|B\.V\."
    r"|Pty|DSGVO|RGPD|United Kingdom|France|Germany|Australia|India)\b"
)
_TEXT_MDY = re.compile(rf"\b(?:{_MONTH_RE})\.?\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+(?:19|20)\d\d", re.I)
_TEXT_DMY = re.compile(
    rf"\b\d{{1,2}}(?:st|nd|rd|th|er|\.)?\s+(?:{_MONTH_RE})\.?,?\s+(?:19|20)\d\d", re.I
)
_NUM_ANY = re.compile(r"(?<![\d/.])(\d{1,2})([/-])(\d{1,2})\2(?:19|20)?\d\d(?![\d/])")


def _valid(y: int, m: int, d: int | None) -> bool:
    if not 1990 <= y <= 2100:
        return False
    try:
        date(y, m, d or 1)
    except ValueError:
        return False
    return True


def _year(s: str) -> int:
    y = int(s)
    if len(s) == 2:
        y += 2000 if y < 70 else 1900
    return y


def _month(s: str) -> int | None:
    return MONTHS.get(s.lower().rstrip("."))


class _PageStyle:
    """Lazily decides day-first vs month-first for ambiguous numeric dates of one page."""

    def __init__(self, text: str, language: str | None) -> None:
        self.text = text
        self.language = (language or "").lower().replace("_", "-")
        self._order: str | None = None
        self.reason = ""

    @property
    def order(self) -> str:
        if self._order is None:
            self._order, self.reason = self._decide()
        return self._order

    def _count(self, rx: re.Pattern[str]) -> int:
        """Dates written with month names, except dates of laws ("Act of 21 June 2004")."""
        n = 0
        for m in rx.finditer(self.text):
            if not _LAWISH.search(self.text[max(0, m.start() - 60) : m.start()]):
                n += 1
        return n

    def _decide(self) -> tuple[str, str]:
        dmy = mdy = 0
        for m in _NUM_ANY.finditer(self.text):
            a, b = int(m.group(1)), int(m.group(3))
            if a > 12 >= b:
                dmy += 1
            elif b > 12 >= a:
                mdy += 1
        if dmy != mdy:
            return ("dmy" if dmy > mdy else "mdy"), "other numeric dates on the page"
        tm, td = self._count(_TEXT_MDY), self._count(_TEXT_DMY)
        if tm != td:
            return ("mdy" if tm > td else "dmy"), "how the page writes month names"
        if "-" in self.language:
            return ("mdy" if self.language.endswith("-us") else "dmy"), "language region"
        if self.language and not self.language.startswith("en"):
            return "dmy", "language"
        us, eu = len(_US_CUES.findall(self.text)), len(_EU_CUES.findall(self.text))
        if us > eu:
            return "mdy", "US jurisdiction cues"
        if eu > us:
            return "dmy", "non-US jurisdiction cues"
        return "dmy", "default (day first)"


def parse_date(m: re.Match[str], style: _PageStyle | None = None) -> tuple[str, dict] | None:
    """ISO value and detail for one `_DATE` match, or None when it is not a valid date."""
    detail: dict = {"precision": "day"}
    if m.group("iso"):
        y, mo, d = int(m.group("iy")), int(m.group("im")), int(m.group("id"))
    elif m.group("dmy"):
        y, mo, d = int(m.group("y1")), _month(m.group("m1")) or 0, int(m.group("d1"))
    elif m.group("mdy"):
        y, mo, d = int(m.group("y2")), _month(m.group("m2")) or 0, int(m.group("d2"))
    elif m.group("num"):
        a, b, y = int(m.group("a")), int(m.group("b")), _year(m.group("y4"))
        if m.group("sep") == "." or a > 12 >= b:
            d, mo = a, b
        elif b > 12 >= a:
            d, mo = b, a
        elif a == b:
            d = mo = a
        else:
            order = style.order if style else "dmy"
            d, mo = (a, b) if order == "dmy" else (b, a)
            detail["ambiguous"] = True
            detail["order"] = order
            if style is not None:
                detail["order_reason"] = style.reason
    else:
        if m.group("nmy"):
            y, mo = int(m.group("y6")), int(m.group("m6"))
        else:
            y, mo = int(m.group("y5")), _month(m.group("m5")) or 0
        if not _valid(y, mo, None):
            return None
        return f"{y:04d}-{mo:02d}", {"precision": "month"}
    if not mo or not _valid(y, mo, d):
        return None
    return f"{y:04d}-{mo:02d}-{d:02d}", detail


def _scan_line(line: str) -> str:
    if is_table_line(line):
        return " : ".join(c for c in cells(line) if c)
    return plain(line)


def _label_only(s: str) -> str | None:
    """The key when the whole block is just a label ("Effective Date", "Last updated:")."""
    if len(s) > 40:
        return None
    m = _LABEL.search(s)
    if m and not re.search(r"\w", s[m.end() :].replace("date", "")):
        return _LABELS[int(m.lastgroup[1:])][0]
    return None


def _law_context(s: str, start: int) -> bool:
    head = s[max(0, start - 80) : start]
    cut = max(head.rfind(". "), head.rfind("; "))
    if cut >= 0:
        head = head[cut + 2 :]
    return bool(_LAWISH.search(head)) and not _POLICYISH.search(head)


# "Previous version: 25 February 2025", "ancienne version du ...": a date of another version.
_OTHER_VERSION = re.compile(
    r"\b(?:previous|prior|former|earlier|older|archived|old|pr[ée]c[ée]dente?|ancienne?"
    r"|ant[ée]rieure?|vorherigen?|vorige|fr[üu]heren?|alten?|anterior|precedente|vorige)\W{0,3}$",
    re.I,
)
# A block that is only a date ("**Novembre 2022**", "June 13, 2022", "(5 mai 2023)").
_BARE_DATE = re.compile(r"^[\W_]{0,4}(?:" + _DATE.pattern + r")[\W_]{0,4}$", re.I | re.X)
_LIST_ITEM = re.compile(r"^\s*(?:[-*+•]|\d{1,3}[.)])\s")


def _has_digit(line: str) -> bool:
    """Whether `line` holds a character str.isdigit() accepts (`_ANY_DIGIT`), ASCII first (ten
    substring tests are faster than one regex scan of the block)."""
    return any(map(line.__contains__, "0123456789")) or (
        not line.isascii() and _ANY_DIGIT.search(line) is not None
    )


class _Said(NamedTuple):
    """A label of a block followed by the date it governs (the checks that read only the block
    passed): what the page-wide rules of `extract` may turn into a fact."""

    key: str
    label: str
    stamp: bool  # the block is short and starts with the label ("Publié le 09/03/2024")
    date: re.Match[str]
    ends: bool  # nothing but punctuation after the date


class _Line(NamedTuple):
    """What one block holds, read from the block alone (memoized per block across versions).

    A block without digits only matters as a possible label-only block (`pending`: the key and
    label whose date the next block may hold). A block with digits has its scanned text `s`,
    `start` (the date it opens with, when short: the date of a preceding label-only block),
    `bare` (the date it is, when a short unlabelled block is only a date) and `said`."""

    digit: bool
    pending: tuple[str, str] | None = None
    label: bool = False  # may hold a label (keyword pre-filter)
    s: str = ""
    start: re.Match[str] | None = None
    bare: re.Match[str] | None = None
    entry: bool = False  # a table row or list item (a version history's entry)
    said: tuple[_Said, ...] = ()


_NO_LABEL = _Line(False)


def _may_label(line: str, s: str | None) -> bool:
    """Whether `line` may hold a label (`s`: its scanned text, when known). Keywords are
    searched in the raw block, or in the scanned text when markup comes first (the answer of
    `_PREFILTER`: a keyword holds no markup character, so one that starts before the first
    markup character ends before it)."""
    low = fold(line)
    cut = min((i for i in map(low.find, _MARKUP) if i >= 0), default=-1)
    if cut < 0:
        return _holds_keyword(low)
    if _holds_keyword(low, cut):
        return True
    return _holds_keyword(fold(_scan_line(line) if s is None else s))


def _holds_keyword(low: str, end: int | None = None) -> bool:
    """Whether `low` (up to `end`) holds a keyword: `_KEYWORD.search(low[:end])`."""
    found = _KEYWORDS.iter(low) if end is None else _KEYWORDS.iter(low, 0, end)
    return next(found, None) is not None


def _read_line(line: str) -> _Line:
    if not _has_digit(line):
        s = _scan_line(line)
        if len(s) > 40 or not _may_label(line, s):  # (_label_only takes <= 40 characters)
            return _NO_LABEL
        k = _label_only(s)
        return _Line(False, pending=(k, s.rstrip(": ")) if k else None)
    s = _scan_line(line)
    start = _DATE.search(s) if len(s) <= 60 and _DATE_AT_START.match(s) else None
    if not _may_label(line, s):
        bare = None
        if len(line) <= 60 and not is_table_line(line) and _BARE_DATE.match(s):
            bare = _DATE.search(s)
        return _Line(True, s=s, start=start, bare=bare)
    entry = is_table_line(line) or bool(_LIST_ITEM.match(line))
    said = []
    for lm in _labels(s):
        key, strong, _ = _LABELS[int(lm.lastgroup[1:])]  # type: ignore[index]
        dm = _DATE.search(s, lm.end(), lm.end() + 80)
        if not dm:
            continue
        gap = s[lm.end() : dm.start()]
        if not (_STRONG_GAP if strong else _WEAK_GAP).match(gap):
            continue
        if _law_context(s, lm.start()) or _OTHER_VERSION.search(s, 0, lm.start()):
            continue
        stamp = len(s) <= 60 and lm.start() <= 3
        said.append(_Said(key, lm.group(0), stamp, dm, not s[dm.end() :].strip(" .)*_")))
    return _Line(True, label=True, s=s, start=start, entry=entry, said=tuple(said))


def extract(text: str, language: str | None = None) -> list[Fact]:
    """Labelled policy dates of `text`: one fact per key, the first occurrence wins, except in
    a version history (table rows or list items carrying the same label), where the latest
    date is the policy's own. Without any labelled date, a block that is only a date (the line
    under the title) is the "policy_date", when the page has exactly one such block.

    What a block holds is read from the block alone (`_read_line`, memoized per block: the
    versions of a page share most blocks); the rules that span blocks are applied here."""
    style = _PageStyle(text, language)
    memo = unit_memo("dates")
    out: list[Fact] = []
    seen: set[str] = set()
    history: dict[str, list[Fact]] = {}  # key -> later dates of table rows / list items
    listed: set[str] = set()  # keys whose first date came from a table row or list item
    prose: set[str] = set()  # keys whose first date came from within a sentence
    bare: list[tuple[str, str, tuple[str, dict]]] = []
    pending: tuple[str, str] | None = None  # (key, label) of a label-only block
    for line in blocks(text):
        r = recall(memo, line, lambda: _read_line(line))  # noqa: B023 - called at once
        if not r.digit:
            pending = r.pending
            continue
        s = r.s
        if not r.label and pending is None:
            if r.bare is not None and len(bare) < 2:
                parsed = parse_date(r.bare, style)
                if parsed:
                    bare.append((s, r.bare.group(0), parsed))
            continue
        if pending is not None:
            key, label = pending
            pending = None
            if r.start is not None and key not in seen:
                parsed = parse_date(r.start, style)
                if parsed:
                    _add(out, seen, key, label, r.start.group(0), parsed, s)
                    continue
        for key, label, stamp, dm, ends in r.said:
            if key in seen and not (r.entry and key in listed) and not (stamp and key in prose):
                continue
            parsed = parse_date(dm, style)
            if parsed is None:
                continue
            if key in seen and key in prose:
                # the page's own date stamp, after a sentence about some notice's version
                if ends:
                    prose.discard(key)
                    out[:] = [
                        _fact(key, label, dm.group(0), parsed, s) if f.key == key else f
                        for f in out
                    ]
                continue
            if key in seen:  # a later entry of a version history
                history.setdefault(key, []).append(_fact(key, label, dm.group(0), parsed, s))
                continue
            _add(out, seen, key, label, dm.group(0), parsed, s)
            if r.entry:
                listed.add(key)
            elif not stamp:
                prose.add(key)
    for i, f in enumerate(out):
        later = history.get(f.key)
        if later:
            out[i] = max([f, *later], key=lambda x: x.value)
    if not out and len(bare) == 1:
        s, as_written, parsed = bare[0]
        _add(out, seen, "policy_date", "", as_written, parsed, s)
    return out


def _fact(key: str, label: str, as_written: str, parsed: tuple[str, dict], evidence: str) -> Fact:
    value, extra = parsed
    label = re.sub(r"^(?:is|was|be|becomes?|became)\s+", "", " ".join(label.split()), flags=re.I)
    detail = {"label": label, "as_written": " ".join(as_written.split())}
    detail.update(extra)
    return Fact(kind="date", key=key, value=value, evidence=evidence[:300], detail=detail)


def _add(
    out: list[Fact],
    seen: set[str],
    key: str,
    label: str,
    as_written: str,
    parsed: tuple[str, dict],
    evidence: str,
) -> None:
    seen.add(key)
    out.append(_fact(key, label, as_written, parsed, evidence))


# --------------------------------------------------------------------------- findings

KINDS = ("date",)

# Reader's names of the date keys (labels as written may be in any language: "gelten ab",
# "s'applique à partir du", "took effect"...).
_DATE_NAMES = {
    "last_updated": "last updated date",
    "last_modified": "last modified date",
    "last_revised": "last revised date",
    "last_reviewed": "last reviewed date",
    "effective": "effective date",
    "posted": "publication date",
    "version_date": "version date",
    "policy_date": "policy date",
}


def fmt_date(iso: object) -> str:
    """An ISO date as a reader writes it ("3 May 2024", "May 2024")."""
    s = str(iso)
    try:
        if len(s) == 10:
            d = date.fromisoformat(s)
            return f"{d.day} {d:%b %Y}"
        if len(s) == 7:
            d = date.fromisoformat(s + "-01")
            return f"{d:%b %Y}"
    except ValueError:
        pass
    return s


def date_name(key: str) -> str:
    base = key.split("~")[0]
    name = _DATE_NAMES.get(base)
    if name is None:
        name = label(base)
        if not name.endswith(" date"):
            name += " date"
    return name


def compare(kind: str, old: dict[str, Fact], new: dict[str, Fact], ctx: Compare) -> list[Finding]:
    """date_changed (a relabelled single date counts as changed), date_added, date_removed."""
    out: list[Finding] = []
    only_old = [k for k in old if k not in new]
    only_new = [k for k in new if k not in old]
    pairs = [(k, k) for k in old if k in new]
    if len(only_old) == 1 and len(only_new) == 1:  # relabelled ("Last updated" -> "Effective")
        pairs.append((only_old[0], only_new[0]))
        only_old, only_new = [], []
    for ko, kn in pairs:
        a, b = old[ko], new[kn]
        if a.value == b.value:
            continue
        name = date_name(kn)
        was = f" (previously the {date_name(ko)})" if date_name(ko) != name else ""
        out.append(
            finding(
                "date_changed", kn, a.value, b.value, "low",
                f"{cap(name)} moved from {fmt_date(a.value)} to {fmt_date(b.value)}{was}",
                a.evidence, b.evidence,
            )
        )  # fmt: skip
    for k in only_new:
        b = new[k]
        out.append(
            finding("date_added", k, None, b.value, "low",
                    f"New {date_name(k)}: {fmt_date(b.value)}", None, b.evidence)
        )  # fmt: skip
    for k in only_old:
        a = old[k]
        out.append(
            finding("date_removed", k, a.value, None, "low",
                    f"Removed {date_name(k)} ({fmt_date(a.value)})", a.evidence, None)
        )  # fmt: skip
    return out
