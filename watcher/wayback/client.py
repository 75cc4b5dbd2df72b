"""The Internet Archive's Wayback Machine over HTTP: CDX search and raw playback, politely.

- `WaybackClient.list_captures(url, since=, until=)` pages through the CDX API with
  `showResumeKey=true`, parsing each page as it streams in (`cdx.CdxReader`): every usable
  capture, redirects included (no `collapse=digest`: a run of redirects shares one digest
  but not one target).
- `WaybackClient.redirect_target(row)` plays back one archived redirect and returns where it
  went (the target URL), without following it.
- `WaybackClient.fetch(row)` plays a capture back in raw `id_` mode and returns a `Capture`
  stamped with its `Memento-Datetime`, following archived redirects; `None` when the capture
  is archived content that is not a policy page (a captured 404 or 429, a redirect off-site,
  a Memento date that cannot be true...), with the reason appended to `client.skipped`.

Politeness and bounds: CDX requests are paced at 0.4/s and playback at 8/s by default; 5xx
and timeouts are retried with exponential backoff; a live 429 (one WITHOUT Memento-Datetime)
stops everything at once; TLS failures are never retried. Every request has an overall
deadline (`timeout`, headers and whole body), bodies are read against a decompressed-size
cap, and CDX pages are parsed line by line against their own cap. Hold `backfill_slot()`
around a whole backfill so that only one runs at a time.
"""

from __future__ import annotations

import contextlib
import email.utils
import logging
import math
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Literal
from urllib.parse import urljoin, urlsplit

import requests

from watcher import DEFAULT_USER_AGENT
from watcher.models import Capture, WaybackSettings
from watcher.wayback import transport as httputil
from watcher.wayback.cdx import (
    CDX_FIELDS,
    REVISIT_MIMETYPE,
    CdxReader,
    CdxRow,
    Skipped,
    WaybackError,
    distinct,
    drop_default_port,
    force_raw,
    link_rel,
    memento_date_problem,
    memento_parts,
    parse_since,
    parse_timestamp,
    same_policy,
    thin,
)

log = logging.getLogger(__name__)

RETRYABLE_STATUSES = frozenset({500, 502, 503, 504})
DEFAULT_RATE_LIMIT_WAIT = 300.0  # seconds to suggest after a 429 without Retry-After
MAX_CDX_PAGES = 10_000  # a safety net against a resume key that never ends
DRAIN_LIMIT = 64 * 1024  # a skipped body this small is read so the connection is reused
MEMENTO_TOLERANCE = timedelta(days=1)  # Memento-Datetime vs the timestamp that was asked for
_BLOCKED_MARKERS = (
    "AdministrativeAccessControlException",
    "Blocked Site Error",
    "has been excluded from the Wayback Machine",
)

__all__ = [
    "CDX_FIELDS",
    "CdxRow",
    "Skipped",
    "WaybackClient",
    "WaybackError",
    "WaybackSettings",
    "backfill_slot",
    "distinct",
    "parse_since",
    "parse_timestamp",
    "thin",
]


def _minutes(seconds: float) -> int:
    return max(1, math.ceil(seconds / 60))


def _parse_http_date(value: str) -> datetime | None:
    try:
        dt = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if dt is None:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC)


_BACKFILL_LOCK = threading.Lock()


@contextlib.contextmanager
def backfill_slot(*, blocking: bool = True) -> Iterator[None]:
    """Hold this around a whole backfill: only one talks to the Wayback Machine at a time.

    With `blocking=False`, raises WaybackError(kind="busy") if another backfill is running.
    """
    if not _BACKFILL_LOCK.acquire(blocking=blocking):
        raise WaybackError("busy", "another backfill is already running; try again when it ends")
    try:
        yield
    finally:
        _BACKFILL_LOCK.release()


@dataclass
class _Hop:
    url: str
    memento: bool


@dataclass
class _Outcome:
    capture: Capture | None = None
    skip: str | None = None
    hops: list[_Hop] = field(default_factory=list)


