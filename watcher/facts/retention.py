"""Retention periods (kind "retention").

value: a reader's form ("30 days", "a few hours", "as long as necessary", "until you delete
your account"); detail: "iso" (ISO 8601 duration when the period is numeric, e.g. "P30D"),
"days" (approximate length, for lengthened/shortened comparisons; None when open-ended),
"applies_to" (what the period applies to, from the sentence).
key: "retention:" + the content words of `applies_to` (falling back to the sentence words),
so the same statement matches across versions even when its period changes.

Periods are read in English, French, German, Spanish, Italian, Dutch and Portuguese ("pendant
3 ans", "6 Monate", "24 mesi"...; value and detail always in English). The other languages'
verbs, function words and subject/object boundaries apply only to texts detected in them
(`language`; an unknown language counts as English), so English keys stay as they were.
"""

from __future__ import annotations

import re
from typing import Any, NamedTuple

from watcher.facts.base import Compare, finding, jaccard, pair_up
from watcher.facts.doc import doc, recall, remember, unit_memo
from watcher.facts.prefilter import trie_pattern
from watcher.models import Fact, Finding
from watcher.textutil import shorten

_NUM_WORDS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14,
    "fifteen": 15, "sixteen": 16, "eighteen": 18, "twenty": 20, "twenty-four": 24, "thirty": 30,
    "forty": 40, "forty-two": 42, "forty-five": 45, "sixty": 60, "ninety": 90, "hundred": 100,
    # French, German, Spanish, Italian, Dutch, Portuguese
    "un": 1, "une": 1, "deux": 2, "trois": 3, "quatre": 4, "cinq": 5, "sept": 7, "huit": 8,
    "neuf": 9, "dix": 10, "douze": 12, "quinze": 15, "vingt": 20, "trente": 30, "soixante": 60,
    "ein": 1, "eine": 1, "einen": 1, "einem": 1, "zwei": 2, "drei": 3, "vier": 4, "sechs": 6,
    "sieben": 7, "acht": 8, "neun": 9, "zehn": 10, "zwölf": 12, "dreißig": 30, "sechzig": 60,
    "uno": 1, "una": 1, "dos": 2, "tres": 3, "cuatro": 4, "cinco": 5, "seis": 6, "siete": 7,
    "diez": 10, "doce": 12, "treinta": 30, "due": 2, "tre": 3, "cinque": 5, "sei": 6,
    "dieci": 10, "dodici": 12, "trenta": 30, "een": 1, "twee": 2, "drie": 3, "vijf": 5, "zes": 6,
    "tien": 10, "twaalf": 12, "dertig": 30, "um": 1, "uma": 1, "dois": 2, "duas": 2, "três": 3,
    "dez": 10, "doze": 12, "trinta": 30,
}  # fmt: skip
_NUM_WORDS_EN = list(_NUM_WORDS).index("un")  # the English number words come first
# Unit words of other languages -> the English unit.
_UNIT_WORDS = {
    "minute": "minute minuten minuto minuti minutos",
    "hour": "heure heures stunde stunden hora horas ora ore uur uren",
    "day": "jour jours tage tagen día días dia dias giorno giorni dag dagen",
    "week": "semaine semaines woche wochen semana semanas settimana settimane weken",
    "month": "mois monat monate monaten mes meses mese mesi maand maanden mês",
    "year": "an ans année années jahr jahre jahren año años anno anni jaar jaren ano anos",
}
_UNIT: dict[str, str] = {w: u for u, ws in _UNIT_WORDS.items() for w in ws.split()}
_UNIT_DAYS = {"minute": 1 / 1440, "hour": 1 / 24, "day": 1, "week": 7, "month": 30, "year": 365}
_ISO_UNIT = {"minute": "M", "hour": "H", "day": "D", "week": "W", "month": "M", "year": "Y"}

