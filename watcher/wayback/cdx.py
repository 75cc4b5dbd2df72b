"""The Wayback Machine's data, without I/O: CDX rows, timestamps, paging, thinning.

- `parse_since("2015-06")` -> "201506": the one check of a `backfill_since` / `--since` date
  (config and backfill both call it);
- `parse_timestamp` reads a CDX timestamp, repairing out-of-range fields (month or day `00`,
  hour 24...) the way the Archive's own clients do, by clamping;
- `CdxReader` parses an `output=json` CDX answer line by line as it streams in, resolving
  `warc/revisit` rows and folding runs of the same body, so memory stays bounded by the
  number of distinct bodies (and months), not by the length of the listing;
- `distinct(rows)` keeps the first row per body, `thin(rows, every)` one row per month /
  quarter / year (called before `distinct`, so periods are not merged by the dedupe);
- `memento_parts`, `force_raw`, `link_rel`, `same_policy`: playback addresses and headers.
"""

from __future__ import annotations

import calendar
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Literal
from urllib.parse import urlsplit, urlunsplit

from watcher.models import WatcherError

CDX_FIELDS = ("timestamp", "original", "mimetype", "statuscode", "digest", "length")
REVISIT_MIMETYPE = "warc/revisit"

Period = Literal["month", "quarter", "year"]
PERIODS = ("month", "quarter", "year")

_MEMENTO_PATH = re.compile(r"^/web/(\d{1,14})([a-z]{2}_)?/(.+)$", re.DOTALL)
_SINCE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")


