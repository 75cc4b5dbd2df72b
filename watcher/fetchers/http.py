"""Live HTTP fetching: limits, retries, politeness and conditional GET.

`Fetcher.fetch(url)` returns a `Capture` or raises `FetchError(kind, message)` whose message is a
one-line cause a user understands ("connection refused by 127.0.0.1:8080", "HTTP 404 Not Found",
"response larger than 10,000,000 bytes"...).

How it stays safe against hostile or broken servers:

- redirects are followed by hand (at most `MAX_REDIRECTS`), every hop checked: http/https only,
  a host present, no loop;
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

import contextlib
import heapq
import http.client
import itertools
import os
import socket
import ssl
import threading
import time
import warnings
from collections.abc import Iterator
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from http import HTTPStatus
from urllib.parse import urldefrag, urljoin, urlsplit

import requests
import urllib3
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import InsecureRequestWarning

from watcher.models import Capture, FetchError, FetchSettings
from watcher.textutil import shorten

__all__ = ["HostThrottle", "Fetcher", "MAX_REDIRECTS"]

MAX_REDIRECTS = 10
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
RETRY_STATUSES = frozenset({500, 502, 503, 504})
CHUNK = 64 * 1024
ACCEPT = (
    "text/html,application/xhtml+xml,application/xml;q=0.9,application/pdf;q=0.9,"
    "text/plain;q=0.8,*/*;q=0.5"
)


# -- politeness ------------------------------------------------------------------------------


class HostThrottle:
    """Per-host spacing of requests, shared by all concurrent checks.

    `wait(host)` reserves the host's next free slot under a lock and sleeps until it, so
    concurrent threads queue `delay` seconds apart (measured between request starts).
    `penalize(host, seconds)` pushes the next slot back (a server's Retry-After);
    `blocked_for(host)` tells how long that penalty still lasts.
    """

    def __init__(self, delay: float) -> None:
        self.delay = max(0.0, float(delay))
        self._lock = threading.Lock()
        self._next: dict[str, float] = {}  # host -> monotonic time of its next free slot
        self._blocked: dict[str, float] = {}  # host -> monotonic end of a Retry-After penalty

    @staticmethod
    def _key(host: str) -> str:
        return host.lower()

    def wait(self, host: str) -> float:
        """Block until this host may be asked again; return the seconds slept."""
        key = self._key(host)
        with self._lock:
            now = time.monotonic()
            slot = max(now, self._next.get(key, 0.0), self._blocked.get(key, 0.0))
            self._next[key] = slot + self.delay
        pause = slot - now
        if pause > 0:
            time.sleep(pause)
            return pause
        return 0.0

    def penalize(self, host: str, seconds: float) -> None:
        """Nobody asks `host` again for `seconds` (counted from now)."""
        key = self._key(host)
        with self._lock:
            until = time.monotonic() + max(0.0, seconds)
            if until > self._blocked.get(key, 0.0):
                self._blocked[key] = until
            if until > self._next.get(key, 0.0):
                self._next[key] = until

    def blocked_for(self, host: str) -> float:
        """Seconds left of a penalty on `host` (0.0 if none)."""
        with self._lock:
            until = self._blocked.get(self._key(host))
        if until is None:
            return 0.0
        return max(0.0, until - time.monotonic())


# -- wall-clock deadline per exchange ---------------------------------------------------------


class _Timer:
    """One armed deadline; when it fires, the attached socket is shut down."""

    __slots__ = ("deadline", "sock", "fired", "cancelled", "_dog")

    def __init__(self, deadline: float, dog: _Watchdog) -> None:
        self.deadline = deadline
        self.sock: socket.socket | None = None
        self.fired = False
        self.cancelled = False
        self._dog = dog

    def attach(self, sock: socket.socket) -> None:
        with self._dog._cond:
            self.sock = sock
            if self.fired and not self.cancelled:
                _shutdown(sock)

    def cancel(self) -> None:
        with self._dog._cond:
            if not self.cancelled:
                self.cancelled = True
                self.sock = None
                if not self.fired:
                    self._dog._cancelled += 1

    def _fire(self) -> None:  # called with the lock held
        self.fired = True
        if self.sock is not None:
            _shutdown(self.sock)


def _shutdown(sock: socket.socket) -> None:
    # socket.socket.shutdown, not SSLSocket.shutdown (which would drop the SSL object under the
    # reading thread): the blocked read then sees EOF or an error and returns.
    with contextlib.suppress(OSError):
        socket.socket.shutdown(sock, socket.SHUT_RDWR)


class _Watchdog:
    """A single daemon thread serving every deadline (cheap to arm: a heap push).

    Finished exchanges cancel their timer; cancelled entries are dropped lazily (popped when
    due, or compacted away when they are most of the heap). Deadlines fire within `SLACK`.
    """

    SLACK = 0.02

    def __init__(self) -> None:
        self._cond = threading.Condition(threading.Lock())
        self._heap: list[tuple[float, int, _Timer]] = []
        self._seq = itertools.count()
        self._thread: threading.Thread | None = None
        self._cancelled = 0  # cancelled timers still in the heap

    def _reset_after_fork(self) -> None:
        self._cond = threading.Condition(threading.Lock())
        self._heap = []
        self._thread = None
        self._cancelled = 0

    def arm(self, seconds: float) -> _Timer:
        deadline = time.monotonic() + seconds
        timer = _Timer(deadline, self)
        with self._cond:
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="fetch-watchdog", daemon=True
                )
                self._thread.start()
            heap = self._heap
            if self._cancelled > 1024 and self._cancelled * 2 > len(heap):
                heap[:] = [e for e in heap if not e[2].cancelled]
                heapq.heapify(heap)
                self._cancelled = 0
            heapq.heappush(heap, (deadline, next(self._seq), timer))
            if heap[0][2] is timer:
                self._cond.notify()
        return timer

    def _run(self) -> None:
        cond = self._cond
        with cond:
            heap = self._heap
            while True:
                now = time.monotonic()
                while heap and heap[0][0] <= now:
                    timer = heapq.heappop(heap)[2]
                    if timer.cancelled:
                        self._cancelled -= 1
                    else:
                        timer._fire()
                cond.wait(max(heap[0][0] - now, self.SLACK) if heap else None)


_WATCHDOG = _Watchdog()
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_WATCHDOG._reset_after_fork)
_current = threading.local()  # .timer: the _Timer of this thread's exchange in progress


class _HookedHTTPConnection(HTTPConnection):
    def getresponse(self):  # type: ignore[override]
        timer = getattr(_current, "timer", None)
        if timer is not None and self.sock is not None:
            timer.attach(self.sock)
        return super().getresponse()


class _HookedHTTPSConnection(HTTPSConnection):
    def getresponse(self):  # type: ignore[override]
        timer = getattr(_current, "timer", None)
        if timer is not None and self.sock is not None:
            timer.attach(self.sock)
        return super().getresponse()


class _HTTPPool(HTTPConnectionPool):
    ConnectionCls = _HookedHTTPConnection


class _HTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _HookedHTTPSConnection


class _Adapter(HTTPAdapter):
    def init_poolmanager(self, *args, **kwargs) -> None:  # type: ignore[override]
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _HTTPPool, "https": _HTTPSPool}

    def proxy_manager_for(self, proxy, **proxy_kwargs):  # type: ignore[override]
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        if type(manager) is urllib3.ProxyManager:  # (not SOCKS)
            manager.pool_classes_by_scheme = {"http": _HTTPPool, "https": _HTTPSPool}
        return manager


# -- helpers ----------------------------------------------------------------------------------


def _secs(x: float) -> str:
    return f"{x:g}s"


def _n(x: int) -> str:
    return f"{x:,}"


def _retried(n: int) -> str:
    return f" (retried {n} time{'s' if n != 1 else ''})" if n else ""


def _status_text(status: int, reason: str | None) -> str:
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = " ".join((reason or "").split())[:60]
    return f"HTTP {status} {phrase}".rstrip()


def _parse_content_type(value: str | None) -> tuple[str, str | None]:
    if not value:
        return "", None
    parts = value.split(";")
    media = parts[0].strip().lower()
    charset = None
    for p in parts[1:]:
        name, sep, val = p.partition("=")
        if sep and name.strip().lower() == "charset":
            charset = val.strip().strip("\"'").strip().lower() or None
    return media, charset


def parse_retry_after(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP-date), or None."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _chain(exc: BaseException | None) -> Iterator[BaseException]:
    """The exception, its causes/contexts, and urllib3's wrapped `.reason`s, once each."""
    seen: set[int] = set()
    todo = [exc]
    while todo:
        e = todo.pop(0)
        if e is None or id(e) in seen:
            continue
        seen.add(id(e))
        yield e
        more = [getattr(e, "reason", None), e.__cause__, e.__context__, *getattr(e, "args", ())]
        todo.extend(a for a in more if isinstance(a, BaseException))


def _find(exc: BaseException, *types: type) -> BaseException | None:
    for e in _chain(exc):
        if isinstance(e, types):
            return e
    return None


class _Retry(Exception):
    """A failure worth another attempt; `error` is what to raise if none is left."""

    def __init__(self, error: FetchError, *, immediate: bool = False) -> None:
        super().__init__(str(error))
        self.error = error
        self.immediate = immediate  # e.g. a stale keep-alive connection: no backoff needed


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

    def __init__(self, settings: FetchSettings, throttle: HostThrottle | None = None) -> None:
        self.settings = settings
        self.throttle = throttle
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
            adapter = _Adapter(pool_connections=32, pool_maxsize=2, max_retries=0)
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
    ) -> Capture:
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
                _close(res.response)
                if not location:
                    raise FetchError(
                        "redirect",
                        f"{_status_text(res.status, res.reason)} without a Location header",
                        status=res.status,
                    )
                nxt = urljoin(current, location)
                parts = _check_url(nxt, redirect=True)
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
            media, charset = _parse_content_type(res.headers.get("Content-Type"))
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
        media, charset = _parse_content_type(res.headers.get("Content-Type"))
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
        waited = 0.0
        attempt = 0
        while True:
            if self.throttle is not None:
                blocked = self.throttle.blocked_for(host)
                if blocked > s.timeout:
                    raise FetchError(
                        "rate_limited",
                        f"{host} asked us to slow down; retry after {blocked:.0f}s",
                        retry_after=blocked,
                    )
                waited += self.throttle.wait(host)
            try:
                res = self._attempt(session, url, parts, headers, verify)
            except _Retry as r:
                if attempt >= s.retries:
                    e = r.error
                    raise FetchError(e.kind, str(e) + _retried(attempt), status=e.status) from None
                pause = 0.0 if r.immediate else self._backoff(attempt)
                attempt += 1
                time.sleep(pause)
                waited += pause
                continue

            status = res.status
            if status < 400 or (status not in RETRY_STATUSES and status != 429):
                if status >= 400:
                    _close(res.response)
                    raise FetchError("http", _status_text(status, res.reason), status=status)
                return res, waited, retry_after_used

            # 429 / 5xx worth retrying
            _close(res.response)
            text = _status_text(status, res.reason)
            ra = parse_retry_after(res.headers.get("Retry-After"))
            if status in (429, 503) and ra is not None:
                if self.throttle is not None:
                    self.throttle.penalize(host, ra)
                if ra > s.timeout or retry_after_used:
                    raise FetchError(
                        "rate_limited",
                        f"{text}; retry after {ra:.0f}s",
                        status=status,
                        retry_after=ra,
                    )
                retry_after_used = True
                if self.throttle is None:  # else the throttle's penalty makes the next wait
                    time.sleep(ra)
                    waited += ra
                continue
            if status == 429:
                raise FetchError("rate_limited", f"{text} (no Retry-After)", status=429)
            if attempt >= s.retries:
                raise FetchError("http", text + _retried(attempt), status=status)
            pause = self._backoff(attempt)
            attempt += 1
            time.sleep(pause)
            waited += pause

    def _backoff(self, attempt: int) -> float:
        return min(self.backoff * (2**attempt), self.backoff_max)

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
        timer = _WATCHDOG.arm(s.timeout)
        _current.timer = timer
        try:
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
                raise _classify_request_error(exc, host, where, s.timeout, timer) from None
            if timer.fired:  # the headers were cut short by the deadline
                _close(resp)
                raise _Retry(
                    FetchError(
                        "timeout",
                        f"timed out after {_secs(s.timeout)} waiting for a response from {where}",
                    )
                )
            status = resp.status_code
            res = _Result(url, status, resp.reason, resp.headers, b"", resp)
            if status in REDIRECT_STATUSES or status >= 400 or status == 304 or status == 204:
                _drain(resp, timer)
                return res
            res.body = self._read_body(resp, where, timer)
            res.response = None
            return res
        finally:
            timer.cancel()
            _current.timer = None

    def _read_body(self, resp: requests.Response, where: str, timer: _Timer) -> bytes:
        s = self.settings
        max_bytes = s.max_bytes
        max_decoded = s.max_decompressed_bytes
        declared = resp.headers.get("Content-Length")
        length: int | None = None
        if declared is not None and declared.strip().isdigit():
            length = int(declared)
            if length > max_bytes:
                _close(resp)
                raise FetchError(
                    "too_large",
                    f"response larger than {_n(max_bytes)} bytes (Content-Length: {_n(length)})",
                    status=resp.status_code,
                )
        raw = resp.raw
        chunks: list[bytes] = []
        decoded = 0
        try:
            while True:
                data = raw.read(CHUNK, decode_content=True)
                if not data:
                    break
                chunks.append(data)
                decoded += len(data)
                if time.monotonic() > timer.deadline:  # backstop for the watchdog
                    timer.fired = True
                    raise _Retry(_timeout_body(s.timeout, raw.tell(), length))
                if raw.tell() > max_bytes:
                    raise FetchError(
                        "too_large",
                        f"response larger than {_n(max_bytes)} bytes",
                        status=resp.status_code,
                    )
                if decoded > max_decoded:
                    raise FetchError(
                        "too_large",
                        f"decompressed response larger than {_n(max_decoded)} bytes "
                        "(compression bomb?)",
                        status=resp.status_code,
                    )
        except (FetchError, _Retry):
            _close(resp)
            raise
        except Exception as exc:
            _close(resp)
            if timer.fired:
                raise _Retry(_timeout_body(self.settings.timeout, raw.tell(), length)) from None
            raise _classify_body_error(
                exc, where, self.settings.timeout, raw.tell(), length, resp
            ) from None
        if timer.fired:  # the watchdog cut a close-delimited body short
            _close(resp)
            raise _Retry(_timeout_body(self.settings.timeout, raw.tell(), length))
        return b"".join(chunks)


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


