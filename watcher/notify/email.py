"""The e-mail channel: the `[email]` table, rendered as a MIME report, sent over SMTP (smtplib).

`send` either returns (the server accepted the message for every recipient) or raises
`DeliveryError` with a one-line cause and `.permanent`: True means retrying the same message with
the same settings will not help (authentication refused, recipient refused, TLS/config problem,
message too large); False means try again later (connection refused, timeout, 4xx reply,
dropped connection). One whole delivery is bounded by `deadline` seconds (a server answering one
line per second cannot hold it longer), each network operation by `timeout`. The password is never
part of any message or attribute, neither in clear nor as the base64 an AUTH exchange carries.
"""

from __future__ import annotations

import base64
import email.parser
import email.policy
import os
import re
import smtplib
import socket
import ssl
import threading
from collections.abc import Mapping, Sequence
from datetime import datetime
from email.message import EmailMessage
from email.utils import getaddresses
from typing import TYPE_CHECKING, Any

from watcher import render
from watcher.models import Analysis, EmailSettings, VersionInfo, Watch
from watcher.notify.base import (
    BACKOFF_BASE,
    BACKOFF_CAP,
    ChannelBase,
    DeliveryError,
    Outgoing,
    backoff_seconds,
)
from watcher.textutil import shorten

if TYPE_CHECKING:
    from watcher.storage.sqlite import OutboxMessage

__all__ = [
    "BACKOFF_BASE",
    "BACKOFF_CAP",
    "DeliveryError",
    "EmailChannel",
    "backoff_seconds",
    "resolve_password",
    "send",
]


def resolve_password(
    settings: EmailSettings, environ: Mapping[str, str] = os.environ
) -> str | None:
    """The SMTP password from the variable named by `password_env` (None if none is named)."""
    name = settings.password_env
    if not name:
        return None
    value = environ.get(name)
    if value is None:
        raise DeliveryError(f"password variable {name} is not set", permanent=True, kind="config")
    if value == "":
        raise DeliveryError(f"password variable {name} is empty", permanent=True, kind="config")
    return value


def _reply(text: bytes | str | None, limit: int = 200) -> str:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return shorten(text or "", limit)


def _code_text(code: int | None, text: bytes | str | None) -> str:
    reply = _reply(text)
    if code is None or code < 0:
        return reply
    return f"{code} {reply}".strip()


def _seconds(t: float) -> str:
    return f"{t:g}s"


def _tls_reason(e: ssl.SSLError) -> str:
    if isinstance(e, ssl.SSLCertVerificationError):
        return e.verify_message or e.reason or str(e)
    return e.reason or str(e)


# A run of base64 long enough to carry a credential (an AUTH PLAIN / LOGIN blob).
_BASE64_RUN = re.compile(r"(?<![A-Za-z0-9+/=])[A-Za-z0-9+/]{12,}={0,2}(?![A-Za-z0-9+/=])")


def _hide_base64(text: str) -> str:
    """Replace base64-looking runs (mixed case plus a digit, '+', '/' or '=' padding: not
    words such as "Authentication") by ***."""

    def repl(m: re.Match[str]) -> str:
        t = m.group()
        looks = any(c.isdigit() or c in "+/=" for c in t) and t.lower() != t and t.upper() != t
        return "***" if looks else t

    return _BASE64_RUN.sub(repl, text)


def _b64(value: str) -> str:
    return base64.b64encode(value.encode("utf-8")).decode("ascii")


