"""HTML -> Document: parse (lxml), page furniture and main content, `select` / `remove`."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from lxml import etree

from watcher.extract.css import Selector
from watcher.extract.plain import clean, primary_lang
from watcher.extract.render import ANCHOR_GLYPHS, DROP_TAGS, render, text_of
from watcher.models import Document, ExtractError

# Page furniture, dropped in automatic mode (no `select`).
BOILERPLATE_TAGS = frozenset({"nav", "aside", "header", "footer"})
BOILERPLATE_ROLES = frozenset({"navigation", "banner", "contentinfo", "complementary", "search"})
MAIN_ROLES = frozenset({"main"})

# Consent managers: ids/classes that are always a cookie banner.
_CMP_MARKERS = (
    "onetrust",
    "cookiebot",
    "cybotcookiebot",
    "didomi",
    "usercentrics",
    "truste",
    "trustarc",
    "cookie-law-info",
    "cookielawinfo",
    "cmplz",
    "qc-cmp",
    "osano",
    "iubenda-cs",
    "cc-window",
    "cc-banner",
    "cookieconsent",
    "cookie-consent",
    "cookie-banner",
    "cookie_banner",
    "cookiebanner",
    "cookie-notice",
    "cookie-notification",
    "cookie-popup",
    "consent-banner",
    "gdpr-banner",
)
_CMP_RE = re.compile("|".join(re.escape(m) for m in _CMP_MARKERS))
_COOKIE_WORD = re.compile(r"cookie|consent|gdpr", re.I)

_WAYBACK_IDS = frozenset({"wm-ipp", "wm-ipp-base", "wm-ipp-print", "donato", "wm-btns"})


# ---------------------------------------------------------------------------------------------
# HTML

_WAYBACK_BEGIN = "<!-- BEGIN WAYBACK TOOLBAR INSERT -->"
_WAYBACK_END = "<!-- END WAYBACK TOOLBAR INSERT -->"


def _strip_wayback(text: str) -> str:
    start = text.find(_WAYBACK_BEGIN)
    while start != -1:
        end = text.find(_WAYBACK_END, start)
        if end == -1:
            break
        text = text[:start] + text[end + len(_WAYBACK_END) :]
        start = text.find(_WAYBACK_BEGIN, start)
    return text


# Content a browser never lays out: <noscript> (with scripting on, raw text up to the first
# </noscript>) and <template> (a separate fragment). libxml2 parses both as markup, so one
# unclosed tag inside them swallows the rest of the page; they are cut out before parsing,
# skipping comments and raw-text elements where such tags are only text.
_INERT_HINT = re.compile(r"<(?:noscript|template)\b", re.I)
_INERT_SCAN = re.compile(
    r"<!--.*?(?:-->|\Z)"
    r"|<(script|style|textarea|title|xmp)\b[^>]*>.*?(?:</\1\s*>|\Z)"
    r"|<(noscript|template)\b[^>]*>",
    re.I | re.S,
)
_NOSCRIPT_END = re.compile(r"</noscript\s*>", re.I)
_TEMPLATE_TAG = re.compile(r"<(/?)template\b[^>]*>", re.I)


def _cut_inert(text: str) -> str:
    """The page without the content of <noscript> and <template> (nested templates counted)."""
    if not _INERT_HINT.search(text):
        return text
    out: list[str] = []
    pos = 0
    while True:
        m = _INERT_SCAN.search(text, pos)
        if m is None:
            break
        if m.group(2) is None:  # a comment or a raw-text element: kept as it is
            out.append(text[pos : m.end()])
            pos = m.end()
            continue
        out.append(text[pos : m.start()])
        end = len(text)  # unclosed: the rest of the page is inert, as in a browser
        if m.group(2).lower() == "noscript":
            close = _NOSCRIPT_END.search(text, m.end())
            if close:
                end = close.end()
        else:
            depth = 1
            for t in _TEMPLATE_TAG.finditer(text, m.end()):
                depth += -1 if t.group(1) else 1
                if depth == 0:
                    end = t.end()
                    break
        pos = end
    out.append(text[pos:])
    return "".join(out)


_PARSER_OPTS = {
    "remove_comments": True,
    "remove_pis": True,
    "no_network": True,
    "recover": True,
    "collect_ids": False,
    "default_doctype": False,
}


def _parse(text: str) -> etree._Element | None:
    text = _cut_inert(text)
    root, too_deep = _parse_once(text)
    if too_deep:
        # libxml2 drops everything nested deeper than 256 elements, where a browser still
        # shows the text: parse again with the wrappers nested deeper than that taken out.
        root, _ = _parse_once(_unwrap_deep(text))
    return root


def _parse_once(text: str) -> tuple[etree._Element | None, bool]:
    parser = etree.HTMLParser(encoding="utf-8", **_PARSER_OPTS)
    try:
        root = etree.fromstring(text.encode("utf-8", errors="replace"), parser)
    except (etree.ParserError, etree.XMLSyntaxError, ValueError):
        return None, False
    too_deep = any(e.type_name == "ERR_RESOURCE_LIMIT" for e in parser.error_log)
    return root, too_deep


# Tags that only wrap (any depth of them renders the same once unwrapped); block ones leave a
# line break behind.
_WRAPPER_TAG = re.compile(
    r"</?(div|section|article|main|span|font|b|i|u|em|strong|small|big|center|blockquote)\b[^>]*>",
    re.I,
)
_WRAPPER_BLOCKS = frozenset({"div", "section", "article", "main", "center", "blockquote"})


def _unwrap_deep(text: str, keep: int = 200) -> str:
    """Wrapper tags that are never closed, or nested deeper than `keep`, taken out.

    (A browser closes unclosed wrappers at their parent's end tag; libxml2 does not, so they
    would swallow what follows, such as a footer.) Linear in the number of tags.
    """
    tags = list(_WRAPPER_TAG.finditer(text))
    names = [m.group(1).lower() for m in tags]
    closing = [m.group(0).startswith("</") for m in tags]
    drop = [False] * len(tags)
    partner: dict[int, int] = {}
    stack: list[int] = []
    open_count: dict[str, int] = {}
    for i, name in enumerate(names):
        if not closing[i]:
            stack.append(i)
            open_count[name] = open_count.get(name, 0) + 1
            continue
        if not open_count.get(name):
            continue  # a stray end tag: left to the parser
        while True:
            j = stack.pop()
            open_count[names[j]] -= 1
            if names[j] == name:
                partner[i] = j
                break
            drop[j] = True  # closed implicitly by an outer end tag
    for j in stack:
        drop[j] = True  # never closed
    depth = 0
    for i in range(len(tags)):
        if not closing[i]:
            if not drop[i]:
                depth += 1
                drop[i] = depth > keep
                partner[i] = -1  # a counted open tag
        elif i in partner:
            j = partner[i]
            if partner.get(j) == -1:
                depth -= 1
            drop[i] = drop[j]
    out: list[str] = []
    pos = 0
    for i, m in enumerate(tags):
        if drop[i]:
            out.append(text[pos : m.start()])
            out.append("<br>" if names[i] in _WRAPPER_BLOCKS else "")
            pos = m.end()
    out.append(text[pos:])
    return "".join(out)


def _classes_ids(el: etree._Element) -> str:
    return f"{el.get('id') or ''} {el.get('class') or ''}".lower()


def _decode_cfemail(hexstr: str) -> str | None:
    try:
        raw = bytes.fromhex(hexstr.strip())
    except ValueError:
        return None
    if len(raw) < 2:
        return None
    key = raw[0]
    try:
        addr = bytes(b ^ key for b in raw[1:]).decode("utf-8")
    except UnicodeDecodeError:
        return None
    # A real address is printable; garbage (NULs, control bytes) would break the XML tree.
    if not addr.isprintable() or "@" not in addr:
        return None
    return addr


def _set_text(el: etree._Element, text: str) -> None:
    for child in list(el):
        tail = child.tail
        el.remove(child)
        if tail and tail.strip():
            text += tail
    el.text = text


def _preprocess(root: etree._Element, skip: set) -> None:
    """Decode Cloudflare e-mail protection; mark permalink anchors and Wayback furniture."""
    # A snapshot of the elements: decoding replaces children, which would derail root.iter().
    for el in list(root.iter()):
        tag = el.tag
        if not isinstance(tag, str):
            continue
        if el.get("data-cfemail") is not None:
            addr = _decode_cfemail(el.get("data-cfemail") or "")
            if addr:
                _set_text(el, addr)
            continue
        if tag == "a":
            href = el.get("href") or ""
            if "/cdn-cgi/l/email-protection#" in href:
                addr = _decode_cfemail(href.rsplit("#", 1)[1])
                label = clean(text_of(el)).lower()
                if addr and (not label or "protected" in label or label == "email"):
                    _set_text(el, addr)
            elif (href.startswith("#") or not href) and len(el) <= 2:
                label = clean(text_of(el)).lower()
                if label in ANCHOR_GLYPHS:
                    skip.add(el)
        elif (el.get("id") or "") in _WAYBACK_IDS:
            skip.add(el)


def _is_cookie_banner(el: etree._Element) -> bool:
    marks = _classes_ids(el)
    if not marks.strip():
        return False
    if _CMP_RE.search(marks):
        return True
    if not _COOKIE_WORD.search(marks):
        return False
    role = (el.get("role") or "").lower()
    if role in ("dialog", "alertdialog", "banner", "alert") or el.get("aria-modal"):
        return True
    text = text_of(el)
    if len(text) > 1500:
        return False
    low = text.lower()
    return any(w in low for w in ("accept", "agree", "allow", "reject", "decline", "got it"))


def _boilerplate(root: etree._Element) -> set:
    """Page furniture for automatic mode: nav/aside/header/footer, landmarks, cookie banners."""
    found: set = set()
    for el in root.iter():
        tag = el.tag
        if not isinstance(tag, str):
            continue
        role = (el.get("role") or "").lower()
        if tag in ("nav", "aside") or role in BOILERPLATE_ROLES:
            found.add(el)
        elif tag in ("header", "footer"):
            inside = False
            for anc in el.iterancestors():
                if anc.tag in ("article", "main") or (anc.get("role") or "") == "main":
                    inside = True
                    break
            if not inside:
                found.add(el)
        elif tag in ("div", "section", "dialog", "aside", "form", "span") and _is_cookie_banner(el):
            found.add(el)
    return found


def _without_furniture(root: etree._Element, skip: set) -> set:
    """Inside a selection, still drop navigation menus, sidebars and page headers/footers.

    A broad selector (`body`, a layout wrapper) often takes the site's menus along, and a menu
    edit is not a policy change. The selected element itself is never dropped, and furniture
    that holds most of the selection's text (unusual markup) is kept.
    """
    furniture = _boilerplate(root) - {root} - skip
    if not furniture:
        return skip
    pruned = skip | furniture
    kept = _lengths(root, pruned).get(root, 0)
    total = _lengths(root, skip).get(root, 0)
    if total and kept < 0.5 * total:
        return skip | {el for el in furniture if _is_cookie_banner(el)}
    return pruned


def _lengths(root: etree._Element, skip: set) -> dict:
    """Visible text length of every element's subtree (skipped subtrees count 0)."""
    elems = list(root.iter())
    size: dict = {}
    for el in reversed(elems):
        tag = el.tag
        if not isinstance(tag, str) or tag in DROP_TAGS or el in skip:
            size[el] = 0
            continue
        n = len(el.text.strip()) if el.text else 0
        for child in el:
            n += size.get(child, 0)
            if child.tail:
                n += len(child.tail.strip())
        size[el] = n
    return size


