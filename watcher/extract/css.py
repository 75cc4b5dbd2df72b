"""CSS selectors: the one validity check, and matching on the lxml tree.

Simple selectors become XPath; anything else goes through soupsieve on a lightweight
BeautifulSoup mirror of the lxml tree, built only when needed.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from lxml import etree

from watcher.models import ExtractError


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


def selector_lists(
    select: Sequence[str] | str, remove: Sequence[str] | str
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """`select` and `remove` as tuples (a lone string is one selector), each one checked."""
    sel = (select,) if isinstance(select, str) else tuple(select)
    rem = (remove,) if isinstance(remove, str) else tuple(remove)
    for css in (*sel, *rem):
        err = check_selector(css)
        if err:
            raise ExtractError(err)
    return sel, rem


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


class Selector:
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
