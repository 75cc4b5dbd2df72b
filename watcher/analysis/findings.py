"""Compare two versions: facts and text -> findings, classification, summary (pure).

`analyze(old_text, new_text, old_facts, new_facts)` matches facts by (kind, key) and compares
values, so a fact whose sentence merely moved yields nothing. Text is compared after noise
normalization (see `diff.normalize_line`): identical after normalization -> changed False,
classification "none", no findings. Layout-only changes (list markers, indentation, heading
levels, re-wrapping, case) -> classification "cosmetic" with one info text_changed finding.

text_changed: `old` = number of words removed, `new` = number of words added (moved text
cancels out); the evidence holds a short excerpt of the first removed / added words.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import date
from difflib import SequenceMatcher
from functools import lru_cache
from typing import Any

from watcher.analysis.diff import hunks as _hunks
from watcher.analysis.diff import layout_key, normalize_line
from watcher.models import SEVERITY_RANK, Analysis, Fact, Finding

_SENSITIVE_KINDS = {"health", "special_categories", "biometric", "genetic", "children", "criminal"}


# --------------------------------------------------------------------------- helpers


def _fmt_date(iso: Any) -> str:
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


def _label(key: str) -> str:
    return key.split("~")[0].replace("_", " ")


def _cap(s: str) -> str:
    return s[:1].upper() + s[1:]


def _short(s: Any, n: int = 60) -> str:
    s = " ".join(str(s).split())
    return s if len(s) <= n else s[: n - 1].rstrip() + "\u2026"


_MD_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|>])")


def _heading(v: Any) -> str:
    """A heading as a reader sees it (Markdown escapes such as "10\\." dropped)."""
    return _MD_ESCAPE.sub(r"\1", str(v))


# Reader's names of the date keys of facts/dates.py (labels as written may be in any language:
# "gelten ab", "s'applique à partir du", "took effect"...).
_DATE_NAMES = {
    "last_updated": "last updated date",
    "last_modified": "last modified date",
    "last_revised": "last revised date",
    "last_reviewed": "last reviewed date",
    "effective": "effective date",
    "posted": "publication date",
    "version_date": "version date",
}


def _date_name(key: str) -> str:
    base = key.split("~")[0]
    name = _DATE_NAMES.get(base)
    if name is None:
        name = _label(base)
        if not name.endswith(" date"):
            name += " date"
    return name


# Places written with "the" ("the United States", "the EEA").
_THE_PLACE = re.compile(
    r"^(?:United |European |Netherlands$|Philippines$|Czech Republic$|EEA$|EU$|UK$|US$|USA$)"
)


def _place(v: str) -> str:
    return f"the {v}" if _THE_PLACE.match(v) else v


def _region(key: str, value: str) -> str:
    """The region of an "outside:" / "not_outside:" location fact ("the EEA", "your country")."""
    r = re.sub(r"^(?:Outside|Kept within)\s+(?:the\s+)?", "", str(value)).strip()
    if not r:
        r = key.split(":", 1)[-1].upper()
    return r if r.lower().startswith("your ") else _place(r)


def _location_phrase(f: Fact, added: bool) -> str:
    k, v = f.key, str(f.value)
    now = "Now says" if added else "No longer says"
    if k.startswith("not_outside:"):
        return f"{now} data stays within {_region(k, v)}"
    if k.startswith("outside:"):
        return f"{now} data may be transferred outside {_region(k, v)}"
    if added:
        return f"Now mentions data stored in or sent to {_place(v)}"
    return f"No longer mentions data going to {_place(v)}"


_MECHANISM_NAMES = {
    "adequacy": "an adequacy decision",
    "scc": "Standard Contractual Clauses",
    "bcr": "Binding Corporate Rules",
}


def _mechanism(f: Fact) -> str:
    v = str(f.value)
    name = _MECHANISM_NAMES.get(f.key)
    if name:
        return name
    return f"the {v}" if re.match(r"(?:EU|UK|Swiss|US)\b", v) else v


_IDENTIFIER_NAMES = {
    "company_number": "company number",
    "ico_registration": "ICO registration number",
    "vat": "VAT number",
    "rcs": "RCS number",
    "siren": "SIREN number",
    "ein": "EIN",
    "registration_number": "registration number",
}


def _identifier_name(key: str) -> str:
    base = key.split("~")[0]
    return _IDENTIFIER_NAMES.get(base, _label(base))


_CONTACT_NAMES = {
    "email": "contact e-mail",
    "postal_address": "postal address",
    "phone": "phone number",
}


def _contact_added(f: Fact) -> str:
    t = (f.detail or {}).get("type")
    if t == "dpo" or f.key == "dpo":
        return "Now mentions a Data Protection Officer"
    if t == "representative" or f.key.endswith("_representative"):
        return f"Now names an {f.value}"
    return f"New {_CONTACT_NAMES.get(str(t), 'contact')}: {f.value}"


def _contact_removed(f: Fact) -> str:
    t = (f.detail or {}).get("type")
    if t == "dpo" or f.key == "dpo":
        return "No longer mentions a Data Protection Officer"
    if t == "representative" or f.key.endswith("_representative"):
        return f"No longer names an {f.value}"
    return f"{_cap(_CONTACT_NAMES.get(str(t), 'contact'))} removed: {f.value}"


def _cookie_added(f: Fact) -> str:
    t = (f.detail or {}).get("type")
    if t == "category" or f.key.startswith("category:"):
        return f"Now mentions {f.value}"
    if t == "name" or f.key.startswith("name:"):
        return f"New cookie: {f.value}"
    return f"New tracker: {f.value}"


def _cookie_removed(f: Fact) -> str:
    t = (f.detail or {}).get("type")
    if t == "category" or f.key.startswith("category:"):
        return f"No longer mentions {f.value}"
    if t == "name" or f.key.startswith("name:"):
        return f"Cookie no longer listed: {f.value}"
    return f"Tracker no longer mentioned: {f.value}"


def _excerpt(s: str | None, n: int = 200) -> str | None:
    if s is None:
        return None
    s = re.sub(r"\s+", " ", s).strip()
    return s if len(s) <= n else s[: n - 1] + "\u2026"


def _by_key(facts: list[Fact]) -> dict[str, dict[str, Fact]]:
    out: dict[str, dict[str, Fact]] = {}
    for f in facts:
        out.setdefault(f.kind, {}).setdefault(f.key, f)
    return out


@lru_cache(maxsize=4096)
def _words(s: str) -> frozenset[str]:
    return frozenset(w for w in _ALNUM.findall(s.lower()) if len(w) > 2)


_ALNUM = re.compile(r"[a-z0-9]+")


def _jaccard(a: str, b: str) -> float:
    wa, wb = _words(a), _words(b)
    if not wa or not wb:
        return 0.0
    return len(wa & wb) / len(wa | wb)


def _same_value(kind: str, a: Fact, b: Fact) -> bool:
    if a.value == b.value:
        return True
    if kind in ("party", "section", "cookie", "data_category", "right", "legal_basis", "location"):
        return True  # identity is the key; the value is only how it is written
    return normalize_line(str(a.value)).lower() == normalize_line(str(b.value)).lower()


# --------------------------------------------------------------------------- fact findings


def _f(
    kind: str, field: str, old: Any, new: Any, sev: str, summary: str, eo=None, en=None, detail=None
):
    return Finding(
        kind, field, old, new, sev, summary, _excerpt(eo, 300), _excerpt(en, 300), detail
    )  # type: ignore[arg-type]


def _party_phrase(f: Fact) -> str:
    d = f.detail or {}
    bits = [str(d[k]) for k in ("purpose", "country") if d.get(k)]
    return f"{f.value} ({', '.join(bits)})" if bits else str(f.value)


_ROLE_NAMES = {"advertising": "advertising partner", "analytics": "analytics provider"}


def _party_role(f: Fact) -> str:
    role = str((f.detail or {}).get("role") or "third party").replace("_", " ")
    return _ROLE_NAMES.get(role, role)


def _date_findings(old: dict[str, Fact], new: dict[str, Fact]) -> list[Finding]:
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
        name = _date_name(kn)
        was = f" (previously the {_date_name(ko)})" if _date_name(ko) != name else ""
        out.append(
            _f(
                "date_changed", kn, a.value, b.value, "low",
                f"{_cap(name)} moved from {_fmt_date(a.value)} to {_fmt_date(b.value)}{was}",
                a.evidence, b.evidence,
            )
        )  # fmt: skip
    for k in only_new:
        b = new[k]
        out.append(
            _f(
                "date_added",
                k,
                None,
                b.value,
                "low",
                f"New {_date_name(k)}: {_fmt_date(b.value)}",
                None,
                b.evidence,
            )
        )
    for k in only_old:
        a = old[k]
        out.append(
            _f(
                "date_removed",
                k,
                a.value,
                None,
                "low",
                f"Removed {_date_name(k)} ({_fmt_date(a.value)})",
                a.evidence,
                None,
            )
        )
    return out


_PREPOSITION = re.compile(r"(?:in|on|at|by|from|with|within|after|until|during)\b", re.I)


def _retention_days(f: Fact) -> float | None:
    d = f.detail.get("days") if f.detail else None
    if isinstance(d, int | float):
        return float(d)
    if f.value in ("indefinitely", "until you delete your account"):
        return float("inf")
    return None


def _retention_findings(old: dict[str, Fact], new: dict[str, Fact]) -> list[Finding]:
    out: list[Finding] = []
    pairs = [(old[k], new[k]) for k in old if k in new]
    rest_old = [old[k] for k in old if k not in new]
    rest_new = [new[k] for k in new if k not in old]
    # pair the remaining statements by what they apply to / their sentence
    cand = []
    for i, a in enumerate(rest_old):
        for j, b in enumerate(rest_new):
            score = max(
                _jaccard(str(a.detail.get("applies_to", "")), str(b.detail.get("applies_to", ""))),
                _jaccard(a.evidence, b.evidence),
            )
            if score >= 0.5:
                cand.append((score, i, j))
    used_o: set[int] = set()
    used_n: set[int] = set()
    for _score, i, j in sorted(cand, reverse=True):
        if i in used_o or j in used_n:
            continue
        used_o.add(i)
        used_n.add(j)
        pairs.append((rest_old[i], rest_new[j]))
    for a, b in pairs:
        if a.value == b.value:
            continue
        da, db = _retention_days(a), _retention_days(b)
        if da is not None and db is not None and da != db:
            sev = "high" if db > da else "low"
            how = "lengthened" if db > da else "shortened"
        else:
            sev, how = "medium", "changed"
        what = str(b.detail.get("applies_to") or a.detail.get("applies_to") or "").strip()
        subject = ""
        if what and len(what) < 60:
            subject = f" {what}" if _PREPOSITION.match(what) else f" for {what}"
        out.append(
            _f(
                "retention_changed", b.key, a.value, b.value, sev,
                f"Retention{subject} changed from '{a.value}' to '{b.value}' ({how})",
                a.evidence, b.evidence, {"applies_to": what, "direction": how},
            )
        )  # fmt: skip
    for j, b in enumerate(rest_new):
        if j not in used_n:
            out.append(
                _f("retention_added", b.key, None, b.value, "medium",
                   f"New retention period: {b.value}" + (f" ({_short(b.detail['applies_to'])})" if b.detail.get("applies_to") else ""),
                   None, b.evidence, {"applies_to": b.detail.get("applies_to")})
            )  # fmt: skip
    for i, a in enumerate(rest_old):
        if i not in used_o:
            out.append(
                _f("retention_removed", a.key, a.value, None, "medium",
                   f"Retention statement removed: {a.value}" + (f" ({_short(a.detail['applies_to'])})" if a.detail.get("applies_to") else ""),
                   a.evidence, None, {"applies_to": a.detail.get("applies_to")})
            )  # fmt: skip
    return out


def _simple(
    kind: str, old: dict[str, Fact], new: dict[str, Fact], *, old_text: str, new_text: str
) -> list[Finding]:
    """Added / removed (and value-changed) findings for a keyed fact family."""
    out: list[Finding] = []
    for k, b in new.items():
        if k in old:
            a = old[k]
            if not _same_value(kind, a, b) and kind in ("identifier", "fee", "contact"):
                if kind == "fee":
                    name = "fee"
                elif kind == "identifier":
                    name = _identifier_name(k)
                else:
                    t = str((b.detail or {}).get("type"))
                    name = _CONTACT_NAMES.get(t) or str(
                        b.value if t == "representative" else "contact"
                    )
                out.append(
                    _f(f"{kind}_changed", k, a.value, b.value, "medium" if kind == "fee" else "low",
                       f"{_cap(name)} changed from {a.value} to {b.value}", a.evidence, b.evidence)
                )  # fmt: skip
            continue
        f = _added(kind, b, new_text=new_text, old_text=old_text)
        if f:
            out.append(f)
    for k, a in old.items():
        if k not in new:
            f = _removed(kind, a, new_text=new_text)
            if f:
                out.append(f)
    return out


_CF = re.compile(
    r"\[?email(?:&#160;|\s|\u00a0)protected\]?|__cf_email__|/cdn-cgi/l/email-protection", re.I
)


def _added(kind: str, b: Fact, *, new_text: str, old_text: str) -> Finding | None:
    v, ev, d = b.value, b.evidence, b.detail or {}
    if kind == "party":
        return _f(
            "party_added",
            b.key,
            None,
            v,
            "high",
            f"New {_party_role(b)}: {_party_phrase(b)}",
            None,
            ev,
            dict(d),
        )
    if kind == "contact":
        if d.get("type") == "email" and _CF.search(old_text):
            return None  # the old page hid its e-mail addresses behind Cloudflare obfuscation
        return _f("contact_added", b.key, None, v, "low", _contact_added(b), None, ev)
    if kind == "location":
        return _f("location_added", b.key, None, v, "high", _location_phrase(b, True), None, ev)
    if kind == "transfer_mechanism":
        sev = "high" if b.key == "privacy_shield" else "medium"
        extra = " (invalid since 16 July 2020)" if d.get("invalid") else ""
        return _f(
            "transfer_mechanism_added",
            b.key,
            None,
            v,
            sev,
            f"Transfers now rely on {_mechanism(b)}{extra}",
            None,
            ev,
        )
    if kind == "data_category":
        if d.get("negated"):
            return _f(
                "data_category_added",
                b.key,
                None,
                v,
                "info",
                f"Now states it does not collect {d.get('label', v)}",
                None,
                ev,
                {"negated": True},
            )
        sev = "high" if d.get("sensitive") or b.key in _SENSITIVE_KINDS else "medium"
        return _f(
            "data_category_added", b.key, None, v, sev, f"Newly mentions collecting {v}", None, ev
        )
    if kind == "right":
        return _f("right_added", b.key, None, v, "low", f"New right mentioned: {v}", None, ev)
    if kind == "legal_basis":
        return _f("legal_basis_added", b.key, None, v, "medium", f"New legal basis: {v}", None, ev)
    if kind == "cookie":
        return _f("cookie_added", b.key, None, v, "medium", _cookie_added(b), None, ev)
    if kind == "identifier":
        name = _identifier_name(b.key)
        return _f("identifier_added", b.key, None, v, "info", f"New {name}: {v}", None, ev)
    if kind == "fee":
        return _f("fee_added", b.key, None, v, "medium", f"New fee: {v}", None, ev)
    return None


def _removed(kind: str, a: Fact, *, new_text: str) -> Finding | None:
    v, ev, d = a.value, a.evidence, a.detail or {}
    if kind == "party":
        return _f(
            "party_removed",
            a.key,
            v,
            None,
            "medium",
            f"No longer lists {_party_role(a)}: {_party_phrase(a)}",
            ev,
            None,
            dict(d),
        )
    if kind == "contact":
        if d.get("type") == "email" and _CF.search(new_text):
            return None
        sev = "medium" if a.key in ("dpo", "eu_representative", "uk_representative") else "low"
        return _f("contact_removed", a.key, v, None, sev, _contact_removed(a), ev, None)
    if kind == "location":
        return _f(
            "location_removed",
            a.key,
            v,
            None,
            "medium",
            _location_phrase(a, False),
            ev,
            None,
        )
    if kind == "transfer_mechanism":
        sev = "low" if a.key == "privacy_shield" else "medium"
        return _f(
            "transfer_mechanism_removed",
            a.key,
            v,
            None,
            sev,
            f"Transfers no longer rely on {_mechanism(a)}",
            ev,
            None,
        )
    if kind == "data_category":
        if d.get("negated"):
            return _f(
                "data_category_removed",
                a.key,
                v,
                None,
                "medium",
                f"No longer states it does not collect {d.get('label', v)}",
                ev,
                None,
                {"negated": True},
            )
        return _f(
            "data_category_removed", a.key, v, None, "low", f"No longer mentions {v}", ev, None
        )
    if kind == "right":
        return _f(
            "right_removed", a.key, v, None, "high", f"Right no longer mentioned: {v}", ev, None
        )
    if kind == "legal_basis":
        return _f(
            "legal_basis_removed",
            a.key,
            v,
            None,
            "low",
            f"Legal basis no longer mentioned: {v}",
            ev,
            None,
        )
    if kind == "cookie":
        return _f("cookie_removed", a.key, v, None, "low", _cookie_removed(a), ev, None)
    if kind == "identifier":
        return _f(
            "identifier_removed",
            a.key,
            v,
            None,
            "info",
            f"Removed {_identifier_name(a.key)}: {v}",
            ev,
            None,
        )
    if kind == "fee":
        return _f("fee_removed", a.key, v, None, "low", f"Fee removed: {v}", ev, None)
    return None


# --------------------------------------------------------------------------- sections


def _section_bodies(text: str, secs: list[Fact]) -> dict[str, str]:
    lines = text.splitlines()
    ordered = sorted(secs, key=lambda f: int(f.detail.get("line", 0)))
    out: dict[str, str] = {}
    for i, f in enumerate(ordered):
        start = int(f.detail.get("line", 0)) + 1
        end = (
            int(ordered[i + 1].detail.get("line", len(lines)))
            if i + 1 < len(ordered)
            else len(lines)
        )
        out[f.key] = " ".join(normalize_line(x) for x in lines[start:end])
    return out


# digits and month names: a heading that differs only by them is a date line, not a section
_DATEISH_HEADING = re.compile(
    r"\d+|\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\b|\s+", re.I
)


_DIGIT = re.compile(r"\d")


def _lcs_keys(a: list[str], b: list[str]) -> set[str]:
    sm = SequenceMatcher(None, a, b, autojunk=False)
    keep: set[str] = set()
    for blk in sm.get_matching_blocks():
        keep.update(a[blk.a : blk.a + blk.size])
    return keep


def _section_findings(
    old: list[Fact], new: list[Fact], old_text: str, new_text: str
) -> list[Finding]:
    out: list[Finding] = []
    if not old and not new:
        return out
    ok = {f.key: f for f in old}
    nk = {f.key: f for f in new}
    common_old = [f.key for f in sorted(old, key=lambda f: f.detail.get("index", 0)) if f.key in nk]
    common_new = [f.key for f in sorted(new, key=lambda f: f.detail.get("index", 0)) if f.key in ok]
    stay = _lcs_keys(common_old, common_new)
    for k in common_new:
        if k not in stay:
            a, b = ok[k], nk[k]
            out.append(
                _f("section_moved", k, a.detail.get("index"), b.detail.get("index"), "info",
                   f"Section '{_heading(b.value)}' moved", a.value, b.value)
            )  # fmt: skip
    rem = [f for f in old if f.key not in nk]
    add = [f for f in new if f.key not in ok]
    if rem and add:
        ob = _section_bodies(old_text, old)
        nb = _section_bodies(new_text, new)
        n_old, n_new = max(len(old), 1), max(len(new), 1)
        cand = []
        for i, a in enumerate(rem):
            for j, b in enumerate(add):
                pos = abs(a.detail.get("index", 0) / n_old - b.detail.get("index", 0) / n_new)
                if pos > 0.25:
                    continue  # both rules below need pos <= 0.25 and bs >= 0.5
                ba, bb = ob.get(a.key, ""), nb.get(b.key, "")
                bs = 1.0 if ba == bb else (_jaccard(ba, bb) if ba and bb else 0.0)
                if bs < 0.5:
                    continue
                hs = SequenceMatcher(None, a.key, b.key).ratio()
                if (hs >= 0.5 and bs >= 0.5 and pos <= 0.25) or (
                    bs >= 0.8 and pos <= 0.15 and hs >= 0.2
                ):
                    cand.append((hs + bs, i, j))
        used_o: set[int] = set()
        used_n: set[int] = set()
        for _s, i, j in sorted(cand, reverse=True):
            if i in used_o or j in used_n:
                continue
            used_o.add(i)
            used_n.add(j)
            a, b = rem[i], add[j]
            if (
                _DIGIT.search(a.key)
                and _DIGIT.search(b.key)
                and _DATEISH_HEADING.sub("", a.key) == _DATEISH_HEADING.sub("", b.key)
            ):
                continue  # "Last updated: 3 May 2024" -> "...: 9 June 2025": a date finding says it
            out.append(
                _f("section_renamed", b.key, a.value, b.value, "info",
                   f"Section '{_heading(a.value)}' renamed to '{_heading(b.value)}'", a.value, b.value)
            )  # fmt: skip
        rem = [f for i, f in enumerate(rem) if i not in used_o]
        add = [f for j, f in enumerate(add) if j not in used_n]
    for b in add:
        out.append(
            _f(
                "section_added",
                b.key,
                None,
                b.value,
                "low",
                f"New section: '{_heading(b.value)}'",
                None,
                b.value,
            )
        )
    for a in rem:
        out.append(
            _f(
                "section_removed",
                a.key,
                a.value,
                None,
                "medium",
                f"Section removed: '{_heading(a.value)}'",
                a.value,
                None,
            )
        )
    return out


# --------------------------------------------------------------------------- text


def _norm_lines(text: str) -> list[str]:
    return [x for x in (normalize_line(ln) for ln in text.splitlines()) if x]


def _layout_words(text: str) -> list[str]:
    return layout_key(text)


def _text_finding(hs: list, cosmetic: bool) -> tuple[Finding, int, int]:
    old_words: Counter[str] = Counter()
    new_words: Counter[str] = Counter()
    for h in hs:
        for ln in h.old_lines:
            old_words.update(re.findall(r"\w[\w'-]*", normalize_line(ln).lower()))
        for ln in h.new_lines:
            new_words.update(re.findall(r"\w[\w'-]*", normalize_line(ln).lower()))
    removed = sum((old_words - new_words).values())
    added = sum((new_words - old_words).values())
    ex_old = next((t for h in hs for op, t in h.words if op == "-" and t.strip()), None)
    ex_new = next((t for h in hs for op, t in h.words if op == "+" and t.strip()), None)
    total = added + removed
    if cosmetic:
        sev = "info"
        summary = "Formatting-only changes (layout, list markers or heading levels)"
    else:
        sev = "info" if total <= 3 else "low" if total < 40 else "medium" if total < 400 else "high"
        summary = f"Text changed: {added} word{'' if added == 1 else 's'} added, {removed} removed"
    f = _f("text_changed", "text", removed, added, sev, summary, ex_old, ex_new, {"hunks": len(hs)})
    return f, added, removed


def _typo_only(hs: list) -> bool:
    """Every change is a small edit inside a word (spelling fix), at most a few words."""
    n = 0
    for h in hs:
        ops = [w for w in h.words if w[0] != "="]
        i = 0
        while i < len(ops):
            op, t = ops[i]
            if op == "-" and i + 1 < len(ops) and ops[i + 1][0] == "+":
                a, b = t.strip(), ops[i + 1][1].strip()
                if len(a.split()) > 1 or len(b.split()) > 1:
                    return False
                if SequenceMatcher(None, a.lower(), b.lower()).ratio() < 0.7:
                    return False
                n += 1
                i += 2
                continue
            if t.strip() and re.search(r"\w", t):
                return False
            i += 1
    return n <= 3


# --------------------------------------------------------------------------- public API


def analyze(
    old_text: str,
    new_text: str,
    old_facts: list[Fact],
    new_facts: list[Fact],
    *,
    title: str | None = None,
) -> Analysis:
    """Compare two versions. Findings are sorted most severe first."""
    if old_text == new_text or _norm_lines(old_text) == _norm_lines(new_text):
        return Analysis(False, "none", "no change", [], [])
    hs = _hunks(old_text, new_text)
    if not hs:
        return Analysis(False, "none", "no change", [], [])
    cosmetic_layout = _layout_words(old_text) == _layout_words(new_text)
    findings: list[Finding] = []
    if not cosmetic_layout:
        o, n = _by_key(old_facts), _by_key(new_facts)
        kinds = sorted(set(o) | set(n))
        for kind in kinds:
            a, b = o.get(kind, {}), n.get(kind, {})
            if kind == "date":
                findings += _date_findings(a, b)
            elif kind == "retention":
                findings += _retention_findings(a, b)
            elif kind == "section":
                findings += _section_findings(
                    [f for f in old_facts if f.kind == "section"],
                    [f for f in new_facts if f.kind == "section"],
                    old_text,
                    new_text,
                )
            else:
                findings += _simple(kind, a, b, old_text=old_text, new_text=new_text)
    tf, added, removed = _text_finding(hs, cosmetic_layout)
    findings.append(tf)
    order = {
        k: i
        for i, k in enumerate(
            ("party", "transfer", "location", "data_category", "retention", "right")
        )
    }
    findings.sort(
        key=lambda f: (
            -SEVERITY_RANK.get(f.severity, 0),
            f.kind == "text_changed",
            min((v for k, v in order.items() if f.kind.startswith(k)), default=99),
        )
    )
    # classification
    facts_found = [f for f in findings if f.kind != "text_changed"]
    if cosmetic_layout or (
        all(
            f.kind.startswith("date_") or f.kind in ("section_moved", "section_renamed")
            for f in facts_found
        )
        and (_only_date_lines(hs, old_facts, new_facts) or _typo_only(hs))
        and not any(f.kind in ("section_moved", "section_renamed") for f in facts_found)
    ):
        cls = "cosmetic"
    elif any(SEVERITY_RANK.get(f.severity, 0) >= 2 for f in facts_found) or added + removed >= 100:
        cls = "substantive"
    else:
        cls = "minor"
    lead = findings[0]
    if lead.kind == "text_changed" and facts_found:
        lead = facts_found[0]
    others = len(facts_found) - (1 if lead is not tf else 0)
    summary = (
        lead.summary[:1].lower() + lead.summary[1:]
        if lead.summary[:2] != lead.summary[:2].upper()
        else lead.summary
    )
    if others > 0:
        summary += f", +{others} more"
    if lead is not tf and not facts_found:
        summary = tf.summary
    return Analysis(True, cls, summary, findings, hs, added, removed)  # type: ignore[arg-type]


def _only_date_lines(hs: list, old_facts: list[Fact], new_facts: list[Fact]) -> bool:
    """Every changed line carries a date fact's evidence (a pure "last updated" bump)."""
    evs = [
        normalize_line(f.evidence).lower()
        for f in old_facts + new_facts
        if f.kind == "date" and f.evidence
    ]
    if not evs:
        return False
    for h in hs:
        for ln in h.old_lines + h.new_lines:
            n = normalize_line(ln).lower()
            if n and not any(e and (e in n or n in e) for e in evs):
                return False
    return True


