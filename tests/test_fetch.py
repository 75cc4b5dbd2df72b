"""Live fetching against a real HTTP server on 127.0.0.1 (watcher.demo.site)."""

from __future__ import annotations

import gzip
import threading
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from watcher.demo.site import LocalSite, respond, sequence
from watcher.fetchers.http import Fetcher, HostThrottle
from watcher.models import FetchError, FetchSettings

UA = "policy-watcher-test/1.0 (+https://example.org/bot)"


def settings(**kw) -> FetchSettings:
    base = {"user_agent": UA, "timeout": 2.0, "retries": 2, "per_host_delay": 0.0}
    base.update(kw)
    return FetchSettings(**base)


@pytest.fixture
def site():
    with LocalSite() as s:
        yield s


@pytest.fixture
def fetcher():
    f = Fetcher(settings())
    f.backoff = 0.05  # keep retry tests quick; the schedule itself is tested separately
    yield f
    f.close()


def fails(fn, *args, **kw) -> FetchError:
    with pytest.raises(FetchError) as info:
        fn(*args, **kw)
    return info.value


# -- plain 200 --------------------------------------------------------------------------------


def test_200_with_headers_and_charset(site, fetcher):
    site.set(
        "/policy",
        "<html><body>Café policy</body></html>".encode("latin-1"),
        content_type='Text/HTML; Charset="ISO-8859-1"',
        headers={"Last-Modified": "Wed, 01 Jan 2025 00:00:00 GMT"},
    )
    before = datetime.now(UTC)
    cap = fetcher.fetch(site.url("/policy"))
    assert cap.status == 200
    assert cap.source == "live"
    assert cap.url == cap.requested_url == site.url("/policy")
    assert cap.body == "<html><body>Café policy</body></html>".encode("latin-1")
    assert cap.content_type == "text/html"
    assert cap.charset == "iso-8859-1"
    assert cap.etag and cap.etag.startswith('"')
    assert cap.last_modified == "Wed, 01 Jan 2025 00:00:00 GMT"
    assert cap.fetched_at.tzinfo is not None and cap.fetched_at >= before
    assert cap.elapsed > 0  # measured, not left at its default 0.0 (no speed asserted here)
    assert not cap.not_modified


def test_no_charset_and_no_content_type(site, fetcher):
    site.set("/t", "hello", content_type="text/plain")
    cap = fetcher.fetch(site.url("/t"))
    assert (cap.content_type, cap.charset) == ("text/plain", None)

    def bare(req):
        req.send_response(200)
        req.send_header("Content-Length", "2")
        req.end_headers()
        req.wfile.write(b"hi")

    site.set("/bare", handler=bare)
    cap = fetcher.fetch(site.url("/bare"))
    assert (cap.content_type, cap.charset, cap.body) == ("", None, b"hi")


def test_request_headers_sent(site, fetcher):
    site.set("/h", "x")
    fetcher.fetch(site.url("/h"))
    (rec,) = site.records("/h")
    assert rec.headers["User-Agent"] == UA
    assert rec.headers["Accept-Language"] == "en"
    assert "text/html" in rec.headers["Accept"]
    assert "gzip" in rec.headers["Accept-Encoding"]
    assert "If-None-Match" not in rec.headers


def test_gzip_body_is_decoded(site, fetcher):
    html = b"<p>" + b"privacy " * 2000 + b"</p>"
    site.set("/gz", gzip.compress(html), headers={"Content-Encoding": "gzip"})
    cap = fetcher.fetch(site.url("/gz"))
    assert cap.body == html


def test_initial_url_scheme_is_checked(fetcher):
    for url, scheme in [("file:///etc/passwd", "'file'"), ("ftp://example.org/x", "'ftp'")]:
        err = fails(fetcher.fetch, url)
        assert err.kind == "scheme"
        assert scheme in str(err)


# -- redirects --------------------------------------------------------------------------------


