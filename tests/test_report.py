"""report: pure rendering of analyses (text, HTML, e-mail, digest, Atom, JSON)."""

from __future__ import annotations

import email
import email.policy
import json
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from html.parser import HTMLParser

import pytest
from hypothesis import given
from hypothesis import strategies as st

from watcher import render as report
from watcher.models import Analysis, EmailSettings, Finding, Hunk, VersionInfo

ATOM = "{http://www.w3.org/2005/Atom}"
NOW = datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC)
SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(1)>"
SETTINGS = EmailSettings(smtp_host="smtp.example.com", sender="Watcher <w@example.org>")
OLD = VersionInfo(3, datetime(2024, 1, 2, 10, 0, tzinfo=UTC), "live", "a" * 64, 500)
NEW = VersionInfo(4, datetime(2024, 2, 3, 11, 30, tzinfo=UTC), "wayback", "b" * 64, 520)


def hostile_analysis() -> Analysis:
    findings = [
        Finding("section", "cookies", None, "Cookies", "info", "New section: Cookies"),
        Finding(
            "retention",
            "logs",
            "30 days",
            "90 days",
            "medium",
            "Logs kept longer: 30 days -> 90 days",
            evidence_old="We keep logs for 30 days.",
            evidence_new="We keep logs for 90 days.",
        ),
        Finding(
            "party",
            "evil",
            None,
            f"Evil Corp {SCRIPT}",
            "high",
            f"New recipient: Evil Corp {SCRIPT}",
            evidence_new=f"We share your data with Evil Corp {IMG}.",
        ),
        Finding("contact", "email", ["a@x.com"], ["b@x.com"], "low", "Contact address changed"),
    ]
    hunks = [
        Hunk(
            "replace",
            2,
            ["We share your data with our hosting provider."],
            2,
            [f"We share your data with Evil Corp {IMG}."],
            [
                ("=", "We share your data with "),
                ("-", "our hosting provider"),
                ("+", f"Evil Corp {IMG}"),
                ("=", "."),
            ],
        ),
        Hunk("insert", 7, [], 8, [f"Tracking {SCRIPT}"], [("+", f"Tracking {SCRIPT}")]),
    ]
    return Analysis(
        True, "substantive", f"New recipient Evil Corp {SCRIPT}", findings, hunks, 12, 3
    )


def many_hunks(n: int, words_per_line: int = 30) -> list[Hunk]:
    out = []
    for i in range(n):
        text = " ".join(f"w{i}_{k}" for k in range(words_per_line))
        out.append(
            Hunk(
                "replace",
                i * 3 + 1,
                [text + " old"],
                i * 3 + 1,
                [text + " new"],
                [("=", text + " "), ("-", "old"), ("+", "new")],
            )
        )
    return out


class TagCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str | None]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attrs += attrs

    def handle_data(self, data):
        self.text.append(data)


def parse_html(s: str) -> TagCollector:
    p = TagCollector()
    p.feed(s)
    p.close()
    return p


# -- text ---------------------------------------------------------------------------------------


def test_change_text_findings_first_by_severity():
    text = report.change_text("acme", "https://acme.example/privacy", hostile_analysis(), OLD, NEW)
    lines = text.splitlines()
    assert lines[0] == "Policy change: acme"
    assert "URL:      https://acme.example/privacy" in lines
    assert any("#3 of 2024-01-02 10:00 UTC -> #4 of 2024-02-03 11:30 UTC" in ln for ln in lines)
    assert "substantive" in text
    order = [text.index(f"[{s}]") for s in ("HIGH", "MEDIUM", "LOW", "INFO")]
    assert order == sorted(order)
    assert order[-1] < text.index("TEXT CHANGES")
    assert 'before: "We keep logs for 30 days."' in text
    assert 'after:  "We keep logs for 90 days."' in text
    assert "[-our hosting provider-]{+Evil Corp <img src=x onerror=alert(1)>+}." in text
    assert "contact: a@x.com -> b@x.com" not in text  # field name is shown, not kind
    assert "email: a@x.com -> b@x.com" in text
    assert text.rstrip().endswith("Full diff: watcher diff acme 3 4")


def test_change_text_strips_terminal_control_characters():
    a = hostile_analysis()
    a.findings[0].summary = "bad \x1b[31mred\x1b[0m \x07bell\r\nsecond line"
    text = report.change_text("acme", "https://acme.example/", a, OLD, NEW)
    assert "\x1b" not in text and "\x07" not in text and "\r" not in text
    assert "bad [31mred[0m bell second line" in text


