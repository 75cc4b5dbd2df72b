"""A real SMTP server on 127.0.0.1 for tests (aiosmtpd in a background thread).

Usage::

    with SMTPTestServer() as srv:
        notify.send(srv.settings(), msg, password=None)
        [received] = srv.messages          # email.message.EmailMessage

Options:
- ``auth=("user", "secret")``: require AUTH (PLAIN/LOGIN) before MAIL, without TLS.
- ``refuse_next(n, code=451)``: answer the DATA of the next ``n`` messages with ``code``.
- ``refuse_rcpt["x@y"] = "550 ..."``: refuse one recipient.
- ``stall_next(n, seconds)``: hold the DATA reply of the next ``n`` messages (client timeouts).
- ``tls_context=...``: offer STARTTLS; ``implicit_tls=True`` wraps the port in TLS (SMTPS).
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import socket
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from watcher.models import EmailSettings

HOST = "127.0.0.1"


def free_port() -> int:
    """A port nobody listens on right now (also handy for "connection refused" tests)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    raw: bytes
    message: EmailMessage


class _Handler:
    def __init__(self, server: SMTPTestServer) -> None:
        self.server = server

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        refusal = self.server.refuse_rcpt.get(address)
        if refusal:
            return refusal
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        srv = self.server
        with srv._lock:
            srv.data_attempts += 1
            stall = 0.0
            if srv._stall_left > 0:
                srv._stall_left -= 1
                stall = srv._stall_seconds
            refusal = None
            if srv._refuse_left > 0:
                srv._refuse_left -= 1
                refusal = srv._refusal
        if stall:
            # Wait without answering; end early when the test server stops.
            deadline = time.monotonic() + stall
            while time.monotonic() < deadline and not srv._stopping.is_set():
                await asyncio.sleep(0.05)
            return "451 4.3.0 stalled (test server)"
        if refusal:
            return refusal
        raw = bytes(envelope.original_content or envelope.content)
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        with srv._lock:
            srv.received.append(
                Received(envelope.mail_from, list(envelope.rcpt_tos), raw, msg)  # type: ignore[arg-type]
            )
        srv._arrived.set()
        return "250 Message accepted for delivery"


class SMTPTestServer:
    def __init__(
        self,
        *,
        auth: tuple[str, str] | None = None,
        tls_context: ssl.SSLContext | None = None,
        implicit_tls: bool = False,
        hostname: str = HOST,
    ) -> None:
        self.hostname = hostname
        self.port = 0
        self.auth = auth
        self.tls_context = tls_context
        self.implicit_tls = implicit_tls
        self.received: list[Received] = []
        self.auth_attempts: list[tuple[str, str]] = []  # (login, password) as sent by clients
        self.refuse_rcpt: dict[str, str] = {}
        self.data_attempts = 0
        self._lock = threading.Lock()
        self._arrived = threading.Event()
        self._stopping = threading.Event()
        self._refuse_left = 0
        self._refusal = ""
        self._stall_left = 0
        self._stall_seconds = 0.0
        self._controller: Controller | None = None

    # -- behaviour switches ---------------------------------------------------------------
    def refuse_next(self, n: int, code: int = 451, text: str = "4.3.0 try again later") -> None:
        """Answer the DATA of the next ``n`` messages with ``code text`` (4xx or 5xx)."""
        with self._lock:
            self._refuse_left = n
            self._refusal = f"{code} {text}"

    def stall_next(self, n: int = 1, seconds: float = 10.0) -> None:
        """Receive the message data of the next ``n`` messages but do not answer for ``seconds``."""
        with self._lock:
            self._stall_left = n
            self._stall_seconds = seconds

    # -- results --------------------------------------------------------------------------
    @property
    def messages(self) -> list[EmailMessage]:
        with self._lock:
            return [r.message for r in self.received]

    def wait_for(self, count: int = 1, timeout: float = 5.0) -> list[EmailMessage]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(self.received) >= count:
                break
            self._arrived.wait(0.05)
            self._arrived.clear()
        return self.messages

    def settings(self, **overrides: Any) -> EmailSettings:
        """EmailSettings pointing at this server (plain SMTP unless overridden)."""
        values: dict[str, Any] = {
            "smtp_host": self.hostname,
            "smtp_port": self.port,
            "security": "ssl" if self.implicit_tls else "none",
            "sender": "policy-watcher <watcher@example.org>",
            "to": ("reader@example.org",),
            "timeout": 5.0,
        }
        if self.auth:
            values["username"] = self.auth[0]
        values.update(overrides)
        if values.get("username") and values["security"] == "none":
            values.setdefault("allow_plaintext_auth", True)  # a loopback test server
        return EmailSettings(**values)

    # -- lifecycle ------------------------------------------------------------------------
    def _authenticate(self, server, session, envelope, mechanism, auth_data) -> AuthResult:
        if not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        login = auth_data.login.decode("utf-8", "replace")
        password = auth_data.password.decode("utf-8", "replace")
        with self._lock:
            self.auth_attempts.append((login, password))
        ok = self.auth is not None and (login, password) == self.auth
        return AuthResult(success=ok, handled=False)

    def start(self) -> SMTPTestServer:
        kwargs: dict[str, Any] = {}
        if self.auth is not None:
            kwargs.update(
                authenticator=self._authenticate, auth_required=True, auth_require_tls=False
            )
        if self.tls_context is not None:
            if self.implicit_tls:
                kwargs["ssl_context"] = self.tls_context
            else:
                kwargs["tls_context"] = self.tls_context
        last_error: Exception | None = None
        for _ in range(5):  # the free port may be taken between probe and bind
            self.port = free_port()
            controller = Controller(
                _Handler(self),
                hostname=self.hostname,
                port=self.port,
                ready_timeout=10.0,
                **kwargs,
            )
            try:
                controller.start()
            except OSError as e:
                last_error = e
                continue
            self._controller = controller
            return self
        raise RuntimeError(f"could not start the test SMTP server: {last_error}")

    def stop(self) -> None:
        self._stopping.set()
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def __enter__(self) -> SMTPTestServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


