"""notify.send against a real SMTP server (aiosmtpd on 127.0.0.1), end to end with report."""

from __future__ import annotations

import dataclasses
import shutil
import ssl
import subprocess
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path

import pytest

from watcher import render as report
from watcher.models import Analysis, EmailSettings, Finding, Hunk, VersionInfo
from watcher.notify.email import DeliveryError, backoff_seconds, resolve_password, send

try:
    from smtpserver import SMTPTestServer, free_port
except ImportError:  # tests/ became a package
    from tests.smtpserver import SMTPTestServer, free_port

pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")

NOW = datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC)
USER, PASSWORD = "alerts@example.com", "s3cret-Pa55word!"
HOSTILE = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(1)>"


@pytest.fixture
def smtp():
    with SMTPTestServer() as srv:
        yield srv


@pytest.fixture
def smtp_auth():
    with SMTPTestServer(auth=(USER, PASSWORD)) as srv:
        yield srv


def _analysis() -> Analysis:
    findings = [
        Finding("contact", "email", "a@x.com", "b@x.com", "low", "Privacy contact changed"),
        Finding(
            "party",
            "sendgrid",
            None,
            "SendGrid",
            "high",
            f"New recipient: SendGrid {HOSTILE}",
            evidence_new=f"We now share e-mail addresses with SendGrid {IMG}.",
        ),
        Finding(
            "retention",
            "logs",
            "30 days",
            "90 days",
            "medium",
            "Logs kept longer: 30 days -> 90 days",
            evidence_old="We keep logs for 30 days.",
            evidence_new="We keep logs for 90 days.",
        ),
    ]
    hunks = [
        Hunk(
            "replace",
            4,
            ["We keep logs for 30 days."],
            4,
            ["We keep logs for 90 days."],
            [("=", "We keep logs for "), ("-", "30"), ("+", "90"), ("=", " days.")],
        ),
        Hunk(
            "insert",
            9,
            [],
            10,
            [f"Partners: SendGrid {HOSTILE}"],
            [("+", f"Partners: SendGrid {HOSTILE}")],
        ),
    ]
    return Analysis(
        True, "substantive", "New recipient SendGrid; logs kept 90 days", findings, hunks, 9, 1
    )


OLD = VersionInfo(11, datetime(2024, 4, 1, tzinfo=UTC), "live", "a" * 64, 900)
NEW = VersionInfo(12, datetime(2024, 5, 6, tzinfo=UTC), "live", "b" * 64, 910)


def _change_email(settings: EmailSettings, mid: str = "<c12@policy-watcher.local>"):
    return report.build_change_email(
        settings,
        ["reader@example.org", "second@example.org"],
        "acme",
        "https://acme.example/privacy",
        _analysis(),
        OLD,
        NEW,
        now=NOW,
        message_id=mid,
    )


def _test_email(settings: EmailSettings):
    return report.build_test_email(settings, ["reader@example.org"], now=NOW, message_id="<t1@x>")


# -- delivery and what arrives ------------------------------------------------------------------


def test_change_email_arrives_complete(smtp):
    settings = smtp.settings()
    mid = report.make_message_id("change-12")
    send(settings, _change_email(settings, mid), password=None)
    [msg] = smtp.wait_for(1)
    [rec] = smtp.received
    assert sorted(rec.rcpt_tos) == ["reader@example.org", "second@example.org"]
    assert rec.mail_from == "watcher@example.org"

    assert msg["Subject"].startswith("[policy-watcher] acme: ")
    assert "\n" not in msg["Subject"] and "\r" not in msg["Subject"]
    assert msg["Message-ID"] == mid
    assert parsedate_to_datetime(msg["Date"]) == NOW
    assert msg["From"] == "policy-watcher <watcher@example.org>"
    assert msg.get_content_type() == "multipart/alternative"

    text = msg.get_body(("plain",)).get_content()
    html_part = msg.get_body(("html",)).get_content()
    # findings first, most severe first
    pos = [text.index(t) for t in ("[HIGH]", "[MEDIUM]", "[LOW]")]
    assert pos == sorted(pos)
    assert text.index("[LOW]") < text.index("TEXT CHANGES")
    assert "[-30-]{+90+}" in text
    assert "watcher diff acme 11 12" in text
    # hostile page text is escaped in HTML, never a tag
    assert "<script" not in html_part and "<img" not in html_part
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html_part
    assert "&lt;img src=x onerror=alert(1)&gt;" in html_part
    hpos = [html_part.index(t) for t in (">HIGH<", ">MEDIUM<", ">LOW<")]
    assert hpos == sorted(hpos)
    assert "<del " in html_part and "<ins " in html_part


