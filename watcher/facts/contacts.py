"""Contact facts (kind "contact"): e-mail addresses, DPO / representatives, postal addresses,
phone numbers.

Keys: the lower-case e-mail address; "dpo", "eu_representative", "uk_representative",
"swiss_representative"; "address:<normalized words>"; "phone:<digits>".
"""

from __future__ import annotations

import re

from watcher.facts.base import Compare, FirstFacts, cap, finding, keyed
from watcher.facts.doc import doc, remember, slug, unit_memo
from watcher.models import Fact, Finding

_EMAIL = re.compile(
    r"(?<![\w.+-])[A-Za-z0-9][A-Za-z0-9._%+-]*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"
)
# Top-level domains an address glued to the next word may really end with ("...comor")
_TLDS = frozenset(
    re.findall(
        r"\w+",
        "com net org edu gov mil int info biz io ai co app dev me eu uk us de fr es it nl be ch at se "
        "no dk fi pt pl ie ca au nz jp cn in br mx ru tv cc ly gg je lu li mc "
        # long endings that are domains, not glued words
        "company solutions email online cloud tech systems digital agency global group network "
        "services software support media studio store shop site website world center legal finance "
        "health games law",
    )
)
# words that follow an address in a sentence (English, French, German, Spanish, Italian, ...)
_GLUED_WORDS = frozenset(
    re.findall(
        r"\w+",
        "or and to for if with by at in on or as et ou pour avec par en und oder bzw an mit per y o e "
        "a para con da di of",
    )
)


def _may_be_glued(addr: str) -> bool:
    """Whether `_unglue` may look at the text for `addr` (its last label is no known ending)."""
    low = addr.rpartition(".")[2].lower()
    return not (low in _TLDS or len(low) <= 3)


def _unglue(addr: str, text: str) -> str:
    """`addr` ended at the element/token boundary: "privacy@example.comor" -> "...com" when the
    last label is a known domain ending glued to a following word (or the shorter address is
    written elsewhere in the text)."""
    if not _may_be_glued(addr):
        return addr
    host, _, tld = addr.rpartition(".")
    low = tld.lower()
    for n in range(len(low) - 1, 1, -1):
        head, rest = low[:n], low[n:]
        if head not in _TLDS and not (n == 2 and head.isalpha()):
            continue
        short = f"{host}.{tld[:n]}"
        if rest in _GLUED_WORDS or re.search(re.escape(short) + r"(?![\w.-]*\w)", text):
            return short
    return addr


_DPO = re.compile(r"\b(data protection officer|DPO)\b", re.I)
_REP = re.compile(
    r"\b(?:(EU|EEA|European Union|UK|United Kingdom|Swiss|Switzerland)\s+(?:GDPR\s+)?"
    r"(?:data protection\s+)?representative"
    r"|representative\s+(?:in|for)\s+the\s+(EU|EEA|European Union|UK|United Kingdom)"
    r"|representative in (Switzerland))",
    re.I,
)
_REP_ART27 = re.compile(r"\bArt(?:icle|\.)?\s*27\b", re.I)
_PHONE = re.compile(
    r"(?<![\w/+-])(?:\+\d{1,3}[\s.-]?(?:\(0\))?[\s.-]?\(?\d{1,4}\)?(?:[\s.-]?\d{2,4}){2,4}"
    r"|\(?0\d{2,4}\)?[\s.-]?\d{3,4}[\s.-]?\d{3,4}"
    r"|\(?\d{3}\)?[\s.-]\d{3}[\s.-]\d{4}"
    r"|1[\s.-]?8\d\d[\s.-]?\d{3}[\s.-]?\d{4})(?![\w/-])"
)
_PHONE_CUE = re.compile(r"\b(phone|telephone|tel|call|mobile|fax|hotline|toll[- ]free)\b", re.I)
_NOT_PHONE = re.compile(
    r"\b(company|registration|registered|reg\.?|vat|siren|siret|rcs|ein|ico|no\.?|number)\s*[:#*]?\s*$",
    re.I,
)
_DATEISH = re.compile(r"^\d{4}[-./]\d{1,2}[-./]\d{1,2}$|^\d{1,2}[-./]\d{1,2}[-./]\d{2,4}$")