def test_diff_excerpt_is_bounded():
    a = Analysis(True, "substantive", "big rewrite", [], many_hunks(200), 200, 200)
    text = report.change_text("big", "https://x.example/", a, OLD, NEW)
    section = text[text.index("TEXT CHANGES") : text.index("Full diff:")]
    assert len(section.splitlines()) <= 45
    assert len(section.encode()) <= 4600
    assert "more changes not shown" in section
    shown = section.count("@ line")
    assert f"{200 - shown} more changes not shown" in section
    assert "FINDINGS: none recognised" in text


def test_long_paragraph_context_is_elided():
    words = " ".join(f"word{k}" for k in range(300))
    h = Hunk(
        "replace",
        1,
        [words + " old"],
        1,
        [words + " new"],
        [("=", words + " "), ("-", "old"), ("+", "new"), ("=", " " + words)],
    )
    a = Analysis(True, "minor", "one word", [], [h], 1, 1)
    text = report.change_text("p", "https://x.example/", a, OLD, NEW)
    assert "word299 [-old-]{+new+} word0" in text
    assert "word150" not in text
    assert "…" in text


def test_words_without_whitespace_tokens_get_spaces():
    h = Hunk(
        "replace",
        1,
        ["a b c"],
        1,
        ["a x c"],
        [("=", "we"), ("=", "share"), ("-", "little"), ("+", "everything"), ("=", "today")],
    )
    a = Analysis(True, "minor", "", [], [h], 1, 1)
    text = report.change_text("p", "https://x.example/", a, OLD, NEW)
    assert "we share [-little-]{+everything+} today" in text


def test_hunk_without_words_falls_back_to_lines():
    h = Hunk("delete", 5, ["Gone sentence."], 5, [], [])
    a = Analysis(True, "minor", "", [], [h], 0, 2)
    text = report.change_text("p", "https://x.example/", a, OLD, NEW)
    assert "@ removed line 5" in text
    assert "[-Gone sentence.-]" in text


# -- HTML ---------------------------------------------------------------------------------------


def test_change_html_escapes_hostile_text():
    html_doc = report.change_html("acme <b>", 'javascript:alert("x")', hostile_analysis(), OLD, NEW)
    assert "<script" not in html_doc.lower() and "<img" not in html_doc.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html_doc
    assert "&lt;img src=x onerror=alert(1)&gt;" in html_doc
    p = parse_html(html_doc)
    assert "script" not in p.tags and "img" not in p.tags and "b" not in p.tags
    assert "style" not in p.tags and "link" not in p.tags  # inline CSS only
    assert not any(k.startswith("on") for k, _ in p.attrs)
    assert "a" not in p.tags  # a javascript: URL is not made a link
    # the hostile text is there as text, readable
    assert SCRIPT in "".join(p.text)
    assert "del" in p.tags and "ins" in p.tags
    assert all(v for k, v in p.attrs if k == "style")


def test_change_html_structure_and_order():
    html_doc = report.change_html(
        "acme", "https://acme.example/privacy?a=1&b=2", hostile_analysis(), OLD, NEW
    )
    assert 'href="https://acme.example/privacy?a=1&amp;b=2"' in html_doc
    order = [html_doc.index(f">{s}<") for s in ("HIGH", "MEDIUM", "LOW", "INFO")]
    assert order == sorted(order)
    assert order[-1] < html_doc.index("Text changes")
    assert "watcher diff acme 3 4" in html_doc
    assert 'style="background:#ffebe9' in html_doc


# -- subject ------------------------------------------------------------------------------------


def test_subject_shape():
    s = report.subject("acme", hostile_analysis())
    assert s.startswith("[policy-watcher] acme: HIGH: New recipient Evil Corp")
    a = hostile_analysis()
    a.summary = "line one\r\nBcc: victim@example.org\n" + "x" * 400
    s = report.subject("acme", a)
    assert "\r" not in s and "\n" not in s
    assert len(s) <= 150
    assert s.endswith("…")


def test_subject_without_summary_uses_top_finding_or_class():
    a = hostile_analysis()
    a.summary = ""
    assert "New recipient: Evil Corp" in report.subject("acme", a)
    b = Analysis(True, "cosmetic", "", [], [], 0, 0)
    assert report.subject("acme", b) == "[policy-watcher] acme: cosmetic change"


