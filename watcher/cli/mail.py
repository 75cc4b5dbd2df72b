"""Mail and feed commands: outbox, report, test-email, test-notify, feed.

The work is done by `watcher.notify.outbox`, `watcher.notify.email` and `watcher.render`.
"""

from __future__ import annotations

import hashlib
import os
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from watcher import config as cfg
from watcher.cli.common import App, JsonOpt, fail, load_config, open_store
from watcher.cli.output import console, emit_json, err, write_text
from watcher.cli.output import iso_z as _iso
from watcher.cli.output import when as _when
from watcher.textutil import redact_credentials

app = App()


def _channels_or_fail(config: cfg.Config):  # noqa: ANN202 - Channels
    from watcher.notify import Channels

    channels = Channels.from_config(config)
    if not channels:
        raise fail(
            f"no [email] table and no [[channel]] in {config.path}; nothing can be delivered "
            "(see docs/daemon.md)"
        )
    return channels


def _email_or_fail(config: cfg.Config):  # noqa: ANN202 - EmailSettings
    if config.email is None:
        raise fail(
            f"no [email] table in {config.path}; add smtp_host, to and friends (see docs/daemon.md)"
        )
    return config.email


# -- outbox -----------------------------------------------------------------------------------
@app.command()
def outbox(
    action: Annotated[
        str | None,
        typer.Argument(metavar="retry", help="`retry`: send every queued and failed message now."),
    ] = None,
    json_: JsonOpt = False,
) -> None:
    """List queued and failed messages; `watcher outbox retry` sends them now."""
    if action not in (None, "retry"):
        raise fail(f"unknown outbox action {action!r}; use `watcher outbox` or `... outbox retry`")
    config = load_config()
    store = open_store(config)
    try:
        if action == "retry":
            _retry(config, store, json_)
        else:
            _list_outbox(store, json_)
    finally:
        store.close()


def _list_outbox(store: Any, json_: bool) -> None:
    rows = store.outbox(statuses=("queued", "failed", "held"))
    data = [
        {
            "id": m.id,
            "channel": m.channel,
            "watch": m.watch,
            "kind": m.kind,
            "status": m.status,
            "subject": m.subject,
            "recipients": m.recipients,
            "message_id": m.message_id,
            "attempts": m.attempts,
            "last_error": m.last_error,
            "created_at": _iso(m.created_at),
            "next_attempt_at": _iso(m.next_attempt_at),
        }
        for m in rows
    ]
    if json_:
        emit_json(data)
        return
    if not rows:
        counts = store.outbox_counts()
        console.print(f"The outbox is empty ({counts.get('sent', 0)} message(s) sent so far).")
        return
    table = Table(title="Outbox: messages not yet delivered")
    cols = (
        "id",
        "status",
        "channel",
        "watch",
        "subject",
        "attempts",
        "next try (UTC)",
        "last error",
    )
    for col in cols:
        table.add_column(col, overflow="fold")
    for m in rows:
        style = {"failed": "red", "held": "dim"}.get(m.status, "")
        table.add_row(
            str(m.id),
            Text(m.status, style=style),
            m.channel,
            m.watch or "-",
            m.subject,
            str(m.attempts),
            _when(m.next_attempt_at) if m.status == "failed" else "-",
            m.last_error or "",
        )
    console.print(table)
    if any(m.status == "held" for m in rows):
        console.print("held: change reports waiting for the next digest", style="dim")


def _retry(config: cfg.Config, store: Any, json_: bool) -> None:
    from watcher.notify.outbox import deliver_due

    channels = _channels_or_fail(config)
    result = deliver_due(store, channels, now=datetime.now(UTC), force=True, hold_for=0.0)
    if json_:
        emit_json(result.to_dict())
    else:
        if not result.attempts:
            console.print("Nothing to send: the outbox is empty.")
        for a in result.attempts:
            if a.ok:
                console.print(Text(f"sent: {a.subject}", style="green"))
            else:
                err.print(Text(f"failed: {a.subject}: {a.error}", style="red"), soft_wrap=True)
        if result.attempts:
            console.print(f"{result.sent} sent, {result.failed} still queued.")
    if result.failed:
        raise typer.Exit(1)


