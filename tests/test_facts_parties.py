"""Named third parties: prose, lists, processor tables, normalization and traps."""

from __future__ import annotations

from watcher.facts.parties import extract, normalize_name, strip_suffix


def parties(text: str) -> dict[str, str]:
    return {f.key: f.value for f in extract(text)}


def by_key(text: str) -> dict:
    return {f.key: f for f in extract(text)}


# --------------------------------------------------------------------------- normalization


def test_suffix_stripping() -> None:
    assert strip_suffix("Stripe, Inc.") == "Stripe"
    assert strip_suffix("Amito Ltd") == "Amito"
    assert strip_suffix("Adjust GmbH") == "Adjust"
    assert strip_suffix("Coffee Meets Bagel Pte. Ltd.") == "Coffee Meets Bagel"
    assert strip_suffix("Acme B.V.") == "Acme"
    assert strip_suffix("Castle Global, Inc") == "Castle Global"
    assert strip_suffix("Ding SAS") == "Ding"


def test_alias_resolution() -> None:
    assert normalize_name("AWS") == normalize_name("Amazon Web Services, Inc.")
    assert normalize_name("Amazon Web Services") == "amazon web services"
    assert normalize_name("Google LLC") == "google"
    assert normalize_name("Sendgrid.com") == "sendgrid"
    assert normalize_name("Twilio SendGrid") == "sendgrid"


# --------------------------------------------------------------------------- tables


def test_processor_table_row() -> None:
    text = (
        "## Sub-processors\n\n| Name | Purpose | Country |\n| --- | --- | --- |\n"
        "| SendGrid | Email delivery | USA |\n| Amito Ltd | Hosting | UK / Germany |\n"
    )
    fs = by_key(text)
    sg = fs["sendgrid"]
    assert sg.kind == "party"
    assert sg.value == "SendGrid"
    assert sg.detail["purpose"] == "email delivery"
    assert sg.detail["country"] == "USA"
    assert sg.detail["source"] == "table"
    amito = fs["amito"]
    assert amito.value == "Amito Ltd"
    assert amito.detail["country"] == "United Kingdom, Germany"


def test_seed_soutron_tab_table() -> None:
    # seed 003: a plain-text table (TAB separated) after a prose lead-in
    text = (
        "Your personal data may be shared with the following third parties for the purposes "
        "described:\n\n"
        "Third Party Name\tData type:\tAccess to data\tPurposes:\tData Location\n"
        "------------------\t------------\t----------------\t-----------\t---------------\n\n"
        "Soutron Documentation\n\n"
        "Amito Ltd\tAll data\tNone\tHosting service for the Soutron application\tUK / Germany\n"
        "Microsoft Azure\tAll data\tNone\tProvide data backup services\tUK\n"
        "SendGrid\tEmail address\tEmail address\tProvide email delivery service\t"
        "USA (Privacy Shield Certified)\n"
    )
    fs = by_key(text)
    assert set(fs) == {"amito", "microsoft azure", "sendgrid"}
    assert fs["sendgrid"].detail["purpose"] == "email delivery"
    assert fs["sendgrid"].detail["country"] == "USA"
    assert fs["microsoft azure"].detail["purpose"] == "data backup"
    assert fs["microsoft azure"].detail["country"] == "United Kingdom"


def test_sdk_table_uses_supplier_column() -> None:
    text = (
        "|     |     |     |\n| --- | --- | --- |\n"
        "| **Name of SDK** | **Supplier** | **Purpose we use the data with** |\n"
        "| Adjust Software Development Kit | Adjust GmbH | we use Adjust to track and analyze "
        "our marketing efforts |\n"
    )
    fs = by_key(text)
    assert set(fs) == {"adjust"}
    assert fs["adjust"].detail["purpose"].startswith("track and analyze")