_UK_POST = r"[A-Z]{1,2}\d[A-Z\d]?\s?\d[A-Z]{2}"
_US_ZIP = r"(?:[A-Z]{2},?|[A-Z][a-z]+)\s+\d{5}(?:-\d{4})?"  # "CA 94114", "CA, 94114"
# a postcode then a town; neither "94114 Copyright" nor "Copyright 2022 Bloomer" is one
_EU_POST = (
    r"(?<!Copyright )(?<!\u00a9 )(?:[A-Z]{1,2}-)?\d{4,5}\s+"
    r"(?!(?:Copyright|All|Tel|Phone|Fax|Email|Registered|Company|VAT)\b)"
    r"[A-Z][a-zé\u00e0-\u00ff]+"
)
_STREET = (
    r"(?:street|st\.?|road|rd\.?|avenue|ave\.?|boulevard|blvd\.?|lane|drive|way|place|square|"
    r"court|suite|floor|building|house|rue|quai|strasse|straße|str\.|weg|platz|calle|via|"
    r"parkway|plaza|row|terrace|wharf|quay|gate|hill|park|centre|center)"
)
_POSTCODE = re.compile(r"\b(?:" + _UK_POST + "|" + _US_ZIP + "|" + _EU_POST + r")\b")
_POSTCODE_CORE = re.compile(r"\d(?:\d{3}|[A-Z]{2})")
_STREET_RX = re.compile(r"\b" + _STREET + r"\b", re.I)
_STREET_ANY = re.compile(_STREET, re.I)
_ADDRESS_CUE = re.compile(
    r"\b(address|office|located at|headquarter|write to|mail to|post)\b", re.I
)
_STREET_NO = re.compile(r"\b\d{1,5}[A-Za-z]?,?\s+(?=[A-Z]|rue|via|calle|avenue)")
_YEAR = re.compile(r"(19|20)\d\d\b")
_LEAD = re.compile(r"^.*\b(?:at|is|to|in|of)\s+(?=[A-Z0-9])")
_TAIL = re.compile(r",?\s*(?:[A-Z][A-Za-z]+\s?){1,3}")
_TAIL_COUNTRY = re.compile(
    r",?\s*(United|France|Germany|Ireland|USA|UK|England|Netherlands|Spain|Italy|Belgium|"
    r"Luxembourg|Sweden|Switzerland|Canada|Australia)"
)
_NO_DPO = re.compile(r"\b(no|not|without)\b[^.]{0,30}\b(DPO|data protection officer)", re.I)
_REPRESENTATIVE = re.compile(r"representative", re.I)
_DIGITS3 = re.compile(r"\d{3}")
_NON_DIGIT = re.compile(r"\D")
_YEAR_THEN = re.compile(r"(19|20)\d{2}\D+\d+")
_DIGIT_CHARS = tuple("0123456789")


def _addresses(sentence: str) -> list[str]:
    out: list[str] = []
    # postal codes are rare and cheaper to find than a street (a digit then 3 more or two
    # capitals is in every postal code: a quick test first)
    codes = list(_POSTCODE.finditer(sentence)) if _POSTCODE_CORE.search(sentence) else []
    if not codes or (not _STREET_RX.search(sentence) and not _ADDRESS_CUE.search(sentence)):
        return out
    for m in codes:
        window_start = max(0, m.start() - 90)
        window = sentence[window_start : m.start()]
        # the street number: the first "12 Something" / "12, rue" in the window
        num = None
        for n in _STREET_NO.finditer(window):
            if not _YEAR.match(n.group(0)):
                num = n
                break
        if num is not None:
            a = window[num.start() :] + m.group(0)
        else:
            parts = [p for p in window.split(",")]
            a = ",".join(parts[-3:]) + m.group(0)
            a = _LEAD.sub("", a.strip())
        tail = _TAIL.match(sentence, m.end())
        if tail and _TAIL_COUNTRY.match(tail.group(0)):
            a += tail.group(0)
        a = a.strip(" ,.;()")
        if len(a.split()) < 3 or "," not in a and not _STREET_ANY.search(a):
            continue
        out.append(a)
    return out


_Add = tuple[str, str, str]  # (key, value, type)


def extract(text: str, language: str | None = None) -> list[Fact]:
    found = FirstFacts()
    d = doc(text)
    units = d.units
    # units where each pattern may match (exact literal prefilters): the others give nothing;
    # postal codes and phone numbers need a digit
    where = [d.candidates(rx) for rx in (_EMAIL, _DPO, _REP, _REPRESENTATIVE)]
    where.append(d.having(_DIGIT_CHARS, icase=False))
    # What a unit gives depends on its text alone (but for a glued e-mail address, see
    # `_read`): the versions of a pair share it through the unit memo.
    memo = unit_memo("contacts")
    for i in d.among(where):
        s = units[i].text
        adds = memo.get(s)
        if adds is None:
            adds, own = _read(s, text, *(i in w for w in where))
            if own:
                remember(memo, s, adds)
        for key, value, typ in adds:
            found.add("contact", key, value, s, type=typ)
    return found.facts