def test_non_ascii_survives_the_trip(smtp):
    a = _analysis()
    a.summary = "Neue Empfänger: Überwachung GmbH — 数据"
    settings = smtp.settings()
    msg = report.build_change_email(
        settings,
        ["r@example.org"],
        "bäckerei",
        "https://b.example/",
        a,
        OLD,
        NEW,
        now=NOW,
        message_id="<u@x>",
    )
    send(settings, msg, password=None)
    [got] = smtp.wait_for(1)
    assert "Überwachung GmbH — 数据" in got["Subject"]
    assert "bäckerei" in got["Subject"]
    assert "Überwachung" in got.get_body(("plain",)).get_content()


def test_auth_success_and_password_not_in_message(smtp_auth):
    settings = smtp_auth.settings(password_env="WATCHER_SMTP_PASSWORD")
    password = resolve_password(settings, {"WATCHER_SMTP_PASSWORD": PASSWORD})
    send(settings, _test_email(settings), password=password)
    [msg] = smtp_auth.wait_for(1)
    assert smtp_auth.auth_attempts == [(USER, PASSWORD)]
    assert msg["Subject"] == "[policy-watcher] test message"
    assert PASSWORD.encode() not in smtp_auth.received[0].raw
    assert USER in msg.get_body(("plain",)).get_content()


def test_auth_failure_is_permanent_and_secret(smtp_auth):
    settings = smtp_auth.settings()
    wrong = "wrong-" + PASSWORD
    with pytest.raises(DeliveryError) as ei:
        send(settings, _test_email(settings), password=wrong)
    e = ei.value
    assert e.permanent and e.kind == "auth" and e.code == 535
    assert str(e).startswith(f"SMTP authentication failed for {USER} (535")
    assert "\n" not in str(e)
    for s in (str(e), repr(e), repr(e.args), repr(vars(e))):
        assert wrong not in s and PASSWORD not in s
    assert smtp_auth.received == []


def test_server_requires_auth_but_no_username(smtp_auth):
    settings = smtp_auth.settings(username=None)
    with pytest.raises(DeliveryError) as ei:
        send(settings, _test_email(settings), password=None)
    assert ei.value.permanent
    assert "requires authentication (530" in str(ei.value)


def test_username_without_password_fails_before_connecting():
    settings = EmailSettings(
        smtp_host="127.0.0.1",
        smtp_port=free_port(),
        security="none",
        username=USER,
        password_env="WATCHER_SMTP_PASSWORD",
    )
    with pytest.raises(DeliveryError) as ei:
        send(settings, _test_email(settings), password=None)
    assert ei.value.kind == "config" and ei.value.permanent
    assert "WATCHER_SMTP_PASSWORD" in str(ei.value)


def test_connection_refused_is_temporary():
    port = free_port()
    settings = EmailSettings(smtp_host="127.0.0.1", smtp_port=port, security="none", timeout=3)
    with pytest.raises(DeliveryError) as ei:
        send(settings, _test_email(settings), password=None)
    assert str(ei.value) == f"SMTP connection refused by 127.0.0.1:{port}"
    assert not ei.value.permanent and ei.value.kind == "connect"


