"""Small text tools shared by every stage (pure, no I/O).

- `shorten(s, n)`: whitespace collapsed to single spaces, cut to at most `n` characters with
  an ellipsis (None stays None).
"""

from __future__ import annotations

from typing import overload


@overload
def shorten(s: None, n: int) -> None: ...
@overload
def shorten(s: object, n: int) -> str: ...


def shorten(s: object, n: int) -> str | None:
    """`s` on one line (whitespace runs -> one space), at most `n` characters: a longer text is
    cut and ends with "…". None stays None."""
    if s is None:
        return None
    t = " ".join(str(s).split())
    if len(t) <= n:
        return t
    return t[: max(n - 1, 0)].rstrip() + "\u2026"
