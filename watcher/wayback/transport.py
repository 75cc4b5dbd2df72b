"""HTTP plumbing of the Wayback client: pacing, retries, one deadline per request, capped reads.

The overall deadline reuses the live fetcher's watchdog (watcher.fetchers.httputil): the socket of
a request is shut down when its deadline passes, so a server dripping one byte per second (in
the headers or the body) cannot hold a backfill. Bodies are read decompressed against a cap
(a gzip bomb stops at the cap), line by line for CDX listings.
"""

from __future__ import annotations

import contextlib
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator

import requests
import urllib3

from watcher.fetchers import httputil as _live

CHUNK = 64 * 1024

parse_retry_after = _live.parse_retry_after


def parse_content_type(value: str | None) -> tuple[str, str | None]:
    """(media type lower-cased or "", charset or None) of a Content-Type header."""
    return _live.parse_content_type(value)


class TooLarge(Exception):
    """A body went over its decompressed-size cap."""


class _DeadlinePassed(Exception):
    pass


class HttpFailure(Exception):
    """A request that failed for good: kind is timeout, connect, tls, status or protocol."""

    def __init__(
        self,
        kind: str,
        message: str,
        *,
        attempts: int,
        timeout: float,
        status: int | None = None,
    ) -> None:
        super().__init__(message)
        self.kind = kind
        self.attempts = attempts
        self.timeout = timeout
        self.status = status


class Throttle:
    """At most `rate` calls of `wait()` per second (evenly spaced); rate <= 0 disables it."""

    def __init__(
        self, rate: float, *, sleep: Callable[[float], None], clock: Callable[[], float]
    ) -> None:
        self.interval = 1.0 / rate if rate > 0 else 0.0
        self._sleep = sleep
        self._clock = clock
        self._next: float | None = None
        self._lock = threading.Lock()

    def wait(self) -> None:
        with self._lock:
            now = self._clock()
            if self._next is not None and now < self._next:
                self._sleep(self._next - now)
                now = self._clock()
            self._next = max(now, self._next or now) + self.interval


def session() -> requests.Session:
    """A Session whose connections honour the per-request deadline."""
    return _live.mount_deadline_adapter(requests.Session(), max_retries=0)


def _timer():
    return getattr(_live._current, "timer", None)


def _check_deadline() -> None:
    timer = _timer()
    if timer is not None and (timer.fired or time.monotonic() > timer.deadline):
        timer.fired = True
        raise _DeadlinePassed


def _chunks(resp: requests.Response) -> Iterator[bytes]:
    raw = resp.raw
    while True:
        _check_deadline()
        try:
            data = raw.read(CHUNK, decode_content=True)
        except Exception:
            _check_deadline()
            raise
        _check_deadline()
        if not data:
            return
        yield data


def read_capped(resp: requests.Response, *, max_bytes: int) -> bytes:
    """The whole body, decompressed; TooLarge past `max_bytes` decoded bytes."""
    out: list[bytes] = []
    total = 0
    for data in _chunks(resp):
        total += len(data)
        if total > max_bytes:
            _close(resp)
            raise TooLarge
        out.append(data)
    return b"".join(out)


def iter_lines(resp: requests.Response, *, max_bytes: int) -> Iterator[bytes]:
    """The body's lines as they arrive, decompressed; TooLarge past `max_bytes` in all."""
    total = 0
    pending = bytearray()  # the unfinished line (appending and trimming stay linear)
    for data in _chunks(resp):
        total += len(data)
        if total > max_bytes:
            _close(resp)
            raise TooLarge
        pending += data
        end = pending.rfind(b"\n")
        if end < 0:
            continue
        yield from bytes(pending[:end]).split(b"\n")
        del pending[: end + 1]
    if pending:
        yield bytes(pending)