def test_4xx_then_success_keeps_message_id(smtp):
    settings = smtp.settings()
    msg = _change_email(settings, "<stable-1@policy-watcher.local>")
    smtp.refuse_next(1, 451, "4.3.0 mailbox busy, try later")
    with pytest.raises(DeliveryError) as ei:
        send(settings, msg, password=None)
    assert not ei.value.permanent and ei.value.code == 451
    assert "451 4.3.0 mailbox busy" in str(ei.value)
    assert smtp.received == []
    send(settings, msg, password=None)  # the outbox retry
    [got] = smtp.wait_for(1)
    assert got["Message-ID"] == "<stable-1@policy-watcher.local>"
    assert smtp.data_attempts == 2


def test_5xx_data_rejection_is_permanent(smtp):
    settings = smtp.settings()
    smtp.refuse_next(1, 554, "5.7.1 message rejected as spam")
    with pytest.raises(DeliveryError) as ei:
        send(settings, _test_email(settings), password=None)
    assert ei.value.permanent
    assert str(ei.value) == "server rejected the message (554 5.7.1 message rejected as spam)"


def test_recipient_refused(smtp):
    smtp.refuse_rcpt["reader@example.org"] = "550 5.1.1 no such user"
    settings = smtp.settings()
    with pytest.raises(DeliveryError) as ei:
        send(settings, _test_email(settings), password=None)
    assert ei.value.permanent and ei.value.kind == "recipient"
    assert str(ei.value) == "server refused recipient reader@example.org (550 5.1.1 no such user)"


def test_partial_recipient_refusal_is_permanent_not_resent(smtp):
    smtp.refuse_rcpt["second@example.org"] = "550 5.1.1 no such user"
    settings = smtp.settings()
    with pytest.raises(DeliveryError) as ei:
        send(settings, _change_email(settings), password=None)
    assert ei.value.permanent
    assert "second@example.org" in str(ei.value) and "delivered to the other" in str(ei.value)
    [rec] = smtp.received
    assert rec.rcpt_tos == ["reader@example.org"]


@pytest.mark.timeout(9)  # the 0.5 s timeout must fire: the server stalls for 10 s
def test_timeout_mid_data(smtp):
    settings = smtp.settings(timeout=0.5)
    smtp.stall_next(1, seconds=10)
    with pytest.raises(DeliveryError) as ei:
        send(settings, _test_email(settings), password=None)
    e = ei.value
    assert not e.permanent and e.kind == "timeout"
    assert str(e) == (
        f"timed out after 0.5s talking to 127.0.0.1:{smtp.port} (while sending the message)"
    )


def test_starttls_not_supported(smtp):
    settings = smtp.settings(security="starttls")
    with pytest.raises(DeliveryError) as ei:
        send(settings, _test_email(settings), password=None)
    assert str(ei.value) == f"STARTTLS not supported by server 127.0.0.1:{smtp.port}"
    assert ei.value.permanent


def test_implicit_tls_against_plain_port(smtp):
    settings = smtp.settings(security="ssl")
    with pytest.raises(DeliveryError) as ei:
        send(settings, _test_email(settings), password=None)
    assert ei.value.kind in ("tls", "connect", "timeout")
    assert str(ei.value).count("\n") == 0


# -- TLS with a throwaway self-signed certificate ------------------------------------------------


@pytest.fixture(scope="module")
def cert(tmp_path_factory) -> tuple[Path, Path]:
    if not shutil.which("openssl"):
        pytest.skip("openssl not available to make a test certificate")
    d = tmp_path_factory.mktemp("tls")
    key, crt = d / "key.pem", d / "cert.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
         "-keyout", str(key), "-out", str(crt)],
        check=True, capture_output=True,
    )  # fmt: skip
    return crt, key


def _server_ctx(cert) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(*cert)
    return ctx


