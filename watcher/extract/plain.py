"""Text normalisation shared by every kind (`clean`), and plain text / Markdown -> blocks."""

from __future__ import annotations

import re
import unicodedata

from watcher import textutil

# Characters folded after NFKC: quotes, odd hyphens, invisible characters (en/em dashes and
# zero-width joiners stay as written in the stored text).
_fold = textutil.folder(without=(textutil.DASHES, textutil.JOINERS))


def clean(s: str) -> str:
    """NFKC-ish normalization and whitespace collapse of one block of text."""
    if not s.isascii():
        s = _fold(unicodedata.normalize("NFKC", s))
    return " ".join(s.split())


def primary_lang(value: str | None) -> str | None:
    if not value:
        return None
    primary = re.split(r"[-_\s]", value.strip(), maxsplit=1)[0].lower()
    if re.fullmatch(r"[a-z]{2,8}", primary):
        return primary
    return None


_LIST_MARK = re.compile(r"^\s*(?:[-*+•]|\d{1,3}[.)])\s+")
_BLOCK_START = re.compile(r"^\s*(?:#{1,6}\s|[-*+•]\s|\d{1,3}[.)]\s|\||>|```)")


def normalize_plain(text: str) -> str:
    """Plain text / Markdown: one block per line (hard-wrapped paragraphs joined)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    out: list[str] = []
    para: list[str] = []

    def flush() -> None:
        if para:
            s = clean(" ".join(para))
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
                item = clean(raw[m.end() :])
                if item:
                    out.append(" " * (2 * (indent // 2)) + prefix + item)
                continue
            para.append(raw)
            flush()
            continue
        para.append(raw)
    flush()
    return "\n".join(out)
