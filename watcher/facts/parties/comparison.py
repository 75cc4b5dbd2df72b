"""Party findings between two versions: added, removed, renamed (pure).

A party is added only when the old version names it nowhere and removed only when the new one
names it nowhere (whole words, any case, legal form aside; "Facebook Ireland" counts as named
where "Facebook" is, "Google Analytics" where "Google" is). A removal and an addition that the
gazetteer knows as one company's rename give one `party_renamed`. Besides the facts of both
versions, a proper name that appears only in one version, inside a sentence or table row of
that version only, where it is the one data is shared with, transferred to, processed or
hosted by (`diff_parties`), is a party too.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from watcher.facts.base import Compare, finding
from watcher.facts.doc import doc
from watcher.facts.parties.extraction import owners_of
from watcher.facts.parties.forms import common_word, lexicon, not_a_name, trim_name
from watcher.facts.parties.names import (
    folded,
    gazetteer,
    is_country,
    looks_generic,
    memo,
    mentioned,
    norm,
    normalize_name,
    strip_suffix,
)
from watcher.facts.parties.prose import role_from
from watcher.facts.prefilter import trie_pattern
from watcher.models import Fact, Finding

__all__ = ["KINDS", "compare", "diff_parties", "named_in"]

# --------------------------------------------------------------------------- findings

KINDS = ("party",)

_ROLE_NAMES = {"advertising": "advertising partner", "analytics": "analytics provider"}
# Words after a company's name that say where or which part of it: "Meta Platforms Ireland",
# "VeraSafe United Kingdom", "Google International". Without them the name is the same party.
_QUALIFIER = re.compile(
    r"(?:\s+(?:International|Europe|European|EMEA|EU|Global|Worldwide|Holdings?|Group"
    r"|Operations|Services|Ireland|UK|U\.K\.|US|USA|Deutschland|France|España|Italia"
    r"|Nederland|Benelux|Asia|Pacific|APAC|Americas|North America|Latin America))+$"
)


def _party_phrase(f: Fact) -> str:
    d = f.detail or {}
    bits = [str(d[k]) for k in ("purpose", "country") if d.get(k)]
    return f"{f.value} ({', '.join(bits)})" if bits else str(f.value)


def _party_role(f: Fact) -> str:
    role = str((f.detail or {}).get("role") or "third party").replace("_", " ")
    return _ROLE_NAMES.get(role, role)


def _forms_of(f: Fact) -> set[str]:
    """The ways a text may name the party of fact `f`: its name without legal form, that name
    without a trailing country/region qualifier when the rest is a known company, and the
    known company whose product it is (its first word)."""
    base = strip_suffix(str(f.value)).strip(" .,")
    out = {base}
    entries = gazetteer()["entries"]
    core = _QUALIFIER.sub("", base)
    if core and core != base and normalize_name(core) in entries:
        out.add(core)  # "Facebook Ireland" is named where "Facebook" is
    if f.key in entries and " " in base:
        maker = base.split()[0]
        if normalize_name(maker) in entries and normalize_name(maker) != f.key:
            out.add(maker)  # "Google Analytics" is Google's: named where "Google" is
    return {s for s in out if len(s) >= 2}


def named_in(f: Fact, text: str, low: str | None = None, owners: set[str] = frozenset()) -> bool:
    """Whether `text` names the party of `f` anywhere (whole words, any case), as the labels
    of the development data count it: a party is new only if the old version named it nowhere.
    A qualifier-less form that is the owner's name ("Cloudflare" for "Cloudflare Sweden AB")
    does not count: the group company is a party of its own."""
    low = folded(text) if low is None else low
    for form in _forms_of(f):
        if norm(form) in owners and form != strip_suffix(str(f.value)).strip(" .,"):
            continue
        if len(form) <= 3:
            if re.search(rf"(?<![\w.@/]){re.escape(form)}(?!\w)", text):  # "X", "AWS": as written
                return True
            continue
        if mentioned(form, text, low):
            return True
    return False


def compare(kind: str, old: dict[str, Fact], new: dict[str, Fact], ctx: Compare) -> list[Finding]:
    """party_added (high), party_removed (medium) and party_renamed (medium, a rename the
    gazetteer knows: Facebook -> Meta, AppNexus -> Xandr).

    A party counts as added only when the old version names it nowhere (it may have been
    mentioned in a sentence no rule reads as sharing) and as removed only when the new version
    names it nowhere; the policy's owner (from the page title and the text) is never one."""
    old_text, new_text = ctx.old_text, ctx.new_text
    owners = owners_of(new_text) | owners_of(old_text)
    if ctx.title:
        owners |= _title_owners(ctx.title)
    low_old, low_new = folded(old_text), folded(new_text)
    added = [
        b
        for k, b in new.items()
        if k not in old and k not in owners and not named_in(b, old_text, low_old, owners)
    ]
    removed = [
        a
        for k, a in old.items()
        if k not in new and k not in owners and not named_in(a, new_text, low_new, owners)
    ]
    known = set(old) | set(new) | owners
    added += diff_parties(new_text, old_text, known, owners)
    removed += diff_parties(old_text, new_text, known, owners)
    entries = gazetteer()["entries"]
    out: list[Finding] = []
    renamed: set[str] = set()
    for a in removed:
        target = (entries.get(a.key) or {}).get("renamed_to")
        b = next((b for b in added if b.key == target), None)
        if b is not None:
            renamed |= {a.key, b.key}
            out.append(
                finding(
                    "party_renamed", b.key, a.value, b.value, "medium",
                    f"{_party_role(b).capitalize()} renamed: {a.value} is now {b.value}",
                    a.evidence, b.evidence, {**(b.detail or {}), "old_key": a.key},
                )
            )  # fmt: skip
    for b in added:
        if b.key not in renamed:
            out.append(
                finding(
                    "party_added", b.key, None, b.value, "high",
                    f"New {_party_role(b)}: {_party_phrase(b)}", None, b.evidence,
                    dict(b.detail or {}),
                )
            )  # fmt: skip
    for a in removed:
        if a.key not in renamed:
            out.append(
                finding(
                    "party_removed", a.key, a.value, None, "medium",
                    f"No longer lists {_party_role(a)}: {_party_phrase(a)}", a.evidence,
                    None, dict(a.detail or {}),
                )
            )  # fmt: skip
    return out


