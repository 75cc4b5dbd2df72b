"""Is this capture a real policy page? Pure checks on an extracted Document.

`suspicious_reason` spots bot challenges, error / soft-404 pages, login walls and empty pages.
It looks at the title and at *short* texts only: a real policy is long, and it may well
mention "cookies", "captcha" or "access" in passing without being a challenge page.
"""

from __future__ import annotations

import re

from watcher.models import Document

__all__ = ["suspicious_reason", "shrank_too_much"]

MIN_WORDS = 30  # fewer words than this is not a policy
SHORT_WORDS = 300  # only texts shorter than this are searched for challenge / error phrases
LONG_WORDS = 800  # texts this long are never flagged on their title alone (except challenges)

# (pattern, label): bot challenges and WAF blocks, matched on the title.
_CHALLENGE_TITLES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(p, re.I), label)
    for p, label in (
        (r"^\s*just a moment\b", "Cloudflare challenge"),
        (r"attention required!?\s*\|?\s*cloudflare|^\s*attention required\b", "Cloudflare block"),
        (r"checking your browser|^\s*please wait\b.*(?:redirect|verif|secur)", "browser check"),
        (r"^\s*(?:ddos-guard|ddos protection)\b", "DDoS-Guard challenge"),
        (r"^\s*access denied\b|^\s*403 forbidden\b|^\s*forbidden\s*$", "access denied"),
        (r"request unsuccessful|incapsula", "Incapsula block"),
        (
            r"^\s*(?:are you a robot|human verification|verify you are human|security check)",
            "captcha challenge",
        ),
        (r"captcha", "captcha challenge"),
        (r"pardon our interruption", "bot block (Distil/Imperva)"),
        (r"^\s*one more step\b", "Cloudflare challenge"),
        (r"^\s*access to this page has been denied", "PerimeterX block"),
        (r"datadome", "DataDome challenge"),
    )
)

# Phrases of challenge pages' visible text (only searched in short texts).
_CHALLENGE_TEXT: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(p, re.I), label)
    for p, label in (
        (r"checking (?:if the site connection is secure|your browser)", "Cloudflare challenge"),
        (r"verif(?:y|ying) (?:that )?you are (?:a )?human", "human verification challenge"),
        (r"needs to review the security of your connection", "Cloudflare challenge"),
        (r"enable javascript and cookies to continue", "Cloudflare challenge"),
        (r"\bcloudflare ray id\b|\bray id:", "Cloudflare block"),
        (r"press\s*(?:&|and)\s*hold", "PerimeterX press-and-hold challenge"),
        (r"access to this page has been denied", "PerimeterX block"),
        (r"request unsuccessful\.?\s*incapsula|incapsula incident id", "Incapsula block"),
        (r"\bdatadome\b|captcha-delivery", "DataDome challenge"),
        (r"\bh?captcha\b|\brecaptcha\b|i'?m not a robot|are you a robot", "captcha challenge"),
        (r"complete the security check", "captcha challenge"),
        (r"unusual traffic from your (?:computer )?network", "bot block"),
        (r"\baccess denied\b|you don'?t have permission to access", "access denied"),
        (r"pardon our interruption", "bot block (Distil/Imperva)"),
    )
)

_ERROR_TITLE = re.compile(
    r"^\s*(?:error\b|oops\b|\d{3}\b\s*(?:[-:|]\s*)?(?:error|not found|forbidden|gone|"
    r"service unavailable|bad gateway|gateway time-?out|internal server error)|"
    r"(?:page|file|document) not found|not found\s*$|site (?:is )?under maintenance|"
    r"(?:we'?ll be )?back soon|maintenance\s*$|service unavailable|bad gateway|"
    r"internal server error|something went wrong|page (?:does not|doesn'?t) exist)"
    r"|\b(?:404|410|500|502|503)\b.*\b(?:not found|error|unavailable|gone)\b"
    r"|\b(?:page not found|seite nicht gefunden|page introuvable|página no encontrada)\b",
    re.I,
)
_ERROR_TEXT = re.compile(
    r"\b(?:404|page not found|(?:could|can)(?:not|'t| not) be found|does ?n[o']t exist|"
    r"no longer (?:exists|available)|service (?:temporarily )?unavailable|internal server error|"
    r"bad gateway|gateway time-?out|temporarily unavailable|under maintenance|"
    r"something went wrong|seite nicht gefunden|page introuvable|página no encontrada)\b",
    re.I,
)
_LOGIN_TEXT = re.compile(
    r"\b(?:sign|log)\s*in to (?:continue|view|access|see)|please (?:sign|log)\s*in\b|"
    r"(?:login|sign-?in) required|you (?:must|need to) (?:be )?(?:logged|signed) in|"
    r"(?:sign|log) in to your account|session (?:has )?expired",
    re.I,
)
_LOGIN_TITLE = re.compile(r"^\s*(?:sign in|log in|login|sign-in|log-in)\b", re.I)


def suspicious_reason(doc: Document, status: int = 200) -> str | None:
    """A short reason why this capture is probably not the policy, or None when it looks real."""
    text = doc.text or ""
    title = " ".join((doc.title or "").split())
    words = len(text.split())

    if status >= 400:
        return f"HTTP status {status}"

    for pattern, label in _CHALLENGE_TITLES:
        if title and pattern.search(title) and words < LONG_WORDS:
            return f"bot challenge: {label} (title {title!r})"
    if words < SHORT_WORDS:
        for pattern, label in _CHALLENGE_TEXT:
            if pattern.search(text):
                return f"bot challenge: {label}"

    if title and words < LONG_WORDS and _ERROR_TITLE.search(title):
        return f"error page (title {title!r})"
    if words < SHORT_WORDS // 2 and _ERROR_TEXT.search(text):
        return "error page (soft 404 / server error text)"

    if words < SHORT_WORDS // 2 and (_LOGIN_TEXT.search(text) or _LOGIN_TITLE.search(title)):
        return "login wall"

    if words == 0:
        return "empty text"
    if words < MIN_WORDS:
        return f"near-empty text ({words} words)"
    return None


def shrank_too_much(old_text: str, new_text: str, ratio: float = 0.7) -> bool:
    """True when the new text has lost more than `ratio` of the old text's words."""
    old_words = len((old_text or "").split())
    if old_words == 0:
        return False
    new_words = len((new_text or "").split())
    return new_words < old_words * (1.0 - ratio)


_VOCAB = re.compile(r"[^\W\d_]{3,}")


def vocabulary_overlap(old_text: str, new_text: str) -> float:
    """Share of distinct words (3+ letters, case-folded) the two texts have in common (Jaccard)."""
    old = set(_VOCAB.findall((old_text or "").casefold()))
    new = set(_VOCAB.findall((new_text or "").casefold()))
    if not old or not new:
        return 1.0 if old == new else 0.0
    return len(old & new) / len(old | new)


def different_page(old_text: str, new_text: str, threshold: float = 0.1) -> bool:
    """True when the URL now serves another page altogether (home page, another language...).

    Two versions of one policy, even a full rewrite, share a legal vocabulary: on the
    development corpus consecutive versions share at least 16% of their distinct words (full
    rewrites about 35%), while a privacy URL that served the site's home page shared 1.6%.
    """
    return vocabulary_overlap(old_text, new_text) < threshold
