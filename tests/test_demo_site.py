"""The bundled offline sample site (watcher/demo/pages/) is well-formed and says what it promises.

These tests check the package data only, not the extractor: every page parses, the schedule points
at real files, the old windows-1252 page really is windows-1252, the Cloudflare-obfuscated address
decodes, the markup-only refetch keeps the policy text, and every substantive version differs from
its predecessor in the words its README/schedule entry claims.
"""

from __future__ import annotations

import json
import re
from importlib.resources import files
from pathlib import Path

import lxml.html
import pytest
from bs4 import BeautifulSoup

SITE = Path(str(files("watcher.demo") / "pages"))
SLUGS = ("claro", "clearring", "smartertools", "soutron", "clarioncall")
MARKUP_ONLY = ("clearring", "v1.html", "v2.html")  # (slug, predecessor, markup-only refetch)
CF_ADDRESS = "dataprotection@clarioncall.co.uk"


def schedule() -> dict:
    return json.loads((SITE / "schedule.json").read_text(encoding="utf-8"))


def all_pages() -> list[tuple[str, str]]:
    return sorted((p.parent.name, p.name) for p in SITE.glob("*/v*.html"))


def decode(slug: str, name: str) -> str:
    charset = schedule()["meta"][slug]["charset"]
    return (SITE / slug / name).read_bytes().decode(charset)


def norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def policy_text(slug: str, name: str) -> str:
    """Visible policy text: <main> when there is one, else the old table layout's content cell."""
    soup = BeautifulSoup(decode(slug, name), "lxml")
    container = soup.find("main") or soup.find(id="content")
    assert container is not None, f"{slug}/{name}: no <main> or #content"
    for tag in container(["script", "style", "template"]):
        tag.decompose()
    for br in container("br"):
        br.replace_with("\n")
    return norm(container.get_text())


def cf_decode(hex_string: str) -> str:
    """Cloudflare email protection: first byte is the key, the rest are chars XOR key."""
    data = bytes.fromhex(hex_string)
    key = data[0]
    return "".join(chr(b ^ key) for b in data[1:])


# -- layout and schedule -------------------------------------------------------------------------
def test_layout() -> None:
    assert (SITE / "README.md").is_file()
    assert {p.parent.name for p in SITE.glob("*/v*.html")} == set(SLUGS)
    for slug in SLUGS:
        names = sorted(p.name for p in (SITE / slug).glob("v*.html"))
        assert names == [f"v{i}.html" for i in range(1, len(names) + 1)]
        assert 2 <= len(names) <= 3, (slug, names)


def test_schedule_references_existing_files() -> None:
    sched = schedule()
    days = sched["days"]
    assert 4 <= len(days) <= 6
    assert [d["day"] for d in days] == list(range(1, len(days) + 1))
    assert days[0]["pages"] == {slug: "v1.html" for slug in SLUGS}
    for d in days:
        assert set(d["pages"]) == set(SLUGS)
        for slug, name in d["pages"].items():
            assert (SITE / slug / name).is_file(), (d["day"], slug, name)


def test_schedule_walks_every_version_forward() -> None:
    days = schedule()["days"]
    for slug in SLUGS:
        seen = [d["pages"][slug] for d in days]
        numbers = [int(name[1:-5]) for name in seen]
        assert numbers == sorted(numbers), (slug, seen)  # never goes back
        on_disk = {p.name for p in (SITE / slug).glob("v*.html")}
        assert set(seen) == on_disk, (slug, "every version is served on some day")
    # at least one policy stays put through most of the days
    assert any(sum(d["pages"][s] == "v1.html" for d in days) > len(days) / 2 for s in SLUGS)
    # the markup-only refetch is served on some day right after its predecessor
    slug, before, after = MARKUP_ONLY
    seq = [d["pages"][slug] for d in days]
    assert any(a == before and b == after for a, b in zip(seq, seq[1:], strict=False))


def test_meta() -> None:
    meta = schedule()["meta"]
    assert set(meta) == set(SLUGS)
    for slug, m in meta.items():
        assert m["title"]
        assert m["path"] == f"/{slug}/privacy-policy/"
        assert m["charset"] in ("utf-8", "windows-1252")
        versions = {p.name for p in (SITE / slug).glob("v*.html")} - {"v1.html"}
        assert set(m["expect"]) == versions, slug
        assert all(isinstance(v, str) and v for v in m["expect"].values())
    assert meta[MARKUP_ONLY[0]]["expect"][MARKUP_ONLY[2]].lower().startswith("no change")


