"""Extractors of contacts, places, retention, categories, rights, sections and identifiers,
on sentences taken from real policies (seeds and the development corpus)."""

from __future__ import annotations

from watcher.facts import (
    categories,
    contacts,
    extract_facts,
    identifiers,
    places,
    retention,
    rights,
    sections,
)


def keys(facts, kind=None):
    return {f.key for f in facts if kind is None or f.kind == kind}


def test_contacts_email_dpo_address_phone():
    text = (
        "Please address any questions, comments or complaints regarding this Privacy Statement "
        "or the processing of your personal data to privacy@soutron.com\n"
        "We have appointed a data protection officer (DPO) responsible for overseeing any "
        "questions relating to this privacy notice.\n"
        "Clear Ring is a company registered in England and Wales (Company No* 12866676), with "
        "registered office at 17 Boundary street, Liverpool, United Kingdom, L5 9UB.\n"
        "You can call us on +44 (0) 20 7946 0958.\n"
    )
    fs = contacts.extract(text)
    k = keys(fs)
    assert "privacy@soutron.com" in k
    assert "dpo" in k
    assert any(x.startswith("address:") and "l5" in x and "boundary" in x for x in k)
    assert "phone:4402079460958" in k
    # the company number is not a phone number
    assert not any("12866676" in x for x in k)
    email = next(f for f in fs if f.key == "privacy@soutron.com")
    assert "privacy@soutron.com" in email.evidence


def test_contacts_representative_and_no_phone_for_dates():
    fs = contacts.extract(
        "Our EU representative is VeraSafe Ireland Ltd. Last updated 2021-08-10, version 20210810."
    )
    assert keys(fs) == {"eu_representative"}


def test_address_key_stable_across_reordering():
    a = contacts.extract("Our office is at 17 Boundary Street, Liverpool, L5 9UB, United Kingdom.")
    b = contacts.extract("Our office is at 17 Boundary Street, Liverpool, United Kingdom, L5 9UB.")
    assert keys(a) == keys(b)


def test_places_locations_and_aliases():
    text = (
        "We only store and process personal data on secure servers located in the UK and protect "
        "that information with 128Bit SSL (Secure Socket Layer) encryption.\n"
        "SmarterTools Inc is based in the United States and the datacenter used by SmarterTools "
        "for its website and services is also located in the United States.\n"
        "Your information may be transferred to and processed in the USA.\n"
    )
    fs = places.extract(text)
    assert keys(fs, "location") == {"united kingdom", "united states"}


def test_places_law_mentions_are_not_locations():
    fs = places.extract(
        "Under the GDPR and UK Data Protection Act 2018, we follow strict security procedures in "
        "the storage and disclosure of information."
    )
    assert keys(fs, "location") == set()


def test_places_outside_eea_and_negation():
    fs = places.extract("We may transfer your personal data outside the EEA.")
    assert keys(fs, "location") == {"outside:eea"}
    fs = places.extract("We do not hold or transfer any data outside of the European Economic Area")
    assert keys(fs, "location") == {"not_outside:eea"}


def test_places_processor_table_cells():
    fs = places.extract(
        "| SendGrid | Email address | Provide email delivery service | USA (Privacy Shield Certified) |"
    )
    assert "united states" in keys(fs, "location")
    ps = next(f for f in fs if f.key == "privacy_shield")
    assert ps.kind == "transfer_mechanism" and ps.detail["invalid"] is True


def test_transfer_mechanisms():
    text = (
        "We have entered into Standard Contractual Clauses with AWS to ensure we comply with the "
        "GDPR rules on international transfers.\n"
        "GitHub participates in the EU-U.S. Data Privacy Framework, the UK Extension to the EU-U.S. "
        "DPF and the Swiss-U.S. Data Privacy Framework.\n"
        "Where the European Commission has issued an adequacy decision we rely on it.\n"
        "We also rely on Binding Corporate Rules.\n"
    )
    assert keys(places.extract(text), "transfer_mechanism") == {
        "scc",
        "eu_us_dpf",
        "uk_extension_dpf",
        "swiss_us_dpf",
        "adequacy",
        "bcr",
    }


