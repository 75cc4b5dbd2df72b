"""Line hunks with word-level detail for display (pure)."""

from __future__ import annotations

import difflib
import re

from watcher.models import Hunk

_TOKEN = re.compile(r"\s+|\w+|[^\w\s]")


def _words(old: str, new: str) -> list[tuple[str, str]]:
    a = _TOKEN.findall(old)
    b = _TOKEN.findall(new)
    sm = difflib.SequenceMatcher(None, a, b, autojunk=False)
    out: list[tuple[str, str]] = []
    for tag, i1, i2, j1, j2 in sm.get_opcodes():
        if tag == "equal":
            out.append(("=", "".join(a[i1:i2])))
        else:
            if i2 > i1:
                out.append(("-", "".join(a[i1:i2])))
            if j2 > j1:
                out.append(("+", "".join(b[j1:j2])))
    return out


def hunks(old_text: str, new_text: str) -> list[Hunk]:
    """Line-level hunks between two texts, each with a word-level rendering."""
    a = old_text.splitlines()
    b = new_text.splitlines()
    sm = difflib.SequenceMatcher(None, a, b, autojunk=False)
    out: list[Hunk] = []
    for tag, i1, i2, j1, j2 in sm.get_opcodes():
        if tag == "equal":
            continue
        ol, nl = a[i1:i2], b[j1:j2]
        out.append(
            Hunk(
                tag=tag,
                old_start=i1 + 1,
                old_lines=ol,
                new_start=j1 + 1,
                new_lines=nl,
                words=_words("\n".join(ol), "\n".join(nl)),
            )
        )
    return out
