"""Backfill from a stand-in Wayback Machine, end to end through the CLI."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.conftest import Project, policy_html
from tests.wayback_server import FakeWayback
from watcher.demo.site import LocalSite

URL = "https://www.example-policy.test/privacy"
BASE = (
    "<h1>Privacy Policy</h1><p>Last updated: {date}</p>"
    "<h2>Processors</h2><p>We use {proc} to send e-mails.</p>"
    "<p>" + "We process personal data lawfully, fairly and transparently. " * 20 + "</p>"
)
V1 = policy_html(BASE.format(date="1 March 2015", proc="Mailchimp"))
V2 = policy_html(BASE.format(date="25 May 2018", proc="Mailchimp"), nav="Home | Blog")
V2_NAV = policy_html(BASE.format(date="25 May 2018", proc="Mailchimp"), nav="Home | Careers")
V3 = policy_html(BASE.format(date="2 February 2021", proc="SendGrid"))


@pytest.fixture
def wayback() -> Iterator[FakeWayback]:
    with FakeWayback() as wb:
        # ~10 captures, 3 distinct policy texts (plus a markup-only variant and a 404)
        wb.add(URL, "20150301120000", V1)
        wb.add(URL, "20150401120000", V1, revisit=True)
        wb.add(URL, "20160101120000", V1, repeat=2)
        wb.add(URL, "20180601120000", V2)
        wb.add(URL, "20180701120000", V2, revisit=True)
        wb.add(URL, "20190101120000", V2_NAV)
        wb.add(URL, "20190601120000", "<h1>Not Found</h1>", status=404)
        wb.add(URL, "20210301120000", V3)
        wb.add(URL, "20210401120000", V3, revisit=True)
        wb.add(URL, "20220101120000", V3, repeat=3)
        yield wb


def configure(project: Project, wb: FakeWayback) -> None:
    project.write_config(
        [{"name": "ex", "url": URL, "backfill_since": "2015"}],
        extra=f'[wayback]\nbase_url = "{wb.base}"\ncdx_rate = 50.0\nplayback_rate = 50.0\n',
    )


def test_backfill_three_versions_then_nothing(project: Project, wayback: FakeWayback) -> None:
    configure(project, wayback)
    s = project.json("backfill", "ex")
    assert s["name"] == "ex" and s["errors"] == []
    assert s["imported"] == 3 and s["distinct"] >= 4
    hist = project.json("history", "ex")
    assert [h["captured_at"] for h in hist] == [
        "2015-03-01T12:00:00Z",
        "2018-06-01T12:00:00Z",
        "2021-03-01T12:00:00Z",
    ]
    assert {h["source"] for h in hist} == {"wayback"}
    assert "SendGrid" in hist[2]["summary"]
    d = project.json("diff", "ex", str(hist[0]["id"]), str(hist[2]["id"]))
    assert any(f["kind"] == "date_changed" and f["new"] == "2021-02-02" for f in d["findings"])
    # every playback used raw id_ mode with our User-Agent, each digest fetched once
    plays = wayback.of_kind("playback")
    assert plays and all("id_/" in r.path for r in plays)
    assert all(r.headers.get("User-Agent", "").startswith("policy-watcher/") for r in plays)
    assert len({r.path for r in plays}) == len(plays)

    before = len(wayback.requests)
    again = project.json("backfill", "ex")
    assert again["imported"] == 0 and again["fetched"] == 0
    assert len(wayback.of_kind("playback")) == len(plays)  # nothing fetched again
    assert len(wayback.requests) - before == 1  # one CDX listing only
    assert len(project.json("history", "ex")) == 3


def test_429_stops_at_once_and_resume_completes(project: Project, wayback: FakeWayback) -> None:
    configure(project, wayback)
    wayback.fail("playback", 429, times=1, headers={"Retry-After": "120"})
    r = project.run("backfill", "ex", "--json", code=1)
    assert "try again in" in r.stdout and "progress kept" in r.stdout
    n = len(wayback.requests)
    assert wayback.requests[-1].status == 429  # nothing sent after the 429
    s = project.json("backfill", "ex")
    assert s["imported"] == 3 and len(wayback.requests) > n
    assert len(project.json("history", "ex")) == 3


def test_backfill_interleaves_with_live_versions(project: Project, wayback: FakeWayback) -> None:
    with LocalSite() as site:
        site.set("/privacy", V3)
        live_url = site.url("/privacy")
        wayback.add(live_url, "20170101120000", V1)
        project.write_config(
            [{"name": "ex", "url": live_url}],
            extra=f'[wayback]\nbase_url = "{wayback.base}"\ncdx_rate = 50.0\n'
            "playback_rate = 50.0\n",
        )
        assert project.json("check")[0]["status"] == "new"
        s = project.json("backfill", "ex", "--since", "2016")
        assert s["imported"] == 1
        hist = project.json("history", "ex")
        assert [h["source"] for h in hist] == ["wayback", "live"]
        assert hist[1]["summary"]  # the change wayback -> live was computed
        assert project.json("check")[0]["status"] == "unchanged"


def test_blocked_and_never_archived_are_clear(project: Project, wayback: FakeWayback) -> None:
    project.write_config(
        [
            {"name": "blocked", "url": "https://blocked.test/p"},
            {"name": "never", "url": "https://never.test/p"},
        ],
        extra=f'[wayback]\nbase_url = "{wayback.base}"\ncdx_rate = 50.0\n',
    )
    wayback.block("blocked.test")
    b = project.json("backfill", "blocked", code=1)
    assert "excluded" in " ".join(b["errors"]).lower() or "blocked" in " ".join(b["errors"]).lower()
    n = project.json("backfill", "never", code=1)
    assert "no captures" in " ".join(n["errors"])


def test_thinning_and_usage_errors(project: Project, wayback: FakeWayback) -> None:
    configure(project, wayback)
    project.run("backfill", "ex", "--every", "fortnight", code=2)
    project.run("backfill", "ex", "--since", "2015-13", code=2)
    project.run("backfill", code=2)
    s = project.json("backfill", "ex", "--every", "year")
    assert s["distinct"] <= 6 and s["imported"] >= 2
    assert project.json("backfill", "--all")[0]["name"] == "ex"


def test_return_to_an_earlier_text_is_recorded_without_refetching(project: Project) -> None:
    with FakeWayback() as wb:
        wb.add(URL, "20150301120000", V1)
        wb.add(URL, "20180601120000", V2)
        wb.add(URL, "20190601120000", V1)  # rolled back: same body as 2015
        configure(project, wb)
        s = project.json("backfill", "ex")
        assert s["imported"] == 3
        hist = project.json("history", "ex")
        assert [h["captured_at"][:4] for h in hist] == ["2015", "2018", "2019"]
        assert hist[0]["sha256"] == hist[2]["sha256"]
        assert len(wb.of_kind("playback")) == 2  # the 2019 body was not fetched again
        assert project.json("backfill", "ex")["imported"] == 0
        assert len(project.json("history", "ex")) == 3