def test_redirect_relative_absolute_and_chain(site, fetcher):
    site.set("/final", "<p>done</p>")
    site.set("/rel", status=301, headers={"Location": "final"})
    site.set("/abs", status=302, headers={"Location": site.url("/final")})
    site.set("/c1", status=307, headers={"Location": "/c2"})
    site.set("/c2", status=308, headers={"Location": site.url("/c3")})
    site.set("/c3", status=303, headers={"Location": "/rel"})

    for start in ("/rel", "/abs", "/c1"):
        cap = fetcher.fetch(site.url(start))
        assert cap.url == site.url("/final")
        assert cap.requested_url == site.url(start)
        assert cap.body == b"<p>done</p>"
    assert site.hits("/final") == 3
    assert [site.hits(p) for p in ("/c1", "/c2", "/c3", "/rel")] == [1, 1, 1, 2]


def test_redirect_loop(site, fetcher):
    site.set("/a", status=302, headers={"Location": "/b"})
    site.set("/b", status=302, headers={"Location": "/a"})
    err = fails(fetcher.fetch, site.url("/a"))
    assert err.kind == "redirect"
    assert "redirect loop" in str(err)
    assert site.hits("/a") == 1 and site.hits("/b") == 1


def test_redirect_loop_through_fragments(site, fetcher):
    site.set("/x", status=301, headers={"Location": "/y#top"})
    site.set("/y", status=301, headers={"Location": "/x#again"})
    assert "redirect loop" in str(fails(fetcher.fetch, site.url("/x")))


def test_self_redirect_that_sets_a_cookie_is_not_a_loop(site, fetcher):
    def gate(req):
        if "consent=yes" in (req.headers.get("Cookie") or ""):
            respond(req, 200, "<p>the policy</p>")
        else:
            respond(req, 302, b"", {"Location": "/gate", "Set-Cookie": "consent=yes; Path=/"})

    site.set("/gate", handler=gate)
    cap = fetcher.fetch(site.url("/gate"))
    assert cap.body == b"<p>the policy</p>"
    # the cookie does not outlive the fetch
    fetcher.fetch(site.url("/gate"))
    assert site.hits("/gate") == 4


def test_ten_redirects_ok_eleven_too_many(site, fetcher):
    for i in range(11):
        site.set(f"/r{i}", status=302, headers={"Location": f"/r{i + 1}"})
    site.set("/r11", "end")
    cap = fetcher.fetch(site.url("/r1"))  # r1 -> ... -> r11: 10 redirects
    assert cap.body == b"end"
    err = fails(fetcher.fetch, site.url("/r0"))  # 11 redirects
    assert err.kind == "redirect"
    assert str(err).startswith("more than 10 redirects")
    assert site.hits("/r11") == 1


@pytest.mark.parametrize(
    ("location", "scheme"),
    [
        ("file:///etc/passwd", "file"),
        ("ftp://127.0.0.1/pub/policy.txt", "ftp"),
        ("javascript:alert(1)", "javascript"),
        ("data:text/html,<p>hi</p>", "data"),
    ],
)
def test_redirect_to_unsupported_scheme(site, fetcher, location, scheme):
    site.set("/evil", status=302, headers={"Location": location})
    err = fails(fetcher.fetch, site.url("/evil"))
    assert err.kind == "scheme"
    assert str(err) == f"redirect to unsupported scheme '{scheme}'"


def test_redirect_without_location(site, fetcher):
    site.set("/nowhere", status=302)
    err = fails(fetcher.fetch, site.url("/nowhere"))
    assert err.kind == "redirect"
    assert "without a Location" in str(err)


# -- conditional GET --------------------------------------------------------------------------


def test_304_with_etag(site, fetcher):
    site.set("/p", "<p>v1</p>")
    first = fetcher.fetch(site.url("/p"))
    again = fetcher.fetch(site.url("/p"), etag=first.etag)
    assert again.status == 304 and again.not_modified
    assert again.body == b""
    assert again.etag == first.etag
    assert site.records("/p")[-1].headers["If-None-Match"] == first.etag
    site.set("/p", "<p>v2</p>")
    changed = fetcher.fetch(site.url("/p"), etag=first.etag)
    assert changed.status == 200 and changed.body == b"<p>v2</p>"
    assert changed.etag != first.etag