_CUE = re.compile(
    r"\b(retain(?:s|ed|ing)?|retention|keep(?:s|ing)?|kept|stor(?:e|ed|es|ing)|held|hold|"
    r"delet(?:e|es|ed|ing|ion)|eras(?:e|ed|ure)|purg(?:e|ed)|destroy(?:ed)?|anonymi[sz](?:e|ed)|"
    r"expire(?:s|d)?|remov(?:e|ed))\b",
    re.I,
)
_CUE_I18N = re.compile(
    _CUE.pattern.removesuffix(")\\b") + "|"
    # French, German, Spanish, Italian, Dutch, Portuguese
    r"conserv\w*|supprim\w*|effac[ée]\w*|archiv[ée]\w*|stock[ée]\w*|gard[ée]\w*|d[ée]trui\w*|"
    r"anonymis\w*|gespeichert|speicher\w*|aufbewahr\w*|gel[öo]scht|l[öo]sch\w*|almacen\w*|"
    r"guardad\w*|suprim\w*|elimina\w*|cancellat\w*|mantenut\w*|bewaard|bewaren|bewaartermijn|"
    r"verwijderd|opgeslagen|armazenad\w*|mantid\w*|reten[çc]\w*|retenci\w*)\b",
    re.I,
)
# (the number words as a trie: the same matches as their longest-first alternation, tried at
# every word start, 3x faster)
_NUM = r"(?:\d+(?:[.,]\d+)?|" + trie_pattern(list(_NUM_WORDS)) + r")"
_NUM_EN = r"(?:\d+(?:[.,]\d+)?|" + trie_pattern(list(_NUM_WORDS)[:_NUM_WORDS_EN]) + r")"
_PERIOD_EN = re.compile(
    r"\b(?P<num>"
    + _NUM_EN
    + r")(?:\s*\(\s*\d+\s*\))?[\s-]+(?:(?:rolling|calendar|business|full|consecutive)\s+)?"
    r"(?P<unit>minute|hour|day|week|month|year)s?\b",
    re.I,
)
_PERIOD = re.compile(
    r"\b(?P<num>"
    + _NUM
    + r")(?:\s*\(\s*\d+\s*\))?[\s-]+(?:(?:rolling|calendar|business|full|consecutive)\s+)?"
    r"(?P<unit>minute|hour|day|week|month|year|"
    + "|".join(sorted(_UNIT, key=len, reverse=True))
    + r")s?\b",
    re.I,
)
# A period's unit word follows a space or hyphen and ends a word: a unit without one states no
# numeric period. This test (a scan that stops only at blanks, then the unit words as a trie)
# is 3x faster than the period pattern, which tries every word, and 4 cued units in 5 fail it.
_UNIT_WORD_EN = re.compile(r"[\s-](?:minute|hour|day|week|month|year)s?\b", re.I)
_UNIT_WORD = re.compile(
    r"[\s-](?:"
    + trie_pattern(["minute", "hour", "day", "week", "month", "year", *_UNIT])
    + r")s?\b",
    re.I,
)
_VAGUE = (
    (re.compile(r"\ba few (minute|hour|day|week|month|year)s\b", re.I), None),
    (
        re.compile(
            r"\b(?:(?:for )?(?:as|so) long as (?:is |it is |they are |we consider )?(?:reasonably )?"
            r"(?:necessary|needed|required)|no longer than (?:is )?(?:necessary|needed|required)|"
            r"(?:for )?longer than (?:is )?(?:necessary|needed)|only (?:for )?as long as)",
            re.I,
        ),
        "as long as necessary",
    ),
    (
        re.compile(
            r"\buntil (?:you|the user|a user|users) (?:delete|close|terminate|deactivate|cancel)s? "
            r"(?:your|their|the|his or her) (?:account|profile|subscription)",
            re.I,
        ),
        "until you delete your account",
    ),
    (re.compile(r"\bfor the (?:duration|term|life) of (?:the|our|your) (?:contract|contractual relationship|agreement|subscription|account)", re.I), "for the duration of the contract"),
    (re.compile(r"\b(indefinitely|permanently|forever)\b", re.I), "indefinitely"),
)  # fmt: skip
_STOP = set(
    [
        "a",
        "an",
        "the",
        "of",
        "to",
        "for",
        "and",
        "or",
        "in",
        "on",
        "at",
        "by",
        "with",
        "from",
        "as",
        "is",
        "are",
        "be",
        "been",
        "we",
        "us",
        "our",
        "you",
        "your",
        "will",
        "may",
        "can",
        "shall",
        "this",
        "that",
        "these",
        "those",
        "it",
        "its",
        "their",
        "them",
        "they",
        "any",
        "all",
        "such",
        "which",
        "who",
        "retain",
        "retains",
        "retained",
        "retaining",
        "retention",
        "keep",
        "keeps",
        "kept",
        "keeping",
        "store",
        "stored",
        "stores",
        "storing",
        "held",
        "hold",
        "delete",
        "deleted",
        "deletes",
        "deletion",
        "erase",
        "erased",
        "erasure",
        "purge",
        "purged",
        "remove",
        "removed",
        "period",
        "periods",
        "up",
        "until",
        "after",
        "before",
        "within",
        "days",
        "day",
        "months",
        "month",
        "years",
        "year",
        "hours",
        "hour",
        "weeks",
        "week",
        "minutes",
        "minute",
        "maximum",
        "minimum",
        "least",
        "most",
        "more",
        "than",
        "longer",
        "less",
        "no",
        "not",
        "never",
        "only",
        "generally",
        "usually",
        "typically",
        "permanently",
        "beyond",
        "then",
        "other",
        "also",
        "some",
        "do",
        "does",
        "don",
        "t",
        "s",
        "than",
        "about",
        "approximately",
        "data",
        "information",
        "personal",
    ]
)
# Function words of the other languages (used for texts in them: English keys stay as they were).
_STOP_WORDS_I18N = (
    "le la les l de des du d un une et ou en à au aux vos votre nos notre nous vous leur leurs"
    " données donnée personnelles personnel informations sont seront est sera pendant durant"
    " jusqu après compter conservées conservés conservé conservée conservons conserver supprimées"
    " supprimé supprimés stockées période durée délai maximum max plus ce cette ces qui que"
    " der die das den dem des ein eine einer und oder für bis zu zur zum nach von vom ihre ihrer"
    " ihren ihr wir uns daten personenbezogenen werden wird sind gespeichert gelöscht aufbewahrt"
    " speichern dauer höchstens maximal el los las lo y o del al sus su nuestros datos personales"
    " se serán será durante hasta por conservarán conservan il i gli le di della dei delle e"
    " dati personali sono saranno conservati per fino het een van en uw onze gegevens"
    " persoonsgegevens worden bewaard zijn na tot os as do da dos das seus suas dados pessoais"
    " são serão conservados durante até ne pas non niet nicht não"
)
_STOP_I18N = _STOP | set(_STOP_WORDS_I18N.split()) | set(_UNIT)
_VAGUE_EN = _VAGUE
# The open-ended periods of _VAGUE as other languages write them.
_VAGUE += (
    (
        re.compile(
            r"\b(?:aussi longtemps que|tant que) (?:cela est |c['’]est )?(?:n[ée]cessaire|requis)"
            r"|\bpendant la dur[ée]e n[ée]cessaire|\bso lange,?(?: wie)?(?: es)? (?:f[üu]r [^.]{0,60})?"
            r"(?:erforderlich|notwendig|n[öo]tig)|\bel tiempo (?:que sea |estrictamente )?necesario"
            r"|\bper il tempo (?:strettamente )?necessario|\bzo lang (?:als )?(?:nodig|noodzakelijk)"
            r"|\bpelo (?:per[íi]odo de )?tempo necess[áa]rio",
            re.I,
        ),
        "as long as necessary",
    ),
    (
        re.compile(
            r"\bjusqu['’][àa] (?:la )?(?:suppression|cl[ôo]ture|fermeture) de (?:votre|leur|son) compte"
            r"|\bbis (?:zur )?(?:L[öo]schung|Schlie(?:ß|ss)ung|K[üu]ndigung) (?:Ihres|des) "
            r"(?:Kontos|Nutzerkontos|Benutzerkontos|Accounts)",
            re.I,
        ),
        "until you delete your account",
    ),
    (
        re.compile(
            r"\bpendant (?:toute )?la dur[ée]e (?:de (?:la relation contractuelle|votre abonnement)|du contrat)"
            r"|\bf[üu]r die Dauer (?:des Vertrag(?:s|es)(?:verhältnisses)?|der Vertragsbeziehung)"
            r"|\bdurante (?:toda )?la (?:vigencia|duraci[óo]n) del contrato"
            r"|\bper (?:tutta )?la durata del contratto",
            re.I,
        ),
        "for the duration of the contract",
    ),
)