@given(st.text(), st.text())
def test_subject_is_always_one_clean_line(watch, summary):
    a = Analysis(True, "minor", summary, [], [], 0, 0)
    s = report.subject(watch, a)
    assert s.startswith("[policy-watcher] ")
    assert len(s) <= 150
    assert not any(c in s for c in "\r\n\x00\x0b\x0c\x85\u2028\u2029")
    msg = report._base_message(SETTINGS, ["r@example.org"], s, now=NOW, message_id="<m@x>")
    msg.set_content("x")
    msg.as_bytes()  # the header is acceptable to the email package


# -- e-mail -------------------------------------------------------------------------------------


def _roundtrip(msg):
    return email.message_from_bytes(msg.as_bytes(), policy=email.policy.default)


def test_build_change_email():
    mid = report.make_message_id("change-4")
    msg = _roundtrip(
        report.build_change_email(
            SETTINGS,
            ["a@example.org", "b@example.org"],
            "acme",
            "https://acme.example/",
            hostile_analysis(),
            OLD,
            NEW,
            now=NOW,
            message_id=mid,
        )
    )
    assert msg.get_content_type() == "multipart/alternative"
    assert msg["From"] == "Watcher <w@example.org>"
    assert msg["To"] == "a@example.org, b@example.org"
    assert msg["Message-ID"] == mid
    assert parsedate_to_datetime(msg["Date"]) == NOW
    assert msg["Subject"] == report.subject("acme", hostile_analysis())
    assert msg["Auto-Submitted"] == "auto-generated"
    text = msg.get_body(("plain",)).get_content()
    html_part = msg.get_body(("html",)).get_content()
    assert "[HIGH] New recipient: Evil Corp" in text
    assert "<script" not in html_part


def test_build_email_requires_recipients():
    with pytest.raises(ValueError):
        report.build_test_email(SETTINGS, [], now=NOW, message_id="<x@y>")


def test_message_id_is_deterministic():
    a = report.make_message_id("change-42:alice@example.org")
    assert a == report.make_message_id("change-42:alice@example.org")
    assert a != report.make_message_id("change-43:alice@example.org")
    assert a.startswith("<") and a.endswith("@policy-watcher.local>")
    assert report.make_message_id("s", "example.org").endswith("@example.org>")


def test_naive_now_is_taken_as_utc():
    msg = report.build_test_email(
        SETTINGS, ["a@example.org"], now=datetime(2024, 1, 1, 12, 0), message_id="<x@y>"
    )
    assert parsedate_to_datetime(msg["Date"]) == datetime(2024, 1, 1, 12, 0, tzinfo=UTC)


def test_build_test_email():
    msg = _roundtrip(
        report.build_test_email(SETTINGS, ["a@example.org"], now=NOW, message_id="<t@x>")
    )
    assert msg["Subject"] == "[policy-watcher] test message"
    assert "smtp.example.com:587" in msg.get_body(("plain",)).get_content()
    assert msg.get_body(("html",)) is not None


# -- digest -------------------------------------------------------------------------------------


def _items() -> list[report.DigestItem]:
    low = Analysis(
        True,
        "minor",
        "Contact changed",
        [Finding("contact", "email", "a", "b", "low", "Contact changed")],
        [],
        1,
        1,
    )
    cosmetic = Analysis(True, "cosmetic", "", [], many_hunks(1), 1, 1)
    return [
        report.DigestItem("shop", "https://shop.example/p", low, OLD, NEW, 7),
        report.DigestItem("acme", "https://acme.example/p", hostile_analysis(), OLD, NEW, 8),
        report.DigestItem("news", "https://news.example/p", cosmetic, OLD, NEW, 9),
    ]


def test_digest_text_lists_all_most_severe_first():
    text = report.digest_text(_items(), "week of 2024-05-06")
    assert text.splitlines()[0] == (
        "policy-watcher digest: week of 2024-05-06 — 3 changes (1 high)"
    )
    pos = [text.index(f"{n}. {w}:") for n, w in ((1, "acme"), (2, "shop"), (3, "news"))]
    assert pos == sorted(pos)
    for cmd in ("watcher diff acme 3 4", "watcher diff shop 3 4", "watcher diff news 3 4"):
        assert cmd in text
    assert "No changes" in report.digest_text([], "today")


