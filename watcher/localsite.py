"""A small HTTP server on loopback with routes you can change while it runs.

It plays "real sites" for the offline demo and for the tests: pages can be swapped between
checks, answer with any status and headers, honour conditional GET, or run a custom handler
(for slow, broken or hostile responses). It binds 127.0.0.1 only.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

Handler = Callable[[BaseHTTPRequestHandler], None]


@dataclass
class Route:
    body: bytes = b""
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "text/html; charset=utf-8"
    etag: bool = True  # send an ETag and answer If-None-Match with 304
    handler: Handler | None = None  # full control: write the response yourself


@dataclass
class RequestRecord:
    method: str
    path: str
    headers: dict[str, str]


class LocalSite:
    """`with LocalSite() as site: site.set("/p", html); requests.get(site.url("/p"))`."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[RequestRecord] = []
        self._lock = threading.Lock()
        site = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:  # quiet
                pass

            def do_GET(self) -> None:  # noqa: N802 - http.server naming
                site._serve(self, head=False)

            def do_HEAD(self) -> None:  # noqa: N802
                site._serve(self, head=True)

        self._server = ThreadingHTTPServer((host, port), _Handler)
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------------------
    @property
    def port(self) -> int:
        return self._server.server_address[1]

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str = "/") -> str:
        return self.base + path

    def start(self) -> LocalSite:
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> LocalSite:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- routes ----------------------------------------------------------------------------
    def set(
        self,
        path: str,
        body: bytes | str = b"",
        *,
        status: int = 200,
        headers: dict[str, str] | None = None,
        content_type: str = "text/html; charset=utf-8",
        etag: bool = True,
        handler: Handler | None = None,
    ) -> None:
        data = body.encode("utf-8") if isinstance(body, str) else body
        with self._lock:
            self.routes[path] = Route(data, status, dict(headers or {}), content_type, etag, handler)

    def hits(self, path: str) -> int:
        with self._lock:
            return sum(1 for r in self.requests if r.path == path)

    # -- serving ---------------------------------------------------------------------------
    def _serve(self, req: BaseHTTPRequestHandler, *, head: bool) -> None:
        path = urlsplit(req.path).path
        with self._lock:
            self.requests.append(RequestRecord(req.command, req.path, dict(req.headers.items())))
            route = self.routes.get(path)
        if route is None:
            route = Route(b"<html><body><h1>Not found</h1></body></html>", 404)
        if route.handler is not None:
            route.handler(req)
            return
        headers = {"Content-Type": route.content_type, **route.headers}
        tag = '"' + hashlib.sha256(route.body).hexdigest()[:16] + '"'
        if route.etag and route.status == 200:
            headers.setdefault("ETag", tag)
            if req.headers.get("If-None-Match") == tag:
                req.send_response(304)
                req.send_header("ETag", tag)
                req.send_header("Content-Length", "0")
                req.end_headers()
                return
        req.send_response(route.status)
        for k, v in headers.items():
            req.send_header(k, v)
        req.send_header("Content-Length", str(len(route.body)))
        req.end_headers()
        if not head:
            req.wfile.write(route.body)