class WaybackClient:
    """CDX search and raw playback against `settings.base_url`, paced, retried and bounded."""

    def __init__(
        self,
        settings: WaybackSettings | None = None,
        *,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        now: Callable[[], datetime] | None = None,
    ) -> None:
        self.settings = settings or WaybackSettings()
        self.base = self.settings.base_url.rstrip("/")
        self._sleep = sleep
        self._now = now or (lambda: datetime.now(UTC))
        self._clock = clock
        # the one throttle of both HTTP clients, one "host" per kind of request
        self._pacers = {
            kind: httputil.HostThrottle(1.0 / rate if rate > 0 else 0.0, sleep=sleep, clock=clock)
            for kind, rate in (
                ("cdx", self.settings.cdx_rate),
                ("playback", self.settings.playback_rate),
            )
        }
        self._session = httputil.session()
        self._session.headers["User-Agent"] = self.settings.user_agent or DEFAULT_USER_AGENT
        self._lock = threading.Lock()
        self._stopped: WaybackError | None = None
        self.skipped: list[Skipped] = []
        self.last_listed = 0  # usable captures in the last listing, before folding runs
        self._played: dict[str, str] = {}  # final memento URL -> timestamp of the row that got it

    def close(self) -> None:
        self._session.close()

    def __enter__(self) -> WaybackClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- URLs -------------------------------------------------------------------------------
    def cdx_url(self) -> str:
        return f"{self.base}/cdx/search/cdx"

    def raw_url(self, timestamp: str, original: str) -> str:
        """The raw (`id_`) playback address: the archived bytes, no banner, no rewriting."""
        return f"{self.base}/web/{timestamp}id_/{original}"

    # -- CDX --------------------------------------------------------------------------------
    def list_captures(
        self, url: str, *, since: str | None = None, until: str | None = None
    ) -> list[CdxRow]:
        """Every usable capture of `url` (all CDX pages), sorted by timestamp, NOT deduped.

        `since` / `until` are CDX timestamps (see `parse_since`). Revisits are resolved
        against the capture they repeat; only captures of status 200 or 3xx (and revisits
        whose original is unknown) are kept; runs of one body are folded (`CdxReader`).
        Raises WaybackError: not_archived when the CDX has no captures at all, blocked,
        rate_limited, unavailable, timeout, too_large...
        """
        params: dict[str, str] = {
            "url": url,
            "output": "json",
            "fl": ",".join(CDX_FIELDS),
            "showResumeKey": "true",
            "limit": str(self.settings.page_limit),
        }
        for name, value in (("since", since), ("until", until)):
            if value is not None and not (value.isdigit() and 4 <= len(value) <= 14):
                raise ValueError(
                    f"{name}={value!r} is not a CDX timestamp (YYYY[MM[DD...]]); see parse_since()"
                )
        if since:
            params["from"] = since
        if until:
            params["to"] = until
        reader = CdxReader(url, max_rows=self.settings.max_cdx_rows)
        seen_keys: set[str] = set()
        resume: str | None = None
        for _page in range(MAX_CDX_PAGES):
            query = dict(params)
            if resume is not None:
                query["resumeKey"] = resume
            reader.start_page()
            self._request(
                self.cdx_url(),
                params=query,
                kind="cdx",
                subject=url,
                consume=lambda resp: self._read_cdx(resp, reader, url),
            )
            resume = reader.resume_key
            if resume is None:
                break
            if resume in seen_keys:
                log.warning("CDX resume key repeated for %s; stopping paging", url)
                break
            seen_keys.add(resume)
        rows = reader.rows()
        self.last_listed = reader.listed
        if not rows and reader.listed == 0 and reader.lines == 0:
            window = ""
            if since and until:
                window = f" between {since} and {until}"
            elif since:
                window = f" since {since}"
            elif until:
                window = f" until {until}"
            raise WaybackError(
                "not_archived", f"no captures of {url} in the Wayback Machine{window}", url=url
            )
        return rows

    def _read_cdx(self, resp: requests.Response, reader: CdxReader, url: str) -> None:
        if resp.status_code != 200:
            blocked = self._blocked_error(resp, url, memento=False)
            if blocked is not None:
                raise blocked
            if resp.status_code == 404:
                raise WaybackError(
                    "not_archived",
                    f"no captures of {url} in the Wayback Machine",
                    status=404,
                    url=url,
                )
            raise WaybackError(
                "http",
                f"the Wayback Machine CDX search for {url} answered HTTP {resp.status_code}",
                status=resp.status_code,
                url=url,
            )
        cap = self.settings.max_cdx_bytes
        try:
            for line in httputil.iter_lines(resp, max_bytes=cap):
                reader.feed_line(line)
        except httputil.TooLarge:
            raise WaybackError(
                "too_large",
                f"the CDX answer for {url} is larger than {cap:,} bytes once decompressed; "
                "narrow the range with --since/--until",
                url=url,
            ) from None

    # -- playback ---------------------------------------------------------------------------
    def redirect_target(self, row: CdxRow) -> str | None:
        """Where the archived redirect `row` went (the target's URL), or None with the reason
        in `self.skipped` (not a redirect when played back, off-site, no Location...)."""
        url = self.raw_url(row.timestamp, row.original)
        result: dict[str, str | None] = {"target": None, "why": None}

        def consume(resp: requests.Response) -> None:
            self._drain(resp)
            status = resp.status_code
            location = resp.headers.get("Location")
            if resp.headers.get("Memento-Datetime") is None:
                blocked = self._blocked_error(resp, row.original, memento=False)
                if blocked is not None:
                    raise blocked
                result["why"] = f"not an archived redirect (HTTP {status} without Memento-Datetime)"
                return
            if not 300 <= status < 400 or not location:
                result["why"] = f"played back as HTTP {status}, not a redirect"
                return
            target = urljoin(url, location)
            parts = memento_parts(target)
            if parts is None:
                result["why"] = f"redirect leaves the Wayback Machine ({target})"
                return
            original = drop_default_port(parts[2])
            if not same_policy(row.original, original):
                result["why"] = f"archived redirect goes to {original}, not the policy"
                return
            result["target"] = original

        self._request(url, kind="playback", subject=row.original, consume=consume)
        if result["target"] is None:
            self.skipped.append(Skipped(row, result["why"] or "no target"))
        return result["target"]

    def fetch(self, row: CdxRow) -> Capture | None:
        """Play `row` back in raw mode; a Capture stamped with its Memento-Datetime.

        Returns None (and appends a `Skipped` to `self.skipped`) when the archived response is
        not the policy: a captured 4xx/5xx, a redirect off-site / to the home page / out of
        the time window / in a loop / longer than `max_redirects`, a body too large, a
        Memento-Datetime in the future or far from the capture asked for; or when it resolves
        to a memento this client already returned for another row.
        Raises WaybackError for archive-level failures (blocked, rate_limited, unavailable...).
        """
        started = self._clock()
        outcome = self._play(row)
        if outcome.capture is not None:
            outcome.capture.elapsed = self._clock() - started
            return outcome.capture
        reason = outcome.skip or "no capture"
        log.info("skipping Wayback capture %s of %s: %s", row.timestamp, row.original, reason)
        self.skipped.append(Skipped(row, reason))
        return None

    def _play(self, row: CdxRow) -> _Outcome:
        s = self.settings
        window = timedelta(seconds=s.redirect_window)
        url = self.raw_url(row.timestamp, row.original)
        out = _Outcome()
        seen: set[str] = set()
        state: dict = {"redirects": 0, "next": None}
        while True:
            if url in seen:
                out.skip = f"redirect loop at {url}"
                return out
            if len(seen) > 2 * s.max_redirects + 1:  # captured hops + "nearest capture" hops
                out.skip = f"more than {2 * s.max_redirects + 1} playback redirects"
                return out
            seen.add(url)
            state["next"] = None
            hop_url = url
            self._request(
                url,
                kind="playback",
                subject=row.original,
                consume=lambda resp, u=hop_url: self._one_hop(row, u, resp, out, state, window),
            )
            if out.capture is not None or out.skip is not None:
                return out
            url = state["next"]  # type: ignore[assignment]
            if url is None:  # pragma: no cover - _one_hop always decides
                out.skip = "no capture"
                return out

    def _one_hop(
        self,
        row: CdxRow,
        url: str,
        resp: requests.Response,
        out: _Outcome,
        state: dict,
        window: timedelta,
    ) -> None:
        """Decide what one playback answer means: a capture, a skip, or the next hop."""
        s = self.settings
        origin = row.captured_at
        mdt = resp.headers.get("Memento-Datetime")
        out.hops.append(_Hop(url, mdt is not None))
        status = resp.status_code
        location = resp.headers.get("Location")
        if mdt is None:
            blocked = self._blocked_error(resp, row.original, memento=False)
            if blocked is not None:
                raise blocked
            self._drain(resp)
            if 300 <= status < 400 and location:
                # no capture at that exact time: the archive points at the nearest one
                target = urljoin(url, location)
                why = self._check_hop(row, target, origin, window, captured=False)
                if why:
                    out.skip = why
                    return
                state["next"] = force_raw(target)
                return
            if status == 404:
                err = resp.headers.get("X-Archive-Wayback-Runtime-Error", "")
                where = "" if len(out.hops) == 1 else f" (reached via redirect, {url})"
                out.skip = f"not in the Wayback Machine{where}" + (f": {err}" if err else "")
                return
            if 200 <= status < 300:
                out.skip = f"not an archived capture (HTTP {status} without Memento-Datetime)"
                return
            raise WaybackError(
                "http",
                f"the Wayback Machine answered HTTP {status} for {url}",
                status=status,
                url=row.original,
            )
        # an archived response
        captured_at = _parse_http_date(mdt)
        asked = memento_parts(url)
        if captured_at is None:
            log.warning("unparseable Memento-Datetime %r at %s", mdt, url)
            captured_at = parse_timestamp(asked[0]) if asked else origin
        problem = memento_date_problem(
            captured_at,
            asked[0] if asked else row.timestamp,
            self._now(),
            tolerance=MEMENTO_TOLERANCE,
        )
        if problem:
            self._drain(resp)
            out.skip = problem
            return
        if 300 <= status < 400:
            self._drain(resp)
            if not location:
                out.skip = f"captured HTTP {status} without a Location"
                return
            state["redirects"] += 1
            if state["redirects"] > s.max_redirects:
                out.skip = f"more than {s.max_redirects} archived redirects"
                return
            target = urljoin(url, location)
            why = self._check_hop(row, target, origin, window, captured=True)
            if why:
                out.skip = why
                return
            state["next"] = force_raw(target)
            return
        if status >= 400 or status < 200:
            self._drain(resp)
            out.skip = f"captured HTTP {status} (archived error page)"
            return
        first = self._played.get(url)
        if first is not None:
            self._drain(resp)
            out.skip = f"same archived capture as the one fetched for {first} ({url})"
            return
        self._played[url] = row.timestamp
        try:
            body = httputil.read_capped(resp, max_bytes=s.max_bytes)
        except httputil.TooLarge:
            out.skip = f"archived body larger than {s.max_bytes:,} bytes (decompressed)"
            return
        final = asked[2] if asked else row.original
        original_link = link_rel(resp.headers.get("Link", ""), "original")
        if original_link:
            final = original_link
        final = drop_default_port(final)
        media, charset = httputil.parse_content_type(resp.headers.get("Content-Type"))
        if not media:
            media = (
                row.mimetype.lower()
                if row.mimetype and row.mimetype != REVISIT_MIMETYPE
                else "application/octet-stream"
            )
        out.capture = Capture(
            url=final,
            requested_url=row.via or row.original,
            fetched_at=captured_at,
            source="wayback",
            status=status,
            content_type=media,
            body=body,
            charset=charset,
            etag=None,
            last_modified=resp.headers.get("X-Archive-Orig-Last-Modified"),
        )

    def _check_hop(
        self, row: CdxRow, target: str, origin: datetime, window: timedelta, *, captured: bool
    ) -> str | None:
        parts = memento_parts(target)
        if parts is None or urlsplit(target).netloc != urlsplit(self.base).netloc:
            return f"redirect leaves the Wayback Machine ({target})"
        ts, _mod, original = parts
        if not same_policy(row.original, original):
            kind = "archived redirect" if captured else "nearest capture"
            return f"{kind} goes to {drop_default_port(original)}, not the policy at {row.original}"
        try:
            when = parse_timestamp(ts)
        except ValueError:
            return f"redirect to a malformed archive address ({target})"
        if abs(when - origin) > window:
            return (
                f"nearest capture of {original} is from {when:%Y-%m-%d}, too far from "
                f"{origin:%Y-%m-%d}"
            )
        return None

    # -- HTTP -------------------------------------------------------------------------------
    @staticmethod
    def _drain(resp: requests.Response) -> None:
        """Read a small unused body so the connection is reused (else it is closed)."""
        httputil.drain(resp, limit=DRAIN_LIMIT)

    def _blocked_error(
        self, resp: requests.Response, url: str, *, memento: bool
    ) -> WaybackError | None:
        """The Archive's "blocked site" / robots answers: a 401/403/451, or a 200 page
        WITHOUT Memento-Datetime (the playback page that says the URL is excluded)."""
        status = resp.status_code
        if memento or status not in (200, 401, 403, 451):
            return None
        header = resp.headers.get("X-Archive-Wayback-Runtime-Error", "")
        text = header
        if status != 200 or not header:
            try:
                text += " " + httputil.read_capped(resp, max_bytes=DRAIN_LIMIT).decode(
                    "utf-8", errors="replace"
                )
            except httputil.TooLarge:
                pass
            except Exception:  # a body that cannot be read: the header alone decides
                pass
        host = urlsplit(url).hostname or url
        if "RobotAccessControlException" in text or "Blocked By Robots" in text:
            return WaybackError(
                "blocked",
                f"Blocked By Robots: robots.txt of {host} excludes {url} from the Wayback Machine",
                status=status,
                url=url,
            )
        if any(m in text for m in _BLOCKED_MARKERS) or "AccessControlException" in text:
            return WaybackError(
                "blocked",
                f"Blocked Site Error: the site owner has excluded {host} from the Wayback Machine",
                status=status,
                url=url,
            )
        return None

    def _request(
        self,
        url: str,
        *,
        kind: Literal["cdx", "playback"],
        subject: str,
        consume: Callable[[requests.Response], None],
        params: dict[str, str] | None = None,
    ) -> None:
        """One paced GET with retries, `consume(resp)` called within its overall deadline.

        A live 429 (no Memento-Datetime) raises at once and stops this client for good; an
        archived 429 is content and goes to `consume`. TLS failures are not retried.
        """
        pacer = self._pacers[kind]
        s = self.settings

        def on_status(resp: requests.Response) -> bool:
            """True: hand the response to `consume`; False: retry it."""
            status = resp.status_code
            memento = "Memento-Datetime" in resp.headers
            if status == 429 and not memento:
                wait = httputil.parse_retry_after(resp.headers.get("Retry-After"))
                wait = DEFAULT_RATE_LIMIT_WAIT if wait is None else wait
                self._stopped = WaybackError(
                    "rate_limited",
                    "rate limited by the Wayback Machine; try again in "
                    f"{_minutes(wait)} minutes; progress kept",
                    status=429,
                    retry_after=wait,
                    url=subject,
                )
                raise self._stopped
            return status not in RETRYABLE_STATUSES or memento

        with self._lock:
            if self._stopped is not None:
                raise self._stopped
            try:
                httputil.request_with_retries(
                    self._session,
                    url,
                    params=params,
                    timeout=s.timeout,
                    retries=s.retries,
                    backoff=s.backoff_base,
                    sleep=self._sleep,
                    before=lambda: pacer.wait(kind),
                    accept=on_status,
                    consume=consume,
                )
            except httputil.HttpFailure as exc:
                raise _wayback_error(exc, kind, subject, self.base) from None


def _wayback_error(exc: httputil.HttpFailure, kind: str, subject: str, base: str) -> WaybackError:
    what = f"{kind} for {subject}"
    tries = f"after {exc.attempts} attempt{'s' if exc.attempts != 1 else ''}"
    if exc.kind == "tls":
        return WaybackError(
            "tls",
            f"TLS error talking to the Wayback Machine at {base} ({what}): {exc}",
            url=subject,
        )
    if exc.kind == "timeout":
        return WaybackError(
            "timeout",
            f"the Wayback Machine did not answer within {exc.timeout:g}s ({what}) {tries}",
            url=subject,
        )
    if exc.kind == "status":
        return WaybackError(
            "unavailable",
            f"the Wayback Machine is unavailable (HTTP {exc.status}, {what}) {tries}; "
            "try again later",
            status=exc.status,
            url=subject,
        )
    if exc.kind in ("connect", "dns"):
        return WaybackError(
            "connect",
            f"cannot reach the Wayback Machine at {base} ({what}) {tries}: {exc}",
            url=subject,
        )
    return WaybackError("protocol", f"bad answer from the Wayback Machine for {subject}: {exc}")
