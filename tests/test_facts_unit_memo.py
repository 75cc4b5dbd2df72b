"""The per-unit memos of dates, retention, places and sections: the facts of a version are the
same whether it is read cold, right after another version of the page (which shares units
with it, in another context) or after an unrelated page; and the faster regexes those families
use match exactly like the plain ones they replace."""

from __future__ import annotations

import re

import pytest

from watcher import facts as F
from watcher.facts import dates, doc, places, retention, sections
from watcher.facts.prefilter import trie_pattern


def _dump(facts: list) -> list[dict]:
    return [f.to_dict() for f in facts]


# Pairs of versions sharing units whose meaning depends on what surrounds them.
_PAIRS = {
    "dates": (
        # a date line after a label-only block in one version, alone in the other
        "# Privacy\n\nLast updated:\n\n3 May 2024\n\nWe use cookies.\n",
        "# Privacy\n\nWe use cookies.\n\n3 May 2024\n\nVersion history\n\n"
        "- Effective 01/02/2023\n- Effective 05/06/2024\n",
    ),
    "retention": (
        # a table row under a retention header in one version, under another header in the next
        "## How long we keep data\n\n| Data | Period |\n|---|---|\n| Account data | 5 years |\n"
        "\nWe retain logs for 30 days.\n",
        "## Who we are\n\n| Data | Purpose |\n|---|---|\n| Account data | 5 years |\n"
        "\nWe retain logs for 30 days. We retain logs for 30 days.\n",
    ),
    "places": (
        # the same words as a table row (a place cell) and as a sentence
        "| Vendor | Country |\n|---|---|\n| Acme | Germany / France |\n\n"
        "Our servers are located in Germany.\n",
        "Acme | Germany / France\n\nOur servers are located in Germany. We store data outside "
        "the EEA.\n\nWe store your data securely.\n",
    ),
    "sections": (
        # a title-like line is a heading only in a document without "#" headings
        "Introduction\n\nThis policy explains in some detail what we do with data.\n\n"
        "1. Sharing\n\nWe share data with processors that help us run the service.\n",
        "# Policy\n\nIntroduction\n\nThis policy explains in some detail what we do with data.\n"
        "\n1. Sharing\n\nWe share data with processors that help us run the service.\n",
    ),
}
_FAMILIES = {"dates": dates, "retention": retention, "places": places, "sections": sections}


@pytest.mark.parametrize("name", sorted(_PAIRS))
@pytest.mark.parametrize("language", [None, "en", "fr"])
def test_facts_do_not_depend_on_what_was_read_before(name: str, language: str | None) -> None:
    fam = _FAMILIES[name]
    a, b = _PAIRS[name]
    cold = {}
    for t in (a, b):
        F.clear_caches()
        cold[t] = _dump(fam.extract(t, language))
    assert cold[a] != cold[b]  # the pair does exercise context
    for first, second in ((a, b), (b, a), (b, b)):
        F.clear_caches()
        F.extract_facts(first, language)
        assert _dump(fam.extract(second, language)) == cold[second]
    F.clear_caches()
    F.extract_facts(a, "de")  # another language: other patterns
    assert _dump(fam.extract(a, language)) == cold[a]


def test_units_do_not_depend_on_what_was_read_before() -> None:
    # the per-line memo of `units`: a line gives the same units cold and after other texts
    # holding it at another place, in another kind of block
    texts = [
        "# Title\n\nWe collect data. We share it, e.g. with Acme Inc. for hosting.\n"
        "  - An item. Two sentences!\n| a | b |\n|---|---|\n| x | y |\nA\tB\tC\n",
        "We collect data. We share it, e.g. with Acme Inc. for hosting.\n# Title\n\n"
        "| x | y |\n- An item. Two sentences!\n" + "Long line. " * 500 + "\n",
        "",
    ]
    cold = {}
    for t in texts:
        F.clear_caches()
        cold[t] = doc.units(t)
    for first in texts:
        for second in texts:
            F.clear_caches()
            doc.units(first)
            doc.units.cache_clear()  # (the per-line memo stays)
            assert doc.units(second) == cold[second]
    assert [u.kind for u in cold[texts[0]]] == ["heading"] + ["para"] * 2 + ["item"] * 2 + [
        "row"
    ] * 3


def test_place_regex_matches_like_the_plain_trie() -> None:
    plain = re.compile(r"(?<![\w.])(" + trie_pattern(list(places._ALIAS)) + r")(?![\w])")
    samples = [
        "US",
        ".US and aUS, but US-based and U.S. and USA",
        "Data is stored in the Netherlands and Germany; xthe Netherlands is not.",
        "EU, EEA.\nUnited Kingdom\nthe United States of America",
        "Österreich, Éire, Ålborg, Turkey, Türkiye",
    ]
    samples += [f"{p} {q}.{p}" for p in places._ALIAS for q in ("in", "x")]
    for s in samples:
        want = [(m.span(), m.group(1)) for m in plain.finditer(s)]
        assert [(m.span(), m.group(1)) for m in places._PLACE_RE.finditer(s)] == want, s


def test_period_regex_matches_like_the_longest_first_alternation() -> None:
    words = sorted(retention._NUM_WORDS, key=len, reverse=True)
    flat = retention._PERIOD.pattern.replace(
        trie_pattern(list(retention._NUM_WORDS)), "|".join(words)
    )
    assert flat != retention._PERIOD.pattern
    ref = re.compile(flat, re.I)
    samples = [f"for {w} years, {w}-month, {w} (3) jours" for w in words]
    samples += ["twenty-four hours", "twenty four hours", "un an", "deux ans", "dreißig Tage"]
    samples += ["3,5 years", "1.5 months", "one hundred days", "drei Jahre und zwölf Monate"]
    for s in samples:
        want = [(m.span(), m.group("num", "unit")) for m in ref.finditer(s)]
        assert [(m.span(), m.group("num", "unit")) for m in retention._PERIOD.finditer(s)] == want
    # the unit-word pre-check passes wherever a period matches (English and the others)
    samples += [f"{n}{sep}{q}{u}{end}" for n in ("3", "un", "two") for sep in (" ", "-", " \t")
                for q in ("", "calendar ") for u in (*retention._UNIT, "Years", "DAY")
                for end in ("", "s", ".", "s,")]  # fmt: skip
    for lang in (retention._EN, retention._I18N):
        for s in samples:
            if lang.period.search(s):
                assert lang.unit_word.search(s), s
