"""The Internet Archive's Wayback Machine: CDX search and raw playback, politely.

Storage-agnostic building blocks for backfilling a policy's history:

- `WaybackClient.list_captures(url, since=, until=)` pages through the CDX API with
  `showResumeKey=true`, resolves `warc/revisit` rows and keeps only 200 / 3xx captures.
- `distinct(rows)` keeps the first row per digest (one fetch per body), `thin(rows, every)`
  keeps at most one capture per month / quarter / year.
- `WaybackClient.fetch(row)` plays a capture back in raw `id_` mode and returns a `Capture`
  stamped with its `Memento-Datetime`, following archived redirects; `None` when the capture
  is archived content that is not a policy page (a captured 404, a redirect off-site...), with
  the reason appended to `client.skipped`.

Politeness: CDX requests are paced at 0.4/s and playback at 8/s by default; 5xx and timeouts
are retried with exponential backoff; a 429 stops everything at once (never retried). Hold
`backfill_slot()` around a whole backfill so that only one runs at a time.
"""

from __future__ import annotations

import contextlib
import email.utils
import json
import logging
import math
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import Literal
from urllib.parse import urljoin, urlsplit

import requests

from watcher import DEFAULT_USER_AGENT
from watcher.fetchers.http import parse_retry_after
from watcher.models import Capture, WatcherError, WaybackSettings

log = logging.getLogger(__name__)

CDX_FIELDS = ("timestamp", "original", "mimetype", "statuscode", "digest", "length")
RETRYABLE_STATUSES = frozenset({500, 502, 503, 504})
REVISIT_MIMETYPE = "warc/revisit"
DEFAULT_RATE_LIMIT_WAIT = 300.0  # seconds to suggest after a 429 without Retry-After
MAX_CDX_PAGES = 10_000  # a safety net against a resume key that never ends

Period = Literal["month", "quarter", "year"]

_MEMENTO_PATH = re.compile(r"^/web/(\d{1,14})([a-z]{2}_)?/(.+)$", re.DOTALL)
_SINCE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")


class WaybackError(WatcherError):
    """A Wayback Machine request failed; `kind` is a short machine tag, str(self) the cause.

    kinds: blocked (site excluded or robots.txt), not_archived (no captures), rate_limited
    (HTTP 429: stop, try later), unavailable (5xx after retries), timeout, connect,
    protocol (unparseable answer), http (another unexpected status), busy (another backfill
    holds the slot).
    """

    def __init__(
        self,
        kind: str,
        message: str,
        *,
        status: int | None = None,
        retry_after: float | None = None,
        url: str | None = None,
    ) -> None:
        super().__init__(message)
        self.kind = kind
        self.status = status
        self.retry_after = retry_after
        self.url = url


# -- data -----------------------------------------------------------------------------------


def parse_timestamp(ts: str) -> datetime:
    """A CDX/Wayback timestamp (1-14 digits, zero-padded) as an aware UTC datetime."""
    digits = ts.strip()
    if not digits.isdigit() or not 4 <= len(digits) <= 14:
        raise ValueError(f"not a Wayback timestamp: {ts!r}")
    full = digits + "0101000000"[len(digits) - 4 :] if len(digits) < 14 else digits
    return datetime.strptime(full, "%Y%m%d%H%M%S").replace(tzinfo=UTC)


