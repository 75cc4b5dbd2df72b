"""HTML / PDF / plain text -> Document: clean, structured, deterministic text.

Pure: no network, no disk, no clock. The same bytes and options always give the same text.

Output (`Document.text`) is Markdown-like, one block per line and no blank lines:

    # Heading            (one `#` per level; role="heading" aria-level="n" counts too)
    A paragraph.
    - list item          (nested lists indented by two spaces per level)
      continuation       (further blocks of the same item)
    | cell | cell |      (data tables; layout tables render as blocks)

HTML is parsed with lxml and walked iteratively (no recursion, so 100,000 nested tags are
fine). CSS selectors (`select` / `remove`) are evaluated by soupsieve on a lightweight
BeautifulSoup mirror of the lxml tree, built only when selectors are given.
"""

from __future__ import annotations

import codecs
import io
import re
import unicodedata
from collections.abc import Sequence

from lxml import etree

from watcher import textutil
from watcher.models import Document, ExtractError

__all__ = ["check_selector", "extract"]

# ---------------------------------------------------------------------------------------------
# Tag classes

# Never text: dropped with their whole subtree (their tail text stays).
DROP_TAGS = frozenset(
    {
        "head",
        "script",
        "style",
        "noscript",
        "template",
        "svg",
        "math",
        "iframe",
        "frame",
        "frameset",
        "object",
        "embed",
        "applet",
        "canvas",
        "audio",
        "video",
        "source",
        "track",
        "picture",
        "img",
        "map",
        "area",
        "input",
        "select",
        "option",
        "optgroup",
        "textarea",
        "datalist",
        "output",
        "meta",
        "link",
        "base",
        "title",
    }
)

BLOCK_TAGS = frozenset(
    {
        "address",
        "article",
        "aside",
        "blockquote",
        "body",
        "button",
        "caption",
        "center",
        "dd",
        "details",
        "dialog",
        "dir",
        "div",
        "dl",
        "dt",
        "fieldset",
        "figcaption",
        "figure",
        "footer",
        "form",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hgroup",
        "hr",
        "html",
        "legend",
        "li",
        "listing",
        "main",
        "menu",
        "nav",
        "ol",
        "p",
        "plaintext",
        "pre",
        "section",
        "summary",
        "table",
        "tbody",
        "td",
        "tfoot",
        "th",
        "thead",
        "tr",
        "ul",
        "xmp",
    }
)

HEADING_LEVEL = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}
LIST_TAGS = frozenset({"ul", "ol", "menu", "dir"})
PRE_TAGS = frozenset({"pre", "listing", "xmp", "plaintext"})

# Page furniture, dropped in automatic mode (no `select`).
BOILERPLATE_TAGS = frozenset({"nav", "aside", "header", "footer"})
BOILERPLATE_ROLES = frozenset({"navigation", "banner", "contentinfo", "complementary", "search"})
MAIN_ROLES = frozenset({"main"})

# Text of permalink anchors next to headings.
ANCHOR_GLYPHS = frozenset(
    {"", "¶", "#", "§", "🔗", "🔗\ufe0e", "🔗\ufe0f", "⚓", "⚓\ufe0e", "∞", "permalink", "⇗"}
)
_GLYPH_CHARS = "¶#§🔗⚓∞\ufe0e\ufe0f "

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

# Characters folded after NFKC: quotes, odd hyphens, invisible characters (en/em dashes and
# zero-width joiners stay as written in the stored text).
_fold = textutil.folder(without=(textutil.DASHES, textutil.JOINERS))


def _clean(s: str) -> str:
    """NFKC-ish normalization and whitespace collapse of one block of text."""
    if not s.isascii():
        s = _fold(unicodedata.normalize("NFKC", s))
    return " ".join(s.split())


# ---------------------------------------------------------------------------------------------
# Public API


def check_selector(css: str) -> str | None:
    """An error message for an invalid CSS selector, or None when it compiles."""
    import soupsieve

    if not isinstance(css, str) or not css.strip():
        return "empty CSS selector"
    try:
        soupsieve.compile(css)
    except Exception as exc:  # soupsieve.SelectorSyntaxError and friends
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return f"invalid CSS selector {css!r}: {first}"
    return None


