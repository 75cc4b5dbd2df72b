"""HTML / PDF / plain text -> Document: clean, structured, deterministic text.

Pure: no network, no disk, no clock (but for the time cap of limits.py, which only bounds
work). The same bytes and options always give the same text, or the same error when the
output would pass a cap (limits.py: words, characters, PDF pages).

Output (`Document.text`) is Markdown-like, one block per line and no blank lines:

    # Heading            (one `#` per level; role="heading" aria-level="n" counts too)
    A paragraph.
    - list item          (nested lists indented by two spaces per level)
    1. ordered item      (ordered lists keep their labels: `start`, `value`, `type`, `reversed`)
      continuation       (further blocks of the same item)
    | cell | cell |      (one line per row of a data table; layout tables render as blocks)

HTML is parsed with lxml and walked iteratively (no recursion, so 100,000 nested tags are
fine). CSS selectors (`select` / `remove`) are evaluated by soupsieve on a lightweight
BeautifulSoup mirror of the lxml tree, built only when selectors are given.
"""

from __future__ import annotations

from collections.abc import Sequence

from watcher.extract.css import check_selector, selector_lists
from watcher.extract.documents import find_documents
from watcher.extract.html import extract_html
from watcher.extract.limits import LIMITS, Budget, ExtractLimits
from watcher.extract.pdf import extract_pdf
from watcher.extract.plain import normalize_plain
from watcher.extract.sniff import sniff
from watcher.language import detect_language
from watcher.models import Document

__all__ = ["LIMITS", "ExtractLimits", "check_selector", "extract", "find_documents"]


def extract(
    body: bytes,
    *,
    content_type: str | None = None,
    charset: str | None = None,
    url: str | None = None,
    select: Sequence[str] = (),
    remove: Sequence[str] = (),
    limits: ExtractLimits = LIMITS,
) -> Document:
    """Turn one capture's bytes into a Document. Raises ExtractError with a one-line cause."""
    doc = _extract(body, content_type, charset, url, select, remove, limits)
    Budget(limits, "extracted text").add(doc.text)
    # The language the text is written in; the page's own tag (<html lang>, a PDF's /Lang) is
    # kept and decides only when the text is too short to tell (watcher/language.py).
    doc.declared_language = doc.language
    doc.language = detect_language(doc.text, doc.language)
    return doc


def _extract(
    body: bytes,
    content_type: str | None,
    charset: str | None,
    url: str | None,
    select: Sequence[str],
    remove: Sequence[str],
    limits: ExtractLimits,
) -> Document:
    select, remove = selector_lists(select, remove)
    got = sniff(body, content_type, charset, url)
    if got.kind == "empty":
        return Document(text="", encoding=None)
    if got.kind == "pdf":
        return extract_pdf(got.body, limits)
    if got.kind == "text":
        return Document(text=normalize_plain(got.text), encoding=got.encoding)
    return extract_html(got.text, got.encoding or "utf-8", select, remove)
