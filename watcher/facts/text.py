"""Small, stable text helpers shared by the fact families.

The input is a Document's Markdown-like text: one block per line (`# heading`, paragraphs,
`- item`, `| a | b |` table rows). Lines holding two or more TAB characters are treated as table
rows too (plain-text extractions of HTML tables look like that).

Public API (keep stable):
- `plain(line)`          inline markup removed: links, emphasis, `<sup>`, `<br>`, list markers.
- `blocks(text)`         the non-empty blocks (lines), stripped, in order.
- `sentences(text)`      plain sentences of all non-table blocks (headings and items included).
- `tables(text)`         list of `Table(header, rows)`; the header is associated with its rows.
- `table_rows(text)`     every data row of every table as a list of plain cells.
- `cells(line)`          the plain cells of one table line.
- `split_sentences(p)`   the sentences of one plain block (`sentences` = this over `plain` blocks).
- `trie_pattern(words)`  a fast regex alternation of literal words.
- `fold(s)`              same-length lower-casing for substring pre-filters of IGNORECASE regexes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_AUTOLINK = re.compile(r"<(https?://[^>\s]+)>")
_BR = re.compile(r"<br\s*/?>", re.I)
_TAG = re.compile(r"</?(?:sup|sub|span|strong|b|em|i|u|small|a)\b[^>]*>", re.I)
# Emphasis markers: `(?<![\w*])[*_]{1,3}|[*_]{1,3}(?![\w*])`, written to start with the
# character class (so the regex engine skips ahead to "*" and "_"): the width-2 look-behind
# after the first marker tests the character before it. Same matches, same order.
_EMPH = re.compile(r"[*_](?:(?<![\w*][*_])[*_]{0,2}|[*_]{0,2}(?![\w*]))")
_MARKER = re.compile(r"^(?:#{1,6}\s+|>\s*|(?:[-*+•●▪◦]|\(?[a-zA-Z0-9]{1,3}[.)])\s+)+")
_SPACES = re.compile(r"[ \t\u00a0\u2009\u202f]+")
_TABLE_SEP = re.compile(r"^\|?\s*:?-{2,}:?\s*(?:\|\s*:?-{2,}:?\s*)*\|?$")
_DASHES = re.compile(r"^[-\s|:]+$")

# Sentence boundary: ., ! or ? then space then an upper-case letter, digit or quote,
# unless the dot ends a common abbreviation or a single initial.
_ABBREV = frozenset(
    [
        "inc",
        "ltd",
        "llc",
        "co",
        "corp",
        "plc",
        "e.g",
        "i.e",
        "etc",
        "vs",
        "no",
        "nr",
        "art",
        "arts",
        "sec",
        "st",
        "mr",
        "mrs",
        "ms",
        "dr",
        "jr",
        "sr",
        "u.s",
        "u.k",
        "s.a",
        "b.v",
        "n.v",
        "s.r.l",
        "approx",
        "incl",
        "ca",
        "cf",
        "fig",
        "dept",
        "ave",
        "blvd",
        "pte",
        "pty",
        "para",
        "p",
        "pp",
        "min",
        "max",
    ]
)
_SENT_END = re.compile(r"[.!?][\"'”’)]*\s+(?=[\"'“‘(]*[A-Z0-9ÀÂÄÉÈÊËÎÏÔÖÙÛÜÇÑ])")
_LAST_WORD = re.compile(r"([\w.]+)[.!?][\"'”’)]*\s*$")


# Characters that re.IGNORECASE matches with an ASCII letter but str.lower() does not turn into
# that letter (U+0130 even lowers to two characters).
_FOLD = str.maketrans({"\u0130": "i", "\u0131": "i", "\u017f": "s", "\u212a": "k"})
_FOLD_CHARS = re.compile("[\u0130\u0131\u017f\u212a]")


def fold(s: str) -> str:
    """`s` lower-cased, same length: where an ASCII word matches `s` under re.IGNORECASE, its
    lower-case form is a plain substring of `fold(s)` at the same place (a cheap pre-filter)."""
    if not s.isascii() and _FOLD_CHARS.search(s):
        s = s.translate(_FOLD)
    return s.lower()


def trie_pattern(words: list[str]) -> str:
    """A regex alternation of the literal `words` factored as a trie: it matches what the
    longest-first alternation matches, in the same order, but much faster."""
    root: dict = {}
    for w in words:
        node = root
        for c in w:
            node = node.setdefault(c, {})
        node[""] = {}

    def rx(node: dict) -> str:
        alts = [re.escape(c) + rx(sub) for c, sub in sorted(node.items()) if c]
        if not alts:
            return ""
        body = alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"
        return f"(?:{body})?" if "" in node else body

    return rx(root)


def plain(line: str) -> str:
    """One block without its Markdown markup (links keep their text, list markers dropped)."""
    # Each step runs only when its pattern can match (same result, much faster on long lines).
    s = line
    if "<" in s:
        s = _BR.sub(" ", s)
    if "](" in s:
        s = _LINK.sub(r"\1", s)
    if "<" in s:
        s = _AUTOLINK.sub(r"\1", s)
        s = _TAG.sub("", s)
    if "\\" in s:
        s = s.replace("\\", "")
    if "*" in s or "_" in s:
        s = _EMPH.sub("", s)
    s = s.strip()
    m = _MARKER.match(s)  # anchored at the start: the same as _MARKER.sub("", s)
    if m:
        s = s[m.end() :]
    if "  " in s or "\t" in s or "\u00a0" in s or "\u2009" in s or "\u202f" in s:
        s = _SPACES.sub(" ", s)
    return s.strip()


def blocks(text: str) -> list[str]:
    """The non-empty lines of `text`, stripped."""
    return [b for b in (ln.strip() for ln in text.splitlines()) if b]


def is_table_line(line: str) -> bool:
    s = line.strip()
    return (s.startswith("|") and s.count("|") >= 2) or line.count("\t") >= 2


MAX_SENTENCE = 1500  # characters; longer "sentences" are run-on text or hostile input


def cap_length(parts: list[str], limit: int = MAX_SENTENCE) -> list[str]:
    """Cut over-long sentences at spaces into pieces of at most `limit` characters.

    Real sentences stay whole; a 5 MB paragraph without a full stop becomes pieces, so every
    per-sentence pattern in the fact extractors stays linear in the size of the page.
    """
    if all(len(p) <= limit for p in parts):
        return parts
    out: list[str] = []
    for p in parts:
        while len(p) > limit:
            cut = p.rfind(" ", limit // 2, limit)
            cut = cut if cut > 0 else limit
            out.append(p[:cut].strip())
            p = p[cut:].strip()
        if p:
            out.append(p)
    return out


def split_sentences(s: str) -> list[str]:
    """The sentences of one plain block (over-long ones cut, see `cap_length`)."""
    return cap_length(_split_sentences(s))


def _split_sentences(s: str) -> list[str]:
    out: list[str] = []
    start = 0
    for m in _SENT_END.finditer(s):
        head = s[start : m.end()]
        # A _LAST_WORD match holds no whitespace but at its end: search the last word only.
        core = head.rstrip()
        w = _LAST_WORD.search(head, len(core) - len(core.rsplit(None, 1)[-1]) if core else 0)
        if w and s[m.start()] == ".":
            word = w.group(1).lower()
            if word in _ABBREV or (len(word) == 1 and word.isalpha()):
                continue
        out.append(s[start : m.end()].strip())
        start = m.end()
    tail = s[start:].strip()
    if tail:
        out.append(tail)
    return out


def sentences(text: str) -> list[str]:
    """Plain sentences of all non-table blocks, in document order."""
    out: list[str] = []
    for b in blocks(text):
        if is_table_line(b):
            continue
        p = plain(b)
        if p:
            out.extend(split_sentences(p))
    return out


@dataclass
class Table:
    """One table: `header` (plain cells, possibly empty) and its data `rows` (plain cells)."""

    header: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    start_line: int = 0

    def records(self) -> list[dict[str, str]]:
        """Rows as {header cell: value} (columns without a header are named "col<i>")."""
        names = [h or f"col{i}" for i, h in enumerate(self.header)]
        out = []
        for r in self.rows:
            out.append({(names[i] if i < len(names) else f"col{i}"): c for i, c in enumerate(r)})
        return out


def cells(line: str) -> list[str]:
    s = line.strip()
    if "\t" in s and not s.startswith("|"):
        parts = s.split("\t")
    else:
        if s.startswith("|"):
            s = s[1:]
        if s.endswith("|") and not s.endswith("\\|"):
            s = s[:-1]
        parts = re.split(r"(?<!\\)\|", s)
    return [plain(p) for p in parts]


def _looks_like_header(cells: list[str], limit: int = 40) -> bool:
    filled = [c for c in cells if c]
    if len(filled) < 2:
        return False
    return all(len(c) <= limit and not re.search(r"https?://|@|\d{3,}", c) for c in filled)


def tables(text: str) -> list[Table]:
    """Group table lines into tables and associate each with its header row.

    A header is the row before a `|---|` separator (OTA-style empty header rows are skipped in
    favour of the first non-empty row); without a separator, the first row counts as a header
    when its cells are short labels. A header-less run right after a table with the same number
    of columns (a short interstitial line allowed) continues that table.
    """
    lines = text.splitlines()
    out: list[Table] = []
    i = 0
    last_end = -10
    while i < len(lines):
        if not is_table_line(lines[i]):
            i += 1
            continue
        run: list[tuple[int, str]] = []
        while i < len(lines) and (is_table_line(lines[i]) or not lines[i].strip()):
            if lines[i].strip():
                run.append((i, lines[i]))
            i += 1
        rows: list[list[str]] = []
        has_sep = False
        sep_at = -1
        for _, ln in run:
            s = ln.strip()
            if _TABLE_SEP.match(s) or (_DASHES.match(s) and "-" in s):
                has_sep = True
                sep_at = len(rows)
                continue
            rows.append(cells(ln))
        rows = [r for r in rows if any(r)] if not has_sep else rows
        header: list[str] = []
        if has_sep and sep_at >= 1:
            header = rows[sep_at - 1]
            body = rows[: sep_at - 1] + rows[sep_at:]
            body = [r for r in body if any(r)]
            if not any(header) and body and _looks_like_header(body[0], 80):
                header, body = body[0], body[1:]
        else:
            body = [r for r in rows if any(r)]
            if body and _looks_like_header(body[0]) and len(body) > 1:
                header, body = body[0], body[1:]
        start = run[0][0]
        ncols = max((len(r) for r in body), default=len(header))
        prev = out[-1] if out else None
        if not header and prev is not None and start - last_end <= 5 and len(prev.header) == ncols:
            prev.rows.extend(body)
        elif header or body:
            out.append(Table(header=header, rows=body, start_line=start))
        last_end = run[-1][0]
    return out


def table_rows(text: str) -> list[list[str]]:
    """Every data row of every table (header rows excluded), as plain cells."""
    return [r for t in tables(text) for r in t.rows]