def test_build_digest_email():
    msg = _roundtrip(
        report.build_digest_email(
            SETTINGS,
            ["a@example.org"],
            _items(),
            now=NOW,
            message_id="<d@x>",
            period_label="2024-05-06",
        )
    )
    assert msg["Subject"] == "[policy-watcher] digest 2024-05-06: 3 changes (1 high)"
    html_part = msg.get_body(("html",)).get_content()
    assert "<script" not in html_part
    for w in ("acme", "shop", "news"):
        assert f"Policy change: {w}" in html_part
    assert msg.get_body(("plain",)).get_content().count("Full diff:") == 3


# -- Atom ---------------------------------------------------------------------------------------


def test_atom_feed_parses_and_has_entries():
    items = _items()
    items[2].new = VersionInfo(5, NEW.captured_at + timedelta(days=1), "live", "c" * 64, 1)
    items[0].analysis.findings[0].summary = "ctl \x00\x01\x1b chars & <b>"
    xml_text = report.atom_feed(
        items,
        feed_id="tag:policy-watcher.local,2024:feed",
        title="Policy changes",
        updated=NOW,
        self_url="https://example.org/feed.xml",
    )
    root = ET.fromstring(xml_text.encode())
    assert root.tag == f"{ATOM}feed"
    assert root.findtext(f"{ATOM}id") == "tag:policy-watcher.local,2024:feed"
    assert root.findtext(f"{ATOM}updated") == "2024-05-06T07:08:09Z"
    assert root.find(f"{ATOM}author/{ATOM}name") is not None
    assert root.find(f"{ATOM}link").get("rel") == "self"
    entries = root.findall(f"{ATOM}entry")
    assert len(entries) == 3
    ids = [e.findtext(f"{ATOM}id") for e in entries]
    # newest first; ids name the change (watch, capture time, hashes), not a database row
    assert ids[0] == "tag:policy-watcher.local,2024:change/news/20240204T113000Z/" + (
        "a" * 12 + "-" + "c" * 12
    )
    assert len(set(ids)) == 3 and all("/7" not in i and "/8" not in i for i in ids)
    for e in entries:
        for child in ("title", "updated", "summary", "content", "id"):
            assert e.find(f"{ATOM}{child}") is not None, child
        assert e.find(f"{ATOM}content").get("type") == "html"
    acme = next(e for e in entries if "change/acme/" in e.findtext(f"{ATOM}id"))
    content = acme.findtext(f"{ATOM}content")
    # the content is HTML in which the hostile text is still escaped
    assert "<script" not in content and "&lt;script&gt;" in content
    assert "New recipient: Evil Corp" in content
    assert acme.find(f"{ATOM}link").get("href") == "https://acme.example/p"
    terms = {c.get("term") for c in acme.findall(f"{ATOM}category")}
    assert {"high", "party", "retention"} <= terms


def test_atom_entry_ids_are_stable():
    a = report.atom_feed(_items(), feed_id="urn:x", title="t", updated=NOW)
    b = report.atom_feed(_items(), feed_id="urn:x", title="t", updated=NOW + timedelta(hours=1))
    ids = lambda x: [e.findtext(f"{ATOM}id") for e in ET.fromstring(x).iter(f"{ATOM}entry")]  # noqa: E731
    assert ids(a) == ids(b)
    assert report.entry_id("a b/c") == "tag:policy-watcher.local,2024:change/a%20b/c"
    # the same changes from another database (other row numbers) keep their ids
    renumbered = _items()
    for n, it in enumerate(renumbered):
        it.change_id = 1000 + n
    c = report.atom_feed(renumbered, feed_id="urn:x", title="t", updated=NOW)
    assert ids(c) == ids(a)


def test_empty_feed_is_valid():
    root = ET.fromstring(report.atom_feed([], feed_id="urn:x", title="none", updated=NOW))
    assert root.findall(f"{ATOM}entry") == []


# -- JSON ---------------------------------------------------------------------------------------


def test_analysis_json():
    d = report.analysis_json(hostile_analysis())
    assert json.loads(json.dumps(d)) == d
    assert [f["severity"] for f in d["findings"]] == ["high", "medium", "low", "info"]
    assert d["max_severity"] == "high"
    assert d["hunks"][0]["words"][1] == ["-", "our hosting provider"]


