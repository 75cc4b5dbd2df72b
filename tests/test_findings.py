"""End-to-end findings on seed-like policy text."""

from __future__ import annotations

import importlib.util

import pytest

from watcher.analysis.findings import analyze, lint
from watcher.facts import extract_facts

HAS_PARTIES = importlib.util.find_spec("watcher.facts.parties") is not None

SEED = """# Privacy Policy

At Claro Software, we are committed to safeguarding and preserving the privacy of our website visitors and product users.

## What information do we collect?

- We have some services (e.g. TTS, OCR) to which our Apps send data. We don't keep any data permanently (beyond a few hours maximum, but usually milliseconds).
- We use Mailchimp services to send updates about the products and webinars for people who subscribed to our "Newsletter".

## International Data Transfers

Customer billing and contact data are stored in Amazon Web Services (AWS). We have entered into Standard Contractual Clauses with AWS to ensure we comply with the GDPR rules on international transfers.

## Third parties

Your personal data may be shared with the following third parties for the purposes described:

| Third Party Name | Purposes | Data Location |
| --- | --- | --- |
| Amito Ltd | Hosting service for the application | UK / Germany |
| Microsoft Azure | Provide data backup services | UK |

## Cookies

Like many Websites, we use 'cookies' and we obtain certain types of information when your Web browser accesses our site.

## Contacting us

Please address any questions to privacy@claro.example.

Policy last reviewed: 10th August 2021
"""


def run(old: str, new: str):
    return analyze(old, new, extract_facts(old), extract_facts(new))


def kinds(a):
    return [f.kind for f in a.findings]


def test_identical_text_is_no_change():
    a = run(SEED, SEED)
    assert a.changed is False and a.classification == "none" and a.findings == [] and a.hunks == []


def test_whitespace_and_quote_only_change_is_no_change():
    new = (
        SEED.replace("'cookies'", "\u2018cookies\u2019")
        .replace("Newsletter", "Newsletter")
        .replace('"Newsletter"', "\u201cNewsletter\u201d")
        .replace("committed to", "committed  to")
        .replace("\n\n## Cookies", "\n\n\n## Cookies")
        .replace(
            "Policy last reviewed: 10th August 2021", "Policy last reviewed: 10th August 2021  "
        )
    )
    assert new != SEED
    a = run(SEED, new)
    assert a.changed is False
    assert a.classification == "none"
    assert a.findings == []


def test_layout_only_change_is_cosmetic_without_fact_findings():
    new = SEED.replace("## Cookies", "### Cookies").replace(
        "- We use Mailchimp", "* We use Mailchimp"
    )
    a = run(SEED, new)
    assert a.changed is True
    assert a.classification == "cosmetic"
    assert kinds(a) == ["text_changed"]
    assert a.findings[0].severity == "info"


@pytest.mark.skipif(not HAS_PARTIES, reason="watcher.facts.parties not available yet")
def test_processor_row_added_is_party_added_with_country():
    new = SEED.replace(
        "| Microsoft Azure | Provide data backup services | UK |",
        "| Microsoft Azure | Provide data backup services | UK |\n| SendGrid | Email delivery | USA |",
    )
    a = run(SEED, new)
    assert a.changed and a.classification == "substantive"
    party = next(f for f in a.findings if f.kind == "party_added")
    assert party.new == "SendGrid"
    assert party.severity == "high"
    assert party.detail and party.detail.get("country")
    assert "SendGrid" in party.summary
    assert a.findings[0].severity == "high"
    assert "sendgrid" in a.summary.lower()
    d = party.to_dict()
    assert set(d) >= {"kind", "field", "old", "new", "severity", "summary", "evidence", "detail"}
    assert d["evidence"]["new"] and "SendGrid" in d["evidence"]["new"]
    # issue 15 point 5: the row's location is part of the row's one finding, not a second one
    assert "location_added" not in kinds(a)
    assert party.detail["location"] == "United States"
    assert party.detail["section"] == "Third parties"
    assert kinds(a).count("text_changed") == 1


def test_reviewed_date_bump():
    new = SEED.replace(
        "Policy last reviewed: 10th August 2021", "Policy last reviewed: 3rd March 2023"
    )
    a = run(SEED, new)
    f = next(f for f in a.findings if f.kind == "date_changed")
    assert f.old == "2021-08-10" and f.new == "2023-03-03"
    assert f.severity == "low"
    assert f.summary == "Last reviewed date moved from 10 Aug 2021 to 3 Mar 2023"
    assert a.classification == "cosmetic"
    assert kinds(a) == ["date_changed", "text_changed"]