# what makes a heading or a table header about retention
_CONTEXT = re.compile(
    r"\b(?:retention|retain|storage (?:period|duration)|how long|kept|deletion|"
    r"(?:retention|storage|deletion) (?:period|time|duration)|"
    # French, German, Spanish, Italian, Dutch, Portuguese
    r"conservation|dur[ée]es? de conservation|Speicherdauer|Aufbewahrung\w*|Speicherfrist\w*|"
    r"L[öo]schfrist\w*|conservaci[óo]n|plazos? de conservaci[óo]n|conservazione|bewaartermijn\w*|"
    r"bewaring|conserva[çc][ãa]o|prazos? de conserva[çc][ãa]o)\b",
    re.I,
)
_AGO = re.compile(r"\s*ago\b")
_NOT_BEFORE = re.compile(r"(?:\b(?:not|never|no)\b|n't)[^.]{0,30}$", re.I)
_DELETE_NEAR = re.compile(r"\b(delet|eras|remov)", re.I)
_LABEL = re.compile(r"^\s*([^:|]{3,60})\s*[:|]\s")
_OBJ_END = re.compile(r"\b(?:for|until|within|after|up to|no longer|as long|during|over)\b")
_OBJ_END_I18N = re.compile(
    r"\b(?:for|until|within|after|up to|no longer|as long|during|over"
    r"|pendant|durant|jusqu|apr[èe]s|au-del[àa]|[àa] compter|dans un d[ée]lai|pour une dur[ée]e"
    r"|f[üu]r|bis|nach|w[äa]hrend|innerhalb|maximal|h[öo]chstens|l[äa]nger|durante|hasta|por"
    r"|per|fino|entro|oltre|gedurende|tot|na|maximaal|langer|at[ée]|mais de)\b"
)
_OBJ_END2 = re.compile(r"[(\[]|\b(?:permanently|indefinitely|forever|beyond|longer)\b")
_WORD3 = re.compile(r"[^\W\d_]{3,}")
_SUBJ_END = re.compile(r"[,;:]|\b(?:we|will|may|is|are|be|shall|would)\b")
_SUBJ_END_I18N = re.compile(
    r"[,;:]|\b(?:we|will|may|is|are|be|shall|would|sont|seront|est|sera|nous|peuvent|werden|wird"
    r"|sind|wir|son|ser[áa]n?|se|sono|saranno|verranno|vengono|worden|wordt|zijn|wij|s[ãa]o"
    r"|ser[ãa]o)\b"
)
_WORDS = re.compile(r"[^\W_]+")
_CONNECTIVE = re.compile(
    r"(?:for (?:example|instance)|in (?:addition|particular|any case|that case)|however|"
    r"additionally|moreover|furthermore|thereafter|afterwards|subsequently|then|finally|also|"
    r"otherwise|in general|generally|in short|"
    r"par exemple|en outre|de plus|ensuite|enfin|toutefois|cependant|en particulier|"
    r"zum beispiel|au(?:ß|ss)erdem|zudem|danach|anschlie(?:ß|ss)end|insbesondere|"
    r"por ejemplo|adem[áa]s|posteriormente|ad esempio|inoltre|successivamente|"
    r"bijvoorbeeld|daarnaast|vervolgens|por exemplo|al[ée]m disso)",
    re.I,
)