def test_two_column_record_table() -> None:
    text = (
        "|     |     |\n| --- | --- |\n| Type | Infrastructure and security |\n"
        "| Processor | Amazon Web Services |\n| Location | Ireland |\n"
    )
    fs = by_key(text)
    assert set(fs) == {"amazon web services"}
    assert fs["amazon web services"].detail["country"] == "Ireland"


def test_non_party_table_ignored() -> None:
    text = (
        "| Purpose | Personal Data Collected | Legal Basis |\n| --- | --- | --- |\n"
        "| to make the Website work | IP address; cookies | legitimate interests |\n"
    )
    assert extract(text) == []


# --------------------------------------------------------------------------- prose and lists


def test_seed_claro_prose() -> None:
    # seed 000
    text = (
        "- We use Mailchimp services to send updates about the products and webinars for "
        'people who subscribed to our "Newsletter". We follow [Mailchimp\'s legal policies](#).\n'
        "Customer billing and contact data are stored in Amazon Web Services (AWS). We have "
        "entered into Standard Contractual Clauses with AWS to ensure we comply with the GDPR.\n"
    )
    fs = by_key(text)
    assert set(fs) == {"mailchimp", "amazon web services"}
    assert fs["amazon web services"].value == "Amazon Web Services"
    assert fs["mailchimp"].detail["purpose"].startswith("send updates")


def test_longest_match_wins() -> None:
    text = (
        "In addition, Soutron may use third-party services such as Google Analytics that "
        "collect, monitor and analyse this data."
    )
    assert parties(text) == {"google analytics": "Google Analytics"}
    ga = by_key(text)["google analytics"]
    assert ga.detail["role"] == "analytics"


def test_prose_purpose_and_country() -> None:
    text = "We use SendGrid (USA) to send transactional emails to our users."
    (f,) = extract(text)
    assert f.key == "sendgrid"
    assert f.detail["country"] == "USA"
    assert f.detail["purpose"] == "send transactional emails to our users"


def test_strong_cue_unknown_company() -> None:
    text = "Our website is hosted by Hostinger International Ltd in Lithuania."
    fs = by_key(text)
    assert "hostinger international" in fs
    text = "We have appointed Prighter as our representative in the EU."
    f = by_key(text)["prighter"]
    assert f.detail["role"] == "representative"


def test_representative_unknown_name() -> None:
    text = "Our representative in the EU is Rickert Rechtsanwaltsgesellschaft mbH, Bonn."
    assert "rickert" in parties(text)


def test_processor_list_under_heading() -> None:
    text = (
        "## Sub-processors\n\n"
        "- **Limestone Networks:** for sending monitoring requests and storing data.\n"
        "- **Plivo:** for sending SMS and voice notifications.\n"
        "- **Business Operations:** we run our business.\n"
    )
    fs = by_key(text)
    assert set(fs) == {"limestone networks", "plivo"}
    assert fs["limestone networks"].detail["role"] == "sub-processor"


def test_ambiguous_names_need_a_cue() -> None:
    # "Segment", "Stripe", "Apple" are ordinary words too
    assert extract("Segment your audience as you like. We love apple pie.") == []
    assert extract("Stripe patterns are popular this year.") == []
    assert "segment" in parties("We share usage data with our analytics provider Segment.")
    assert "stripe" in parties("Payments are processed by our payment processor Stripe.")


def test_part_of_longer_name_is_not_a_party() -> None:
    # seed 001: "Clear Ring" is the policy owner, not the "Clear" identity service
    text = "Clear Ring is a call tracking and analytics provider whose software gives owners data."
    assert parties(text) == {}


def test_generic_phrases_are_not_parties() -> None:
    text = (
        "We share Personal Data with service providers. Our Privacy Policy describes this. "
        "We may transfer data to the European Union via Standard Contractual Clauses. "
        "Data is hosted by our trusted providers in the United States. "
        "Financial transactions are handled by our payment services providers."
    )
    assert extract(text) == []


