"""watcher.wayback.client against the stand-in Wayback Machine (tests/wayback_server.py)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import requests

from watcher import DEFAULT_USER_AGENT
from watcher.models import WatcherError
from watcher.wayback.client import (
    CDX_FIELDS,
    CdxRow,
    WaybackClient,
    WaybackError,
    WaybackSettings,
    backfill_slot,
    distinct,
    parse_since,
    thin,
)

try:  # tests/ is on sys.path under pytest (rootdir conftest, no package)
    from wayback_server import TOOLBAR_BEGIN, TOOLBAR_END, FakeWayback, cdx_digest
except ImportError:  # pragma: no cover - imported as a package
    from tests.wayback_server import TOOLBAR_BEGIN, TOOLBAR_END, FakeWayback, cdx_digest

POLICY = "https://example.com/privacy"


@pytest.fixture
def wb() -> Iterator[FakeWayback]:
    with FakeWayback() as server:
        yield server


def make_client(wb: FakeWayback, **kw: object) -> WaybackClient:
    opts: dict[str, object] = {
        "base_url": wb.base,
        "cdx_rate": 50.0,
        "playback_rate": 500.0,
        "timeout": 5.0,
        "backoff_base": 0.01,
    }
    opts.update(kw)
    return WaybackClient(WaybackSettings(**opts))  # type: ignore[arg-type]


def html(text: str) -> bytes:
    return f"<html><head><title>Privacy</title></head><body><p>{text}</p></body></html>".encode()


def ts(month: int, day: int = 1, year: int = 2015, hms: str = "120000") -> str:
    return f"{year}{month:02d}{day:02d}{hms}"


# -- CDX: format, paging, filtering ---------------------------------------------------------


def test_cdx_query_uses_the_documented_parameters_and_user_agent(wb: FakeWayback) -> None:
    wb.add(POLICY, ts(1), html("v1"))
    with make_client(wb) as client:
        client.list_captures(POLICY, since="2014", until="201612")
    (req,) = wb.of_kind("cdx")
    assert req.path == "/cdx/search/cdx"
    assert req.param("url") == POLICY
    assert req.param("output") == "json"
    assert req.param("fl") == "timestamp,original,mimetype,statuscode,digest,length"
    assert req.param("collapse") is None  # a run of redirects shares one digest (issue 14)
    assert req.param("showResumeKey") == "true"
    assert req.param("limit") == str(WaybackSettings().page_limit)
    assert req.param("from") == "2014" and req.param("to") == "201612"
    assert req.headers["User-Agent"] == DEFAULT_USER_AGENT


def test_stand_in_cdx_speaks_the_real_json_shape(wb: FakeWayback) -> None:
    for m in range(1, 6):
        wb.add(POLICY, ts(m), html(f"v{m}"))
    url = f"{wb.base}/cdx/search/cdx"
    q = {"url": POLICY, "output": "json", "fl": ",".join(CDX_FIELDS), "showResumeKey": "true"}
    page = requests.get(url, params={**q, "limit": "2"}, timeout=5).json()
    assert page[0] == list(CDX_FIELDS)
    assert page[1][0] == ts(1) and page[1][3] == "200" and page[1][4] == cdx_digest(html("v1"))
    assert page[-2] == [] and len(page[-1]) == 1 and isinstance(page[-1][0], str)
    nothing = requests.get(url, params={**q, "url": "https://nowhere.example/"}, timeout=5)
    assert nothing.json() == []


def test_paging_follows_the_resume_key_to_the_end(wb: FakeWayback) -> None:
    for m in range(1, 8):
        wb.add(POLICY, ts(m), html(f"v{m}"))
    with make_client(wb, page_limit=3) as client:
        rows = client.list_captures(POLICY)
    assert [r.timestamp for r in rows] == [ts(m) for m in range(1, 8)]
    reqs = wb.of_kind("cdx")
    assert len(reqs) == 3
    assert reqs[0].param("resumeKey") is None
    assert reqs[1].param("resumeKey") and reqs[2].param("resumeKey")
    assert reqs[1].param("resumeKey") != reqs[2].param("resumeKey")
    assert all(r.param("limit") == "3" for r in reqs)


def test_paging_copes_with_an_empty_last_page(wb: FakeWayback) -> None:
    for m in range(1, 5):
        wb.add(POLICY, ts(m), html(f"v{m}"))
    with make_client(wb, page_limit=2) as client:
        rows = client.list_captures(POLICY)
    assert len(rows) == 4
    assert len(wb.of_kind("cdx")) == 3  # the third page is `[]`


def test_only_200_and_redirect_captures_are_kept_sorted(wb: FakeWayback) -> None:
    wb.add(POLICY, ts(3), html("v1"))
    wb.add(POLICY, ts(1), b"gone", status=404)
    wb.add(POLICY, ts(2), b"oops", status=500)
    wb.add(POLICY, ts(4), b"moved", status=301, location="/privacy-policy")
    wb.add(POLICY, ts(5), b"found", status=302, location="/privacy-policy")
    with make_client(wb) as client:
        rows = client.list_captures(POLICY)
    assert [(r.timestamp, r.statuscode) for r in rows] == [
        (ts(3), "200"),
        (ts(4), "301"),
        (ts(5), "302"),
    ]
    assert rows[0].captured_at == datetime(2015, 3, 1, 12, tzinfo=UTC)


def test_repeated_lines_and_non_adjacent_duplicates_are_deduped_by_digest(
    wb: FakeWayback,
) -> None:
    wb.repeat_across_pages = True
    wb.add(POLICY, ts(1), html("A"), repeat=3)  # the live index repeats identical lines
    wb.add(POLICY, ts(2), html("B"))
    wb.add(POLICY, ts(3), html("A"))  # same body again, not adjacent: collapse keeps it
    wb.add(POLICY, ts(4), html("C"), repeat=2)
    wb.add(POLICY, ts(5), html("B"))
    with make_client(wb, page_limit=2) as client:
        rows = client.list_captures(POLICY)
        # repeated lines (also across pages) are listed once, non-adjacent repeats kept
        assert [r.timestamp for r in rows] == [ts(1), ts(2), ts(3), ts(4), ts(5)]
        unique = distinct(rows)
        assert [r.timestamp for r in unique] == [ts(1), ts(2), ts(4)]
        captures = [client.fetch(r) for r in unique]
    assert [c.body for c in captures if c] == [html("A"), html("B"), html("C")]
    fetched = [r.path for r in wb.of_kind("playback")]
    assert len(fetched) == len(set(fetched)) == 3


def test_scenario_ten_captures_three_bodies(wb: FakeWayback) -> None:
    bodies = [html("first"), html("second"), html("third")]
    plan = [0, 0, 0, 1, 1, 0, 1, 2, 2, 2]
    for i, b in enumerate(plan):
        revisit = i > 0 and plan[i - 1] == b and i % 2 == 0  # some repeats indexed as revisits
        wb.add(POLICY, ts(i + 1), bodies[b], revisit=revisit)
    with make_client(wb) as client:
        rows = client.list_captures(POLICY)
        unique = distinct(rows)
        assert len(unique) == 3
        assert {r.digest for r in unique} == {cdx_digest(b) for b in bodies}
        got = [client.fetch(r) for r in unique]
    assert [c.body for c in got if c] == bodies
    assert len(wb.of_kind("playback")) == 3


# -- revisits -------------------------------------------------------------------------------


def test_revisits_resolve_to_the_capture_they_repeat(wb: FakeWayback) -> None:
    wb.add(POLICY, ts(1), html("v1"))
    wb.add(POLICY, ts(1, day=9), html("v1"), revisit=True)  # same month, same body: folded
    wb.add(POLICY, ts(2), html("v1"), revisit=True)  # another month: kept for --every
    wb.add(POLICY, ts(3), html("v2"))
    wb.add(POLICY, ts(4), html("v1"), revisit=True)  # reverted: revisit of a non-adjacent one
    wb.add(POLICY, ts(5), html("v2"), revisit=True)
    with make_client(wb) as client:
        rows = client.list_captures(POLICY)
        assert client.last_listed == 6
    assert [r.timestamp for r in rows] == [ts(1), ts(2), ts(3), ts(4), ts(5)]
    revisits = [r for r in rows if r.revisit]
    assert [r.timestamp for r in revisits] == [ts(2), ts(4), ts(5)]
    assert all(r.statuscode == "200" and r.mimetype == "text/html" for r in revisits)
    assert [r.timestamp for r in distinct(rows)] == [ts(1), ts(3)]


def test_a_revisit_of_an_error_capture_is_dropped(wb: FakeWayback) -> None:
    wb.add(POLICY, ts(1), b"not found", status=404)
    wb.add(POLICY, ts(2), b"not found", revisit=True)
    wb.add(POLICY, ts(3), html("v1"))
    with make_client(wb) as client:
        rows = client.list_captures(POLICY)
    assert [r.timestamp for r in rows] == [ts(3)]


def test_a_revisit_whose_original_is_outside_the_window_is_played_back(wb: FakeWayback) -> None:
    wb.add(POLICY, ts(6, year=2014), html("old text"))
    wb.add(POLICY, ts(2), html("old text"), revisit=True)
    with make_client(wb) as client:
        rows = client.list_captures(POLICY, since="2015")
        assert [(r.statuscode, r.mimetype, r.revisit) for r in rows] == [
            ("-", "warc/revisit", True)
        ]
        cap = client.fetch(rows[0])
    assert cap is not None and cap.body == html("old text")
    assert cap.fetched_at == datetime(2015, 2, 1, 12, tzinfo=UTC)  # the revisit's own time
    assert cap.content_type == "text/html"


# -- playback -------------------------------------------------------------------------------


def test_fetch_uses_raw_mode_and_stamps_the_memento_datetime(wb: FakeWayback) -> None:
    wb.add(POLICY, "20150301123456", html("v1"), headers={"Last-Modified": "Mon, 02 Feb 2015"})
    with make_client(wb, user_agent="policy-watcher-test/1") as client:
        (row,) = client.list_captures(POLICY)
        cap = client.fetch(row)
    assert cap is not None
    assert cap.source == "wayback"
    assert cap.status == 200
    assert cap.fetched_at == datetime(2015, 3, 1, 12, 34, 56, tzinfo=UTC)
    assert cap.fetched_at.tzinfo is not None
    assert cap.url == POLICY and cap.requested_url == POLICY
    assert cap.body == html("v1")  # no banner, no rewriting
    assert cap.content_type == "text/html" and cap.charset == "utf-8"
    assert cap.last_modified == "Mon, 02 Feb 2015"
    (req,) = wb.of_kind("playback")
    assert req.path == f"/web/20150301123456id_/{POLICY}"
    assert all(r.headers["User-Agent"] == "policy-watcher-test/1" for r in wb.requests)


def test_legacy_encoded_bytes_are_returned_untouched(wb: FakeWayback) -> None:
    body = "<html><body><p>Données personnelles – société</p></body></html>".encode("cp1252")
    wb.add(POLICY, ts(1), body, content_type="text/html; charset=windows-1252")
    with make_client(wb) as client:
        (row,) = client.list_captures(POLICY)
        cap = client.fetch(row)
    assert cap is not None and cap.body == body and cap.charset == "windows-1252"


def test_stand_in_view_mode_wraps_the_page_in_the_banner(wb: FakeWayback) -> None:
    wb.add(POLICY, ts(1), html("v1"))
    view = requests.get(f"{wb.base}/web/{ts(1)}/{POLICY}", timeout=5)
    assert TOOLBAR_BEGIN in view.text and TOOLBAR_END in view.text
    assert view.headers["Memento-Datetime"] == "Thu, 01 Jan 2015 12:00:00 GMT"
    assert 'rel="original"' in view.headers["Link"]
    raw = requests.get(wb.raw_url(ts(1), POLICY), timeout=5)
    assert raw.content == html("v1")


def test_302_without_memento_datetime_goes_to_the_nearest_capture(wb: FakeWayback) -> None:
    wb.add(POLICY, ts(3), html("v1"))
    row = CdxRow(ts(3, hms="120005"), POLICY, "text/html", "200", cdx_digest(html("v1")), "1")
    with make_client(wb) as client:
        cap = client.fetch(row)
    assert cap is not None and cap.body == html("v1")
    assert cap.fetched_at == datetime(2015, 3, 1, 12, tzinfo=UTC)
    first, second = wb.of_kind("playback")
    assert first.status == 302 and second.status == 200
    assert "id_/" in second.path


def test_captured_301_chain_is_followed_with_relative_locations(wb: FakeWayback) -> None:
    old = "https://example.com/legal/privacy.html"
    mid = "https://example.com/legal/privacy"
    wb.add(old, ts(5), b"", status=301, location="/legal/privacy", relative_location=True)
    wb.add(mid, ts(5, hms="120003"), b"", status=301, location="https://www.example.com/privacy")
    wb.add("https://www.example.com/privacy", ts(5, hms="120009"), html("final"))
    with make_client(wb) as client:
        (row,) = client.list_captures(old)
        assert row.statuscode == "301"
        cap = client.fetch(row)
    assert cap is not None and cap.body == html("final")
    assert cap.url == "https://www.example.com/privacy"
    assert cap.requested_url == old
    assert cap.fetched_at == datetime(2015, 5, 1, 12, 0, 9, tzinfo=UTC)
    statuses = [r.status for r in wb.of_kind("playback")]
    assert statuses == [301, 302, 301, 302, 200]  # captured hop, nearest-capture hop, ...
    assert all("id_/" in r.path for r in wb.of_kind("playback"))


def test_redirect_loop_stops(wb: FakeWayback) -> None:
    a, b = "https://example.com/a", "https://example.com/b"
    wb.add(a, ts(1), b"", status=301, location=b)
    wb.add(b, ts(1), b"", status=301, location=a)
    with make_client(wb) as client:
        (row,) = client.list_captures(a)
        assert client.fetch(row) is None
        assert "loop" in client.skipped[-1].reason
    assert len(wb.of_kind("playback")) == 2


def test_redirect_chain_longer_than_five_hops_stops(wb: FakeWayback) -> None:
    for i in range(8):
        wb.add(f"https://example.com/p{i}", ts(1), b"", status=301, location=f"/p{i + 1}")
    wb.add("https://example.com/p8", ts(1), html("end"))
    with make_client(wb) as client:
        (row,) = client.list_captures("https://example.com/p0")
        assert client.fetch(row) is None
        assert "more than 5" in client.skipped[-1].reason
    assert len(wb.of_kind("playback")) == 6


@pytest.mark.parametrize(
    ("location", "why"),
    [
        ("https://other.example/privacy", "not the policy"),
        ("/", "not the policy"),  # a bounce to the home page
    ],
)
def test_redirects_away_from_the_policy_are_skipped(
    wb: FakeWayback, location: str, why: str
) -> None:
    wb.add(POLICY, ts(1), b"", status=302, location=location)
    wb.add("https://other.example/privacy", ts(1), html("other"))
    wb.add("https://example.com/", ts(1), html("home"))
    with make_client(wb) as client:
        (row,) = client.list_captures(POLICY)
        assert client.fetch(row) is None
        assert why in client.skipped[-1].reason
    assert len(wb.of_kind("playback")) == 1


def test_redirect_target_captured_too_far_away_in_time_is_skipped(wb: FakeWayback) -> None:
    wb.add(POLICY, ts(1), b"", status=301, location="/privacy-policy")
    wb.add("https://example.com/privacy-policy", ts(1, year=2018), html("much later"))
    with make_client(wb) as client:
        (row,) = client.list_captures(POLICY)
        assert client.fetch(row) is None
        assert "too far" in client.skipped[-1].reason


def test_captured_404_is_archived_content_and_skipped(wb: FakeWayback) -> None:
    wb.add(POLICY, ts(1), b"<h1>Not Found</h1>", status=404)
    row = CdxRow(ts(1), POLICY, "text/html", "404", cdx_digest(b"<h1>Not Found</h1>"), "1")
    with make_client(wb) as client:
        assert client.fetch(row) is None
        (skip,) = client.skipped
    assert skip.row == row and "captured HTTP 404" in skip.reason
    assert len(wb.of_kind("playback")) == 1  # not retried, not an error


def test_captured_503_is_content_and_not_retried(wb: FakeWayback) -> None:
    wb.add(POLICY, ts(1), b"maintenance", status=503)
    row = CdxRow(ts(1), POLICY, "text/html", "503", cdx_digest(b"maintenance"), "1")
    with make_client(wb) as client:
        assert client.fetch(row) is None
    assert len(wb.of_kind("playback")) == 1


# -- archive-level errors -------------------------------------------------------------------


def test_blocked_site_is_a_clear_error(wb: FakeWayback) -> None:
    wb.block("blocked.example")
    url = "https://www.blocked.example/privacy"
    with make_client(wb) as client:
        with pytest.raises(WaybackError) as err:
            client.list_captures(url)
        assert err.value.kind == "blocked" and err.value.status == 403
        assert "Blocked Site Error" in str(err.value)
        assert "excluded www.blocked.example from the Wayback Machine" in str(err.value)
        assert isinstance(err.value, WatcherError)
        row = CdxRow(ts(1), url, "text/html", "200", "X", "1")
        with pytest.raises(WaybackError) as err2:
            client.fetch(row)
        assert err2.value.kind == "blocked"
    playback = wb.of_kind("playback")[0]
    assert playback.status == 403


def test_never_archived_url_is_a_clear_error(wb: FakeWayback) -> None:
    url = "https://never.example/privacy"
    with make_client(wb) as client:
        with pytest.raises(WaybackError) as err:
            client.list_captures(url)
        assert err.value.kind == "not_archived"
        assert str(err.value) == f"no captures of {url} in the Wayback Machine"
        with pytest.raises(WaybackError, match="since 2015"):
            client.list_captures(url, since="2015")
    assert requests.get(f"{wb.base}/web/2015id_/{url}", timeout=5).status_code == 404


def test_429_on_cdx_stops_at_once(wb: FakeWayback) -> None:
    wb.add(POLICY, ts(1), html("v1"))
    wb.fail("cdx", 429, headers={"Retry-After": "120"})
    with make_client(wb) as client:
        with pytest.raises(WaybackError) as err:
            client.list_captures(POLICY)
        assert err.value.kind == "rate_limited" and err.value.retry_after == 120
        assert str(err.value) == (
            "rate limited by the Wayback Machine; try again in 2 minutes; progress kept"
        )
        # the client refuses to send anything else
        with pytest.raises(WaybackError, match="rate limited"):
            client.list_captures(POLICY)
        with pytest.raises(WaybackError, match="rate limited"):
            client.fetch(CdxRow(ts(1), POLICY, "text/html", "200", "X", "1"))
    assert len(wb.requests) == 1


def test_429_in_the_middle_of_a_backfill(wb: FakeWayback) -> None:
    for m in range(1, 6):
        wb.add(POLICY, ts(m), html(f"v{m}"))
    sleeps: list[float] = []
    settings = WaybackSettings(base_url=wb.base, cdx_rate=0, playback_rate=0, retries=5)
    with WaybackClient(settings, sleep=sleeps.append) as client:
        rows = distinct(client.list_captures(POLICY))
        got = [client.fetch(rows[0]), client.fetch(rows[1])]
        wb.fail("playback", 429, times=1)
        with pytest.raises(WaybackError) as err:
            for row in rows[2:]:
                got.append(client.fetch(row))
        assert err.value.kind == "rate_limited"
        assert "try again in 5 minutes; progress kept" in str(err.value)
    assert len(got) == 2 and all(got)
    assert [r.status for r in wb.requests] == [200, 200, 200, 429]
    assert sleeps == []  # never waited to retry a 429


def test_503_is_retried_with_backoff_then_succeeds(wb: FakeWayback) -> None:
    wb.add(POLICY, ts(1), html("v1"))
    wb.fail("cdx", 503, times=2)
    wb.fail("playback", 502, times=1)
    sleeps: list[float] = []
    settings = WaybackSettings(base_url=wb.base, cdx_rate=0, playback_rate=0, backoff_base=1.0)
    with WaybackClient(settings, sleep=sleeps.append) as client:
        (row,) = client.list_captures(POLICY)
        cap = client.fetch(row)
    assert cap is not None and cap.body == html("v1")
    assert sleeps == [1.0, 2.0, 1.0]  # exponential per request
    assert [r.status for r in wb.requests] == [503, 503, 200, 502, 200]


def test_persistent_503_gives_up_with_a_clear_error(wb: FakeWayback) -> None:
    wb.fail("cdx", 503, times=10)
    sleeps: list[float] = []
    settings = WaybackSettings(base_url=wb.base, cdx_rate=0, retries=3, backoff_base=0.5)
    with WaybackClient(settings, sleep=sleeps.append) as client, pytest.raises(WaybackError) as err:
        client.list_captures(POLICY)
    assert err.value.kind == "unavailable" and err.value.status == 503
    assert "unavailable (HTTP 503" in str(err.value) and "after 4 attempts" in str(err.value)
    assert sleeps == [0.5, 1.0, 2.0]
    assert len(wb.requests) == 4


def test_timeouts_are_retried(wb: FakeWayback) -> None:
    wb.add(POLICY, ts(1), html("v1"))
    wb.slow("playback", 1.0, times=1)
    with make_client(wb, timeout=0.3) as client:
        (row,) = client.list_captures(POLICY)
        cap = client.fetch(row)
    assert cap is not None and cap.body == html("v1")
    assert len(wb.of_kind("playback")) == 2


def test_timeouts_exhausted_give_a_timeout_error(wb: FakeWayback) -> None:
    wb.slow("cdx", 0.6, times=3)
    with make_client(wb, timeout=0.2, retries=1) as client, pytest.raises(WaybackError) as err:
        client.list_captures(POLICY)
    assert err.value.kind == "timeout" and "did not answer within 0.2s" in str(err.value)


# -- politeness -----------------------------------------------------------------------------


def test_default_rates_pace_cdx_and_playback() -> None:
    """With a fake clock: 0.4 CDX/s means 2.5 s apart, 8 playback/s means 0.125 s apart."""
    with FakeWayback() as wb:
        for m in range(1, 4):
            wb.add(POLICY, ts(m), html(f"v{m}"))
        now = [0.0]
        sleeps: list[float] = []

        def sleep(s: float) -> None:
            sleeps.append(round(s, 6))
            now[0] += s

        defaults = WaybackSettings()
        assert (defaults.cdx_rate, defaults.playback_rate) == (0.4, 8.0)
        client = WaybackClient(
            WaybackSettings(base_url=wb.base, page_limit=1), sleep=sleep, clock=lambda: now[0]
        )
        rows = client.list_captures(POLICY)  # 3 pages + an empty one
        assert sleeps == [2.5, 2.5, 2.5]
        sleeps.clear()
        for row in rows:
            client.fetch(row)
        assert sleeps == [0.125, 0.125]
        client.close()


def test_playback_pacing_is_measurable_on_the_wire(wb: FakeWayback) -> None:
    for m in range(1, 7):
        wb.add(POLICY, ts(m), html(f"v{m}"))
    with make_client(wb, playback_rate=20.0) as client:
        for row in client.list_captures(POLICY):
            client.fetch(row)
    times = [r.time for r in wb.of_kind("playback")]
    gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
    assert len(times) == 6
    assert min(gaps) >= 0.045  # 1/20 s, minus scheduling slack


def test_one_backfill_at_a_time() -> None:
    entered = threading.Event()
    release = threading.Event()

    def hold() -> None:
        with backfill_slot():
            entered.set()
            release.wait(5)

    t = threading.Thread(target=hold)
    t.start()
    assert entered.wait(5)
    with pytest.raises(WaybackError) as err, backfill_slot(blocking=False):
        pass
    assert err.value.kind == "busy"
    release.set()
    t.join(5)
    with backfill_slot(blocking=False):
        pass


# -- pure helpers ---------------------------------------------------------------------------


def row_at(stamp: str, digest: str = "D") -> CdxRow:
    return CdxRow(stamp, POLICY, "text/html", "200", digest + stamp, "1")


def test_thin_by_month_keeps_the_capture_nearest_mid_month() -> None:
    rows = [
        row_at("20150101000000"),
        row_at("20150114000000"),
        row_at("20150120000000"),
        row_at("20150131235959"),
        row_at("20150203000000"),
        row_at("20150401000000"),
    ]
    kept = thin(rows, "month")
    assert [r.timestamp for r in kept] == ["20150114000000", "20150203000000", "20150401000000"]


def test_thin_by_quarter_and_year() -> None:
    rows = [row_at(f"2015{m:02d}01000000") for m in range(1, 13)] + [row_at("20160101000000")]
    assert [r.timestamp[:6] for r in thin(rows, "quarter")] == [
        "201502",
        "201505",
        "201508",
        "201511",
        "201601",
    ]
    assert [r.timestamp[:6] for r in thin(rows, "year")] == ["201507", "201601"]
    assert thin([], "year") == []
    with pytest.raises(ValueError, match="month, quarter or year"):
        thin(rows, "week")  # type: ignore[arg-type]


def test_distinct_keeps_first_per_digest_in_time_order() -> None:
    a1 = CdxRow("20150301000000", POLICY, "text/html", "200", "AAA", "1")
    b = CdxRow("20150201000000", POLICY, "text/html", "200", "BBB", "1")
    a2 = CdxRow("20150101000000", POLICY, "text/html", "200", "AAA", "1")
    rv = CdxRow("20150401000000", POLICY, "warc/revisit", "-", "BBB", "1", revisit=True)
    assert distinct([a1, b, a2, rv, a1]) == [a2, b]


@pytest.mark.parametrize(
    ("text", "cdx"),
    [
        ("2015", "2015"),
        ("2015-06", "201506"),
        ("2015-06-01", "20150601"),
        (" 2024-02-29 ", "20240229"),
    ],
)
def test_parse_since_valid(text: str, cdx: str) -> None:
    assert parse_since(text) == cdx


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("15", "expected YYYY, YYYY-MM or YYYY-MM-DD"),
        ("2015/06", "expected YYYY, YYYY-MM or YYYY-MM-DD"),
        ("2015-6", "expected YYYY, YYYY-MM or YYYY-MM-DD"),
        ("June 2015", "expected YYYY, YYYY-MM or YYYY-MM-DD"),
        ("", "expected YYYY, YYYY-MM or YYYY-MM-DD"),
        ("2015-13", "month 13 is not between 01 and 12"),
        ("2015-00-10", "month 00 is not between 01 and 12"),
        ("2015-02-30", "2015-02 has no day 30"),
        ("2023-02-29", "2023-02 has no day 29"),
        ("1990", "no captures before 1996"),
    ],
)
def test_parse_since_rejects_clearly(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_since(text)


def test_cdx_row_captured_at_is_aware_utc() -> None:
    row = CdxRow("20150601123456", POLICY, "text/html", "200", "D", "1")
    assert row.captured_at == datetime(2015, 6, 1, 12, 34, 56, tzinfo=UTC)
    assert json.dumps(row.timestamp)  # plain strings, as the CDX gives them


def test_a_2xx_without_memento_datetime_is_not_a_capture() -> None:
    from watcher.demo.site import LocalSite

    with LocalSite() as site:
        site.set(f"/web/{ts(1)}id_/{POLICY}", html("some proxy page"), etag=False)
        client = make_client(site, timeout=2.0)  # type: ignore[arg-type]
        row = CdxRow(ts(1), POLICY, "text/html", "200", "D", "1")
        assert client.fetch(row) is None
        assert "without Memento-Datetime" in client.skipped[-1].reason
        client.close()


def test_since_and_until_must_be_cdx_timestamps(wb: FakeWayback) -> None:
    with make_client(wb) as client, pytest.raises(ValueError, match="parse_since"):
        client.list_captures(POLICY, since="2015-06")
    assert wb.requests == []


def test_http_to_https_redirect_capture_resolves_to_the_nearest_https_capture(
    wb: FakeWayback,
) -> None:
    http_url = "http://example.com/privacy"
    wb.add(http_url, ts(1), b"moved", status=301, location=POLICY)
    wb.add(POLICY, ts(1, day=3), html("v1"))
    wb.add(POLICY, ts(2), html("v2"))
    with make_client(wb) as client:
        rows = client.list_captures(POLICY)  # the index ignores the scheme
        assert [r.statuscode for r in rows] == ["301", "200", "200"]
        got = [client.fetch(r) for r in distinct(rows)]
    assert got[0] is not None and got[0].body == html("v1")
    assert got[0].fetched_at == datetime(2015, 1, 3, 12, tzinfo=UTC)
    assert got[0].requested_url == http_url and got[0].url == POLICY
    assert got[1] is None  # the same memento again: not returned twice
    assert "same archived capture" in client.skipped[0].reason
    assert got[2] is not None and got[2].body == html("v2")


def test_redirect_chain_through_nearest_capture_hops_is_capped(wb: FakeWayback) -> None:
    # each target was captured a few seconds after the redirect: every captured 301 is
    # followed by a 302 (no Memento-Datetime) to the nearest capture
    for i in range(8):
        stamp = ts(1, hms=f"1200{i:02d}")
        wb.add(
            f"https://example.com/p{i}", stamp, f"r{i}".encode(), status=301, location=f"/p{i + 1}"
        )
    wb.add("https://example.com/p8", ts(1, hms="120008"), html("end"))
    with make_client(wb) as client:
        (row,) = client.list_captures("https://example.com/p0")
        assert client.fetch(row) is None
        assert "more than 5" in client.skipped[-1].reason
    statuses = [r.status for r in wb.of_kind("playback")]
    assert statuses == [301] + [302, 301] * 5