def _num(s: str) -> float | None:
    s = s.lower().replace(",", ".")
    if s in _NUM_WORDS:
        return float(_NUM_WORDS[s])
    try:
        return float(s)
    except ValueError:
        return None


def _applies_to(s: str, start: int, english: bool = True, cue: re.Pattern[str] = _CUE) -> str:
    """What the period applies to: a label before ':' / a table's first cell, else the object
    of the retention verb, else the subject before it."""
    m = _LABEL.match(s)
    if m and m.end() <= start:
        return m.group(1).strip()
    verb = None
    for v in cue.finditer(s[:start]):
        verb = v
    if verb is None:
        return ""
    after = s[verb.end() : start]
    obj = (_OBJ_END if english else _OBJ_END_I18N).split(after, maxsplit=1)[0]
    obj = _OBJ_END2.split(obj, maxsplit=1)[0]
    obj = obj.strip(" ,;:()")
    if _WORD3.search(obj) and len(obj) <= 120:
        return obj
    segs = (_SUBJ_END if english else _SUBJ_END_I18N).split(s[: verb.start()], maxsplit=2)
    subject = segs[0].strip(" ,;:()")
    if len(segs) > 1 and _CONNECTIVE.fullmatch(subject):
        # "Subsequently, your data is kept...", "For example, chats are kept...": an opening
        # connective is not what the period applies to
        subject = segs[1].strip(" ,;:()")
    return subject[:120]