def test_browsers_and_regulators_are_not_parties() -> None:
    # seed 002 cookie instructions and a regulator
    text = (
        "- Google Chrome - https://support.google.com/chrome/answer/95647\n"
        "- Mozilla Firefox - https://support.mozilla.org/kb/cookies\n"
        "- Microsoft Edge - https://privacy.microsoft.com/\n"
        "You may lodge a complaint with the Information Commissioner's Office (ICO).\n"
    )
    assert extract(text) == []


def test_policy_owner_excluded() -> None:
    text = (
        'This Privacy Notice explains how Bardeen, Inc. ("Bardeen," "we," "us," or "our") '
        "collects data. We use Bardeen servers and Intercom to provide support."
    )
    assert parties(text) == {"intercom": "Intercom"}


def test_same_key_across_versions_and_merge_of_details() -> None:
    old = "We host our data with AWS."
    new = "| Processor | Purpose | Location |\n|---|---|---|\n| Amazon Web Services, Inc. | Hosting | Ireland |"
    assert set(parties(old)) == set(parties(new)) == {"amazon web services"}
    text = old + "\n" + new
    (f,) = extract(text)
    assert f.value == "AWS"
    assert f.detail["country"] == "Ireland"  # filled from the table row


def test_deterministic_order() -> None:
    text = "We use Zendesk for support, Stripe for payments and Mixpanel for analytics."
    a = [f.key for f in extract(text)]
    assert a == ["zendesk", "stripe", "mixpanel"]
    assert a == [f.key for f in extract(text)]


# --------------------------------------------------------------------------- fast paths
# parties/ finds gazetteer names by word and counts mentions by substring; both must give
# exactly what the plain regexes give.

import re  # noqa: E402
from typing import Any  # noqa: E402

from hypothesis import example, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from watcher.facts.doc import fold  # noqa: E402
from watcher.facts.parties import extraction as PX  # noqa: E402
from watcher.facts.parties import names as PN  # noqa: E402
from watcher.facts.parties import prose as PP  # noqa: E402

_NAMES = [
    "Google",
    "Google Analytics",
    "Amazon.com",
    "Amazon Web Services",
    "AWS",
    "Stripe",
    "PayPal (Europe)",
    "OpenAI L.L.C.",
    "reCAPTCHA",
    "npm",
    "Segment",
    "Acme",
    "iOS",
]
_FILL = st.sampled_from([" ", "  ", ".", ",", "-", "@", "/", ".x", "Inc", "s", "_", "é", "\u0130",
                         "(", ")", "\u2003", "we use ", "hosted by ", "the "])  # fmt: skip
_TEXT = st.lists(st.one_of(st.sampled_from(_NAMES), _FILL), max_size=14).map("".join)


@settings(max_examples=400, deadline=None)
@given(_TEXT)
def test_gazetteer_matches_equal_regex(s: str) -> None:
    g = PN.gazetteer()
    want = [(m.start(), m.end(), m.group(0)) for m in g["regex"].finditer(s)]
    assert PN.gazetteer_matches(s, g) == want
    assert PN.gazetteer_matches(s, g, set(PN.WORD_RUN.findall(s))) == want


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(["Google", "AWS", "Acme Corp", "é-Shop", "i.e"]), _TEXT)
def test_mentions_equal_regex(base: str, text: str) -> None:
    rx = re.compile(rf"(?<![\w.@/]){re.escape(base)}(?![\w])", re.I)
    hits = [m.start() for m in rx.finditer(text)]
    assert PN.mentions(base, text, fold(text)) == (len(hits), hits[0] if hits else -1)


