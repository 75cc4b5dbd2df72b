"""The fetcher seam: shared HTTP helpers, the redirect/SSRF guard, JS-shell detection, for_watch.

Every server is a real one on loopback. For the redirect rules, the watch's own address
(127.0.0.1) is counted as "public" through `AddressGuard(public=...)`, while another loopback
address (127.0.0.2, a second server) stays loopback, as a LAN or metadata service would be.
"""

from __future__ import annotations

import pytest

from watcher.demo.site import LocalSite
from watcher.fetchers import NEEDS_JS_HINT, for_watch
from watcher.fetchers.http import Fetcher
from watcher.fetchers.httputil import (
    HostThrottle,
    Retry,
    parse_content_type,
    parse_retry_after,
    with_retries,
)
from watcher.fetchers.jsshell import looks_like_js_shell
from watcher.fetchers.netguard import AddressGuard, address_class
from watcher.models import FetchError, FetchSettings, Watch
from watcher.monitor import Context, check_watch
from watcher.storage.sqlite import Store

UA = "policy-watcher-test/1.0"
WORDS = " ".join(f"word{i}" for i in range(60))


def settings(**kw) -> FetchSettings:
    base = {"user_agent": UA, "timeout": 3.0, "retries": 0, "per_host_delay": 0.0}
    base.update(kw)
    return FetchSettings(**base)


# -- shared helpers ---------------------------------------------------------------------------


def test_content_type_parser():
    assert parse_content_type('Text/HTML; Charset="ISO-8859-1"') == ("text/html", "iso-8859-1")
    assert parse_content_type(None) == ("", None)
    assert parse_content_type("application/pdf") == ("application/pdf", None)


def test_retry_after_parser():
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after("soon") is None
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # in the past


def test_retry_loop_counts_attempts_and_honours_after():
    calls: list[int] = []
    slept: list[float] = []

    def attempt(n: int) -> str:
        calls.append(n)
        if len(calls) == 1:
            raise Retry(FetchError("http", "HTTP 503"), free=True, after=4.0)
        if len(calls) < 4:
            raise Retry(FetchError("timeout", "slow"))
        return "ok"

    value, waited = with_retries(attempt, retries=2, backoff=1.0, sleep=slept.append)
    assert value == "ok"
    assert calls == [0, 0, 1, 2]  # the free retry used no attempt
    assert slept == [4.0, 1.0, 2.0]
    assert waited == 7.0


def test_retry_loop_gives_up_with_the_last_error():
    def attempt(n: int) -> str:
        raise Retry(FetchError("timeout", f"slow {n}"))

    with pytest.raises(FetchError) as info:
        with_retries(
            attempt,
            retries=2,
            backoff=0.0,
            sleep=lambda s: None,
            exhausted=lambda e, n: FetchError("timeout", f"{e} after {n}"),
        )
    assert str(info.value) == "slow 2 after 2"


def test_throttle_is_shared_by_name():
    t = HostThrottle(0.0)
    t.penalize("Example.org", 50)
    assert t.blocked_for("example.ORG") > 40


# -- redirects and private addresses ------------------------------------------------------------


def test_address_classes():
    assert address_class("127.0.0.1") == "loopback"
    assert address_class("10.1.2.3") == "private"
    assert address_class("100.64.0.1") == "private"
    assert address_class("169.254.169.254") == "metadata"
    assert address_class("169.254.1.1") == "link-local"
    assert address_class("fe80::1") == "link-local"
    assert address_class("::ffff:192.168.0.1") == "private"
    assert address_class("93.184.216.34") == "public"


@pytest.fixture
def two_sites():
    with LocalSite() as public, LocalSite(host="127.0.0.2") as internal:
        internal.set("/secret", f"<html><body><p>internal admin {WORDS}</p></body></html>")
        yield public, internal


def test_redirect_to_a_loopback_service_is_refused(two_sites):
    public, internal = two_sites
    public.set("/policy", b"", status=302, headers={"Location": internal.url("/secret")})
    f = Fetcher(settings(), guard=AddressGuard(public={"127.0.0.1"}))
    with pytest.raises(FetchError) as info:
        f.fetch(public.url("/policy"))
    err = info.value
    assert err.kind == "blocked"
    assert "127.0.0.2" in str(err) and "loopback" in str(err) and "allow_private" in str(err)
    assert "\n" not in str(err)
    assert internal.hits("/secret") == 0


def test_redirect_to_private_allowed_when_the_watch_says_so(two_sites):
    public, internal = two_sites
    public.set("/policy", b"", status=302, headers={"Location": internal.url("/secret")})
    f = Fetcher(settings(), guard=AddressGuard(public={"127.0.0.1"}))
    cap = f.fetch(public.url("/policy"), allow_private=True)
    assert b"internal admin" in cap.body


