"""What every HTTP client here shares: politeness, deadlines, retries, size caps, parsing.

Used by the live fetcher (`watcher.fetchers.http`) and meant for the Wayback client, so both
behave the same against slow, broken or hostile servers:

- `HostThrottle`: per-host spacing of requests and Retry-After penalties, shared by threads;
- `deadline(seconds)` + `mount_deadline_adapter(session)`: a wall-clock deadline over one whole
  HTTP exchange (headers and body), enforced by one watchdog thread that shuts the socket down,
  so a server dripping a byte per second cannot hold a request forever;
- `with_retries(attempt, ...)`: the one retry loop (exponential backoff; a `Retry` raised by the
  attempt asks for another, optionally after a server-given pause);
- `read_capped(resp, timer, ...)`: stream a body against wire and decompressed size caps and
  the deadline (a gzip bomb or a drip-feed becomes a one-line error);
- `parse_content_type`, `parse_retry_after`, `status_text`: header parsing;
- `classify_request_error` / `classify_body_error`: requests/urllib3 exceptions -> one-line
  `FetchError`s (or `Retry` when another attempt may help).
"""

from __future__ import annotations

import contextlib
import heapq
import http.client
import itertools
import math
import os
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from http import HTTPStatus
from typing import TypeVar

import requests
import urllib3
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from watcher.models import FetchError
from watcher.textutil import shorten

__all__ = [
    "CHUNK",
    "Deadline",
    "HostThrottle",
    "Retry",
    "classify_body_error",
    "classify_request_error",
    "close_response",
    "deadline",
    "mount_deadline_adapter",
    "parse_content_type",
    "parse_retry_after",
    "read_capped",
    "status_text",
    "with_retries",
]

CHUNK = 64 * 1024
T = TypeVar("T")


# -- politeness ------------------------------------------------------------------------------


class HostThrottle:
    """Per-host spacing of requests, shared by all concurrent checks.

    `wait(host)` reserves the host's next free slot under a lock and sleeps until it, so
    concurrent threads queue `delay` seconds apart (measured between request starts).
    `penalize(host, seconds)` pushes the next slot back (a server's Retry-After);
    `blocked_for(host)` tells how long that penalty still lasts.
    """

    def __init__(
        self,
        delay: float,
        *,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """`sleep` / `clock`: injectable for tests (a simulated clock)."""
        self.delay = max(0.0, float(delay))
        self._sleep = sleep
        self._clock = clock
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
            now = self._clock()
            slot = max(now, self._next.get(key, now), self._blocked.get(key, now))
            self._next[key] = slot + self.delay
        pause = slot - now
        if pause > 0:
            self._sleep(pause)
            with self._lock:  # a sleep that overran does not shorten the next gap
                woke = self._clock()
                if woke > slot:
                    self._next[key] = max(self._next[key], woke + self.delay)
            return pause
        return 0.0

    def penalize(self, host: str, seconds: float) -> None:
        """Nobody asks `host` again for `seconds` (counted from now)."""
        key = self._key(host)
        with self._lock:
            until = self._clock() + max(0.0, seconds)
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
        return max(0.0, until - self._clock())


# -- wall-clock deadline per exchange ---------------------------------------------------------


class Deadline:
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
        self._heap: list[tuple[float, int, Deadline]] = []
        self._seq = itertools.count()
        self._thread: threading.Thread | None = None
        self._cancelled = 0  # cancelled timers still in the heap

    def _reset_after_fork(self) -> None:
        self._cond = threading.Condition(threading.Lock())
        self._heap = []
        self._thread = None
        self._cancelled = 0

    def arm(self, seconds: float) -> Deadline:
        deadline = time.monotonic() + seconds
        timer = Deadline(deadline, self)
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
_current = threading.local()  # .timer: the Deadline of this thread's exchange in progress


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


class DeadlineAdapter(HTTPAdapter):
    def init_poolmanager(self, *args, **kwargs) -> None:  # type: ignore[override]
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _HTTPPool, "https": _HTTPSPool}

    def proxy_manager_for(self, proxy, **proxy_kwargs):  # type: ignore[override]
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        if type(manager) is urllib3.ProxyManager:  # (not SOCKS)
            manager.pool_classes_by_scheme = {"http": _HTTPPool, "https": _HTTPSPool}
        return manager


def mount_deadline_adapter(session: requests.Session, **adapter_args) -> requests.Session:
    """Make `session`'s connections obey `deadline()` (and never retry on their own)."""
    adapter_args.setdefault("max_retries", 0)
    adapter = DeadlineAdapter(**adapter_args)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


