"""Policy dates: labels, formats, ambiguity and traps (sentences from real policies)."""

from __future__ import annotations

import pytest

from watcher.facts.dates import extract
from watcher.facts.doc import blocks, sentences, table_rows, tables


def dates(text: str, language: str | None = None) -> dict[str, str]:
    return {f.key: f.value for f in extract(text, language)}


@pytest.mark.parametrize(
    ("text", "key", "value"),
    [
        ("Policy last reviewed 10<sup>th</sup> August 2021", "last_reviewed", "2021-08-10"),
        ("Policy last reviewed: 10th August 2021", "last_reviewed", "2021-08-10"),
        ("Last updated May 25, 2018", "last_updated", "2018-05-25"),
        ("Last Updated: Apr 15, 2025", "last_updated", "2025-04-15"),
        ("_Last Updated: Feb 10, 2026_", "last_updated", "2026-02-10"),
        ("Effective date: Mar 18, 2026", "effective", "2026-03-18"),
        ("_Effective 27 May 2025_", "effective", "2025-05-27"),
        ("**Effective Date: January 21, 2026**", "effective", "2026-01-21"),
        ("Effective as of May 7 2025", "effective", "2025-05-07"),
        ("Updated january 22nd, 2023", "last_updated", "2023-01-22"),
        ("Updated: November 4, 2024", "last_updated", "2024-11-04"),
        ("**Last Updated:** 2025-03-10", "last_updated", "2025-03-10"),
        ("**Last Updated:** **July 22, 2026**", "last_updated", "2026-07-22"),
        ("Version: May 12th 2026", "version_date", "2026-05-12"),
        ("Date of last revision: 29 Oct 2025", "last_revised", "2025-10-29"),
        (
            "This privacy policy was last modified January 30th, 2025.",
            "last_modified",
            "2025-01-30",
        ),
        (
            "This version of npm's privacy questions and answers took effect June 3, 2020.",
            "effective",
            "2020-06-03",
        ),
        ("This Privacy Policy is effective from: 8th September 2020", "effective", "2020-09-08"),
        ("Posted on 2023-03-01", "posted", "2023-03-01"),
        ("Dernière mise à jour : 25 mai 2018", "last_updated", "2018-05-25"),
        ("Mis à jour le 1er juin 2023", "last_updated", "2023-06-01"),
        ("En vigueur le 3 février 2022", "effective", "2022-02-03"),
        ("Stand: 1.2.2023", "last_updated", "2023-02-01"),
        (
            "Diese Datenschutzbestimmungen gelten ab 01.02.2026 Bis dahin gilt die bisherige Version.",
            "effective",
            "2026-02-01",
        ),
        ("Zuletzt aktualisiert am 25. Mai 2018", "last_updated", "2018-05-25"),
        ("Última actualización: 15 de marzo de 2024", "last_updated", "2024-03-15"),
        ("Ultimo aggiornamento: 3 aprile 2024", "last_updated", "2024-04-03"),
        ("Laatst bijgewerkt: 12 maart 2024", "last_updated", "2024-03-12"),
        ("| Last updated | 2023-03-01 |", "last_updated", "2023-03-01"),
    ],
)
def test_labelled_dates(text: str, key: str, value: str) -> None:
    assert dates(text) == {key: value}


def test_detail_keeps_label_and_as_written() -> None:
    (f,) = extract("Policy last reviewed 10<sup>th</sup> August 2021")
    assert f.kind == "date"
    assert f.detail["label"] == "last reviewed"
    assert f.detail["as_written"] == "10th August 2021"
    assert f.detail["precision"] == "day"
    assert "10th August 2021" in f.evidence


def test_seed_claro_footer() -> None:
    text = (
        "# Privacy Policy\n\nAt Claro Software, we are committed to safeguarding privacy.\n\n"
        "## Contacting us\n\nIf you have any questions you can contact us.\n\n"
        "Policy last reviewed 10<sup>th</sup> August 2021"
    )
    assert dates(text) == {"last_reviewed": "2021-08-10"}


def test_label_heading_then_date_line() -> None:
    assert dates("# Last updated\n\nMarch 3, 2023\n\nWe collect data.") == {
        "last_updated": "2023-03-03"
    }
    assert dates("Effective Date\nThis Privacy Policy is effective from: 8th September 2020") == {
        "effective": "2020-09-08"
    }


