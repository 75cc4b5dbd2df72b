"""Is this HTML a JavaScript shell (an app that writes its text in the browser)?

Three signs, all general (no framework names): little visible text, scripts that outweigh it,
and an empty mount point (a body whose only visible container is an empty element). A page
with real text is never a shell, whatever scripts it carries; a page with no script is never
one either (it is just empty, and the guard says so).
"""

from __future__ import annotations

import re

import lxml.html
from lxml import etree

__all__ = ["looks_like_js_shell", "visible_words"]

MIN_WORDS = 30  # the browser's ready rule uses the same figure
_HIDDEN = ("script", "style", "noscript", "template", "head", "svg")
_HTML_TYPES = {"text/html", "application/xhtml+xml", ""}
# A cheap first look (most pages are plainly not shells): text outside scripts, styles and tags
_INVISIBLE = re.compile(rb"<(script|style|noscript|template|svg)\b.*?</\1\s*>", re.S | re.I)
_TAGS = re.compile(rb"<[^>]*>")
_SCRIPT = re.compile(rb"<script", re.I)


def _parse(body: bytes, charset: str | None):
    try:
        parser = lxml.html.HTMLParser(encoding=charset) if charset else None
        return lxml.html.document_fromstring(body, parser=parser)
    except (etree.ParserError, ValueError, LookupError):
        return None


def visible_words(root) -> int:
    """Words a reader would see (mutates `root`: hidden elements are stripped)."""
    etree.strip_elements(root, *_HIDDEN, with_tail=False)
    return len(root.text_content().split())


def looks_like_js_shell(body: bytes, content_type: str | None, charset: str | None) -> bool:
    """True when a browser would most likely show text that this HTML does not contain."""
    if (content_type or "").lower() not in _HTML_TYPES or not body:
        return False
    if len(body) > 5_000_000 or not _SCRIPT.search(body):
        return False  # far bigger than any shell, or no script at all
    if len(_TAGS.sub(b" ", _INVISIBLE.sub(b" ", body)).split()) >= 3 * MIN_WORDS:
        return False  # plenty of text even by a rough count
    root = _parse(body, charset)
    if root is None:
        return False
    scripts = root.findall(".//script")
    if not scripts:
        return False
    inline = sum(len(s.text or "") for s in scripts)
    external = sum(1 for s in scripts if s.get("src"))
    words = visible_words(root)
    if words >= MIN_WORDS:
        return False
    script_weight = inline + 2_000 * external  # an external bundle: at least a few KB
    text_chars = max(1, words * 6)
    heavy = script_weight >= 10 * text_chars
    return heavy or _empty_mount(root)


def _empty_mount(root) -> bool:
    """An element with an id or class in <body> holding nothing at all (the app's root)."""
    body = root.find(".//body")
    if body is None:
        return False
    for el in body.iter():
        if el is body or not isinstance(el.tag, str) or el.tag in _HIDDEN:
            continue
        mountable = el.tag in ("div", "main", "section", "article") or "-" in el.tag
        named = el.get("id") or el.get("class")
        if mountable and named and len(el) == 0 and not (el.text or "").strip():
            return True
    return False