def extract(
    body: bytes,
    *,
    content_type: str | None = None,
    charset: str | None = None,
    url: str | None = None,
    select: Sequence[str] = (),
    remove: Sequence[str] = (),
) -> Document:
    """Turn one capture's bytes into a Document. Raises ExtractError with a one-line cause."""
    if isinstance(select, str):
        select = (select,)
    if isinstance(remove, str):
        remove = (remove,)
    for css in (*select, *remove):
        err = check_selector(css)
        if err:
            raise ExtractError(err)
    body = bytes(body or b"")
    ctype = (content_type or "").split(";")[0].strip().lower()
    if not body.strip():
        return Document(text="", encoding=None)

    kind = _kind(body, ctype, url)
    if kind == "pdf":
        return _extract_pdf(body)
    if kind == "unsupported":
        raise ExtractError(f"unsupported content type {ctype or 'unknown'}")
    label = ctype or ("text/plain" if kind == "text" else "text/html")
    _check_binary(body, label)
    text, encoding = _decode(body, charset, sniff_meta=(kind == "html"))
    if kind == "text":
        return Document(text=_normalize_plain(text), encoding=encoding)
    return _extract_html(text, encoding, tuple(select), tuple(remove))


# ---------------------------------------------------------------------------------------------
# Content kind, binary detection, decoding

_HTML_TYPES = frozenset(
    {"text/html", "application/xhtml+xml", "text/xml", "application/xml", "application/html"}
)
_TEXT_TYPES = frozenset({"text/plain", "text/markdown", "text/x-markdown", "text/x-rst", ""})
_MAGIC = (
    b"\x89PNG",
    b"GIF8",
    b"\xff\xd8\xff",
    b"PK\x03\x04",
    b"\x1f\x8b",
    b"BZh",
    b"\xfd7zXZ",
    b"Rar!",
    b"7z\xbc\xaf",
    b"\x00\x00\x01\x00",
    b"RIFF",
    b"OggS",
    b"ID3",
    b"\x7fELF",
    b"MZ",
    b"wOFF",
    b"wOF2",
    b"\xd0\xcf\x11\xe0",
)
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_HTML_SNIFF = re.compile(
    rb"<(?:!doctype\s+html|html|head|body|title|meta|div|p|h[1-6]|table|script|!--)[\s>/]", re.I
)


def _kind(body: bytes, ctype: str, url: str | None) -> str:
    head = body[:1024].lstrip()
    if ctype == "application/pdf" or head.startswith(b"%PDF"):
        return "pdf"
    if ctype in _HTML_TYPES or ctype.endswith("+xml"):
        return "html"
    if ctype in _TEXT_TYPES or ctype == "application/octet-stream":
        if _HTML_SNIFF.search(body[:4096]):
            return "html"
        if ctype == "" and url and url.lower().split("?")[0].endswith((".html", ".htm")):
            return "html"
        return "text"
    if ctype.startswith("text/"):
        return "text"
    return "unsupported"


def _bom(body: bytes) -> tuple[str | None, int]:
    for bom, name in _BOMS:
        if body.startswith(bom):
            return name, len(bom)
    return None, 0


