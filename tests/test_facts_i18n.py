"""Rights, transfers, places and retention periods as French, German and other EU policies
write them: the same fact keys as in English, so a translated paragraph is no change and a
changed period is one retention change (facts/rights.py, places.py, retention.py)."""

from __future__ import annotations

import pytest

from tests.policies_i18n import POLICIES
from watcher.analysis.findings import analyze
from watcher.facts import extract_facts, places, retention, rights, sections
from watcher.language import detect_language


def keys(facts: list, kind: str) -> set[str]:
    return {f.key for f in facts if f.kind == kind}


@pytest.mark.parametrize("lang", sorted(POLICIES))
def test_each_policy_states_rights_and_a_transfer_outside_the_eea(lang: str) -> None:
    text = POLICIES[lang]
    facts = extract_facts(text, detect_language(text))
    assert {"access", "erasure"} <= keys(facts, "right")
    assert "outside:eea" in keys(facts, "location")
    assert len(keys(facts, "retention")) == 1


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("Vous disposez d'un droit d'accès, de rectification et d'effacement.", {"access", "rectification", "erasure"}),
        ("Vous pouvez exercer votre droit d'opposition et retirer votre consentement à tout moment.", {"objection", "withdraw_consent"}),
        ("Vous avez le droit d'introduire une réclamation auprès de la CNIL.", {"complaint"}),
        ("Sie haben das Recht auf Auskunft, Berichtigung, Löschung und Einschränkung der Verarbeitung.", {"access", "rectification", "erasure", "restriction"}),
        ("Sie haben ein Recht auf Datenübertragbarkeit und können Ihre Einwilligung jederzeit widerrufen.", {"portability", "withdraw_consent"}),
        ("Ihnen steht ein Beschwerderecht bei einer Aufsichtsbehörde zu.", {"complaint"}),
        ("Usted tiene derecho de acceso, rectificación, supresión y oposición.", {"access", "rectification", "erasure", "objection"}),
        ("Hai il diritto di accesso, di rettifica e di opposizione al trattamento.", {"access", "rectification", "objection"}),
        ("U heeft recht op inzage, correctie en verwijdering van uw gegevens.", {"access", "rectification", "erasure"}),
        ("Tem o direito de acesso, retificação e portabilidade dos seus dados.", {"access", "rectification", "portability"}),
    ],
)  # fmt: skip
def test_rights(sentence: str, expected: set[str]) -> None:
    assert keys(rights.extract(sentence, None), "right") == expected


@pytest.mark.parametrize(
    ("sentence", "location", "mechanism"),
    [
        ("Vos données peuvent être transférées vers des pays tiers sur la base des clauses contractuelles types.", "outside:eea", "scc"),
        ("Certaines données sont hébergées en dehors de l'Union européenne.", "outside:eu", None),
        ("Vos données sont stockées aux États-Unis.", "united states", None),
        ("Eine Übermittlung in ein Drittland erfolgt auf Grundlage eines Angemessenheitsbeschlusses.", "outside:eea", "adequacy"),
        ("Ihre Daten werden außerhalb des EWR verarbeitet; es gelten die Standardvertragsklauseln.", "outside:eea", "scc"),
        ("Die Daten werden auf Servern in Deutschland gespeichert.", "germany", None),
        ("Los datos se transfieren a terceros países mediante cláusulas contractuales tipo.", "outside:eea", "scc"),
        ("I dati possono essere trasferiti al di fuori dello Spazio Economico Europeo.", "outside:eea", None),
        ("De gegevens worden opgeslagen buiten de Europese Unie.", "outside:eu", None),
        ("Os dados são transferidos para países terceiros com base em decisões de adequação.", "outside:eea", "adequacy"),
        ("Nous appliquons des règles d'entreprise contraignantes pour les transferts.", None, "bcr"),
    ],
)  # fmt: skip
def test_transfers_and_places(sentence: str, location: str | None, mechanism: str | None) -> None:
    facts = places.extract(sentence, None)
    if location:
        assert location in keys(facts, "location")
    if mechanism:
        assert keys(facts, "transfer_mechanism") == {mechanism}