def test_304_with_last_modified(site, fetcher):
    stamp = "Wed, 01 Jan 2025 00:00:00 GMT"

    def handler(req):
        if req.headers.get("If-Modified-Since") == stamp:
            req.send_response(304)
            req.send_header("Content-Length", "0")
            req.end_headers()
        else:
            respond(req, 200, "<p>x</p>", {"Last-Modified": stamp})

    site.set("/lm", handler=handler)
    first = fetcher.fetch(site.url("/lm"))
    assert first.last_modified == stamp
    again = fetcher.fetch(site.url("/lm"), last_modified=stamp)
    assert again.status == 304
    assert again.last_modified == stamp and again.body == b""


def test_304_without_prior_version(site, fetcher):
    def handler(req):
        req.send_response(304)
        req.send_header("Content-Length", "0")
        req.end_headers()

    site.set("/odd", handler=handler)
    err = fails(fetcher.fetch, site.url("/odd"))
    assert err.kind == "protocol"
    assert str(err) == "304 Not Modified without a prior version"


# -- status codes and retries -----------------------------------------------------------------


def test_404(site, fetcher):
    err = fails(fetcher.fetch, site.url("/missing"))
    assert (err.kind, err.status, str(err)) == ("http", 404, "HTTP 404 Not Found")
    assert site.hits("/missing") == 1  # 4xx is not retried


def test_403_and_410_not_retried(site, fetcher):
    site.set("/forbidden", "no", status=403)
    site.set("/gone", "gone", status=410)
    assert str(fails(fetcher.fetch, site.url("/forbidden"))) == "HTTP 403 Forbidden"
    assert str(fails(fetcher.fetch, site.url("/gone"))) == "HTTP 410 Gone"
    assert site.hits("/forbidden") == 1 and site.hits("/gone") == 1


def test_500_then_success(site, fetcher):
    site.set(
        "/flaky",
        handler=sequence(lambda r: respond(r, 500, "oops"), lambda r: respond(r, 200, "ok")),
    )
    cap = fetcher.fetch(site.url("/flaky"))
    assert cap.status == 200 and cap.body == b"ok"
    assert site.hits("/flaky") == 2


def test_persistent_503_reports_retries(site, fetcher):
    site.set("/down", "down", status=503)
    err = fails(fetcher.fetch, site.url("/down"))
    assert err.kind == "http" and err.status == 503
    assert str(err) == "HTTP 503 Service Unavailable (retried 2 times)"
    assert site.hits("/down") == 3


@pytest.mark.timeout(30)
def test_backoff_schedule(site):
    f = Fetcher(settings(retries=2))  # real backoff: 0.5s then 1s
    site.set("/bad", "x", status=502)
    err = fails(f.fetch, site.url("/bad"))
    assert str(err) == "HTTP 502 Bad Gateway (retried 2 times)"
    # the waits between the attempts, as the server saw them (a lower bound: never flaky)
    times = [r.at for r in site.records("/bad")]
    assert times[1] - times[0] >= 0.45 and times[2] - times[1] >= 0.95


def test_503_with_retry_after_then_success(site, fetcher):
    site.set(
        "/busy",
        handler=sequence(
            lambda r: respond(r, 503, "busy", {"Retry-After": "1"}),
            lambda r: respond(r, 200, "ok"),
        ),
    )
    t0 = time.monotonic()
    cap = fetcher.fetch(site.url("/busy"))
    took = time.monotonic() - t0
    assert cap.status == 200
    times = [r.at for r in site.records("/busy")]
    assert len(times) == 2 and times[1] - times[0] >= 0.95  # Retry-After was honoured
    # waiting politely is not the site's slowness: `elapsed` is the answering attempt's own
    # time, so it leaves out the 1 s wait (whatever the machine's speed)
    assert cap.elapsed <= took - 0.95


