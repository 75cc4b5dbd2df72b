"""The heading outline (kind "section").

Headings are `#` lines; numbered lines ("3. Log Data") and whole-line bold text count as
headings too, and, in documents without any `#` heading, short title-like lines followed by
a paragraph. key: the heading text normalized (numbering, case, punctuation dropped; a
repeated heading gets "~2"...); value: the heading as written (cleaned); detail: level, index
(order in the outline), line (0-based line number), number (its numbering, if any).
"""

from __future__ import annotations

import re

from watcher.facts import clean, slug
from watcher.models import Fact

_HASH = re.compile(r"^\s*(#{1,6})\s+(.*?)\s*#*\s*$")
_NUMBERED = re.compile(r"^\s*((?:\d{1,2}\.)+\d{0,2}|[IVX]{1,5}\.|[A-H]\.)\s+(\S.*)$")
_BOLD = re.compile(r"^\s*(?:\*\*|__)([^*_]{2,120})(?:\*\*|__)\s*:?\s*$")


def heading_key(s: str) -> str:
    s = clean(s)
    s = re.sub(r"^\s*(?:(?:\d{1,2}\.)+\d{0,2}|\d{1,2}\)?|[IVX]{1,5}\.|[A-H][.)])\s+", "", s)
    s = re.sub(r"\{#[^}]*\}", "", s)
    return slug(s)


def outline(text: str) -> list[tuple[int, int, str, str | None]]:
    """(line, level, heading text, number) for every heading of the text."""
    lines = text.splitlines()
    has_hash = any(_HASH.match(ln) for ln in lines)
    out: list[tuple[int, int, str, str | None]] = []
    for i, ln in enumerate(lines):
        if not ln.strip():
            continue
        m = _HASH.match(ln)
        if m:
            h = clean(m.group(2))
            h = re.sub(r"\{#[^}]*\}", "", h).strip()
            if h:
                num = _NUMBERED.match(h)
                out.append((i, len(m.group(1)), h, num.group(1).rstrip(".") if num else None))
            continue
        st = ln.strip()
        if "\t" in st or (st.startswith(("|", "-", "*", "+", ">")) and not _BOLD.match(st)):
            continue
        b = _BOLD.match(st)
        if b:
            h = clean(b.group(1))
            if 1 <= len(h.split()) <= 12 and not h.endswith("."):
                out.append((i, 4, h, None))
            continue
        m2 = _NUMBERED.match(st)
        c = clean(st)
        words = c.split()
        if (
            m2
            and 1 <= len(words) <= 13
            and not re.search(r"[.;,:]$", c)
            and m2.group(2)[:1].isupper()
        ):
            num = m2.group(1).rstrip(".")
            out.append((i, 2 + num.count("."), clean(st), num))
            continue
        if (
            not has_hash
            and 1 <= len(words) <= 10
            and not re.search(r"[.;,:]$", c)
            and c[:1].isupper()
        ):
            nxt = next((x for x in lines[i + 1 :] if x.strip()), "")
            if len(nxt.split()) > 6 or nxt.strip().startswith(("-", "*")):
                out.append((i, 3, c, None))
    return out


def extract(text: str, language: str | None = None) -> list[Fact]:
    facts: list[Fact] = []
    seen: dict[str, int] = {}
    for idx, (line, level, h, num) in enumerate(outline(text)):
        base = heading_key(h)
        if not base:
            continue
        n = seen.get(base, 0) + 1
        seen[base] = n
        key = base if n == 1 else f"{base}~{n}"
        facts.append(
            Fact("section", key, h, h, {"level": level, "index": idx, "line": line, "number": num})
        )
    return facts
