"""A small HTTP server on loopback with routes you can change while it runs.

It plays "real sites" for the offline demo and for the tests: pages can be swapped between
checks, answer with any status and headers, honour conditional GET, or run a custom handler
(for slow, broken or hostile responses). It binds loopback only (127.0.0.1 by default;
other 127.x addresses play other hosts).
"""

from __future__ import annotations

import contextlib
import hashlib
import socket
import ssl
import struct
import threading
import time
from collections.abc import Callable, Sequence
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
    at: float = 0.0  # time.monotonic() when the request arrived


class LocalSite:
    """`with LocalSite() as site: site.set("/p", html); requests.get(site.url("/p"))`."""

    def __init__(
        self, host: str = "127.0.0.1", port: int = 0, *, tls: ssl.SSLContext | None = None
    ) -> None:
        """`tls`: a server-side SSLContext (cert loaded) to serve HTTPS instead of HTTP."""
        self.routes: dict[str, Route] = {}
        self.requests: list[RequestRecord] = []
        self._lock = threading.Lock()
        site = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body are separate writes: no 40 ms stall

            def log_message(self, format: str, *args: object) -> None:  # quiet
                pass

            def do_GET(self) -> None:  # noqa: N802 - http.server naming
                site._serve(self, head=False)

            def do_HEAD(self) -> None:  # noqa: N802
                site._serve(self, head=True)

        self._server = ThreadingHTTPServer((host, port), _Handler)
        self._server.daemon_threads = True
        self.tls = tls is not None
        if tls is not None:
            # handshake lazily in the handler thread, so a failing client cannot stall accept()
            self._server.socket = tls.wrap_socket(
                self._server.socket, server_side=True, do_handshake_on_connect=False
            )
        self._thread: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------------------
    @property
    def port(self) -> int:
        return self._server.server_address[1]

    @property
    def base(self) -> str:
        host = self._server.server_address[0]
        return f"{'https' if self.tls else 'http'}://{host}:{self.port}"

    def url(self, path: str = "/") -> str:
        return self.base + path

    def start(self) -> LocalSite:
        # a short poll interval makes stop() quick (shutdown waits for the next poll)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
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
            self.routes[path] = Route(
                data, status, dict(headers or {}), content_type, etag, handler
            )

    def hits(self, path: str) -> int:
        with self._lock:
            return sum(1 for r in self.requests if r.path == path)

    def records(self, path: str) -> list[RequestRecord]:
        """The requests received for `path` (same matching as `hits`), oldest first."""
        with self._lock:
            return [r for r in self.requests if r.path == path]

    # -- serving ---------------------------------------------------------------------------
    def _serve(self, req: BaseHTTPRequestHandler, *, head: bool) -> None:
        path = urlsplit(req.path).path
        with self._lock:
            self.requests.append(
                RequestRecord(req.command, req.path, dict(req.headers.items()), time.monotonic())
            )
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


# -- building blocks for custom handlers (slow, broken and hostile servers) -------------------


def respond(
    req: BaseHTTPRequestHandler,
    status: int = 200,
    body: bytes | str = b"",
    headers: dict[str, str] | None = None,
    *,
    content_type: str = "text/html; charset=utf-8",
) -> None:
    """Write one complete response from inside a handler."""
    data = body.encode("utf-8") if isinstance(body, str) else body
    req.send_response(status)
    hdrs = {"Content-Type": content_type, **(headers or {})}
    for k, v in hdrs.items():
        req.send_header(k, v)
    req.send_header("Content-Length", str(len(data)))
    req.end_headers()
    if req.command != "HEAD":
        req.wfile.write(data)


def sequence(*handlers: Handler) -> Handler:
    """A handler that answers the n-th request with the n-th handler (the last one repeats)."""
    lock = threading.Lock()
    count = [0]

    def handle(req: BaseHTTPRequestHandler) -> None:
        with lock:
            i = min(count[0], len(handlers) - 1)
            count[0] += 1
        handlers[i](req)

    return handle


def drip(body: bytes, interval: float, *, content_length: bool = True) -> Handler:
    """Send headers at once, then the body one byte every `interval` seconds (slowloris)."""

    def handle(req: BaseHTTPRequestHandler) -> None:
        req.close_connection = True
        try:
            req.send_response(200)
            req.send_header("Content-Type", "text/html; charset=utf-8")
            if content_length:
                req.send_header("Content-Length", str(len(body)))
            req.end_headers()
            req.wfile.flush()
            for i in range(len(body)):
                req.wfile.write(body[i : i + 1])
                req.wfile.flush()
                time.sleep(interval)
        except OSError:
            pass

    return handle


def _reset(req: BaseHTTPRequestHandler) -> None:
    """Abort the connection with a TCP RST (SO_LINGER 0 then close)."""
    req.close_connection = True
    sock = req.connection
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.close()


def reset_after(prefix: bytes, content_length: int) -> Handler:
    """Promise `content_length` bytes, send `prefix`, then reset the connection."""

    def handle(req: BaseHTTPRequestHandler) -> None:
        try:
            req.send_response(200)
            req.send_header("Content-Type", "text/html; charset=utf-8")
            req.send_header("Content-Length", str(content_length))
            req.end_headers()
            req.wfile.write(prefix)
            req.wfile.flush()
            time.sleep(0.05)
        except OSError:
            pass
        _reset(req)

    return handle


def reset_now() -> Handler:
    """Reset the connection without answering."""
    return _reset


def truncated_chunked(chunks: Sequence[bytes], partial: bytes = b"partial") -> Handler:
    """A chunked body whose last chunk announces more bytes than are sent before closing."""

    def handle(req: BaseHTTPRequestHandler) -> None:
        req.close_connection = True
        try:
            req.send_response(200)
            req.send_header("Content-Type", "text/html; charset=utf-8")
            req.send_header("Transfer-Encoding", "chunked")
            req.end_headers()
            for c in chunks:
                req.wfile.write(b"%x\r\n%s\r\n" % (len(c), c))
            req.wfile.write(b"%x\r\n%s" % (len(partial) + 1000, partial))
            req.wfile.flush()
            req.connection.shutdown(socket.SHUT_WR)
        except OSError:
            pass

    return handle


class SilentServer:
    """A TCP port that accepts connections (kernel backlog) and never answers a byte."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.bind((host, 0))
        self._sock.listen(64)
        self.port: int = self._sock.getsockname()[1]

    def url(self, path: str = "/") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def close(self) -> None:
        self._sock.close()

    def __enter__(self) -> SilentServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def closed_port(host: str = "127.0.0.1") -> int:
    """A port number on which nothing listens (bound, then closed)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]
