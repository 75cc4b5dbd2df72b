"""Rendering an lxml subtree to Markdown-like lines (an iterative walk, no recursion)."""

from __future__ import annotations

import re

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


def heading_level(el: etree._Element) -> int:
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
    """Data tables render as `| a | b |` rows; layout tables (old pages) as blocks.

    Told by structure only, never by what or how much a cell holds, so an edit to a cell
    cannot flip a table between the two forms: `role="presentation"`, a table nested inside
    or fewer than two columns make a layout table. (A page laid out in one big table is
    mostly read from its content cell anyway: see html._main_root.)
    """
    role = (table.get("role") or "").lower()
    if role in ("presentation", "none"):
        return False
    max_cols = sum(1 for c in table if c.tag in ("td", "th"))
    for el in table.iter():
        tag = el.tag
        if el is table or not isinstance(tag, str):
            continue
        if tag == "table":
            return False
        if tag in ("tr", "thead", "tbody", "tfoot"):
            max_cols = max(max_cols, sum(1 for c in el if c.tag in ("td", "th")))
    return max_cols >= 2


def _flat_text(el: etree._Element, skip: set) -> str:
    """All text of a subtree on one line (table cells); list items end with "; "."""
    parts: list[str] = [el.text or ""]
    stack: list = [(c, False) for c in reversed(el)]
    while stack:
        node, closing = stack.pop()
        if closing:
            if node.tag == "li":
                parts.append(_ITEM_END)
            elif node.tag in BLOCK_TAGS:
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
    text = "".join(parts)
    if _ITEM_END in text:
        text = _ITEM_ENDS.sub(_item_separator, text)
    return clean(text)


# The items of a list inside a cell, shown on lines of their own by a browser, stay apart on
# the row's one line: "IP address; Device ID", not "IP address Device ID".
_ITEM_END = "\x1f"
_ITEM_ENDS = re.compile(r"[\s\x1f]*\x1f[\s\x1f]*")


def _item_separator(m: re.Match) -> str:
    before = m.string[m.start() - 1] if m.start() else ""
    if m.end() == len(m.string) or not before or before in ".;:,!?":
        return " "
    return "; "


def _strip_glyphs(s: str) -> str:
    return s.strip(_GLYPH_CHARS).strip() or s


# Closing phases of the render walk.
_OPEN, _CLOSE, _CLOSE_HEADING, _CLOSE_ITEM = 0, 1, 2, 3


def render(root: etree._Element, skip: set) -> list[str]:
    lines: list[str] = []
    buf: list[str] = []
    heading: list[int] = []  # open heading levels (only the outermost one counts)
    items: list[list] = []  # open <li>: [indent, first_line_done, marker]
    lists: list[list] = []  # open lists: [number style or "" for bullets, next number, step]
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
                lines.append(item[0] + item[2] + content)
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
                    lists.pop()
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
        level = heading_level(el) if not heading else 0
        if level:
            flush()
            heading.append(level)
            close = _CLOSE_HEADING
        elif tag == "li" and not heading:
            flush()
            items.append(["  " * max(0, list_depth - 1), False, _item_marker(el, lists)])
            close = _CLOSE_ITEM
        elif tag in BLOCK_TAGS:
            if heading:
                buf.append(" ")
            else:
                flush()
            if tag in LIST_TAGS:
                list_depth += 1
                lists.append(_list_numbering(el))
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

# Ordered lists keep their item labels ("1.", "b.", "iv.") since policies cite them.
_LIST_TYPES = {"1": "1", "a": "a", "A": "A", "i": "i", "I": "I"}
_STYLE_TYPES = {
    "decimal": "1",
    "lower-alpha": "a",
    "lower-latin": "a",
    "upper-alpha": "A",
    "upper-latin": "A",
    "lower-roman": "i",
    "upper-roman": "I",
    "none": "",
    "disc": "",
    "circle": "",
    "square": "",
}
_LIST_STYLE = re.compile(r"list-style(?:-type)?\s*:\s*([a-z-]+)", re.I)


def _int_attr(el: etree._Element, name: str) -> int | None:
    value = (el.get(name) or "").strip()
    if re.fullmatch(r"[+-]?\d{1,9}", value):
        return int(value)
    return None


