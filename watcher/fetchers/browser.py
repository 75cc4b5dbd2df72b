"""Render a page in headless Chromium and capture its DOM (for JavaScript-built policies).

`BrowserFetcher.render(url, expand=...)` returns a `Capture` whose body is the rendered DOM
(`rendered=True`), stored raw like any page so `reextract` and history work unchanged.

The engine: Debian's `chromium-headless-shell`, driven by Playwright for Python (the optional
`[browser]` extra) through its async API, launched with `executable_path` (no browser
downloads). Playwright talks to Chromium over a pipe, not a TCP debugging port, so nothing
else on the machine can attach, and when this process dies the driver sees its pipe close
and takes the browser down with it (no orphans).

- One browser per process, started on first use in a private event-loop thread; a fresh
  context (cookies, storage, cache) per page. At most `render_concurrency` renders at once.
- Images, fonts and media are never downloaded. Every request goes through the SSRF rules
  (`netguard`): no loopback/private/link-local/metadata address unless the watch's own URL
  is one or it says `allow_private`; the page may not navigate away from the watched host.
- Names are resolved once per render, and the browser connects where the check looked: the
  context's traffic goes through a loopback proxy of its own (`pinproxy`) that connects to
  the checked address, so DNS rebinding reaches nothing. (When the environment sets a proxy,
  HTTPS_PROXY..., the browser uses that one instead, and it resolves names.)
- A document that cannot be reached fails at once with its cause (DNS, connection refused).
- Ready rule (measured on loopback SPAs: `load` fires before an SPA's text arrives and
  `networkidle` never comes on pages that poll): after `load`, the visible word count is
  >= 30 and unchanged for 1 s, or 3 s have passed. HTTP >= 400 returns at once as an error.
- A hard deadline (30 s) around everything with `asyncio.wait_for`; a page that overruns it
  (a script in an endless loop) is closed, and if the browser does not answer within a few
  seconds its whole process tree is killed and a fresh one starts for the next page.
- `--no-sandbox` only when running as root (Chromium refuses to start otherwise).
"""

from __future__ import annotations

import asyncio
import atexit
import concurrent.futures
import contextlib
import logging
import os
import shutil
import signal
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urljoin, urlsplit

from watcher.fetchers.httputil import parse_content_type, status_text
from watcher.fetchers.netguard import DEFAULT_GUARD, AddressGuard
from watcher.fetchers.pinproxy import PinningProxy
from watcher.models import Capture, FetchError, FetchSettings
from watcher.textutil import shorten

__all__ = ["BrowserFetcher", "find_browser", "shared_browser"]

log = logging.getLogger("watcher.browser")

DEADLINE = 30.0  # seconds for one whole render
READY_WORDS = 30  # visible words before the text may be taken as complete ...
QUIET = 1.0  # ... once the count has not moved for this long ...
AFTER_LOAD = 3.0  # ... or this long after the load event, whichever comes first
POLL = 0.25
MAX_REDIRECTS = 10
CLOSE_GRACE = 5.0  # to close a page's context before the browser is killed
BLOCKED_TYPES = frozenset({"image", "font", "media"})
CANDIDATES = (
    "/usr/lib/chromium/chromium-headless-shell",  # Debian's package, the real binary
    "chromium-headless-shell",
    "/usr/lib/chromium/chromium",
    "chromium",
)

_WORDS_JS = (
    "() => { const b = document.body; if (!b) return 0;"
    " return (b.innerText || '').split(/\\s+/).filter(Boolean).length; }"
)
# Open what policies hide: <details>, collapsed accordions (aria-expanded=false), then scroll.
_EXPAND_JS = """
async () => {
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
  for (const d of document.querySelectorAll('details:not([open])')) d.open = true;
  const seen = new Set();
  for (let round = 0; round < 3; round++) {
    const closed = [...document.querySelectorAll('[aria-expanded="false"]')]
      .filter((el) => !seen.has(el) && !(el.tagName === 'A' && el.getAttribute('href')
                                          && !el.getAttribute('href').startsWith('#')));
    if (!closed.length) break;
    for (const el of closed.slice(0, 200)) { seen.add(el); try { el.click(); } catch (e) {} }
    await sleep(300);
    for (const d of document.querySelectorAll('details:not([open])')) d.open = true;
  }
  let last = -1;
  for (let i = 0; i < 40 && document.body && document.body.scrollHeight !== last; i++) {
    last = document.body.scrollHeight;
    window.scrollTo(0, last);
    await sleep(150);
  }
  window.scrollTo(0, 0);
}
"""


def find_browser(configured: str | None = None) -> str | None:
    """The Chromium binary to use: the configured path, else Debian's headless shell."""
    if configured:
        return configured if os.access(configured, os.X_OK) else None
    for c in CANDIDATES:
        path = c if c.startswith("/") else shutil.which(c)
        if path and os.path.isfile(path) and os.access(path, os.X_OK):
            return path
    return None