# -- every page ----------------------------------------------------------------------------------
@pytest.mark.parametrize(("slug", "name"), all_pages())
def test_page_parses_and_looks_like_a_site(slug: str, name: str) -> None:
    raw = (SITE / slug / name).read_bytes()
    root = lxml.html.document_fromstring(decode(slug, name))
    assert root.find("body") is not None
    assert root.xpath('//div[contains(concat(" ", @class, " "), " cookie-banner ")]'), (
        "cookie banner"
    )
    assert any((s.text or "").strip() for s in root.xpath("//script")), "an inline script"
    assert root.xpath("//a[@href]")
    assert re.search(rb"(?:\xa9|\xc2\xa9) ?(?:2003-)?20\d\d", raw), "copyright year in footer"
    assert len(policy_text(slug, name)) > 2500


@pytest.mark.parametrize(("slug", "name"), all_pages())
def test_declared_charset_matches_bytes(slug: str, name: str) -> None:
    raw = (SITE / slug / name).read_bytes()
    charset = schedule()["meta"][slug]["charset"]
    if charset == "utf-8":
        raw.decode("utf-8")  # strict
        assert re.search(rb'<meta charset="utf-8">', raw, re.I)
        assert re.search("[^\\x00-\\x7f]", raw.decode("utf-8")), "some non-ASCII text"
    else:
        with pytest.raises(UnicodeDecodeError):
            raw.decode("utf-8")
        assert b"charset" not in raw.lower(), "the old page declares no charset"
        text = raw.decode("windows-1252")  # strict: no undefined bytes
        assert "\u201cusage data\u201d" in norm(BeautifulSoup(text, "lxml").get_text())
        assert "analytics tools \u2014 our own" in text
        assert "Copyright \u00a9 2003-2019" in text
        assert "<font" in text and "<table" in text


def test_utf8_pages_use_real_typography() -> None:
    text = "".join(decode(s, n) for s, n in all_pages() if s != "smartertools")
    for ch in "’“”–£":
        assert ch in text, ch


def test_smartertools_is_the_windows_1252_page() -> None:
    meta = schedule()["meta"]
    assert [s for s in SLUGS if meta[s]["charset"] == "windows-1252"] == ["smartertools"]


# -- special markup ------------------------------------------------------------------------------
def test_cloudflare_email_protection_decodes() -> None:
    for name in ("v1.html", "v2.html"):
        soup = BeautifulSoup(decode("clarioncall", name), "lxml")
        links = soup.select("a.__cf_email__[data-cfemail]")
        assert len(links) == 3
        for a in links:
            assert a["href"] == "/cdn-cgi/l/email-protection"
            assert a.get_text() == "[email\xa0protected]"
            assert cf_decode(a["data-cfemail"]) == CF_ADDRESS
        assert CF_ADDRESS not in (SITE / "clarioncall" / name).read_text(encoding="utf-8")


def test_cf_decode_known_vector() -> None:
    # key 0x42: "a" = 0x61 ^ 0x42 = 0x23
    assert cf_decode("4223") == "a"


def test_accordions_hide_real_policy_text() -> None:
    soup = BeautifulSoup(decode("clearring", "v1.html"), "lxml")
    hidden = soup.select("main [hidden]")
    assert len(hidden) >= 15
    assert any("hello@clearring.co.uk" in h.get_text() for h in hidden)
    soup = BeautifulSoup(decode("clarioncall", "v1.html"), "lxml")
    collapsed = soup.select('main [style*="display:none"]')
    assert len(collapsed) == 3
    assert "SMS messages" in " ".join(c.get_text() for c in collapsed)


def test_processor_table() -> None:
    soup = BeautifulSoup(decode("soutron", "v1.html"), "lxml")
    rows = [
        [norm(td.get_text()) for td in tr.find_all(["td", "th"])]
        for tr in soup.select("main table tr")
    ]
    assert rows[0] == [
        "Third Party Name",
        "Data type:",
        "Access to data",
        "Purposes:",
        "Data Location",
    ]
    assert [
        "SendGrid",
        "Email address",
        "Email address",
        "Provide email delivery service",
        "USA (Privacy Shield Certified)",
    ] in rows


