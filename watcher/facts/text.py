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
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_AUTOLINK = re.compile(r"<(https?://[^>\s]+)>")
_BR = re.compile(r"<br\s*/?>", re.I)
_TAG = re.compile(r"</?(?:sup|sub|span|strong|b|em|i|u|small|a)\b[^>]*>", re.I)
_EMPH = re.compile(r"(?<![\w*])[*_]{1,3}|[*_]{1,3}(?![\w*])")
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


def plain(line: str) -> str:
    """One block without its Markdown markup (links keep their text, list markers dropped)."""
    s = _BR.sub(" ", line)
    s = _LINK.sub(r"\1", s)
    s = _AUTOLINK.sub(r"\1", s)
    s = _TAG.sub("", s)
    s = s.replace("\\", "")
    s = _EMPH.sub("", s)
    s = _MARKER.sub("", s.strip())
    return _SPACES.sub(" ", s).strip()


def blocks(text: str) -> list[str]:
    """The non-empty lines of `text`, stripped."""
    return [b for b in (ln.strip() for ln in text.splitlines()) if b]


def is_table_line(line: str) -> bool:
    s = line.strip()
    return (s.startswith("|") and s.count("|") >= 2) or line.count("\t") >= 2


def _split_sentences(s: str) -> list[str]:
    out: list[str] = []
    start = 0
    for m in _SENT_END.finditer(s):
        head = s[start : m.end()]
        w = _LAST_WORD.search(head)
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
            out.extend(_split_sentences(p))
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