def format_timestamp(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime("%Y%m%d%H%M%S")


@dataclass(frozen=True)
class CdxRow:
    """One CDX line (the `fl=timestamp,original,mimetype,statuscode,digest,length` fields).

    For a resolved `warc/revisit` row, `revisit` is True and `mimetype` / `statuscode` are
    those of the earlier capture with the same digest (when that capture was listed too);
    an unresolved revisit keeps `warc/revisit` and statuscode `-`.
    """

    timestamp: str
    original: str
    mimetype: str
    statuscode: str
    digest: str
    length: str
    revisit: bool = False

    @property
    def captured_at(self) -> datetime:
        return parse_timestamp(self.timestamp)

    @property
    def is_redirect(self) -> bool:
        return len(self.statuscode) == 3 and self.statuscode.startswith("3")


@dataclass(frozen=True)
class Skipped:
    """A CDX row that `fetch` did not turn into a Capture, and why."""

    row: CdxRow
    reason: str


# -- pure helpers ---------------------------------------------------------------------------


def parse_since(s: str) -> str:
    """ "2015" / "2015-06" / "2015-06-01" -> the CDX `from`/`to` value "2015" / "201506" / "20150601"."""
    text = (s or "").strip()
    m = _SINCE.match(text)
    if m is None:
        raise ValueError(
            f"invalid date {s!r}: expected YYYY, YYYY-MM or YYYY-MM-DD (e.g. 2015, 2015-06, 2015-06-01)"
        )
    year, month, day = m.group(1), m.group(2), m.group(3)
    if int(year) < 1996:
        raise ValueError(f"invalid date {s!r}: the Wayback Machine has no captures before 1996")
    if month is not None and not 1 <= int(month) <= 12:
        raise ValueError(f"invalid date {s!r}: month {month} is not between 01 and 12")
    if day is not None:
        try:
            date(int(year), int(month), int(day))
        except ValueError:
            raise ValueError(f"invalid date {s!r}: {year}-{month} has no day {day}") from None
    return year + (month or "") + (day or "")


def distinct(rows: Iterable[CdxRow]) -> list[CdxRow]:
    """The first row (by timestamp) per digest: each archived body is fetched at most once.

    A revisit carries the digest of the capture it repeats, so it folds into that capture.
    Rows without a digest are kept (nothing to compare them by).
    """
    seen: set[str] = set()
    out: list[CdxRow] = []
    for row in sorted(rows, key=lambda r: r.timestamp.ljust(14, "0")):
        if row.digest and row.digest != "-":
            if row.digest in seen:
                continue
            seen.add(row.digest)
        out.append(row)
    return out


def _period_bounds(dt: datetime, every: Period) -> tuple[datetime, datetime]:
    if every == "month":
        start = datetime(dt.year, dt.month, 1, tzinfo=UTC)
        end = datetime(dt.year + dt.month // 12, dt.month % 12 + 1, 1, tzinfo=UTC)
    elif every == "quarter":
        first = 3 * ((dt.month - 1) // 3) + 1
        start = datetime(dt.year, first, 1, tzinfo=UTC)
        end = (
            datetime(dt.year + 1, 1, 1, tzinfo=UTC)
            if first == 10
            else datetime(dt.year, first + 3, 1, tzinfo=UTC)
        )
    elif every == "year":
        start = datetime(dt.year, 1, 1, tzinfo=UTC)
        end = datetime(dt.year + 1, 1, 1, tzinfo=UTC)
    else:
        raise ValueError(f"invalid period {every!r}: expected month, quarter or year")
    return start, end


def thin(rows: Iterable[CdxRow], every: Period) -> list[CdxRow]:
    """At most one row per calendar month / quarter / year: the one nearest the period's middle.

    Ties go to the earlier capture. The result is sorted by timestamp.
    """
    if every not in ("month", "quarter", "year"):
        raise ValueError(f"invalid period {every!r}: expected month, quarter or year")
    best: dict[datetime, tuple[float, str, CdxRow]] = {}
    for row in rows:
        at = row.captured_at
        start, end = _period_bounds(at, every)
        middle = start + (end - start) / 2
        key = (abs((at - middle).total_seconds()), row.timestamp.ljust(14, "0"), row)
        if start not in best or key[:2] < best[start][:2]:
            best[start] = key
    return [v[2] for _, v in sorted(best.items())]


def same_policy(a: str, b: str) -> bool:
    """Could URL `b` (a redirect target) still be the policy at URL `a`?

    Same host (ignoring scheme, case, default ports and a leading "www."), and not a bounce
    to the site's home page when the policy itself is not the home page.
    """
    sa, sb = urlsplit(a), urlsplit(b)
    if _host_key(sa.hostname) != _host_key(sb.hostname):
        return False
    a_root = sa.path in ("", "/") and not sa.query
    b_root = sb.path in ("", "/") and not sb.query
    return a_root or not b_root


def _host_key(host: str | None) -> str:
    h = (host or "").lower().rstrip(".")
    return h[4:] if h.startswith("www.") else h


def memento_parts(url: str) -> tuple[str, str, str] | None:
    """(timestamp, modifier, original URL) of a `/web/<ts><mod>/<url>` address, else None."""
    parts = urlsplit(url)
    m = _MEMENTO_PATH.match(parts.path)
    if m is None:
        return None
    original = m.group(3)
    if parts.query:
        original += "?" + parts.query
    # some clients squash "http://" to "http:/" in paths
    original = re.sub(r"^(https?):/(?!/)", r"\1://", original)
    return m.group(1), m.group(2) or "", original


def _minutes(seconds: float) -> int:
    return max(1, math.ceil(seconds / 60))


def _parse_http_date(value: str) -> datetime | None:
    try:
        dt = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if dt is None:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC)


def _content_type(value: str | None) -> tuple[str | None, str | None]:
    if not value:
        return None, None
    parts = [p.strip() for p in value.split(";")]
    media = parts[0].lower() or None
    charset = None
    for p in parts[1:]:
        k, _, v = p.partition("=")
        if k.strip().lower() == "charset" and v.strip():
            charset = v.strip().strip("\"'")
    return media, charset


# -- pacing and the one-backfill slot -------------------------------------------------------


class Pacer:
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


# -- the client -----------------------------------------------------------------------------


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
    """CDX search and raw playback against `settings.base_url`, paced and retried."""

    def __init__(
        self,
        settings: WaybackSettings | None = None,
        *,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.settings = settings or WaybackSettings()
        self.base = self.settings.base_url.rstrip("/")
        self._sleep = sleep
        self._clock = clock
        self._cdx_pacer = Pacer(self.settings.cdx_rate, sleep=sleep, clock=clock)
        self._playback_pacer = Pacer(self.settings.playback_rate, sleep=sleep, clock=clock)
        self._session = requests.Session()
        self._session.headers["User-Agent"] = self.settings.user_agent or DEFAULT_USER_AGENT
        self._lock = threading.Lock()
        self._stopped: WaybackError | None = None
        self.skipped: list[Skipped] = []
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
        whose original is unknown) are kept. Raises WaybackError: not_archived when the CDX
        has no captures at all, blocked, rate_limited, unavailable...
        """
        params: dict[str, str] = {
            "url": url,
            "output": "json",
            "fl": ",".join(CDX_FIELDS),
            "collapse": "digest",
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
        raw: list[CdxRow] = []
        seen_keys: set[str] = set()
        resume: str | None = None
        for _page in range(MAX_CDX_PAGES):
            query = dict(params)
            if resume is not None:
                query["resumeKey"] = resume
            resp = self._request(self.cdx_url(), params=query, kind="cdx", subject=url)
            self._check_cdx_status(resp, url)
            rows, resume = _parse_cdx_json(resp.content, url)
            raw.extend(rows)
            if resume is None:
                break
            if resume in seen_keys:
                log.warning("CDX resume key repeated for %s; stopping paging", url)
                break
            seen_keys.add(resume)
        if not raw:
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
        return _resolve_and_filter(raw)

    def _check_cdx_status(self, resp: requests.Response, url: str) -> None:
        if resp.status_code == 200:
            return
        blocked = self._blocked_error(resp, url)
        if blocked is not None:
            raise blocked
        if resp.status_code == 404:
            raise WaybackError(
                "not_archived", f"no captures of {url} in the Wayback Machine", status=404, url=url
            )
        raise WaybackError(
            "http",
            f"the Wayback Machine CDX search for {url} answered HTTP {resp.status_code}",
            status=resp.status_code,
            url=url,
        )

    # -- playback ---------------------------------------------------------------------------
    def fetch(self, row: CdxRow) -> Capture | None:
        """Play `row` back in raw mode; a Capture stamped with its Memento-Datetime.

        Returns None (and appends a `Skipped` to `self.skipped`) when the archived response is
        not the policy: a captured 4xx/5xx, a redirect off-site / to the home page / out of
        the time window / in a loop / longer than `max_redirects`, a body too large; or when
        it resolves to a memento this client already returned for another row.
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
        origin = row.captured_at
        window = timedelta(seconds=s.redirect_window)
        url = self.raw_url(row.timestamp, row.original)
        out = _Outcome()
        seen: set[str] = set()
        redirects = 0
        while True:
            if url in seen:
                out.skip = f"redirect loop at {url}"
                return out
            if len(seen) > 2 * s.max_redirects + 1:  # captured hops + "nearest capture" hops
                out.skip = f"more than {2 * s.max_redirects + 1} playback redirects"
                return out
            seen.add(url)
            resp = self._request(url, kind="playback", subject=row.original, stream=True)
            try:
                mdt = resp.headers.get("Memento-Datetime")
                out.hops.append(_Hop(url, mdt is not None))
                status = resp.status_code
                location = resp.headers.get("Location")
                if mdt is None:
                    blocked = self._blocked_error(resp, row.original)
                    if blocked is not None:
                        raise blocked
                    if 300 <= status < 400 and location:
                        # no capture at that exact time: the archive points at the nearest one
                        target = urljoin(url, location)
                        why = self._check_hop(row, target, origin, window, captured=False)
                        if why:
                            out.skip = why
                            return out
                        url = _force_raw(target)
                        continue
                    if status == 404:
                        err = resp.headers.get("X-Archive-Wayback-Runtime-Error", "")
                        where = "" if len(out.hops) == 1 else f" (reached via redirect, {url})"
                        out.skip = f"not in the Wayback Machine{where}" + (
                            f": {err}" if err else ""
                        )
                        return out
                    if 200 <= status < 300:
                        out.skip = (
                            f"not an archived capture (HTTP {status} without Memento-Datetime)"
                        )
                        return out
                    raise WaybackError(
                        "http",
                        f"the Wayback Machine answered HTTP {status} for {url}",
                        status=status,
                        url=row.original,
                    )
                # an archived response
                captured_at = _parse_http_date(mdt)
                if captured_at is None:
                    parts = memento_parts(url)
                    log.warning("unparseable Memento-Datetime %r at %s", mdt, url)
                    captured_at = parse_timestamp(parts[0]) if parts else origin
                if 300 <= status < 400:
                    if not location:
                        out.skip = f"captured HTTP {status} without a Location"
                        return out
                    redirects += 1
                    if redirects > s.max_redirects:
                        out.skip = f"more than {s.max_redirects} archived redirects"
                        return out
                    target = urljoin(url, location)
                    why = self._check_hop(row, target, origin, window, captured=True)
                    if why:
                        out.skip = why
                        return out
                    url = _force_raw(target)
                    continue
                if status >= 400 or status < 200:
                    out.skip = f"captured HTTP {status} (archived error page)"
                    return out
                first = self._played.get(url)
                if first is not None:
                    out.skip = f"same archived capture as the one fetched for {first} ({url})"
                    return out
                self._played[url] = row.timestamp
                body = _read_capped(resp, s.max_bytes)
                if body is None:
                    out.skip = f"archived body larger than {s.max_bytes} bytes"
                    return out
                parts = memento_parts(url)
                final = parts[2] if parts else row.original
                original_link = _link_rel(resp.headers.get("Link", ""), "original")
                if original_link:
                    final = original_link
                media, charset = _content_type(resp.headers.get("Content-Type"))
                if media is None:
                    media = (
                        row.mimetype.lower()
                        if row.mimetype and row.mimetype != REVISIT_MIMETYPE
                        else "application/octet-stream"
                    )
                out.capture = Capture(
                    url=final,
                    requested_url=row.original,
                    fetched_at=captured_at,
                    source="wayback",
                    status=status,
                    content_type=media,
                    body=body,
                    charset=charset,
                    etag=None,
                    last_modified=resp.headers.get("X-Archive-Orig-Last-Modified"),
                )
                return out
            finally:
                resp.close()

    def _check_hop(
        self, row: CdxRow, target: str, origin: datetime, window: timedelta, *, captured: bool
    ) -> str | None:
        parts = memento_parts(target)
        if parts is None or urlsplit(target).netloc != urlsplit(self.base).netloc:
            return f"redirect leaves the Wayback Machine ({target})"
        ts, _mod, original = parts
        if not same_policy(row.original, original):
            kind = "archived redirect" if captured else "nearest capture"
            return f"{kind} goes to {original}, not the policy at {row.original}"
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
    def _blocked_error(self, resp: requests.Response, url: str) -> WaybackError | None:
        if resp.status_code not in (401, 403, 451):
            return None
        header = resp.headers.get("X-Archive-Wayback-Runtime-Error", "")
        try:
            text = header + " " + resp.text[:4000]
        except Exception:  # a streamed body that cannot be read: the header alone decides
            text = header
        host = urlsplit(url).hostname or url
        if "RobotAccessControlException" in text or "Blocked By Robots" in text:
            return WaybackError(
                "blocked",
                f"Blocked By Robots: robots.txt of {host} excludes {url} from the Wayback Machine",
                status=resp.status_code,
                url=url,
            )
        if "AccessControlException" in text or "Blocked Site Error" in text:
            return WaybackError(
                "blocked",
                f"Blocked Site Error: the site owner has excluded {host} from the Wayback Machine",
                status=resp.status_code,
                url=url,
            )
        return None

    def _request(
        self,
        url: str,
        *,
        kind: Literal["cdx", "playback"],
        subject: str,
        params: dict[str, str] | None = None,
        stream: bool = False,
    ) -> requests.Response:
        """One paced GET with retries; a 429 raises at once and stops this client for good."""
        pacer = self._cdx_pacer if kind == "cdx" else self._playback_pacer
        s = self.settings
        with self._lock:
            attempt = 0
            while True:
                if self._stopped is not None:
                    raise self._stopped
                pacer.wait()
                failure: WaybackError
                delay = s.backoff_base * (2**attempt)
                try:
                    resp = self._session.get(
                        url,
                        params=params,
                        timeout=s.timeout,
                        allow_redirects=False,
                        stream=stream,
                    )
                except requests.Timeout:
                    failure = WaybackError(
                        "timeout",
                        f"the Wayback Machine did not answer within {s.timeout:g}s "
                        f"({kind} for {subject}) after {attempt + 1} attempts",
                        url=subject,
                    )
                except requests.ConnectionError as exc:
                    failure = WaybackError(
                        "connect",
                        f"cannot reach the Wayback Machine at {self.base} ({kind} for {subject}) "
                        f"after {attempt + 1} attempts: {exc.__class__.__name__}",
                        url=subject,
                    )
                except requests.RequestException as exc:
                    raise WaybackError(
                        "protocol", f"bad answer from the Wayback Machine for {subject}: {exc}"
                    ) from exc
                else:
                    status = resp.status_code
                    if status == 429:
                        resp.close()
                        wait = parse_retry_after(resp.headers.get("Retry-After"))
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
                    memento = "Memento-Datetime" in resp.headers
                    if status not in RETRYABLE_STATUSES or memento:
                        return resp
                    resp.close()
                    hint = parse_retry_after(resp.headers.get("Retry-After"))
                    if hint is not None:
                        delay = max(delay, min(hint, 120.0))
                    failure = WaybackError(
                        "unavailable",
                        f"the Wayback Machine is unavailable (HTTP {status}, {kind} for "
                        f"{subject}) after {attempt + 1} attempts; try again later",
                        status=status,
                        url=subject,
                    )
                if attempt >= s.retries:
                    raise failure
                log.info("%s; retrying in %.1fs", failure, delay)
                self._sleep(delay)
                attempt += 1


# -- parsing helpers ------------------------------------------------------------------------


def _parse_cdx_json(content: bytes, url: str) -> tuple[list[CdxRow], str | None]:
    """Rows and resume key of one `output=json` CDX page.

    Shape: `[]` when nothing matched; else `[[header...], [row...], ...]`, and with
    `showResumeKey=true` a page cut by `limit` ends with `[], ["<resume key>"]`.
    """
    text = content.decode("utf-8", errors="replace").strip()
    if not text:
        return [], None
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise WaybackError(
            "protocol", f"unreadable CDX answer for {url}: {text[:120]!r}", url=url
        ) from exc
    if not isinstance(data, list) or not all(isinstance(r, list) for r in data):
        raise WaybackError("protocol", f"unexpected CDX answer for {url}: {text[:120]!r}", url=url)
    if not data:
        return [], None
    resume: str | None = None
    if len(data) >= 2 and data[-2] == [] and len(data[-1]) == 1:
        resume = str(data[-1][0])
        data = data[:-2]
    elif data and data[-1] == []:
        data = data[:-1]
    if not data:
        return [], resume
    header = [str(h) for h in data[0]]
    missing = [f for f in CDX_FIELDS if f not in header]
    if missing:
        raise WaybackError(
            "protocol", f"CDX answer for {url} lacks fields {', '.join(missing)}", url=url
        )
    idx = [header.index(f) for f in CDX_FIELDS]
    rows: list[CdxRow] = []
    for line in data[1:]:
        if not line:
            continue
        if len(line) != len(header):
            raise WaybackError(
                "protocol", f"malformed CDX row for {url}: {json.dumps(line)[:120]}", url=url
            )
        values = [str(line[i]) for i in idx]
        row = CdxRow(*values)
        if not row.timestamp.isdigit():
            raise WaybackError(
                "protocol", f"malformed CDX timestamp for {url}: {row.timestamp!r}", url=url
            )
        rows.append(row)
    return rows, resume


def _keep(row: CdxRow) -> bool:
    return row.statuscode == "200" or row.is_redirect


def _resolve_and_filter(raw: Sequence[CdxRow]) -> list[CdxRow]:
    rows = sorted(raw, key=lambda r: r.timestamp.ljust(14, "0"))
    originals: dict[str, CdxRow] = {}
    out: list[CdxRow] = []
    for row in rows:
        is_revisit = row.mimetype == REVISIT_MIMETYPE or row.statuscode == "-"
        if not is_revisit:
            if row.digest not in originals:
                originals[row.digest] = row
            if _keep(row):
                out.append(row)
            continue
        first = originals.get(row.digest)
        if first is None:
            # the capture it repeats is outside the listing: playback will tell
            out.append(replace(row, revisit=True))
        elif _keep(first):
            out.append(
                replace(row, mimetype=first.mimetype, statuscode=first.statuscode, revisit=True)
            )
    return out


def _force_raw(url: str) -> str:
    """The same archive address in `id_` mode."""
    parts = urlsplit(url)
    m = _MEMENTO_PATH.match(parts.path)
    if m is None or m.group(2) == "id_":
        return url
    path = f"/web/{m.group(1)}id_/{m.group(3)}"
    return parts._replace(path=path).geturl()


def _link_rel(header: str, rel: str) -> str | None:
    for m in re.finditer(r"<([^>]*)>\s*((?:;\s*[^;,<]+)*)", header):
        params = m.group(2)
        rm = re.search(r'rel\s*=\s*"([^"]*)"', params) or re.search(r"rel\s*=\s*([^\s;,]+)", params)
        if rm and rel in rm.group(1).split():
            return m.group(1)
    return None


def _read_capped(resp: requests.Response, limit: int) -> bytes | None:
    chunks: list[bytes] = []
    total = 0
    for chunk in resp.iter_content(65536):
        total += len(chunk)
        if total > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)
