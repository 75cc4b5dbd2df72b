"""Property-based fuzzing of the pure core: extraction and fact extraction.

Random and mutated HTML built from the seed policies must never raise (other than a clean
ExtractError), must always return text, and must be deterministic.
"""

from __future__ import annotations

import html
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from watcher.analysis.findings import analyze
from watcher.extract import extract
from watcher.facts import extract_facts
from watcher.models import ExtractError

SEEDS = Path(__file__).resolve().parents[3] / "shared" / "seeds"
SEED_LINES = [
    line for p in sorted(SEEDS.glob("*.txt")) for line in p.read_text().splitlines() if line.strip()
][:400] or ["Privacy policy. We use SendGrid. Last updated: 10th August 2021."]

TAGS = [
    "p",
    "div",
    "span",
    "h1",
    "h2",
    "h3",
    "li",
    "ul",
    "ol",
    "table",
    "tr",
    "td",
    "th",
    "main",
    "article",
    "nav",
    "footer",
    "script",
    "style",
    "a",
    "b",
    "i",
    "br",
    "font",
    "section",
    "details",
    "summary",
    "template",
    "noscript",
]
ATTRS = [
    "",
    " hidden",
    ' style="display:none"',
    ' aria-hidden="true"',
    ' class="cookie-banner"',
    ' role="main"',
    ' data-cfemail="3f5e5d"',
    ' class="__cf_email__" data-cfemail="zz"',
    ' href="/cdn-cgi/l/email-protection#4a2b"',
]

fragment = st.recursive(
    st.sampled_from(SEED_LINES).map(html.escape) | st.text(max_size=40),
    lambda children: st.builds(
        lambda tag, attr, kids, close: (
            f"<{tag}{attr}>{''.join(kids)}" + (f"</{tag}>" if close else "")
        ),
        st.sampled_from(TAGS),
        st.sampled_from(ATTRS),
        st.lists(children, max_size=5),
        st.booleans(),
    ),
    max_leaves=40,
)


def mutate(data: bytes, cuts: list[tuple[int, int]]) -> bytes:
    b = bytearray(data)
    for pos, val in cuts:
        if b:
            b[pos % len(b)] = val
    return bytes(b)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    fragment,
    st.sampled_from(["text/html", "text/plain", None]),
    st.sampled_from([None, "utf-8", "windows-1252", "latin-1", "bogus-charset"]),
)
def test_extract_never_raises_and_is_deterministic(
    body: str, ctype: str | None, charset: str | None
) -> None:
    page = f"<html><head><title>T</title></head><body>{body}</body></html>".encode(
        "utf-8", "surrogatepass"
    )
    try:
        a = extract(page, content_type=ctype, charset=charset)
    except ExtractError:
        return
    assert isinstance(a.text, str)
    b = extract(page, content_type=ctype, charset=charset)
    assert a.text == b.text and a.title == b.title
    facts = extract_facts(a.text, a.language)
    assert [f.to_dict() for f in facts] == [f.to_dict() for f in extract_facts(a.text, a.language)]


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(sorted(SEEDS.glob("*.txt")) or [None]),
    st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)), max_size=30),
)
def test_mutated_seed_pages(seed: Path | None, cuts: list[tuple[int, int]]) -> None:
    text = seed.read_text() if seed else "\n".join(SEED_LINES)
    page = (
        "<html><body><main>"
        + "".join(f"<p>{html.escape(line)}</p>" for line in text.splitlines())
        + "</main></body></html>"
    )
    data = mutate(page.encode(), cuts)
    try:
        doc = extract(data, content_type="text/html")
    except ExtractError:
        return
    assert doc.text == extract(data, content_type="text/html").text
    facts = extract_facts(doc.text, doc.language)
    base_facts = extract_facts(text)
    result = analyze(text, doc.text, base_facts, facts)
    assert result.changed in (True, False)
    for f in result.findings:
        assert f.severity in ("high", "medium", "low", "info")


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=3000))
def test_fact_extractors_on_arbitrary_text(text: str) -> None:
    facts = extract_facts(text)
    assert all(f.kind and isinstance(f.value, str) for f in facts)
    same = analyze(text, text, facts, facts)
    assert same.changed is False and same.findings == []
