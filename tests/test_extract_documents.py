"""Issue 12 point 4 / issue 15 point 3: a page holding several documents, and a selector for
its privacy part (extract.find_documents)."""

from __future__ import annotations

from tests.test_extract_limits import pdf_bomb
from watcher.extract import check_selector, extract, find_documents


def paras(n: int, word: str) -> str:
    return "".join(
        f"<p>{word} clause {i} says what this document says about it.</p>" for i in range(n)
    )


def page(main: str) -> bytes:
    return (
        "<!doctype html><html><head><title>Legal</title></head><body>"
        "<header><nav><a href='/'>Home</a> <a href='/legal'>Legal</a></nav></header>"
        f"<main>{main}</main><footer>© 2024 Example Ltd</footer></body></html>"
    ).encode()


FLAT = page(
    "<h1>Legal</h1>"
    "<h2>Terms of Service</h2>" + paras(30, "Terms") + "<h3>Liability</h3>" + paras(5, "Liability")
    + "<h2>Privacy Policy</h2>" + paras(40, "Privacy") + "<h3>Cookies</h3>" + paras(5, "Tracker")
    + "<h2>Cookie Policy</h2>" + paras(20, "CookieText")
)  # fmt: skip

SECTIONS = page(
    "<section><h1>Terms of Use</h1>" + paras(30, "Terms") + "</section>"
    "<section id='privacy'><div><h1>Privacy Notice</h1></div>" + paras(40, "Privacy") + "</section>"
    "<section><h1>Cookie Notice</h1>" + paras(20, "CookieText") + "</section>"
)  # fmt: skip


def words_of(body: bytes, select) -> set[str]:
    return {w for w in extract(body, content_type="text/html", select=select).text.split()}


def test_flat_legal_page_lists_its_documents_and_suggests_the_privacy_part():
    found = find_documents(FLAT, content_type="text/html")
    assert found is not None
    assert [(p.title, p.topic) for p in found.parts] == [
        ("Terms of Service", "terms"),
        ("Privacy Policy", "privacy"),
        ("Cookie Policy", "cookies"),
    ]
    terms, privacy, cookies = found.parts
    assert terms.words > 30 * 9 and privacy.words > 45 * 9 and cookies.words > 20 * 9
    assert found.words >= terms.words + privacy.words + cookies.words
    assert found.suggested == (privacy.select,)
    assert found.suggested_words == privacy.words
    assert check_selector(privacy.select) is None
    # The suggested selector extracts the privacy part (with its own sub-sections) alone.
    got = words_of(FLAT, list(found.suggested))
    assert {"Privacy", "Tracker"} <= got
    assert not got & {"Terms", "Liability", "CookieText", "Home", "Example"}
    text = extract(FLAT, content_type="text/html", select=list(found.suggested)).text
    assert text.splitlines()[0] == "## Privacy Policy"
    assert abs(len(text.split()) - privacy.words) <= 10
    # Every part's selector extracts that part.
    assert "CookieText" in words_of(FLAT, [cookies.select]) and "Privacy" not in words_of(
        FLAT, [cookies.select]
    )
    assert "Terms" in words_of(FLAT, [terms.select]) and "Privacy" not in words_of(
        FLAT, [terms.select]
    )


def test_one_section_per_document_gives_the_section_selector():
    found = find_documents(SECTIONS, content_type="text/html")
    assert found is not None
    assert [p.topic for p in found.parts] == ["terms", "privacy", "cookies"]
    assert found.suggested == ("#privacy",)
    assert found.parts[0].select == "main > section:nth-of-type(1)"
    got = words_of(SECTIONS, list(found.suggested))
    assert "Privacy" in got and not got & {"Terms", "CookieText"}


def test_a_single_policy_with_cookie_and_terms_sections_is_one_document():
    body = page(
        "<h1>Privacy Policy</h1>"
        + "".join(
            f"<h2>{h}</h2>" + paras(15, "x")
            for h in ("What we collect", "Cookies", "Terms of Service", "Your rights", "Contact")
        )
    )
    assert find_documents(body, content_type="text/html") is None
    # Without the page title, still most h2 are not document titles.
    assert (
        find_documents(body.replace(b"<h1>Privacy Policy</h1>", b""), content_type="text/html")
        is None
    )


def test_a_hub_page_of_short_blurbs_is_not_several_documents():
    body = page(
        "<h1>Legal</h1><h2>Privacy Policy</h2><p>How we use data. Read it.</p>"
        "<h2>Terms of Service</h2><p>The rules. Read them.</p>"
    )
    assert find_documents(body, content_type="text/html") is None


def test_one_document_non_html_and_selection():
    single = page("<h1>Privacy Policy</h1>" + paras(50, "Privacy"))
    assert find_documents(single, content_type="text/html") is None
    assert find_documents(b"Privacy Policy\n\nText.", content_type="text/plain") is None
    assert find_documents(pdf_bomb(pages=2, lines=5), content_type="application/pdf") is None
    # Within a selection that already holds only the privacy part, one document.
    assert find_documents(SECTIONS, content_type="text/html", select=["#privacy"]) is None
