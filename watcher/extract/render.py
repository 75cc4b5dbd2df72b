"""Rendering an lxml subtree to Markdown-like lines (an iterative walk, no recursion)."""

from __future__ import annotations

from lxml import etree

from watcher.extract.plain import clean

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

# Text of permalink anchors next to headings.
ANCHOR_GLYPHS = frozenset(
    {"", "¶", "#", "§", "🔗", "🔗\ufe0e", "🔗\ufe0f", "⚓", "⚓\ufe0e", "∞", "permalink", "⇗"}
)
_GLYPH_CHARS = "¶#§🔗⚓∞\ufe0e\ufe0f "


def text_of(el: etree._Element) -> str:
    return "".join(t for t in el.itertext() if isinstance(t, str))


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
            words = len(text_of(el).split())
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
    return clean("".join(parts))


def _strip_glyphs(s: str) -> str:
    return s.strip(_GLYPH_CHARS).strip() or s


# Closing phases of the render walk.
_OPEN, _CLOSE, _CLOSE_HEADING, _CLOSE_ITEM = 0, 1, 2, 3


def render(root: etree._Element, skip: set) -> list[str]:
    lines: list[str] = []
    buf: list[str] = []
    heading: list[int] = []  # open heading levels (only the outermost one counts)
    items: list[list] = []  # open <li>: [indent, first_line_done]
    list_depth = 0
    pre_depth = 0

    def flush() -> None:
        if not buf:
            return
        content = clean("".join(buf))
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
            render_table(el, skip, lines, items)
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


def render_table(table: etree._Element, skip: set, lines: list[str], items: list) -> None:
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