@pytest.mark.timeout(30)  # at once: it never sleeps the 120 s
def test_429_with_long_retry_after_raises_at_once(site, fetcher):
    site.set("/limit", "slow down", status=429, headers={"Retry-After": "120"})
    err = fails(fetcher.fetch, site.url("/limit"))
    assert err.kind == "rate_limited" and err.status == 429
    assert err.retry_after == 120
    assert str(err) == "HTTP 429 Too Many Requests; retry after 120s"
    assert site.hits("/limit") == 1


def test_429_with_http_date_retry_after(site, fetcher):
    when = datetime.now(UTC) + timedelta(hours=1)
    site.set("/limit", "x", status=429, headers={"Retry-After": format_datetime(when, usegmt=True)})
    err = fails(fetcher.fetch, site.url("/limit"))
    assert err.kind == "rate_limited"
    assert 3500 < err.retry_after <= 3600


def test_503_with_long_retry_after(site, fetcher):
    site.set("/maint", "maintenance", status=503, headers={"Retry-After": "3600"})
    err = fails(fetcher.fetch, site.url("/maint"))
    assert (err.kind, err.status, err.retry_after) == ("rate_limited", 503, 3600)
    assert str(err) == "HTTP 503 Service Unavailable; retry after 3600s"
    assert site.hits("/maint") == 1


def test_429_without_retry_after(site, fetcher):
    site.set("/limit", "x", status=429)
    err = fails(fetcher.fetch, site.url("/limit"))
    assert err.kind == "rate_limited" and err.retry_after is None and err.status == 429
    assert site.hits("/limit") == 1


def test_retry_after_honoured_only_once(site, fetcher):
    site.set("/busy", "x", status=429, headers={"Retry-After": "0"})
    err = fails(fetcher.fetch, site.url("/busy"))
    assert err.kind == "rate_limited"
    assert site.hits("/busy") == 2


# -- politeness -------------------------------------------------------------------------------


def test_host_throttle_spacing_with_concurrent_fetches(site):
    delay = 0.25
    throttle = HostThrottle(delay)
    f = Fetcher(settings(concurrency=4), throttle)
    site.set("/t", "x")
    errors: list[BaseException] = []

    def run():
        try:
            for _ in range(2):
                f.fetch(site.url("/t"))
        except BaseException as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=run) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    times = sorted(r.at for r in site.records("/t"))
    assert len(times) == 8
    gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
    assert min(gaps) >= delay - 0.03, gaps
    f.close()


@pytest.mark.timeout(8)  # one throttle for all hosts would sleep 10 s, then 10 s more
def test_throttle_is_per_host():
    throttle = HostThrottle(10.0)
    throttle.wait("a.example")
    throttle.wait("b.example")
    throttle.wait("C.Example")


@pytest.mark.timeout(30)
def test_throttle_penalty_blocks_host_fast(site):
    throttle = HostThrottle(0.0)
    f = Fetcher(settings(), throttle)
    site.set("/limit", "x", status=429, headers={"Retry-After": "300"})
    site.set("/other", "x")
    assert fails(f.fetch, site.url("/limit")).kind == "rate_limited"
    assert 290 < throttle.blocked_for("127.0.0.1") <= 300
    # another check of the same host does not hammer it, nor sleeps 300 s (the marker)
    err = fails(f.fetch, site.url("/other"))
    assert err.kind == "rate_limited" and err.retry_after > 290
    assert site.hits("/other") == 0


def test_shared_fetcher_many_threads(site):
    f = Fetcher(settings(concurrency=8))
    for i in range(8):
        site.set(f"/p{i}", f"<p>{i}</p>" * 100)
    results: dict[int, bytes] = {}

    def run(i):
        for _ in range(5):
            results[i] = f.fetch(site.url(f"/p{i}")).body

    threads = [threading.Thread(target=run, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == {i: f"<p>{i}</p>".encode() * 100 for i in range(8)}
    f.close()
