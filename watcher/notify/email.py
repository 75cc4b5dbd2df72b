"""Deliver e-mail over SMTP (stdlib smtplib); the network edge of reporting.

`send` either returns (the server accepted the message for every recipient) or raises
`DeliveryError` with a one-line cause and `.permanent`: True means retrying the same message with
the same settings will not help (authentication refused, recipient refused, TLS/config problem);
False means try again later (connection refused, timeout, 4xx reply, dropped connection).
The password is never part of any message or attribute.
"""

from __future__ import annotations

import email.parser
import email.policy
import os
import re
import smtplib
import socket
import ssl
from collections.abc import Mapping, Sequence
from email.message import EmailMessage
from email.utils import getaddresses

from watcher.models import EmailSettings, WatcherError
from watcher.textutil import shorten

BACKOFF_BASE = 60.0  # seconds before the first retry
BACKOFF_CAP = 6 * 3600.0  # never wait longer than this between attempts


class DeliveryError(WatcherError):
    """A message could not be delivered; str(self) is a one-line cause.

    kind: config, connect, dns, timeout, tls, auth, sender, recipient, data, protocol.
    `code` is the SMTP reply code when the server gave one.
    """

    def __init__(
        self, message: str, *, permanent: bool, kind: str = "protocol", code: int | None = None
    ) -> None:
        super().__init__(message)
        self.permanent = permanent
        self.kind = kind
        self.code = code


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


def backoff_seconds(attempts: int) -> float:
    """Wait before the next try after `attempts` failed ones: 60s, 2m, 4m, 8m ... capped at 6h."""
    if attempts <= 1:
        return BACKOFF_BASE
    if attempts > 20:  # avoid huge powers; long past the cap anyway
        return BACKOFF_CAP
    return min(BACKOFF_BASE * 2 ** (attempts - 1), BACKOFF_CAP)


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


class _Session:
    """One delivery attempt; remembers what it was doing to explain failures."""

    def __init__(self, settings: EmailSettings, password: str | None) -> None:
        self.s = settings
        self.password = password
        self.where = f"{settings.smtp_host}:{settings.smtp_port}"
        self.stage = "connecting"

    def error(
        self, message: str, *, permanent: bool, kind: str, code: int | None = None
    ) -> DeliveryError:
        if self.password and self.password in message:  # a server echoing it back
            message = message.replace(self.password, "***")
        return DeliveryError(message, permanent=permanent, kind=kind, code=code)

    def classify(self, e: BaseException) -> DeliveryError:
        """Turn any smtplib / socket / ssl exception into a DeliveryError."""
        s, where, stage = self.s, self.where, self.stage
        if isinstance(e, DeliveryError):
            return e
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
        s = self.s
        ctx = ssl_context or ssl.create_default_context()
        local = socket.gethostname() or "localhost"  # getfqdn() can stall on DNS
        client: smtplib.SMTP | None = None
        envelope = ("", [])
        if not isinstance(message, EmailMessage):
            envelope = _envelope(message, recipients)
        try:
            self.stage = "connecting"
            if s.security == "ssl":
                client = smtplib.SMTP_SSL(
                    s.smtp_host, s.smtp_port, local_hostname=local, timeout=s.timeout, context=ctx
                )
            else:
                client = smtplib.SMTP(
                    s.smtp_host, s.smtp_port, local_hostname=local, timeout=s.timeout
                )
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
            if client is not None:
                try:
                    client.close()
                except OSError:
                    pass


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
    rcpts = list(recipients) if recipients is not None else None
    _Session(settings, password).run(message, rcpts, ssl_context)