def _has_h1(el: etree._Element) -> bool:
    if el.tag == "h1":
        return True
    return next(el.iter("h1"), None) is not None


def _main_root(body: etree._Element, size: dict) -> etree._Element | None:
    """The element holding the page's main content, or None (use the whole body)."""
    total = size.get(body, 0)
    if total == 0:
        return None
    best = None
    for el in body.iter():
        tag = el.tag
        if not isinstance(tag, str):
            continue
        is_main = tag in ("main", "article") or (el.get("role") or "").lower() in MAIN_ROLES
        if is_main and (best is None or size.get(el, 0) > size.get(best, 0)):
            best = el
    if best is not None and size.get(best, 0) >= 0.6 * total:
        return best
    # Densest block: descend while one child holds nearly all the text, but never leave the
    # page's <h1> (title and "last updated" usually sit next to it) behind.
    node = body
    while True:
        children = [c for c in node if isinstance(c.tag, str)]
        if not children:
            break
        top = max(children, key=lambda c: size.get(c, 0))
        if size.get(top, 0) < 0.85 * total:
            break
        if any(c is not top and size.get(c, 0) and _has_h1(c) for c in children):
            break
        node = top
    return None if node is body else node


@dataclass
class Page:
    """A parsed page and what the extractor reads of it: (element, skipped set) pairs in order."""

    root: etree._Element | None
    title: str | None = None
    language: str | None = None
    parts: list[tuple[etree._Element, set]] = field(default_factory=list)