def _check_binary(body: bytes, label: str) -> None:
    if _bom(body)[0] in ("utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be"):
        return
    sample = body[:65536]
    if sample.startswith(_MAGIC) or b"\x00" in sample:
        raise ExtractError(f"binary content labelled {label}")
    small = sample[:8192]
    controls = sum(small.count(bytes([b])) for b in _CONTROL_BYTES)
    if controls > max(8, len(small) // 20):
        raise ExtractError(f"binary content labelled {label}")


_CONTROL_BYTES = tuple(b for b in range(32) if b not in (9, 10, 12, 13, 27)) + (127,)

_CHARSET_ALIASES = {
    "latin1": "windows-1252",
    "latin-1": "windows-1252",
    "l1": "windows-1252",
    "iso-8859-1": "windows-1252",
    "iso8859-1": "windows-1252",
    "iso_8859-1": "windows-1252",
    "iso88591": "windows-1252",
    "cp819": "windows-1252",
    "ascii": "windows-1252",
    "us-ascii": "windows-1252",
    "cp1252": "windows-1252",
    "x-cp1252": "windows-1252",
    "iso-8859-9": "windows-1254",
    "iso-8859-11": "windows-874",
    "tis-620": "windows-874",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "utf8": "utf-8",
    "unicode-1-1-utf-8": "utf-8",
    "x-sjis": "shift_jis",
    "ks_c_5601-1987": "euc-kr",
}
_NICE_NAMES = {
    "utf-8": "utf-8",
    "cp1252": "windows-1252",
    "cp1250": "windows-1250",
    "cp1251": "windows-1251",
    "cp1253": "windows-1253",
    "cp1254": "windows-1254",
    "cp1255": "windows-1255",
    "cp1256": "windows-1256",
    "cp1257": "windows-1257",
    "cp1258": "windows-1258",
    "cp874": "windows-874",
}
_SINGLE_BYTE_LEGACY = frozenset(
    {"cp1252", "cp1250", "cp1251", "cp1253", "cp1254", "cp1257", "latin_1", "iso8859_15"}
)
_META_CHARSET = re.compile(rb"""<meta\b[^>]*?charset\s*=\s*["']?\s*([A-Za-z0-9_:.+-]+)""", re.I)
_XML_ENCODING = re.compile(rb"""^\s*<\?xml[^>]*encoding\s*=\s*["']([A-Za-z0-9_:.+-]+)""", re.I)


def _codec(name: str | None) -> str | None:
    """A Python codec name for a declared charset label, or None when unknown."""
    if not name:
        return None
    label = name.strip().strip("\"'").lower()
    label = _CHARSET_ALIASES.get(label, label)
    try:
        return codecs.lookup(label).name
    except LookupError:
        return None


def _nice(codec: str) -> str:
    return _NICE_NAMES.get(codec, codec.replace("_", "-"))


def _decode(body: bytes, charset: str | None, *, sniff_meta: bool) -> tuple[str, str]:
    bom, skip = _bom(body)
    if bom:
        return body[skip:].decode(bom, errors="replace"), bom
    declared = _codec(charset)
    if declared is None and sniff_meta:
        head = body[:65536]
        m = _XML_ENCODING.match(head) or _META_CHARSET.search(head)
        if m:
            declared = _codec(m.group(1).decode("ascii", "replace"))
    if declared and declared.startswith(("utf_16", "utf_32")):
        declared = "utf-8"  # a UTF-16 label on an 8-bit document (no BOM) means UTF-8
    if declared and declared != "utf-8" and declared not in _SINGLE_BYTE_LEGACY:
        return body.decode(declared, errors="replace"), _nice(declared)
    # UTF-8, a Latin-family label, or nothing: trust the bytes first.
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        if declared in _SINGLE_BYTE_LEGACY and text.isascii():
            return text, _nice(declared)
        return text, "utf-8"
    if declared in _SINGLE_BYTE_LEGACY:
        return body.decode(declared, errors="replace"), _nice(declared)
    loose = body.decode("utf-8", errors="replace")
    bad = loose.count("\ufffd")
    good = sum(1 for ch in loose if ch > "\x7f") - bad if bad < len(loose) else 0
    # Declared UTF-8 with some valid multi-byte characters: a few broken bytes, keep UTF-8.
    # Without a declaration, UTF-8 only when valid characters clearly outnumber broken ones.
    if (declared == "utf-8" and good > 0) or good > 2 * bad:
        return loose, "utf-8"
    return body.decode("cp1252", errors="replace"), "windows-1252"


# ---------------------------------------------------------------------------------------------
# Plain text and Markdown

_LIST_MARK = re.compile(r"^\s*(?:[-*+•]|\d{1,3}[.)])\s+")
_BLOCK_START = re.compile(r"^\s*(?:#{1,6}\s|[-*+•]\s|\d{1,3}[.)]\s|\||>|```)")


def _normalize_plain(text: str) -> str:
    """Plain text / Markdown: one block per line (hard-wrapped paragraphs joined)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    out: list[str] = []
    para: list[str] = []

    def flush() -> None:
        if para:
            s = _clean(" ".join(para))
            if s:
                out.append(s)
            para.clear()

    for raw in text.split("\n"):
        if not raw.strip():
            flush()
            continue
        if _BLOCK_START.match(raw):
            flush()
            indent = len(raw) - len(raw.lstrip(" \t"))
            m = _LIST_MARK.match(raw)
            if m and not raw.lstrip().startswith(("#", "|")):
                marker = raw.lstrip()[: len(m.group(0)) - indent].strip()
                prefix = "- " if marker in "-*+•" else marker + " "
                item = _clean(raw[m.end() :])
                if item:
                    out.append(" " * (2 * (indent // 2)) + prefix + item)
                continue
            para.append(raw)
            flush()
            continue
        para.append(raw)
    flush()
    return "\n".join(out)


# ---------------------------------------------------------------------------------------------
# PDF


def _extract_pdf(body: bytes) -> Document:
    try:
        from pypdf import PdfReader
    except ImportError as exc:  # pragma: no cover - a declared dependency
        raise ExtractError("PDF support needs pypdf") from exc
    try:
        reader = PdfReader(io.BytesIO(body), strict=False)
        if reader.is_encrypted:
            try:
                ok = reader.decrypt("")
            except Exception:
                ok = 0
            if not ok:
                raise ExtractError("encrypted PDF (a password is needed to read it)")
        pages: list[str] = []
        for page in reader.pages:
            pages.append(page.extract_text() or "")
        title = None
        try:
            meta = reader.metadata
            if meta is not None and meta.title:
                title = _clean(str(meta.title)) or None
        except Exception:
            title = None
        language = None
        try:
            lang = reader.trailer["/Root"].get("/Lang")
            language = _primary_lang(str(lang)) if lang else None
        except Exception:
            language = None
    except ExtractError:
        raise
    except Exception as exc:
        msg = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ExtractError(f"broken PDF: {msg}") from exc
    lines: list[str] = []
    for page_text in pages:
        for line in page_text.splitlines():
            s = _clean(line)
            if s:
                lines.append(s)
    return Document(text="\n".join(lines), title=title, language=language, encoding=None)


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


_PARSER_OPTS = {
    "remove_comments": True,
    "remove_pis": True,
    "no_network": True,
    "recover": True,
    "collect_ids": False,
    "default_doctype": False,
}


def _parse(text: str) -> etree._Element | None:
    data = text.encode("utf-8", errors="replace")
    parser = etree.HTMLParser(encoding="utf-8", **_PARSER_OPTS)
    try:
        root = etree.fromstring(data, parser)
    except (etree.ParserError, etree.XMLSyntaxError, ValueError):
        root = None
    return root


def _primary_lang(value: str | None) -> str | None:
    if not value:
        return None
    primary = re.split(r"[-_\s]", value.strip(), maxsplit=1)[0].lower()
    if re.fullmatch(r"[a-z]{2,8}", primary):
        return primary
    return None


def _classes_ids(el: etree._Element) -> str:
    return f"{el.get('id') or ''} {el.get('class') or ''}".lower()


def _text_of(el: etree._Element) -> str:
    return "".join(t for t in el.itertext() if isinstance(t, str))


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
                label = _clean(_text_of(el)).lower()
                if addr and (not label or "protected" in label or label == "email"):
                    _set_text(el, addr)
            elif (href.startswith("#") or not href) and len(el) <= 2:
                label = _clean(_text_of(el)).lower()
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
    text = _text_of(el)
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


_CSS_TOKEN = re.compile(
    r"""(?P<comb>\s*[>,]\s*|\s+)
    |(?P<type>\*|-?[_a-zA-Z][_a-zA-Z0-9-]*)
    |\#(?P<id>-?[_a-zA-Z][_a-zA-Z0-9-]*)
    |\.(?P<cls>-?[_a-zA-Z][_a-zA-Z0-9-]*)
    |\[\s*(?P<attr>[_a-zA-Z][_a-zA-Z0-9:-]*)\s*
        (?:(?P<op>[~^$*|]?=)\s*(?:"(?P<dq>[^"]*)"|'(?P<sq>[^']*)'|(?P<bare>-?[_a-zA-Z0-9][_a-zA-Z0-9-]*))\s*)?\]
    """,
    re.X,
)


def _xpath_literal(value: str) -> str | None:
    if "'" not in value:
        return f"'{value}'"
    if '"' not in value:
        return f'"{value}"'
    return None


def _css_to_xpath(css: str) -> str | None:
    """XPath for simple CSS (type, #id, .class, [attr op value], descendant/child, groups).

    Returns None for anything else (pseudo-classes, sibling combinators, escapes...), which
    then goes through soupsieve. Both give the same elements for the selectors handled here.
    """
    css = css.strip()
    pos = 0
    groups: list[str] = []
    path = "//"
    step_tag = ""
    preds: list[str] = []
    pending = False

    def close_step() -> None:
        nonlocal path, step_tag, preds, pending
        path += (step_tag or "*") + "".join(f"[{p}]" for p in preds)
        step_tag, preds, pending = "", [], False

    while pos < len(css):
        m = _CSS_TOKEN.match(css, pos)
        if not m:
            return None
        pos = m.end()
        if m.group("comb") is not None:
            comb = m.group("comb").strip()
            if not pending:
                return None
            close_step()
            if comb == ",":
                groups.append(path)
                path = "//"
            elif comb == ">":
                path += "/"
            else:
                path += "//"
            continue
        if m.group("type") is not None:
            if pending:
                return None  # a type selector must come first in a compound
            step_tag = "*" if m.group("type") == "*" else m.group("type").lower()
        elif m.group("id") is not None:
            lit = _xpath_literal(m.group("id"))
            preds.append(f"@id={lit}")
        elif m.group("cls") is not None:
            preds.append(
                f"contains(concat(' ', normalize-space(@class), ' '), ' {m.group('cls')} ')"
            )
        else:
            name = m.group("attr").lower()
            op = m.group("op")
            if op is None:
                preds.append(f"@{name}")
            else:
                raw = next(
                    v for v in (m.group("dq"), m.group("sq"), m.group("bare")) if v is not None
                )
                lit = _xpath_literal(raw)
                if lit is None or ":" in name:
                    return None
                if op == "=":
                    preds.append(f"@{name}={lit}")
                elif op == "~=":
                    if not raw or any(c.isspace() for c in raw):
                        preds.append("false()")
                    else:
                        preds.append(
                            f"contains(concat(' ', normalize-space(@{name}), ' '), ' {raw} ')"
                        )
                elif op == "^=":
                    preds.append(f"starts-with(@{name}, {lit})" if raw else "false()")
                elif op == "$=":
                    preds.append(
                        f"substring(@{name}, string-length(@{name}) - {len(raw)} + 1) = {lit}"
                        if raw
                        else "false()"
                    )
                elif op == "*=":
                    preds.append(f"contains(@{name}, {lit})" if raw else "false()")
                else:  # |=
                    preds.append(f"(@{name}={lit} or starts-with(@{name}, concat({lit}, '-')))")
        pending = True
    if not pending:
        return None
    close_step()
    groups.append(path)
    return " | ".join(groups)


class _Selector:
    """CSS matching on the lxml tree: XPath for simple selectors, soupsieve otherwise."""

    def __init__(self, root: etree._Element, selectors: Sequence[str]) -> None:
        self.root = root
        self.soup = None
        self.with_text = any("contains" in s or ":empty" in s for s in selectors)

    def select(self, css: str) -> list:
        xp = _css_to_xpath(css)
        if xp is not None:
            try:
                return [e for e in self.root.xpath(xp) if isinstance(e.tag, str)]
            except etree.XPathError:
                pass
        if self.soup is None:
            self.soup = _mirror(self.root, self.with_text)
        import soupsieve

        found = []
        for tag in soupsieve.select(css, self.soup):
            el = getattr(tag, "_lx", None)
            if el is not None:
                found.append(el)
        return found


def _mirror(root: etree._Element, with_text: bool):
    """A BeautifulSoup mirror of the lxml tree for soupsieve; each Tag carries `_lx`."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup("", "lxml")
    soup.reset()
    stack: list = [(root, False)]
    while stack:
        el, closing = stack.pop()
        if closing:
            soup.handle_endtag(el.tag)
            if with_text and el.tail:
                soup.handle_data(el.tail)
            continue
        tag = el.tag
        if not isinstance(tag, str):
            if with_text and el.tail:
                soup.handle_data(el.tail)
            continue
        attrs = {k: v for k, v in el.attrib.items() if isinstance(k, str)}
        t = soup.handle_starttag(tag, None, None, attrs)
        if t is not None:
            t._lx = el
        if with_text and el.text:
            soup.handle_data(el.text)
        stack.append((el, True))
        stack.extend((c, False) for c in reversed(el))
    soup.endData()
    return soup


def _extract_html(
    text: str, encoding: str, select: tuple[str, ...], remove: tuple[str, ...]
) -> Document:
    if _WAYBACK_BEGIN in text:
        text = _strip_wayback(text)
    root = _parse(text)
    if root is None:
        return Document(text="", encoding=encoding)

    title = None
    title_el = root.find("head/title")
    if title_el is None:
        title_el = root.find("title")
    if title_el is not None:
        title = _clean(_text_of(title_el)) or None
    language = _primary_lang(
        root.get("lang") or root.get("{http://www.w3.org/XML/1998/namespace}lang")
    )
    if language is None:
        for meta in root.iterfind("head/meta"):
            if (meta.get("http-equiv") or "").lower() == "content-language":
                language = _primary_lang(meta.get("content"))
                break

    skip: set = set()
    _preprocess(root, skip)

    if select or remove:
        matcher = _Selector(root, (*select, *remove))
        for css in remove:
            skip.update(matcher.select(css))
        if select:
            matches = {css: matcher.select(css) for css in select}
            order = {el: i for i, el in enumerate(root.iter())}
            chosen = {el for els in matches.values() for el in els}
            if not chosen:
                names = ", ".join(repr(s) for s in select)
                raise ExtractError(f"select {names} matched nothing on the page")
            roots = []
            for el in sorted(chosen, key=lambda e: order.get(e, 0)):
                if any(a in chosen for a in el.iterancestors()):
                    continue
                roots.append(el)
            lines: list[str] = []
            for el in roots:
                if el in skip or any(a in skip for a in el.iterancestors()):
                    continue
                lines.extend(_render(el, _without_furniture(el, skip)))
            return Document(
                text="\n".join(lines), title=title, language=language, encoding=encoding
            )

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
    lines = _render(main if main is not None else body, pruned_skip)
    return Document(text="\n".join(lines), title=title, language=language, encoding=encoding)


# ---------------------------------------------------------------------------------------------
# Rendering (iterative walk)


def _heading_level(el: etree._Element) -> int:
    tag = el.tag
    if tag in HEADING_LEVEL:
        return HEADING_LEVEL[tag]
    if (el.get("role") or "") == "heading":
        try:
            return max(1, min(6, int(el.get("aria-level") or "2")))
        except ValueError:
            return 2
    return 0


def _is_data_table(table: etree._Element) -> bool:
    """Data tables render as `| a | b |` rows; layout tables (old pages) as blocks."""
    role = (table.get("role") or "").lower()
    if role in ("presentation", "none"):
        return False
    max_cols = 0
    for el in table.iter():
        tag = el.tag
        if el is table or not isinstance(tag, str):
            continue
        if tag in ("table", "h1", "h2", "h3", "h4", "h5", "h6"):
            return False
        if tag == "tr":
            cols = sum(1 for c in el if c.tag in ("td", "th"))
            max_cols = max(max_cols, cols)
        elif tag in ("td", "th"):
            words = len(_text_of(el).split())
            if words > 150:
                return False
    return max_cols >= 2


def _flat_text(el: etree._Element, skip: set) -> str:
    """All text of a subtree on one line (table cells)."""
    parts: list[str] = [el.text or ""]
    stack: list = [(c, False) for c in reversed(el)]
    while stack:
        node, closing = stack.pop()
        if closing:
            if node.tag in BLOCK_TAGS:
                parts.append(" ")
            if node.tail:
                parts.append(node.tail)
            continue
        tag = node.tag
        if not isinstance(tag, str) or tag in DROP_TAGS or node in skip:
            if node.tail:
                parts.append(node.tail)
            continue
        if tag in BLOCK_TAGS or tag == "br":
            parts.append(" ")
        if node.text:
            parts.append(node.text)
        stack.append((node, True))
        stack.extend((c, False) for c in reversed(node))
    return _clean("".join(parts))


def _strip_glyphs(s: str) -> str:
    return s.strip(_GLYPH_CHARS).strip() or s


# Closing phases of the render walk.
_OPEN, _CLOSE, _CLOSE_HEADING, _CLOSE_ITEM = 0, 1, 2, 3


def _render(root: etree._Element, skip: set) -> list[str]:
    lines: list[str] = []
    buf: list[str] = []
    heading: list[int] = []  # open heading levels (only the outermost one counts)
    items: list[list] = []  # open <li>: [indent, first_line_done]
    list_depth = 0
    pre_depth = 0

    def flush() -> None:
        if not buf:
            return
        content = _clean("".join(buf))
        buf.clear()
        if not content:
            return
        if heading:
            content = _strip_glyphs(content)
            lines.append("#" * heading[-1] + " " + content)
        elif items:
            item = items[-1]
            if not item[1]:
                item[1] = True
                lines.append(item[0] + "- " + content)
            else:
                lines.append(item[0] + "  " + content)
        else:
            lines.append(content)

    def add_text(s: str) -> None:
        if pre_depth and not heading and "\n" in s:
            first, *rest = s.split("\n")
            buf.append(first)
            for part in rest:
                flush()
                buf.append(part)
        else:
            buf.append(s)

    stack: list = [(root, _OPEN)]
    while stack:
        el, phase = stack.pop()
        tag = el.tag
        if phase != _OPEN:
            if phase == _CLOSE_HEADING:
                flush()
                heading.pop()
            elif phase == _CLOSE_ITEM:
                flush()
                items.pop()
            elif tag in BLOCK_TAGS:
                if heading:
                    buf.append(" ")
                else:
                    flush()
                if tag in LIST_TAGS:
                    list_depth -= 1
                elif tag in PRE_TAGS:
                    pre_depth -= 1
            if el is not root and el.tail:
                add_text(el.tail)
            continue

        if not isinstance(tag, str) or tag in DROP_TAGS or el in skip:
            if el is not root and el.tail:
                add_text(el.tail)
            continue
        if tag == "br":
            if heading:
                buf.append(" ")
            else:
                flush()
            if el is not root and el.tail:
                add_text(el.tail)
            continue
        if tag == "table" and _is_data_table(el):
            flush()
            _render_table(el, skip, lines, items)
            if el is not root and el.tail:
                add_text(el.tail)
            continue
        close = _CLOSE
        level = _heading_level(el) if not heading else 0
        if level:
            flush()
            heading.append(level)
            close = _CLOSE_HEADING
        elif tag == "li" and not heading:
            flush()
            items.append(["  " * max(0, list_depth - 1), False])
            close = _CLOSE_ITEM
        elif tag in BLOCK_TAGS:
            if heading:
                buf.append(" ")
            else:
                flush()
            if tag in LIST_TAGS:
                list_depth += 1
            elif tag in PRE_TAGS:
                pre_depth += 1
        elif tag in _ADJACENT_SPACED:
            prev = el.getprevious()
            if prev is not None and prev.tag in _ADJACENT_SPACED and not prev.tail:
                # Links/buttons set side by side (menus, tag lists) are separate words even
                # when the markup has no space between them.
                buf.append(" ")
        if el.text:
            add_text(el.text)
        stack.append((el, close))
        stack.extend((c, _OPEN) for c in reversed(el))
    flush()
    return lines


_ADJACENT_SPACED = frozenset({"a", "button"})


def _render_table(table: etree._Element, skip: set, lines: list[str], items: list) -> None:
    indent = items[-1][0] + "  " if items else ""
    for el in table.iter():
        tag = el.tag
        if not isinstance(tag, str):
            continue
        if el in skip:
            continue
        if tag == "caption":
            cap = _flat_text(el, skip)
            if cap:
                lines.append(indent + cap)
        elif tag == "tr":
            cells = [_flat_text(c, skip) for c in el if c.tag in ("td", "th") and c not in skip]
            if any(cells):
                lines.append(indent + "| " + " | ".join(cells) + " |")