def test_retention_periods_normalized():
    fs = retention.extract(
        "We retain your ID for 90 days from completion of the ID verification process.\n"
        "Except for specific APIs, we keep your Input and Output for the period necessary to "
        "generate the Output and then for thirty (30) rolling days to monitor abuse.\n"
        "We will only retain your personal data for as long as necessary to provide the Services.\n"
        "Children under 16 years of age may not use the service.\n"
    )
    vals = {(f.value, f.detail["iso"]) for f in fs}
    assert ("90 days", "P90D") in vals
    assert ("30 days", "P30D") in vals
    assert ("as long as necessary", None) in vals
    assert len(fs) == 3  # "16 years of age" is not a retention period
    id_fact = next(f for f in fs if f.value == "90 days")
    assert "ID" in id_fact.detail["applies_to"]


def test_retention_vague_and_negated_permanent():
    fs = retention.extract(
        "We don't keep any data permanently (beyond a few hours maximum, but usually milliseconds)"
    )
    assert [f.value for f in fs] == ["a few hours"]


def test_retention_key_stable_when_period_changes():
    a = retention.extract("We retain your ID for 90 days from completion of the verification.")
    b = retention.extract("We retain your ID for 30 days from completion of the verification.")
    assert keys(a) == keys(b)


def test_categories_and_negation():
    fs = categories.extract(
        "We do not collect payment information.\n"
        "Personal contact data, such as name, email address, physical address and telephone numbers;\n"
        "We do not knowingly collect, seek to collect, or anticipate collecting any personal data "
        "from children or any data considered to be special categories of data.\n"
        "Browser history such as pages accessed, date of access, location when accessed, and IP address;\n"
    )
    k = keys(fs)
    assert {"not:payment", "not:children", "not:special_categories"} <= k
    assert {"name", "email", "postal_address", "phone", "ip_address"} <= k
    assert "payment" not in k and "children" not in k
    neg = next(f for f in fs if f.key == "not:payment")
    assert neg.detail["negated"] is True


def test_categories_not_limited_to_is_not_negation():
    fs = categories.extract(
        "Personal Information may include but is not limited to your health data."
    )
    assert "health" in keys(fs)


def test_rights_and_legal_bases():
    text = (
        "Your principal rights under data protection law are:\n"
        "- the right to access;\n- the right to rectification;\n- the right to erasure;\n"
        "- the right to restrict processing;\n- the right to object to processing;\n"
        "- the right to data portability;\n"
        "- the right to complaint to a supervisory authority; and\n"
        "- the right to withdraw consent.\n"
        "The legal basis for this processing is our legitimate interests, namely monitoring and "
        "improving our website and services.\n"
        "We may also process personal data with your consent.\n"
        "We may disclose your personal data where such disclosure is necessary for compliance with "
        "a legal obligation to which we are subject.\n"
    )
    fs = rights.extract(text)
    assert keys(fs, "right") == {
        "access", "rectification", "erasure", "restriction", "objection", "portability",
        "complaint", "withdraw_consent",
    }  # fmt: skip
    assert keys(fs, "legal_basis") == {"legitimate_interests", "consent", "legal_obligation"}


def test_cookies_trackers():
    fs = rights.extract(
        "In addition, Soutron may use third-party services such as Google Analytics that collect, "
        "monitor and analyse this data.\n"
        "We use strictly necessary cookies and analytics cookies.\n"
        "| _ga | Google Analytics cookie | 2 years |\n"
    )
    assert {
        "google_analytics",
        "category:strictly necessary",
        "category:analytics",
        "name:_ga",
    } <= keys(fs, "cookie")


def test_sections_outline():
    text = (
        "# Privacy Policy\n\nIntro.\n\n## What information do we collect?\n\nStuff.\n\n"
        "## **Cookies**\n\nMore.\n\n## Contacting us\n\nMail us.\n"
    )
    fs = sections.extract(text)
    assert [f.key for f in fs] == [
        "privacy policy",
        "what information do we collect",
        "cookies",
        "contacting us",
    ]
    assert [f.detail["level"] for f in fs] == [1, 2, 2, 2]
    assert [f.detail["index"] for f in fs] == [0, 1, 2, 3]


def test_sections_numbered_plain_text():
    text = (
        "1. What does this Privacy Policy cover?\n\nThis Privacy Policy covers the treatment of "
        "information gathered.\n\n3. Log Data\n\nSoutron may collect information sent from browsers.\n"
    )
    assert [f.key for f in sections.extract(text)] == [
        "what does this privacy policy cover",
        "log data",
    ]