def _key_words(s: str, limit: int = 6, stop: set[str] = _STOP) -> str:
    words = [
        w
        for w in _WORDS.findall(s.lower())
        if w not in stop and not w.isdigit() and w not in _NUM_WORDS
    ]
    seen: list[str] = []
    for w in words:
        if w not in seen:
            seen.append(w)
    return " ".join(seen[:limit])


class _Lang(NamedTuple):
    """The patterns of English texts, or of texts in the other languages (see module doc)."""

    english: bool
    cue: re.Pattern[str]
    period: re.Pattern[str]
    unit_word: re.Pattern[str]  # (matches wherever `period` does, see _UNIT_WORD)
    vague: tuple[tuple[re.Pattern[str], str | None], ...]
    stop: set[str]


_EN = _Lang(True, _CUE, _PERIOD_EN, _UNIT_WORD_EN, _VAGUE_EN, _STOP)
_I18N = _Lang(False, _CUE_I18N, _PERIOD, _UNIT_WORD, _VAGUE, _STOP_I18N)


class _Said(NamedTuple):
    """One period a unit states: what a fact is made of, before the page-wide dedup."""

    value: str
    iso: str | None
    days: float | None
    applies: str
    base: str  # the key words of `applies` (or of the sentence)


def extract(text: str, language: str | None = None) -> list[Fact]:
    """Retention facts of `text`. What a unit states depends only on its text and the
    language's patterns (memoized per unit across versions); whether a non-cued row or item
    counts (its heading or table header is about retention) and the dedup of repeated
    statements are decided here, in document order."""
    facts: list[Fact] = []
    keys: set[str] = set()
    stated: set[tuple[str, str]] = set()
    d = doc(text)
    lang = _EN if (language or "en").startswith("en") else _I18N
    memo = unit_memo("retention")
    # units where each pattern may match (exact literal prefilters)
    w_cue = d.candidates(lang.cue)
    w_period = d.candidates(lang.period)
    w_vague = [d.candidates(rx) for rx, _label in lang.vague]
    heading = ""  # the heading above the unit
    header = ""  # the header row of the table the unit is in
    context: bool | None = (
        None  # whether heading or header is about retention (None: not yet known)
    )
    prev_row = -10
    for i, u in enumerate(d.units):
        if u.kind == "heading":
            heading, context = u.text, None
        if u.kind == "row":
            if u.line - prev_row > 2:  # a new table: this row is its header
                header, context = u.text, None
            prev_row = u.line
        elif header:
            header, context = "", None
        if i not in w_cue and i not in w_period:
            continue  # neither a cue nor a period: nothing to read
        s = u.text
        key = (s, lang.english)
        cue = i in w_cue
        cued, said = recall(memo, key, lambda: (cue and bool(lang.cue.search(s)), None))  # noqa: B023
        if not cued:
            # a table row or list item under a retention heading / header: "Account data |
            # 5 years", "Server logs: 1 year" (numeric periods only)
            if u.kind == "heading" or i not in w_period or s == header:
                continue
            if context is None:
                context = bool(_CONTEXT.search(header) or _CONTEXT.search(heading))
            if not context:
                continue
        if said is None:
            said = _statements(s, i, cued, lang, w_period, w_vague)
            remember(memo, key, (cued, said))
        for value, iso, days, applies, base in said:
            if (base, value) in stated:
                continue  # the same statement repeated (a summary box, a translated copy...)
            stated.add((base, value))
            fkey = "retention:" + base
            n = 2
            while fkey in keys:
                fkey = f"retention:{base}~{n}"
                n += 1
            keys.add(fkey)
            detail = {"applies_to": applies, "iso": iso, "days": days}
            if u.kind in ("row", "item") and applies:
                detail["item"] = applies
            facts.append(Fact("retention", fkey, value, s[:500], detail))
    return facts


