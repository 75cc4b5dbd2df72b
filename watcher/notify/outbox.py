"""Deliver the outbox, the one durable queue of every channel; nothing is lost on failure or crash.

A notification is stored (one row per change x channel, with its final bytes, its channel name
and a deterministic Message-ID) in the transaction that stores the change it reports, so it
exists before anyone tries to send it. `deliver_due` hands every due row to its channel's `send`
and only then marks it sent: a crash between the two sends it again on the next run, with the
same bytes and so the same Message-ID (mail clients fold such duplicates). A failure (server
down, authentication refused, timeout, webhook error) keeps the row with its attempt count and
last error and retries it after `base.backoff_seconds(attempts)` (first delay overridable with
$WATCHER_RETRY_BASE, seconds). A row whose channel is no longer configured stays queued with
that error (it goes out if the channel comes back).

With `[email] digest = true` the monitor stores change reports as "held"; here they are merged
into one digest message (queued, the held rows marked "merged", in one transaction) once the
oldest of them has waited `hold_for` seconds: the daemon passes its check interval, so one
digest goes out per cycle; `--once` and `watcher outbox retry` pass 0.

Secrets (the SMTP password, `${VAR}`s in channel URLs) come from the environment at send time
and are never stored or logged.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from watcher import render as report
from watcher.analysis import diff
from watcher.models import Analysis, EmailSettings
from watcher.notify import Channels
from watcher.notify import base as notify
from watcher.storage.sqlite import OutboxMessage, Store, StoredChange, iso

log = logging.getLogger("watcher.notify.outbox")

# One delivery at a time in this process (the daemon's delivery job, a reload, a CLI retry).
_DELIVERY_LOCK = threading.Lock()

RETRY_BASE_ENV = "WATCHER_RETRY_BASE"  # first retry delay in seconds (default 60)


@dataclass
class Attempt:
    """What happened to one outbox row in this delivery run."""

    id: int
    message_id: str
    subject: str
    recipients: list[str]
    ok: bool
    error: str | None = None
    attempts: int = 0  # attempts so far, this one included
    next_attempt_at: datetime | None = None
    channel: str = "email"

    def to_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "channel": self.channel,
            "message_id": self.message_id,
            "subject": self.subject,
            "recipients": self.recipients,
            "sent": self.ok,
            "error": self.error,
            "attempts": self.attempts,
            "next_attempt_at": iso(self.next_attempt_at) if self.next_attempt_at else None,
        }


@dataclass
class DeliveryReport:
    attempts: list[Attempt] = field(default_factory=list)
    digests: int = 0  # digest messages built from held change reports in this run

    @property
    def sent(self) -> int:
        return sum(1 for a in self.attempts if a.ok)

    @property
    def failed(self) -> int:
        return sum(1 for a in self.attempts if not a.ok)

    @property
    def errors(self) -> list[str]:
        return list(dict.fromkeys(a.error for a in self.attempts if a.error))

    def to_dict(self) -> dict[str, object]:
        return {
            "sent": self.sent,
            "failed": self.failed,
            "digests": self.digests,
            "messages": [a.to_dict() for a in self.attempts],
        }


def deliver_due(
    store: Store,
    channels: Channels,
    *,
    now: datetime,
    force: bool = False,
    environ: Mapping[str, str] = os.environ,
    hold_for: float = 0.0,
    ids: Collection[int] | None = None,
    ssl_context: object = None,
) -> DeliveryReport:
    """Merge held digest rows that are ripe, then send every due row once, through its channel.

    `force` ignores the backoff (`watcher outbox retry`); `ids` restricts sending to those rows.
    Never raises for delivery trouble: it is in the report and in the rows.
    """
    out = DeliveryReport()
    with _DELIVERY_LOCK, store.delivery_lock():  # one sender per database, across processes
        settings = channels.email
        if ids is None and settings is not None:
            out.digests = merge_held(store, settings, now=now, hold_for=hold_for)
        due = store.due_messages(now, force=force)
        if ids is not None:
            wanted = set(ids)
            due = [m for m in due if m.id in wanted]
        # An error about a channel's server or settings (not one message) skips its other rows.
        session_error: dict[str, str] = {}
        for m in due:
            channel = channels.get(m.channel)
            error = session_error.get(m.channel)
            if channel is None:
                error = (
                    "no [email] table in the config"
                    if m.channel == "email"
                    else f"channel {m.channel!r} is not in the config"
                )
            if error is not None:
                out.attempts.append(_failed(store, m, error, now, environ))
                continue
            try:
                channel.send(m, environ=environ, ssl_context=ssl_context)
            except notify.DeliveryError as e:
                out.attempts.append(_failed(store, m, _labelled(m, str(e)), now, environ))
                if e.kind in notify.SESSION_KINDS:
                    session_error[m.channel] = _labelled(m, str(e))
                continue
            # Sent: mark it. A crash right here resends it later with the same Message-ID.
            store.mark_sent(m.id, now)
            out.attempts.append(
                Attempt(
                    m.id,
                    m.message_id,
                    m.subject,
                    m.recipients,
                    True,
                    attempts=m.attempts + 1,
                    channel=m.channel,
                )
            )
        _log_report(out)
        return out


def _labelled(m: OutboxMessage, error: str) -> str:
    """E-mail errors read as they always did; a channel's error names the channel."""
    return error if m.channel == "email" else f"channel {m.channel}: {error}"