@pytest.mark.parametrize(
    "sentence",
    [
        "Le traitement est régi par le droit de l'Union européenne.",  # a law, not a destination
        "Die Verarbeitung erfolgt nach dem Recht der Europäischen Union.",
        "Nous ne transférons jamais vos données vers des pays tiers.",  # negated
    ],
)
def test_laws_and_negations_are_not_destinations(sentence: str) -> None:
    got = keys(places.extract(sentence, None), "location")
    assert "european union" not in got and "outside:eea" not in got


@pytest.mark.parametrize(
    ("sentence", "lang", "value", "days"),
    [
        ("Les données des comptes inactifs sont conservées pendant 3 ans.", "fr", "3 years", 1095),
        (
            "Vos données sont conservées 10 ans à compter de la clôture du compte.",
            "fr",
            "10 years",
            3650,
        ),
        ("Les journaux sont supprimés après six mois.", "fr", "6 months", 180),
        ("Die Protokolle werden nach 14 Tagen gelöscht.", "de", "14 days", 14),
        ("Ihre Daten werden für 6 Monate gespeichert.", "de", "6 months", 180),
        ("Conservaremos sus datos durante 5 años.", "es", "5 years", 1825),
        ("I dati sono conservati per 24 mesi.", "it", "24 months", 720),
        ("Wij bewaren uw gegevens 2 jaar.", "nl", "2 years", 730),
        ("Os dados são conservados durante 90 dias.", "pt", "90 days", 90),
    ],
)
def test_retention_periods(sentence: str, lang: str, value: str, days: int) -> None:
    facts = retention.extract(sentence, lang)
    assert [(f.value, f.detail["days"]) for f in facts] == [(value, days)]


@pytest.mark.parametrize(
    ("sentence", "value"),
    [
        ("Nous conservons vos données aussi longtemps que nécessaire.", "as long as necessary"),
        ("Wir speichern Ihre Daten so lange, wie es für den Dienst erforderlich ist.", "as long as necessary"),
        ("Vos données sont conservées jusqu'à la suppression de votre compte.", "until you delete your account"),
        ("Wir speichern die Daten bis zur Löschung Ihres Kontos.", "until you delete your account"),
        ("Nous conservons vos données pendant toute la durée du contrat.", "for the duration of the contract"),
    ],
)  # fmt: skip
def test_open_ended_periods(sentence: str, value: str) -> None:
    assert [f.value for f in retention.extract(sentence, "fr")] == [value]


def test_inactive_accounts_from_three_to_ten_years_is_one_retention_change() -> None:
    head = "# Politique de confidentialité\n\n"
    old = head + "Les données des comptes inactifs sont conservées pendant 3 ans.\n"
    new = head + "Les données des comptes inactifs sont conservées 10 ans.\n"
    a = analyze(old, new, extract_facts(old, "fr"), extract_facts(new, "fr"))
    changed = [f for f in a.findings if f.kind.startswith("retention")]
    assert len(changed) == 1 and changed[0].kind == "retention_changed"
    assert (changed[0].old, changed[0].new) == ("3 years", "10 years")
    assert changed[0].severity != "info"


def test_a_paragraph_translated_from_english_into_french_is_no_fact_change() -> None:
    en = (
        "# Politique\n\nData may also be transferred to service providers outside the EU / EEA. "
        "The necessary level of data protection is established by adequacy decisions or EU "
        "standard contractual clauses. You have the right of access to your personal data.\n"
    )
    fr = (
        "# Politique\n\nDes données peuvent aussi être transférées à des prestataires en dehors "
        "de l'UE / de l'EEE. Le niveau de protection requis est établi par des décisions "
        "d'adéquation ou des clauses contractuelles types. Vous disposez d'un droit d'accès à "
        "vos données personnelles.\n"
    )
    fe, ff = extract_facts(en, "en"), extract_facts(fr, "fr")
    for kind in ("location", "transfer_mechanism", "right"):
        assert keys(fe, kind) == keys(ff, kind), kind
    assert keys(ff, "transfer_mechanism") == {"adequacy", "scc"}