_TITLE_SPLIT = re.compile(r"\s+[-–—|:·•]\s+|\s*[|:]\s*")
_TITLE_DOC = re.compile(
    r"\b(?:privacy|policy|notice|statement|terms|cookies?|data protection|datenschutz\w*"
    r"|confidentialit\w*|politique|protection des donn\w*|privacidad|privacy policy)\b",
    re.I,
)


def _title_owners(title: str) -> set[str]:
    """Owner keys from a page title: "Privacy Policy | Acme" -> {"acme"}."""
    out = set()
    for part in _TITLE_SPLIT.split(title):
        name = _TITLE_DOC.sub(" ", part)
        name = re.sub(r"['’]s\b", "", name)
        name = " ".join(
            w for w in name.split() if w.lower() not in ("of", "the", "for", "de", "la")
        )
        if name and not looks_generic(name) and len(name.split()) <= 4:
            out.add(normalize_name(name))
    return out


# --------------------------------------------------------------------------- diff-aware names

# A proper name: capitalised words, with lower-case connectors inside ("Centre for Dispute
# Resolution", "Mondial Relay", "L'olivier Assurance", "Userzoom/User Testing" -> "Userzoom").
_PROPER = re.compile(
    r"(?:(?<=\b[dlnjmtscDL][’'])|(?<=\bqu[’'])|(?<![\w@/.'’-]))(?P<n>[A-Z][\w'’&+-]*[\w](?:[ \t]+(?:(?:of|for|de|du|des|la|le|von|van|der|&)"
    r"[ \t]+)?[A-Z][\w'’&+-]*[\w])*)"
)
# Names of laws, authorities and documents, never recipients.
_INSTITUTION = re.compile(
    r"\b(?:Act|Law|Laws|Regulation|Directive|Code|Decree|Framework|Shield|Clauses|Authority"
    r"|Authorities|Commission|Commissioner|Court|Tribunal|Board|Council|Parliament|Ministry"
    r"|Government|Agency|Office|Officer|Policy|Notice|Statement|Terms|Conditions|Agreement"
    r"|Loi|Règlement|Autorité|Gesetz|Verordnung|Behörde|Ley|Reglamento|Autoridad|Legge"
    r"|Regolamento|Garante|Wet|Autoriteit|Lei|Regulamento|Autoridade|CNIL|ICO|EDPB|GDPR|RGPD"
    r"|Process|Standards?|Programm?e?|Scheme|Certification|Principles|Rules|Subjects?|[A-Z]+-[A-Z]+"
    r"|DSGVO|CCPA|CPRA|UK|EU|EEA|USA|US)\b"
)
# matched on the lower-cased sentence (a trie: many cues, every changed sentence)
_SHARE_CUE = re.compile(trie_pattern(sorted({w.lower() for w in lexicon()["share_cues"]})))


