"""The outbox end to end: real checks on loopback pages, a real SQLite file, a real SMTP server."""

from __future__ import annotations

import dataclasses
import logging
import subprocess
import sys
import textwrap
from datetime import UTC, datetime, timedelta
from html import escape as html_escape
from pathlib import Path

import pytest

from tests.conftest import small_policy_page
from watcher.fetchers.http import Fetcher, HostThrottle
from watcher.models import FetchSettings, Watch
from watcher.monitor import Context, check_watch
from watcher.notify import Channels
from watcher.notify.outbox import deliver_due, retry_delay
from watcher.storage.sqlite import Store

try:
    from smtpserver import SMTPTestServer, free_port
except ImportError:  # tests/ became a package
    from tests.smtpserver import SMTPTestServer, free_port

pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")

T0 = datetime(2025, 3, 1, 9, 0, 0, tzinfo=UTC)
HOSTILE = "<script>alert('x')</script>"
page = small_policy_page


class Clock:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at

    def advance(self, seconds: float) -> datetime:
        self.at += timedelta(seconds=seconds)
        return self.at


@pytest.fixture
def smtp():
    with SMTPTestServer() as srv:
        yield srv


@pytest.fixture
def store(tmp_path: Path):
    s = Store(tmp_path / "watcher.db", tmp_path / "snapshots")
    yield s
    s.close()


def make_ctx(store: Store, settings, clock: Clock, threshold: int = 3) -> Context:
    fetch = FetchSettings(user_agent="policy-watcher-test", timeout=5, retries=0, per_host_delay=0)
    return Context(
        store=store,
        fetcher=Fetcher(fetch, HostThrottle(0)),
        channels=Channels.email_only(settings),
        failure_threshold=threshold,
        clock=clock,
    )


def change_page(site, ctx: Context, watch: Watch, clock: Clock, **kw: str):
    """First capture, then the changed page: returns the second CheckResult."""
    site.set("/privacy", page())
    first = check_watch(ctx, watch)
    assert first.status == "new"
    clock.advance(3600)
    site.set("/privacy", page(**kw))
    second = check_watch(ctx, watch)
    assert second.status == "changed", second
    return second


def test_change_email_parsed_subject_parts_escaped_findings(site, smtp, store):
    clock = Clock(T0)
    ctx = make_ctx(store, smtp.settings(), clock)
    watch = Watch("acme", site.url("/privacy"))
    site.set("/privacy", page())
    check_watch(ctx, watch)
    # The first capture is not a change: nothing queued, nothing sent.
    assert store.outbox() == []
    assert deliver_due(store, ctx.channels, now=clock()).attempts == []

    clock.advance(3600)
    site.set(
        "/privacy", page(extra=f"New clause {html_escape(HOSTILE)} here.", processor="Mailchimp")
    )
    result = check_watch(ctx, watch)
    assert result.status == "changed"
    [queued] = store.outbox()
    assert queued.status == "queued" and queued.kind == "change"

    rep = deliver_due(store, ctx.channels, now=clock())
    assert (rep.sent, rep.failed) == (1, 0)
    [msg] = smtp.wait_for(1)
    assert msg["Subject"].startswith("[policy-watcher] acme: ")
    assert msg["Message-ID"] == queued.message_id
    assert msg["Date"] and msg["To"] == "reader@example.org"
    assert msg.get_content_type() == "multipart/alternative"
    text = msg.get_body(("plain",)).get_content()
    html = msg.get_body(("html",)).get_content()
    assert "FINDINGS" in text and "Mailchimp" in text
    assert "Mailchimp" in html
    assert HOSTILE not in html and "&lt;script&gt;" in html
    # delivered rows leave the outbox; nothing is sent twice
    assert store.outbox() == []
    assert deliver_due(store, ctx.channels, now=clock.advance(10)).attempts == []
    assert len(smtp.messages) == 1


def test_outage_keeps_message_with_attempts_and_backoff_then_sends_once(site, smtp, store):
    clock = Clock(T0)
    down = smtp.settings(smtp_port=free_port())
    ctx = make_ctx(store, down, clock)
    watch = Watch("acme", site.url("/privacy"))
    change_page(site, ctx, watch, clock, processor="Mailchimp")

    rep = deliver_due(store, Channels.email_only(down), now=clock())
    assert (rep.sent, rep.failed) == (0, 1)
    [row] = store.outbox()
    assert row.status == "failed" and row.attempts == 1
    assert "connection refused" in row.last_error
    assert row.next_attempt_at == clock() + timedelta(seconds=60)

    # Before the backoff ends nothing is tried, even with the server back.
    assert (
        deliver_due(store, Channels.email_only(smtp.settings()), now=clock.advance(30)).attempts
        == []
    )
    # A second failure doubles the wait.
    clock.advance(31)
    deliver_due(store, Channels.email_only(down), now=clock())
    [row] = store.outbox()
    assert row.attempts == 2 and row.next_attempt_at == clock() + timedelta(seconds=120)

    clock.advance(121)
    rep = deliver_due(store, Channels.email_only(smtp.settings()), now=clock())
    assert (rep.sent, rep.failed) == (1, 0)
    assert store.outbox() == []
    clock.advance(3600)
    assert deliver_due(store, Channels.email_only(smtp.settings()), now=clock()).attempts == []
    assert len(smtp.wait_for(1)) == 1


