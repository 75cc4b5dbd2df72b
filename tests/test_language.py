"""Language detection (watcher/language.py), its use by extraction, storage and the CLI."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tests.policies_i18n import POLICIES
from watcher.extract import extract
from watcher.language import LANGUAGES, detect_language, guess
from watcher.storage.sqlite import SCHEMA_VERSION, Store


@pytest.mark.parametrize("lang", sorted(POLICIES))
def test_detects_the_language_of_each_policy(lang: str) -> None:
    assert detect_language(POLICIES[lang]) == lang
    g = guess(POLICIES[lang])
    assert g.language == lang and g.hits >= 10 and g.runner_up != lang


@pytest.mark.parametrize("lang", sorted(POLICIES))
def test_a_single_paragraph_is_enough(lang: str) -> None:
    para = max(POLICIES[lang].split("\n\n"), key=len)
    assert detect_language(para) == lang


def test_every_language_of_the_issue_is_known() -> None:
    assert {"en", "fr", "de", "es", "it", "nl", "pt"} <= set(LANGUAGES)


def test_declared_language_decides_only_when_the_text_cannot() -> None:
    assert detect_language("", "fr") == "fr"
    assert detect_language("Cookies", "de") == "de"  # no function word at all
    assert detect_language("SendGrid, Stripe", None) is None
    # a whole policy overrules a wrong tag (a French page served with lang="en")
    assert detect_language(POLICIES["fr"], "en") == "fr"
    assert detect_language(POLICIES["de"], "EN") == "de"


def test_other_scripts_give_no_guess_but_keep_the_tag() -> None:
    text = "Политика конфиденциальности. Мы собираем ваши данные. " * 20
    assert guess(text).language is None
    assert detect_language(text, "ru") == "ru"


def test_extraction_detects_the_text_language_and_keeps_the_tag() -> None:
    body = "".join(f"<p>{p}</p>" for p in POLICIES["fr"].split("\n\n")[1:])
    html = f"<!doctype html><html lang='en-GB'><head><title>x</title></head><body><main>{body}"
    doc = extract(f"{html}</main></body></html>".encode(), content_type="text/html")
    assert doc.language == "fr" and doc.declared_language == "en"
    plain = extract(POLICIES["nl"].encode(), content_type="text/plain")
    assert plain.language == "nl" and plain.declared_language is None


def test_long_texts_are_sampled_start_middle_and_end() -> None:
    # an English cookie banner before a long German policy does not decide
    text = "We use cookies. " * 50 + POLICIES["de"] * 200
    assert len(text) > 30_000 and detect_language(text) == "de"


def test_store_migrates_v2_versions_to_detected_languages(tmp_path: Path) -> None:
    db = tmp_path / "v2.db"
    s = Store(db, tmp_path / "snap")
    s.close()
    conn = sqlite3.connect(db)
    # back to the v2 layout: no declared_language column, the tag in `language`
    conn.execute("ALTER TABLE versions DROP COLUMN declared_language")
    conn.execute("INSERT INTO watches(name, url, added_at) VALUES ('a', 'http://a', 'x')")
    for text, tag in ((POLICIES["fr"], "en"), (POLICIES["de"], None), ("Cookies", "it")):
        conn.execute(
            "INSERT INTO versions(watch, captured_at, last_seen, source, sha256, words, title,"
            " language, text, facts) VALUES ('a', '2024-01-01T00:00:00Z', '2024-01-01T00:00:00Z',"
            " 'live', 'x', 1, 't', ?, ?, '[]')",
            (tag, text),
        )
    conn.execute("PRAGMA user_version = 2")
    conn.commit()
    conn.close()
    s = Store(db, tmp_path / "snap")
    assert s.schema_version == SCHEMA_VERSION
    got = [(v.language, v.declared_language) for v in s.versions("a")]
    assert got == [("fr", "en"), ("de", None), ("it", "it")]
    # facts derived without the language are derived again when next needed
    assert [v.facts for v in s.versions("a")] == [None, None, None]
    vid = s.add_version(
        "a",
        captured_at=s.versions("a")[0].captured_at,
        source="live",
        text=POLICIES["es"],
        title=None,
        language="es",
        declared_language="en",
        facts=None,
        capture_id=None,
    )
    v = s.get_version("a", vid)
    assert v is not None and (v.language, v.declared_language) == ("es", "en")
    s.close()
