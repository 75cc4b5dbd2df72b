"""Findings across watches (issue 16 point 1) and the static site (point 3), over a real store
filled by real checks of pages served on 127.0.0.1."""

from __future__ import annotations

import shutil
import subprocess
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tests.conftest import Project, small_policy_page
from watcher import config as cfg
from watcher.storage.schema import SCHEMA_VERSION
from watcher.storage.sqlite import Store


def _fill(project: Project, site) -> None:
    """Two watches, three changes: a processor added on each, then a retention change."""
    site.set("/a", small_policy_page())
    site.set("/b", small_policy_page())
    project.write_config(
        [{"name": "alpha", "url": site.url("/a")}, {"name": "beta", "url": site.url("/b")}]
    )
    project.run("check")
    site.set("/a", small_policy_page(processor="Mailchimp"))
    project.run("check", "alpha")
    site.set("/b", small_policy_page(processor="SendGrid"))
    project.run("check", "beta")
    site.set(
        "/b",
        small_policy_page(processor="SendGrid").replace("for 30 days", "for 7 years"),
    )
    project.run("check", "beta")


def _store(project: Project) -> Store:
    c = cfg.load(project.config)
    return Store(c.database, c.snapshots)


def test_findings_query_filters_and_groups(project: Project, site) -> None:
    _fill(project, site)
    store = _store(project)
    try:
        everything = store.query_findings()
        assert everything, "the checks stored no findings"
        # newest first by the capture date of the new version
        dates = [r.captured_at for r in everything]
        assert dates == sorted(dates, reverse=True)
        added = store.query_findings(kinds=["party_added"])
        assert {(r.watch, r.finding.new) for r in added} >= {
            ("alpha", "Mailchimp"),
            ("beta", "SendGrid"),
        }
        assert all(r.finding.kind == "party_added" for r in added)
        # per-watch version numbers: each watch's first change is 1 -> 2
        firsts = {r.watch: (r.old_n, r.new_n) for r in added}
        assert firsts == {"alpha": (1, 2), "beta": (1, 2)}
        only_beta = store.query_findings(watches=["beta"])
        assert only_beta and {r.watch for r in only_beta} == {"beta"}
        retention = [r for r in only_beta if r.finding.kind.startswith("retention")]
        assert retention and (retention[0].old_n, retention[0].new_n) == (2, 3)
        high = store.query_findings(min_severity="high")
        assert all(r.finding.severity == "high" for r in high)
        assert len(high) < len(everything)
        by_watch = dict(store.count_findings("watch"))
        assert by_watch == {
            "alpha": len(store.query_findings(watches=["alpha"])),
            "beta": len(only_beta),
        }
        by_kind = dict(store.count_findings("kind"))
        assert by_kind["party_added"] == len(added)
        future = datetime.now(UTC) + timedelta(days=1)
        assert store.query_findings(since=future) == []
        assert len(store.query_findings(until=future)) == len(everything)
    finally:
        store.close()


def test_findings_index_is_built_for_an_older_database(project: Project, site) -> None:
    """A database from before the index gets it filled from the stored changes on open."""
    _fill(project, site)
    store = _store(project)
    before = [(r.watch, r.finding.kind, r.finding.summary) for r in store.query_findings()]
    store.conn.execute("DROP TABLE findings")
    store.conn.execute("PRAGMA user_version = 2")
    store.close()
    store = _store(project)
    try:
        assert store.schema_version == SCHEMA_VERSION
        after = [(r.watch, r.finding.kind, r.finding.summary) for r in store.query_findings()]
        assert sorted(after) == sorted(before)
    finally:
        store.close()


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.scripts = 0
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "script":
            self.scripts += 1
        for k, v in attrs:
            if k in ("href", "src") and v:
                self.links.append(v)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _parse(path: Path) -> _Links:
    p = _Links()
    p.feed(path.read_text(encoding="utf-8"))
    return p


