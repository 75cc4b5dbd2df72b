"""A tiny SMTP server on loopback that keeps every message it receives (the demo's inbox).

Standard library only (the demo must run after a plain `pip install -e .`; aiosmtpd is a test
extra). It speaks enough of RFC 5321 for a client that does not authenticate or encrypt:
EHLO/HELO, MAIL, RCPT, DATA (dot-unstuffed), RSET, NOOP, QUIT. Each message is handed to
`on_message(envelope_from, recipients, data)` and kept in `messages`.

    with SmtpSink() as sink:           # 127.0.0.1, a free port
        ... send to sink.host, sink.port ...
        sink.messages                  # [(mail_from, [rcpt...], b"raw message"), ...]
"""

from __future__ import annotations

import socketserver
import threading
from collections.abc import Callable

MAX_MESSAGE = 10_000_000  # bytes: larger messages are refused with 552

Message = tuple[str, list[str], bytes]


class _Handler(socketserver.StreamRequestHandler):
    timeout = 30

    def reply(self, line: str) -> None:
        self.wfile.write(line.encode("ascii") + b"\r\n")
        self.wfile.flush()

    def handle(self) -> None:
        sink: SmtpSink = self.server.sink  # type: ignore[attr-defined]
        self.reply("220 localhost policy-watcher demo SMTP sink")
        mail_from: str | None = None
        rcpts: list[str] = []
        while True:
            raw = self.rfile.readline(4096)
            if not raw:
                return
            line = raw.decode("ascii", errors="replace").rstrip("\r\n")
            verb, _, arg = line.partition(" ")
            verb = verb.upper()
            if verb == "EHLO":
                self.wfile.write(
                    b"250-localhost\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n"
                    + f"250 SIZE {MAX_MESSAGE}\r\n".encode()
                )
                self.wfile.flush()
            elif verb == "HELO":
                self.reply("250 localhost")
            elif verb == "MAIL":
                mail_from = _address(arg)
                rcpts = []
                self.reply("250 OK")
            elif verb == "RCPT":
                if mail_from is None:
                    self.reply("503 need MAIL first")
                    continue
                rcpts.append(_address(arg))
                self.reply("250 OK")
            elif verb == "DATA":
                if mail_from is None or not rcpts:
                    self.reply("503 need MAIL and RCPT first")
                    continue
                self.reply("354 end data with <CR><LF>.<CR><LF>")
                data = self._read_data()
                if data is None:
                    self.reply("552 message too large")
                else:
                    sink._keep(mail_from, list(rcpts), data)
                    self.reply("250 OK: message kept")
                mail_from, rcpts = None, []
            elif verb == "RSET":
                mail_from, rcpts = None, []
                self.reply("250 OK")
            elif verb == "NOOP":
                self.reply("250 OK")
            elif verb == "QUIT":
                self.reply("221 bye")
                return
            else:
                self.reply("502 command not implemented")

    def _read_data(self) -> bytes | None:
        lines: list[bytes] = []
        size = 0
        too_large = False
        while True:
            raw = self.rfile.readline(MAX_MESSAGE + 3)
            if not raw or raw in (b".\r\n", b".\n"):
                break
            if raw.startswith(b"."):
                raw = raw[1:]  # dot-unstuffing
            size += len(raw)
            if size > MAX_MESSAGE:
                too_large = True
                continue
            lines.append(raw)
        return None if too_large else b"".join(lines)


def _address(arg: str) -> str:
    _, _, rest = arg.partition(":")
    rest = rest.strip()
    if rest.startswith("<"):
        rest = rest[1 : rest.find(">")] if ">" in rest else rest[1:]
    return rest.split(" ", 1)[0]


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


class SmtpSink:
    """An SMTP server on 127.0.0.1 that keeps what it receives."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        on_message: Callable[[str, list[str], bytes], None] | None = None,
    ) -> None:
        self.messages: list[Message] = []
        self._on_message = on_message
        self._lock = threading.Lock()
        self._server = _Server((host, port), _Handler)
        self._server.sink = self  # type: ignore[attr-defined]
        self._thread: threading.Thread | None = None

    @property
    def host(self) -> str:
        return self._server.server_address[0]

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    def _keep(self, mail_from: str, rcpts: list[str], data: bytes) -> None:
        with self._lock:
            self.messages.append((mail_from, rcpts, data))
        if self._on_message is not None:
            self._on_message(mail_from, rcpts, data)

    def start(self) -> SmtpSink:
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> SmtpSink:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