def test_starttls_verifies_certificates(cert):
    with SMTPTestServer(tls_context=_server_ctx(cert), auth=(USER, PASSWORD)) as srv:
        settings = srv.settings(security="starttls")
        # default verification rejects the self-signed certificate
        with pytest.raises(DeliveryError) as ei:
            send(settings, _test_email(settings), password=PASSWORD)
        assert ei.value.kind == "tls" and ei.value.permanent
        assert "certificate" in str(ei.value).lower()
        assert srv.auth_attempts == []  # never sent credentials over the unverified link
        # trusting it explicitly works
        trust = ssl.create_default_context(cafile=str(cert[0]))
        send(settings, _test_email(settings), password=PASSWORD, ssl_context=trust)
        assert len(srv.wait_for(1)) == 1
        assert srv.auth_attempts == [(USER, PASSWORD)]


def test_implicit_tls(cert):
    with SMTPTestServer(tls_context=_server_ctx(cert), implicit_tls=True) as srv:
        settings = srv.settings()
        assert settings.security == "ssl"
        trust = ssl.create_default_context(cafile=str(cert[0]))
        send(settings, _test_email(settings), password=None, ssl_context=trust)
        assert len(srv.wait_for(1)) == 1


# -- pure helpers --------------------------------------------------------------------------------


def test_resolve_password():
    s = EmailSettings(smtp_host="h", password_env="WATCHER_SMTP_PASSWORD")
    assert resolve_password(s, {"WATCHER_SMTP_PASSWORD": "pw"}) == "pw"
    assert resolve_password(dataclasses.replace(s, password_env=None), {}) is None
    with pytest.raises(DeliveryError) as ei:
        resolve_password(s, {})
    assert str(ei.value) == "password variable WATCHER_SMTP_PASSWORD is not set"
    assert ei.value.permanent


def test_backoff_schedule():
    waits = [backoff_seconds(n) for n in range(1, 12)]
    assert waits[:4] == [60, 120, 240, 480]
    assert waits == sorted(waits)
    assert max(waits) == 6 * 3600
    assert backoff_seconds(0) == 60 and backoff_seconds(10_000) == 6 * 3600


# -- what the outbox does: store bytes, send them later --------------------------------------------


def test_stored_bytes_are_sent_unchanged(smtp):
    settings = smtp.settings()
    msg = _change_email(settings, "<stored-1@policy-watcher.local>")
    stored = msg.as_bytes()  # what monitor puts in the outbox
    assert stored.isascii()
    send(settings, stored, password=None)
    [got] = smtp.wait_for(1)
    [rec] = smtp.received
    assert rec.mail_from == "watcher@example.org"
    assert sorted(rec.rcpt_tos) == ["reader@example.org", "second@example.org"]
    assert rec.raw.replace(b"\r\n", b"\n").rstrip(b"\n") == stored.rstrip(b"\n")
    assert got["Message-ID"] == "<stored-1@policy-watcher.local>"
    assert got["Subject"] == msg["Subject"]
    assert "[HIGH]" in got.get_body(("plain",)).get_content()


def test_envelope_recipients_override_headers(smtp):
    settings = smtp.settings()
    stored = _test_email(settings).as_bytes()
    send(settings, stored, password=None, recipients=["only@example.org"])
    smtp.wait_for(1)
    assert smtp.received[0].rcpt_tos == ["only@example.org"]


def test_alert_email_arrives(smtp):
    settings = smtp.settings()
    for flip, err in (("failing", f"HTTP 503 from server {HOSTILE}"), ("recovered", None)):
        msg = report.build_alert_email(
            settings,
            ["reader@example.org"],
            "acme shop",
            "https://acme.example/privacy",
            flip,
            err,
            now=NOW,
            message_id=report.make_message_id(f"alert-{flip}"),
        )
        send(settings, msg.as_bytes(), password=None)
    failing, recovered = smtp.wait_for(2)
    assert failing["Subject"].startswith("[policy-watcher] acme shop: checks failing — HTTP 503")
    assert "watcher check 'acme shop'" in failing.get_body(("plain",)).get_content()
    assert "<script" not in failing.get_body(("html",)).get_content()
    assert recovered["Subject"] == "[policy-watcher] acme shop: checks work again"
