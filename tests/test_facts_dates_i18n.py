"""Policy dates as EU policies write them: French, German, Spanish, Italian, Dutch, Portuguese,
compact version references and version histories (facts/dates.py)."""

from __future__ import annotations

import pytest

from tests.policies_i18n import DATES, POLICIES
from watcher.facts import dates as D
from watcher.facts import extract_facts
from watcher.language import detect_language


def dates(text: str, language: str | None = None) -> dict[str, str]:
    return {f.key: f.value for f in D.extract(text, language)}


@pytest.mark.parametrize("lang", sorted(POLICIES))
def test_the_date_of_each_policy(lang: str) -> None:
    text = POLICIES[lang]
    facts = [f for f in extract_facts(text, detect_language(text)) if f.kind == "date"]
    assert [f.value for f in facts] == [DATES[lang]]


@pytest.mark.parametrize(
    ("line", "key", "value"),
    [
        ("Mis à jour le 3 mars 2023", "last_updated", "2023-03-03"),
        ("Dernière mise à jour : avril 2026", "last_updated", "2026-04"),
        ("Mise à jour\u202f: 5 décembre, 2024", "last_updated", "2024-12-05"),
        ("(Mise à jour du 17 décembre 2021 )", "last_updated", "2021-12-17"),
        (
            "Ces informations relatives à la protection des données ont été actualisées la "
            "dernière fois le 15.09.2023.",
            "last_updated",
            "2023-09-15",
        ),
        ("A partir du 1er août 2023", "effective", "2023-08-01"),
        ("**À partir du\u00a0: 5\u00a0novembre\u00a02021**", "effective", "2021-11-05"),
        ("En vigueur au 1er janvier 2024", "effective", "2024-01-01"),
        ("Version : 05/2018", "version_date", "2018-05"),
        ("V3 - 03/2023", "version_date", "2023-03"),
        ("Stand: 1. Juli 2024", "last_updated", "2024-07-01"),
        ("Stand: 07/2024", "last_updated", "2024-07"),
        ("Zuletzt aktualisiert am 3. März 2023", "last_updated", "2023-03-03"),
        ("Gültig ab 25.05.2018", "effective", "2018-05-25"),
        ("Veröffentlicht am 2. Mai 2022", "posted", "2022-05-02"),
        ("Última actualización: 12 de mayo de 2024", "last_updated", "2024-05-12"),
        ("Actualizado: mayo de 2024", "last_updated", "2024-05"),
        ("Fecha de la última actualización: 3 de enero de 2025", "last_updated", "2025-01-03"),
        ("Ultimo aggiornamento: 15 gennaio 2024", "last_updated", "2024-01-15"),
        ("Laatst bijgewerkt op 1 februari 2024", "last_updated", "2024-02-01"),
        ("Última atualização: 10 de outubro de 2023", "last_updated", "2023-10-10"),
        ("Data de entrada em vigor: 1 de março de 2024", "effective", "2024-03-01"),
        ("Em vigor desde 2 de junho de 2022", "effective", "2022-06-02"),
        ("Last revised APRIL-2024", "last_revised", "2024-04"),
        ("Last revised 16-OCT-2023", "last_revised", "2023-10-16"),
        ("_Effective starting: August 17, 2026_", "effective", "2026-08-17"),
    ],
)
def test_labels_and_forms(line: str, key: str, value: str) -> None:
    assert dates(f"# Privacy\n\n{line}\n\nSome text.\n") == {key: value}


def test_a_version_history_list_gives_the_current_version() -> None:
    text = """# Politique de confidentialité

Nous traitons vos données personnelles conformément au RGPD.

## Historique des versions

- V1 - 05/2018 : création de la politique
- V2 - 01/2021 : ajout des cookies de mesure d'audience
- V3 - 03/2023 : nouveaux sous-traitants
"""
    facts = D.extract(text, "fr")
    assert [(f.key, f.value) for f in facts] == [("version_date", "2023-03")]
    assert facts[0].evidence == "V3 - 03/2023 : nouveaux sous-traitants"


def test_a_version_history_table_gives_the_current_version() -> None:
    text = """# Privacy notice

This notice was published on 21 October 2021 (version 1.0).

| Version | Change | Date |
| --- | --- | --- |
| 2.0 | Document updated | 25.2.2022 |
| 3.2 | Document updated | 25.3.2026 |
| 3.3 | Document updated | 20.4.2026 |
"""
    assert dates(text) == {"posted": "2021-10-21", "last_updated": "2026-04-20"}


def test_prose_dates_after_the_first_still_do_not_count() -> None:
    text = "Last updated: 3 May 2024.\n\nThe policy was last updated on 1 June 2020 before that.\n"
    assert dates(text) == {"last_updated": "2024-05-03"}


@pytest.mark.parametrize(
    "line",
    [
        "Previous version: 25 February 2025",
        "Version précédente : 3 mars 2022",
        "Ancienne version du 3 mars 2022",
        "Vorherige Fassung vom 1. Mai 2021",
    ],
)
def test_dates_of_earlier_versions_are_not_the_policy_date(line: str) -> None:
    text = f"# Policy\n\nLast updated: 16 April 2025\n\n{line}\n"
    assert dates(text) == {"last_updated": "2025-04-16"}


def test_a_date_standing_alone_under_the_title() -> None:
    text = "# Protection des données\n\n**Novembre\u00a02022**\n\nLa sécurité est une priorité.\n"
    facts = D.extract(text, "fr")
    assert [(f.key, f.value) for f in facts] == [("policy_date", "2022-11")]
    assert facts[0].detail["as_written"] == "Novembre 2022"


def test_a_lone_date_is_not_used_when_a_labelled_one_exists_or_several_stand_alone() -> None:
    labelled = "# Policy\n\nJune 13, 2022\n\nLast updated: 1 May 2023\n"
    assert dates(labelled) == {"last_updated": "2023-05-01"}
    news = "# News\n\nJune 13, 2022\n\nA paragraph.\n\nJuly 2, 2022\n\nAnother one.\n"
    assert dates(news) == {}
    assert dates("# Policy\n\n| Cookie | 13/06/2022 |\n") == {}


def test_month_year_numbers_need_a_label() -> None:
    # "03/2023" alone, a phone number, an amount: no date
    assert dates("We answer within 03/2023 cases.\n\nCall 01/2023 4567.\n") == {}
    assert dates("Version 2.1 of the app\n") == {}


def test_the_pages_own_date_stamp_beats_a_sentence_about_a_notice() -> None:
    text = (
        "# Confidentialité\n\nLe présent avis de confidentialité est la version 1.0, publiée le "
        "16 septembre 2024.\n\nAutre texte.\n\nPublié le 09/03/2024\n"
    )
    assert dates(text, "fr") == {"posted": "2024-03-09"}
    # a stamp first and a sentence later: the stamp stays
    later = "# Policy\n\nPublished on 9 March 2024\n\nThe notice was published on 1 May 2020.\n"
    assert dates(later) == {"posted": "2024-03-09"}