def drain(resp: requests.Response, *, limit: int) -> None:
    """Read a small unused body so the connection goes back to the pool; else close it."""
    declared = resp.headers.get("Content-Length", "")
    if declared.strip().isdigit() and int(declared) <= limit:
        try:
            resp.raw.read(decode_content=False)
            if not (_timer() and _timer().fired):
                return
        except Exception:
            pass
    _close(resp)


def _close(resp: requests.Response | None) -> None:
    if resp is not None:
        with contextlib.suppress(Exception):
            resp.raw.close()
            resp.close()


def _classify(exc: BaseException, timeout: float, attempts: int) -> tuple[HttpFailure, bool]:
    """(failure, retry?) for an exception raised by a request."""
    cert = _live._find(exc, ssl.SSLCertVerificationError)
    if cert is not None:
        detail = getattr(cert, "verify_message", None) or getattr(cert, "reason", None) or cert
        return (
            HttpFailure(
                "tls",
                f"certificate verification failed: {detail}",
                attempts=attempts,
                timeout=timeout,
            ),
            False,
        )
    sslerr = _live._find(exc, ssl.SSLError)
    timer = _timer()
    if sslerr is not None and not (timer and timer.fired):
        reason = str(getattr(sslerr, "reason", None) or sslerr).replace("_", " ").lower()
        return (
            HttpFailure(
                "tls", f"TLS handshake failed: {reason}", attempts=attempts, timeout=timeout
            ),
            False,
        )
    if (
        isinstance(exc, (_DeadlinePassed, requests.Timeout, urllib3.exceptions.TimeoutError))
        or (timer is not None and timer.fired)
        or _live._find(exc, socket.timeout) is not None
    ):
        return HttpFailure("timeout", "timeout", attempts=attempts, timeout=timeout), True
    if isinstance(exc, requests.ConnectionError) or _live._find(exc, OSError) is not None:
        return (
            HttpFailure("connect", exc.__class__.__name__, attempts=attempts, timeout=timeout),
            True,
        )
    return HttpFailure("protocol", str(exc), attempts=attempts, timeout=timeout), False


def request_with_retries(
    sess: requests.Session,
    url: str,
    *,
    params: dict[str, str] | None,
    timeout: float,
    retries: int,
    backoff: float,
    sleep: Callable[[float], None],
    before: Callable[[], None],
    accept: Callable[[requests.Response], bool],
    consume: Callable[[requests.Response], None],
    max_hint: float = 120.0,
) -> None:
    """GET `url` until `accept(resp)` is True, then `consume(resp)`, all within `timeout`.

    Retried (`retries` more attempts, exponential backoff from `backoff` seconds, a short
    Retry-After honoured): timeouts (including a body cut by the deadline), connection
    errors, and answers `accept` refuses. Not retried: TLS failures. Exceptions raised by
    `accept` or `consume` propagate. Raises HttpFailure when the attempts are spent.
    """
    attempt = 0
    while True:
        before()
        delay = backoff * (2**attempt)
        failure: HttpFailure
        timer = _live._WATCHDOG.arm(timeout)
        _live._current.timer = timer
        resp: requests.Response | None = None
        try:
            try:
                resp = sess.get(
                    url,
                    params=params,
                    timeout=(timeout, timeout),
                    allow_redirects=False,
                    stream=True,
                )
                _check_deadline()
                if accept(resp):
                    consume(resp)
                    _check_deadline()
                    return
                status = resp.status_code
                hint = parse_retry_after(resp.headers.get("Retry-After"))
                if hint is not None:
                    delay = max(delay, min(hint, max_hint))
                failure = HttpFailure(
                    "status", f"HTTP {status}", attempts=attempt + 1, timeout=timeout, status=status
                )
            except (
                requests.RequestException,
                OSError,
                _DeadlinePassed,
                urllib3.exceptions.HTTPError,
            ) as exc:
                failure, retry = _classify(exc, timeout, attempt + 1)
                if not retry:
                    raise failure from None
        finally:
            timer.cancel()
            _live._current.timer = None
            _close(resp)
        if attempt >= retries:
            raise failure
        sleep(delay)
        attempt += 1
