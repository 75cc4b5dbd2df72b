"""Caps on what one capture may turn into (issue 13: a 47 KB PDF of 9,000,000 words).

A capture over a cap is an ExtractError naming the cap, recorded for its watch like any other
extraction failure; nothing is stored as a version. The time cap is the one place extraction
reads a clock: it bounds work (checked between PDF pages), it never shapes the text.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from watcher.models import ExtractError


@dataclass(frozen=True)
class ExtractLimits:
    max_words: int = 1_000_000  # a long policy is 20,000-30,000 words
    max_chars: int = 20_000_000
    max_pages: int = 5_000  # PDF pages
    max_page_bytes: int = 10_000_000  # one PDF page's decoded content stream
    max_seconds: float = 60.0  # PDF text extraction, checked between pages


LIMITS = ExtractLimits()


class Budget:
    """Counts words and characters as they are produced; raises once a cap is passed."""

    def __init__(self, limits: ExtractLimits, what: str) -> None:
        self.limits = limits
        self.what = what
        self.words = 0
        self.chars = 0
        self.deadline = time.monotonic() + limits.max_seconds

    def add(self, text: str, where: str = "") -> None:
        self.words += len(text.split())
        self.chars += len(text)
        lim = self.limits
        if self.words > lim.max_words:
            raise ExtractError(
                f"{self.what} too large: over {lim.max_words:,} words{where} (limit per capture)"
            )
        if self.chars > lim.max_chars:
            raise ExtractError(
                f"{self.what} too large: over {lim.max_chars:,} characters{where} "
                "(limit per capture)"
            )

    def check_time(self, where: str = "") -> None:
        if time.monotonic() > self.deadline:
            raise ExtractError(
                f"{self.what} took over {self.limits.max_seconds:g} s{where} (limit per capture)"
            )