class _Session:
    """One delivery attempt; remembers what it was doing to explain failures."""

    def __init__(self, settings: EmailSettings, password: str | None) -> None:
        self.s = settings
        self.password = password
        self.where = f"{settings.smtp_host}:{settings.smtp_port}"
        self.stage = "connecting"
        self.size = 0  # bytes of the message being sent
        self.expired = False  # the overall deadline fired
        self._client: smtplib.SMTP | None = None

    def _secrets(self) -> list[str]:
        """Forms of the password a server could echo: clear, and the base64 AUTH carries."""
        if not self.password:
            return []
        user = self.s.username or ""
        forms = [
            self.password,
            _b64(self.password),
            _b64(f"\0{user}\0{self.password}"),
            _b64(f"{user}\0{user}\0{self.password}"),
        ]
        return sorted({f for f in forms if f}, key=len, reverse=True)

    def error(
        self, message: str, *, permanent: bool, kind: str, code: int | None = None
    ) -> DeliveryError:
        for secret in self._secrets():  # a server echoing it back
            message = message.replace(secret, "***")
        if kind == "auth" or self.stage == "logging in":
            # A reply to AUTH may quote the exchange: no base64 blob is kept or printed.
            message = _hide_base64(message)
        return DeliveryError(message, permanent=permanent, kind=kind, code=code)

    def _expire(self) -> None:
        """Timer thread: the whole delivery took too long; cut the connection."""
        self.expired = True
        client = self._client
        sock = getattr(client, "sock", None) if client is not None else None
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def classify(self, e: BaseException) -> DeliveryError:
        """Turn any smtplib / socket / ssl exception into a DeliveryError."""
        s, where, stage = self.s, self.where, self.stage
        if isinstance(e, DeliveryError):
            return e
        if self.expired:
            return self.error(
                f"{where} did not finish the delivery within the {_seconds(s.deadline)} deadline "
                f"(while {stage}); the server is too slow",
                permanent=False,
                kind="timeout",
            )
        if isinstance(e, smtplib.SMTPResponseException) and _too_large(e):
            limit = ""
            client = self._client
            if client is not None and client.has_extn("size"):
                limit = f", the server's limit is {client.esmtp_features.get('size', '?')} bytes"
            return self.error(
                f"message too large for {where} ({self.size:,} bytes{limit}; "
                f"{_code_text(e.smtp_code, e.smtp_error)})",
                permanent=True,
                kind="size",
                code=e.smtp_code,
            )
        if isinstance(e, smtplib.SMTPAuthenticationError):
            permanent = not (400 <= e.smtp_code < 500)
            return self.error(
                f"SMTP authentication failed for {s.username} ({_code_text(e.smtp_code, e.smtp_error)})",
                permanent=permanent,
                kind="auth",
                code=e.smtp_code,
            )
        if isinstance(e, smtplib.SMTPRecipientsRefused):
            refused = e.recipients
            addr, (code, text) = next(iter(refused.items()))
            more = f" and {len(refused) - 1} more" if len(refused) > 1 else ""
            return self.error(
                f"server refused recipient {addr}{more} ({_code_text(code, text)})",
                permanent=all(c >= 500 for c, _ in refused.values()),
                kind="recipient",
                code=code,
            )
        if isinstance(e, smtplib.SMTPResponseException) and e.smtp_code == 530:
            hint = "" if s.username else "; set username and password_env in [email]"
            return self.error(
                f"SMTP server {where} requires authentication ({_code_text(e.smtp_code, e.smtp_error)}){hint}",
                permanent=True,
                kind="auth",
                code=e.smtp_code,
            )
        if isinstance(e, smtplib.SMTPSenderRefused):
            return self.error(
                f"server refused sender {_reply(e.sender)} ({_code_text(e.smtp_code, e.smtp_error)})",
                permanent=e.smtp_code >= 500,
                kind="sender",
                code=e.smtp_code,
            )
        if isinstance(e, smtplib.SMTPDataError):
            return self.error(
                f"server rejected the message ({_code_text(e.smtp_code, e.smtp_error)})",
                permanent=e.smtp_code >= 500,
                kind="data",
                code=e.smtp_code,
            )
        if isinstance(e, smtplib.SMTPConnectError):
            return self.error(
                f"SMTP server {where} refused the session ({_code_text(e.smtp_code, e.smtp_error)})",
                permanent=e.smtp_code >= 500,
                kind="connect",
                code=e.smtp_code,
            )
        if isinstance(e, smtplib.SMTPResponseException):
            return self.error(
                f"SMTP server {where} answered {_code_text(e.smtp_code, e.smtp_error)} while {stage}",
                permanent=e.smtp_code >= 500,
                kind="protocol",
                code=e.smtp_code,
            )
        if isinstance(e, smtplib.SMTPNotSupportedError):
            if stage == "logging in":
                return self.error(
                    f"SMTP server {where} does not offer AUTH (needed to log in as {s.username})",
                    permanent=True,
                    kind="auth",
                )
            return self.error(
                f"SMTP server {where} does not support {stage} ({_reply(str(e))})",
                permanent=True,
                kind="protocol",
            )
        if isinstance(e, smtplib.SMTPServerDisconnected) and isinstance(
            e.__context__, (TimeoutError, socket.timeout)
        ):
            e = e.__context__  # smtplib wraps a read timeout in "Connection unexpectedly closed"
        if isinstance(e, smtplib.SMTPServerDisconnected):
            return self.error(
                f"SMTP server {where} closed the connection while {stage}",
                permanent=False,
                kind="connect",
            )
        if isinstance(e, smtplib.SMTPException):
            # e.g. "No suitable authentication method found."
            return self.error(
                f"SMTP error with {where} while {stage}: {_reply(str(e))}",
                permanent=stage == "logging in",
                kind="auth" if stage == "logging in" else "protocol",
            )
        if isinstance(e, (TimeoutError, socket.timeout)):
            return self.error(
                f"timed out after {_seconds(s.timeout)} talking to {where} (while {stage})",
                permanent=False,
                kind="timeout",
            )
        if isinstance(e, ssl.SSLError):
            hint = ""
            if s.security == "ssl" and "WRONG_VERSION_NUMBER" in str(e).upper():
                hint = ' (does this port speak implicit TLS? try security = "starttls")'
            return self.error(
                f"TLS with {where} failed: {_tls_reason(e)}{hint}",
                permanent=True,
                kind="tls",
            )
        if isinstance(e, ConnectionRefusedError):
            return self.error(
                f"SMTP connection refused by {where}", permanent=False, kind="connect"
            )
        if isinstance(e, socket.gaierror):
            return self.error(
                f"cannot resolve SMTP host {s.smtp_host} ({e.strerror or e})",
                permanent=False,
                kind="dns",
            )
        if isinstance(e, OSError):
            reason = e.strerror or str(e) or type(e).__name__
            return self.error(
                f"network error talking to {where} while {stage}: {reason}",
                permanent=False,
                kind="connect",
            )
        raise e  # a bug, not a delivery outcome

    def run(
        self,
        message: EmailMessage | bytes,
        recipients: list[str] | None,
        ssl_context: ssl.SSLContext | None,
    ) -> None:
        timer = threading.Timer(self.s.deadline, self._expire)
        timer.daemon = True
        timer.start()
        try:
            self._run(message, recipients, ssl_context)
        finally:
            timer.cancel()

    def _run(
        self,
        message: EmailMessage | bytes,
        recipients: list[str] | None,
        ssl_context: ssl.SSLContext | None,
    ) -> None:
        s = self.s
        ctx = ssl_context or ssl.create_default_context()
        local = socket.gethostname() or "localhost"  # getfqdn() can stall on DNS
        client: smtplib.SMTP | None = None
        envelope = ("", [])
        if not isinstance(message, EmailMessage):
            envelope = _envelope(message, recipients)
            self.size = len(message)
        else:
            self.size = len(message.as_bytes())
        try:
            self.stage = "connecting"
            # Created unconnected so the deadline timer can reach the socket from the start.
            if s.security == "ssl":
                client = smtplib.SMTP_SSL(local_hostname=local, timeout=s.timeout, context=ctx)
            else:
                client = smtplib.SMTP(local_hostname=local, timeout=s.timeout)
            self._client = client
            client._host = s.smtp_host  # what connect() leaves unset: TLS checks this name
            if self.expired:
                raise TimeoutError
            code, msg = client.connect(s.smtp_host, s.smtp_port)
            if code != 220:
                raise smtplib.SMTPConnectError(code, msg)
            self.stage = "greeting (EHLO)"
            client.ehlo_or_helo_if_needed()
            if s.security == "starttls":
                self.stage = "starting TLS"
                if not client.has_extn("starttls"):
                    raise self.error(
                        f"STARTTLS not supported by server {self.where}",
                        permanent=True,
                        kind="tls",
                    )
                client.starttls(context=ctx)
                self._client = client  # starttls replaced client.sock with the TLS socket
                client.ehlo()
            if s.username:
                self.stage = "logging in"
                client.login(s.username, self.password or "")
            self.stage = "sending the message"
            if isinstance(message, EmailMessage):
                refused = client.send_message(message, to_addrs=recipients)
            else:
                refused = client.sendmail(envelope[0], envelope[1], _crlf(message))
            if refused:  # accepted for some recipients: do not resend to the others
                addr, (code, text) = next(iter(refused.items()))
                raise self.error(
                    f"server refused recipient {addr} ({_code_text(code, text)}); "
                    f"delivered to the other recipients",
                    permanent=True,
                    kind="recipient",
                    code=code,
                )
            self.stage = "closing"
            try:
                client.quit()
            except (smtplib.SMTPException, OSError):
                pass  # the message was accepted; a failed QUIT changes nothing
            client = None
        except DeliveryError:
            raise
        except Exception as e:
            raise self.classify(e) from None
        finally:
            self._client = None
            if client is not None:
                try:
                    client.close()
                except OSError:
                    pass


