"""A loopback HTTP proxy that makes the browser connect only where the guard said it may.

Chromium resolves host names itself. Without this, the guard's check (`netguard`) and the
browser's connection would each ask DNS, and a name that answers a public address to the
first and an internal one to the second (DNS rebinding) would let a page reach the machine's
own services. So each render gets its own proxy on 127.0.0.1 (Playwright's per-context
`proxy`; Playwright makes Chromium send loopback requests through it too). The browser, and
Playwright's own fetches for the route handler, send it every request by name
(`CONNECT host:443`, or `GET http://host/...`). The proxy resolves the name through the
render's pinned guard (`AddressGuard.pinned`: one answer per name for the whole render, the
same one the route handler checked), refuses what the guard refuses, and connects to that very
address. TLS stays end to end: a CONNECT tunnel carries the browser's own handshake with the
site, certificate checks included.

Only its render may use it: it listens on loopback, where any local program could connect,
so every request must carry the proxy's random credentials (`credentials`, given to the
browser context; Chromium sends them after the first 407 challenge, Playwright at once).

Bounded: at most MAX_CONNECTIONS at once, request heads up to MAX_HEAD bytes, a connection
idle for `idle` seconds is closed, and `close()` (the end of the render) ends them all.
"""

from __future__ import annotations

import base64
import hmac
import secrets
import selectors
import socket
import threading
from urllib.parse import urlsplit

from watcher.fetchers.netguard import AddressGuard
from watcher.models import FetchError

__all__ = ["PinningProxy"]

MAX_CONNECTIONS = 64  # Chromium opens at most 6 per host and ~256 in all; a policy needs few
MAX_HEAD = 64 * 1024
_HOP = (b"proxy-connection:", b"proxy-authorization:", b"connection:", b"keep-alive:")


class PinningProxy:
    """`proxy = PinningProxy(guard.pinned(), watch_url, allow_private=False)`; give
    `proxy.server` to the browser context; `proxy.close()` after the render.

    `refused` lists why requests were refused (the guard's one-line reasons); `failed` maps a
    host the proxy could not reach (no DNS answer, connection refused...) to that error."""

    def __init__(
        self, guard: AddressGuard, origin: str, *, allow_private: bool, idle: float = 30.0
    ) -> None:
        self.guard = guard
        self.origin = origin
        self.allow_private = allow_private
        self.idle = idle
        self.refused: list[str] = []
        self.failed: dict[str, FetchError] = {}
        self._lock = threading.Lock()
        self._open: set[socket.socket] = set()
        self._closed = False
        self._user, self._password = "watcher", secrets.token_urlsafe(18)
        self._token = base64.b64encode(f"{self._user}:{self._password}".encode())
        self._listener = socket.create_server(("127.0.0.1", 0))
        threading.Thread(target=self._accept, name="pin-proxy", daemon=True).start()

    @property
    def server(self) -> str:
        return f"http://127.0.0.1:{self._listener.getsockname()[1]}"

    @property
    def credentials(self) -> dict[str, str]:
        """Playwright's `proxy` setting for the context: address and credentials."""
        return {"server": self.server, "username": self._user, "password": self._password}

    def close(self) -> None:
        """Stop accepting and end every open connection."""
        with self._lock:
            self._closed = True
            socks = list(self._open)
            self._open.clear()
        _close(self._listener)
        for s in socks:
            _close(s)

    def __enter__(self) -> PinningProxy:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- connections -------------------------------------------------------------------------
    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return  # closed
            if not self._track(conn):
                _close(conn)
                continue
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _track(self, sock: socket.socket) -> bool:
        """Count `sock` as open (False when closed or full: the caller closes it)."""
        with self._lock:
            if self._closed or len(self._open) >= MAX_CONNECTIONS:
                return False
            self._open.add(sock)
            return True

    def _forget(self, *socks: socket.socket | None) -> None:
        with self._lock:
            for s in socks:
                self._open.discard(s)  # type: ignore[arg-type]
        for s in socks:
            if s is not None:
                _close(s)

    def _serve(self, client: socket.socket) -> None:
        upstream: socket.socket | None = None
        try:
            client.settimeout(self.idle)
            got = _read_head(client)
            if got is None:
                return
            head, rest = got
            request_line, _, header_block = head.partition(b"\r\n")
            parts = request_line.split(b" ")
            if len(parts) != 3:
                _reply(client, 400, "Bad Request", "malformed request line")
                return
            method, target, version = (p.decode("latin-1") for p in parts)
            if not self._authorized(header_block):
                _reply(client, 407, "Proxy Authentication Required", "proxy credentials needed",
                       b'Proxy-Authenticate: Basic realm="policy-watcher"\r\n')  # fmt: skip
                return
            if method == "CONNECT":
                host, port = _host_port(target, 443)
                url = f"https://{_bracket(host)}:{port}/"
            else:
                u = urlsplit(target)
                if u.scheme != "http" or not u.hostname:
                    _reply(client, 400, "Bad Request", "only absolute http:// URLs are proxied")
                    return
                host, port, url = u.hostname, u.port or 80, target
            ip, why = self.guard.pin(url, origin=self.origin, allow_private=self.allow_private)
            if why:
                self.refused.append(why)
                _reply(client, 403, "Forbidden", why)
                return
            if ip is None:
                self.failed.setdefault(host, FetchError("dns", f"DNS lookup failed for {host}"))
                _reply(client, 502, "Bad Gateway", f"DNS lookup failed for {host}")
                return
            try:
                upstream = socket.create_connection((ip, port), timeout=self.idle)
            except OSError as e:
                err = FetchError(
                    "connect", f"could not connect to {host}:{port}: {e.strerror or e}"
                )
                self.failed.setdefault(host, err)
                _reply(client, 502, "Bad Gateway", str(err))
                return
            if not self._track(upstream):
                return
            if method == "CONNECT":
                client.sendall(b"HTTP/1.1 200 Connection Established\r\n\r\n")
                first = rest
            else:
                first = _origin_form(method, u, version, header_block) + rest
            if first:
                upstream.sendall(first)
            _pipe(client, upstream, self.idle)
        except OSError:
            pass  # either side went away: nothing to report beyond what the browser sees
        finally:
            self._forget(client, upstream)

    def _authorized(self, header_block: bytes) -> bool:
        for line in header_block.split(b"\r\n"):
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"proxy-authorization":
                scheme, _, token = value.strip().partition(b" ")
                return scheme.lower() == b"basic" and hmac.compare_digest(
                    token.strip(), self._token
                )
        return False


