"""Hostile and misconfigured SMTP (issue 13 points 3, 10, 12 and the 535 echo): scripted SMTP
servers on loopback that drip, refuse big messages or echo the AUTH exchange."""

from __future__ import annotations

import base64
import logging
from datetime import UTC, datetime

import pytest

from watcher import config as cfg
from watcher.notify import Channels
from watcher.notify.email import DeliveryError, send
from watcher.notify.outbox import deliver_due
from watcher.storage.sqlite import Store

try:
    from smtpserver import ScriptedSMTP, SMTPTestServer, drip, echo_auth, size_limit
except ImportError:  # tests/ became a package
    from tests.smtpserver import ScriptedSMTP, SMTPTestServer, drip, echo_auth, size_limit

PASSWORD = "hunter2-Secret!"
USER = "alerts"


@pytest.mark.timeout(60)  # the 3 s deadline must fire; before, this never returned
def test_a_server_dripping_one_line_per_second_hits_the_deadline():
    with ScriptedSMTP(drip) as srv:
        settings = srv.settings(deadline=3.0)
        with pytest.raises(DeliveryError) as ei:
            send(settings, b"From: w@example.org\r\nTo: r@example.org\r\n\r\nhi\r\n", password=None)
    e = ei.value
    assert e.kind == "timeout" and not e.permanent
    assert "within the 3s deadline" in str(e) and "greeting (EHLO)" in str(e)


@pytest.mark.timeout(60)  # both deliveries must stop at the 2 s deadline, not run on
def test_test_email_and_the_outbox_are_bounded_by_the_deadline(project, tmp_path):
    with ScriptedSMTP(drip) as srv:
        project.write_config(
            [],
            "\n".join(
                [
                    "[email]",
                    'smtp_host = "127.0.0.1"',
                    f"smtp_port = {srv.port}",
                    'security = "none"',
                    'to = ["r@example.org"]',
                    "timeout = 5",
                    "deadline = 2",
                ]
            ),
        )
        result = project.run("test-email", code=1)
        assert "deadline" in result.output

        # the daemon's delivery (deliver_due) returns too, keeping the row for later
        store = Store(tmp_path / "o.db", tmp_path / "snap")
        try:
            store.enqueue(
                watch=None,
                change_id=None,
                kind="report",
                message_id="<slow@x>",
                recipients=["r@example.org"],
                subject="s",
                message=b"From: w@example.org\r\nTo: r@example.org\r\nSubject: s\r\n\r\nhi\r\n",
                now=datetime.now(UTC),
            )
            settings = cfg.load(project.config).email
            rep = deliver_due(store, Channels.email_only(settings), now=datetime.now(UTC))
            assert rep.failed == 1
            [row] = store.outbox()
            assert row.status == "failed" and "deadline" in row.last_error
        finally:
            store.close()


def test_552_is_message_too_large_not_a_refused_sender():
    with ScriptedSMTP(size_limit) as srv, pytest.raises(DeliveryError) as ei:
        send(
            srv.settings(),
            b"From: w@example.org\r\nTo: r@example.org\r\n\r\n" + b"x" * 5000 + b"\r\n",
            password=None,
        )
    e = ei.value
    assert e.kind == "size" and e.permanent and e.code == 552
    assert str(e).startswith("message too large for 127.0.0.1:")
    assert "the server's limit is 1000 bytes" in str(e)
    assert "refused sender" not in str(e)


def test_a_535_echoing_the_auth_blob_keeps_no_credentials(project, monkeypatch):
    blob = base64.b64encode(f"\0{USER}\0{PASSWORD}".encode()).decode()
    with ScriptedSMTP(echo_auth) as srv:
        settings = srv.settings(username=USER, allow_plaintext_auth=True)
        with pytest.raises(DeliveryError) as ei:
            send(
                settings,
                b"From: w@example.org\r\nTo: r@example.org\r\n\r\nhi\r\n",
                password=PASSWORD,
            )
        assert any(blob in line for line in srv.seen)  # the server did get (and echo) it
        e = ei.value
        assert e.kind == "auth" and e.code == 535
        assert blob not in str(e) and PASSWORD not in str(e)
        assert "authentication failed" in str(e)

        monkeypatch.setenv("PW_535", PASSWORD)
        project.write_config(
            [],
            "\n".join(
                [
                    "[email]",
                    'smtp_host = "127.0.0.1"',
                    f"smtp_port = {srv.port}",
                    'security = "none"',
                    f'username = "{USER}"',
                    'password_env = "PW_535"',
                    "allow_plaintext_auth = true",
                    'to = ["r@example.org"]',
                    "timeout = 5",
                ]
            ),
        )
        result = project.run("test-email", code=1)
        assert "authentication failed" in result.output
        assert blob not in result.output and PASSWORD not in result.output