def _too_large(e: smtplib.SMTPResponseException) -> bool:
    """552 to MAIL FROM (SIZE=) or DATA, or the enhanced code 5.3.4: the message is too big."""
    text = e.smtp_error.decode("utf-8", "replace") if isinstance(e.smtp_error, bytes) else ""
    if isinstance(e, smtplib.SMTPRecipientsRefused):
        return False
    return e.smtp_code == 552 or "5.3.4" in text


def _crlf(raw: bytes) -> bytes:
    """SMTP wants CRLF line ends; bare LF is refused by strict servers."""
    return re.sub(rb"\r?\n", b"\r\n", raw)


def _envelope(raw: bytes, recipients: Sequence[str] | None) -> tuple[str, list[str]]:
    headers = email.parser.BytesHeaderParser(policy=email.policy.compat32).parsebytes(raw)
    senders = getaddresses(headers.get_all("Sender", []) or headers.get_all("From", []))
    sender = next((a for _, a in senders if a), "")
    if recipients is None:
        fields = [*headers.get_all("To", []), *headers.get_all("Cc", [])]
        fields += headers.get_all("Bcc", [])
        recipients = [a for _, a in getaddresses(fields) if a]
    if not recipients:
        raise DeliveryError("the message has no recipients", permanent=True, kind="config")
    return sender, list(recipients)