def test_force_ignores_backoff(site, smtp, store):
    clock = Clock(T0)
    ctx = make_ctx(store, smtp.settings(smtp_port=free_port()), clock)
    change_page(site, ctx, Watch("acme", site.url("/privacy")), clock, processor="Mailchimp")
    deliver_due(store, ctx.channels, now=clock())
    assert deliver_due(store, Channels.email_only(smtp.settings()), now=clock()).attempts == []
    rep = deliver_due(store, Channels.email_only(smtp.settings()), now=clock(), force=True)
    assert rep.sent == 1 and len(smtp.wait_for(1)) == 1


def test_server_refusal_4xx_is_retried(site, smtp, store):
    clock = Clock(T0)
    ctx = make_ctx(store, smtp.settings(), clock)
    change_page(site, ctx, Watch("acme", site.url("/privacy")), clock, processor="Mailchimp")
    smtp.refuse_next(1, 451)
    rep = deliver_due(store, ctx.channels, now=clock())
    assert rep.failed == 1 and "451" in rep.errors[0]
    rep = deliver_due(store, ctx.channels, now=clock.advance(61))
    assert rep.sent == 1 and len(smtp.wait_for(1)) == 1


def test_auth_error_recorded_and_password_never_logged(site, store, caplog, tmp_path):
    secret = "Wr0ng-pa55-XYZ"
    with SMTPTestServer(auth=("alerts", "right-password")) as srv:
        clock = Clock(T0)
        settings = srv.settings(password_env="SMTP_PW")
        ctx = make_ctx(store, settings, clock)
        change_page(site, ctx, Watch("acme", site.url("/privacy")), clock, processor="Mailchimp")
        with caplog.at_level(logging.DEBUG):
            rep = deliver_due(
                store, Channels.email_only(settings), now=clock(), environ={"SMTP_PW": secret}
            )
        assert rep.failed == 1
        [row] = store.outbox()
        assert "authentication failed" in row.last_error
        assert secret not in row.last_error and secret not in caplog.text
        assert srv.messages == []
        # the right password on a later cycle delivers it
        rep = deliver_due(
            store,
            Channels.email_only(settings),
            now=clock.advance(61),
            environ={"SMTP_PW": "right-password"},
        )
        assert rep.sent == 1 and len(srv.wait_for(1)) == 1


def test_missing_password_variable_is_a_clear_error(site, smtp, store):
    clock = Clock(T0)
    settings = smtp.settings(username="alerts", password_env="NOT_SET_ANYWHERE")
    ctx = make_ctx(store, settings, clock)
    change_page(site, ctx, Watch("acme", site.url("/privacy")), clock, processor="Mailchimp")
    rep = deliver_due(store, Channels.email_only(settings), now=clock(), environ={})
    assert rep.errors == ["password variable NOT_SET_ANYWHERE is not set"]
    assert store.outbox()[0].status == "failed"


def test_digest_merges_held_changes_into_one_message(site, smtp, store):
    clock = Clock(T0)
    settings = smtp.settings(digest=True)
    ctx = make_ctx(store, settings, clock)
    a, b = Watch("alpha", site.url("/a")), Watch("beta", site.url("/b"))
    for path in ("/a", "/b"):
        site.set(path, page())
    check_watch(ctx, a)
    check_watch(ctx, b)
    clock.advance(3600)
    site.set("/a", page(processor="Mailchimp"))
    site.set("/b", page(processor="Salesforce"))
    assert check_watch(ctx, a).status == "changed"
    assert check_watch(ctx, b).status == "changed"
    assert [m.status for m in store.outbox()] == ["held", "held"]

    # not ripe yet: the cycle is an hour and the oldest waited a minute
    rep = deliver_due(store, Channels.email_only(settings), now=clock.advance(60), hold_for=3600)
    assert rep.digests == 0 and rep.attempts == []

    rep = deliver_due(store, Channels.email_only(settings), now=clock.advance(3600), hold_for=3600)
    assert rep.digests == 1 and rep.sent == 1
    [msg] = smtp.wait_for(1)
    assert msg["Subject"].startswith("[policy-watcher] digest")
    text = msg.get_body(("plain",)).get_content()
    assert "alpha" in text and "beta" in text
    assert "Mailchimp" in text and "Salesforce" in text
    assert store.outbox() == []
    assert store.outbox_counts() == {"merged": 2, "sent": 1}
    assert deliver_due(store, Channels.email_only(settings), now=clock.advance(7200)).attempts == []