def test_plaintext_password_is_refused_unless_allowed(project):
    with SMTPTestServer(auth=(USER, PASSWORD)) as smtp:
        table = [
            "[email]",
            'smtp_host = "127.0.0.1"',
            f"smtp_port = {smtp.port}",
            'security = "none"',
            f'username = "{USER}"',
            'password_env = "PW_PLAIN"',
            'to = ["r@example.org"]',
        ]
        project.write_config([], "\n".join(table))
        with pytest.raises(cfg.ConfigError) as ei:
            cfg.load(project.config)
        msg = str(ei.value)
        assert "email.security" in msg and "allow_plaintext_auth" in msg
        assert f"{project.config}:" in msg
        result = project.run("test-email", code=2)
        assert "in clear" in result.output
        assert smtp.auth_attempts == []  # nothing was sent

        # settings built in code are refused the same way, before connecting
        settings = smtp.settings(allow_plaintext_auth=False)
        with pytest.raises(DeliveryError) as e2:
            send(
                settings,
                b"From: w@example.org\r\nTo: r@example.org\r\n\r\nhi\r\n",
                password=PASSWORD,
            )
        assert e2.value.kind == "config" and "in clear" in str(e2.value)
        assert smtp.auth_attempts == []

        # the explicit opt-in works
        project.write_config([], "\n".join([*table, "allow_plaintext_auth = true"]))
        assert cfg.load(project.config).email.allow_plaintext_auth


def test_credentials_in_a_watch_url_stay_in_the_request(project, site, tmp_path):
    from tests.conftest import small_policy_page as page
    from watcher.daemon import configure_logging

    secret = "pa55-w0rd-in-url"
    base = site.url("/privacy").replace("http://", f"http://reader:{secret}@")
    log_file = tmp_path / "daemon.log"
    configure_logging("DEBUG", log_file)
    with SMTPTestServer() as smtp:
        project.write_config(
            [{"name": "acme", "url": base}],
            "\n".join(
                [
                    "[email]",
                    'smtp_host = "127.0.0.1"',
                    f"smtp_port = {smtp.port}",
                    'security = "none"',
                    'to = ["r@example.org"]',
                    'min_severity = "info"',
                ]
            ),
        )
        site.set("/privacy", page())
        project.run("check")
        site.set("/privacy", page(processor="Mailchimp"))
        project.run("check")
        # the request carried them (HTTP basic auth from the URL)...
        auth = site.records("/privacy")[-1].headers.get("Authorization", "")
        assert base64.b64decode(auth.split()[-1]).decode() == f"reader:{secret}"
        project.run("outbox", "retry")
        [msg] = smtp.wait_for(1)
        shown = {
            "e-mail": msg.as_string(),
            "feed": project.run("feed").output,
            "list": project.run("list", "--json").output,
            "report": project.run("report", "--json").output,
        }
    root = logging.getLogger()
    try:
        logging.getLogger("watcher.test").warning("fetching %s", base)
        for h in root.handlers:
            h.flush()
        shown["log"] = log_file.read_text(encoding="utf-8")
    finally:
        for h in [h for h in root.handlers if getattr(h, "_watcher_daemon", False)]:
            root.removeHandler(h)
            h.close()
        root.setLevel(logging.WARNING)
    assert "reader:***@" in shown["log"]
    db = b"".join(p.read_bytes() for p in project.root.glob("watcher.db*") if p.is_file())
    assert secret.encode() not in db
    for where, text in shown.items():
        assert secret not in text, where
    assert "reader:***@" in shown["e-mail"] and "reader:***@" in shown["feed"]
