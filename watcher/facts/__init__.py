"""Fact extraction: one module per family, each ``extract(text, language=None) -> list[Fact]``.

`extract_facts` runs every family module present (in a fixed order) and deduplicates by
(kind, key), keeping the first occurrence. The small text helpers below (`clean`, `units`) are
shared by the families written here; they are pure and cached per text.
"""

from __future__ import annotations

import importlib
import re
from dataclasses import dataclass
from functools import lru_cache

from watcher.models import Fact

FAMILIES = (
    "dates",
    "parties",
    "contacts",
    "places",
    "retention",
    "categories",
    "rights",
    "sections",
    "identifiers",
)


def extract_facts(text: str, language: str | None = None) -> list[Fact]:
    """Run every family module present; deterministic order, deduplicated by (kind, key)."""
    out: list[Fact] = []
    seen: set[tuple[str, str]] = set()
    for name in FAMILIES:
        try:
            mod = importlib.import_module(f"watcher.facts.{name}")
        except ImportError:
            continue
        fn = getattr(mod, "extract", None)
        if fn is None:
            continue
        for f in fn(text, language):
            k = (f.kind, f.key)
            if k in seen:
                continue
            seen.add(k)
            out.append(f)
    return out


# --------------------------------------------------------------------------- text helpers

_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_TAG = re.compile(r"<[^>]{1,200}>")
_EMPH = re.compile(r"(\*\*|__|\*|`)")
_QUOTES = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u201b": "'",
        "\u2032": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u00ab": '"',
        "\u00bb": '"',
        "\u2010": "-",
        "\u2011": "-",
        "\u2012": "-",
        "\u2013": "-",
        "\u2014": "-",
        "\u2015": "-",
        "\u2212": "-",
        "\u00a0": " ",
        "\u202f": " ",
        "\u2009": " ",
        "\u200b": "",
        "\u200c": "",
        "\u200d": "",
        "\ufeff": "",
        "\u00ad": "",
    }
)
_LIST = re.compile(r"^\s*(?:[-*+\u2022]|\d{1,3}[.)]|[a-zA-Z][.)]|\([a-zA-Z0-9]{1,4}\))\s+")
_HEAD = re.compile(r"^\s*(#{1,6})\s+")


def clean(s: str) -> str:
    """Strip Markdown decoration (links keep their text, emphasis, tags) and unify quotes."""
    s = s.translate(_QUOTES)
    s = re.sub(r"<br\s*/?>", " ", s, flags=re.I)
    s = _LINK.sub(r"\1", s)
    s = _TAG.sub(" ", s)
    s = _EMPH.sub("", s)
    return re.sub(r"[ \t]+", " ", s).strip()


@dataclass(frozen=True)
class Unit:
    """One sentence (or table row / heading) of the text, cleaned, with where it came from."""

    text: str
    kind: str  # "heading", "item", "row", "para"
    line: int  # 0-based line index
    cells: tuple[str, ...] = ()
    level: int = 0  # heading level / list indent level


_SENT_SPLIT = re.compile(r"(?<=[.!?;])\s+(?=[\"'(]?[A-Z0-9])")
_ABBR = re.compile(r"\b(?:e\.g|i\.e|etc|Inc|Ltd|Co|No|Corp|St|Mr|Ms|Dr|vs|U\.S|U\.K)\.$")


def split_sentences(s: str) -> list[str]:
    parts = _SENT_SPLIT.split(s)
    out: list[str] = []
    for p in parts:
        if out and _ABBR.search(out[-1]):
            out[-1] = out[-1] + " " + p
        else:
            out.append(p)
    return [p.strip() for p in out if p.strip()]


@lru_cache(maxsize=32)
def units(text: str) -> tuple[Unit, ...]:
    """Cleaned sentences of the text, one Unit each; table rows and headings stay whole."""
    out: list[Unit] = []
    for i, raw in enumerate(text.splitlines()):
        if not raw.strip():
            continue
        stripped = raw.strip()
        m = _HEAD.match(raw)
        if m:
            out.append(Unit(clean(raw[m.end() :]), "heading", i, level=len(m.group(1))))
            continue
        if stripped.startswith("|") or "\t" in stripped:
            if stripped.startswith("|"):
                cells = tuple(clean(c) for c in stripped.strip("|").split("|"))
            else:
                cells = tuple(clean(c) for c in stripped.split("\t"))
            cells = tuple(c for c in cells if c)
            if not cells or all(re.fullmatch(r":?-{2,}:?", c) for c in cells):
                continue
            out.append(Unit(" | ".join(cells), "row", i, cells=cells))
            continue
        kind = "para"
        level = 0
        lm = _LIST.match(raw)
        if lm:
            kind = "item"
            level = (len(raw) - len(raw.lstrip())) // 2
            raw = raw[lm.end() :]
        c = clean(raw)
        if not c:
            continue
        for s in split_sentences(c):
            out.append(Unit(s, kind, i, level=level))
    return tuple(out)


def slug(s: str) -> str:
    """Lower-case words joined by single spaces (no punctuation)."""
    return " ".join(re.findall(r"[a-z0-9]+", s.lower()))