# -- versions ------------------------------------------------------------------------------------
def test_markup_only_refetch_keeps_policy_text() -> None:
    slug, before, after = MARKUP_ONLY
    assert (SITE / slug / before).read_bytes() != (SITE / slug / after).read_bytes()
    assert policy_text(slug, before) == policy_text(slug, after)
    # also with a separator between every text node, as a block-aware extractor would see it
    main_text = lambda name: norm(  # noqa: E731
        BeautifulSoup(decode(slug, name), "lxml").find("main").get_text(" ")
    )
    assert main_text(before) == main_text(after)

    def chrome(name: str) -> tuple[str, str, str]:
        soup = BeautifulSoup(decode(slug, name), "lxml")
        return (
            norm(soup.find("nav").get_text(" ")),
            norm(soup.find("footer").get_text(" ")),
            " ".join(s.get_text() for s in soup.find_all("script")),
        )

    nav1, foot1, js1 = chrome(before)
    nav2, foot2, js2 = chrome(after)
    assert nav1 != nav2 and js1 != js2
    assert "© 2022" in foot1 and "© 2023" in foot2
    classes = lambda name: set(re.findall(r'class="([^"]+)"', decode(slug, name)))  # noqa: E731
    assert classes(before) != classes(after)


# (slug, version, words now present, words present before and now gone)
CHANGES = [
    (
        "claro",
        "v2.html",
        ["beyond 30 days maximum", "3rd March 2023"],
        ["beyond a few hours maximum", "10th August 2021"],
    ),
    (
        "claro",
        "v3.html",
        ["SendGrid, Inc.", "processed in the United States", "14th November 2023"],
        ["3rd March 2023"],
    ),
    (
        "clearring",
        "v3.html",
        [
            "servers based in the European Union and in the United States",
            "Standard Contractual Clauses",
            "1st February 2023",
        ],
        [
            "We do not hold or transfer any data outside of the European Economic Area",
            "8th September 2020",
        ],
    ),
    (
        "smartertools",
        "v2.html",
        ["Last updated January 6, 2020"],
        ["Voluntary Use of Third Party Services", "Last updated May 25, 2018"],
    ),
    ("soutron", "v2.html", ["Zendesk", "USA (Standard Contractual Clauses)"], ["Privacy Shield"]),
    ("clarioncall", "v2.html", ["(e) Voice messages", "audio recording"], ["£10.00"]),
]


@pytest.mark.parametrize(("slug", "name", "added", "removed"), CHANGES)
def test_substantive_version_changes_expected_words(slug, name, added, removed) -> None:
    prev = f"v{int(name[1:-5]) - 1}.html"
    old, new = policy_text(slug, prev), policy_text(slug, name)
    assert old != new
    for w in added:
        assert w in new, (slug, name, w)
        assert w not in old, (slug, prev, w)
    for w in removed:
        assert w in old, (slug, prev, w)
        assert w not in new, (slug, name, w)


def test_every_later_version_is_covered() -> None:
    covered = {(s, n) for s, n, *_ in CHANGES} | {(MARKUP_ONLY[0], MARKUP_ONLY[2])}
    later = {(s, n) for s, n in all_pages() if n != "v1.html"}
    assert covered == later


def test_substantive_changes_are_local() -> None:
    """Apart from the intended edits, each version keeps the rest of the seed text."""
    for slug, name, _added, _removed in CHANGES:
        prev = f"v{int(name[1:-5]) - 1}.html"
        old = set(re.split(r"(?<=[.;:])\s+", policy_text(slug, prev)))
        new = set(re.split(r"(?<=[.;:])\s+", policy_text(slug, name)))
        assert len(old & new) >= 0.85 * len(old), (slug, name)


def test_v1_text_is_the_seed_policy() -> None:
    """Spot-check sentences copied verbatim from the published policies."""
    samples = {
        "claro": "Our billing and customer databases do not hold personal data.",
        "clearring": "Clear Ring is a company registered in England and Wales (Company No* 12866676)",
        "smartertools": "The only international transfer of personal data is between you and SmarterTools.",
        "soutron": "Hosting service for the Soutron application",
        "clarioncall": "CCL is registered under the Data Protection Act (2008), registration number Z9319063.",
    }
    for slug, sentence in samples.items():
        assert sentence in policy_text(slug, "v1.html"), slug