_token = st.text(alphabet=st.sampled_from(list("ab <>&\"'\n\t\x1b\x00é")), max_size=12)


@given(
    st.lists(
        st.lists(st.tuples(st.sampled_from(["=", "-", "+"]), _token), max_size=8),
        max_size=60,
    )
)
def test_any_hunks_render_bounded_and_escaped(hunk_words):
    hunks = [
        Hunk("replace", i + 1, ["x"], i + 1, ["y"], [tuple(w) for w in words])
        for i, words in enumerate(hunk_words)
    ]
    a = Analysis(True, "minor", "<b>", [], hunks, 1, 1)
    text = report.change_text("w", "https://x.example/", a, OLD, NEW)
    assert "\x1b" not in text and "\x00" not in text
    if "TEXT CHANGES" in text:
        section = text[text.index("TEXT CHANGES") : text.index("Full diff:")]
        assert len(section.splitlines()) <= 45
        assert len(section.encode()) <= 4600
    p = parse_html(report.change_html("w", "https://x.example/", a, OLD, NEW))
    assert set(p.tags) <= {
        "html", "head", "meta", "title", "body", "div", "h1", "h2", "p", "a", "br",
        "strong", "span", "pre", "del", "ins", "code",
    }  # fmt: skip


def test_digest_opens_with_an_overview_of_each_watchs_worst_finding():
    items = _items()
    items.append(
        report.DigestItem("acme", "https://acme.example/p", hostile_analysis(), OLD, NEW, 10)
    )
    text = report.digest_text(items, "week")
    lines = text.splitlines()
    start = lines.index("OVERVIEW (per watch, the most severe finding)")
    first_change = next(i for i, ln in enumerate(lines) if ln.startswith("1. "))
    assert start < first_change
    overview = lines[start + 1 : first_change]
    assert overview[0].startswith("- acme (2 changes): [HIGH] New recipient: Evil Corp")
    assert any(ln.startswith("- shop: ") for ln in overview)
    assert any(ln.startswith("- news: ") for ln in overview)
    assert len([ln for ln in overview if ln.startswith("- ")]) == 3  # one line per watch
    page = report.digest_html(items, "week")
    assert page.index("Overview (per watch") < page.index("Policy change: acme")
    assert "&lt;script&gt;" in page and SCRIPT not in page


def _flood(n: int) -> Analysis:
    """A change of `n` findings: one high among many low (the 20,000-heading page)."""
    findings = [
        Finding(
            "section",
            f"h{i}",
            None,
            f"Heading {i} " + "x" * 200,
            "low",
            f"New section: Heading {i}",
        )
        for i in range(n)
    ]
    findings.insert(
        n // 2, Finding("party", "evil", None, "Evil Corp", "high", "New recipient: Evil Corp")
    )
    return Analysis(
        changed=True,
        classification="substantive",
        summary="many headings added",
        findings=findings,
        hunks=[],
        words_added=3 * n,
        words_removed=0,
    )


def test_a_flood_of_findings_gives_a_deliverable_report():
    a = _flood(21_000)
    raw = report.build_change_email(
        SETTINGS,
        ["r@example.org"],
        "big",
        "https://x.example/",
        a,
        OLD,
        NEW,
        now=NOW,
        message_id="<b@x>",
    ).as_bytes()
    assert len(raw) <= 1_000_000
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    text = msg.get_body(("plain",)).get_content()
    # the most severe finding comes first; the rest are counted and pointed to watcher diff
    findings = text[text.index("FINDINGS") :]
    assert findings.index("[HIGH] New recipient: Evil Corp") < findings.index("[LOW]")
    assert "more findings not shown (" in text and "low" in text
    assert "see them all with: watcher diff big 3 4" in text
    html_part = msg.get_body(("html",)).get_content()
    assert "more findings not shown" in html_part
    # and a digest of several such changes fits too
    items = [report.DigestItem(f"w{i}", "https://x.example/", a, OLD, NEW, i) for i in range(30)]
    digest = report.build_digest_email(
        SETTINGS, ["r@example.org"], items, now=NOW, message_id="<d@x>", period_label="p"
    ).as_bytes()
    assert len(digest) <= 1_000_000
    assert b"OVERVIEW" in digest


def test_small_reports_show_every_finding():
    text = report.change_text("w", "https://x.example/", _flood(30), OLD, NEW)
    assert text.count("[LOW]") == 30 and "not shown" not in text
