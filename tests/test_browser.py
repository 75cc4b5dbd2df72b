"""The headless browser (issue 12): a real Chromium against loopback pages built here.

Skipped when Chromium (chromium-headless-shell) or Playwright is not installed, except the
"browser missing" tests, which always run. No assertion is about speed; the deadline tests
check that a deadline the program enforces fires, with a wide margin.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from watcher.demo.site import LocalSite, drip
from watcher.fetchers import BROWSER_MISSING_HINT
from watcher.fetchers.browser import BrowserFetcher, find_browser
from watcher.fetchers.http import Fetcher
from watcher.fetchers.netguard import AddressGuard
from watcher.models import FetchError, FetchSettings, Watch
from watcher.monitor import Context, check_watch
from watcher.rederive import reextract_watch
from watcher.storage.sqlite import Store

UA = "policy-watcher-test/1.0"
POLICY = [
    "We collect your name, email address and device identifiers when you create an account.",
    "We share payment details with Stripe to process subscriptions and refunds.",
    "We keep account data for 30 days after you close your account, then delete it.",
    "You can ask for a copy of your data by writing to privacy@example.com at any time.",
]


def settings(**kw) -> FetchSettings:
    base = {"user_agent": UA, "timeout": 5.0, "retries": 0, "per_host_delay": 0.0}
    base.update(kw)
    return FetchSettings(**base)


def _have_browser() -> bool:
    try:
        import playwright.async_api  # noqa: F401
    except ImportError:
        return False
    return find_browser() is not None


needs_browser = pytest.mark.skipif(
    not _have_browser(), reason="Chromium (chromium-headless-shell) or Playwright not installed"
)

# -- pages ---------------------------------------------------------------------------------

SPA = """<!doctype html><html lang="en"><head><title>Privacy</title></head>
<body><div id="root"></div>
<script>
setTimeout(function () {
  fetch('/api/policy.json').then(function (r) { return r.json(); }).then(function (doc) {
    var root = document.getElementById('root');
    var h = document.createElement('h1'); h.textContent = doc.title; root.appendChild(h);
    doc.paragraphs.forEach(function (t) {
      var p = document.createElement('p'); p.textContent = t; root.appendChild(p);
    });
  });
}, 700);
</script></body></html>"""

ACCORDION = """<!doctype html><html lang="en"><head><title>Privacy</title></head><body>
<h1>Privacy Policy</h1><p>Read each section below to learn how we handle your data.</p>
<div class="acc">
  <button aria-expanded="false" data-n="0">What we collect</button><div id="s0"></div>
  <button aria-expanded="false" data-n="1">Who we share with</button><div id="s1"></div>