_CASES = st.lists(
    st.sampled_from(["ΑΣ", "ας", "σ", "ς", "Σ", "ſ", "\u212a", "\u0130", "ı", "SOCIÉTÉ", "société",
                     "Straße", "STRASSE", "ẞ", "Ærø", "æ", " ", ".", "-", "x", "é", "ortaklığı",
                     "ORTAKLIĞI", "Ortaklıǧı", "k", "K"]),
    max_size=10,
).map("".join)  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(
    st.sampled_from(["ΑΣ", "Société", "Straße", "Ærø", "Kı", "ſ-x", "Ortaklığı", "x ſk"]), _CASES
)
@example("ΑΣ", "ΑΣ.x")  # the capital sigma lowers to "σ" here, to "ς" in the name
@example("Kı", "\u212aI")  # the Kelvin sign and the dotless i match "K" and "I" in any case
def test_mentions_of_non_ascii_names_equal_regex(base: str, text: str) -> None:
    rx = re.compile(rf"(?<![\w.@/]){re.escape(base)}(?![\w])", re.I)
    hits = [m.start() for m in rx.finditer(text)]
    assert PN.mentions(base, text, fold(text)) == (len(hits), hits[0] if hits else -1)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(["Google", "AWS", "Acme Corp", "é-Shop", "i.e"]), _TEXT)
def test_mentioned_equal_regex(base: str, text: str) -> None:
    rx = re.compile(rf"(?<![\w.@/]){re.escape(base)}(?![\w])", re.I)
    assert PN.mentioned(base, text, fold(text)) == bool(rx.search(text))


_OWNER_PARTS = st.sampled_from(
    ["Acme", "Acme Corp", " ", "\n", "Inc", ".", ",", "(", ")", "we", "us", "our", "“", "”",
     '"', "the ", "collectively ", "Ltd", " (", "we)", ":", "é", "-", "x", "B.V", ":Acme",
     "“Acme”", " (“we”", ", “us”)", "Acme Ltd. (", "(we)", "We at ", "xwe at ", "_We at "]
)  # fmt: skip


@settings(max_examples=500, deadline=None)
@given(st.lists(_OWNER_PARTS, max_size=24).map("".join))
def test_owner_matches_equal_regex(head: str) -> None:
    # the owner pattern searched only before a "(" that may end a match: same matches
    def spans(ms: Any) -> list[Any]:
        return [(m.span(), m.groupdict()) for m in ms]

    assert spans(PX._owner_matches(head)) == spans(PX._OWNER.finditer(head))
    we_at = re.compile(r"\b[Ww]e at " + PX._OWNER_NAME)  # as _OWNER3 was written
    assert spans(PX._OWNER3.finditer(head)) == spans(we_at.finditer(head))


@settings(max_examples=400, deadline=None)
@given(
    st.lists(
        st.sampled_from(["A", "Ab", "b", "’", "'", "-", " ", "_", "1", "É", "Ab’C"]), max_size=12
    ).map("".join)
)
def test_capitalised_word_count_equals_findall(text: str) -> None:
    from collections import Counter

    from watcher.facts.parties import comparison as PC

    counts = Counter(PC._CAP_WORD.findall(text))
    for word in ["A", "Ab", "C", "AbA", "Ab’C", "É", "b"]:
        assert PC._capitalised(word, text) == counts.get(word, 0), word


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.sampled_from(["ACME ", "Acme ", "acme ", "É", "é", "1", ". "]), max_size=30).map(
        "".join
    )
)
def test_shouting_quick_reject_is_exact(s: str) -> None:
    from watcher.facts.parties import forms as PF

    letters = [c for c in s if c.isalpha()]
    want = len(letters) > 40 and sum(c.isupper() for c in letters) > 0.7 * len(letters)
    assert PF._shouting(s) == want


def _cue_runs(s: str) -> set[str]:
    return set(PP._first_runs().intersection(PN.WORD_RUN.findall(s)))


def test_strong_cue_words_are_in_every_cue() -> None:
    cue = PP._STRONG_CUE.pattern
    cue = cue[: cue.rindex(r")\s+")] + ")"  # without the trailing \s+ and name
    # expand the cue alternatives (no name part): every spelling must hold a cue word
    from test_facts_dates import _expand

    spellings = _expand(cue)
    assert len(spellings) > 50
    for s in spellings:
        text = f"x {s} Acme"
        assert PP._STRONG_CUE.search(text), text
        assert PP._may_cue(_cue_runs(text), text), text