_LINT_PATTERNS: tuple[tuple[str, str, str, re.Pattern[str]], ...] = (
    ("dpa_1998", "medium", "Cites the UK Data Protection Act 1998, replaced by the Data Protection Act 2018",
     re.compile(r"Data Protection Act,?\s*(?:\()?1998", re.I)),
    ("data_protection_directive", "low", "Cites the EU Data Protection Directive 95/46/EC, repealed by the GDPR in 2018",
     re.compile(r"\b95/46/EC\b|Data Protection Directive", re.I)),
)  # fmt: skip
_DATE_REF = re.compile(
    r"date (?:at|on) the top of this (?:page|policy|document)|\blast updated\"? date (?:above|below|at the top|on this page)|"
    r"date (?:shown|indicated|stated|noted) (?:above|at the top)|(?:effective|revision) date above",
    re.I,
)


def lint(text: str, facts: list[Fact]) -> list[Finding]:
    """Issues of a single version (kind "lint"): outdated legal references, dangling date
    references and GDPR Art. 13 items the policy does not seem to state."""
    out: list[Finding] = []
    by = _by_key(facts)

    def sentence_of(m: re.Match[str]) -> str:
        a = max(text.rfind("\n", 0, m.start()), 0)
        b = text.find("\n", m.end())
        return text[a : b if b != -1 else len(text)].strip()

    ps = by.get("transfer_mechanism", {}).get("privacy_shield")
    if ps is None:
        m = re.search(r"\bPrivacy[- ]Shield\b", text, re.I)
        ev = sentence_of(m) if m else None
    else:
        ev = ps.evidence
    if ev is not None and not re.search(
        r"invalidat|no longer (?:valid|rely)|struck down|Schrems", ev, re.I
    ):
        out.append(
            _f("lint", "privacy_shield", None, "EU-US Privacy Shield", "high",
               "Relies on the EU-US Privacy Shield, invalidated by the CJEU on 16 July 2020 (Schrems II)",
               None, ev)
        )  # fmt: skip
    for field, sev, msg, rx in _LINT_PATTERNS:
        m = rx.search(text)
        if m:
            out.append(_f("lint", field, None, m.group(0), sev, msg, None, sentence_of(m)))
    m = _DATE_REF.search(text)
    if m and not by.get("date"):
        out.append(
            _f("lint", "missing_date", None, m.group(0), "medium",
               "Refers to a date at the top of the page, but no date is stated", None, sentence_of(m))
        )  # fmt: skip
    contacts = by.get("contact", {})
    if not any(k not in ("dpo",) and not k.endswith("_representative") for k in contacts):
        out.append(
            _f(
                "lint",
                "controller_contact",
                None,
                None,
                "medium",
                "No contact details (e-mail, postal address or phone) for the controller",
                None,
                None,
            )
        )
    if "dpo" not in contacts:
        out.append(
            _f(
                "lint",
                "dpo",
                None,
                None,
                "info",
                "No Data Protection Officer contact mentioned (GDPR Art. 13(1)(b), where one is required)",
                None,
                None,
            )
        )
    if not by.get("retention"):
        out.append(
            _f(
                "lint",
                "retention",
                None,
                None,
                "low",
                "No retention period stated (GDPR Art. 13(2)(a))",
                None,
                None,
            )
        )
    if "complaint" not in by.get("right", {}):
        out.append(
            _f(
                "lint",
                "complaint_right",
                None,
                None,
                "low",
                "Does not mention the right to complain to a supervisory authority (GDPR Art. 13(2)(d))",
                None,
                None,
            )
        )
    out.sort(key=lambda f: -SEVERITY_RANK.get(f.severity, 0))
    return out
