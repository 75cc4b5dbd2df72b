"""Live HTTP fetching: limits, retries, politeness and conditional GET.

`Fetcher.fetch(url)` returns a `Capture` or raises `FetchError(kind, message)` whose message is a
one-line cause a user understands ("connection refused by 127.0.0.1:8080", "HTTP 404 Not Found",
"response larger than 10,000,000 bytes"...).

How it stays safe against hostile or broken servers:

- redirects are followed by hand (at most `MAX_REDIRECTS`), every hop checked: http/https only,
  a host present, no loop, and no move to a loopback/private/link-local/metadata address
  unless the watch's own URL is there too or it says `allow_private` (see netguard.py);
- every HTTP exchange (request, headers and whole body) has a wall-clock deadline of
  `settings.timeout`, enforced by one shared watchdog thread that shuts the socket down when
  the deadline passes, so a server dripping a byte per second (in the headers or the body)
  cannot hold a check forever; connect and each read also time out after `settings.timeout`;
- the body is streamed against `settings.max_bytes` (wire bytes, Content-Length checked first)
  and `settings.max_decompressed_bytes` (decoded bytes, so a gzip bomb aborts cleanly: urllib3
  decompresses at most one chunk's worth at a time);
- retries with exponential backoff on timeouts, resets and 500/502/503/504; Retry-After honoured
  once when short, otherwise `rate_limited` with `retry_after` so the scheduler can come back.

One `requests.Session` per thread (they are not thread-safe), created once and reused, so a warm
check costs little CPU. Cookies live for one `fetch()` only (kept across its redirect hops, so
"set cookie and redirect to yourself" pages work) and never leak between watches.
"""

from __future__ import annotations

import os
import threading
import time
import warnings
from datetime import UTC, datetime
from urllib.parse import urldefrag, urljoin, urlsplit

import requests
import urllib3
from urllib3.exceptions import InsecureRequestWarning

from watcher.fetchers.httputil import (
    _WATCHDOG,  # noqa: F401 - re-exported for the fault tests
    CHUNK,
    Deadline,
    DeadlineAdapter,
    HostThrottle,
    Retry,
    classify_request_error,
    close_response,
    deadline,
    parse_content_type,
    parse_retry_after,
    read_capped,
    retried_suffix,
    secs,
    status_text,
    with_retries,
)
from watcher.fetchers.netguard import DEFAULT_GUARD, AddressGuard
from watcher.models import Capture, FetchError, FetchSettings

__all__ = ["HostThrottle", "Fetcher", "MAX_REDIRECTS", "parse_retry_after"]

MAX_REDIRECTS = 10
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
RETRY_STATUSES = frozenset({500, 502, 503, 504})
ACCEPT = (
    "text/html,application/xhtml+xml,application/xml;q=0.9,application/pdf;q=0.9,"
    "text/plain;q=0.8,*/*;q=0.5"
)


class _Result:
    __slots__ = ("url", "status", "reason", "headers", "body", "response")

    def __init__(self, url, status, reason, headers, body=b"", response=None) -> None:
        self.url = url
        self.status = status
        self.reason = reason
        self.headers = headers
        self.body = body
        self.response = response


# -- the fetcher ------------------------------------------------------------------------------