def test_redirect_within_the_watchs_own_range_is_fine(two_sites):
    public, internal = two_sites
    # the watch itself is on loopback (the real classification): loopback hops are allowed
    public.set("/policy", b"", status=302, headers={"Location": internal.url("/secret")})
    cap = Fetcher(settings()).fetch(public.url("/policy"))
    assert cap.url == internal.url("/secret")


def test_redirect_block_is_recorded_as_one_line_for_the_watch(two_sites, tmp_path):
    public, internal = two_sites
    public.set("/policy", b"", status=302, headers={"Location": internal.url("/secret")})
    store = Store(tmp_path / "w.db", tmp_path / "snap")
    ctx = Context(
        store=store, fetcher=Fetcher(settings(), guard=AddressGuard(public={"127.0.0.1"}))
    )
    result = check_watch(ctx, Watch(name="acme", url=public.url("/policy")))
    assert result.status == "error"
    assert "refused to follow" in (result.error or "")
    assert store.latest_capture("acme") is None  # nothing of the internal page stored
    store.close()


# -- JavaScript shells ------------------------------------------------------------------------

SHELL = (
    "<!doctype html><html><head><title>Privacy</title>"
    "<script src='/static/app.4f3a.js' defer></script></head>"
    "<body><noscript>You need to enable JavaScript to run this app.</noscript>"
    "<div id='root'></div></body></html>"
)


def test_js_shell_detection():
    assert looks_like_js_shell(SHELL.encode(), "text/html", None)
    inline = "<html><body><div id=app></div><script>" + "x=1;" * 5000 + "</script></body></html>"
    assert looks_like_js_shell(inline.encode(), "text/html", "utf-8")
    # real text: never a shell, whatever scripts it carries
    page = f"<html><body><div id=root></div><p>{WORDS}</p><script src=a.js></script></body></html>"
    assert not looks_like_js_shell(page.encode(), "text/html", None)
    # empty but no script: just an empty page
    assert not looks_like_js_shell(
        b"<html><body><div id=root></div></body></html>", "text/html", None
    )
    assert not looks_like_js_shell(b"%PDF-1.4", "application/pdf", None)


def test_auto_without_browser_is_suspicious_with_the_hint(site, tmp_path):
    site.set("/privacy", SHELL)
    store = Store(tmp_path / "w.db", tmp_path / "snap")
    ctx = Context(store=store, fetcher=Fetcher(settings()), browser=None)
    result = check_watch(ctx, Watch(name="spa", url=site.url("/privacy")))
    assert result.status == "suspicious"
    assert result.error == NEEDS_JS_HINT
    assert NEEDS_JS_HINT.startswith(
        "this page needs JavaScript: install Chromium (apt-get install chromium-headless-shell) "
        "or set render = "
    )
    assert store.latest_capture("spa") is not None  # the raw shell is kept
    # render = "http" accepts the page as served: the usual empty-text verdict, no hint
    result = check_watch(ctx, Watch(name="spa2", url=site.url("/privacy"), render="http"))
    assert result.status == "suspicious" and result.error != NEEDS_JS_HINT
    store.close()


def test_browser_watch_without_browser_errors_and_others_are_unaffected(site, tmp_path):
    site.set("/privacy", f"<html><body><p>{WORDS}</p></body></html>")
    store = Store(tmp_path / "w.db", tmp_path / "snap")
    ctx = Context(store=store, fetcher=Fetcher(settings()), browser=None)
    bad = check_watch(ctx, Watch(name="needs", url=site.url("/privacy"), render="browser"))
    assert bad.status == "error"
    assert "apt-get install chromium-headless-shell" in (bad.error or "")
    assert "\n" not in (bad.error or "")
    also = check_watch(ctx, Watch(name="expand", url=site.url("/privacy"), expand=True))
    assert also.status == "error" and "chromium" in (also.error or "").lower()
    ok = check_watch(ctx, Watch(name="plain", url=site.url("/privacy")))
    assert ok.status == "new"
    store.close()


def test_for_watch_picks_by_render_key():
    http = Fetcher(settings())
    assert for_watch(Watch(name="a", url="http://x/", render="http"), http) is http
    assert for_watch(Watch(name="a", url="http://x/"), http) is not http  # auto wraps it
    with pytest.raises(FetchError) as info:
        for_watch(Watch(name="a", url="http://x/", render="browser"), http).fetch("http://x/")
    assert info.value.kind == "browser"