@contextlib.contextmanager
def deadline(seconds: float) -> Iterator[Deadline]:
    """Bound the HTTP exchange made in this block (on this thread, through a session with
    `mount_deadline_adapter`) to `seconds` of wall-clock time, headers and body together.

    When it passes, the socket is shut down and the blocked read returns; `timer.fired`
    tells the caller the cut was the deadline's.
    """
    timer = _WATCHDOG.arm(seconds)
    _current.timer = timer
    try:
        yield timer
    finally:
        timer.cancel()
        _current.timer = None


# -- helpers ----------------------------------------------------------------------------------


def secs(x: float) -> str:
    return f"{x:g}s"


def _n(x: int) -> str:
    return f"{x:,}"


def status_text(status: int, reason: str | None) -> str:
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = " ".join((reason or "").split())[:60]
    return f"HTTP {status} {phrase}".rstrip()


def parse_content_type(value: str | None) -> tuple[str, str | None]:
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


# -- the retry loop ---------------------------------------------------------------------------


class Retry(Exception):
    """Raised by one attempt: a failure worth another; `error` is raised when none is left.

    `immediate`: retry without backoff (a stale keep-alive connection); `after`: wait at least
    this long first (a server's Retry-After); `free`: this retry does not use up an attempt
    (a Retry-After honoured once).
    """

    def __init__(
        self,
        error: Exception,
        *,
        immediate: bool = False,
        after: float | None = None,
        free: bool = False,
    ) -> None:
        super().__init__(str(error))
        self.error = error
        self.immediate = immediate
        self.after = after
        self.free = free


def backoff_delay(attempt: int, base: float, cap: float = math.inf) -> float:
    """The pause before retry number `attempt + 1`: base, 2*base, 4*base... capped."""
    return min(base * (2**attempt), cap)


def with_retries(
    attempt: Callable[[int], T],
    *,
    retries: int,
    backoff: float,
    backoff_max: float = math.inf,
    sleep: Callable[[float], None] = time.sleep,
    exhausted: Callable[[Exception, int], Exception] | None = None,
    on_retry: Callable[[Exception, float], None] | None = None,
) -> tuple[T, float]:
    """Call `attempt(n)` (n = retries used so far) until it returns; return (its value,
    seconds slept between attempts).

    An attempt raises `Retry(error)` for a failure worth another try; after `retries` of them
    the error is raised (through `exhausted(error, retries_used)` when given, e.g. to add
    "(retried 2 times)"). Any other exception ends the loop at once.
    """
    used = 0
    slept = 0.0
    while True:
        try:
            return attempt(used), slept
        except Retry as r:
            if r.free:
                pause = 0.0
            else:
                if used >= retries:
                    err = exhausted(r.error, used) if exhausted is not None else r.error
                    raise err from None
                pause = 0.0 if r.immediate else backoff_delay(used, backoff, backoff_max)
                used += 1
            if r.after:
                pause = max(pause, r.after)
            if on_retry is not None:
                on_retry(r.error, pause)
            if pause > 0:
                sleep(pause)
                slept += pause


def retried_suffix(n: int) -> str:
    """' (retried 2 times)': for the message of an error that survived retries."""
    return f" (retried {n} time{'s' if n != 1 else ''})" if n else ""


# -- capped, deadline-bounded body read --------------------------------------------------------


def read_capped(
    resp: requests.Response,
    timer: Deadline,
    *,
    where: str,
    timeout: float,
    max_bytes: int,
    max_decoded: int,
) -> bytes:
    """The whole body of a streamed response, within the caps and the exchange's deadline.

    Raises FetchError("too_large") past `max_bytes` on the wire (Content-Length checked
    first) or past `max_decoded` decompressed bytes; `Retry(FetchError("timeout"))` when the
    deadline cuts the body; `Retry` or FetchError for a broken connection. Closes `resp` on
    error. `where` ("host:port") and `timeout` only word the messages.
    """
    declared = resp.headers.get("Content-Length")
    length: int | None = None
    if declared is not None and declared.strip().isdigit():
        length = int(declared)
        if length > max_bytes:
            close_response(resp)
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
                raise Retry(timeout_body(timeout, raw.tell(), length))
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
    except (FetchError, Retry):
        close_response(resp)
        raise
    except Exception as exc:
        close_response(resp)
        if timer.fired:
            raise Retry(timeout_body(timeout, raw.tell(), length)) from None
        raise classify_body_error(exc, where, timeout, raw.tell(), length, resp) from None
    if timer.fired:  # the watchdog cut a close-delimited body short
        close_response(resp)
        raise Retry(timeout_body(timeout, raw.tell(), length))
    return b"".join(chunks)