def test_headings_keep_their_words_and_lose_article_numbers() -> None:
    text = (
        "# Politique de confidentialité\n\n## Article 3 – Données collectées\n\nTexte.\n\n"
        "## § 4 Speicherdauer und Löschung\n\nText.\n\n## 5. Vos droits\n\nTexte.\n"
    )
    got = [f.key for f in sections.extract(text, "fr")]
    assert got == [
        "politique de confidentialite",
        "donnees collectees",
        "speicherdauer und loschung",
        "vos droits",
    ]


def test_a_heading_that_differs_only_by_a_french_date_is_no_section_change() -> None:
    old = "# Politique\n\n## Mise à jour le 3 mars 2023\n\nTexte de la politique.\n"
    new = "# Politique\n\n## Mise à jour le 15 décembre 2024\n\nTexte de la politique.\n"
    a = analyze(old, new, extract_facts(old, "fr"), extract_facts(new, "fr"))
    assert not [f for f in a.findings if f.kind.startswith("section")]
    assert [(f.kind, f.new) for f in a.findings if f.kind.startswith("date")] == [
        ("date_changed", "2024-12-15")
    ]


def test_a_french_retention_table_gives_one_period_per_row() -> None:
    text = (
        "# Politique\n\n## Durée de conservation\n\n| Données | Durée |\n| --- | --- |\n"
        "| Données du compte | 3 ans |\n| Journaux de connexion | 12 mois |\n"
    )
    got = sorted((f.value, f.detail["days"]) for f in retention.extract(text, "fr"))
    assert got == [("12 months", 360), ("3 years", 1095)]


_EN_PARA = (
    "We use cookies from the affiliate network Awin AG on our website to run affiliate "
    "marketing campaigns. In this way, Awin is able to track which website or app has "
    "referred potential customers to us, so that we can pay the operators of these websites "
    "a fair commission for the purchases they brought to us. The cookie term is 30 days."
)
_FR_PARA = (
    "Nous utilisons sur notre site des cookies du réseau d'affiliation Awin AG afin de mener "
    "des campagnes de marketing d'affiliation. De cette manière, Awin est en mesure de "
    "déterminer quel site ou quelle application nous a adressé des clients potentiels, afin "
    "que nous puissions verser aux opérateurs de ces sites une commission équitable pour les "
    "achats qu'ils nous ont apportés. La durée de vie des cookies est de 30 jours."
)


def test_a_paragraph_translated_with_the_same_facts_is_one_info_finding() -> None:
    head = "# Politique de confidentialité\n\nNous protégeons vos données personnelles.\n\n"
    old, new = head + _EN_PARA + "\n", head + _FR_PARA + "\n"
    a = analyze(old, new, extract_facts(old, "fr"), extract_facts(new, "fr"))
    assert a.classification == "cosmetic"
    assert [(f.kind, f.severity) for f in a.findings] == [("text_changed", "info")]
    assert a.findings[0].summary.startswith("Text translated from English into French")


def test_a_translation_that_also_changes_a_fact_is_reported() -> None:
    head = "# Politique de confidentialité\n\nNous protégeons vos données personnelles.\n\n"
    old = head + _EN_PARA + "\n"
    new = head + _FR_PARA.replace("30 jours", "13 mois") + "\n"
    a = analyze(old, new, extract_facts(old, "fr"), extract_facts(new, "fr"))
    assert a.classification != "cosmetic"
    assert any(f.severity != "info" for f in a.findings)