# -- hostile servers ------------------------------------------------------------------------


class ScriptedSMTP:
    """A one-thread-per-connection SMTP server driven by `dialogue(conn, lines)`."""

    def __init__(self, dialogue: Callable[[socket.socket, ScriptedSMTP], None]) -> None:
        self.dialogue = dialogue
        self.stop = threading.Event()
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(5)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.seen: list[str] = []
        self.thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            threading.Thread(target=self._one, args=(conn,), daemon=True).start()

    def _one(self, conn: socket.socket) -> None:
        try:
            conn.settimeout(10)
            self.dialogue(conn, self)
        except OSError:
            pass
        finally:
            conn.close()

    def readline(self, conn: socket.socket) -> str:
        buf = b""
        while not buf.endswith(b"\n"):
            chunk = conn.recv(1)
            if not chunk:
                raise OSError("closed")
            buf += chunk
        line = buf.decode("utf-8", "replace").rstrip("\r\n")
        self.seen.append(line)
        return line

    def __enter__(self) -> ScriptedSMTP:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.sock.close()

    def settings(self, **over: object) -> EmailSettings:
        values: dict = {
            "smtp_host": "127.0.0.1",
            "smtp_port": self.port,
            "security": "none",
            "sender": "w@example.org",
            "to": ("r@example.org",),
            "timeout": 5.0,
        }
        values.update(over)
        return EmailSettings(**values)


def drip(conn: socket.socket, srv: ScriptedSMTP) -> None:
    """Greets, then answers EHLO with an endless multi-line reply, one line per second."""
    conn.sendall(b"220 slow.example ESMTP\r\n")
    srv.readline(conn)
    while not srv.stop.is_set():
        conn.sendall(b"250-still thinking\r\n")
        time.sleep(1.0)


def size_limit(conn: socket.socket, srv: ScriptedSMTP) -> None:
    """Advertises SIZE 1000 and refuses a bigger MAIL FROM with 552."""
    conn.sendall(b"220 small.example ESMTP\r\n")
    srv.readline(conn)
    conn.sendall(b"250-small.example\r\n250 SIZE 1000\r\n")
    line = srv.readline(conn)
    if line.upper().startswith("MAIL FROM"):
        conn.sendall(b"552 5.3.4 Message size exceeds fixed maximum message size\r\n")
    srv.readline(conn)


def echo_auth(conn: socket.socket, srv: ScriptedSMTP) -> None:
    """Offers AUTH PLAIN and refuses it with a 535 that quotes the client's AUTH line."""
    conn.sendall(b"220 echo.example ESMTP\r\n")
    srv.readline(conn)
    conn.sendall(b"250-echo.example\r\n250 AUTH PLAIN\r\n")
    line = srv.readline(conn)
    conn.sendall(f"535 5.7.8 Authentication credentials invalid: {line}\r\n".encode())
    srv.readline(conn)