def test_identifiers_and_fees():
    text = (
        "CCL is registered under the Data Protection Act (2008), registration number Z9319063.\n"
        "Clear Ring is a company registered in England and Wales (Company No* 12866676).\n"
        "We may charge a fee of £10.00 to cover our administrative costs.\n"
        "VAT number: GB 123 4567 89.\n"
    )
    fs = identifiers.extract(text)
    got = {(f.kind, f.key, f.value) for f in fs}
    assert ("identifier", "ico_registration", "Z9319063") in got
    assert ("identifier", "company_number", "12866676") in got
    assert ("identifier", "vat", "GB123456789") in got
    assert ("fee", "fee", "£10.00") in got


def test_extract_facts_deterministic_and_deduplicated():
    text = (
        "# Contact\n\nEmail privacy@example.com or privacy@example.com.\n"
        "We store data on servers in Ireland.\n"
    )
    a = extract_facts(text)
    b = extract_facts(text)
    assert [f.to_dict() for f in a] == [f.to_dict() for f in b]
    pairs = [(f.kind, f.key) for f in a]
    assert len(pairs) == len(set(pairs))
    assert ("contact", "privacy@example.com") in pairs and ("location", "ireland") in pairs


# --------------------------------------------------------------------------- prefilter

PREFILTER_TEXT = (
    "# Privacy\n\nWe store your e-mail address and IP address on servers in the United States.\n"
    "We do not collect payment information. Data may be transferred outside the EEA under "
    "Standard Contractual Clauses.\n"
    "You have the right to lodge a complaint with a supervisory authority; contact "
    "dpo@example.com or call +44 20 7946 0958.\n"
    "We retain logs for 30 days. We use Google Analytics and analytics cookies.\n"
    "| _ga | Google Analytics cookie | 2 years |\n"
    "We \u017ftore data in Ireland (long s). CCL registration number Z9319063 (ICO).\n"
)


def test_prefilter_never_changes_a_result(monkeypatch):
    """The literal prefilter only skips work: with it disabled the facts are identical."""
    import watcher.facts.doc as F

    mods = (contacts, places, retention, categories, rights, identifiers)
    with_filter = [[f.to_dict() for f in m.extract(PREFILTER_TEXT)] for m in mods]
    F.clear_caches()
    monkeypatch.setattr(F.Doc, "candidates", lambda self, rx: F.EVERY)
    monkeypatch.setattr(F.Doc, "having", lambda self, needles, icase=True: F.EVERY)
    without = [[f.to_dict() for f in m.extract(PREFILTER_TEXT)] for m in mods]
    F.clear_caches()
    assert with_filter == without
    assert any(f["key"] == "ireland" for f in with_filter[1])  # "ſtore" matches case-insensitively


def test_literals_are_necessary():
    import re

    from watcher.facts.prefilter import literals

    req, icase = literals(r"\b(?:right to (?:correct|update)|rectif)", re.I)
    assert icase and req
    for s in ("the Right To Update", "rectification", "right to correct"):
        assert any(n in s.lower() for n in req)
    assert literals(r"\d+", 0)[0] is None  # nothing literal: no prefilter
    req, _ = literals(r"\bgoogle anal[a-z]*", re.I)
    assert req == frozenset({"google anal"})


def test_lexicons_are_data_files():
    from watcher.facts import load_lexicon

    assert "United States" in load_lexicon("countries.json")["places"]
    assert {c["id"] for c in load_lexicon("categories.json")["categories"]} >= {"email", "health"}
    assert {t["id"] for t in load_lexicon("trackers.json")["trackers"]} >= {"google_analytics"}
    lex = load_lexicon("rights.json")
    assert {r["id"] for r in lex["rights"]} >= {"access", "erasure"}
    assert {b["id"] for b in lex["legal_bases"]} >= {"consent"}


def test_outside_your_country_value():
    fs = places.extract("We may transfer your data outside your country of residence.")
    loc = next(f for f in fs if f.key == "outside:your country")
    assert loc.value == "Outside your country"