_DET = r"(?:(?:the|our|a|an|la|le|les|l'|l’|notre|nos|der|die|das|den|dem|unser\w*|el|los|las|il|lo|gli|de|het|o|a)\s+)?"
_NOUNS = "|".join(re.escape(w) for w in sorted(lexicon()["list_nouns"], key=len, reverse=True))
# What comes right before a recipient's name: "shared with", "transfère à", "provided by",
# "notre partenaire assureur", "the services of"
_ANCHOR_BEFORE = re.compile(
    r"(?i:(?:\b(?:share[sd]?|sharing|disclose[sd]?|disclosing|transfer(?:s|red|ring)?|send|sends|sent"
    r"|provide[sd]?|pass(?:es|ed)?|partag\w*|transf[eè]r\w*|transm\w*|communiqu\w*|übermitt\w*"
    r"|weiterge\w*|compart\w*|comunic\w*|cede\w*|condivid\w*|trasferi\w*|delen|gedeeld"
    r"|compartilh\w*)\b[^.;:|]{0,60}?(?:\b(?:with|to|avec|aux?|mit|con|aan|met)|\bà)"
    r"|\b(?:provided|operated|hosted|processed|handled|managed|powered|supplied|offered|run"
    r"|fourni|fournie|opéré|hébergé|hébergées|traité|traitées|traités|gérée?s?|betrieben"
    r"|bereitgestellt|proporcionado|gestionado|fornito|gestito)\s+(?:by|par|von|durch|por|da|door|pelo|pela)"
    r"|\b(?:via|through|par l'intermédiaire de|über|mediante|tramite)"
    r"|\b(?:between|entre|zwischen) (?:us|ourselves|nous|uns) (?:and|et|und)"
    r"|\b(?:"
    + _NOUNS
    + r"|assureur|insurer|agency|agence|services? (?:of|de|von|di)|solution de paiement"
    r"|payment (?:provider|processor|solution) )(?:\s+[a-zà-ÿ'’-]+){0,2})\s+" + _DET + r")$"
)
# What comes right after one: "X is our processor", "X est le sous-traitant de", "X acts as"
_ANCHOR_AFTER = re.compile(
    r"^\s*(?:\([^)]{0,60}\)\s*)?,?\s*(?i:(?:is|are|est|sont|ist|sind|es|son|è|sono|zijn|é|são)\s+"
    + _DET
    + r"(?:[\w'’-]+\s+){0,3}?(?:"
    + _NOUNS
    + r"|responsables? conjoints?|joint controllers?"
    r"|controller|data controller|assureur|insurer)\b|acts? as|agit en tant que|processes|traite"
    r"|receives|reçoit|verarbeitet|erhält)"
)


@memo(4)  # both directions of `diff_parties` ask it for both texts
def _sentences_of(text: str) -> tuple[str, ...]:
    """Every sentence and table row of `text`, as plain text, headings left out (the shared
    segmentation of `facts.doc`, cached per text)."""
    return tuple(u.text for u in doc(text).units if u.kind != "heading")


def _name_like(name: str, text: str) -> bool:
    """Whether a capitalised phrase has the shape of a company's name, not of a capitalised
    term ("Community Feature", "Rankings", German nouns): a word in capitals ("INTRUM"), an
    inner capital ("AppLovin"), a dot or digit ("Customer.io"), or the name (letters only) in
    one of the text's web or e-mail addresses ("Hyperwallet": pay.hyperwallet.com)."""
    if re.search(r"\b[A-Z]{4,}\b|[a-z][A-Z]|\w\.\w|\d", name):
        return True
    squashed = re.sub(r"[\W_]+", "", name.lower())
    return len(squashed) >= 3 and any(squashed in host for host in _hosts(text))


@memo(4)
def _hosts(text: str) -> frozenset[str]:
    """The host names of the web and e-mail addresses in `text`, lower case, without dots."""
    return frozenset(h.lower().replace(".", "").replace("-", "") for h in _HOST.findall(text))


_HOST = re.compile(r"(?:https?://|www\.|@)([\w.-]+\.[a-z]{2,})", re.I)


def _brand_word(word: str, texts: tuple[str, ...], least: int = 10) -> bool:
    """Whether `word` is written `least`+ times in `texts`: the owner's brand or a word of its
    products' names ("Badoo", "Premium"), not a recipient's."""
    return sum(_capitalised(word, t) for t in texts) >= least


_INNER_CAPITAL = re.compile(r"[a-z][A-Z]")
_DIGIT_AFTER = re.compile(r"\s*\d")
_CAP_WORD = re.compile(r"(?<![\w-])[A-Z][\w'’]*")
_CAP_BEFORE = re.compile(r"[\w-]")
_CAP_AFTER = re.compile(r"[\w'’]")