def test_per_watch_recipients(site, smtp, store):
    clock = Clock(T0)
    ctx = make_ctx(store, smtp.settings(), clock)
    watch = Watch("acme", site.url("/privacy"), email_to=("legal@example.org",))
    change_page(site, ctx, watch, clock, processor="Mailchimp")
    deliver_due(store, ctx.channels, now=clock())
    smtp.wait_for(1)
    assert smtp.received[0].rcpt_tos == ["legal@example.org"]


def test_failing_reported_once_and_recovery_once(site, smtp, store):
    clock = Clock(T0)
    ctx = make_ctx(store, smtp.settings(), clock, threshold=2)
    watch = Watch("acme", site.url("/privacy"))
    site.set("/privacy", page())
    check_watch(ctx, watch)
    site.set("/privacy", "<h1>Internal error</h1>", status=500)
    for _ in range(5):
        clock.advance(60)
        assert check_watch(ctx, watch).status == "error"
        deliver_due(store, ctx.channels, now=clock())
    msgs = smtp.wait_for(1)
    assert len(msgs) == 1 and "failing" in msgs[0]["Subject"]
    site.set("/privacy", page())
    for _ in range(3):
        clock.advance(60)
        assert check_watch(ctx, watch).status in ("unchanged", "new")
        deliver_due(store, ctx.channels, now=clock())
    msgs = smtp.wait_for(2)
    assert len(msgs) == 2
    assert msgs[1]["Subject"].startswith("[policy-watcher] acme:")
    assert "fail" not in msgs[1]["Subject"]


def test_crash_between_send_and_mark_resends_same_message_id(site, smtp, store, tmp_path):
    clock = Clock(T0)
    ctx = make_ctx(store, smtp.settings(), clock)
    change_page(site, ctx, Watch("acme", site.url("/privacy")), clock, processor="Mailchimp")
    [row] = store.outbox()
    # A separate process delivers and is killed right after the server accepted the message,
    # before it could mark the row sent.
    script = textwrap.dedent(
        f"""
        import os
        from datetime import datetime, UTC
        from watcher.models import EmailSettings
        from watcher.notify import Channels
        from watcher.notify.outbox import deliver_due
        from watcher.storage.sqlite import Store
        Store.mark_sent = lambda self, i, now: os._exit(9)  # the kill, at the worst moment
        store = Store({str(store.path)!r}, {str(store.snapshots)!r})
        s = EmailSettings(smtp_host="127.0.0.1", smtp_port={smtp.port}, security="none",
                          to=("reader@example.org",), timeout=5.0)
        deliver_due(store, Channels.email_only(s), now=datetime.now(UTC))
        """
    )
    proc = subprocess.run([sys.executable, "-c", script], timeout=60)
    assert proc.returncode == 9
    assert len(smtp.wait_for(1)) == 1
    assert store.outbox()[0].status == "queued"  # not lost
    rep = deliver_due(store, ctx.channels, now=clock())
    assert rep.sent == 1
    msgs = smtp.wait_for(2)
    assert len(msgs) == 2
    assert msgs[0]["Message-ID"] == msgs[1]["Message-ID"] == row.message_id


def test_retry_delay_env_override():
    assert retry_delay(1, {}) == 60
    assert retry_delay(3, {}) == 240
    assert retry_delay(1, {"WATCHER_RETRY_BASE": "2"}) == 2
    assert retry_delay(3, {"WATCHER_RETRY_BASE": "2"}) == 8
    assert retry_delay(1, {"WATCHER_RETRY_BASE": "nonsense"}) == 60


def test_no_email_settings_is_a_no_op(store):
    assert deliver_due(store, Channels.email_only(None), now=T0).attempts == []


def test_dataclass_report_to_dict(site, smtp, store):
    clock = Clock(T0)
    ctx = make_ctx(store, smtp.settings(smtp_port=free_port()), clock)
    change_page(site, ctx, Watch("acme", site.url("/privacy")), clock, processor="Mailchimp")
    d = deliver_due(store, ctx.channels, now=clock()).to_dict()
    assert d["sent"] == 0 and d["failed"] == 1
    assert d["messages"][0]["attempts"] == 1 and "refused" in d["messages"][0]["error"]
    assert dataclasses.is_dataclass(deliver_due(store, Channels.email_only(None), now=T0))