class Fetcher:
    """Fetch live pages with the `[fetch]` settings; safe to share between threads."""

    #: first backoff pause between attempts (doubles each retry, capped at `backoff_max`)
    backoff: float = 0.5
    backoff_max: float = 8.0

    def __init__(
        self,
        settings: FetchSettings,
        throttle: HostThrottle | None = None,
        *,
        guard: AddressGuard | None = None,
    ) -> None:
        self.settings = settings
        self.throttle = throttle
        self.guard = guard or DEFAULT_GUARD
        self._local = threading.local()
        self._sessions: list[requests.Session] = []
        self._sessions_lock = threading.Lock()
        self._headers = {
            "User-Agent": settings.user_agent,
            "Accept": ACCEPT,
            "Accept-Language": "en",
            "Accept-Encoding": urllib3.util.request.ACCEPT_ENCODING,
        }
        # The environment is read once here, not per request (requests' trust_env does file and
        # env look-ups on every call).
        self._ca_bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
        env_proxies = {
            k: v for k, v in requests.utils.getproxies().items() if k in ("http", "https", "all")
        }
        self._proxies = env_proxies
        self._no_proxy = os.environ.get("no_proxy") or os.environ.get("NO_PROXY")
        self._proxy_cache: dict[str, dict[str, str]] = {}

    # -- sessions ------------------------------------------------------------------------
    def _session(self) -> requests.Session:
        s = getattr(self._local, "session", None)
        if s is None:
            s = requests.Session()
            s.trust_env = False
            s.headers.clear()
            s.headers.update(self._headers)
            adapter = DeadlineAdapter(pool_connections=32, pool_maxsize=2, max_retries=0)
            s.mount("http://", adapter)
            s.mount("https://", adapter)
            self._local.session = s
            with self._sessions_lock:
                self._sessions.append(s)
        return s

    def close(self) -> None:
        """Close every pooled connection (sessions are recreated if used again)."""
        with self._sessions_lock:
            sessions, self._sessions = self._sessions, []
        for s in sessions:
            s.close()
        self._local = threading.local()

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _proxies_for(self, url: str, host: str) -> dict[str, str] | None:
        if not self._proxies:
            return None
        p = self._proxy_cache.get(host)
        if p is None:
            bypass = requests.utils.should_bypass_proxies(url, no_proxy=self._no_proxy)
            p = {} if bypass else self._proxies
            self._proxy_cache[host] = p
        return p or None

    # -- public ----------------------------------------------------------------------------
    def fetch(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        verify: bool = True,
        allow_private: bool = False,
    ) -> Capture:
        """GET `url`, following redirects (never to a private address from a public page
        unless `allow_private`); raise FetchError with a one-line cause."""
        started = time.monotonic()
        waited = 0.0
        parts = _check_url(url, redirect=False)
        headers: dict[str, str] = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        if not verify:
            _quiet_insecure_warning()
        session = self._session()
        session.cookies.clear()  # cookies live for one fetch (and its redirect hops)

        current = url
        seen = {(urldefrag(current)[0], ())}
        chain = [current]
        hops = 0
        retry_after_used = False
        while True:
            res, w, retry_after_used = self._exchange(
                session, current, parts, headers, verify, retry_after_used
            )
            waited += w
            if res.status in REDIRECT_STATUSES:
                location = _location(res)
                close_response(res.response)
                if not location:
                    raise FetchError(
                        "redirect",
                        f"{status_text(res.status, res.reason)} without a Location header",
                        status=res.status,
                    )
                nxt = urljoin(current, location)
                parts = _check_url(nxt, redirect=True)
                self.guard.check(nxt, origin=url, allow_private=allow_private)
                hops += 1
                if hops > MAX_REDIRECTS:
                    raise FetchError(
                        "redirect", f"more than {MAX_REDIRECTS} redirects (last to {nxt})"
                    )
                cookies = tuple(sorted((c.name, c.value or "") for c in session.cookies))
                key = (urldefrag(nxt)[0], cookies)
                chain.append(nxt)
                if key in seen:
                    raise FetchError("redirect", "redirect loop: " + " -> ".join(chain[-4:]))
                seen.add(key)
                current = nxt
                continue
            break

        if res.status == 304:
            if not (etag or last_modified):
                raise FetchError("protocol", "304 Not Modified without a prior version", status=304)
            media, charset = parse_content_type(res.headers.get("Content-Type"))
            return Capture(
                url=current,
                requested_url=url,
                fetched_at=datetime.now(UTC),
                source="live",
                status=304,
                content_type=media,
                body=b"",
                charset=charset,
                etag=res.headers.get("ETag") or etag,
                last_modified=res.headers.get("Last-Modified") or last_modified,
                elapsed=time.monotonic() - started - waited,
            )
        media, charset = parse_content_type(res.headers.get("Content-Type"))
        return Capture(
            url=current,
            requested_url=url,
            fetched_at=datetime.now(UTC),
            source="live",
            status=res.status,
            content_type=media,
            body=res.body,
            charset=charset,
            etag=res.headers.get("ETag"),
            last_modified=res.headers.get("Last-Modified"),
            elapsed=time.monotonic() - started - waited,
        )

    # -- one URL, with retries -------------------------------------------------------------
    def _exchange(
        self,
        session: requests.Session,
        url: str,
        parts,
        headers: dict[str, str],
        verify: bool,
        retry_after_used: bool,
    ) -> tuple[_Result, float, bool]:
        """GET one URL (no redirect following) with retries; return (result, seconds
        waited in politeness/Retry-After pauses, whether Retry-After was used)."""
        s = self.settings
        host = parts.hostname or ""
        waited = [0.0]  # throttle pauses (the retry loop counts its own)
        used = [retry_after_used]

        def attempt(_n: int) -> _Result:
            if self.throttle is not None:
                blocked = self.throttle.blocked_for(host)
                if blocked > s.timeout:
                    raise FetchError(
                        "rate_limited",
                        f"{host} asked us to slow down; retry after {blocked:.0f}s",
                        retry_after=blocked,
                    )
                waited[0] += self.throttle.wait(host)
            res = self._attempt(session, url, parts, headers, verify)
            status = res.status
            if status < 400 or (status not in RETRY_STATUSES and status != 429):
                if status >= 400:
                    close_response(res.response)
                    raise FetchError("http", status_text(status, res.reason), status=status)
                return res

            # 429 / 5xx worth retrying
            close_response(res.response)
            text = status_text(status, res.reason)
            ra = parse_retry_after(res.headers.get("Retry-After"))
            if status in (429, 503) and ra is not None:
                if self.throttle is not None:
                    self.throttle.penalize(host, ra)
                if ra > s.timeout or used[0]:
                    raise FetchError(
                        "rate_limited",
                        f"{text}; retry after {ra:.0f}s",
                        status=status,
                        retry_after=ra,
                    )
                used[0] = True
                # with a throttle, its penalty makes the next wait; else sleep it here
                raise Retry(
                    FetchError("http", text, status=status),
                    free=True,
                    after=ra if self.throttle is None else None,
                )
            if status == 429:
                raise FetchError("rate_limited", f"{text} (no Retry-After)", status=429)
            raise Retry(FetchError("http", text, status=status))

        res, slept = with_retries(
            attempt,
            retries=s.retries,
            backoff=self.backoff,
            backoff_max=self.backoff_max,
            exhausted=_exhausted,
        )
        return res, waited[0] + slept, used[0]

    # -- one HTTP exchange -----------------------------------------------------------------
    def _attempt(
        self,
        session: requests.Session,
        url: str,
        parts,
        headers: dict[str, str],
        verify: bool,
    ) -> _Result:
        s = self.settings
        host = parts.hostname or ""
        port = parts.port or (443 if parts.scheme == "https" else 80)
        where = f"{host}:{port}"
        with deadline(s.timeout) as timer:
            try:
                resp = session.get(
                    url,
                    headers=headers,
                    allow_redirects=False,
                    stream=True,
                    timeout=(s.timeout, s.timeout),
                    verify=(self._ca_bundle or True) if verify else False,
                    proxies=self._proxies_for(url, host),
                )
            except Exception as exc:
                raise classify_request_error(exc, host, where, s.timeout, timer) from None
            if timer.fired:  # the headers were cut short by the deadline
                close_response(resp)
                raise Retry(
                    FetchError(
                        "timeout",
                        f"timed out after {secs(s.timeout)} waiting for a response from {where}",
                    )
                )
            status = resp.status_code
            res = _Result(url, status, resp.reason, resp.headers, b"", resp)
            if status in REDIRECT_STATUSES or status >= 400 or status == 304 or status == 204:
                _drain(resp, timer)
                return res
            res.body = read_capped(
                resp,
                timer,
                where=where,
                timeout=s.timeout,
                max_bytes=s.max_bytes,
                max_decoded=s.max_decompressed_bytes,
            )
            res.response = None
            return res