def close_response(resp: requests.Response | None) -> None:
    """Close a response and its connection, whatever state it is in."""
    if resp is not None:
        with contextlib.suppress(Exception):
            resp.raw.close()
            resp.close()


# -- error classification ----------------------------------------------------------------------


def timeout_body(timeout: float, got: int, length: int | None) -> FetchError:
    of = f" of {_n(length)}" if length is not None else ""
    return FetchError(
        "timeout",
        f"timed out after {secs(timeout)}: the server was still sending the page "
        f"({_n(got)}{of} bytes received)",
    )


def classify_request_error(
    exc: BaseException, host: str, where: str, timeout: float, timer: Deadline
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
        return Retry(
            FetchError("timeout", f"timed out after {secs(timeout)} connecting to {where}")
        )
    sslerr = _find(exc, ssl.SSLError)
    if sslerr is not None and not timer.fired:
        reason = getattr(sslerr, "reason", None) or str(sslerr)
        reason = str(reason).replace("_", " ").lower()
        hint = " (is it really an HTTPS server?)" if "wrong version" in reason else ""
        return FetchError("tls", f"TLS handshake with {where} failed: {reason}{hint}")
    if timer.fired or isinstance(exc, requests.exceptions.ReadTimeout):
        return Retry(
            FetchError(
                "timeout", f"timed out after {secs(timeout)} waiting for a response from {where}"
            )
        )
    if isinstance(exc, requests.exceptions.ConnectionError):
        if _find(exc, urllib3.exceptions.NewConnectionError) is not None:
            os_err = _find(exc, OSError)
            detail = (
                os_err.strerror if isinstance(os_err, OSError) and os_err.strerror else str(exc)
            )
            return Retry(FetchError("connect", f"could not connect to {where}: {detail}"))
        if _find(exc, http.client.RemoteDisconnected) is not None:
            return Retry(
                FetchError("protocol", f"{where} closed the connection without a response"),
                immediate=True,
            )
        if _find(exc, ConnectionResetError) is not None:
            return Retry(FetchError("protocol", f"connection reset by {where} before a response"))
        bad = _find(exc, http.client.HTTPException)
        if bad is not None:
            return FetchError("protocol", f"invalid HTTP response from {where}: {_short(bad)}")
        return Retry(FetchError("connect", f"connection to {where} failed: {_short(exc)}"))
    if isinstance(exc, (requests.exceptions.InvalidURL, requests.exceptions.InvalidSchema)):
        return FetchError("scheme", f"invalid URL: {_short(exc)}")
    if isinstance(exc, (requests.exceptions.RequestException, OSError)):
        return FetchError("protocol", f"request to {where} failed: {_short(exc)}")
    return FetchError("protocol", f"request to {where} failed: {type(exc).__name__}: {_short(exc)}")


def classify_body_error(
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
        return Retry(timeout_body(timeout, got, length))
    if isinstance(exc, urllib3.exceptions.DecodeError):
        enc = resp.headers.get("Content-Encoding", "?")
        return FetchError("decode", f"could not decode the {enc}-encoded body: {_short(exc)}")
    of = f" of {_n(length)}" if length is not None else ""
    chunked = "chunked" in resp.headers.get("Transfer-Encoding", "").lower()
    if _find(exc, ConnectionResetError) is not None:
        return Retry(
            FetchError(
                "protocol",
                f"connection reset by {where} in the middle of the body "
                f"({_n(got)}{of} bytes received)",
            )
        )
    if _find(exc, http.client.IncompleteRead, urllib3.exceptions.IncompleteRead) is not None:
        what = "chunked body" if chunked else "body"
        return Retry(
            FetchError(
                "protocol",
                f"{where} closed the connection before the end of the {what} "
                f"({_n(got)}{of} bytes received)",
            )
        )
    if isinstance(exc, (urllib3.exceptions.ProtocolError, http.client.HTTPException, OSError)):
        return Retry(
            FetchError(
                "protocol", f"connection to {where} broke while reading the body: {_short(exc)}"
            )
        )
    return FetchError("protocol", f"reading the body from {where} failed: {_short(exc)}")


def _short(exc: BaseException) -> str:
    return shorten(str(exc), 200) or type(exc).__name__
