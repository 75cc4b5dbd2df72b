"""Small text tools shared by every stage (pure, no I/O): one fold table, one inline-Markdown
strip, one shorten.

- `FOLD`: typographic variants -> their plain form (curly quotes, primes, odd hyphens and
  dashes, exotic spaces, invisible characters, the ellipsis). `folder(...)` builds a fast fold
  function from it, leaving out groups a caller must keep (extraction keeps en/em dashes and
  zero-width joiners in the stored text) or adding a few mappings (the diff folds backticks).
- `fold_typography(s)`: `s` with every `FOLD` character replaced.
- `casefold_ascii(s)`: same-length lower-casing for substring prefilters of IGNORECASE regexes.
- `strip_inline(s)`: inline Markdown/HTML removed: `<br>` -> space, links keep their text,
  autolinks their URL, tags, heading anchors `{#id}`, backslash escapes, emphasis and code
  markers dropped (intra-word underscores such as `_ga` kept).
- `shorten(s, n)`: whitespace collapsed to single spaces, cut to at most `n` characters with an
  ellipsis (None stays None).
- `redact_credentials(s)`: URLs in `s` with their user:password (or token) userinfo masked.
- `neutralise(text)`: text leaving the program (terminal, log, e-mail) without control and
  bidi-override characters. Page text, server reason phrases and SMTP replies are hostile: an
  ESC sequence can clear a terminal or plant an OSC-8 link to another site, U+202E reverses
  what a reader sees. The database keeps such characters as data; they are removed wherever
  text is shown. `escape_unsafe_json` keeps them in JSON as \\u escapes.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, overload

# --------------------------------------------------------------------------- fold

QUOTES = {
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'", "\u00b4": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"',
    "\u00ab": '"', "\u00bb": '"',
}  # fmt: skip
HYPHENS = {"\u2010": "-", "\u2011": "-", "\u2212": "-"}
DASHES = {"\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2015": "-"}
SPACES = {"\u00a0": " ", "\u202f": " ", "\u2009": " ", "\u2007": " ", "\u3000": " "}
INVISIBLE = {"\u00ad": "", "\u200b": "", "\u2060": "", "\ufeff": "", "\ufffc": ""}
JOINERS = {"\u200c": "", "\u200d": ""}
ELLIPSIS = {"\u2026": "..."}
FOLD: dict[str, str] = {
    **QUOTES, **HYPHENS, **DASHES, **SPACES, **INVISIBLE, **JOINERS, **ELLIPSIS
}  # fmt: skip


def folder(
    table: dict[str, str] = FOLD,
    *,
    without: tuple[dict[str, str], ...] = (),
    extra: dict[str, str] | None = None,
) -> Callable[[str], str]:
    """A function replacing the characters of `table` (less the groups in `without`, plus
    `extra`); as `str.translate` but several times faster on text with few such characters."""
    m = {k: v for k, v in table.items() if not any(k in g for g in without)}
    m.update(extra or {})
    ascii_keys = "".join(k for k in m if k.isascii())
    rx = re.compile("[" + re.escape("".join(m)) + "]")
    repl = m.__getitem__

    def fold(s: str) -> str:
        if s.isascii() and not (ascii_keys and any(c in s for c in ascii_keys)):
            return s
        return rx.sub(lambda g: repl(g.group()), s)

    return fold


fold_typography = folder()

# Characters that re.IGNORECASE matches with an ASCII letter but str.lower() does not turn into
# that letter (U+0130 even lowers to two characters).
CASE_RISKY = "\u0130\u0131\u017f\u212a"
_CASE = str.maketrans({"\u0130": "i", "\u0131": "i", "\u017f": "s", "\u212a": "k"})


def casefold_ascii(s: str) -> str:
    """`s` lower-cased, same length: where an ASCII word matches `s` under re.IGNORECASE, its
    lower-case form is a plain substring of `casefold_ascii(s)` at the same place."""
    # (four substring tests: a string of lower code points answers each at once)
    if not s.isascii() and ("\u0130" in s or "\u0131" in s or "\u017f" in s or "\u212a" in s):
        s = s.translate(_CASE)
    return s.lower()


# --------------------------------------------------------------------------- inline markup

MD_LINK = re.compile(r"!?\[([^\]]*)\]\((?:[^()]|\([^)]*\))*\)")
AUTOLINK = re.compile(r"<(https?://[^>\s]+)>")
BR = re.compile(r"<br\s*/?>", re.I)
# HTML inline elements only: a literal "<Vendor>" placeholder in a policy is text, not a tag
TAG = re.compile(
    r"</?(?:a|abbr|b|bdi|bdo|big|br|cite|code|del|dfn|div|em|font|i|img|ins|kbd|mark|p|q|s|samp"
    r"|small|span|strike|strong|sub|sup|time|tt|u|var|wbr)\b[^<>]{0,200}>",
    re.I,
)
ANCHOR = re.compile(r"\{#[^}]*\}")
# Emphasis markers: `(?<![\w*])[*_]{1,3}|[*_]{1,3}(?![\w*])`, written to start with the
# character class (so the regex engine skips ahead to "*" and "_"): the width-2 look-behind
# after the first marker tests the character before it. Same matches, same order.
EMPHASIS = re.compile(r"[*_](?:(?<![\w*][*_])[*_]{0,2}|[*_]{0,2}(?![\w*]))")
# the same, where a single "_" is text (cookie names such as "_ga", identifiers)
EMPHASIS_KEEP_UNDERSCORE = re.compile(r"\*{1,3}|_{2,3}")


def strip_inline(s: str, *, underscores: bool = True) -> str:
    """`s` without inline Markdown/HTML markup (see the module docstring); spacing kept.
    `underscores=False` keeps single underscores ("_ga"): only `*` and `__` markers go."""
    # each step only when its pattern can match (same result, much less work on long lines)
    if "<" in s:
        s = BR.sub(" ", s)
    if "](" in s:
        s = MD_LINK.sub(r"\1", s)
    if "<" in s:
        s = AUTOLINK.sub(r"\1", s)
        s = TAG.sub("", s)
    if "{#" in s:
        s = ANCHOR.sub("", s)
    if "\\" in s:
        s = s.replace("\\", "")
    if "*" in s or "_" in s:
        if underscores:
            s = EMPHASIS.sub("", s)
        elif "__" in s:
            s = EMPHASIS_KEEP_UNDERSCORE.sub("", s)
        else:
            s = s.replace("*", "")  # (no "__" marker: every "*" is one, the same result)
    if "`" in s:
        s = s.replace("`", "")
    return s


# --------------------------------------------------------------------------- shorten


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


# --------------------------------------------------------------------------- credentials

# scheme://userinfo@ — userinfo is "user:password" or a bare token; it never contains / ? # @.
_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)([^/?#@\s]+)@")


def redact_credentials(text: str) -> str:
    """URLs in `text` without their secrets: `http://user:pass@host/` -> `http://user:***@host/`,
    `https://token@host/` -> `https://***@host/`. Used everywhere a URL leaves the program
    except the request itself (e-mails, feed, database, logs, terminal)."""
    if "@" not in text:
        return text

    def repl(m: re.Match[str]) -> str:
        user, sep, _ = m.group(2).partition(":")
        return f"{m.group(1)}{user}:***@" if sep else f"{m.group(1)}***@"

    return _USERINFO.sub(repl, text)


# --------------------------------------------------------------------------- neutralise

# C0 controls except tab and newline (ESC, BEL, CR, backspace...), DEL, C1 controls (CSI
# U+009B starts a sequence on some terminals), lone surrogates, the two non-characters, and the
# bidirectional embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069) and marks.
UNSAFE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
    "\ud800-\udfff\ufffe\uffff]"
)


def neutralise(text: Any) -> str:
    """`text` as a string without control and bidi-override characters (keeps \\n and \\t)."""
    return UNSAFE.sub("", "" if text is None else str(text))


def escape_unsafe_json(s: str) -> str:
    """JSON text with every unsafe character written as a \\uXXXX escape (the data is kept:
    a parser reads back exactly the same string, a terminal sees no raw control)."""
    return UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", s)