def _playwright_missing() -> str | None:
    try:
        import playwright.async_api  # noqa: F401
    except ImportError:
        return "the Playwright package is not installed (pip install 'policy-watcher[browser]')"
    return None


class BrowserFetcher:
    """Render pages in one shared headless Chromium; safe to call from many threads."""

    def __init__(
        self,
        settings: FetchSettings,
        *,
        guard: AddressGuard | None = None,
        deadline: float = DEADLINE,
    ) -> None:
        self.settings = settings
        self.guard = guard or DEFAULT_GUARD
        self.deadline = deadline
        self.executable = find_browser(settings.browser)
        self._slots = threading.BoundedSemaphore(max(1, settings.render_concurrency))
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._pw = None  # the Playwright driver
        self._browser = None
        self._launching: asyncio.Lock | None = None
        self.launches = 0  # browsers started (a killed one is replaced on the next page)

    # -- availability ------------------------------------------------------------------------
    def missing(self) -> str | None:
        """Why no page can be rendered here (one line), or None."""
        if self.executable is None:
            where = self.settings.browser or "/usr/lib/chromium or on PATH"
            return f"no Chromium found ({where})"
        return _playwright_missing()

    # -- the Fetcher protocol ----------------------------------------------------------------
    def fetch(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        verify: bool = True,
        allow_private: bool = False,
    ) -> Capture:
        return self.render(url, verify=verify, allow_private=allow_private)

    def render(
        self,
        url: str,
        *,
        verify: bool = True,
        allow_private: bool = False,
        expand: bool = False,
    ) -> Capture:
        """Load `url` in a fresh browser context and return its DOM; FetchError on failure."""
        why = self.missing()
        if why:
            raise FetchError("browser", why)
        with self._slots:  # queueing for a slot is not part of the page's deadline
            loop = self._ensure_loop()
            started = time.monotonic()
            fut = asyncio.run_coroutine_threadsafe(
                self._render(url, verify=verify, allow_private=allow_private, expand=expand),
                loop,
            )
            try:
                # the coroutine enforces the deadline; this is the backstop if the loop hangs
                return fut.result(timeout=self.deadline + 2 * CLOSE_GRACE + 5)
            except concurrent.futures.TimeoutError:
                fut.cancel()
                self._kill("the browser's event loop did not answer")
                raise FetchError(
                    "timeout",
                    f"the browser did not finish rendering {url} within "
                    f"{time.monotonic() - started:.0f}s",
                ) from None

    def close(self) -> None:
        """Close the browser and its driver (a later render starts a new one)."""
        loop = self._loop
        if loop is None:
            return
        fut = asyncio.run_coroutine_threadsafe(self._shutdown(), loop)
        try:
            fut.result(timeout=CLOSE_GRACE + 2)
        except Exception:
            self._kill("close timed out")
        loop.call_soon_threadsafe(loop.stop)
        if self._thread is not None:
            self._thread.join(timeout=5)
        with self._lock:
            self._loop = None
            self._thread = None

    def __enter__(self) -> BrowserFetcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the loop thread -----------------------------------------------------------------------
    def _ensure_loop(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None:
                loop = asyncio.new_event_loop()
                ready = threading.Event()

                def run() -> None:
                    asyncio.set_event_loop(loop)
                    loop.call_soon(ready.set)
                    loop.run_forever()

                self._thread = threading.Thread(target=run, name="browser-loop", daemon=True)
                self._thread.start()
                ready.wait(5)
                self._loop = loop
            return self._loop

    async def _ensure_browser(self):  # noqa: ANN202 - a Playwright Browser
        if self._launching is None:
            self._launching = asyncio.Lock()
        async with self._launching:
            if self._browser is not None and self._browser.is_connected():
                return self._browser
            await self._shutdown()
            from playwright.async_api import async_playwright

            self._pw = await async_playwright().start()
            args = ["--disable-gpu", "--disable-dev-shm-usage", "--mute-audio"]
            if hasattr(os, "geteuid") and os.geteuid() == 0:
                args.append("--no-sandbox")  # Chromium will not start as root with it
            self._browser = await asyncio.wait_for(
                self._pw.chromium.launch(
                    executable_path=self.executable,
                    headless=True,
                    args=args,
                    handle_sigint=False,
                    handle_sigterm=False,
                    handle_sighup=False,
                ),
                timeout=self.deadline,
            )
            self.launches += 1
            return self._browser

    async def _shutdown(self) -> None:
        browser, pw = self._browser, self._pw
        self._browser = self._pw = None
        if browser is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(browser.close(), CLOSE_GRACE)
        if pw is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(pw.stop(), CLOSE_GRACE)

    def _driver_pid(self) -> int | None:
        pw = self._pw
        try:
            return int(pw._impl_obj._connection._transport._proc.pid)  # type: ignore[union-attr]
        except Exception:
            return None

    def _kill(self, why: str) -> None:
        """Kill the driver and every browser process under it; the next page starts afresh."""
        pid = self._driver_pid()
        self._browser = None
        self._pw = None
        if pid is None:
            return
        log.warning("killing the browser (%s)", why)
        kill_tree(pid)

    # -- one page --------------------------------------------------------------------------------
    async def _render(
        self, url: str, *, verify: bool, allow_private: bool, expand: bool
    ) -> Capture:
        started = time.monotonic()
        state: dict[str, object] = {}
        try:
            browser = await asyncio.wait_for(self._ensure_browser(), self.deadline)
        except TimeoutError:
            self._kill("launch timed out")
            raise FetchError(
                "browser", f"Chromium did not start within {self.deadline:g}s"
            ) from None
        except Exception as e:
            raise FetchError("browser", f"Chromium did not start: {_short(e)}") from None
        # one view of DNS for the whole render: what the route handler checks is where the
        # proxy connects (pinproxy: no DNS rebinding between the check and the connection)
        guard = self.guard.pinned()
        proxy = None if _env_proxied() else PinningProxy(guard, url, allow_private=allow_private)
        try:
            context = await browser.new_context(
                user_agent=self.settings.user_agent,
                ignore_https_errors=not verify,
                java_script_enabled=True,
                service_workers="block",
                proxy=proxy.credentials if proxy else None,
            )
        except BaseException:
            if proxy is not None:
                proxy.close()
            raise
        try:
            return await asyncio.wait_for(
                self._load(context, url, allow_private, expand, state, started, guard, proxy),
                self.deadline,
            )
        except TimeoutError:
            raise FetchError(
                "timeout",
                f"the page did not finish rendering within {self.deadline:g}s "
                f"({state.get('stage', 'loading')}; a script stuck in a loop?)",
            ) from None
        except FetchError:
            raise
        except Exception as e:
            if not browser.is_connected():
                self._kill("the browser disconnected")
            raise FetchError("browser", f"rendering {url} failed: {_short(e)}") from None
        finally:
            try:
                await asyncio.wait_for(context.close(), CLOSE_GRACE)
            except Exception:
                self._kill("a page's context did not close")
            if proxy is not None:
                proxy.close()

    async def _load(self, context, url, allow_private, expand, state, started, guard, proxy):  # noqa: ANN001, ANN202, PLR0913
        loop = asyncio.get_running_loop()
        origin_host = _host_key(urlsplit(url).hostname)
        verdicts: dict[str, str | None] = {}
        blocked: list[str] = []
        failures: list[FetchError] = []  # the page's document could not be loaded: why
        navigated = {"main": False}

        timeout_ms = self.deadline * 1000

        async def check(target: str) -> str | None:
            host = urlsplit(target).hostname or ""
            if host not in verdicts:
                verdicts[host] = await loop.run_in_executor(
                    None,
                    lambda: guard.reason(target, origin=url, allow_private=allow_private),
                )
            return verdicts[host]

        async def hop(route, to: str | None):  # noqa: ANN001, ANN202 - an APIResponse
            """One hop of the document's redirect chain (`to`: None for the request's own
            URL); FetchError when the site was not reached (the proxy's words, "DNS lookup
            failed for x", rather than its 502)."""
            where = to or route.request.url
            host = urlsplit(where).hostname or ""

            def ours() -> FetchError | None:  # what the proxy met on its way to `host`
                return proxy.failed.get(host) if proxy is not None else None

            try:
                response = await route.fetch(
                    url=to, max_redirects=0, timeout=timeout_ms, max_retries=0
                )
            except Exception as e:
                why = f"could not load {where}: {_short(e)}"
                raise ours() or FetchError("browser", why) from None
            err = ours() if response.status == 502 else None
            if err is not None:
                raise err
            return response

        async def route(route, request) -> None:  # noqa: ANN001
            if request.resource_type in BLOCKED_TYPES:
                await route.abort("blockedbyclient")
                return
            target = request.url
            if not target.startswith(("http://", "https://")):
                await route.continue_()
                return
            host = urlsplit(target).hostname or ""
            why = await check(target)
            if why:
                blocked.append(why)
                await route.abort("blockedbyclient")
                return
            if request.is_navigation_request() and request.frame.parent_frame is None:
                if navigated["main"] and _host_key(host) != origin_host:
                    blocked.append(f"the page tried to leave for {target}")
                    await route.abort("blockedbyclient")
                    return
                # The browser follows redirects without asking this handler again, so the
                # document's redirect chain is walked here, one hop at a time, each hop
                # checked; the browser is then sent straight to the final address.
                current = target
                try:
                    response = await hop(route, None)
                    hops = 0
                    while 300 <= response.status < 400 and response.headers.get("location"):
                        hops += 1
                        nxt = urljoin(current, response.headers["location"])
                        why = await check(nxt) if hops <= MAX_REDIRECTS else "too many redirects"
                        if why:
                            blocked.append(why)
                            await route.abort("blockedbyclient")
                            return
                        current = nxt
                        response = await hop(route, nxt)
                except FetchError as e:  # not an exception in Playwright's listener: the
                    failures.append(e)  # navigation fails now, not at the deadline
                    await route.abort("failed")
                    return
                if current == target:
                    await route.fulfill(response=response)
                else:
                    await route.fulfill(status=302, headers={"Location": current})
                return
            await route.continue_()

        await context.route("**/*", route)
        page = await context.new_page()
        state["stage"] = "waiting for the server"
        try:
            response = await page.goto(url, wait_until="commit")
        except Exception:
            if blocked or (proxy and proxy.refused):
                raise FetchError("blocked", (blocked or proxy.refused)[0]) from None
            if failures:
                raise failures[0] from None
            raise
        if response is None:
            raise FetchError("browser", f"no response for {url}")
        status = response.status
        if status >= 400:
            raise FetchError("http", status_text(status, response.status_text), status=status)
        navigated["main"] = True
        state["stage"] = "waiting for the load event"
        await page.wait_for_load_state("load")
        state["stage"] = "waiting for the text to settle"
        await _settle(page)
        if expand:
            state["stage"] = "opening collapsed sections"
            await page.evaluate(_EXPAND_JS)
            await _settle(page)
        html = await page.content()
        headers = await response.all_headers()
        media, _charset = parse_content_type(headers.get("content-type"))
        return Capture(
            url=page.url,
            requested_url=url,
            fetched_at=datetime.now(UTC),
            source="live",
            status=status,
            content_type="text/html"
            if media in ("", "text/html", "application/xhtml+xml")
            else media,
            body=html.encode("utf-8"),
            charset="utf-8",
            etag=None,
            last_modified=headers.get("last-modified"),
            elapsed=time.monotonic() - started,
            rendered=True,
        )


async def _settle(page) -> None:  # noqa: ANN001
    """Visible words >= READY_WORDS and unchanged for QUIET seconds, or AFTER_LOAD passed."""
    start = time.monotonic()
    last = -1
    since = start
    while True:
        count = await page.evaluate(_WORDS_JS)
        now = time.monotonic()
        if count != last:
            last, since = count, now
        elif count >= READY_WORDS and now - since >= QUIET:
            return
        if now - start >= AFTER_LOAD:
            return
        await asyncio.sleep(POLL)


def _env_proxied() -> bool:
    """Whether the environment routes web traffic through a proxy (HTTPS_PROXY...): the
    browser then goes through it, as the HTTP fetcher does, and that proxy resolves names."""
    from urllib.request import getproxies

    return any(k in ("http", "https", "all") for k in getproxies())


def _host_key(host: str | None) -> str:
    h = (host or "").lower().rstrip(".")
    return h[4:] if h.startswith("www.") else h


def _short(e: BaseException) -> str:
    text = str(e).split("Call log:")[0]  # Playwright appends a multi-line log
    return shorten(text, 200) or type(e).__name__


def kill_tree(pid: int) -> None:
    """SIGKILL `pid` and all its descendants (and their process groups)."""
    victims = [pid, *_descendants(pid)]
    for p in victims:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            pgid = os.getpgid(p)
            if pgid != os.getpgid(0):
                os.killpg(pgid, signal.SIGKILL)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(p, signal.SIGKILL)


def _descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    out: list[int] = []
    todo = [pid]
    while todo:
        for c in children.get(todo.pop(), []):
            out.append(c)
            todo.append(c)
    return out


# -- one browser per process --------------------------------------------------------------------

_SHARED: dict[tuple[str | None, int, str], BrowserFetcher] = {}
_SHARED_LOCK = threading.Lock()


def shared_browser(settings: FetchSettings) -> BrowserFetcher:
    """This process's browser for these settings (started only when a page needs it)."""
    key = (settings.browser, settings.render_concurrency, settings.user_agent)
    with _SHARED_LOCK:
        b = _SHARED.get(key)
        if b is None:
            b = _SHARED[key] = BrowserFetcher(settings)
        return b


def _close_all() -> None:
    for b in list(_SHARED.values()):
        with contextlib.suppress(Exception):
            b.close()


def _forget_after_fork() -> None:
    _SHARED.clear()  # a child starts its own browser; the parent's loop thread is not here


atexit.register(_close_all)
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_after_fork)