def _read(
    s: str, text: str, email: bool, dpo: bool, rep: bool, art: bool, digit: bool
) -> tuple[list[_Add], bool]:
    """The contacts unit `s` gives, in order, and whether they depend on `s` alone (not when
    an e-mail address may be glued to the next word: `_unglue` looks at the whole text). The
    flags say which patterns the prefilter lets match (it is exact: the answer is the same)."""
    out: list[_Add] = []
    own = True
    if email:
        for m in _EMAIL.finditer(s):
            addr = m.group(0).rstrip(".")
            own = own and not _may_be_glued(addr)
            addr = _unglue(addr, text)
            out.append((addr.lower(), addr, "email"))
    if dpo and _DPO.search(s) and not _NO_DPO.search(s):
        out.append(("dpo", "Data Protection Officer", "dpo"))
    if rep:
        for m in _REP.finditer(s):
            region = (m.group(1) or m.group(2) or m.group(3) or "").lower()
            if region in ("eu", "eea", "european union"):
                out.append(("eu_representative", "EU representative", "representative"))
            elif region in ("uk", "united kingdom"):
                out.append(("uk_representative", "UK representative", "representative"))
            else:
                out.append(("swiss_representative", "Swiss representative", "representative"))
    if art and _REP_ART27.search(s) and _REPRESENTATIVE.search(s):
        out.append(("eu_representative", "EU representative", "representative"))
    if not digit:
        return out, own
    for a in _addresses(s):
        key = "address:" + " ".join(sorted(set(slug(a).split())))
        out.append((key, a, "postal_address"))
    if _DIGITS3.search(s):
        for m in _PHONE.finditer(s):
            num = m.group(0).strip()
            digits = _NON_DIGIT.sub("", num)
            if not 9 <= len(digits) <= 15:
                continue
            if _DATEISH.match(num) or _YEAR_THEN.fullmatch(num):
                continue
            before = s[max(0, m.start() - 30) : m.start()]
            if _NOT_PHONE.search(before):
                continue
            if not num.startswith("+") and not _PHONE_CUE.search(s):
                continue
            out.append(("phone:" + digits, num, "phone"))
    return out, own


# --------------------------------------------------------------------------- findings

KINDS = ("contact",)

_CONTACT_NAMES = {
    "email": "contact e-mail",
    "postal_address": "postal address",
    "phone": "phone number",
}
# the page hid its e-mail addresses behind Cloudflare obfuscation
_CF = re.compile(
    r"\[?email(?:&#160;|\s|\u00a0)protected\]?|__cf_email__|/cdn-cgi/l/email-protection", re.I
)


def _added(f: Fact, ctx: Compare) -> Finding | None:
    t = (f.detail or {}).get("type")
    if t == "email" and _CF.search(ctx.old_text):
        return None  # the old page hid its addresses: not new
    if t == "dpo" or f.key == "dpo":
        s = "Now mentions a Data Protection Officer"
    elif t == "representative" or f.key.endswith("_representative"):
        s = f"Now names an {f.value}"
    else:
        s = f"New {_CONTACT_NAMES.get(str(t), 'contact')}: {f.value}"
    return finding("contact_added", f.key, None, f.value, "low", s, None, f.evidence)


def _removed(f: Fact, ctx: Compare) -> Finding | None:
    t = (f.detail or {}).get("type")
    if t == "email" and _CF.search(ctx.new_text):
        return None
    if t == "dpo" or f.key == "dpo":
        s = "No longer mentions a Data Protection Officer"
    elif t == "representative" or f.key.endswith("_representative"):
        s = f"No longer names an {f.value}"
    else:
        s = f"{cap(_CONTACT_NAMES.get(str(t), 'contact'))} removed: {f.value}"
    sev = "medium" if f.key in ("dpo", "eu_representative", "uk_representative") else "low"
    return finding("contact_removed", f.key, f.value, None, sev, s, f.evidence, None)


def _changed(a: Fact, b: Fact) -> Finding:
    t = str((b.detail or {}).get("type"))
    name = _CONTACT_NAMES.get(t) or str(b.value if t == "representative" else "contact")
    return finding(
        "contact_changed", b.key, a.value, b.value, "low",
        f"{cap(name)} changed from {a.value} to {b.value}", a.evidence, b.evidence,
    )  # fmt: skip


def compare(kind: str, old: dict[str, Fact], new: dict[str, Fact], ctx: Compare) -> list[Finding]:
    """contact_added / contact_removed / contact_changed."""
    return keyed(
        kind,
        old,
        new,
        added=lambda f: _added(f, ctx),
        removed=lambda f: _removed(f, ctx),
        changed=_changed,
    )
