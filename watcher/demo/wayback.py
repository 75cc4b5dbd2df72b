"""A stand-in Wayback Machine on 127.0.0.1 (tests and the demo): real CDX JSON and playback.

Build an archive, then point a client at `archive.base`:

    with FakeWayback() as wb:
        wb.add("https://ex.com/privacy", "20150301120000", b"<html>v1</html>")
        wb.add("https://ex.com/privacy", "20150401120000", b"<html>v1</html>", revisit=True)
        wb.add("https://ex.com/old", "20160101000000", status=301, location="/privacy")
        wb.block("blocked.example")                       # 403 Blocked Site Error
        wb.block("other.example", page_status=200)        # the 200 "excluded" playback page
        wb.fail("cdx", 429, times=1)                      # next CDX request -> 429
        wb.fail("playback", 503, times=2)                 # next 2 playback requests -> 503
        wb.slow("playback", 0.5, times=1)                 # next playback request sleeps 0.5 s
        wb.drip("playback", 1.0)                          # playback bodies at 1 byte per second
        ... client calls ...
        wb.requests        # every request: method, path, query, headers, time, status

What it reproduces (from the Internet Archive's wayback / cdx-server behaviour):

- `GET /cdx/search/cdx?url=..&output=json&fl=..&from=..&to=..&limit=N&showResumeKey=true
  [&resumeKey=K][&collapse=digest]`: `[]` when nothing matched, else a header row then rows;
  a page cut by `limit` ends with `[]` and `["<resume key>"]`. URL matching ignores scheme,
  case of the host and a leading "www.". `collapse=digest` merges ADJACENT rows only, per
  page. Lines listed with `repeat=N` appear N times (the live index repeats lines), and with
  `repeat_across_pages` each page repeats the previous page's last line. Revisit records
  appear as mimetype `warc/revisit`, statuscode `-`, with the digest of the capture repeated.
  A blocked site answers 403 with the AdministrativeAccessControlException text.
- `GET /web/<ts>id_/<url>`: the archived bytes as captured, with `Memento-Datetime`, `Link`
  (original -- with `:80` on http URLs, as the Archive writes it --, timemap,
  first/prev/next/last memento), `X-Archive-Src`, the captured status and Content-Type,
  `X-Archive-Orig-*` headers. A revisit plays the payload of the capture it repeats with its
  own status and Location when it has them (a run of redirects to changing targets shares
  one digest). Odd timestamps (month or day `00`) are served as the Archive does, clamped; a captured 3xx carries `Location` pointing at
  `/web/<same ts>id_/<target>` (absolute by default, relative with `relative_location=True`).
  When `<ts>` is not held exactly: 302 WITHOUT Memento-Datetime to the nearest capture.
  Captures that redirect to their own URL (http -> https) are never played back (as the
  Wayback's SelfRedirectFilter does): the nearest other capture is served.
  Never archived: 404 with `X-Archive-Wayback-Runtime-Error: ResourceNotInArchiveException`.
  Blocked: 403 with `X-Archive-Wayback-Runtime-Error: AdministrativeAccessControlException:
  Blocked Site Error` (or, with `page_status=200`, the 200 playback page without
  Memento-Datetime that says the URL "has been excluded from the Wayback Machine").
- `GET /web/<ts>/<url>` (no `id_`): the page wrapped in the Archive's banner
  (`<!-- BEGIN WAYBACK TOOLBAR INSERT -->` ... `<!-- END WAYBACK TOOLBAR INSERT -->`).
"""

from __future__ import annotations

import base64
import calendar
import hashlib
import json
import re
import threading
import time
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Literal
from urllib.parse import parse_qs, quote, unquote, urljoin, urlsplit

FaultKind = Literal["cdx", "playback", "any"]