@settings(max_examples=400, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                "we ",
                "We ",
                "use ",
                "have ",
                "appointed ",
                "hosted ",
                "by ",
                "processor",
                "sub-",
                "sub",
                "provider",
                "s",
                ": ",
                ", ",
                "is ",
                "called ",
                "stored ",
                "x",
                "Acme ",
                " ",
                "_",
            ]
        ),  # fmt: skip
        max_size=12,
    ).map("".join)
)
def test_strong_cue_words_rule_out_only_texts_without_a_cue(s: str) -> None:
    if PP._STRONG_CUE.search(s):
        assert PP._may_cue(_cue_runs(s), s)


def test_owner_speaking_of_itself_is_no_party() -> None:
    # "We at X" and a definition of "We"/"Us" name the policy's owner, not a third party
    text = (
        "We at OpenAI respect your privacy and are strongly committed to keeping secure any "
        "information we obtain from you. We host our data with AWS."
    )
    assert parties(text) == {"amazon web services": "AWS"}
    text = (
        'Company (referred to as either "the Company", "We", "Us" or "Our" in this Agreement) '
        "refers to the Acme Computer Inc. We use Acme Computer servers and Intercom for support."
    )
    assert parties(text) == {"intercom": "Intercom"}


def test_footer_profile_links_are_no_parties() -> None:
    # a page footer's "follow us" links: one profile name per line, nothing else
    text = (
        "Questions? Write to privacy@example.com.\nDiscord\nGitHub\nLinkedIn\nX [Twitter]\nYouTube"
    )
    assert parties(text) == {}
    # the same names in a list a sentence introduces, or under a processors heading, count
    text = (
        "Some of these providers, and links to their opt-out tools, are:\n"
        "  - Google\n  - Facebook\n## Sub-processors\n- GitHub\n"
    )
    assert set(parties(text)) == {"google", "facebook", "github"}


def test_prose_country_later_in_the_sentence_and_purpose_stops_at_next_party() -> None:
    from watcher.facts.parties import extract

    one = extract(
        "We use SendGrid, Inc. to send transactional emails (such as password resets); data is "
        "processed in the United States."
    )
    # named with its legal form: the full name is the value
    assert [(f.value, f.detail.get("country")) for f in one] == [("SendGrid, Inc.", "USA")]
    assert (
        extract("Our website is hosted by Amazon Web Services in Ireland.")[0].detail["country"]
        == "Ireland"
    )
    two = {
        f.value: f.detail
        for f in extract(
            "We use Mailchimp to send our newsletter, and Google Analytics to measure visits; "
            "data is stored in the United States."
        )
    }
    assert two["Mailchimp"]["purpose"] == "send our newsletter"
    # a place beyond the next named party is not pinned on the earlier one
    assert "country" not in two["Mailchimp"]


def test_a_long_purpose_never_ends_inside_a_word():
    """The purpose is read from at most 160 characters after the name: when that cut falls
    inside a word, the word is left out rather than shown half ("conte" for "content")."""
    head = "We share data with Brave, Inc., a search engine based in the United States and Canada"
    cut = 0
    for pad in range(30):  # shift the text so that the cut falls inside "content" at least once
        filler = "which runs the Brave browser and the Brave Search index as well " + "x" * pad
        text = f"{head} {filler}, to provide content for answers."
        start = text.index("Brave, Inc.") + len("Brave, Inc.")
        if (
            text[start + 159 : start + 161].isalpha()
            and "content" in text[start + 150 : start + 170]
        ):
            cut += 1
        for f in extract(text):
            purpose = (f.detail or {}).get("purpose") or ""
            for w in purpose.rstrip("…").split():
                assert w in text.split() or w + "." in text.split(), (pad, purpose)
    assert cut  # the case was exercised