_insecure_quieted = False


def _quiet_insecure_warning() -> None:
    """verify=False is an explicit, logged opt-out (monitor logs it): no warning per request."""
    global _insecure_quieted
    if not _insecure_quieted:
        warnings.filterwarnings("ignore", category=InsecureRequestWarning)
        _insecure_quieted = True


# -- URL checks and classification ------------------------------------------------------------


def _check_url(url: str, *, redirect: bool):
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError as exc:
        raise FetchError(
            "redirect" if redirect else "scheme", f"invalid URL {url!r}: {exc}"
        ) from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        what = f"'{scheme}'" if scheme else "(none)"
        if redirect:
            raise FetchError("scheme", f"redirect to unsupported scheme {what}")
        raise FetchError("scheme", f"unsupported URL scheme {what} (only http and https)")
    if not parts.hostname:
        prefix = "redirect to a URL" if redirect else "URL"
        raise FetchError("redirect" if redirect else "scheme", f"{prefix} without a host: {url}")
    return parts


def _location(res: _Result) -> str | None:
    loc = res.headers.get("Location")
    if loc is None:
        return None
    # like requests: a UTF-8 Location that http.client decoded as latin-1
    try:
        loc = loc.encode("latin1").decode("utf8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        pass
    return requests.utils.requote_uri(loc.strip())


def _drain(resp: requests.Response, timer: Deadline) -> None:
    """Read a small body we do not need so the connection can be reused; else close it."""
    declared = resp.headers.get("Content-Length")
    if declared is not None and declared.strip().isdigit() and int(declared) <= CHUNK:
        try:
            resp.raw.read(decode_content=False)
            if not timer.fired:
                return
        except Exception:
            pass
    close_response(resp)


def _exhausted(error: Exception, retries: int) -> FetchError:
    e = error if isinstance(error, FetchError) else FetchError("protocol", str(error))
    return FetchError(e.kind, str(e) + retried_suffix(retries), status=e.status)
