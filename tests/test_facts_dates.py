"""Policy dates: labels, formats, ambiguity and traps (sentences from real policies)."""

from __future__ import annotations

import time

import pytest

from watcher.facts.dates import extract
from watcher.facts.text import blocks, sentences, table_rows, tables


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


def test_fast_on_large_text() -> None:
    para = "We process personal data for 30 days since 2015 as described in section 4.2.\n"
    text = para * 4000 + "Last updated: May 25, 2018\n"
    t0 = time.perf_counter()
    assert dates(text) == {"last_updated": "2018-05-25"}
    assert time.perf_counter() - t0 < 2.0


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
