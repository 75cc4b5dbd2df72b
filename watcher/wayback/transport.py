"""HTTP plumbing of the Wayback client, on the same mechanisms as live fetching.

Everything here comes from `watcher.fetchers.httputil` -- one throttle (`HostThrottle`), one
wall-clock deadline per exchange (`deadline` + `mount_deadline_adapter`: the socket is shut
down when it passes, so a server dripping one byte per second cannot hold a backfill), one
retry loop (`with_retries`, `Retry`), one error classification, one content-type parser --
plus what only the Wayback client needs: a decompressed-size-capped read of the whole body
or of its lines as they arrive (CDX listings are parsed while they stream in).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from urllib.parse import urlsplit

import requests
import urllib3

from watcher.fetchers import httputil
from watcher.fetchers.httputil import HostThrottle, Retry, parse_content_type, parse_retry_after
from watcher.models import FetchError

CHUNK = httputil.CHUNK

__all__ = [
    "HostThrottle",
    "HttpFailure",
    "TooLarge",
    "drain",
    "iter_lines",
    "parse_content_type",
    "parse_retry_after",
    "read_capped",
    "request_with_retries",
    "session",
]


class TooLarge(Exception):
    """A body went over its decompressed-size cap."""


class _DeadlinePassed(Exception):
    pass


class HttpFailure(Exception):
    """A request that failed for good: kind is timeout, connect, dns, tls, status or protocol."""

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


class _StatusError(FetchError):
    def __init__(self, status: int) -> None:
        super().__init__("status", f"HTTP {status}", status=status)


def session() -> requests.Session:
    """A Session whose connections honour the per-request deadline (and never retry alone)."""
    return httputil.mount_deadline_adapter(requests.Session(), max_retries=0)


def _timer() -> httputil.Deadline | None:
    return getattr(httputil._current, "timer", None)


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
            httputil.close_response(resp)
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
            httputil.close_response(resp)
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
            timer = _timer()
            if not (timer and timer.fired):
                return
        except Exception:
            pass
    httputil.close_response(resp)


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

    Retried through `httputil.with_retries` (`retries` more attempts, exponential backoff from
    `backoff` seconds, a Retry-After up to `max_hint` honoured): timeouts (including a body
    cut by the deadline), broken connections, and answers `accept` refuses. Not retried: TLS
    failures, DNS failures, a refused connection. Exceptions raised by `accept` or `consume`
    propagate. Raises HttpFailure when the attempts are spent.
    """
    parts = urlsplit(url)
    host = parts.hostname or ""
    where = f"{host}:{parts.port or (443 if parts.scheme == 'https' else 80)}"

    def attempt(_used: int) -> None:
        before()
        with httputil.deadline(timeout) as timer:
            try:
                resp = sess.get(
                    url,
                    params=params,
                    timeout=(timeout, timeout),
                    allow_redirects=False,
                    stream=True,
                )
            except Exception as exc:
                raise httputil.classify_request_error(exc, host, where, timeout, timer) from None
            try:
                if timer.fired:
                    raise _DeadlinePassed
                if not accept(resp):
                    hint = parse_retry_after(resp.headers.get("Retry-After"))
                    after = min(hint, max_hint) if hint is not None else None
                    raise Retry(_StatusError(resp.status_code), after=after)
                consume(resp)
                _check_deadline()
            except _DeadlinePassed:
                raise Retry(FetchError("timeout", "the deadline passed")) from None
            except (requests.RequestException, OSError, urllib3.exceptions.HTTPError) as exc:
                if timer.fired:
                    raise Retry(FetchError("timeout", "the deadline passed")) from None
                raise httputil.classify_body_error(exc, where, timeout, 0, None, resp) from None
            finally:
                httputil.close_response(resp)

    attempts = [1]

    def exhausted(error: Exception, used: int) -> Exception:
        attempts[0] = used + 1
        return error

    try:
        httputil.with_retries(
            attempt, retries=retries, backoff=backoff, sleep=sleep, exhausted=exhausted
        )
    except FetchError as e:
        raise HttpFailure(
            e.kind, str(e), attempts=attempts[0], timeout=timeout, status=getattr(e, "status", None)
        ) from None