def _capitalised(word: str, text: str) -> int:
    """How often `word` is written in `text` as a capitalised word: a match of `_CAP_WORD`
    (found with str.find: the word at the start of a run of word characters and quotes,
    to its end; a quote before it may hide an earlier start of the run, then every
    capitalised word of the text is counted once, `_capitalised_words`)."""
    if not _CAP_WORD.fullmatch(word):
        return 0
    n, p = 0, text.find(word)
    while p >= 0:
        e = p + len(word)
        if (p == 0 or not _CAP_BEFORE.match(text, p - 1)) and not _CAP_AFTER.match(text, e):
            if p and text[p - 1] in "'’":
                return _capitalised_words(text).get(word, 0)
            n += 1
        p = text.find(word, p + 1)
    return n


@memo(4)
def _capitalised_words(text: str) -> Counter[str]:
    """How often each capitalised word is written in `text`."""
    return Counter(_CAP_WORD.findall(text))


# At most this many names only one version has are considered per direction: a policy never
# names hundreds of new recipients in changed sentences; past that the text finding speaks.
MAX_DIFF_NAMES = 200


def diff_parties(this_text: str, other_text: str, known: set[str], owners: set[str]) -> list[Fact]:
    """Parties named only in `this_text`: proper names in its sentences that `other_text`
    does not have, when the sentence speaks of sharing, processing, hosting or transfer
    (`lexicon()["share_cues"]`), the name appears nowhere in `other_text` and is not one of
    `known` keys, an owner's name or word, a law, an authority, a place or a generic word."""
    other = set(_sentences_of(other_text))
    low_other = folded(other_text)
    out: dict[str, Fact] = {}
    for s in _sentences_of(this_text):
        if len(out) >= MAX_DIFF_NAMES:
            break
        if s in other or not _SHARE_CUE.search(s.lower()):
            continue
        for m in _PROPER.finditer(s):
            raw = m.group("n").split("/")[0]
            name = trim_name(raw)
            words = name.split()
            while words and words[-1].lower() in lexicon()["stop"]:
                words.pop()
            half = len(words) // 2
            doubled = bool(words) and len(words) % 2 == 0 and words[:half] == words[half:]
            if doubled:
                words = words[:half]  # "AIRSHIP AIRSHIP": a bold title run into its sentence
            name = " ".join(words)
            if not name or len(name) < 3 or (name.isupper() and len(name) <= 4 and " " not in name):
                continue  # too short, or an acronym ("KYC", "NLP", "TIC")
            found = m.group("n").rfind(name) if doubled else m.group("n").find(name)
            start = m.start("n") + found
            before = s[:start].rstrip(" *_")
            sentence_start = not before or before[-1] in ".:;|•-–—(\"“'‘"
            caps = name.isupper() or bool(_INNER_CAPITAL.search(name))
            if sentence_start and not caps:
                continue  # "Nous", "Data": capitalised because the sentence starts there
            if before.endswith(("“", '"', "‘", "'", "(")):
                continue  # a defined term: (“Offers”)
            after = s[start + len(name) :]
            if _DIGIT_AFTER.match(after) or (len(words) > 4 and not caps):
                continue  # "Level 2", an address; a long run of capitalised words
            key = normalize_name(name)
            if (
                key in known
                or any(k.startswith(key + " ") for k in known)  # "Adapty" of "Adapty Tech Inc."
                or key in owners
                or key in out
                or _INSTITUTION.search(name)
                or looks_generic(name)
                or is_country(name)
                or not_a_name(name)
                or (len(words) == 1 and name.lower() in lexicon()["stop"])
            ):
                continue
            # (the filters are independent: the costly ones come last)
            if not (
                _ANCHOR_BEFORE.search(s[max(0, start - 90) : start]) or _ANCHOR_AFTER.match(after)
            ):
                continue  # not where a recipient is named
            entry = gazetteer()["entries"].get(key)
            if entry is not None and entry.get("party") is False:
                continue
            if any(_brand_word(w, (this_text, other_text)) for w in words if len(w) > 2):
                continue
            if entry is None and not _name_like(name, this_text):
                continue  # a known company needs no proof of its shape
            if mentioned(name, other_text, low_other) or common_word(name, this_text):
                continue
            d: dict[str, Any] = {"source": "changed text"}
            role = role_from(s)
            if role:
                d["role"] = role
            out[key] = Fact(kind="party", key=key, value=name, evidence=s[:300], detail=d)
    return list(out.values())