class WaybackError(WatcherError):
    """A Wayback Machine request failed; `kind` is a short machine tag, str(self) the cause.

    kinds: blocked (site excluded or robots.txt), not_archived (no captures), rate_limited
    (HTTP 429: stop, try later), unavailable (5xx after retries), timeout, connect,
    tls (certificate or handshake failure: never retried), too_large (an answer over its
    cap), protocol (unparseable answer), http (another unexpected status), busy (another
    backfill holds the slot).
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


# -- timestamps and dates ---------------------------------------------------------------------


def parse_timestamp(ts: str) -> datetime:
    """A CDX/Wayback timestamp (4-14 digits) as an aware UTC datetime.

    Missing digits are the start of the period; fields out of range are clamped as the
    Archive's own clients do (month/day `00` -> 01, day 31 in a 30-day month -> 30, hour 24
    -> 23, minute/second 60+ -> 59), so a 2000-era `20000012170449` is 2000-01-12 17:04:49.
    """
    digits = ts.strip()
    if not digits.isdigit() or not 4 <= len(digits) <= 14:
        raise ValueError(f"not a Wayback timestamp: {ts!r}")
    full = digits + "0101000000"[len(digits) - 4 :] if len(digits) < 14 else digits
    year = max(1, int(full[0:4]))
    month = min(max(int(full[4:6]), 1), 12)
    day = min(max(int(full[6:8]), 1), calendar.monthrange(year, month)[1])
    hour = min(int(full[8:10]), 23)
    minute = min(int(full[10:12]), 59)
    second = min(int(full[12:14]), 59)
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def format_timestamp(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime("%Y%m%d%H%M%S")


def parse_since(s: str) -> str:
    """ "2015" / "2015-06" / "2015-06-01" -> the CDX `from`/`to` value "2015" / "201506" / "20150601".

    The one validation of `backfill_since` (config), `--since` and `--until` (CLI, backfill).
    """
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


def _sort_key(ts: str) -> str:
    return ts.ljust(14, "0")


# -- rows -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CdxRow:
    """One CDX line (the `fl=timestamp,original,mimetype,statuscode,digest,length` fields).

    For a resolved `warc/revisit` row, `revisit` is True and `mimetype` / `statuscode` are
    those of the earlier capture with the same digest (when that capture was listed too);
    an unresolved revisit keeps `warc/revisit` and statuscode `-`. `via` is set on the
    captures of a redirect target listed on behalf of the watched URL that redirected there.
    """

    timestamp: str
    original: str
    mimetype: str
    statuscode: str
    digest: str
    length: str
    revisit: bool = False
    via: str | None = None

    @property
    def captured_at(self) -> datetime:
        return parse_timestamp(self.timestamp)

    @property
    def is_redirect(self) -> bool:
        return len(self.statuscode) == 3 and self.statuscode.startswith("3")

    @property
    def key(self) -> str:
        """What progress is recorded under: the body's digest; a redirect's is per capture
        (all redirects share the empty body's digest, but each may go somewhere else)."""
        if self.is_redirect or not self.digest or self.digest == "-":
            return f"{self.digest}@{self.timestamp}"
        return self.digest

    @property
    def memento(self) -> tuple[str, str]:
        """(timestamp, URL): what a playback request asks for."""
        return self.timestamp, self.original


@dataclass(frozen=True)
class Skipped:
    """A CDX row that `fetch` did not turn into a Capture, and why."""

    row: CdxRow
    reason: str


def _keep(row: CdxRow) -> bool:
    return row.statuscode == "200" or row.is_redirect


class CdxReader:
    """Parses `output=json` CDX pages line by line, keeping what a backfill can use.

    Feed it the lines of each page (`feed_line`), then take `rows()`. Revisits are resolved
    against the capture they repeat; only 200 / 3xx captures are kept (and revisits whose
    original is unlisted: playback will tell). Consecutive rows of the same body (same
    original, status and digest) are folded into the first of the run, plus the first of
    each calendar month within it (so `thin` still has a candidate per period): a listing
    of millions of identical captures costs a few hundred rows. More than `max_rows` kept
    rows raise WaybackError("too_large").

    The real CDX writes one row per line: `[["timestamp",...],` / `["2015...",...],` ... and,
    when a page is cut by `limit` with `showResumeKey=true`, `[],` / `["<key>"]]`.
    """

    def __init__(self, url: str, *, max_rows: int = 100_000) -> None:
        self.url = url
        self.max_rows = max_rows
        self.listed = 0  # usable rows seen (before folding)
        self.lines = 0
        self._rows: list[CdxRow] = []
        self._originals: dict[str, CdxRow] = {}
        self._last: dict[tuple[str, str], tuple[str, str]] = {}  # (orig, status) -> digest, month
        self._idx: list[int] | None = None
        self._page_resume: str | None = None
        self._after_empty = False
        self._previous_line: bytes | str | None = None

    # -- per page ----------------------------------------------------------------------------
    def start_page(self) -> None:
        self._previous_line = None
        self._idx = None
        self._page_resume = None
        self._after_empty = False

    @property
    def resume_key(self) -> str | None:
        return self._page_resume

    def feed_line(self, raw: bytes | str) -> None:
        if raw == self._previous_line and self._idx is not None:
            self.lines += 1
            return  # the live index repeats lines: nothing new (and cheap for a flood)
        self._previous_line = raw
        text = raw.decode("utf-8", errors="replace") if isinstance(raw, bytes) else raw
        text = text.strip()
        if text.startswith("["):
            if text in ("[]", "[ ]") and self._idx is None and not self._after_empty:
                return  # an empty listing
            if text.startswith("[["):
                text = text[1:]
        if text.endswith("]]") or text.endswith(","):
            text = text[:-1]
        text = text.strip()
        if not text:
            return
        self.lines += 1
        try:
            line = json.loads(text)
        except ValueError as exc:
            raise WaybackError(
                "protocol", f"unreadable CDX answer for {self.url}: {text[:120]!r}", url=self.url
            ) from exc
        if not isinstance(line, list):
            raise WaybackError(
                "protocol", f"unexpected CDX answer for {self.url}: {text[:120]!r}", url=self.url
            )
        if line == []:
            self._after_empty = True
            return
        if self._after_empty:
            if len(line) == 1:
                self._page_resume = str(line[0])
                return
            self._after_empty = False
        if self._idx is None:
            header = [str(h) for h in line]
            missing = [f for f in CDX_FIELDS if f not in header]
            if missing:
                raise WaybackError(
                    "protocol",
                    f"CDX answer for {self.url} lacks fields {', '.join(missing)}",
                    url=self.url,
                )
            self._idx = [header.index(f) for f in CDX_FIELDS]
            self._width = len(header)
            return
        if len(line) != self._width:
            raise WaybackError(
                "protocol",
                f"malformed CDX row for {self.url}: {json.dumps(line)[:120]}",
                url=self.url,
            )
        row = CdxRow(*(str(line[i]) for i in self._idx))
        if not row.timestamp.isdigit() or not 4 <= len(row.timestamp) <= 14:
            raise WaybackError(
                "protocol",
                f"malformed CDX timestamp for {self.url}: {row.timestamp!r}",
                url=self.url,
            )
        self._add(row)

    def _add(self, row: CdxRow) -> None:
        is_revisit = row.mimetype == REVISIT_MIMETYPE or row.statuscode == "-"
        if not is_revisit:
            self._originals.setdefault(row.digest, row)
            if not _keep(row):
                return
        else:
            first = self._originals.get(row.digest)
            if first is None:
                row = replace(row, revisit=True)  # the capture it repeats is unlisted
            elif _keep(first):
                row = replace(
                    row, mimetype=first.mimetype, statuscode=first.statuscode, revisit=True
                )
            else:
                return
        self.listed += 1
        group = (row.original, row.statuscode)
        month = _sort_key(row.timestamp)[:6]
        previous = self._last.get(group)
        self._last[group] = (row.digest, month)
        if previous is not None and previous[0] == row.digest and previous[1] == month:
            return  # the same body again in the same month: folded into the run's first row
        if len(self._rows) >= self.max_rows:
            raise WaybackError(
                "too_large",
                f"the Wayback Machine lists more than {self.max_rows:,} distinct captures of "
                f"{self.url}; narrow the range with --since/--until",
                url=self.url,
            )
        self._rows.append(row)

    def rows(self) -> list[CdxRow]:
        """Kept rows sorted by timestamp, a row listed twice (paging, repeats) once."""
        seen: set[tuple[str, str, str, str]] = set()
        out = []
        for row in sorted(self._rows, key=lambda r: _sort_key(r.timestamp)):
            k = (row.timestamp, row.original, row.digest, row.statuscode)
            if k not in seen:
                seen.add(k)
                out.append(row)
        return out


def parse_cdx_json(content: bytes, url: str) -> tuple[list[CdxRow], str | None]:
    """Rows and resume key of one whole `output=json` CDX page (see `CdxReader`)."""
    reader = CdxReader(url)
    reader.start_page()
    text = content.decode("utf-8", errors="replace").strip()
    if text and not text.startswith("["):
        raise WaybackError("protocol", f"unreadable CDX answer for {url}: {text[:120]!r}", url=url)
    if "\n" not in text and text not in ("", "[]"):
        # one line: split it into rows the way the real CDX lays them out
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise WaybackError(
                "protocol", f"unreadable CDX answer for {url}: {text[:120]!r}", url=url
            ) from exc
        if not isinstance(data, list):
            raise WaybackError("protocol", f"unexpected CDX answer for {url}: {text[:120]!r}")
        for item in data:
            reader.feed_line(json.dumps(item))
    else:
        for line in text.splitlines():
            reader.feed_line(line)
    return reader.rows(), reader.resume_key


# -- choosing rows ----------------------------------------------------------------------------


def distinct(rows: Iterable[CdxRow]) -> list[CdxRow]:
    """The first row (by timestamp) per `key`: each archived body is fetched at most once.

    A revisit carries the digest of the capture it repeats, so it folds into that capture.
    Redirect rows are kept each (their key is per capture); so are rows without a digest.
    """
    seen: set[str] = set()
    out: list[CdxRow] = []
    for row in sorted(rows, key=lambda r: _sort_key(r.timestamp)):
        if row.key in seen:
            continue
        seen.add(row.key)
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

    Ties go to the earlier capture. The result is sorted by timestamp. Call it on the whole
    listing, before `distinct`: deduping first would merge periods that share a body.
    """
    if every not in PERIODS:
        raise ValueError(f"invalid period {every!r}: expected month, quarter or year")
    best: dict[datetime, tuple[float, str, CdxRow]] = {}
    for row in rows:
        at = row.captured_at
        start, end = _period_bounds(at, every)
        middle = start + (end - start) / 2
        key = (abs((at - middle).total_seconds()), _sort_key(row.timestamp), row)
        if start not in best or key[:2] < best[start][:2]:
            best[start] = key
    return [v[2] for _, v in sorted(best.items())]


def group_mementos(rows: Iterable[CdxRow]) -> list[list[CdxRow]]:
    """Rows grouped by memento (timestamp, URL), in order: one playback serves the group.

    The real index can list one (timestamp, URL) with two digests (two records of one
    crawl); the Archive plays back one of them, so it is requested once.
    """
    groups: dict[tuple[str, str], list[CdxRow]] = {}
    for row in rows:
        groups.setdefault(row.memento, []).append(row)
    return list(groups.values())


# -- playback addresses and headers ---------------------------------------------------------


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


def url_key(url: str) -> str:
    """How the index compares URLs: no scheme, lower-case host without "www.", no default
    port, path without a trailing slash, query kept."""
    parts = urlsplit(url if "://" in url else "http://" + url)
    try:
        port = parts.port
    except ValueError:
        port = None
    host = _host_key(parts.hostname)
    port_s = f":{port}" if port and port not in (80, 443) else ""
    path = parts.path or "/"
    if len(path) > 1:
        path = path.rstrip("/")
    return host + port_s + path + ("?" + parts.query if parts.query else "")


def drop_default_port(url: str) -> str:
    """`http://ex.com:80/p` -> `http://ex.com/p` (the Archive's Link headers keep `:80`)."""
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        return url
    if (parts.scheme, port) in (("http", 80), ("https", 443)):
        host = parts.netloc.rsplit(":", 1)[0]
        return urlunsplit(parts._replace(netloc=host))
    return url


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


def force_raw(url: str) -> str:
    """The same archive address in `id_` mode."""
    parts = urlsplit(url)
    m = _MEMENTO_PATH.match(parts.path)
    if m is None or m.group(2) == "id_":
        return url
    path = f"/web/{m.group(1)}id_/{m.group(3)}"
    return parts._replace(path=path).geturl()


def link_rel(header: str, rel: str) -> str | None:
    """The URL of the first `rel` entry of a Link header."""
    for m in re.finditer(r"<([^>]*)>\s*((?:;\s*[^;,<]+)*)", header):
        params = m.group(2)
        rm = re.search(r'rel\s*=\s*"([^"]*)"', params) or re.search(r"rel\s*=\s*([^\s;,]+)", params)
        if rm and rel in rm.group(1).split():
            return m.group(1)
    return None


def memento_date_problem(
    memento: datetime, row_ts: str, now: datetime, *, tolerance: timedelta
) -> str | None:
    """Why a Memento-Datetime cannot be trusted, or None.

    Rejected: a date in the future (a capture "from 9999" would pin itself as the latest
    version forever) or one further than `tolerance` from the CDX timestamp it answers
    (a playback of something else than the listed capture).
    """
    if memento > now + timedelta(days=1):
        return f"Memento-Datetime {memento:%Y-%m-%d} is in the future"
    try:
        listed = parse_timestamp(row_ts)
    except ValueError:
        return None
    if abs(memento - listed) > tolerance:
        return (
            f"Memento-Datetime {memento:%Y-%m-%d} is too far from the listed capture time "
            f"{listed:%Y-%m-%d}"
        )
    return None