def test_month_only_precision() -> None:
    (f,) = extract("Last updated: June 2023")
    assert f.value == "2023-06"
    assert f.detail["precision"] == "month"


@pytest.mark.parametrize(
    "text",
    [
        "Copyright © 2023 Acme Ltd. All rights reserved.",
        "Call us on 01/02/2023 or +44 20 7946 0958.",
        "We keep logs for 30 days and have been in business since 2015.",
        "The GDPR of 25 May 2018 gives you rights.",
        "The GDPR became effective on 25 May 2018.",
        "Our app version 2.3.1 was released in 2021.",
        "We may update this Privacy Policy from time to time and publish an updated version.",
        "Law No. 2004-575 of June 21, 2004 sets forth the data to retain.",
        "We will update the 'last modified' date at the bottom of this page.",
    ],
)
def test_traps_yield_nothing(text: str) -> None:
    assert extract(text) == []


def test_changed_date_keeps_key() -> None:
    old = dates("Last updated: August 11, 2025\n\nWe collect data.")
    new = dates("Last updated: October 21, 2025\n\nWe collect data.")
    assert old.keys() == new.keys() == {"last_updated"}
    assert (old["last_updated"], new["last_updated"]) == ("2025-08-11", "2025-10-21")


def test_first_date_per_label_wins() -> None:
    text = "_Effective 27 May 2025_\n\n# Terms of Use\n\nEffective as of May 7 2025"
    assert dates(text) == {"effective": "2025-05-27"}


def test_ambiguous_numeric_day_first_by_default() -> None:
    (f,) = extract("Updated: 11/05/2026\n\nWe comply with the GDPR in the European Union.")
    assert f.value == "2026-05-11"
    assert f.detail["ambiguous"] is True
    assert f.detail["order"] == "dmy"


def test_ambiguous_numeric_month_first_on_us_page() -> None:
    text = (
        "**Last Updated: 3/11/2025**\n\nHER is based in the U.S.\n\n"
        "California residents have rights under California law."
    )
    (f,) = extract(text)
    assert f.value == "2025-03-11"
    assert f.detail["ambiguous"] is True
    assert f.detail["order"] == "mdy"


def test_ambiguous_follows_page_style() -> None:
    mdy = "Last updated: 01/02/2023\n\nOur office opened on May 25, 2018."
    dmy = "Last updated: 01/02/2023\n\nOur office opened on 25 May 2018."
    assert dates(mdy) == {"last_updated": "2023-01-02"}
    assert dates(dmy) == {"last_updated": "2023-02-01"}
    # an unambiguous numeric date elsewhere on the page decides too
    assert dates("Last updated: 01/02/2023\n\nPrevious: 13/05/2021") == {
        "last_updated": "2023-02-01"
    }
    assert dates("Last updated: 01/02/2023", "en-US") == {"last_updated": "2023-01-02"}


def test_unambiguous_numeric_needs_no_guess() -> None:
    (f,) = extract("Last updated: 25/05/2018")
    assert f.value == "2018-05-25"
    assert "ambiguous" not in f.detail


def test_invalid_dates_rejected() -> None:
    assert extract("Last updated: February 30, 2023") == []
    assert extract("Last updated: 2023-13-01") == []


def test_last_updated_found_at_the_end_of_large_text() -> None:
    para = "We process personal data for 30 days since 2015 as described in section 4.2.\n"
    text = para * 4000 + "Last updated: May 25, 2018\n"
    assert dates(text) == {"last_updated": "2018-05-25"}  # its speed: scripts/bench_units.py


# --------------------------------------------------------------------------- text helpers


def test_blocks_and_sentences() -> None:
    text = "# Who we are\n\n- We use Stripe, Inc. to take payments. See e.g. our terms.\n| a | b |"
    assert blocks(text) == [
        "# Who we are",
        "- We use Stripe, Inc. to take payments. See e.g. our terms.",
        "| a | b |",
    ]
    assert sentences(text) == [
        "Who we are",
        "We use Stripe, Inc. to take payments.",
        "See e.g. our terms.",
    ]


def test_tables_associate_header() -> None:
    text = (
        "| Name | Purpose | Location |\n| --- | --- | --- |\n"
        "| SendGrid | Email delivery | USA |\n| [Stripe](https://stripe.com) | Payments | USA |\n"
    )
    (t,) = tables(text)
    assert t.header == ["Name", "Purpose", "Location"]
    assert t.records()[0] == {"Name": "SendGrid", "Purpose": "Email delivery", "Location": "USA"}
    assert table_rows(text) == [
        ["SendGrid", "Email delivery", "USA"],
        ["Stripe", "Payments", "USA"],
    ]


