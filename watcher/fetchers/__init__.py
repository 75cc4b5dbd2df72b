"""Fetchers: how a watch's page is obtained.

A fetcher is anything with `fetch(url, *, etag, last_modified, verify, allow_private) -> Capture`
that raises `FetchError` (one-line cause) on failure: the plain HTTP client (`http.Fetcher`)
and the headless browser (`browser.BrowserFetcher`). `for_watch(watch, http, browser)` picks the
one a watch's `render` / `expand` keys ask for:

- `render = "http"`: the plain fetch, always;
- `render = "browser"` or `expand = true`: the browser (an error with the install hint when
  Chromium or the `[browser]` extra is missing);
- `render = "auto"` (the default): the plain fetch, and when the page is a JavaScript shell
  (`jsshell.looks_like_js_shell`) the browser renders it; without a browser the capture is
  marked `needs_js` and the check becomes `suspicious` with `NEEDS_JS_HINT`.

Adding a fetcher: a class with that `fetch` method (and `close`), chosen in `for_watch`.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable
from urllib.parse import urlsplit

from watcher.fetchers.jsshell import looks_like_js_shell
from watcher.models import Capture, FetchError, FetchSettings, Watch

__all__ = [
    "BROWSER_MISSING_HINT",
    "NEEDS_JS_HINT",
    "Fetcher",
    "Renderer",
    "fetch_once",
    "for_watch",
]

NEEDS_JS_HINT = (
    "this page needs JavaScript: install Chromium (apt-get install chromium-headless-shell) "
    'or set render = "http" to accept the page as served'
)
BROWSER_MISSING_HINT = (
    'this watch needs a browser (render = "browser" or expand = true): install Chromium '
    "(apt-get install chromium-headless-shell) and pip install 'policy-watcher[browser]'"
)


@runtime_checkable
class Fetcher(Protocol):
    """What a check needs from a fetcher."""

    def fetch(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        verify: bool = True,
        allow_private: bool = False,
    ) -> Capture: ...

    def close(self) -> None: ...


class Renderer(Fetcher, Protocol):
    """A fetcher that runs the page's JavaScript (and can open collapsed sections)."""

    def missing(self) -> str | None:
        """Why this renderer cannot run here (one line), or None when it can."""
        ...

    def render(
        self,
        url: str,
        *,
        verify: bool = True,
        allow_private: bool = False,
        expand: bool = False,
    ) -> Capture: ...


def _polite(http: Fetcher, url: str) -> None:
    """A render asks the host too: it waits its turn in the HTTP fetcher's HostThrottle."""
    throttle = getattr(http, "throttle", None)
    if throttle is not None:
        throttle.wait(urlsplit(url).hostname or "")


class _BrowserFor:
    """The browser, bound to one watch's `expand`."""

    def __init__(self, http: Fetcher, browser: Renderer | None, expand: bool) -> None:
        self.http = http
        self.browser = browser
        self.expand = expand

    def fetch(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        verify: bool = True,
        allow_private: bool = False,
    ) -> Capture:
        why = self.browser.missing() if self.browser is not None else "no browser configured"
        if why or self.browser is None:
            raise FetchError("browser", f"{BROWSER_MISSING_HINT} ({why})")
        _polite(self.http, url)
        return self.browser.render(
            url, verify=verify, allow_private=allow_private, expand=self.expand
        )

    def close(self) -> None:
        pass


class _Auto:
    """Plain fetch; a JavaScript shell goes to the browser (or is marked `needs_js`)."""

    def __init__(self, http: Fetcher, browser: Renderer | None) -> None:
        self.http = http
        self.browser = browser

    def fetch(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        verify: bool = True,
        allow_private: bool = False,
    ) -> Capture:
        capture = self.http.fetch(
            url,
            etag=etag,
            last_modified=last_modified,
            verify=verify,
            allow_private=allow_private,
        )
        if capture.not_modified or not looks_like_js_shell(
            capture.body, capture.content_type, capture.charset
        ):
            return capture
        if self.browser is None or self.browser.missing():
            capture.needs_js = True
            return capture
        # the final URL: its redirects were already followed (and checked) by the plain fetch
        _polite(self.http, capture.url)
        rendered = self.browser.render(capture.url, verify=verify, allow_private=allow_private)
        rendered.requested_url = url
        return rendered

    def close(self) -> None:
        pass


def fetch_once(
    url: str,
    settings: FetchSettings,
    *,
    render: str = "auto",
    expand: bool = False,
    allow_private: bool = False,
    verify: bool = True,
) -> Capture:
    """One fetch outside any watch (`watcher extract URL --render ...`): the same choice of
    fetcher as a watch with these keys would get; the browser is closed afterwards."""
    from watcher.fetchers.browser import BrowserFetcher
    from watcher.fetchers.http import Fetcher as HttpFetcher

    watch = Watch(name="extract", url=url, render=render, expand=expand)
    browser = BrowserFetcher(settings)
    try:
        with HttpFetcher(settings) as http:
            return for_watch(watch, http, browser).fetch(
                url, verify=verify, allow_private=allow_private
            )
    finally:
        browser.close()


def for_watch(watch: Watch, http: Fetcher, browser: Renderer | None = None) -> Fetcher:
    """The fetcher for this watch's `render` / `expand` keys."""
    if watch.wants_browser:
        return _BrowserFor(http, browser, watch.expand)
    if watch.render == "http":
        return http
    return _Auto(http, browser)