def _list_numbering(el: etree._Element) -> list:
    """[style, first number, step] of a list: style "" for bullets."""
    style = "1" if el.tag == "ol" else ""
    if style:
        style = _LIST_TYPES.get((el.get("type") or "1").strip(), "1")
    m = _LIST_STYLE.search(el.get("style") or "")
    if m and m.group(1).lower() in _STYLE_TYPES:
        style = _STYLE_TYPES[m.group(1).lower()]
    if not style:
        return ["", 0, 0]
    backwards = el.get("reversed") is not None
    start = _int_attr(el, "start")
    if start is None:
        start = sum(1 for c in el if c.tag == "li") if backwards else 1
    return [style, start, -1 if backwards else 1]


def _item_marker(li: etree._Element, lists: list) -> str:
    if not lists or not lists[-1][0]:
        return "- "
    numbering = lists[-1]
    value = _int_attr(li, "value")
    n = numbering[1] if value is None else value
    numbering[1] = n + numbering[2]
    return _label(n, numbering[0]) + ". "


def _label(n: int, style: str) -> str:
    if style in ("a", "A") and n > 0:
        letters = ""
        while n > 0:
            n, r = divmod(n - 1, 26)
            letters = chr(ord("a") + r) + letters
        return letters.upper() if style == "A" else letters
    if style in ("i", "I") and 0 < n < 4000:
        roman = ""
        for value, sym in _ROMAN:
            while n >= value:
                roman += sym
                n -= value
        return roman.upper() if style == "I" else roman
    return str(n)


_ROMAN = (
    (1000, "m"),
    (900, "cm"),
    (500, "d"),
    (400, "cd"),
    (100, "c"),
    (90, "xc"),
    (50, "l"),
    (40, "xl"),
    (10, "x"),
    (9, "ix"),
    (5, "v"),
    (4, "iv"),
    (1, "i"),
)


def render_table(table: etree._Element, skip: set, lines: list[str], items: list) -> None:
    """One `| a | b |` line per row, whatever the cells hold.

    As in a browser, cells outside any `<tr>` form rows of their own, and text or elements
    standing directly in the table structure (outside cells) are shown before the table.
    """
    indent = items[-1][0] + "  " if items else ""
    before: list[str] = []
    body: list[str] = []
    _table_rows(table, skip, before, body, 0)
    lines.extend(indent + line for line in (*before, *body))


_TABLE_SECTIONS = frozenset({"thead", "tbody", "tfoot"})
_CELLS = frozenset({"td", "th"})


def _table_rows(container, skip: set, before: list, body: list, depth: int) -> None:
    stray: list = []

    def loose(text: str | None) -> None:
        s = clean(text) if text else ""
        if s:
            before.append(s)

    def end_stray() -> None:
        if stray:
            _add_row(stray, skip, body)
            stray.clear()

    loose(container.text)
    for child in container:
        tag = child.tag
        if isinstance(tag, str) and child not in skip:
            if tag in _CELLS:
                stray.append(child)
            elif tag == "tr":
                end_stray()
                _add_row([c for c in child if c.tag in _CELLS], skip, body)
                loose(child.text)
                for c in child:
                    if c.tag not in _CELLS and isinstance(c.tag, str) and c not in skip:
                        loose(_flat_text(c, skip))
                    loose(c.tail)
            elif tag == "caption":
                end_stray()
                cap = _flat_text(child, skip)
                if cap:
                    body.append(cap)
            elif tag in ("colgroup", "col"):
                pass
            elif depth < 8 and (tag in _TABLE_SECTIONS or _holds_rows(child)):
                end_stray()  # a section, or a wrapper (a <form>) around rows
                _table_rows(child, skip, before, body, depth + 1)
            elif tag not in DROP_TAGS:
                end_stray()
                loose(_flat_text(child, skip))
        loose(child.tail)
    end_stray()


def _holds_rows(el: etree._Element) -> bool:
    return any(c.tag == "tr" or c.tag in _CELLS for c in el.iter())


def _add_row(cells: list, skip: set, body: list) -> None:
    texts = [_flat_text(c, skip) for c in cells if c not in skip]
    if any(texts):
        body.append("| " + " | ".join(texts) + " |")
