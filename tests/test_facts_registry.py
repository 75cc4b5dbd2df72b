"""The fact-family registry: every kind a family extracts has a comparer; one segmentation."""

from __future__ import annotations

import types
from pathlib import Path

import pytest

import watcher.facts as F
from watcher.extract import extract
from watcher.facts import doc as D
from watcher.facts import retention
from watcher.facts.base import check_family

PAGES = Path(__file__).resolve().parents[1] / "watcher" / "demo" / "pages"


def _demo_texts() -> list[str]:
    out = []
    for p in sorted(PAGES.glob("*/*.html")):
        out.append(extract(p.read_bytes(), content_type="text/html").text)
    return out


def test_every_extracted_kind_has_a_comparer():
    texts = _demo_texts()
    assert len(texts) >= 5
    kinds = {f.kind for t in texts for f in F.extract_facts(t)}
    assert {"date", "party", "contact", "section", "retention"} <= kinds
    for kind in kinds:
        fam = F.comparer(kind)
        assert fam is not None, f"fact kind {kind!r} has no comparer"
        assert kind in fam.KINDS
    # and every family declares the kinds it emits
    for fam in F.FAMILIES:
        emitted = {f.kind for t in texts for f in fam.extract(t)}
        assert emitted <= set(fam.KINDS), (fam.__name__, emitted - set(fam.KINDS))


def test_a_family_without_compare_is_refused():
    mod = types.ModuleType("watcher.facts.broken")
    mod.KINDS = ("broken",)
    mod.extract = lambda text, language=None: []
    with pytest.raises(TypeError, match="broken.*compare"):
        check_family(mod)


def test_abbreviations_never_end_a_sentence():
    s = "We keep logs for approx. 90 days. Then we delete them. Acme Inc. Is a processor."
    assert D.split_sentences(s) == [
        "We keep logs for approx. 90 days.",
        "Then we delete them.",
        "Acme Inc. Is a processor.",
    ]
    # the units every family reads use the same splitter
    assert [u.text for u in D.units(s)] == D.split_sentences(s)


def test_retention_after_approx_is_found():
    text = "# Retention\n\nWe keep server logs for approx. 90 days. After that they are deleted.\n"
    (f,) = [f for f in retention.extract(text) if f.kind == "retention"]
    assert f.detail.get("days") == 90
    assert "approx. 90 days" in f.evidence