def test_places_of_residence_origin_and_law_names_are_no_destinations() -> None:
    from watcher.facts.places import extract as places

    def keys(t: str) -> set[str]:
        return {f.key for f in places(t) if f.kind == "location"}

    # where the reader lives, or where data comes from
    assert keys(
        "This Privacy Policy applies if you reside in the European Economic Area (EEA), "
        "Switzerland, or UK. If you live outside of the EEA, Switzerland, or UK, this version "
        "applies to you."
    ) <= {"outside:eea"}
    assert (
        keys(
            "For members in South Korea: Bumble does not collect any government-issued identity "
            "documents for identity verification processes."
        )
        == set()
    )
    assert keys(
        "We may transfer Personal Information from the EEA, Switzerland or the UK to the U.S. "
        "based on approved Standard Contractual Clauses."
    ) == {"united states"}
    # a law's name
    assert keys(
        "When information is transferred outside the EEA, we rely on adequacy decisions under "
        "Article 45 of the European Union's General Data Protection Regulation (GDPR)."
    ) == {"outside:eea"}
    assert (
        keys(
            "Our data processing activities are carried out in accordance with the UK GDPR (as "
            "retained in UK law through Section 3 of the European Union (Withdrawal) Act 2018)."
        )
        == set()
    )
    assert keys("To learn about transfers of personal data outside the EU/EEA, see the list.") == {
        "outside:eu"
    }
    # destinations still count
    assert keys("Our network includes servers in the US, UK, and the EU.") == {
        "united states",
        "united kingdom",
        "european union",
    }


def test_a_repeated_retention_statement_is_one_fact() -> None:
    from watcher.facts import retention

    s = "We will retain your Personal Data for a period of twelve months after your account is closed."
    facts = retention.extract(f"{s}\n## Summary\n{s}")
    assert [f.value for f in facts] == ["12 months"]


def test_a_doc_built_after_another_version_answers_like_a_full_scan():
    """The second version of a pair reuses the first's prefilter answers for the units both
    hold and scans only the rest: every answer equals a scan of the text alone."""
    import re

    import watcher.facts.doc as F

    old = PREFILTER_TEXT + "We share data with Acme Ltd.\n- a list item about cookies\n"
    new = (
        PREFILTER_TEXT.replace("30 days", "90 days")
        + "We now share data with Beta GmbH in Germany.\n| Stripe | payments | USA |\n"
    )
    needles = [
        frozenset({"store"}),
        frozenset({"share", "cookie"}),
        frozenset({"days"}),
        frozenset({"stripe", "ltd"}),
        frozenset({"Google"}),
    ]
    rxs = [re.compile(r"\b\w+ days\b"), re.compile(r"(?i)gmbh|ltd"), re.compile(r"x?")]
    F.clear_caches()
    alone = F.Doc(F.units(new))
    F.clear_caches()
    F.doc(old)
    paired = F.doc(new)
    assert paired._delta is not None and paired._delta.changed  # the delta path is taken
    assert len(paired._delta.changed) < len(paired.units)
    for n in needles:
        icase = n != frozenset({"Google"})
        assert paired.having(n, icase) == alone.having(n, icase), n
    for rx in rxs:
        assert paired.matching(rx) == alone.matching(rx), rx.pattern
    # a version with nothing in common is scanned whole
    F.clear_caches()
    F.doc("Completely different.\nNothing shared here.\n")
    other = F.doc(new)
    assert other._delta is None
    assert other.having(frozenset({"days"})) == alone.having(frozenset({"days"}))
    F.clear_caches()


def test_a_case_risky_character_makes_only_its_own_unit_a_candidate():
    """A character that IGNORECASE matches unlike str.lower() (the long s, the Kelvin sign)
    keeps its unit a candidate for every case-insensitive prefilter, and no other unit."""
    import watcher.facts.doc as F

    F.clear_caches()
    d = F.doc("We \u017ftore nothing.\nCookies last one day.\nPlain words only.\n")
    got = d.having(frozenset({"cookie"}))
    assert got is not F.EVERY and got == {0, 1}
    assert d.having(frozenset({"cookie"}), icase=False) == frozenset()  # exact case: no riskiness
    assert any(f.key == "ireland" for f in places.extract("We \u017ftore data in Ireland."))
    F.clear_caches()