def read_page(text: str, select: tuple[str, ...], remove: tuple[str, ...]) -> Page:
    """Parse, then choose the content: the `select`ed elements or the page's main content."""
    if _WAYBACK_BEGIN in text:
        text = _strip_wayback(text)
    root = _parse(text)
    if root is None:
        return Page(root=None)

    title = None
    title_el = root.find("head/title")
    if title_el is None:
        title_el = root.find("title")
    if title_el is not None:
        title = clean(text_of(title_el)) or None
    language = primary_lang(
        root.get("lang") or root.get("{http://www.w3.org/XML/1998/namespace}lang")
    )
    if language is None:
        for meta in root.iterfind("head/meta"):
            if (meta.get("http-equiv") or "").lower() == "content-language":
                language = primary_lang(meta.get("content"))
                break
    page = Page(root=root, title=title, language=language)

    skip: set = set()
    _preprocess(root, skip)

    if select or remove:
        matcher = Selector(root, (*select, *remove))
        for css in remove:
            skip.update(matcher.select(css))
        if select:
            matches = {css: matcher.select(css) for css in select}
            order = {el: i for i, el in enumerate(root.iter())}
            chosen = {el for els in matches.values() for el in els}
            if not chosen:
                names = ", ".join(repr(s) for s in select)
                raise ExtractError(f"select {names} matched nothing on the page")
            for el in sorted(chosen, key=lambda e: order.get(e, 0)):
                if any(a in chosen for a in el.iterancestors()):
                    continue
                if el in skip or any(a in skip for a in el.iterancestors()):
                    continue
                page.parts.append((el, _without_furniture(el, skip)))
            if not page.parts:
                raise _empty_selection(select, len(page.parts))
            return page

    body = root.find("body")
    if body is None:
        body = root
    furniture = _boilerplate(body)
    furniture -= skip
    pruned_skip = skip | furniture
    size = _lengths(body, pruned_skip)
    raw_total = _lengths(body, skip).get(body, 0) if size.get(body, 0) < 500 else 0
    if raw_total and size.get(body, 0) < 0.2 * raw_total:
        # The "furniture" holds the page's text (unusual markup): keep it.
        pruned_skip = skip | {el for el in furniture if _is_cookie_banner(el)}
        size = _lengths(body, pruned_skip)
    main = _main_root(body, size)
    page.parts.append((main if main is not None else body, pruned_skip))
    return page


def _empty_selection(select: tuple[str, ...], n: int) -> ExtractError:
    names = ", ".join(repr(s) for s in select)
    what = "1 element" if n == 1 else f"{n} elements"
    return ExtractError(f"select {names} matched {what} with no text on the page")


def extract_html(
    text: str, encoding: str, select: tuple[str, ...], remove: tuple[str, ...]
) -> Document:
    page = read_page(text, select, remove)
    lines: list[str] = []
    for el, skip in page.parts:
        lines.extend(render(el, skip))
    if select and not lines:
        raise _empty_selection(select, len(page.parts))
    return Document(
        text="\n".join(lines), title=page.title, language=page.language, encoding=encoding
    )
