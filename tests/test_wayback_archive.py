"""Backfill against listings shaped like the real Archive's (issue 14), through the CLI.

The stand-in (watcher/demo/wayback.py) serves what web.archive.org serves: CDX rows with
resume keys, revisits, Memento-Datetime / Link (original with `:80`) / X-Archive-Src
headers, archived redirects whose Location points into the archive, the "blocked site"
page. Each test plays one of the shapes that broke real backfills.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from tests.conftest import Project, policy_html
from tests.wayback_server import FakeWayback
from watcher.models import WaybackSettings
from watcher.wayback.cdx import CdxRow, parse_timestamp
from watcher.wayback.client import WaybackClient

SITE = "https://www.acme.test"
POLICY = f"{SITE}/privacy"
BODY = (
    "<h1>Privacy Policy</h1><p>Last updated: {date}</p>"
    "<h2>Processors</h2><p>We use {proc} to send e-mails and keep logs for {days} days.</p>"
    "<p>" + "We process personal data lawfully, fairly and transparently. " * 20 + "</p>"
)


def page(date: str, proc: str, days: int = 30) -> str:
    return policy_html(BODY.format(date=date, proc=proc, days=days))


@pytest.fixture
def wb() -> Iterator[FakeWayback]:
    with FakeWayback() as server:
        yield server


def configure(project: Project, wb: FakeWayback, url: str = POLICY) -> None:
    project.write_config(
        [{"name": "acme", "url": url}],
        extra=(
            f'[wayback]\nbase_url = "{wb.base}"\ncdx_rate = 500.0\nplayback_rate = 500.0\n'
            "timeout = 5\n"
        ),
    )


def dates(project: Project) -> list[str]:
    return [h["captured_at"] for h in project.json("history", "acme")]


# -- 1. a policy URL that redirects keeps its target's history ------------------------------


def _days(start: tuple[int, int], end: tuple[int, int], step: int) -> list[str]:
    """Timestamps every `step` days from (year, month) to (year, month), exclusive."""
    from datetime import UTC, datetime, timedelta

    at = datetime(start[0], start[1], 1, 6, tzinfo=UTC)
    stop = datetime(end[0], end[1], 1, tzinfo=UTC)
    out = []
    while at < stop:
        out.append(at.strftime("%Y%m%d%H%M%S"))
        at += timedelta(days=step)
    return out


def build_moving_policy(wb: FakeWayback) -> dict[str, str]:
    """/privacy served the policy, then redirected for five years (hundreds of captures
    with ONE digest: the same small "moved" body) to a target that changed twice."""
    wb.add(POLICY, "20150301120000", page("1 March 2015", "Mailchimp"))
    wb.add(POLICY, "20150901120000", page("1 March 2015", "Mailchimp"), revisit=True)
    moved = b"<html><body>Moved</body></html>"
    targets = [
        ((2016, 1), (2018, 1), "/privacy-policy"),
        ((2018, 1), (2019, 7), "/legal/privacy"),
        ((2019, 7), (2021, 1), "/en/privacy"),
    ]
    for start, end, path in targets:
        for stamp in _days(start, end, 4):
            wb.add(POLICY, stamp, moved, status=301, location=path)
    # the targets' own captures (a day or more after the redirect was seen)
    want = {
        "2016-01-03T10:00:00Z": (
            "/privacy-policy",
            "20160103100000",
            "3 January 2016",
            "Sendinblue",
        ),
        "2017-05-10T10:00:00Z": ("/privacy-policy", "20170510100000", "10 May 2017", "SendGrid"),
        "2018-01-04T10:00:00Z": ("/legal/privacy", "20180104100000", "4 January 2018", "Postmark"),
        "2019-02-01T10:00:00Z": ("/legal/privacy", "20190201100000", "1 February 2019", "Mailgun"),
        "2019-07-09T10:00:00Z": ("/en/privacy", "20190709100000", "9 July 2019", "Amazon SES"),
        "2020-06-01T10:00:00Z": ("/en/privacy", "20200601100000", "1 June 2020", "Brevo"),
    }
    for path, stamp, date, proc in want.values():
        wb.add(SITE + path, stamp, page(date, proc))
    # repeats of the same target bodies, and a capture of /privacy-policy from a time when
    # the policy pointed elsewhere: not the policy's history then
    wb.add(SITE + "/privacy-policy", "20160801100000", page("3 January 2016", "Sendinblue"))
    wb.add(SITE + "/legal/privacy", "20180901100000", page("4 January 2018", "Postmark"))
    wb.add(SITE + "/privacy-policy", "20190301100000", page("1 March 2019", "Unrelated Ltd"))
    return {"2015-03-01T12:00:00Z": "Mailchimp"} | {k: v[3] for k, v in want.items()}


def test_redirecting_policy_imports_every_distinct_target_version(
    project: Project, wb: FakeWayback
) -> None:
    expected = build_moving_policy(wb)
    configure(project, wb)
    s = project.json("backfill", "acme")
    assert s["errors"] == [] and s["completed"]
    assert s["captures"] > 450  # the long run of redirect captures was listed whole
    assert s["targets"] == [f"{SITE}/privacy-policy", f"{SITE}/legal/privacy", f"{SITE}/en/privacy"]
    assert s["imported"] == len(expected) == 7
    hist = project.json("history", "acme")
    assert [h["captured_at"] for h in hist] == sorted(expected)  # the targets' capture dates
    assert {h["source"] for h in hist} == {"wayback"}
    for h in hist:
        text = project.run("show", "acme", str(h["id"])).stdout
        assert expected[h["captured_at"]] in text
        assert "Unrelated Ltd" not in text
    # the run was probed by bisection, not played back capture by capture
    probes = [r for r in wb.of_kind("playback") if "/privacy" in r.path and r.status == 301]
    assert len(probes) < 40

    before = len(wb.requests)
    again = project.json("backfill", "acme")
    assert again["fetched"] == 0 and again["imported"] == 0 and again["errors"] == []
    assert [r for r in wb.requests[before:] if r.kind == "playback"] == []
    assert len(project.json("history", "acme")) == 7


def test_every_picks_one_capture_per_period_before_the_digest_dedupe(
    project: Project, wb: FakeWayback
) -> None:
    a, b = page("1 January 2015", "Mailchimp"), page("16 January 2015", "SendGrid")
    wb.add(POLICY, "20150101120000", a)
    wb.add(POLICY, "20150116120000", b)  # January's middle: chosen for January
    wb.add(POLICY, "20150215120000", a)  # February: the same body as 1 January
    configure(project, wb)
    s = project.json("backfill", "acme", "--every", "month")
    assert s["distinct"] == 2 and s["imported"] == 2
    # deduping first would have merged February into 1 January, then kept only January
    assert dates(project) == ["2015-01-16T12:00:00Z", "2015-02-15T12:00:00Z"]


def test_every_month_on_a_redirect_run_takes_the_target_capture_of_each_month(
    project: Project, wb: FakeWayback
) -> None:
    moved = b"<html><body>Moved</body></html>"
    for stamp in _days((2016, 1), (2016, 4), 3):
        wb.add(POLICY, stamp, moved, status=302, location="/privacy-policy")
    for month, proc in ((1, "Mailchimp"), (2, "Mailchimp"), (3, "SendGrid")):
        wb.add(SITE + "/privacy-policy", f"2016{month:02d}15120000", page(f"{month}/2016", proc))
    configure(project, wb)
    s = project.json("backfill", "acme", "--every", "month")
    assert s["errors"] == [] and s["imported"] == 3
    assert dates(project) == [
        "2016-01-15T12:00:00Z",
        "2016-02-15T12:00:00Z",
        "2016-03-15T12:00:00Z",
    ]


# -- 2. a `00` timestamp ----------------------------------------------------------------------


def test_a_00_timestamp_is_clamped_like_the_archive_does(project: Project, wb: FakeWayback) -> None:
    wb.add(POLICY, "20000012170449", page("January 2000", "Mailchimp"))  # a real 2000-era row
    wb.add(POLICY, "20010100000000", page("January 2001", "SendGrid"))
    configure(project, wb)
    s = project.json("backfill", "acme")
    assert s["errors"] == [] and s["imported"] == 2
    assert dates(project) == ["2000-01-12T17:04:49Z", "2001-01-01T00:00:00Z"]
    again = project.json("backfill", "acme")  # every rerun used to crash on the same row
    assert again["errors"] == [] and again["fetched"] == 0
    assert parse_timestamp("20000231000000").day == 29  # no 31 February either


# -- 3. an archived 429 is content, not a rate limit ------------------------------------------


def test_an_archived_429_reached_from_a_revisit_row_is_skipped_not_a_stop(
    project: Project, wb: FakeWayback
) -> None:
    too_many = b"<html><body><h1>429 Too Many Requests</h1></body></html>"
    wb.add(POLICY, "20141201120000", too_many, status=429)  # outside --since: unlisted
    wb.add(POLICY, "20150301120000", too_many, revisit=True)  # -> played back as 429
    wb.add(POLICY, "20150601120000", page("1 June 2015", "Mailchimp"))
    configure(project, wb)
    s = project.json("backfill", "acme", "--since", "2015")
    assert s["errors"] == [] and s["completed"] and s["imported"] == 1
    played = [r.status for r in wb.of_kind("playback")]
    assert played.count(429) == 1
    again = project.json("backfill", "acme", "--since", "2015")
    assert again["completed"] and again["fetched"] == 0
    assert [r.status for r in wb.of_kind("playback")] == played  # nothing requested again


def test_a_live_429_still_stops_with_progress_kept(project: Project, wb: FakeWayback) -> None:
    wb.add(POLICY, "20150301120000", page("1 March 2015", "Mailchimp"))
    wb.add(POLICY, "20160301120000", page("1 March 2016", "SendGrid"))
    configure(project, wb)
    wb.fail("playback", 429, times=1)  # no Memento-Datetime: the Archive limiting us
    s = project.json("backfill", "acme", code=1)
    assert not s["completed"] and "rate limited" in s["errors"][0]


# -- 4. one (timestamp, URL) with two digests -------------------------------------------------


def test_one_timestamp_with_two_digests_is_requested_once(
    project: Project, wb: FakeWayback
) -> None:
    wb.add(POLICY, "20150301120000", page("1 March 2015", "Mailchimp"))
    wb.add(POLICY, "20150301120000", page("1 March 2015", "Mailchimp", days=31))
    wb.add(POLICY, "20150601120000", page("1 June 2015", "SendGrid"))
    configure(project, wb)
    s = project.json("backfill", "acme")
    assert s["errors"] == [] and s["imported"] == 2 and s["distinct"] == 3
    paths = [r.path for r in wb.of_kind("playback")]
    assert len(paths) == len(set(paths)) == 2
    again = project.json("backfill", "acme")
    assert again["fetched"] == 0 and len(wb.of_kind("playback")) == 2


# -- minor ------------------------------------------------------------------------------------


def test_the_blocked_site_page_is_reported_as_blocked(project: Project, wb: FakeWayback) -> None:
    wb.add(POLICY, "20150301120000", page("1 March 2015", "Mailchimp"))
    wb.block("acme.test", page_status=200)  # the CDX says 403, playback a 200 page
    configure(project, wb)
    s = project.json("backfill", "acme", code=1)
    assert "Blocked Site Error" in s["errors"][0]
    with WaybackClient(WaybackSettings(base_url=wb.base, cdx_rate=0, playback_rate=0)) as c:
        row = CdxRow("20150301120000", POLICY, "text/html", "200", "D", "1")
        with pytest.raises(Exception, match="Blocked Site Error"):
            c.fetch(row)


def test_default_port_from_the_link_header_is_dropped(wb: FakeWayback) -> None:
    url = "http://acme.test/privacy"
    wb.add(url, "20150301120000", page("1 March 2015", "Mailchimp"))
    with WaybackClient(WaybackSettings(base_url=wb.base, cdx_rate=0, playback_rate=0)) as c:
        (row,) = c.list_captures(url)
        capture = c.fetch(row)
    link = requests.get(wb.raw_url("20150301120000", url), timeout=5).headers["Link"]
    assert "<http://acme.test:80/privacy>" in link  # as the real Archive writes it
    assert capture is not None and capture.url == url


def test_skipped_playbacks_reuse_one_connection(wb: FakeWayback) -> None:
    for day in range(1, 6):
        wb.add(POLICY, f"201503{day:02d}120000", f"gone {day}".encode(), status=404)
    rows = [
        CdxRow(f"201503{day:02d}120000", POLICY, "text/html", "200", f"D{day}", "1")
        for day in range(1, 6)
    ]
    with WaybackClient(WaybackSettings(base_url=wb.base, cdx_rate=0, playback_rate=0)) as c:
        assert [c.fetch(r) for r in rows] == [None] * 5
        assert all("captured HTTP 404" in s.reason for s in c.skipped)
    ports = {r.client_port for r in wb.of_kind("playback")}
    assert len(ports) == 1


def test_one_capture_is_one_capture_in_the_cli(project: Project, wb: FakeWayback) -> None:
    wb.add(POLICY, "20150301120000", page("1 March 2015", "Mailchimp"))
    configure(project, wb)
    out = project.run("backfill", "acme").stdout
    assert "1 capture," in out and "1 captures" not in out


# -- issue 10: one backfill_since check ----------------------------------------------------------


def test_config_and_cli_reject_the_same_dates_with_the_same_cause(
    project: Project, wb: FakeWayback
) -> None:
    project.write_config(
        [{"name": "acme", "url": POLICY, "backfill_since": "2015-13"}],
        extra=f'[wayback]\nbase_url = "{wb.base}"\n',
    )
    bad_config = " ".join(project.run("backfill", "acme", code=2).output.split())
    assert "backfill_since" in bad_config and "month 13 is not between 01 and 12" in bad_config
    configure(project, wb)
    bad_flag = project.run("backfill", "acme", "--since", "2015-13", code=None)
    assert bad_flag.exit_code != 0
    assert "month 13 is not between 01 and 12" in " ".join(bad_flag.output.split())
    assert wb.requests == []


def test_interleaved_http_captures_that_redirect_to_https_cost_two_probes(
    project: Project, wb: FakeWayback
) -> None:
    http_url = POLICY.replace("https://", "http://")
    for month in range(1, 13):
        wb.add(POLICY, f"2015{month:02d}10120000", page(f"{month}/2015", "Mailchimp"))
        wb.add(http_url, f"2015{month:02d}20120000", b"moved", status=301, location=POLICY)
    configure(project, wb)
    s = project.json("backfill", "acme")
    assert s["errors"] == [] and s["imported"] == 12 and s["targets"] == []
    probes = [r for r in wb.of_kind("playback") if "id_/http://" in r.path]
    assert len(probes) == 2  # the first and the last of the http run (both go to https)