def _read_head(sock: socket.socket) -> tuple[bytes, bytes] | None:
    """(the request head without its blank line, the bytes read past it), or None when the
    client closed or sent more than MAX_HEAD bytes without ending its head."""
    buf = b""
    while True:
        end = buf.find(b"\r\n\r\n")
        if end >= 0:
            return buf[:end], buf[end + 4 :]
        if len(buf) > MAX_HEAD:
            _reply(sock, 431, "Request Header Fields Too Large", "request head too large")
            return None
        chunk = sock.recv(65536)
        if not chunk:
            return None
        buf += chunk


def _origin_form(method: str, u, version: str, header_block: bytes) -> bytes:  # noqa: ANN001
    """The request as the site expects it: the path alone on the request line, and one
    request per connection (`Connection: close`), so the next request, maybe for another
    host, comes on a new connection and is checked. An Upgrade (WebSocket) keeps its own
    Connection header."""
    path = (u.path or "/") + (f"?{u.query}" if u.query else "")
    lines = header_block.split(b"\r\n") if header_block else []
    upgrade = any(ln.lower().startswith(b"upgrade:") for ln in lines)
    kept = [
        ln
        for ln in lines
        if not ln.lower().startswith(_HOP) or (upgrade and ln.lower().startswith(b"connection:"))
    ]
    if not upgrade:
        kept.append(b"Connection: close")
    start = f"{method} {path} {version}".encode("latin-1")
    return b"\r\n".join([start, *kept]) + b"\r\n\r\n"


def _pipe(client: socket.socket, upstream: socket.socket, idle: float) -> None:
    """Copy bytes both ways until the site closes, or nothing moves for `idle` seconds. The
    browser closing its side is passed on (half-close) while the site's answer still flows."""
    with selectors.DefaultSelector() as sel:
        sel.register(client, selectors.EVENT_READ, upstream)
        sel.register(upstream, selectors.EVENT_READ, client)
        while True:
            events = sel.select(idle)
            if not events:
                return  # idle
            for key, _ in events:
                src, dst = key.fileobj, key.data
                data = src.recv(65536)  # type: ignore[union-attr]
                if data:
                    dst.sendall(data)
                    continue
                if src is upstream:
                    return  # the site is done: so is the exchange
                sel.unregister(client)
                try:
                    upstream.shutdown(socket.SHUT_WR)
                except OSError:
                    return


def _host_port(authority: str, default: int) -> tuple[str, int]:
    """("host", port) of a CONNECT target ("example.com:443", "[::1]:8443")."""
    host, sep, port = authority.rpartition(":")
    if not sep or not port.isdigit() or (host.count(":") and not host.startswith("[")):
        host, port = authority, str(default)  # no port, or a bare IPv6 address
    return host.strip("[]"), int(port)


def _bracket(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def _reply(sock: socket.socket, status: int, reason: str, text: str, extra: bytes = b"") -> None:
    body = text.encode("utf-8", "replace")
    head = (
        f"HTTP/1.1 {status} {reason}\r\nContent-Type: text/plain; charset=utf-8\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n"
    ).encode("latin-1")
    try:
        sock.sendall(head + extra + b"\r\n" + body)
    except OSError:
        pass


def _close(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    sock.close()