</div>
<details><summary>Retention</summary><p>RETENTION-CLAUSE we keep logs for 90 days.</p></details>
<script>
document.querySelectorAll('button[data-n]').forEach(function (b) {
  b.addEventListener('click', function () {
    b.setAttribute('aria-expanded', 'true');
    fetch('/section/' + b.dataset.n).then(function (r) { return r.text(); }).then(function (t) {
      document.getElementById('s' + b.dataset.n).innerHTML = '<p>' + t + '</p>';
    });
  });
});
</script></body></html>"""

CONSENT = """<!doctype html><html lang="en"><head><title>Privacy</title>
<style>#consent{position:fixed;inset:0;background:#000c;z-index:9}</style></head><body>
<div id="consent" role="dialog"><p>We use cookies.</p><button>Accept all</button></div>
<main id="policy"></main>
<script>
setTimeout(function () {
  document.getElementById('policy').innerHTML = PARAS;
}, 300);
</script></body></html>"""

NEVER_SETTLES = """<!doctype html><html lang="en"><head><title>Privacy</title></head><body>
<main>PARAS</main><p id="ticker"></p>
<script>
var n = 0;
setInterval(function () {
  n++; document.getElementById('ticker').textContent += ' tick' + n;
  fetch('/poll?n=' + n).catch(function () {});
}, 150);
</script></body></html>"""

SCRIPT_LOOP = """<!doctype html><html><head><title>Stuck</title></head><body>
<p>Loading the policy</p><script>while (true) { Math.random(); }</script></body></html>"""


def paras() -> str:
    return "".join(f"<p>{p}</p>" for p in POLICY)


@pytest.fixture(scope="module")
def browser():
    b = BrowserFetcher(settings(), guard=AddressGuard(public={"127.0.0.1"}), deadline=12.0)
    yield b
    b.close()


@pytest.fixture
def spa_site():
    with LocalSite() as site:
        site.set("/privacy", SPA)
        site.set(
            "/api/policy.json",
            json.dumps({"title": "Privacy Policy", "paragraphs": POLICY}),
            content_type="application/json",
        )
        yield site


def text_of(capture) -> str:
    return capture.body.decode("utf-8")


# -- rendering ---------------------------------------------------------------------------------


@needs_browser
def test_spa_filled_from_json_after_a_delay(browser, spa_site):
    cap = browser.render(spa_site.url("/privacy"))
    assert cap.rendered and cap.status == 200 and cap.content_type == "text/html"
    assert "share payment details with Stripe" in text_of(cap)
    assert spa_site.hits("/api/policy.json") == 1


@needs_browser
def test_auto_renders_a_js_shell_and_stores_the_dom(browser, spa_site, tmp_path):
    store = Store(tmp_path / "w.db", tmp_path / "snap")
    ctx = Context(store=store, fetcher=Fetcher(settings()), browser=browser)
    result = check_watch(ctx, Watch(name="spa", url=spa_site.url("/privacy")))
    assert result.status == "new", result.error
    version = store.get_version("spa", result.version)
    assert "Stripe" in version.text
    capture = store.latest_capture("spa")
    assert capture.rendered
    assert b"Stripe" in store.get_snapshot(capture.raw_sha256)
    # reextract works on the rendered DOM like on any capture: same text, nothing new
    again = reextract_watch(
        store, Watch(name="spa", url=spa_site.url("/privacy")), now=datetime.now(UTC)
    )
    assert again.outcome == "unchanged", again
    # render = "http" keeps the plain fetch: the shell, never rendered
    plain = check_watch(ctx, Watch(name="raw", url=spa_site.url("/privacy"), render="http"))
    assert plain.status == "suspicious"
    assert not store.latest_capture("raw").rendered
    store.close()


@needs_browser
def test_redirects_are_followed(browser, spa_site):
    spa_site.set("/old", b"", status=301, headers={"Location": "/older"})
    spa_site.set("/older", b"", status=302, headers={"Location": spa_site.url("/privacy")})
    cap = browser.render(spa_site.url("/old"))
    assert cap.url == spa_site.url("/privacy") and cap.requested_url == spa_site.url("/old")
    assert "Stripe" in text_of(cap)  # the page's relative /api/... resolved on the final URL


@needs_browser
def test_accordion_loaded_on_click_needs_expand(browser):
    with LocalSite() as site:
        site.set("/privacy", ACCORDION)
        site.set("/section/0", "SECTION-ZERO we collect your email address and your IP address.")
        site.set("/section/1", "SECTION-ONE we share analytics data with Google Analytics.")
        closed = text_of(browser.render(site.url("/privacy")))
        assert "SECTION-ZERO" not in closed
        opened = text_of(browser.render(site.url("/privacy"), expand=True))
        assert "SECTION-ZERO" in opened and "SECTION-ONE" in opened
        assert "RETENTION-CLAUSE" in opened


@needs_browser
def test_consent_overlay_does_not_hide_the_policy(browser):
    with LocalSite() as site:
        site.set("/privacy", CONSENT.replace("PARAS", json.dumps(paras())))
        html = text_of(browser.render(site.url("/privacy")))
        assert all(p in html for p in POLICY)


@needs_browser
def test_page_that_never_settles_is_taken_after_load(browser):
    with LocalSite() as site:
        site.set("/privacy", NEVER_SETTLES.replace("PARAS", paras()))
        site.set("/poll", "ok", content_type="text/plain")
        cap = browser.render(site.url("/privacy"))  # no timeout: "3 s after load" ends it
        assert all(p in text_of(cap) for p in POLICY)
        assert "tick" in text_of(cap)


@needs_browser
@pytest.mark.timeout(90)  # the 4 s deadline must hold (wide margin for a busy machine)
def test_script_loop_hits_the_deadline_and_the_next_page_is_fine(spa_site):
    b = BrowserFetcher(settings(), guard=AddressGuard(public={"127.0.0.1"}), deadline=4.0)
    try:
        with LocalSite() as site:
            site.set("/stuck", SCRIPT_LOOP)
            with pytest.raises(FetchError) as info:
                b.render(site.url("/stuck"))
            assert info.value.kind == "timeout"
            assert "within 4s" in str(info.value) and "\n" not in str(info.value)
        cap = b.render(spa_site.url("/privacy"))
        assert "Stripe" in text_of(cap)
    finally:
        b.close()


@needs_browser
def test_slow_drip_server(browser):
    page = f"<html><head><title>P</title></head><body>{paras()}</body></html>".encode()
    with LocalSite() as site:
        site.set("/slow", handler=drip(page, 3.0 / len(page)))  # the whole page in ~3 s
        cap = browser.render(site.url("/slow"))
        assert all(p in text_of(cap) for p in POLICY)


@needs_browser
@pytest.mark.timeout(60)  # the 3 s deadline must hold against a ~8 minute drip
def test_endless_drip_fails_within_the_deadline():
    b = BrowserFetcher(settings(), deadline=3.0)
    try:
        page = b"<html><body>" + b"x " * 5000 + b"</body></html>"
        with LocalSite() as site:
            site.set("/slow", handler=drip(page, 0.05))  # ~8 minutes
            with pytest.raises(FetchError) as info:
                b.render(site.url("/slow"))
            assert info.value.kind == "timeout"
    finally:
        b.close()


@needs_browser
def test_http_error_returns_at_once(browser):
    with LocalSite() as site:
        with pytest.raises(FetchError) as info:
            browser.render(site.url("/missing"))
        assert info.value.kind == "http" and info.value.status == 404
        assert str(info.value) == "HTTP 404 Not Found"


@needs_browser
def test_images_fonts_media_are_not_downloaded(browser):
    with LocalSite() as site:
        site.set(
            "/privacy",
            f"<html><body>{paras()}<img src='/logo.png'><video src='/v.mp4'></video>"
            "<style>@font-face{font-family:x;src:url(/f.woff2)} p{font-family:x}</style>"
            "<link rel=stylesheet href='/s.css'></body></html>",
        )
        site.set("/s.css", "p{color:black}", content_type="text/css")
        browser.render(site.url("/privacy"))
        assert site.hits("/logo.png") == 0 and site.hits("/v.mp4") == 0
        assert site.hits("/f.woff2") == 0
        assert site.hits("/s.css") == 1  # stylesheets load: they decide what is visible


# -- private addresses ------------------------------------------------------------------------


@needs_browser
def test_browser_cannot_reach_a_private_address(browser):
    with LocalSite() as public, LocalSite(host="127.0.0.2") as internal:
        internal.set("/admin", "SECRET-ADMIN-DATA", content_type="text/plain")
        public.set(
            "/privacy",
            f"<html><body>{paras()}<div id=x></div><script>"
            f"fetch('{internal.url('/admin')}').then(r => r.text())"
            ".then(t => { document.getElementById('x').textContent = t; })"
            ".catch(() => {});</script></body></html>",
        )
        html = text_of(browser.render(public.url("/privacy")))
        assert "Stripe" in html and "SECRET-ADMIN-DATA" not in html
        assert internal.hits("/admin") == 0
        # a redirect of the page itself to the internal address
        public.set("/moved", b"", status=302, headers={"Location": internal.url("/admin")})
        with pytest.raises(FetchError) as info:
            browser.render(public.url("/moved"))
        assert info.value.kind == "blocked" and "allow_private" in str(info.value)
        assert internal.hits("/admin") == 0
        # subresources of the page that redirect there: a fetch, a script, a stylesheet
        public.set("/go", b"", status=302, headers={"Location": internal.url("/admin")})
        public.set("/ok.js", "document.getElementById('y').textContent = 'SCRIPT-RAN';",
                   content_type="application/javascript")  # fmt: skip
        public.set("/hop", b"", status=301, headers={"Location": public.url("/ok.js")})
        public.set(
            "/privacy2",
            f"<html><head><link rel=stylesheet href='/go?css'></head><body>{paras()}"
            "<div id=x></div><div id=y></div><script src='/go?js'></script>"
            "<script src='/hop'></script><script>"
            "fetch('/go').then(r => r.text())"
            ".then(t => { document.getElementById('x').textContent = t; })"
            ".catch(() => {});</script></body></html>",
        )
        html = text_of(browser.render(public.url("/privacy2")))
        assert "Stripe" in html and "SECRET-ADMIN-DATA" not in html
        assert "SCRIPT-RAN" in html  # a redirect to an allowed address is still followed
        assert public.hits("/go") >= 1  # the page did try
        assert internal.hits("/admin") == 0


@needs_browser
def test_dns_rebinding_reaches_nothing():
    """The watched name answers a public address (127.0.0.1 here) to the first lookup and an
    internal one (127.0.0.2, same port) to every later one, as a rebinding attacker's DNS
    does. The render resolves it once: the page, its redirect and the script's later fetches
    all go where the guard checked, through the render's pinning proxy (Chromium never
    resolves the name itself: only the test resolver knows it)."""
    calls: list[str] = []

    def rebinding(host: str) -> list[str]:
        if host != "policy.rebind.test":
            return []
        calls.append(host)
        return ["127.0.0.1"] if len(calls) == 1 else ["127.0.0.2"]

    with LocalSite() as public, LocalSite(host="127.0.0.2", port=public.port) as internal:
        for site, mark in ((public, "PUBLIC"), (internal, "SECRET")):
            site.set("/admin", f"{mark}-ADMIN-DATA", content_type="text/plain")
        internal.set("/privacy", "<html><body>SECRET-INTERNAL-PAGE</body></html>")
        public.set("/start", b"", status=302, headers={"Location": "/privacy"})
        public.set(
            "/privacy",
            f"<html><body>{paras()}<div id=x></div><script>"
            "setTimeout(() => fetch('/admin').then(r => r.text())"
            ".then(t => { document.getElementById('x').textContent = t; })"
            ".catch(() => {}), 400);</script></body></html>",
        )
        b = BrowserFetcher(
            settings(), guard=AddressGuard(resolver=rebinding, public={"127.0.0.1"}), deadline=12.0
        )
        try:
            cap = b.render(f"http://policy.rebind.test:{public.port}/start")
        finally:
            b.close()
        html = text_of(cap)
        assert "Stripe" in html and "PUBLIC-ADMIN-DATA" in html
        assert "SECRET" not in html
        assert internal.hits("/admin") == 0 and internal.hits("/privacy") == 0
        assert public.hits("/admin") == 1
        assert calls == ["policy.rebind.test"]  # one lookup for the whole render


@needs_browser
def test_an_unreachable_page_fails_with_its_cause_not_the_deadline():
    """A name that does not resolve, a port nobody listens on: one line with the cause (it
    was a 12 s "timeout ... a script stuck in a loop?" and a traceback from the route
    handler). The resolver knows no name: no lookup leaves the machine."""
    import socket

    nowhere = AddressGuard(resolver=lambda host: [], public={"127.0.0.1"})

    with socket.socket() as s:  # a free port, closed again: nobody listens there
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    for url, kind, words in (
        ("http://nowhere.invalid/privacy", "dns", "DNS lookup failed for nowhere.invalid"),
        (f"https://127.0.0.1:{port}/privacy", "connect", f"127.0.0.1:{port}"),
    ):
        b = BrowserFetcher(settings(), guard=nowhere, deadline=12.0)
        try:
            with pytest.raises(FetchError) as info:
                b.render(url)
        finally:
            b.close()
        assert info.value.kind == kind and words in str(info.value)


# -- the browser missing ----------------------------------------------------------------------


def test_missing_browser_fails_only_the_watches_that_need_it(site, tmp_path):
    site.set("/privacy", "<html><body>" + paras() + "</body></html>")
    missing = BrowserFetcher(settings(browser="/nonexistent/chromium-headless-shell"))
    assert "no Chromium" in (missing.missing() or "")
    store = Store(tmp_path / "w.db", tmp_path / "snap")
    ctx = Context(store=store, fetcher=Fetcher(settings()), browser=missing)
    bad = check_watch(ctx, Watch(name="js", url=site.url("/privacy"), render="browser"))
    assert bad.status == "error"
    assert bad.error.startswith(BROWSER_MISSING_HINT) and "\n" not in bad.error
    good = check_watch(ctx, Watch(name="plain", url=site.url("/privacy")))
    assert good.status == "new"
    store.close()