def _statements(
    s: str, i: int, cued: bool, lang: _Lang, w_period: Any, w_vague: list[Any]
) -> tuple[_Said, ...]:
    """The periods unit `i` (text `s`) states, in order. The candidate sets only skip patterns
    that cannot match: the result depends on `s`, `cued` (itself a function of `s`) and
    `lang` alone."""
    found: list[tuple[int, str, str | None, float | None]] = []
    periods = lang.period.finditer(s) if i in w_period and lang.unit_word.search(s) else ()
    for m in periods:
        n = _num(m.group("num"))
        if n is None or n <= 0 or n > 1000:
            continue
        unit = m.group("unit").lower()
        unit = _UNIT.get(unit, unit)
        # skip ages ("under 16 years of age") and years of experience
        tail = s[m.end() : m.end() + 12].lower()
        if "of age" in tail or "old" in tail[:5] or _AGO.match(tail):
            continue
        n_int = int(n) if n == int(n) else n
        value = f"{n_int} {unit}{'' if n == 1 else 's'}"
        iso = ("PT" if unit in ("hour", "minute") else "P") + f"{n_int}{_ISO_UNIT[unit]}"
        found.append((m.start(), value, iso, n * _UNIT_DAYS[unit]))
    for (rx, label), w in zip(lang.vague, w_vague, strict=True):
        if i not in w or not cued:
            continue
        for m in rx.finditer(s):
            if label is None:
                unit = m.group(1).lower()
                found.append((m.start(), f"a few {unit}s", None, 3 * _UNIT_DAYS[unit]))
            else:
                if label == "indefinitely" and _NOT_BEFORE.search(s, 0, m.start()):
                    continue
                if label == "indefinitely" and _DELETE_NEAR.search(s[m.start() - 3 : m.end() + 12]):
                    continue
                found.append((m.start(), label, None, None))
    found.sort()
    out = []
    for start, value, iso, days in found:
        applies = _applies_to(s, start, lang.english, lang.cue)
        stop = lang.stop
        base = _key_words(applies, stop=stop) or _key_words(s, 8, stop) or "statement"
        out.append(_Said(value, iso, days, applies, base))
    return tuple(out)


# --------------------------------------------------------------------------- findings

KINDS = ("retention",)

_PREPOSITION = re.compile(r"(?:in|on|at|by|from|with|within|after|until|during)\b", re.I)


def _retention_days(f: Fact) -> float | None:
    d = f.detail.get("days") if f.detail else None
    if isinstance(d, int | float):
        return float(d)
    if f.value in ("indefinitely", "until you delete your account"):
        return float("inf")
    return None


def _applies(f: Fact) -> str:
    return str((f.detail or {}).get("applies_to") or "")


def compare(kind: str, old: dict[str, Fact], new: dict[str, Fact], ctx: Compare) -> list[Finding]:
    """retention_changed (high when lengthened, low when shortened), retention_added,
    retention_removed. Statements are paired by key, then by what they apply to / their
    sentence."""
    same = [(old[k], new[k]) for k in old if k in new]
    paired, rest_old, rest_new = pair_up(
        (old[k] for k in old if k not in new),
        (new[k] for k in new if k not in old),
        lambda a, b: max(jaccard(_applies(a), _applies(b)), jaccard(a.evidence, b.evidence)),
        0.5,
    )
    out: list[Finding] = []
    for a, b in same + paired:
        if a.value == b.value:
            continue
        da, db = _retention_days(a), _retention_days(b)
        if da is not None and db is not None and da != db:
            sev = "high" if db > da else "low"
            how = "lengthened" if db > da else "shortened"
        else:
            sev, how = "medium", "changed"
        what = (_applies(b) or _applies(a)).strip()
        item = str((b.detail or {}).get("item") or (a.detail or {}).get("item") or what)
        subject = ""
        if what and len(what) < 60:
            subject = f" {what}" if _PREPOSITION.match(what) else f" for {what}"
        out.append(
            finding(
                "retention_changed", b.key, a.value, b.value, sev,
                f"Retention{subject} changed from '{a.value}' to '{b.value}' ({how})",
                a.evidence, b.evidence,
                {"applies_to": what, "direction": how, "item": item, "old": a.value,
                 "new": b.value, "lengthened": None if how == "changed" else how == "lengthened"},
            )
        )  # fmt: skip
    for b in rest_new:
        what = b.detail.get("applies_to")
        out.append(
            finding("retention_added", b.key, None, b.value, "medium",
                    f"New retention period: {b.value}" + (f" ({shorten(what, 60)})" if what else ""),
                    None, b.evidence, {"applies_to": what})
        )  # fmt: skip
    for a in rest_old:
        what = a.detail.get("applies_to")
        out.append(
            finding("retention_removed", a.key, a.value, None, "medium",
                    f"Retention statement removed: {a.value}" + (f" ({shorten(what, 60)})" if what else ""),
                    a.evidence, None, {"applies_to": what})
        )  # fmt: skip
    return out