_LIST_PARTS = st.sampled_from(
    ["partners", "partners such as ", "third parties", "parties", "services", "Stripe", "Acme",
     " Inc", ", ", " and ", " (such as ", ")", ": ", " ", "Payline", "prestataires ", "tels que ",
     "x", "é", ".", "sub-processors", "SDKs", "including ", "Partner", "-", "our payment processor, "]
)  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(st.lists(_LIST_PARTS, max_size=16).map("".join))
def test_listed_names_tried_where_the_nouns_are(s: str) -> None:
    # the list pattern tried only where a recipient word starts: the same names
    from watcher.facts.parties import forms as PF

    nouns = [w for w in PF.lexicon()["list_nouns"] if w in s]
    assert PF.listed_names(s, nouns) == PF.listed_names(s)
    assert [m.span() for m in PF._list_matches(s, nouns)] == [
        m.span() for m in PF._list_rx().finditer(s)
    ]


def _dominant_by_definition(text: str, facts: list[Any]) -> str | None:
    counts = []
    for f in facts:
        base = PN.strip_suffix(f.value)
        if len(base) >= 2:
            n, first = PN.mentions(base, text, fold(text))
            if n:
                counts.append((n, first, f.key))
    if not counts:
        return None
    counts.sort(reverse=True)
    n, first, key = counts[0]
    second = counts[1][0] if len(counts) > 1 else 0
    return key if n >= 10 and first <= 0.15 * len(text) and n >= 2 * second else None


_OWNER_TEXT = st.lists(
    st.one_of(
        st.sampled_from(["Acme", "Acme Inc.", "Stripe", "Google", "Zeta", "é"]),
        st.sampled_from([" ", ". ", "x", " filler text ", "acme"]),
    ),
    max_size=80,
).map("".join)


@settings(max_examples=400, deadline=None)
@given(_OWNER_TEXT, st.lists(st.sampled_from(["Acme", "Acme Inc.", "Stripe", "Google", "Zeta"])))
@example("Acme " * 12 + "Google " * 6, ["Google", "Acme"])
@example("Acme " * 12 + "Google " * 7, ["Google", "Acme"])
@example("x " * 40 + "Acme " * 12, ["Acme"])
@example("x " * 10 + "Acme " * 12, ["Acme"])  # first mentioned just after the opening 15%
@example("x" * 9 + " " + "Acme " * 12, ["Acme", "Zeta"])  # ... right at it
@example("xacme " * 12, ["Acme"])  # in the text 12 times, but never a mention
def test_dominant_name_by_definition(text: str, values: list[str]) -> None:
    # the owner found from the names of the opening 15% first: what counting every name gives
    from watcher.models import Fact

    facts = list(
        {
            PN.normalize_name(v): Fact(kind="party", key=PN.normalize_name(v), value=v)
            for v in values
        }.values()
    )
    assert PX._dominant(text, facts) == _dominant_by_definition(text, facts)


_BEFORE_PARTS = st.sampled_from(
    ["c/o", "C/O", "care of", "Attn", "ATTN.:", "attention:", "certification of", "Copyright",
     "©", "trademark of", "Trademarks of", "marques déposées de", "marque de", "Marken der",
     " ", "  ", "\u00a0", "\n", "x", "X", ".", "é", "ſ", "\u212a", "s"]
)  # fmt: skip


@settings(max_examples=500, deadline=None)
@given(st.lists(_BEFORE_PARTS, max_size=8).map("".join))
def test_not_recipient_before_equals_its_pattern(t: str) -> None:
    # the words looked for first (and the copyright sign apart): what the one pattern said
    was = re.compile(
        r"(?i:\bc/o|\bcare of|\battn\.?:?|\battention:?|\bcertification of|\bcopyright|©"
        r"|\btrademarks? of|\bmarques? (?:déposées? )?de|\bMarke(?:n)? der)\s*$"
    )
    assert PP._not_recipient_before(t) == bool(was.search(t))