def retry_delay(attempts: int, environ: Mapping[str, str] = os.environ) -> float:
    """Seconds before retrying after `attempts` failures: notify.backoff_seconds (60 s, 2 m,
    4 m ... capped at 6 h), rescaled when $WATCHER_RETRY_BASE sets another first delay."""
    delay = notify.backoff_seconds(attempts)
    raw = environ.get(RETRY_BASE_ENV)
    if raw:
        try:
            base = float(raw)
        except ValueError:
            base = -1.0
        if base > 0:
            return min(delay * base / notify.BACKOFF_BASE, notify.BACKOFF_CAP)
        log.warning("ignoring %s=%r: not a positive number of seconds", RETRY_BASE_ENV, raw)
    return delay


def _failed(
    store: Store, m: OutboxMessage, error: str, now: datetime, environ: Mapping[str, str]
) -> Attempt:
    attempts = m.attempts + 1
    nxt = now + timedelta(seconds=retry_delay(attempts, environ))
    store.mark_failed(m.id, error, nxt)
    return Attempt(
        m.id, m.message_id, m.subject, m.recipients, False, error, attempts, nxt, m.channel
    )


def _log_report(out: DeliveryReport) -> None:
    for a in out.attempts:
        if a.ok:
            to = ", ".join(a.recipients) if a.channel == "email" else f"channel {a.channel}"
            log.info("sent %s to %s: %s", a.message_id, to, a.subject)
        else:
            log.warning(
                "could not send %s (attempt %d, next try %s): %s",
                a.message_id,
                a.attempts,
                iso(a.next_attempt_at) if a.next_attempt_at else "-",
                a.error,
            )


# -- digests ----------------------------------------------------------------------------------


def merge_held(store: Store, settings: EmailSettings, *, now: datetime, hold_for: float) -> int:
    """Turn ripe "held" change reports into one digest per recipient list; return how many."""
    held = [m for m in store.outbox(statuses=("held",)) if m.channel == "email"]
    if not held:
        return 0
    groups: dict[tuple[str, ...], list[OutboxMessage]] = {}
    for m in held:
        groups.setdefault(tuple(m.recipients), []).append(m)
    urls = store.watch_urls()
    made = 0
    for recipients, rows in groups.items():
        oldest = min(_utc(m.created_at) for m in rows)
        if (now - oldest).total_seconds() < hold_for:
            continue
        items: list[report.DigestItem] = []
        merged: list[int] = []
        for m in rows:
            change = store.get_change(m.change_id) if m.change_id is not None else None
            item = change_item(store, change, urls.get(m.watch or "", "")) if change else None
            if item is None:
                log.warning("held message %s has no stored change; sending it as it is", m.id)
                continue
            items.append(item)
            merged.append(m.id)
        if not merged:
            continue
        label = f"{iso(oldest)[:16].replace('T', ' ')} to {iso(now)[:16].replace('T', ' ')} UTC"
        seed = "digest-" + ",".join(map(str, sorted(merged))) + "-" + ",".join(recipients)
        message_id = report.make_message_id(seed)
        msg = report.build_digest_email(
            settings, list(recipients), items, now=now, message_id=message_id, period_label=label
        )
        with store.transaction():
            store.enqueue(
                watch=None,
                change_id=None,
                kind="digest",
                message_id=message_id,
                recipients=list(recipients),
                subject=str(msg["Subject"]),
                message=msg.as_bytes(),
                now=now,
            )
            store.merge_held(merged)
        made += 1
        log.info("digest %s: %d change(s) for %s", message_id, len(merged), ", ".join(recipients))
    _release_unmergeable(store, held, now)
    return made


def _release_unmergeable(store: Store, held: Sequence[OutboxMessage], now: datetime) -> None:
    """A held row whose change is gone (never expected) is sent on its own rather than lost."""
    for m in held:
        if m.change_id is not None and store.get_change(m.change_id) is not None:
            continue
        with store.transaction():
            store.enqueue(
                watch=m.watch,
                change_id=m.change_id,
                kind=m.kind,
                message_id=report.make_message_id(f"released-{m.message_id}"),
                recipients=m.recipients,
                subject=m.subject,
                message=m.message,
                now=now,
            )
            store.merge_held([m.id])


def change_item(store: Store, change: StoredChange, url: str) -> report.DigestItem | None:
    """A stored change as a report item (findings from the database, hunks recomputed)."""
    old = store.get_version(change.watch, change.old_version)
    new = store.get_version(change.watch, change.new_version)
    if old is None or new is None:
        return None
    analysis = Analysis(
        changed=True,
        classification=change.classification,  # type: ignore[arg-type]
        summary=change.summary,
        findings=change.findings,
        hunks=diff.hunks(old.text, new.text),
        words_added=change.words_added,
        words_removed=change.words_removed,
    )
    return report.DigestItem(change.watch, url, analysis, old.info, new.info, change.id)


def _utc(dt: datetime) -> datetime:
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt
