"""Line hunks with word-level detail for display (pure).

Lines are compared after noise normalization (`normalize_line`: whitespace, quote and dash
variants, Markdown emphasis, link targets, HTML tags, heading anchors, trailing punctuation),
and blank lines are ignored, so noise never becomes a hunk. Hunks carry the raw lines.
"""

from __future__ import annotations

import re
from difflib import SequenceMatcher
from functools import lru_cache

from watcher.models import Hunk

_TRANS = str.maketrans(
    {
        "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'", "`": "'",
        "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u00ab": '"', "\u00bb": '"', "\u2033": '"',
        "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2015": "-",
        "\u2212": "-", "\u00a0": " ", "\u202f": " ", "\u2009": " ", "\u2007": " ", "\u3000": " ",
        "\u200b": "", "\u200c": "", "\u200d": "", "\u2060": "", "\ufeff": "", "\u00ad": "",
        "\u2026": "...",
    }
)  # fmt: skip
_LINK = re.compile(r"!?\[([^\]]*)\]\((?:[^()]|\([^)]*\))*\)")
_ANGLE_URL = re.compile(r"<(https?://[^>]+)>")
_TAG = re.compile(r"</?[a-zA-Z][^>]{0,200}>")
_ANCHOR = re.compile(r"\{#[^}]*\}")
_EMPH = re.compile(r"\*\*|__|(?<!\w)[*_](?=\S)|(?<=\S)[*_](?!\w)")
_WS = re.compile(r"\s+")
_TRAIL = re.compile(r"[\s.,;:!]+$")
_LIST = re.compile(r"^(?:[-*+\u2022>]|\d{1,3}[.)]|[a-zA-Z][.)]|\([a-zA-Z0-9]{1,4}\)|#{1,6})\s+")
_WORD = re.compile(r"\w+")


@lru_cache(maxsize=65536)
def normalize_line(line: str) -> str:
    """A line with noise removed: what two versions must agree on to count as unchanged."""
    s = line.translate(_TRANS)
    s = _LINK.sub(r"\1", s)
    s = _ANGLE_URL.sub(r"\1", s)
    s = _TAG.sub("", s)
    s = _ANCHOR.sub("", s)
    s = _EMPH.sub("", s)
    s = s.replace("\\", "")
    s = _WS.sub(" ", s).strip()
    if s.startswith("|"):
        s = " | ".join(c.strip() for c in s.strip("|").split("|"))
    s = _TRAIL.sub("", s)
    return s


def layout_key(text: str) -> list[str]:
    """The words of the text without layout: list markers, heading levels, line breaks, case
    and punctuation. Equal layout keys = a cosmetic change at most."""
    out: list[str] = []
    for ln in text.splitlines():
        s = normalize_line(ln)
        while True:
            m = _LIST.match(s)
            if not m:
                break
            s = s[m.end() :]
        out.extend(w.lower() for w in _WORD.findall(s))
    return out


_TOKEN = re.compile(r"\s+|\w+|[^\w\s]")


@lru_cache(maxsize=4096)
def _words(old: str, new: str) -> tuple[tuple[str, str], ...]:
    a = _TOKEN.findall(old)
    b = _TOKEN.findall(new)
    if not a:
        return (("+", new),) if new else ()
    if not b:
        return (("-", old),)
    if len(a) * len(b) > 4_000_000:  # too big for a word diff: show it whole
        return (("-", old), ("+", new))
    sm = SequenceMatcher(None, a, b, autojunk=False)
    out: list[tuple[str, str]] = []
    for tag, i1, i2, j1, j2 in sm.get_opcodes():
        if tag == "equal":
            out.append(("=", "".join(a[i1:i2])))
        else:
            if i2 > i1:
                out.append(("-", "".join(a[i1:i2])))
            if j2 > j1:
                out.append(("+", "".join(b[j1:j2])))
    return tuple(out)


def hunks(old_text: str, new_text: str) -> list[Hunk]:
    """Line-level hunks between two texts (noise-normalized, blank lines ignored), each with
    a word-level rendering (op "=", "-", "+") of its region."""
    a_raw = old_text.splitlines()
    b_raw = new_text.splitlines()
    a_idx = [i for i, ln in enumerate(a_raw) if ln.strip()]
    b_idx = [i for i, ln in enumerate(b_raw) if ln.strip()]
    a = [normalize_line(a_raw[i]) for i in a_idx]
    b = [normalize_line(b_raw[i]) for i in b_idx]
    # drop lines that normalize to nothing
    keep_a = [k for k, s in enumerate(a) if s]
    keep_b = [k for k, s in enumerate(b) if s]
    a_idx = [a_idx[k] for k in keep_a]
    b_idx = [b_idx[k] for k in keep_b]
    a = [a[k] for k in keep_a]
    b = [b[k] for k in keep_b]
    # trim the common head and tail (cheap, and most revisions touch a few lines)
    lo = 0
    while lo < len(a) and lo < len(b) and a[lo] == b[lo]:
        lo += 1
    hi_a, hi_b = len(a), len(b)
    while hi_a > lo and hi_b > lo and a[hi_a - 1] == b[hi_b - 1]:
        hi_a -= 1
        hi_b -= 1
    if lo == hi_a and lo == hi_b:
        return []
    sm = SequenceMatcher(None, a[lo:hi_a], b[lo:hi_b], autojunk=False)
    out: list[Hunk] = []
    for tag, i1, i2, j1, j2 in sm.get_opcodes():
        if tag == "equal":
            continue
        i1, i2, j1, j2 = i1 + lo, i2 + lo, j1 + lo, j2 + lo
        ol = [a_raw[a_idx[k]] for k in range(i1, i2)]
        nl = [b_raw[b_idx[k]] for k in range(j1, j2)]
        old_start = (a_idx[i1] if i1 < len(a_idx) else len(a_raw)) + 1
        new_start = (b_idx[j1] if j1 < len(b_idx) else len(b_raw)) + 1
        if tag == "replace" and len(ol) == len(nl) and len(ol) > 1:
            words: list[tuple[str, str]] = []
            for k, (x, y) in enumerate(zip(ol, nl, strict=True)):
                if k:
                    words.append(("=", "\n"))
                words.extend(_words(x.strip(), y.strip()))
        else:
            words = list(_words("\n".join(x.strip() for x in ol), "\n".join(y.strip() for y in nl)))
        out.append(
            Hunk(
                tag=tag,
                old_start=old_start,
                old_lines=ol,
                new_start=new_start,
                new_lines=nl,
                words=words,
            )
        )
    return out