# -- report -----------------------------------------------------------------------------------
@app.command()
def report(
    since: Annotated[
        str, typer.Option("--since", metavar="DURATION", help="Period to cover: 12h, 7d, 4w...")
    ] = "7d",
    email: Annotated[bool, typer.Option("--email", help="Send it to [email] to.")] = False,
    json_: JsonOpt = False,
) -> None:
    """A digest of every change in a period, on the terminal or by e-mail."""
    from watcher import render as rpt
    from watcher.notify.outbox import change_item

    try:
        seconds = cfg.parse_duration(since, "--since")
    except ValueError as e:
        raise fail(str(e)) from None
    config = load_config()
    settings = _email_or_fail(config) if email else None
    now = datetime.now(UTC)
    start = now - timedelta(seconds=seconds)
    store = open_store(config)
    try:
        urls = {**store.watch_urls(), **{w.name: w.url for w in config.watches}}
        # The same query as `watcher findings --since`: changes by when the policy changed.
        changes = store.changes_captured_since(start)
        items = [
            it for c in changes if (it := change_item(store, c, urls.get(c.watch, ""))) is not None
        ]
        label = f"last {since}"
        if json_ and not email:
            emit_json(
                {
                    "since": _iso(start),
                    "until": _iso(now),
                    "changes": [
                        {
                            "id": it.change_id,
                            "watch": it.watch,
                            "url": redact_credentials(it.url),
                            "old_version": it.old.id,
                            "new_version": it.new.id,
                            "captured_at": _iso(it.new.captured_at),
                            **{
                                k: v
                                for k, v in rpt.analysis_json(it.analysis).items()
                                if k != "hunks"
                            },
                        }
                        for it in items
                    ],
                }
            )
            return
        if not email:
            write_text(rpt.digest_text(items, label))
            return
        _email_report(store, settings, items, label, now, json_)
    finally:
        store.close()


def _email_report(
    store: Any, settings: Any, items: list[Any], label: str, now: datetime, json_: bool
) -> None:
    from watcher import render as rpt
    from watcher.notify import Channels
    from watcher.notify.outbox import deliver_due

    to = list(settings.to)
    message_id = rpt.make_message_id(f"report-{label}-{now.isoformat()}")
    msg = rpt.build_digest_email(
        settings, to, items, now=now, message_id=message_id, period_label=label
    )
    row = store.enqueue(
        watch=None,
        change_id=None,
        kind="report",
        message_id=message_id,
        recipients=to,
        subject=str(msg["Subject"]),
        message=msg.as_bytes(),
        now=now,
    )
    result = deliver_due(store, Channels.email_only(settings), now=now, ids=[row])
    if json_:
        emit_json(result.to_dict())
    elif result.failed:
        err.print(
            Text(
                f"error: could not send the report: {result.errors[0]} "
                "(it stays in the outbox; the daemon or `watcher outbox retry` will resend it)",
                style="red",
            ),
            soft_wrap=True,
        )
    else:
        console.print(f"Sent the report ({len(items)} change(s)) to {', '.join(to)}.")
    if result.failed:
        raise typer.Exit(1)


# -- test-email -------------------------------------------------------------------------------
@app.command("test-email")
def test_email(
    to: Annotated[
        list[str] | None,
        typer.Option("--to", metavar="ADDRESS", help="Recipient (default [email] to)."),
    ] = None,
) -> None:
    """Send a test message through [email]; on failure say exactly what went wrong."""
    from watcher import render as rpt
    from watcher.notify import email as notify

    config = load_config()
    settings = _email_or_fail(config)
    recipients = list(to or settings.to)
    now = datetime.now(UTC)
    msg = rpt.build_test_email(
        settings,
        recipients,
        now=now,
        message_id=rpt.make_message_id(f"test-{now.isoformat()}-{os.getpid()}"),
    )
    where = f"{settings.smtp_host}:{settings.smtp_port} (security {settings.security})"
    try:
        password = notify.resolve_password(settings)
        notify.send(settings, msg, password=password, recipients=recipients)
    except notify.DeliveryError as e:
        err.print(Text(f"error: sending via {where} failed: {e}", style="red"), soft_wrap=True)
        hint = _HINTS.get(e.kind)
        if hint:
            err.print(Text(f"hint: {hint}", style="yellow"), soft_wrap=True)
        raise typer.Exit(1) from None
    console.print(f"Sent a test message to {', '.join(recipients)} via {where}.")


