"""Pages that hold several documents (a /legal page with terms, privacy and cookies).

`find_documents(body, ...)` reads the page as `extract` does, looks for the level of headings
whose titles name documents ("Terms of Service", "Privacy Policy", "Cookie Notice"...), and
returns each document with its title, topic, word count and a CSS selector that selects it
alone (checked by extracting with it), plus the `select` list to suggest: every part whose
title names privacy (a policy, a state notice, a Data Privacy Framework statement). It
returns None for a page holding one document. Pure, like the rest of extract.

A level counts only when most of its headings are document titles of at least two topics,
each with some text, so a privacy policy's own "Cookies" section is not a second document.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from lxml import etree

from watcher.extract.css import Selector, selector_lists
from watcher.extract.html import Page, read_page
from watcher.extract.plain import clean
from watcher.extract.render import DROP_TAGS, heading_level, text_of
from watcher.extract.sniff import sniff
from watcher.models import DocumentPart, PageDocuments

__all__ = ["find_documents", "topic_of"]

# Topic of a heading that names a document, first match wins ("Privacy and Cookie Policy" is
# privacy). Words of the title, in a few languages; never names of companies.
_TOPICS = (
    (
        "privacy",
        re.compile(
            r"privacy|data protection|personal (?:data|information)|datenschutz"
            r"|confidentialit|privacidad|privacit|donn[ée]es personnelles|privacybeleid"
            r"|protection des donn[ée]es|protezione dei dati|protecci[óo]n de datos",
            re.I,
        ),
    ),
    ("cookies", re.compile(r"cookie", re.I)),
    (
        "terms",
        re.compile(
            r"\bterms\b|conditions|\bagreement\b|nutzungsbedingungen|\bagb\b|\beula\b"
            r"|t[ée]rminos|condizioni|conditions g[ée]n[ée]rales|gebruiksvoorwaarden",
            re.I,
        ),
    ),
    (
        "other",
        re.compile(
            r"acceptable use|guidelines|imprint|impressum|legal notice|mentions l[ée]gales"
            r"|data processing|copyright|\bdmca\b|accessibility statement|disclaimer",
            re.I,
        ),
    ),
)
_MAX_TITLE_WORDS = 10
_MIN_PART_WORDS = 100  # a document, not a link with a line of description


def topic_of(title: str) -> str | None:
    """ "privacy", "cookies", "terms" or "other" for a heading that names a document."""
    if not title or len(title.split()) > _MAX_TITLE_WORDS:
        return None
    for topic, pattern in _TOPICS:
        if pattern.search(title):
            return topic
    return None


@dataclass
class _Heading:
    el: etree._Element
    level: int
    title: str
    start: int  # words before it, in reading order
    end: int = 0  # words before the next heading of its level or above


def find_documents(
    body: bytes,
    *,
    content_type: str | None = None,
    charset: str | None = None,
    url: str | None = None,
    select: Sequence[str] = (),
    remove: Sequence[str] = (),
) -> PageDocuments | None:
    """The documents of a page that holds several, or None (one document, or not HTML).

    Reads the page as `extract` does with the same options (so ExtractError for an invalid
    `select`, one that matches nothing, an unsupported type or binary bytes).
    """
    select, remove = selector_lists(select, remove)
    got = sniff(body, content_type, charset, url)
    if got.kind != "html":
        return None
    page = read_page(got.text, select, remove)
    if page.root is None:
        return None

    headings, total = _headings(page.parts)
    level = _document_level(headings)
    if level is None:
        return None
    bounds = [h for h in headings if h.level <= level]
    for i, h in enumerate(bounds):
        h.end = bounds[i + 1].start if i + 1 < len(bounds) else total
    titled = [h for h in bounds if h.level == level and topic_of(h.title)]
    big = [h for h in titled if h.end - h.start >= _MIN_PART_WORDS]
    if len(big) < 2 or len({topic_of(h.title) for h in big}) < 2:
        return None

    ids = _id_counts(page.root)
    parts: list[DocumentPart] = []
    for h in titled:
        i = next(k for k, b in enumerate(bounds) if b is h)
        nxt = bounds[i + 1] if i + 1 < len(bounds) else None
        css = _selector_for(page, h, nxt, bounds, ids)
        parts.append(
            DocumentPart(
                title=h.title,
                topic=topic_of(h.title),
                words=h.end - h.start,
                select=css,
            )
        )
    privacy = [p for p in parts if p.topic == "privacy" and p.select]
    return PageDocuments(
        parts=tuple(parts),
        words=total,
        suggested=tuple(p.select for p in privacy),
        suggested_words=sum(p.words for p in privacy),
    )


def _headings(parts: list[tuple[etree._Element, set]]) -> tuple[list[_Heading], int]:
    """Headings of the content in reading order, with the count of words before each."""
    found: list[_Heading] = []
    words = 0
    for root, skip in parts:
        stack: list = [(root, False)]
        while stack:
            el, closing = stack.pop()
            if closing:
                if el is not root and el.tail:
                    words += len(el.tail.split())
                continue
            tag = el.tag
            if not isinstance(tag, str) or tag in DROP_TAGS or el in skip:
                if el is not root and el.tail:
                    words += len(el.tail.split())
                continue
            level = heading_level(el)
            if level and not any(a.tag in ("td", "th") for a in el.iterancestors()):
                title = clean(text_of(el))
                if title:
                    found.append(_Heading(el, level, title, words))
                words += sum(len(t.split()) for t in _visible_text(el, skip))
                stack.append((el, True))  # its tail
                continue
            if el.text:
                words += len(el.text.split())
            stack.append((el, True))
            stack.extend((c, False) for c in reversed(el))
    return found, words


def _visible_text(el: etree._Element, skip: set) -> list[str]:
    out: list[str] = []
    for node in el.iter():
        if node is el:
            if node.text:
                out.append(node.text)
            continue
        if not isinstance(node.tag, str) or node.tag in DROP_TAGS or node in skip:
            if node.tail:
                out.append(node.tail)
            continue
        if node.text:
            out.append(node.text)
        if node.tail:
            out.append(node.tail)
    return out


def _document_level(headings: list[_Heading]) -> int | None:
    """The heading level whose headings are mostly document titles of two topics or more."""
    for level in sorted({h.level for h in headings}):
        same = [h for h in headings if h.level == level]
        topics = [topic_of(h.title) for h in same]
        titled = [t for t in topics if t]
        if len(titled) >= 2 and len(set(titled)) >= 2 and 2 * len(titled) >= len(same):
            return level
        if len(same) > 1 or topics[0]:
            return None  # the page's sections, or one document's title: look no deeper
    return None


def _id_counts(root: etree._Element) -> dict[str, int]:
    counts: dict[str, int] = {}
    for el in root.iter():
        if isinstance(el.tag, str) and el.get("id"):
            counts[el.get("id")] = counts.get(el.get("id"), 0) + 1
    return counts


_IDENT = re.compile(r"-?[A-Za-z_][A-Za-z0-9_-]*\Z")


def _css_path(el: etree._Element, ids: dict[str, int]) -> str:
    """A selector for exactly this element: steps up to a unique `#id` or a unique tag."""
    root = el.getroottree().getroot()
    steps: list[str] = []
    node = el
    while node is not None and isinstance(node.tag, str):
        ident = node.get("id") or ""
        if ident and ids.get(ident) == 1 and _IDENT.match(ident):
            steps.append("#" + ident)
            break
        tag = node.tag
        if tag in ("body", "html") or (node is not el and _count(root, tag) == 1):
            steps.append(tag)
            break
        same = [s for s in node.itersiblings(preceding=True) if s.tag == tag]
        after = next((s for s in node.itersiblings() if s.tag == tag), None)
        steps.append(f"{tag}:nth-of-type({len(same) + 1})" if same or after is not None else tag)
        node = node.getparent()
    return " > ".join(reversed(steps))


def _count(root: etree._Element, tag: str) -> int:
    n = 0
    for _ in root.iter(tag):
        n += 1
        if n > 1:
            break
    return n


def _selector_for(
    page: Page, h: _Heading, nxt: _Heading | None, bounds: list[_Heading], ids: dict[str, int]
) -> str:
    """The simplest selector whose extraction has this part's words, or "" when none does.

    First the largest element holding this title and no other (a <section> per document),
    then that element and its following siblings up to the one holding the next title.
    """
    others = {a for b in bounds if b is not h for a in (b.el, *b.el.iterancestors())}
    top = h.el
    while True:
        parent = top.getparent()
        if parent is None or parent.tag in ("body", "html") or parent in others:
            break
        top = parent
    first = _css_path(top, ids)
    candidates = [first]
    stop = nxt.el if nxt is not None else None
    while stop is not None and stop.getparent() is not top.getparent():
        stop = stop.getparent()
    if stop is not None:
        last = _css_path(stop, ids)
        candidates.append(f"{first}, {first} ~ *:not({last}, {last} ~ *)")
    else:
        candidates.append(f"{first}, {first} ~ *")
    want = h.end - h.start
    for css in candidates:
        got = _words_with(page, css)
        if got is not None and abs(got - want) <= max(5, want // 10):
            return css
    return ""


def _words_with(page: Page, css: str) -> int | None:
    """Words the extractor reads with `select = [css]` (counted as _headings counts them)."""
    try:
        matched = Selector(page.root, (css,)).select(css)
    except Exception:  # noqa: BLE001 - soupsieve refusing a selector built here
        return None
    chosen = set(matched)
    skip = page.parts[0][1] if page.parts else set()
    words = 0
    for el in matched:
        if any(a in chosen for a in el.iterancestors()):
            continue
        words += sum(len(t.split()) for t in _visible_text(el, skip))
    return words