_BLOCKS = [
    "- Limestone Networks - hosting in Ireland",
    "- Stripe: payments",
    "- LinkedIn",
    "LinkedIn",
    "* Quantcast (USA)",
    "1. Amazon Web Services, hosting",
    "We use Google Analytics to measure visits.",
    "Our processors: Stripe, Adyen and Braintree.",
    "# Service providers",
]
_HEADINGS = [
    "",
    "Service providers",
    "Our processors",
    "3. Third-party vendors",
    "Cookies",
    "Contact",
]


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(_BLOCKS), st.sampled_from(_HEADINGS), st.booleans())
def test_a_block_reads_only_the_context_of_its_heading(b: str, heading: str, listed: bool) -> None:
    # what the block memo is keyed by: the same calls with the heading's context only
    full, keyed = PX._Recorder(), PX._Recorder()
    PP.read_block(b, heading, listed, full)
    PP.read_block(b, PP.heading_context(heading), listed and bool(PP.ITEM.match(b)), keyed)
    assert full.calls == keyed.calls


def test_parties_do_not_depend_on_the_version_read_before() -> None:
    # the same items under a heading about providers in one version, under a renumbered one
    # and under another heading in the others; one after a line ending in ":" or not
    from watcher import facts as F

    items = "- Limestone Networks - hosting in Ireland\n- LinkedIn\n"
    texts = [
        f"## 2. Our service providers\n\n{items}\nWe share data with:\n\n- Quantcast\n",
        f"## 3. Our service providers\n\n{items}\nWe share data with them.\n\n- Quantcast\n",
        f"## 3. Other services\n\n{items}\nWe share data with:\n\n- Quantcast\n",
    ]
    cold = {}
    for t in texts:
        F.clear_caches()
        cold[t] = [f.to_dict() for f in extract(t)]
    assert cold[texts[0]] != cold[texts[2]]  # the heading does count
    for first in texts:
        for second in texts:
            F.clear_caches()
            extract(first)
            assert [f.to_dict() for f in extract(second)] == cold[second]


def test_a_country_named_in_another_language_is_never_a_party():
    """A French list of cookie providers gives each company's address; the country closing
    it ("Allemagne", "Irlande") was read as a party, because the country test knew only
    English names. It now knows every name the places family reads."""
    text = (
        "# Cookies\n\n"
        "- Nous utilisons un cookie de la société Webtrekk GmbH, Robert-Koch-Platz 4, 10115 "
        "Berlin, Allemagne, pour analyser et évaluer le comportement des clients.\n"
        "- Nous utilisons un cookie de la société Adobe Systems Software Ireland Limited, 4-6 "
        "Riverwalk, Citywest Business Campus, Dublin 24, Irlande, pour analyser la navigation.\n"
    )
    got = parties(text)
    assert "webtrekk" in got and any(k.startswith("adobe") for k in got)
    assert not {"allemagne", "irlande"} & set(got)
    # nor is the rest of the company's address, written as more items of the list
    assert not {"4-6 riverwalk", "citywest business campus", "dublin 24"} & set(got)
    assert set(got) == {"webtrekk", "adobe systems software ireland"}
    for name in ("Allemagne", "Irlande", "Vereinigtes Königreich", "Estados Unidos", "Germany"):
        assert PN.is_country(name)
    assert not PN.is_country("Webtrekk")


def test_an_address_after_a_legal_name_is_not_a_list_of_names():
    """Items after a company's legal name hold a street number or a postcode: its address.
    A number in a list of names that follows no legal name is part of a name."""
    text = (
        "# Analytics\n\nWe share usage data with our partners AdClear GmbH, Torstraße 106, "
        "10119 Berlin, and Salesforce Inc., The Landmark, Suite 300, San Francisco.\n\n"
        "We also share it with partners such as Mixpanel, Quantum Metric, Windows 7 and "
        "Amplitude.\n"
    )
    got = parties(text)
    assert {"adclear", "salesforce", "mixpanel", "amplitude"} <= set(got)
    assert not {"torstraße 106", "the landmark", "suite 300", "san francisco"} & set(got)
    assert "quantum metric" in got
