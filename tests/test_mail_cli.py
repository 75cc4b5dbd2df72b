"""`watcher outbox`, `outbox retry`, `report`, `test-email`, `feed` through the real CLI."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

import watcher.cli.mail  # noqa: F401  (registers the commands on the app)
from tests.conftest import small_policy_page as page

try:
    from smtpserver import SMTPTestServer, free_port
except ImportError:  # tests/ became a package
    from tests.smtpserver import SMTPTestServer, free_port

pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")

ATOM = "{http://www.w3.org/2005/Atom}"


def email_table(port: int, **extra: str) -> str:
    lines = [
        "[email]",
        'smtp_host = "127.0.0.1"',
        f"smtp_port = {port}",
        'security = "none"',
        'from = "policy-watcher <watcher@example.org>"',
        'to = ["reader@example.org"]',
        "timeout = 5",
    ]
    lines += [f"{k} = {v}" for k, v in extra.items()]
    return "\n".join(lines)


@pytest.fixture
def smtp():
    with SMTPTestServer() as srv:
        yield srv


def make_change(project, site, port: int) -> None:
    project.write_config([{"name": "acme", "url": site.url("/privacy")}], email_table(port))
    site.set("/privacy", page())
    project.run("check")
    site.set("/privacy", page("Mailchimp"))
    project.run("check")


def test_outbox_lists_failed_then_retry_sends(project, site, smtp):
    make_change(project, site, free_port())  # SMTP down: the change report stays queued
    rows = project.json("outbox")
    assert len(rows) == 1 and rows[0]["status"] == "queued" and rows[0]["watch"] == "acme"

    result = project.run("outbox", "retry", code=1)
    assert "connection refused" in result.output
    [row] = project.json("outbox")
    assert row["status"] == "failed" and row["attempts"] == 1
    assert "connection refused" in row["last_error"]
    listing = project.run("outbox").output
    assert "failed" in listing and "acme" in listing

    # the server is back (point the config at it): retry sends now, despite the backoff
    text = project.config.read_text()
    project.config.write_text(re.sub(r"smtp_port = \d+", f"smtp_port = {smtp.port}", text))
    result = project.run("outbox", "retry")
    assert "sent" in result.output
    [msg] = smtp.wait_for(1)
    assert msg["Subject"].startswith("[policy-watcher] acme:")
    assert project.json("outbox") == []
    assert "empty" in project.run("outbox").output
    assert project.json("outbox", "retry") == {
        "sent": 0,
        "failed": 0,
        "digests": 0,
        "messages": [],
    }


def test_outbox_unknown_action_and_no_email(project, site):
    project.write_config([{"name": "acme", "url": site.url("/privacy")}])
    assert "unknown outbox action" in project.run("outbox", "resend", code=2).output
    assert "no [email]" in project.run("outbox", "retry", code=2).output
    assert project.json("outbox") == []


def test_report_terminal_json_and_email(project, site, smtp):
    make_change(project, site, smtp.port)
    # the change report went to the outbox; the daemon would send it; not this test's business
    out = project.run("report", "--since", "7d").output
    assert "acme" in out and "Mailchimp" in out and "1 change" in out
    data = project.json("report", "--since", "1d")
    [change] = data["changes"]
    assert change["watch"] == "acme" and change["url"] == site.url("/privacy")
    assert any("Mailchimp" in f["summary"] for f in change["findings"])

    result = project.run("report", "--since", "7d", "--email")
    assert "Sent the report" in result.output
    [msg] = smtp.wait_for(1)
    assert msg["Subject"].startswith("[policy-watcher] digest")
    assert "Mailchimp" in msg.get_body(("plain",)).get_content()
    assert "Mailchimp" in msg.get_body(("html",)).get_content()
    assert msg["Message-ID"] and msg["Date"]

    assert "not a duration" in project.run("report", "--since", "soon", code=2).output


def test_report_email_failure_keeps_it_queued(project, site):
    make_change(project, site, free_port())
    result = project.run("report", "--email", code=1)
    assert "could not send the report" in result.output and "refused" in result.output
    kinds = sorted(r["kind"] for r in project.json("outbox"))
    assert kinds == ["change", "report"]


def test_test_email_success_and_failure(project, site, smtp):
    project.write_config([], email_table(smtp.port))
    result = project.run("test-email")
    assert "Sent a test message to reader@example.org" in result.output
    [msg] = smtp.wait_for(1)
    assert msg["Subject"] == "[policy-watcher] test message"
    assert msg.get_body(("html",)) is not None

    project.write_config([], email_table(free_port()))
    result = project.run("test-email", code=1)
    assert "connection refused" in result.output and "hint:" in result.output


def test_test_email_auth_failure_says_so(project, monkeypatch):
    with SMTPTestServer(auth=("alerts", "right")) as srv:
        monkeypatch.setenv("PW_FOR_TEST", "wrong-secret")
        project.write_config(
            [],
            email_table(
                srv.port,
                username='"alerts"',
                password_env='"PW_FOR_TEST"',
                allow_plaintext_auth="true",
            ),
        )
        result = project.run("test-email", code=1)
        assert "authentication failed" in result.output
        assert "wrong-secret" not in result.output
        monkeypatch.delenv("PW_FOR_TEST")
        result = project.run("test-email", code=1)
        assert "PW_FOR_TEST is not set" in result.output


def test_feed_one_entry_per_change(project, site, tmp_path):
    make_change(project, site, free_port())
    site.set("/privacy", page("Salesforce"))
    project.run("check")
    out = tmp_path / "feed.xml"
    result = project.run("feed", "--output", str(out))
    assert "2 entries" in result.output
    root = ET.parse(out).getroot()
    entries = root.findall(f"{ATOM}entry")
    assert len(entries) == 2
    texts = [ET.tostring(e, encoding="unicode") for e in entries]
    assert any("Salesforce" in t for t in texts) and any("Mailchimp" in t for t in texts)
    for e in entries:
        assert e.find(f"{ATOM}summary").text
        assert e.find(f"{ATOM}id").text.startswith("tag:")
    # stdout works too and parses
    assert ET.fromstring(project.run("feed").stdout.encode()).tag == f"{ATOM}feed"
    # rel="self" says where the feed lives; entry ids stay the same when asked again
    assert root.find(f"{ATOM}link[@rel='self']").get("href") == "feed.xml"
    again = ET.fromstring(
        project.run("feed", "--self-url", "https://example.org/pw.xml").stdout.encode()
    )
    assert again.find(f"{ATOM}link[@rel='self']").get("href") == "https://example.org/pw.xml"
    assert [e.findtext(f"{ATOM}id") for e in again.findall(f"{ATOM}entry")] == [
        e.findtext(f"{ATOM}id") for e in entries
    ]
