"""Issue 13 point 2: caps on what one capture may turn into (words, characters, pages, time).

The PDF bomb is built here with pypdf: 300 pages that share one content stream of ~28,600
words, a few KB on disk and ~8.6 million words of text.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from tests.test_extract import _pdf_with_text
from watcher.extract import LIMITS, ExtractLimits, extract
from watcher.models import ExtractError

LINE = "We share your data with our partners for analytics and advertising purposes today"


def pdf_bomb(pages: int = 300, lines: int = 2200) -> bytes:
    from pypdf import PdfReader, PdfWriter

    page = PdfReader(io.BytesIO(_pdf_with_text([LINE] * lines))).pages[0]
    writer = PdfWriter()
    first = writer.add_page(page)
    first.compress_content_streams()
    for _ in range(pages - 1):
        writer.add_page(first)  # the same content stream object on every page
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()


@pytest.fixture(scope="module")
def bomb() -> bytes:
    data = pdf_bomb()
    assert len(data) < 50_000  # small on the wire...
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    assert len(reader.pages) == 300
    contents = {reader.pages[i].raw_get("/Contents").idnum for i in (0, 1, 299)}
    assert len(contents) == 1  # ...because every page shares one content stream
    return data


def test_pdf_bomb_is_a_clear_error_at_the_word_cap(bomb: bytes) -> None:
    with pytest.raises(ExtractError) as err:
        extract(bomb, content_type="application/pdf")
    msg = str(err.value)
    assert "\n" not in msg
    assert msg.startswith("PDF text too large: over 1,000,000 words by page ")
    assert msg.endswith(" of 300 (limit per capture)")
    assert LIMITS.max_words == 1_000_000


def test_pdf_time_cap_fires(bomb: bytes) -> None:
    limits = ExtractLimits(max_words=10**12, max_chars=10**12, max_seconds=0.2)
    with pytest.raises(ExtractError, match=r"PDF text took over 0.2 s by page \d+ of 300"):
        extract(bomb, content_type="application/pdf", limits=limits)


def test_pdf_page_and_content_caps() -> None:
    small = pdf_bomb(pages=3, lines=50)
    assert len(extract(small, content_type="application/pdf").text.splitlines()) == 150
    with pytest.raises(ExtractError, match=r"PDF too large: 3 pages, over 2 \(limit"):
        extract(small, content_type="application/pdf", limits=ExtractLimits(max_pages=2))
    with pytest.raises(ExtractError, match=r"page 1 holds [\d,]+ bytes of content, over 1,000"):
        extract(small, content_type="application/pdf", limits=ExtractLimits(max_page_bytes=1000))


def test_html_and_text_output_caps() -> None:
    page = b"<main><p>" + b"word " * 500 + b"</p></main>"
    assert extract(page, content_type="text/html").words == 500
    with pytest.raises(ExtractError, match=r"extracted text too large: over 400 words"):
        extract(page, content_type="text/html", limits=ExtractLimits(max_words=400))
    with pytest.raises(ExtractError, match=r"over 1,000 characters"):
        extract(b"x" * 2000, content_type="text/plain", limits=ExtractLimits(max_chars=1000))


def test_pdf_bomb_check_is_recorded_as_an_error_and_the_next_check_works(
    bomb: bytes, site, project, tmp_path: Path
) -> None:
    from tests.conftest import small_policy_page

    site.set("/policy.pdf", bomb, content_type="application/pdf")
    site.set("/other", small_policy_page())
    project.write_config(
        [
            {"name": "bomb", "url": site.url("/policy.pdf")},
            {"name": "other", "url": site.url("/other")},
        ]
    )
    results = {r["name"]: r for r in project.json("check", code=None)}
    assert results["bomb"]["status"] == "error"
    assert "PDF text too large: over 1,000,000 words" in results["bomb"]["error"]
    assert results["other"]["status"] == "new"
    assert project.json("history", "bomb") == []  # nothing stored as a version
    assert len(project.json("history", "other")) == 1