def test_tables_empty_ota_header_row_and_tab_rows() -> None:
    ota = "|     |     |\n| --- | --- |\n| **Processor** | **Purpose** |\n| Zendesk, Inc. | Support |\n"
    (t,) = tables(ota)
    assert t.header == ["Processor", "Purpose"]
    assert t.rows == [["Zendesk, Inc.", "Support"]]
    tabbed = (
        "Third Party Name\tData type:\tPurposes:\tData Location\n"
        "------------------\t------------\t-----------\t---------------\n\n"
        "Soutron Documentation\n\n"
        "Amito Ltd\tAll data\tHosting service for the Soutron application\tUK / Germany\n"
        "SendGrid\tEmail address\tProvide email delivery service\tUSA (Privacy Shield Certified)\n"
    )
    (t,) = tables(tabbed)
    assert t.header[0] == "Third Party Name"
    assert [r[0] for r in t.rows] == ["Amito Ltd", "SendGrid"]


# --------------------------------------------------------------------------- fast paths
# The pre-filters of dates.py must never change a result: they are checked here against the
# plain regexes they stand for.

import re  # noqa: E402
import sys  # noqa: E402
from re import _constants as sre_c  # noqa: E402
from re import _parser as sre_parse  # noqa: E402

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from watcher.facts import dates as D  # noqa: E402
from watcher.facts import doc as T  # noqa: E402

_WILD = [chr(c) for c in range(ord("a"), ord("z") + 1)] + ["é", "'"]


def _expand(pattern: str) -> list[str]:
    """Every string a label pattern matches, each \\s+ as one space, "." as any of _WILD."""

    def seq(items) -> list[str]:
        out = [""]
        for op, av in items:
            out = [a + b for a in out for b in node(op, av)]
        return out

    def node(op, av) -> list[str]:
        if op is sre_c.LITERAL:
            return [chr(av)]
        if op is sre_c.ANY:
            return _WILD
        if op is sre_c.AT:
            return [""]
        if op is sre_c.IN:
            res = []
            for iop, iav in av:
                if iop is sre_c.LITERAL:
                    res.append(chr(iav))
                elif iop is sre_c.CATEGORY and iav is sre_c.CATEGORY_SPACE:
                    res.append(" ")
                else:
                    raise AssertionError(f"unsupported class item {iop} {iav}")
            return res
        if op is sre_c.SUBPATTERN:
            return seq(av[-1])
        if op is sre_c.BRANCH:
            return [x for b in av[1] for x in seq(b)]
        if op is sre_c.MAX_REPEAT:
            lo, hi, item = av
            body = seq(item)
            if (lo, hi) == (0, 1):
                return ["", *body]
            assert lo == 1, av
            return body  # \s+ -> one space
        raise AssertionError(f"unsupported regex op {op} {av}")

    return seq(sre_parse.parse(pattern))


def test_label_keywords_and_reach_cover_every_label_spelling() -> None:
    reach: dict[str, int] = {}
    for _key, _strong, alt in D._LABELS:
        for spelling in _expand(alt):
            low = spelling.lower()
            assert D._LABEL.fullmatch(spelling), spelling
            found = False
            for kw in D._KEYWORD_REACH:
                for m in re.finditer(f"(?={re.escape(kw)})", low):
                    found = True
                    reach[kw] = max(reach.get(kw, 0), m.start())
            assert found, f"no keyword in label spelling {spelling!r}"
    assert reach == D._KEYWORD_REACH
    # no keyword is a prefix of another (the keyword scan must see every keyword start)
    for a in D._KEYWORD_REACH:
        assert not any(b != a and b.startswith(a) for b in D._KEYWORD_REACH)


def test_any_digit_is_str_isdigit() -> None:
    bad = [
        i for i in range(sys.maxunicode + 1) if bool(D._ANY_DIGIT.match(chr(i))) != chr(i).isdigit()
    ]
    assert bad == []