def test_pure_section_reorder_is_move():
    cookies = "## Cookies\n\nLike many Websites, we use 'cookies' and we obtain certain types of information when your Web browser accesses our site.\n\n"
    assert cookies in SEED
    moved = SEED.replace(cookies, "").replace(
        "## International Data Transfers", cookies + "## International Data Transfers"
    )
    a = run(SEED, moved)
    assert a.changed
    ks = kinds(a)
    assert "section_moved" in ks
    assert not any(
        k in ks for k in ("section_added", "section_removed", "cookie_added", "cookie_removed")
    )
    mv = next(f for f in a.findings if f.kind == "section_moved")
    assert mv.field == "cookies"
    tc = next(f for f in a.findings if f.kind == "text_changed")
    assert tc.old == 0 and tc.new == 0  # moved words cancel out


def test_section_rename():
    a = run(SEED, SEED.replace("## Contacting us", "## How to contact us"))
    ren = [f for f in a.findings if f.kind == "section_renamed"]
    assert len(ren) == 1 and ren[0].old == "Contacting us" and ren[0].new == "How to contact us"
    assert ren[0].severity == "info"
    assert "section_added" not in kinds(a) and "section_removed" not in kinds(a)


def test_retention_changed_from_vague_to_days():
    new = SEED.replace("beyond a few hours maximum", "beyond 30 days maximum")
    a = run(SEED, new)
    r = next(f for f in a.findings if f.kind == "retention_changed")
    assert r.old == "a few hours" and r.new == "30 days"
    assert r.severity == "high"  # lengthened
    assert "Retention" in r.summary and "'a few hours'" in r.summary and "30 days" in r.summary
    assert a.classification == "substantive"


def test_moved_sentence_makes_no_fact_findings():
    para = "Customer billing and contact data are stored in Amazon Web Services (AWS). We have entered into Standard Contractual Clauses with AWS to ensure we comply with the GDPR rules on international transfers."
    swapped = "We have entered into Standard Contractual Clauses with AWS to ensure we comply with the GDPR rules on international transfers. Customer billing and contact data are stored in Amazon Web Services (AWS)."
    a = run(SEED, SEED.replace(para, swapped))
    assert kinds(a) == ["text_changed"]


def test_location_transfer_and_category_added():
    new = SEED.replace(
        "Please address any questions",
        "We transfer your data to servers in the United States under the EU-U.S. Data Privacy Framework. We collect your health data.\n\nPlease address any questions",
    )
    a = run(SEED, new)
    ks = {(f.kind, f.field) for f in a.findings}
    assert ("location_added", "united states") in ks
    assert ("transfer_mechanism_added", "eu_us_dpf") in ks
    assert ("data_category_added", "health") in ks
    assert a.classification == "substantive"
    sev = [f.severity for f in a.findings]
    order = {"high": 3, "medium": 2, "low": 1, "info": 0}
    assert sev == sorted(sev, key=lambda s: -order[s])


def test_right_removed_is_high():
    old = SEED + "\nYou have the right to lodge a complaint with a supervisory authority.\n"
    a = run(old, SEED)
    r = next(f for f in a.findings if f.kind == "right_removed")
    assert r.field == "complaint" and r.severity == "high"


def test_negated_category_is_not_added():
    new = SEED.replace(
        "Please address any questions",
        "We do not collect payment information.\n\nPlease address any questions",
    )
    a = run(SEED, new)
    assert not any(
        f.kind == "data_category_added" and f.severity in ("high", "medium") for f in a.findings
    )


def test_lint_privacy_shield_and_date_reference():
    text = (
        "SendGrid | Email address | Provide email delivery service | USA (Privacy Shield Certified)\n"
        "To check when this Privacy Policy was last updated see the date at the top of this page.\n"
        "We comply with the Data Protection Act 1998.\n"
    )
    out = lint(text, extract_facts(text))
    fields = {f.field for f in out}
    assert {
        "privacy_shield",
        "missing_date",
        "dpa_1998",
        "controller_contact",
        "retention",
        "complaint_right",
    } <= fields
    assert all(f.kind == "lint" for f in out)
    ps = next(f for f in out if f.field == "privacy_shield")
    assert ps.severity == "high"