TOOLBAR_BEGIN = "<!-- BEGIN WAYBACK TOOLBAR INSERT -->"
TOOLBAR_END = "<!-- END WAYBACK TOOLBAR INSERT -->"
BLOCKED_HEADER = "AdministrativeAccessControlException: Blocked Site Error"
BLOCKED_CDX_BODY = (
    "org.archive.util.io.RuntimeIOException: "
    "org.archive.wayback.exception.AdministrativeAccessControlException: Blocked Site Error\n"
)
_WEB_PATH = re.compile(r"^/web/(\d{1,14})([a-z]{2}_)?/(.+)$", re.DOTALL)
_REASONS = {
    200: "OK",
    301: "Moved Permanently",
    302: "Found",
    303: "See Other",
    307: "Temporary Redirect",
    308: "Permanent Redirect",
    403: "Forbidden",
    404: "Not Found",
    410: "Gone",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


def cdx_digest(body: bytes) -> str:
    """The CDX `digest`: base32 of the SHA-1 of the archived payload."""
    return base64.b32encode(hashlib.sha1(body).digest()).decode("ascii")


def url_key(url: str) -> str:
    """How the index matches URLs: no scheme, lower-case host without "www.", path + query."""
    parts = urlsplit(url if "://" in url else "http://" + url)
    host = (parts.hostname or "").lower()
    if host.startswith("www."):
        host = host[4:]
    port = f":{parts.port}" if parts.port and parts.port not in (80, 443) else ""
    path = parts.path or "/"
    if len(path) > 1:
        path = path.rstrip("/")
    return host + port + path + ("?" + parts.query if parts.query else "")


def _surt(url: str) -> str:
    key = url_key(url)
    host, _, rest = key.partition("/")
    return ",".join(reversed(host.split("."))) + ")/" + rest


def _http_date(ts: str) -> str:
    return format_datetime(_dt(ts), usegmt=True)


def _dt(ts: str) -> datetime:
    """A timestamp as a datetime, out-of-range fields clamped (`20000012...` is 2000-01-12)."""
    full = ts + "0101000000"[len(ts) - 4 :] if len(ts) < 14 else ts
    year = max(1, int(full[0:4]))
    month = min(max(int(full[4:6]), 1), 12)
    day = min(max(int(full[6:8]), 1), calendar.monthrange(year, month)[1])
    hms = (min(int(full[8:10]), 23), min(int(full[10:12]), 59), min(int(full[12:14]), 59))
    return datetime(year, month, day, *hms, tzinfo=UTC)


def _original_with_port(url: str) -> str:
    """How the Archive's Link header writes an original http URL: with its default port."""
    parts = urlsplit(url)
    if parts.scheme == "http" and parts.port is None and parts.hostname:
        return parts._replace(netloc=parts.netloc + ":80").geturl()
    return url


@dataclass
class ArchivedCapture:
    url: str
    timestamp: str  # 14 digits
    status: int = 200
    body: bytes = b""
    mimetype: str = "text/html"
    content_type: str | None = None  # the captured Content-Type header; default from mimetype
    location: str | None = None  # for a 3xx: where the site redirected (absolute or relative)
    relative_location: bool = False  # serve the archived Location as "/web/..." (no host)
    revisit: bool = False  # indexed as a warc/revisit of an earlier capture with the same body
    repeat: int = 1  # how many consecutive times the CDX lists this line
    headers: dict[str, str] = field(default_factory=dict)  # more captured headers
    memento_datetime: str | None = None  # a broken mirror: this Memento-Datetime instead

    @property
    def self_redirect(self) -> bool:
        if not (300 <= self.status < 400 and self.location):
            return False
        return url_key(urljoin(self.url, self.location)) == url_key(self.url)

    @property
    def digest(self) -> str:
        return cdx_digest(self.body)

    def cdx_row(self) -> list[str]:
        if self.revisit:
            return [self.timestamp, self.url, "warc/revisit", "-", self.digest, "541"]
        length = str(len(self.body) + 400)
        return [self.timestamp, self.url, self.mimetype, str(self.status), self.digest, length]


@dataclass
class RequestLog:
    method: str
    path: str  # without the query string
    query: dict[str, list[str]]
    headers: dict[str, str]
    time: float  # time.monotonic() when the request arrived
    status: int = 0  # what was answered
    raw_path: str = ""
    client_port: int = 0  # the client's port: one per connection (keep-alive reuse shows)

    @property
    def kind(self) -> str:
        if self.path.startswith("/cdx/"):
            return "cdx"
        if self.path.startswith("/web/"):
            return "playback"
        return "other"

    def param(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[0] if values else None


@dataclass
class _Fault:
    kind: FaultKind
    status: int
    remaining: int
    headers: dict[str, str]


@dataclass
class _Slow:
    kind: FaultKind
    seconds: float
    remaining: int


class FakeWayback:
    """A threaded stand-in for web.archive.org holding an in-memory archive."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self._captures: dict[str, list[ArchivedCapture]] = {}
        self._blocked: dict[str, int] = {}  # host or URL -> playback status (403 or 200)
        self._drip: dict[str, float] = {}  # kind -> seconds per body byte
        self._faults: list[_Fault] = []
        self._slow: list[_Slow] = []
        self.requests: list[RequestLog] = []
        self.repeat_across_pages = False
        self.max_limit = 150_000  # the server caps `limit` like the real one
        self._lock = threading.Lock()
        fake = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802 - http.server naming
                fake._serve(self)

        self._server = ThreadingHTTPServer((host, port), _Handler)
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    # -- lifecycle --------------------------------------------------------------------------
    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> FakeWayback:
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> FakeWayback:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- building the archive ---------------------------------------------------------------
    def add(
        self,
        url: str,
        timestamp: str,
        body: bytes | str = b"",
        *,
        status: int = 200,
        mimetype: str = "text/html",
        content_type: str | None = None,
        location: str | None = None,
        relative_location: bool = False,
        revisit: bool = False,
        repeat: int = 1,
        headers: dict[str, str] | None = None,
        memento_datetime: str | None = None,
    ) -> ArchivedCapture:
        """Archive one capture. `revisit=True` needs an earlier capture with the same body."""
        if not (len(timestamp) == 14 and timestamp.isdigit()):
            raise ValueError(f"timestamp must have 14 digits: {timestamp!r}")
        data = body.encode("utf-8") if isinstance(body, str) else body
        if 300 <= status < 400 and location is None:
            raise ValueError("a captured redirect needs a location")
        cap = ArchivedCapture(
            url=url,
            timestamp=timestamp,
            status=status,
            body=data,
            mimetype=mimetype,
            content_type=content_type,
            location=location,
            relative_location=relative_location,
            revisit=revisit,
            repeat=repeat,
            headers=dict(headers or {}),
            memento_datetime=memento_datetime,
        )
        with self._lock:
            caps = self._captures.setdefault(url_key(url), [])
            if revisit and not any(
                c.digest == cap.digest and c.timestamp < timestamp and not c.revisit for c in caps
            ):
                raise ValueError("a revisit needs an earlier capture of the same URL and body")
            caps.append(cap)
            caps.sort(key=lambda c: c.timestamp)
        return cap

    def block(self, url_or_host: str, *, page_status: int = 403) -> None:
        """Exclude a host (or one URL) from the archive: 403 Blocked Site Error everywhere
        (`page_status=200`: playback answers the 200 "excluded" page, as the Archive does)."""
        with self._lock:
            self._blocked[url_or_host.lower()] = page_status

    def drip(self, kind: FaultKind, seconds_per_byte: float) -> None:
        """From now on, bodies of `kind` are sent one byte every `seconds_per_byte`."""
        with self._lock:
            self._drip[kind] = seconds_per_byte

    def fail(
        self,
        kind: FaultKind,
        status: int,
        *,
        times: int = 1,
        headers: dict[str, str] | None = None,
    ) -> None:
        """The next `times` requests of `kind` ("cdx", "playback" or "any") answer `status`."""
        with self._lock:
            self._faults.append(_Fault(kind, status, times, dict(headers or {})))

    def slow(self, kind: FaultKind, seconds: float, *, times: int = 1) -> None:
        """The next `times` requests of `kind` wait `seconds` before answering."""
        with self._lock:
            self._slow.append(_Slow(kind, seconds, times))

    # -- inspecting -------------------------------------------------------------------------
    def of_kind(self, kind: str) -> list[RequestLog]:
        with self._lock:
            return [r for r in self.requests if r.kind == kind]

    def raw_url(self, timestamp: str, url: str) -> str:
        return f"{self.base}/web/{timestamp}id_/{url}"

    # -- serving ----------------------------------------------------------------------------
    def _serve(self, req: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(req.path)
        entry = RequestLog(
            method=req.command,
            path=unquote(parts.path),
            query=parse_qs(parts.query, keep_blank_values=True),
            headers=dict(req.headers.items()),
            time=time.monotonic(),
            raw_path=req.path,
            client_port=req.client_address[1],
        )
        with self._lock:
            self.requests.append(entry)
            kind = entry.kind
            delay = 0.0
            for s in self._slow:
                if s.remaining > 0 and s.kind in (kind, "any"):
                    s.remaining -= 1
                    delay = s.seconds
                    break
            fault = None
            for f in self._faults:
                if f.remaining > 0 and f.kind in (kind, "any"):
                    f.remaining -= 1
                    fault = f
                    break
        if delay:
            time.sleep(delay)
        if fault is not None:
            body = (
                f"<html><body><h1>{fault.status} {_REASONS.get(fault.status, '')}</h1>"
                "</body></html>"
            ).encode()
            self._send(
                req, entry, fault.status, {"Content-Type": "text/html", **fault.headers}, body
            )
            return
        if kind == "cdx" and parts.path == "/cdx/search/cdx":
            self._cdx(req, entry)
        elif kind == "playback":
            self._playback(req, entry, parts.path, parts.query)
        else:
            self._send(req, entry, 404, {"Content-Type": "text/plain"}, b"not found")

    def _send(
        self,
        req: BaseHTTPRequestHandler,
        entry: RequestLog,
        status: int,
        headers: dict[str, str],
        body: bytes,
    ) -> None:
        entry.status = status
        req.send_response(status, _REASONS.get(status))
        for k, v in headers.items():
            req.send_header(k, v)
        if "Content-Length" not in headers:
            req.send_header("Content-Length", str(len(body)))
        req.end_headers()
        with self._lock:
            drip = self._drip.get(entry.kind) or self._drip.get("any")
        if not drip:
            req.wfile.write(body)
            return
        try:
            for i in range(len(body)):
                req.wfile.write(body[i : i + 1])
                req.wfile.flush()
                time.sleep(drip)
        except OSError:  # the client gave up (its deadline)
            req.close_connection = True

    def _is_blocked(self, url: str) -> int | None:
        host = (urlsplit(url if "://" in url else "http://" + url).hostname or "").lower()
        bare = host[4:] if host.startswith("www.") else host
        with self._lock:
            for key in (url.lower(), host, bare):
                if key in self._blocked:
                    return self._blocked[key]
        return None

    def _lookup(self, url: str) -> list[ArchivedCapture]:
        with self._lock:
            return list(self._captures.get(url_key(url), []))

    # -- CDX --------------------------------------------------------------------------------
    def _cdx(self, req: BaseHTTPRequestHandler, entry: RequestLog) -> None:
        q = entry.query
        url = entry.param("url") or ""
        if not url:
            self._send(req, entry, 400, {"Content-Type": "text/plain"}, b"missing url\n")
            return
        if self._is_blocked(url) is not None:
            headers = {
                "Content-Type": "text/plain",
                "X-Archive-Wayback-Runtime-Error": BLOCKED_HEADER,
            }
            self._send(req, entry, 403, headers, BLOCKED_CDX_BODY.encode())
            return
        fields = entry.param("fl") or "urlkey,timestamp,original,mimetype,statuscode,digest,length"
        fl = [f for f in fields.split(",") if f]
        lo = (entry.param("from") or "").ljust(14, "0")
        hi_raw = entry.param("to") or ""
        hi = hi_raw + "99991231235959"[len(hi_raw) :] if hi_raw else "99991231235959"
        lines: list[list[str]] = []
        for cap in self._lookup(url):
            if not lo <= cap.timestamp <= hi:
                continue
            full = dict(
                zip(
                    ["timestamp", "original", "mimetype", "statuscode", "digest", "length"],
                    cap.cdx_row(),
                    strict=True,
                )
            )
            full["urlkey"] = _surt(cap.url)
            lines.extend([[full.get(f, "-") for f in fl]] * max(1, cap.repeat))
        start = 0
        resume = entry.param("resumeKey")
        if resume:
            try:
                start = int(resume.rsplit("%21", 1)[1])
            except (IndexError, ValueError):
                self._send(req, entry, 400, {"Content-Type": "text/plain"}, b"bad resumeKey\n")
                return
        limit_s = entry.param("limit")
        limit = min(int(limit_s), self.max_limit) if limit_s else self.max_limit
        page = lines[start : start + limit]
        consumed = start + len(page)
        if self.repeat_across_pages and start > 0:
            page = [lines[start - 1], *page]  # the live index repeats the boundary line
        if "digest" in (q.get("collapse") or []) and "digest" in fl:
            d = fl.index("digest")
            collapsed: list[list[str]] = []
            for line in page:
                if collapsed and collapsed[-1][d] == line[d]:
                    continue
                collapsed.append(line)
            page = collapsed
        out: list[list[str]] = []
        if page:
            out.append(fl)
            out.extend(page)
        more = consumed - start == limit  # cut by the limit (the next page may be empty)
        if more and entry.param("showResumeKey") == "true":
            key = f"{quote(_surt(url), safe='')}+{consumed:014d}%21{consumed}"
            out.append([])
            out.append([key])
        body = (
            "[" + ",\n".join(json.dumps(row) for row in out) + "]\n" if out else "[]\n"
        ).encode()
        self._send(req, entry, 200, {"Content-Type": "application/json"}, body)

    # -- playback ---------------------------------------------------------------------------
    def _playback(
        self, req: BaseHTTPRequestHandler, entry: RequestLog, path: str, query: str
    ) -> None:
        m = _WEB_PATH.match(path)
        if m is None:
            self._send(req, entry, 400, {"Content-Type": "text/plain"}, b"bad archive URL\n")
            return
        ts, mod, original = m.group(1), m.group(2) or "", m.group(3)
        if query:
            original += "?" + query
        original = re.sub(r"^(https?):/(?!/)", r"\1://", original)
        page_status = self._is_blocked(original)
        if page_status is not None:
            headers = {"Content-Type": "text/html; charset=utf-8"}
            if page_status != 200:
                headers["X-Archive-Wayback-Runtime-Error"] = BLOCKED_HEADER
            body = (
                b"<!DOCTYPE html><html><head><title>Wayback Machine</title></head><body>"
                b'<div id="error"><p class="code">Sorry.</p><p class="code shift">This URL has '
                b"been excluded from the Wayback Machine.</p></div></body></html>"
            )
            self._send(req, entry, page_status, headers, body)
            return
        everything = self._lookup(original)
        # like the Wayback's SelfRedirectFilter: a capture redirecting to its own URL (e.g.
        # http -> https) is never played back; the nearest other capture is served instead
        caps = [c for c in everything if not c.self_redirect]
        if not caps:
            headers = {
                "Content-Type": "text/html",
                "X-Archive-Wayback-Runtime-Error": f"ResourceNotInArchiveException: {original} was not found",
            }
            body = b"<html><body><p>Hrm. The Wayback Machine has not archived that URL.</p></body></html>"
            self._send(req, entry, 404, headers, body)
            return
        exact = next((c for c in caps if c.timestamp == ts), None) if len(ts) == 14 else None
        if exact is None:
            want = _dt(ts)
            nearest = min(
                caps, key=lambda c: (abs((_dt(c.timestamp) - want).total_seconds()), c.timestamp)
            )
            headers = {
                "Content-Type": "text/plain",
                "Location": f"{self.base}/web/{nearest.timestamp}{mod}/{nearest.url}",
                "Link": self._links(caps, nearest),
            }
            self._send(req, entry, 302, headers, b"")
            return
        self._replay(req, entry, caps, exact, mod)

    def _links(self, caps: list[ArchivedCapture], cap: ArchivedCapture) -> str:
        def mem(rel: str, c: ArchivedCapture) -> str:
            return f'<{self.base}/web/{c.timestamp}/{c.url}>; rel="{rel}"; datetime="{_http_date(c.timestamp)}"'

        i = caps.index(cap)
        links = [
            f'<{_original_with_port(cap.url)}>; rel="original"',
            f'<{self.base}/web/timemap/link/{cap.url}>; rel="timemap"; type="application/link-format"',
            mem("first memento", caps[0]),
        ]
        if i > 0:
            links.append(mem("prev memento", caps[i - 1]))
        links.append(mem("memento", cap))
        if i + 1 < len(caps):
            links.append(mem("next memento", caps[i + 1]))
        links.append(mem("last memento", caps[-1]))
        return ", ".join(links)

    def _replay(
        self,
        req: BaseHTTPRequestHandler,
        entry: RequestLog,
        caps: list[ArchivedCapture],
        cap: ArchivedCapture,
        mod: str,
    ) -> None:
        source = cap
        if cap.revisit:  # the payload of the capture it repeats (and its status, unless own)
            first = next(
                c
                for c in caps
                if c.digest == cap.digest and not c.revisit and c.timestamp < cap.timestamp
            )
            source = (
                first
                if cap.location is None
                else replace(first, location=cap.location, status=cap.status)
            )
        ctype = source.content_type or (
            f"{source.mimetype}; charset=utf-8"
            if source.mimetype.startswith("text/")
            else source.mimetype
        )
        headers = {
            "Content-Type": ctype,
            "Memento-Datetime": _http_date(cap.memento_datetime or cap.timestamp),
            "Link": self._links(caps, cap),
            "X-Archive-Src": f"fake-{cap.timestamp}.warc.gz",
            **{f"X-Archive-Orig-{k}": v for k, v in source.headers.items()},
        }
        status = source.status
        body = source.body
        if 300 <= status < 400 and source.location:
            target = urljoin(cap.url, source.location)
            path = f"/web/{cap.timestamp}{mod}/{target}"
            headers["Location"] = path if source.relative_location else self.base + path
        if mod != "id_":
            if 300 <= status < 400:
                status = 200
                body = (
                    f"<html><body><p>Got an HTTP {source.status} response at crawl time</p>"
                    f'<p>Redirecting to...</p><a href="{headers.get("Location", "")}">'
                    f"{source.location}</a></body></html>"
                ).encode()
                headers.pop("Location", None)
            if "html" in ctype:
                body = self._with_banner(body, cap)
        self._send(req, entry, status, headers, body)

    def _with_banner(self, body: bytes, cap: ArchivedCapture) -> bytes:
        banner = (
            '<script src="//archive.org/includes/athena.js" type="text/javascript"></script>\n'
            f'{TOOLBAR_BEGIN}\n<div id="wm-ipp-base">Wayback Machine: {cap.url} '
            f"captured {cap.timestamp}</div>\n{TOOLBAR_END}\n"
        ).encode()
        trailer = (
            f"\n<!--\n     FILE ARCHIVED ON {_http_date(cap.timestamp)} AND RETRIEVED FROM THE\n"
            "     INTERNET ARCHIVE ON (stand-in).\n-->\n"
        ).encode()
        m = re.search(rb"<body[^>]*>", body, re.IGNORECASE)
        if m:
            return body[: m.end()] + banner + body[m.end() :] + trailer
        return banner + body + trailer