def _close(resp: requests.Response | None) -> None:
    if resp is not None:
        with contextlib.suppress(Exception):
            resp.raw.close()
            resp.close()


def _drain(resp: requests.Response, timer: _Timer) -> None:
    """Read a small body we do not need so the connection can be reused; else close it."""
    declared = resp.headers.get("Content-Length")
    if declared is not None and declared.strip().isdigit() and int(declared) <= CHUNK:
        try:
            resp.raw.read(decode_content=False)
            if not timer.fired:
                return
        except Exception:
            pass
    _close(resp)


def _timeout_body(timeout: float, got: int, length: int | None) -> FetchError:
    of = f" of {_n(length)}" if length is not None else ""
    return FetchError(
        "timeout",
        f"timed out after {_secs(timeout)}: the server was still sending the page "
        f"({_n(got)}{of} bytes received)",
    )


def _classify_request_error(
    exc: BaseException, host: str, where: str, timeout: float, timer: _Timer
) -> Exception:
    """Map an error raised before the response headers arrived to FetchError or _Retry."""
    if _find(exc, socket.gaierror) is not None or _find(
        exc, urllib3.exceptions.NameResolutionError
    ):
        return FetchError("dns", f"DNS lookup failed for {host}")
    cert = _find(exc, ssl.SSLCertVerificationError)
    if cert is not None:
        detail = getattr(cert, "verify_message", None) or getattr(cert, "reason", None) or cert
        return FetchError("tls", f"TLS certificate verification failed: {detail}")
    if _find(exc, ConnectionRefusedError) is not None:
        return FetchError("connect", f"connection refused by {where}")
    if isinstance(exc, requests.exceptions.ConnectTimeout):  # (not NewConnectionError)
        return _Retry(
            FetchError("timeout", f"timed out after {_secs(timeout)} connecting to {where}")
        )
    sslerr = _find(exc, ssl.SSLError)
    if sslerr is not None and not timer.fired:
        reason = getattr(sslerr, "reason", None) or str(sslerr)
        reason = str(reason).replace("_", " ").lower()
        hint = " (is it really an HTTPS server?)" if "wrong version" in reason else ""
        return FetchError("tls", f"TLS handshake with {where} failed: {reason}{hint}")
    if timer.fired or isinstance(exc, requests.exceptions.ReadTimeout):
        return _Retry(
            FetchError(
                "timeout", f"timed out after {_secs(timeout)} waiting for a response from {where}"
            )
        )
    if isinstance(exc, requests.exceptions.ConnectionError):
        if _find(exc, urllib3.exceptions.NewConnectionError) is not None:
            os_err = _find(exc, OSError)
            detail = (
                os_err.strerror if isinstance(os_err, OSError) and os_err.strerror else str(exc)
            )
            return _Retry(FetchError("connect", f"could not connect to {where}: {detail}"))
        if _find(exc, http.client.RemoteDisconnected) is not None:
            return _Retry(
                FetchError("protocol", f"{where} closed the connection without a response"),
                immediate=True,
            )
        if _find(exc, ConnectionResetError) is not None:
            return _Retry(FetchError("protocol", f"connection reset by {where} before a response"))
        bad = _find(exc, http.client.HTTPException)
        if bad is not None:
            return FetchError("protocol", f"invalid HTTP response from {where}: {_short(bad)}")
        return _Retry(FetchError("connect", f"connection to {where} failed: {_short(exc)}"))
    if isinstance(exc, (requests.exceptions.InvalidURL, requests.exceptions.InvalidSchema)):
        return FetchError("scheme", f"invalid URL: {_short(exc)}")
    if isinstance(exc, (requests.exceptions.RequestException, OSError)):
        return FetchError("protocol", f"request to {where} failed: {_short(exc)}")
    return FetchError("protocol", f"request to {where} failed: {type(exc).__name__}: {_short(exc)}")