def test_fold_finds_every_ignorecase_match_of_ascii_and_e_acute() -> None:
    ascii_cls = re.compile(r"[\x00-\x7f]", re.I)
    e_acute = re.compile("é", re.I)
    for i in range(128, sys.maxunicode + 1):
        c = chr(i)
        assert len(T.fold(c)) == 1 or not (ascii_cls.match(c) or e_acute.match(c))
        if ascii_cls.match(c):
            for a in map(chr, range(128)):
                if re.fullmatch(re.escape(a), c, re.I):
                    assert T.fold(c) == a.lower(), (hex(i), a)
        if e_acute.match(c):
            assert T.fold(c) == "é", hex(i)
    assert len(T.fold("x\u0130y")) == 3


_LABEL_WORDS = [
    "Last updated",
    "last  updated",
    "Effective date",
    "date of the last revision",
    "s'applique à partir du",
    "Fecha de entrada en vigor",
    "in force since",
    "Version",
    "Stand",
    "gilt ab",
    "published",
    "UPDATED",
    "updated-",
    "reviewed",
    "Review Date",
]
_FILL = st.sampled_from(
    [" ", "  ", "\u2003", "-", ":", ".", "x", "Policy", "**", "[", "](u)", "<b>", "\\", "10",
     "2024", "May 5, 2023", "01/02/2023", "\u0130", "ſ", "é", "\t", "| ", "_"]
)  # fmt: skip
_TEXT = st.lists(st.one_of(st.sampled_from(_LABEL_WORDS), _FILL), max_size=14).map("".join)


def _reference_plain(line: str) -> str:
    s = T._BR.sub(" ", line)
    s = T._LINK.sub(r"\1", s)
    s = T._AUTOLINK.sub(r"\1", s)
    s = T._TAG.sub("", s)
    s = s.replace("\\", "")
    s = re.sub(r"(?<![\w*])[*_]{1,3}|[*_]{1,3}(?![\w*])", "", s)
    s = T._MARKER.sub("", s.strip())
    return T._SPACES.sub(" ", s).strip()


def _reference_split(s: str) -> list[str]:
    last_word = re.compile(r"([\w.]+)[.!?][\"'”’)]*\s*$")
    out, start = [], 0
    for m in T._SENT_END.finditer(s):
        w = last_word.search(s[start : m.end()])
        if w and s[m.start()] == ".":
            word = w.group(1).lower()
            if word in T._ABBREV or (len(word) == 1 and word.isalpha()):
                continue
        out.append(s[start : m.end()].strip())
        start = m.end()
    if s[start:].strip():
        out.append(s[start:].strip())
    return out


@settings(max_examples=400, deadline=None)
@given(_TEXT)
def test_fast_paths_equal_reference(s: str) -> None:
    assert [(m.span(), m.lastgroup) for m in D._labels(s)] == [
        (m.span(), m.lastgroup) for m in D._LABEL.finditer(s)
    ]
    assert T.plain(s) == _reference_plain(s)
    assert T.plain("- " + s) == _reference_plain("- " + s)
    assert T.split_sentences(s + ". Next one. ok") == _reference_split(s + ". Next one. ok")
    # a block without a keyword (after the pre-filter's rules) holds no label
    if not D._PREFILTER.search(T.fold(s)):
        assert not D._LABEL.search(D._scan_line(s))
    # `_may_label` (an automaton) answers as the pre-filter's regex does
    pm = D._PREFILTER.search(T.fold(s))
    if pm is not None and pm.end() - pm.start() == 1:
        ref = D._KEYWORD.search(T.fold(D._scan_line(s))) is not None
    else:
        ref = pm is not None
    assert D._may_label(s, None) == ref
    assert D._may_label(s, D._scan_line(s)) == ref
    assert D._has_digit(s) == any(c.isdigit() for c in s)


def test_month_trie_matches_like_longest_first_alternation() -> None:
    flat = "|".join(sorted((re.escape(m) for m in D.MONTHS), key=len, reverse=True))
    ref = re.compile(D._DATE.pattern.replace(D._MONTH_RE, flat), re.I | re.X)
    samples = [
        "Updated 3 sept. 2023",
        "Sept 3, 2023 and September 2024",
        "1er mars 2022 / märz 2021 / Mar 2020",
        "dec 2019, déc. 2018, decembre 2017, 12 dez 2016",
        "Juni 2020 juin 2021 jun 5 2022 junio de 2023",
    ]
    for s in samples:
        assert [m.group(0) for m in D._DATE.finditer(s)] == [m.group(0) for m in ref.finditer(s)]