MEMO_OLD = (
    "# Data we collect\n"
    "We collect your email address and IP address when you sign up.\n"
    "We do not collect your email address for marketing purposes.\n"
    "You have the right to access your personal data and the right to object to processing.\n"
    "We rely on your consent and on our legitimate interests.\n"
    "Contact privacy@example.com or our data protection officer at dpo@example.com.\n"
    "Company number 12345678. VAT number GB123456789.\n"
    "Our other company number 87654321 is registered in Ireland.\n"
    "A fee of £10 may be charged for repeated requests.\n"
    "We use Google Analytics and analytics cookies; the _ga cookie lasts 2 years.\n"
    "| _gid | Google Analytics cookie | 24 hours |\n"
)


def test_unit_memos_replay_first_occurrences():
    """The second version of a pair reuses what the first's units gave (unit memos); the
    state across units (first occurrence, negated forms, numbering of repeated identifiers)
    is rebuilt for that version: its facts equal its facts extracted cold."""
    import watcher.facts as F

    lines = MEMO_OLD.splitlines(keepends=True)
    news = [
        "".join(lines[:1] + lines[2:3] + lines[1:2] + lines[3:]),  # negation moved first
        "".join(lines[:6] + lines[7:]),  # first company number gone: the second is numbered 1
        "".join(lines[:1] + lines[9:] + lines[1:9]),  # cookies first
        MEMO_OLD.replace("12345678", "12345679") + "We may file a complaint on your behalf.\n",
    ]
    mods = (categories, rights, contacts, identifiers)
    for new in news:
        F.clear_caches()
        cold = [[f.to_dict() for f in m.extract(new, "en")] for m in mods]
        F.clear_caches()
        for m in mods:
            m.extract(MEMO_OLD, "en")
        warm = [[f.to_dict() for f in m.extract(new, "en")] for m in mods]
        assert warm == cold
    assert cold[0] and cold[1] and cold[2] and cold[3]
    F.clear_caches()
    first = [f.key for f in categories.extract(news[0])]
    assert first.index("not:email") < first.index("email")
    assert [f.value for f in identifiers.extract(news[1]) if f.key == "company_number"] == [
        "87654321"
    ]


def test_the_needle_automaton_finds_what_a_scan_finds():
    """Literals the shared automaton knows are looked up in a per-text table; the answer is
    the same as one str.find scan per literal, on whole texts and on a pair's changed units."""
    import watcher.facts.doc as F

    needles = [
        frozenset({"data", "cookie"}),
        frozenset({"ies la"}),  # across a word boundary
        frozenset({"é", "ü"}),
        frozenset({"ata"}),  # overlaps "data"
        frozenset({"nowhere in the text"}),
    ]
    old = PREFILTER_TEXT + "Cookies last a year.\nDonnées traitées en Europe; Daten über uns.\n"
    new = old.replace("a year", "ten years") + "Les données sont conservées.\n"
    for n in needles:
        F.NEEDLES.add(n)  # the automaton knows them all
    F.clear_caches()
    F.doc(old)
    paired = F.doc(new)
    for text, d in ((old, F.doc(old)), (new, paired)):
        scan = F.Doc(F.units(text))  # built alone, no base
        for n in needles:
            want = frozenset(F._scan(scan._low, scan._low_starts, n)) | scan._memo.get(
                "risky_any" if not all(x.isascii() for x in n) else "risky_ascii", frozenset()
            )
            assert d.having(n) == want, (n, text[:20])
    built, table = paired._hit_table(paired._delta)
    assert built >= len(needles) and table  # the automaton path was taken
    F.clear_caches()


def test_a_footer_after_a_postcode_is_not_a_town():
    facts = contacts.extract(
        "Write to us at 2261 Market Street San Francisco, CA, 94114 Copyright 2022 Bloomer Inc"
    )
    values = [f.value for f in facts if f.key.startswith("address:")]
    assert values == ["2261 Market Street San Francisco, CA, 94114"]  # "CA, 94114" is a zip


def test_an_opening_connective_is_not_what_a_period_applies_to():
    facts = retention.extract("Subsequently, the personal data is kept indefinitely in an archive.")
    items = [f.detail["applies_to"] for f in facts]
    assert items and all("Subsequently" not in i for i in items), items
    assert "personal data" in items[0]