def test_site_is_static_linked_and_escaped(project: Project, site, tmp_path: Path) -> None:
    from watcher.sitegen import build_site

    _fill(project, site)
    # hostile text in a policy: markup and an escape sequence must come out as text
    site.set(
        "/b",
        small_policy_page(
            processor="SendGrid", extra="We use <b>Acme [/x] Ltd</b> \x1b[2J for &lt;script&gt;."
        ).replace("for 30 days", "for 7 years"),
    )
    project.run("check", "beta")
    store = _store(project)
    out = tmp_path / "site"
    try:
        result = build_site(store, [(w.name, w.url) for w in cfg.load(project.config).watches], out)
    finally:
        store.close()
    assert result.watches == 2 and result.changes >= 3
    pages = sorted(out.rglob("*.html"))
    assert out / "index.html" in pages and (out / "style.css").exists()
    for page in pages:
        parsed = _parse(page)
        assert parsed.scripts == 0
        for link in parsed.links:
            if link.startswith(("http://", "https://")):
                continue  # the watched page itself
            assert not link.startswith("/"), f"{page}: absolute link {link}"
            target = (page.parent / link).resolve()
            assert target.exists(), f"{page}: broken link {link}"
    index_text = " ".join(_parse(out / "index.html").text)
    assert "alpha" in index_text and "beta" in index_text
    beta = " ".join(_parse(out / "beta" / "index.html").text)
    assert "SendGrid" in beta
    change = out / "beta" / "change-1-2.html"
    text = " ".join(_parse(change).text)
    assert "SendGrid" in text and "Findings" in text
    raw = sorted(out.glob("beta/change-*.html"))[-1].read_text(encoding="utf-8")
    assert "<b>Acme" not in raw and "\x1b" not in raw
    feed = ET.parse(out / "feed.xml").getroot()
    assert feed.tag.endswith("feed")
    # a rerun refreshes the folder; a folder that is not ours is refused
    store = _store(project)
    try:
        build_site(store, [("alpha", site.url("/a"))], out)
        foreign = tmp_path / "foreign"
        foreign.mkdir()
        (foreign / "notes.txt").write_text("mine")
        from watcher.sitegen import SiteError

        with pytest.raises(SiteError, match="not empty"):
            build_site(store, [("alpha", site.url("/a"))], foreign)
        assert (foreign / "notes.txt").read_text() == "mine"
    finally:
        store.close()


@pytest.mark.skipif(
    not shutil.which("chromium-headless-shell") and not shutil.which("chromium"),
    reason="headless Chromium not installed (apt-get install chromium-headless-shell)",
)
def test_site_change_page_renders_in_chromium(project: Project, site, tmp_path: Path) -> None:
    from watcher.sitegen import build_site

    _fill(project, site)
    store = _store(project)
    out = tmp_path / "site"
    try:
        build_site(store, [(w.name, w.url) for w in cfg.load(project.config).watches], out)
    finally:
        store.close()
    browser = shutil.which("chromium-headless-shell") or shutil.which("chromium")
    shot = tmp_path / "change.png"
    subprocess.run(
        [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            f"--screenshot={shot}",
            "--window-size=1000,800",
            (out / "beta" / "change-1-2.html").as_uri(),
        ],
        capture_output=True,
        timeout=120,
        check=True,
    )
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 5000


def test_findings_command(project: Project, site) -> None:
    _fill(project, site)
    added = project.json("findings", "--kind", "party_added")
    assert {(r["watch"], r["new"]) for r in added} >= {("alpha", "Mailchimp"), ("beta", "SendGrid")}
    for r in added:
        assert r["kind"] == "party_added" and r["severity"] == "high"
        assert {"watch", "old_n", "new_n", "date", "recorded", "summary", "evidence"} <= set(r)
        assert r["new_n"] == r["old_n"] + 1 == 2
        assert r["evidence"]["new"]
    dates = [r["date"] for r in project.json("findings")]
    assert dates == sorted(dates, reverse=True)
    groups = project.json("findings", "--group-by", "kind")
    assert all(set(g) == {"key", "count"} for g in groups)
    assert {g["key"]: g["count"] for g in groups}["party_added"] == len(added)
    beta = project.json("findings", "--watch", "beta", "--severity", "medium")
    assert beta and all(r["watch"] == "beta" for r in beta)
    assert project.json("findings", "--since", "2999-01-01") == []
    assert (
        project.json("findings", "--since", "30d", "--limit", "1")[0] == project.json("findings")[0]
    )
    text = project.run("findings", "--kind", "party_added").stdout
    assert "Mailchimp" in text and "alpha" in text
    bad = project.run("findings", "--severity", "urgent", code=2)
    assert "--severity" in bad.output
    bad = project.run("findings", "--since", "last tuesday", code=2)
    assert "--since" in bad.output


def test_site_command(project: Project, site, tmp_path: Path) -> None:
    _fill(project, site)
    out = tmp_path / "public"
    result = project.json("site", str(out))
    assert result["watches"] == 2 and result["changes"] >= 3
    assert (out / "index.html").exists() and (out / "alpha" / "change-1-2.html").exists()
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "keep.txt").write_text("x")
    failed = project.run("site", str(tmp_path / "mine"), code=1)
    assert "not empty" in failed.output


def test_report_uses_the_findings_query(project: Project, site) -> None:
    """`watcher report --since` covers the changes `watcher findings --since` lists, and its
    digest opens with the overview (each watch's most severe finding)."""
    _fill(project, site)
    report = project.json("report", "--since", "7d")
    listed = {r["change"] for r in project.json("findings", "--since", "7d")}
    assert {c["id"] for c in report["changes"]} == listed and len(listed) == 3
    text = project.run("report", "--since", "7d").stdout
    assert "OVERVIEW" in text and text.index("OVERVIEW") < text.index("FINDINGS")
