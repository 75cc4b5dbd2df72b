"""One fold table, one inline-Markdown strip, one shorten (watcher/textutil.py), as the stages
use them."""

from __future__ import annotations

import itertools

from watcher.analysis.diff import normalize_line
from watcher.extract import extract
from watcher.facts.doc import clean, plain
from watcher.textutil import (
    EMPHASIS_KEEP_UNDERSCORE,
    casefold_ascii,
    fold_typography,
    shorten,
    strip_inline,
)


def test_fold_and_strip_agree_across_stages():
    curly = "We\u2019ll share \u201cdata\u201d with **Acme**\u00a0Ltd \u2013 [see](https://x.example/a_(b))"
    straight = 'We\'ll share "data" with Acme Ltd - see'
    assert fold_typography(curly).count("\u2019") == 0
    assert normalize_line(curly) == normalize_line(straight)
    assert clean(curly) == straight
    assert plain("- " + curly) == "We\u2019ll share \u201cdata\u201d with Acme Ltd \u2013 see"


def test_extraction_folds_quotes_but_keeps_dashes():
    html = "<html><body><main><p>Acme\u2019s policy \u2013 \u201cversion 2\u201d\u00ad.</p></main></body></html>"
    text = extract(html.encode(), content_type="text/html").text
    assert 'Acme\'s policy \u2013 "version 2".' in text


def test_single_underscores_are_text_for_facts():
    assert clean("| _ga | Google Analytics | 2 years |") == "| _ga | Google Analytics | 2 years |"
    assert clean("__bold__ and *it*") == "bold and it"
    assert strip_inline("10\\. Governing Law {#law}") == "10. Governing Law "
    assert strip_inline("<Vendor>, Inc. <b>x</b>") == "<Vendor>, Inc. x"


def test_keeping_underscores_strips_like_the_markers_regex():
    # (a line without "__" loses its "*" by a plain replace: the same as the regex)
    for parts in itertools.product(["*", "_", "a", " ", "__", "***", "\u0130"], repeat=4):
        s = "".join(parts)
        assert strip_inline(s, underscores=False) == EMPHASIS_KEEP_UNDERSCORE.sub("", s), s
        assert len(casefold_ascii(s)) == len(s)


def test_shorten():
    assert shorten(None, 5) is None
    assert shorten("a  b\n c", 10) == "a b c"
    assert shorten("alpha beta gamma", 12) == "alpha beta\u2026"
    assert len(shorten("x" * 500, 300)) == 300