def test_lint_clean_policy_has_no_gdpr_gaps():
    out = lint(
        SEED
        + "\nOur data protection officer can be reached at dpo@claro.example. You may lodge a complaint with a supervisory authority.\n",
        extract_facts(
            SEED
            + "\nOur data protection officer can be reached at dpo@claro.example. You may lodge a complaint with a supervisory authority.\n"
        ),
    )
    assert {f.field for f in out} == set()


def _fact(kind, key, value, **detail):
    from watcher.models import Fact

    return Fact(kind, key, value, "evidence", detail)


# The wording of each kind lives in its family's `compare` (watcher.facts.COMPARERS); these
# reach it the way analyze does, one kind at a time.
def _compare(kind, old, new, old_text="", new_text=""):
    from watcher.facts import comparer
    from watcher.facts.base import Compare

    return comparer(kind).compare(kind, old, new, Compare(old_text, new_text))


def _added(kind, fact, *, new_text="", old_text=""):
    (f,) = _compare(kind, {}, {fact.key: fact}, old_text, new_text)
    return f


def _removed(kind, fact, *, new_text=""):
    (f,) = _compare(kind, {fact.key: fact}, {}, "", new_text)
    return f


def _date_findings(old, new):
    return _compare("date", old, new)


def _section_findings(old, new, old_text, new_text):
    return _compare("section", {f.key: f for f in old}, {f.key: f for f in new}, old_text, new_text)


def test_location_summaries_read_as_sentences():
    kept = _fact("location", "not_outside:eea", "Kept within the EEA", negated=True)
    out = _fact("location", "outside:eea", "Outside the EEA", outside=True)
    us = _fact("location", "united states", "United States")
    kw = {"new_text": "", "old_text": ""}
    assert (
        _removed("location", kept, new_text="").summary
        == "No longer says data stays within the EEA"
    )
    assert _added("location", kept, **kw).summary == "Now says data stays within the EEA"
    assert (
        _added("location", out, **kw).summary == "Now says data may be transferred outside the EEA"
    )
    assert _removed("location", us, new_text="").summary == (
        "No longer mentions data going to the United States"
    )


def test_date_summary_uses_the_key_not_the_label_as_written():
    old = {"effective": _fact("date", "effective", "2020-09-08", label="is effective")}
    new = {"effective": _fact("date", "effective", "2023-02-01", label="gelten ab")}
    (f,) = _date_findings(old, new)
    assert f.summary == "Effective date moved from 8 Sep 2020 to 1 Feb 2023"
    old = {"last_updated": _fact("date", "last_updated", "2023-05-27", label="Last update")}
    new = {"last_updated": _fact("date", "last_updated", "2024-03-07", label="Updated")}
    (f,) = _date_findings(old, new)
    assert f.summary == "Last updated date moved from 27 May 2023 to 7 Mar 2024"


def test_other_summaries():
    kw = {"new_text": "", "old_text": ""}
    dpo = _fact("contact", "dpo", "Data Protection Officer", type="dpo")
    assert _removed("contact", dpo, new_text="").summary == (
        "No longer mentions a Data Protection Officer"
    )
    mail = _fact("contact", "a@b.example", "a@b.example", type="email")
    assert _added("contact", mail, **kw).summary == "New contact e-mail: a@b.example"
    scc = _fact("transfer_mechanism", "adequacy", "Adequacy decision")
    assert _added("transfer_mechanism", scc, **kw).summary == (
        "Transfers now rely on an adequacy decision"
    )
    cat = _fact("cookie", "category:analytics", "analytics cookies", type="category")
    assert _added("cookie", cat, **kw).summary == "Now mentions analytics cookies"
    ico = _fact("identifier", "ico_registration", "Z9319063", type="ico_registration")
    assert _added("identifier", ico, **kw).summary == "New ICO registration number: Z9319063"
    sec = _fact("section", "governing law", "10\\. Governing Law")
    (f,) = _section_findings([], [sec], "", "")
    assert f.summary == "New section: '10. Governing Law'"


def test_one_word_text_change_is_singular():
    a = run(SEED, SEED.replace("committed to safeguarding", "committed to protecting"))
    tc = next(f for f in a.findings if f.kind == "text_changed")
    assert tc.summary == "Text changed: 1 word added, 1 removed"
