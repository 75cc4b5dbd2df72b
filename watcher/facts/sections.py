"""The heading outline (kind "section").

Headings are `#` lines; numbered lines ("3. Log Data") and whole-line bold text count as
headings too, and, in documents without any `#` heading, short title-like lines followed by
a paragraph. key: the heading text normalized (numbering, case, punctuation dropped; a
repeated heading gets "~2"...); value: the heading as written (cleaned); detail: level, index
(order in the outline), line (0-based line number), number (its numbering, if any).
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left
from difflib import SequenceMatcher
from functools import lru_cache

from watcher.facts.base import Compare, finding, jaccard
from watcher.facts.dates import MONTHS
from watcher.facts.doc import clean, recall, remember, slug, unit_memo
from watcher.models import Fact, Finding
from watcher.textutil import strip_inline

_HASH = re.compile(r"^\s*(#{1,6})\s+(.*?)\s*#*\s*$")
_NUMBERED = re.compile(r"^\s*((?:\d{1,2}\.)+\d{0,2}|[IVX]{1,5}\.|[A-H]\.)\s+(\S.*)$")
_BOLD = re.compile(r"^\s*(?:\*\*|__)([^*_]{2,120})(?:\*\*|__)\s*:?\s*$")


# "Article 3 -", "Artikel 3:", "§ 3", "Art. 3." before a heading's words: numbering too.
_ARTICLE = re.compile(
    r"^\s*(?:(?:article|artikel|art[íi]culo|articolo|artigo|art\.)\s*\d{1,3}|§\s*\d{1,3})"
    r"\s*[-–—:.)]?\s+",
    re.I,
)


def _unaccent(s: str) -> str:
    """Accents dropped, letters kept ("Données" -> "Donnees"; ß -> ss): keys of headings in
    any Latin-script language keep their whole words."""
    if s.isascii():
        return s
    s = unicodedata.normalize("NFKD", s.replace("ß", "ss"))
    return "".join(c for c in s if not unicodedata.combining(c))


def heading_key(s: str) -> str:
    s = clean(s)
    s = re.sub(r"^\s*(?:(?:\d{1,2}\.)+\d{0,2}|\d{1,2}\)?|[IVX]{1,5}\.|[A-H][.)])\s+", "", s)
    s = _ARTICLE.sub("", s)
    s = re.sub(r"\{#[^}]*\}", "", s)
    return slug(_unaccent(s))


def outline(text: str) -> list[tuple[int, int, str, str | None]]:
    """(line, level, heading text, number) for every heading of the text."""
    return list(_outline_memo(text))  # asked by this family and by the analysis


@lru_cache(maxsize=8)
def _outline_memo(text: str) -> tuple[tuple[int, int, str, str | None], ...]:
    return tuple(_outline(text))


def clear_caches() -> None:
    """Forget the per-text outlines."""
    _outline_memo.cache_clear()


_MAYBE = "maybe"  # a short title-like line: a heading when followed by a paragraph or a list


def _outline(text: str) -> list[tuple[int, int, str, str | None]]:
    """The outline. What a line is depends on the line alone (memoized per line across
    versions), except for short title-like lines in a document without `#` headings: they
    count when the next non-empty line is a paragraph or a list item."""
    lines = text.splitlines()
    has_hash = "#" in text and any(_HASH.match(ln) for ln in lines)
    memo = unit_memo("sections")
    out: list[tuple[int, int, str, str | None]] = []
    for i, ln in enumerate(lines):
        r = memo.get(ln)
        if r is None:
            if not ln.strip():
                continue
            r = remember(memo, ln, _line_heading(ln))
        if not r:
            continue
        if r[0] is _MAYBE:
            if has_hash:
                continue
            # (by index: a slice of the rest for every such line was quadratic)
            nxt = next((lines[j] for j in range(i + 1, len(lines)) if lines[j].strip()), "")
            if len(nxt.split(None, 7)) > 6 or nxt.strip().startswith(("-", "*")):
                out.append((i, 3, r[1], None))
            continue
        out.append((i, *r))
    return out


def _line_heading(ln: str) -> tuple:
    """(level, heading text, number) when the non-empty line `ln` is a heading, (_MAYBE, text)
    when it may be one (see `_outline`), () when it is not."""
    m = _HASH.match(ln)
    if m:
        h = clean(m.group(2))
        h = re.sub(r"\{#[^}]*\}", "", h).strip()
        if h:
            num = _NUMBERED.match(h)
            return (len(m.group(1)), h, num.group(1).rstrip(".") if num else None)
        return ()
    st = ln.strip()
    if "\t" in st or (st.startswith(("|", "-", "*", "+", ">")) and not _BOLD.match(st)):
        return ()
    b = _BOLD.match(st)
    if b:
        h = clean(b.group(1))
        if 1 <= len(h.split()) <= 12 and not h.endswith("."):
            return (4, h, None)
        return ()
    m2 = _NUMBERED.match(st)
    c = clean(st)
    words = c.split(None, 13)  # (a count up to 14 tells "at most 13 words"; paragraphs are long)
    if m2 and 1 <= len(words) <= 13 and not re.search(r"[.;,:]$", c) and m2.group(2)[:1].isupper():
        num = m2.group(1).rstrip(".")
        return (2 + num.count("."), clean(st), num)
    if 1 <= len(words) <= 10 and not re.search(r"[.;,:]$", c) and c[:1].isupper():
        return (_MAYBE, c)
    return ()


def extract(text: str, language: str | None = None) -> list[Fact]:
    facts: list[Fact] = []
    seen: dict[str, int] = {}
    memo = unit_memo("section_keys")
    for idx, (line, level, h, num) in enumerate(outline(text)):
        base = recall(memo, h, lambda: heading_key(h))  # noqa: B023 - called at once
        if not base:
            continue
        n = seen.get(base, 0) + 1
        seen[base] = n
        key = base if n == 1 else f"{base}~{n}"
        facts.append(
            Fact("section", key, h, h, {"level": level, "index": idx, "line": line, "number": num})
        )
    return facts


# --------------------------------------------------------------------------- findings

KINDS = ("section",)

# digits and month names: a heading that differs only by them is a date line, not a section
_DATEISH_HEADING = re.compile(
    r"\d+|\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\b|\s+"
    r"|\b(?:" + "|".join(sorted((re.escape(m) for m in MONTHS), key=len, reverse=True)) + r")\b",
    re.I,
)
_DIGIT = re.compile(r"\d")
_NEAR = 8


def heading(v: object) -> str:
    """A heading as a reader sees it (Markdown escapes such as "10\\." dropped)."""
    return strip_inline(str(v))


def _bodies(text: str, secs: list[Fact]) -> dict[str, str]:
    from watcher.analysis.diff import normalize_line

    lines = text.splitlines()
    ordered = sorted(secs, key=lambda f: int(f.detail.get("line", 0)))
    out: dict[str, str] = {}
    for i, f in enumerate(ordered):
        start = int(f.detail.get("line", 0)) + 1
        end = (
            int(ordered[i + 1].detail.get("line", len(lines)))
            if i + 1 < len(ordered)
            else len(lines)
        )
        out[f.key] = " ".join(normalize_line(x) for x in lines[start:end])
    return out


def _lcs_keys(a: list[str], b: list[str]) -> set[str]:
    sm = SequenceMatcher(None, a, b, autojunk=False)
    keep: set[str] = set()
    for blk in sm.get_matching_blocks():
        keep.update(a[blk.a : blk.a + blk.size])
    return keep


def compare(kind: str, old: dict[str, Fact], new: dict[str, Fact], ctx: Compare) -> list[Finding]:
    """section_moved (info), section_renamed (info: same place, similar body), section_added
    (low), section_removed (medium)."""
    out: list[Finding] = []
    olds, news = list(old.values()), list(new.values())
    if not olds and not news:
        return out
    order = lambda f: f.detail.get("index", 0)  # noqa: E731
    common_old = [f.key for f in sorted(olds, key=order) if f.key in new]
    common_new = [f.key for f in sorted(news, key=order) if f.key in old]
    stay = _lcs_keys(common_old, common_new)
    for k in common_new:
        if k not in stay:
            a, b = old[k], new[k]
            out.append(
                finding("section_moved", k, a.detail.get("index"), b.detail.get("index"), "info",
                        f"Section '{heading(b.value)}' moved", a.value, b.value)
            )  # fmt: skip
    rem = [f for f in olds if f.key not in new]
    add = sorted((f for f in news if f.key not in old), key=order)
    if rem and add:
        ob = _bodies(ctx.old_text, olds)
        nb = _bodies(ctx.new_text, news)
        n_old, n_new = max(len(olds), 1), max(len(news), 1)
        cand = []
        # the added sections nearest in relative position to each removed one (at most
        # _NEAR on each side: renames keep their place, and the work stays linear)
        add_pos = [b.detail.get("index", 0) / n_new for b in add]
        for i, a in enumerate(rem):
            a_pos = a.detail.get("index", 0) / n_old
            mid = bisect_left(add_pos, a_pos)
            for j in range(max(0, mid - _NEAR), min(len(add), mid + _NEAR)):
                b = add[j]
                pos = abs(a_pos - add_pos[j])
                if pos > 0.25:
                    continue  # both rules below need pos <= 0.25 and bs >= 0.5
                ba, bb = ob.get(a.key, ""), nb.get(b.key, "")
                bs = 1.0 if ba == bb else (jaccard(ba, bb) if ba and bb else 0.0)
                if bs < 0.5:
                    continue
                hs = SequenceMatcher(None, a.key, b.key).ratio()
                num_a, num_b = a.detail.get("number"), b.detail.get("number")
                same_slot = (num_a is not None and num_a == num_b) or (
                    len(olds) == len(news) and a.detail.get("index") == b.detail.get("index")
                )
                if (
                    (hs >= 0.5 and bs >= 0.5 and pos <= 0.25)
                    or (bs >= 0.8 and pos <= 0.15 and hs >= 0.2)
                    or (same_slot and bs >= 0.5)  # "3. Sharing" -> "3. Who we share data with"
                ):
                    cand.append((hs + bs, i, j))
        used_o: set[int] = set()
        used_n: set[int] = set()
        for _s, i, j in sorted(cand, reverse=True):
            if i in used_o or j in used_n:
                continue
            used_o.add(i)
            used_n.add(j)
            a, b = rem[i], add[j]
            if (
                _DIGIT.search(a.key)
                and _DIGIT.search(b.key)
                and _DATEISH_HEADING.sub("", a.key) == _DATEISH_HEADING.sub("", b.key)
            ):
                continue  # "Last updated: 3 May 2024" -> "...: 9 June 2025": a date finding says it
            out.append(
                finding("section_renamed", b.key, a.value, b.value, "info",
                        f"Section '{heading(a.value)}' renamed to '{heading(b.value)}'",
                        a.value, b.value)
            )  # fmt: skip
        rem = [f for i, f in enumerate(rem) if i not in used_o]
        add = [f for j, f in enumerate(add) if j not in used_n]
    for b in add:
        out.append(
            finding("section_added", b.key, None, b.value, "low",
                    f"New section: '{heading(b.value)}'", None, b.value)
        )  # fmt: skip
    for a in rem:
        out.append(
            finding("section_removed", a.key, a.value, None, "medium",
                    f"Section removed: '{heading(a.value)}'", a.value, None)
        )  # fmt: skip
    return out