def _classify_body_error(
    exc: BaseException,
    where: str,
    timeout: float,
    got: int,
    length: int | None,
    resp: requests.Response,
) -> Exception:
    """Map an error raised while streaming the body."""
    if isinstance(exc, urllib3.exceptions.ReadTimeoutError) or _find(
        exc, TimeoutError, socket.timeout
    ):
        return _Retry(_timeout_body(timeout, got, length))
    if isinstance(exc, urllib3.exceptions.DecodeError):
        enc = resp.headers.get("Content-Encoding", "?")
        return FetchError("decode", f"could not decode the {enc}-encoded body: {_short(exc)}")
    of = f" of {_n(length)}" if length is not None else ""
    chunked = "chunked" in resp.headers.get("Transfer-Encoding", "").lower()
    if _find(exc, ConnectionResetError) is not None:
        return _Retry(
            FetchError(
                "protocol",
                f"connection reset by {where} in the middle of the body "
                f"({_n(got)}{of} bytes received)",
            )
        )
    if _find(exc, http.client.IncompleteRead, urllib3.exceptions.IncompleteRead) is not None:
        what = "chunked body" if chunked else "body"
        return _Retry(
            FetchError(
                "protocol",
                f"{where} closed the connection before the end of the {what} "
                f"({_n(got)}{of} bytes received)",
            )
        )
    if isinstance(exc, (urllib3.exceptions.ProtocolError, http.client.HTTPException, OSError)):
        return _Retry(
            FetchError(
                "protocol", f"connection to {where} broke while reading the body: {_short(exc)}"
            )
        )
    return FetchError("protocol", f"reading the body from {where} failed: {_short(exc)}")


def _short(exc: BaseException) -> str:
    return shorten(str(exc), 200) or type(exc).__name__