# -- test-notify ------------------------------------------------------------------------------
@app.command("test-notify")
def test_notify(
    name: Annotated[
        str, typer.Argument(metavar="CHANNEL", help="A [[channel]] name, or `email` for [email].")
    ],
) -> None:
    """Send a test notification through one channel; on failure say exactly what went wrong."""
    from watcher.notify import Channels, DeliveryError
    from watcher.storage.sqlite import OutboxMessage

    config = load_config()
    channels = Channels.from_config(config)
    channel = channels.get(name)
    if channel is None:
        known = ", ".join(channels.names()) or "none configured"
        raise fail(f"no channel named {name!r} in {config.path} (channels: {known})")
    now = datetime.now(UTC)
    out = channel.test(now=now)
    row = OutboxMessage(
        id=0,
        watch=None,
        change_id=None,
        kind=out.kind,
        message_id=out.message_id,
        recipients=list(out.recipients),
        subject=out.subject,
        message=out.message,
        status="queued",
        attempts=0,
        last_error=None,
        created_at=now,
        next_attempt_at=None,
        sent_at=None,
        channel=out.channel,
    )
    where = f"channel {name} ({channel.describe()})"
    try:
        channel.send(row, environ=os.environ)
    except DeliveryError as e:
        # a channel's error already quotes its URL (as written, with ${VAR}); e-mail's does not
        said = where if name == "email" or channel.describe() not in str(e) else f"channel {name}"
        err.print(Text(f"error: sending via {said} failed: {e}", style="red"), soft_wrap=True)
        hint = _HINTS.get(e.kind) if name == "email" else _CHANNEL_HINTS.get(e.kind)
        if hint:
            err.print(Text(f"hint: {hint}", style="yellow"), soft_wrap=True)
        raise typer.Exit(1) from None
    console.print(Text(f"Sent a test notification via {where}."), soft_wrap=True)


_CHANNEL_HINTS = {
    "config": "check the channel's url in the config and that every ${VAR} it names is "
    "exported to this process",
    "connect": "is the service reachable from here, and does the URL (host, path, token) match "
    "what the service expects?",
}

_HINTS = {
    "config": "check [email] username / password_env and that the variable is exported "
    "to this process",
    "connect": "is smtp_host / smtp_port right, and is the server reachable from here?",
    "dns": "smtp_host does not resolve; check its spelling",
    "timeout": "the server did not answer in time; check the port and any firewall",
    "tls": 'check security: "ssl" for port 465, "starttls" for 587, "none" for plain',
    "auth": "check username and the password in the variable named by password_env",
    "recipient": "the server refused a recipient; check [email] to",
    "sender": "the server refused the sender; check [email] from",
}


# -- feed -------------------------------------------------------------------------------------
@app.command()
def feed(
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", metavar="FILE", help="Write to this file (default stdout)."),
    ] = None,
    limit: Annotated[
        int,
        typer.Option("--limit", metavar="N", min=1, max=10_000, help="At most this many entries."),
    ] = 50,
    self_url: Annotated[
        str | None,
        typer.Option(
            "--self-url",
            metavar="URL",
            help="Where the feed is published (its rel=self link; default its name).",
        ),
    ] = None,
) -> None:
    """An Atom feed of recent changes: one entry per change with its summary and findings."""
    from watcher import render as rpt
    from watcher.notify.outbox import change_item

    config = load_config()
    store = open_store(config)
    try:
        urls = {**store.watch_urls(), **{w.name: w.url for w in config.watches}}
        items = [
            it
            for c in store.recent_changes(limit=limit)
            if (it := change_item(store, c, urls.get(c.watch, ""))) is not None
        ]
    finally:
        store.close()
    updated = max((it.new.captured_at for it in items), default=datetime.now(UTC))
    xml = rpt.atom_feed(
        items,
        feed_id="urn:policy-watcher:feed:"
        + hashlib.sha256(str(config.path.resolve()).encode()).hexdigest()[:16],
        title="policy-watcher: recent policy changes",
        updated=updated,
        self_url=self_url or (output.name if output is not None else "feed.xml"),
    )
    if output is None:
        sys.stdout.write(xml)
        return
    tmp = output.with_name(f".{output.name}.tmp")
    try:
        tmp.write_text(xml, encoding="utf-8")
        os.replace(tmp, output)
    except OSError as e:
        raise fail(f"cannot write {output}: {e.strerror or e}", 1) from None
    console.print(f"Wrote {len(items)} entr{'y' if len(items) == 1 else 'ies'} to {output}.")