def send(
    settings: EmailSettings,
    message: EmailMessage | bytes,
    *,
    password: str | None,
    recipients: Sequence[str] | None = None,
    ssl_context: ssl.SSLContext | None = None,
) -> None:
    """Deliver `message` with the `[email]` settings or raise DeliveryError.

    `message` is an EmailMessage or the bytes the outbox stored (sent as they are, with CRLF
    line ends). `recipients` is the envelope (RCPT TO) list; by default the To/Cc/Bcc headers.

    security "ssl" = implicit TLS, "starttls" = upgrade required (fails if not offered),
    "none" = plain. Certificates are verified with `ssl.create_default_context()` unless an
    `ssl_context` is given (tests, a private CA). Logs in when `settings.username` is set.
    """
    if settings.security not in ("none", "starttls", "ssl"):
        raise DeliveryError(
            f'unknown email security "{settings.security}" (use none, starttls or ssl)',
            permanent=True,
            kind="config",
        )
    if settings.username and not password:
        hint = (
            f"variable {settings.password_env} gave none"
            if settings.password_env
            else "set password_env in [email]"
        )
        raise DeliveryError(
            f"no SMTP password for {settings.username} ({hint})", permanent=True, kind="config"
        )
    if settings.security == "none" and settings.username and not settings.allow_plaintext_auth:
        raise DeliveryError(
            f'refusing to send the password for {settings.username} in clear (security = "none");'
            ' use "starttls" or "ssl", or set allow_plaintext_auth = true in [email]',
            permanent=True,
            kind="config",
        )
    rcpts = list(recipients) if recipients is not None else None
    _Session(settings, password).run(message, rcpts, ssl_context)


class EmailChannel(ChannelBase):
    """The `[email]` table as a channel: MIME reports (the richest), digests, SMTP delivery."""

    kind_label = "e-mail"

    def __init__(self, settings: EmailSettings) -> None:
        self.settings = settings
        self.name = "email"
        self.min_severity = settings.min_severity
        self.watches = None
        self.digest = settings.digest

    @classmethod
    def from_config(cls, config: Any) -> list[EmailChannel]:
        return [cls(config.email)] if config.email is not None else []

    def describe(self) -> str:
        s = self.settings
        return f"{s.smtp_host}:{s.smtp_port} (security {s.security})"

    def _out(self, kind: str, msg: EmailMessage, to: Sequence[str], held: bool = False) -> Outgoing:
        return Outgoing(
            self.name,
            kind,
            str(msg["Message-ID"]),
            tuple(to),
            str(msg["Subject"]),
            msg.as_bytes(),
            held,
        )

    def change(
        self,
        watch: Watch,
        change_id: int,
        analysis: Analysis,
        old: VersionInfo,
        new: VersionInfo,
        *,
        now: datetime,
    ) -> Outgoing:
        to = list(watch.email_to or self.settings.to)
        msg = render.build_change_email(
            self.settings,
            to,
            watch.name,
            watch.url,
            analysis,
            old,
            new,
            now=now,
            message_id=render.make_message_id(f"change-{watch.name}-{change_id}-{new.sha256}"),
        )
        return self._out("change", msg, to, held=self.settings.digest)

    def alert(self, watch: Watch, flip: str, error: str | None, *, now: datetime) -> Outgoing:
        to = list(watch.email_to or self.settings.to)
        msg = render.build_alert_email(
            self.settings,
            to,
            watch.name,
            watch.url,
            flip,
            error,
            now=now,
            message_id=render.make_message_id(f"alert-{watch.name}-{flip}-{now.isoformat()}"),
        )
        return self._out("alert", msg, to)

    def test(self, *, now: datetime, to: Sequence[str] = ()) -> Outgoing:
        recipients = list(to or self.settings.to)
        msg = render.build_test_email(
            self.settings,
            recipients,
            now=now,
            message_id=render.make_message_id(f"test-{now.isoformat()}-{os.getpid()}"),
        )
        return self._out("test", msg, recipients)

    def send(
        self, row: OutboxMessage, *, environ: Mapping[str, str], ssl_context: Any = None
    ) -> None:
        password = resolve_password(self.settings, environ)
        send(
            self.settings,
            row.message,
            password=password,
            recipients=row.recipients,
            ssl_context=ssl_context,
        )
