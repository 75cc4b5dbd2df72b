"""Apprise channels end to end: real checks of a loopback page, a real SQLite file, a real
loopback HTTP server receiving Apprise's `json://` notifications (and failing on demand)."""

from __future__ import annotations

import json
import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.conftest import small_policy_page as page
from watcher import config as cfg
from watcher.daemon import Daemon
from watcher.models import Watch
from watcher.notify import Channels

try:
    from smtpserver import SMTPTestServer, free_port
except ImportError:  # tests/ became a package
    from tests.smtpserver import SMTPTestServer, free_port

TOKEN = "s3cr3t-hook-token-4711"


class HookServer:
    """A loopback webhook: records every POST (path, JSON body); answers `status`."""

    def __init__(self) -> None:
        self.posts: list[tuple[str, dict]] = []
        self.status = 200
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server API
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n)
                if owner.status == 200:
                    owner.posts.append((self.path, json.loads(body)))
                self.send_response(owner.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> HookServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def url(self) -> str:
        return f"json://127.0.0.1:{self.port}/hook/${{HOOK_TOKEN}}"


@pytest.fixture
def hook():
    with HookServer() as h:
        yield h


def channel_table(name: str, url: str, **extra: str) -> str:
    lines = ["[[channel]]", f'name = "{name}"', f"url = {json.dumps(url)}"]
    lines += [f"{k} = {v}" for k, v in extra.items()]
    return "\n".join(lines) + "\n"


def change(project, site) -> None:
    site.set("/privacy", page())
    project.run("check")
    site.set("/privacy", page(processor="Mailchimp"))
    project.run("check")


def test_change_reaches_webhook_once_after_an_outage(project, site, hook, monkeypatch, caplog):
    monkeypatch.setenv("HOOK_TOKEN", TOKEN)
    caplog.set_level(logging.DEBUG)
    project.write_config(
        [{"name": "acme", "url": site.url("/privacy")}], channel_table("team-hook", hook.url())
    )
    change(project, site)
    [row] = project.json("outbox")
    assert row["channel"] == "team-hook" and row["watch"] == "acme" and row["kind"] == "change"
    assert row["status"] == "queued"

    # The service is down: the row stays, failed, with a one-line error naming the channel.
    hook.status = 503
    result = project.run("outbox", "retry", code=1)
    assert "team-hook" in result.output
    [row] = project.json("outbox")
    assert row["status"] == "failed" and row["attempts"] == 1
    assert row["last_error"].startswith("channel team-hook: json://127.0.0.1:")
    assert hook.posts == []

    # Back up: one retry delivers it, once; a second retry has nothing to send.
    hook.status = 200
    project.run("outbox", "retry")
    project.run("outbox", "retry")
    assert project.json("outbox") == []
    [(path, body)] = hook.posts
    assert path == f"/hook/{TOKEN}"  # the secret reached the request, and only the request
    assert body["title"].startswith("[policy-watcher] acme: ")
    assert "Mailchimp" in body["message"]
    assert "watcher diff acme" in body["message"]
    assert body["type"] in ("info", "warning", "failure")

    # The expanded URL is nowhere else: not in the database, the outbox listing, or the logs.
    db = (project.root / "watcher.db").read_bytes()
    wal = project.root / "watcher.db-wal"
    assert TOKEN.encode() not in db
    assert not wal.exists() or TOKEN.encode() not in wal.read_bytes()
    assert TOKEN not in caplog.text
    assert TOKEN not in project.run("outbox", "--json").output


def test_routing_notify_and_channel_watches(project, site, hook, monkeypatch):
    monkeypatch.setenv("HOOK_TOKEN", TOKEN)
    with SMTPTestServer() as smtp:
        extra = "\n".join(
            [
                "[email]",
                'smtp_host = "127.0.0.1"',
                f"smtp_port = {smtp.port}",
                'security = "none"',
                'to = ["reader@example.org"]',
                "",
                channel_table("all-hook", hook.url()),
                channel_table("beta-only", hook.url(), watches='["beta"]'),
                channel_table("loud", hook.url(), min_severity='"high"'),
            ]
        )
        project.write_config(
            [
                {"name": "alpha", "url": site.url("/privacy")},
                {"name": "beta", "url": site.url("/privacy")},
                {"name": "gamma", "url": site.url("/privacy"), "notify": ["beta-only"]},
            ],
            extra,
        )
        config = cfg.load(project.config)
        channels = Channels.from_config(config)
        routed = {w.name: [c.name for c in channels.route(w)] for w in config.watches}
        assert routed == {
            "alpha": ["email", "all-hook", "loud"],
            "beta": ["email", "all-hook", "beta-only", "loud"],
            "gamma": ["beta-only"],
        }
        change(project, site)
        rows = project.json("outbox")
        got = sorted((r["watch"], r["channel"]) for r in rows)
        # "loud" wants only high: it has a row exactly when the change is high
        high = {r["watch"] for r in rows if r["subject"].split(": ", 2)[1].startswith("HIGH")}
        assert sorted(w for w, c in got if c == "loud") == sorted(high - {"gamma"})
        want = [
            ("alpha", "all-hook"),
            ("alpha", "email"),
            ("beta", "all-hook"),
            ("beta", "beta-only"),
            ("beta", "email"),
            ("gamma", "beta-only"),
        ]
        assert [g for g in got if g[1] != "loud"] == want
        project.run("outbox", "retry")
        assert len(smtp.wait_for(2)) == 2
        assert len(hook.posts) == len([g for g in got if g[1] != "email"])


def test_daemon_delivers_channels_without_an_email_table(project, site, hook, monkeypatch):
    monkeypatch.setenv("HOOK_TOKEN", TOKEN)
    project.write_config(
        [{"name": "acme", "url": site.url("/privacy")}], channel_table("team-hook", hook.url())
    )
    change(project, site)
    assert len(project.json("outbox")) == 1
    d = Daemon(project.config)
    try:
        assert d.run_once() == 0
    finally:
        d.store.close()
    assert len(hook.posts) == 1
    assert project.json("outbox") == []


def test_test_notify_success_failure_and_unknown(project, hook, monkeypatch):
    monkeypatch.setenv("HOOK_TOKEN", TOKEN)
    dead = f"json://127.0.0.1:{free_port()}/hook"
    project.write_config(
        [],
        channel_table("team-hook", hook.url())
        + channel_table("dead", dead)
        + channel_table("nonsense", "notaservice://x/y"),
    )
    ok = project.run("test-notify", "team-hook")
    assert "Sent a test notification via channel team-hook" in ok.output
    [(path, body)] = hook.posts
    assert path == f"/hook/{TOKEN}" and "test message" in body["title"]
    assert TOKEN not in ok.output

    down = project.run("test-notify", "dead", code=1)
    assert "error: sending via channel dead" in down.output
    assert "Connection error" in down.output and "hint:" in down.output

    bad = project.run("test-notify", "nonsense", code=1)
    assert "Apprise does not understand the URL notaservice://x/y" in bad.output

    monkeypatch.delenv("HOOK_TOKEN")
    unset = project.run("test-notify", "team-hook", code=1)
    assert "HOOK_TOKEN" in unset.output and "is not set" in unset.output

    unknown = project.run("test-notify", "slack", code=2)
    assert "no channel named 'slack'" in unknown.output and "team-hook" in unknown.output


@pytest.mark.parametrize(
    ("extra", "watch_extra", "expect"),
    [
        (
            channel_table("x", "json://h/p"),
            {"notify": ["y"]},
            "watch[acme].notify: unknown channel 'y'",
        ),
        ("", {"notify": ["email"]}, "there is no [email] table"),
        (
            channel_table("x", "json://h/p", watches='["nope"]'),
            {},
            "channel[x].watches: unknown watch 'nope'",
        ),
        (channel_table("x", "json://h/${1BAD}"), {}, "does not name an environment variable"),
        (channel_table("x", "hooks.example/p"), {}, "channel[x].url: expected an Apprise URL"),
        (channel_table("email", "json://h/p"), {}, '"email" is the [email] table'),
        (channel_table("x", "json://h/p", min_severity='"urgent"'), {}, "'urgent' is not one of"),
    ],
)
def test_channel_config_errors_name_the_key(project, extra, watch_extra, expect):
    project.write_config([{"name": "acme", "url": "https://example.org/", **watch_extra}], extra)
    with pytest.raises(cfg.ConfigError) as ei:
        cfg.load(project.config)
    assert expect in str(ei.value)
    assert str(project.config) in str(ei.value)


def test_email_only_when_no_channels_keeps_old_routing(tmp_path: Path):
    from watcher.models import EmailSettings

    channels = Channels.email_only(EmailSettings(smtp_host="h", to=("a@example.org",)))
    assert [c.name for c in channels.route(Watch("w", "https://x.example/"))] == ["email"]
    assert Channels.email_only(None).route(Watch("w", "https://x.example/")) == []


def test_schema_v2_outbox_rows_become_email_rows(tmp_path: Path):
    import contextlib
    import sqlite3
    from datetime import UTC, datetime

    from watcher.storage.sqlite import SCHEMA_VERSION, Store

    db = tmp_path / "w.db"
    with Store(db, tmp_path / "snap") as s:
        s.enqueue(
            watch=None,
            change_id=None,
            kind="report",
            message_id="<old@x>",
            recipients=["a@example.org"],
            subject="old",
            message=b"Subject: old\r\n\r\nbody",
            now=datetime(2025, 1, 1, tzinfo=UTC),
        )
    with contextlib.closing(sqlite3.connect(db)) as c:
        c.execute("ALTER TABLE outbox DROP COLUMN channel")
        c.execute("PRAGMA user_version = 2")
        c.commit()
    with Store(db, tmp_path / "snap") as s:
        assert s.schema_version == SCHEMA_VERSION
        [row] = s.outbox()
        assert (row.message_id, row.channel, row.subject) == ("<old@x>", "email", "old")


def test_daemon_refuses_to_start_without_a_channel_secret(project, site, monkeypatch):
    monkeypatch.delenv("HOOK_TOKEN", raising=False)
    project.write_config(
        [{"name": "acme", "url": site.url("/privacy")}],
        channel_table("team-hook", "json://127.0.0.1:9/hook/${HOOK_TOKEN}"),
    )
    result = project.run("daemon", "--once", code=2)
    assert "channel[team-hook].url" in result.output and "HOOK_TOKEN" in result.output
    assert not (project.root / "watcher.db").exists()  # before anything is opened or written


# the drip takes ~40 s: only the channel's 2 s deadline can end the retry within this bound
@pytest.mark.timeout(35)
def test_a_webhook_dripping_its_answer_hits_the_deadline(project, site, monkeypatch):
    import socket
    import time

    import watcher.notify.apprise as apprise_channel

    stop = threading.Event()
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(5)
    srv.settimeout(0.2)
    port = srv.getsockname()[1]

    def drip_answers() -> None:  # the status line one byte per second, each read within 4 s
        while not stop.is_set():
            try:
                conn, _ = srv.accept()
            except OSError:
                continue

            def one(c: socket.socket = conn) -> None:
                try:
                    c.recv(65536)
                    for b in b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n":
                        if stop.is_set():
                            break
                        c.send(bytes([b]))
                        time.sleep(1.0)
                except OSError:
                    pass
                finally:
                    c.close()

            threading.Thread(target=one, daemon=True).start()

    threading.Thread(target=drip_answers, daemon=True).start()
    monkeypatch.setattr(apprise_channel, "DEADLINE", 2.0)
    try:
        project.write_config(
            [{"name": "acme", "url": site.url("/privacy")}],
            channel_table("slow", f"json://127.0.0.1:{port}/hook"),
        )
        change(project, site)
        result = project.run("outbox", "retry", code=1)
        assert "slow" in result.output
        [row] = project.json("outbox")
        assert row["status"] == "failed" and "did not finish within" in row["last_error"]
    finally:
        stop.set()
        srv.close()
