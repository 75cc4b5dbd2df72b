"""The CLI driven end to end in a temp dir, against pages served on loopback."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import SEEDS, Project, policy_html
from watcher.demo.site import LocalSite

POLICY_V1 = (
    """
<h1>Privacy Policy</h1>
<p>Policy last reviewed: 10th August 2021</p>
<h2>Who we share data with</h2>
<p>We use Mailchimp to send our newsletter. Our website is hosted by Amazon Web Services in Ireland.</p>
<table><tr><th>Processor</th><th>Purpose</th><th>Location</th></tr>
<tr><td>Mailchimp</td><td>Newsletter</td><td>USA</td></tr></table>
<h2>How long we keep data</h2>
<p>We keep support tickets for 12 months, after which they are deleted.</p>
<h2>Your rights</h2>
<p>You have the right to access, rectify and erase your personal data, and to complain to the
Information Commissioner's Office. Contact privacy@example.com.</p>
"""
    + "<p>"
    + ("We process personal data lawfully and fairly. " * 30)
    + "</p>"
)

POLICY_V2 = POLICY_V1.replace("10th August 2021", "3rd March 2023").replace(
    "<tr><td>Mailchimp</td><td>Newsletter</td><td>USA</td></tr>",
    "<tr><td>Mailchimp</td><td>Newsletter</td><td>USA</td></tr>"
    "<tr><td>SendGrid</td><td>Email delivery</td><td>USA</td></tr>",
)


def setup(project: Project, site: LocalSite, html: str, **watch: object) -> None:
    site.set("/privacy", policy_html(html))
    project.write_config([{"name": "acme", "url": site.url("/privacy"), **watch}])


def test_check_history_show_diff_search(project: Project, site: LocalSite) -> None:
    setup(project, site, POLICY_V1)
    first = project.json("check")
    assert first[0]["status"] == "new" and first[0]["error"] is None
    assert isinstance(first[0]["version"], int)
    again = project.json("check")
    assert again[0]["status"] == "unchanged" and again[0]["version"] == first[0]["version"]

    # a navigation-only change is not a change
    site.set("/privacy", policy_html(POLICY_V1, nav="Home | Blog | Careers"))
    assert project.json("check")[0]["status"] == "unchanged"

    site.set("/privacy", policy_html(POLICY_V2))
    changed = project.json("check")[0]
    assert changed["status"] == "changed"
    kinds = {f["kind"] for f in changed["findings"]}
    assert "date_changed" in kinds
    date = next(f for f in changed["findings"] if f["kind"] == "date_changed")
    assert (date["old"], date["new"]) == ("2021-08-10", "2023-03-03")
    assert any(f["kind"] == "party_added" and f["new"] == "SendGrid" for f in changed["findings"])

    hist = project.json("history", "acme")
    assert [h["source"] for h in hist] == ["live", "live"]
    assert set(hist[0]) >= {"id", "captured_at", "source", "sha256", "words", "summary"}
    assert [h["language"] for h in hist] == ["en", "en"]
    assert hist[0]["captured_at"].endswith("Z") and hist[1]["summary"]

    text = project.run("show", "acme").stdout
    assert "SendGrid" in text and "<td>" not in text and "| SendGrid |" in text
    old_text = project.run("show", "acme", str(hist[0]["n"])).stdout
    assert "SendGrid" not in old_text
    raw = project.run("show", "acme", "--raw").stdout
    assert "<html" in raw

    d = project.json("diff", "acme")
    assert any(f["kind"] == "party_added" for f in d["findings"]) and d["hunks"]
    human = project.run("diff", "acme").stdout
    assert "SendGrid" in human

    hits = project.json("search", "sendgrid")
    assert [h["version"] for h in hits] == [hist[1]["id"]]
    listing = project.json("list")
    assert listing[0]["versions"] == 2 and listing[0]["status"] == "changed"


def test_check_error_exit_1_and_recorded(project: Project, site: LocalSite) -> None:
    site.set("/gone", "<h1>Gone</h1>", status=404)
    project.write_config([{"name": "gone", "url": site.url("/gone")}])
    out = project.json("check", code=1)
    assert out[0]["status"] == "error" and "404" in out[0]["error"]
    assert project.json("list")[0]["status"] == "error"


def test_bot_challenge_is_suspicious_never_a_version(project: Project, site: LocalSite) -> None:
    setup(project, site, POLICY_V1)
    project.json("check")
    site.set(
        "/privacy",
        "<html><head><title>Just a moment...</title></head><body>"
        "<p>Checking your browser before accessing example.com.</p></body></html>",
        status=200,
    )
    out = project.json("check")[0]
    assert out["status"] == "suspicious" and out["error"]
    assert len(project.json("history", "acme")) == 1


def test_big_shrink_is_held_for_three_checks(project: Project, site: LocalSite) -> None:
    setup(project, site, POLICY_V1)
    project.json("check")
    short = "<h1>Privacy Policy</h1><p>" + "We respect your privacy and protect data. " * 8 + "</p>"
    site.set("/privacy", policy_html(short))
    statuses = [project.json("check")[0]["status"] for _ in range(3)]
    assert statuses == ["suspicious", "suspicious", "changed"]
    assert len(project.json("history", "acme")) == 2


def test_unknown_watch_and_bad_config_exit_2(project: Project, site: LocalSite) -> None:
    setup(project, site, POLICY_V1)
    r = project.run("check", "nope", code=2)
    assert "no watch named 'nope'" in r.output
    project.config.write_text("[fetch]\ntimeout = 'x'\n")
    r = project.run("list", code=2)
    assert "fetch.timeout" in r.output


def test_init_and_add(project: Project) -> None:
    r = project.run("init", str(project.config))
    assert project.config.exists(), r.output
    project.run(
        "add", "https://example.com/privacy", "--name", "ex", "--select", "main", "--every", "1d"
    )
    text = project.config.read_text()
    assert "# policy-watcher configuration" in text and 'name = "ex"' in text
    assert project.json("list")[0]["name"] == "ex"
    project.run("add", "https://example.com/p2", "--name", "ex", code=2)
    project.run("add", "https://example.com/p2", "--name", "ok", "--select", "main >", code=2)


def test_compare_and_extract_need_no_config(tmp_path: Path) -> None:
    seed = (SEEDS / "000_0baedbfc42fb4944.txt").read_text()
    old = tmp_path / "old.md"
    new = tmp_path / "new.md"
    old.write_text(seed)
    new.write_text(seed.replace("a few hours maximum", "30 days maximum"))
    env_cwd = tmp_path  # no config.toml here
    run = [sys.executable, "-m", "watcher"]
    p = subprocess.run(
        [*run, "compare", str(old), str(new), "--json"],
        cwd=env_cwd,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert p.returncode == 0, p.stderr
    data = json.loads(p.stdout)
    assert data["changed"] is True and data["findings"]
    same = subprocess.run(
        [*run, "compare", str(old), str(old), "--json"],
        cwd=env_cwd,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert json.loads(same.stdout)["changed"] is False
    assert json.loads(same.stdout)["findings"] == []
    html = tmp_path / "p.html"
    html.write_text(policy_html("<h2>Cookies</h2><p>We use cookies.</p>"))
    ex = subprocess.run(
        [*run, "extract", str(html), "--select", "main"],
        cwd=env_cwd,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert ex.returncode == 0 and "## Cookies" in ex.stdout and "Home" not in ex.stdout


def test_reextract_marks_technical(project: Project, site: LocalSite) -> None:
    site.set(
        "/privacy", policy_html(POLICY_V1 + "<div class='promo'>Subscribe to our offers now!</div>")
    )
    project.write_config([{"name": "acme", "url": site.url("/privacy")}])
    project.json("check")
    project.write_config([{"name": "acme", "url": site.url("/privacy"), "remove": [".promo"]}])
    out = project.json("reextract")
    assert out[0]["outcome"] == "technical"
    hist = project.json("history", "acme")
    assert len(hist) == 2 and hist[1]["technical"] is True
    assert "Subscribe" not in project.run("show", "acme").stdout
    assert project.json("check")[0]["status"] == "unchanged"


def test_ab_flipping_page_reports_once_then_holds(project: Project, site: LocalSite) -> None:
    a = policy_html(POLICY_V1)
    b = policy_html(POLICY_V2)
    site.set("/privacy", a)
    project.write_config([{"name": "acme", "url": site.url("/privacy")}])
    statuses = []
    for i in range(8):
        site.set("/privacy", a if i % 2 == 0 else b)
        statuses.append(project.json("check")[0]["status"])
    # the first flip cannot be told from a real change; after that it is held, never reported
    assert statuses[:2] == ["new", "changed"]
    assert statuses.count("changed") == 1
    assert set(statuses[2:]) <= {"suspicious", "unchanged"}
    assert len(project.json("history", "acme")) == 2


def test_rollback_that_persists_is_reported(project: Project, site: LocalSite) -> None:
    site.set("/privacy", policy_html(POLICY_V1))
    project.write_config([{"name": "acme", "url": site.url("/privacy")}])
    project.json("check")
    site.set("/privacy", policy_html(POLICY_V2))
    assert project.json("check")[0]["status"] == "changed"
    site.set("/privacy", policy_html(POLICY_V1))
    assert [project.json("check")[0]["status"] for _ in range(3)] == [
        "suspicious",
        "suspicious",
        "changed",
    ]


def test_first_version_facts_are_derived_on_first_use(project: Project, site: LocalSite) -> None:
    import sqlite3

    setup(project, site, POLICY_V1)
    project.json("check")
    db = project.root / "watcher.db"
    assert sqlite3.connect(db).execute("SELECT facts FROM versions").fetchone()[0] == "null"
    shown = project.json("show", "acme", "--facts")
    assert any(f["kind"] == "party" and f["value"] == "Mailchimp" for f in shown["facts"])
    stored = sqlite3.connect(db).execute("SELECT facts FROM versions").fetchone()[0]
    assert "Mailchimp" in stored  # saved, not recomputed next time


def test_large_run_uses_processes_per_host_and_keeps_order(project: Project) -> None:
    from watcher.runner import PROCESS_THRESHOLD

    sites = [LocalSite(host=f"127.0.0.{i}").start() for i in (1, 2, 3)]
    try:
        watches = []
        for n in range(PROCESS_THRESHOLD + 5):
            s = sites[n % 3]
            s.set(f"/p{n}", policy_html(POLICY_V1.replace("Mailchimp", f"Vendor{n} Ltd")))
            watches.append({"name": f"w{n:02d}", "url": s.url(f"/p{n}")})
        project.write_config(watches)
        out = project.json("check")
        assert [r["name"] for r in out] == [w["name"] for w in watches]
        assert {r["status"] for r in out} == {"new"}
        again = project.json("check")
        assert {r["status"] for r in again} == {"unchanged"}
        assert len({r["version"] for r in out}) == len(watches)
    finally:
        for s in sites:
            s.stop()


def test_url_serving_another_page_is_held_not_reported(project: Project, site: LocalSite) -> None:
    setup(project, site, POLICY_V1)
    project.json("check")
    home = (
        "<h1>Welcome to Acme</h1><p>"
        + ("Discover our award winning widgets, gadgets and gizmos for every season. " * 12)
        + "</p>"
    )
    site.set("/privacy", policy_html(home))
    first = project.json("check")[0]
    assert first["status"] == "suspicious" and "different page" in first["error"]
    site.set("/privacy", policy_html(POLICY_V1))  # back to normal: nothing was reported
    assert project.json("check")[0]["status"] == "unchanged"
    assert len(project.json("history", "acme")) == 1
