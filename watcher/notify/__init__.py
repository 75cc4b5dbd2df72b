"""Notification channels: where change reports go, and the routing of watches to them.

- `base`: the `Channel` protocol, `Outgoing` (a rendered row), `DeliveryError`, the backoff;
- `email`: the `[email]` table (native MIME reports, digests, SMTP);
- `apprise`: each `[[channel]]` table (an Apprise URL: Slack, Teams, Matrix, webhooks ...);
- `outbox`: the one durable queue for every channel (one row per change x channel).

Adding a channel type is one class (see `base.Channel`) listed in `CHANNELS` below; its
`from_config` says which of the config's tables it serves.

Routing (`Channels.route`): a watch with `notify = [...]` goes to exactly those channels
("email" is the [email] table); a watch without it goes to e-mail (if configured) and to every
channel whose `watches` names it or that has no `watches`. Each channel then applies its own
`min_severity` to change reports; failing/recovered alerts go to every routed channel.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from watcher.models import Analysis, EmailSettings, VersionInfo, Watch
from watcher.notify.apprise import AppriseChannel
from watcher.notify.base import Channel, DeliveryError, Outgoing
from watcher.notify.email import EmailChannel

if TYPE_CHECKING:
    from watcher.storage.sqlite import Store

# The registry: every channel type, in the order their channels are listed.
CHANNELS: tuple[type, ...] = (EmailChannel, AppriseChannel)

__all__ = ["CHANNELS", "Channel", "Channels", "DeliveryError", "Outgoing"]


@dataclass(frozen=True)
class Channels:
    """The configured channels and the routing of watches to them."""

    channels: tuple[Any, ...] = ()  # Channel instances

    @classmethod
    def from_config(cls, config: Any) -> Channels:
        return cls(tuple(ch for kind in CHANNELS for ch in kind.from_config(config)))

    @classmethod
    def email_only(cls, settings: EmailSettings | None) -> Channels:
        """Just the [email] channel (or none): for callers and tests that only mail."""
        return cls((EmailChannel(settings),) if settings is not None else ())

    def __iter__(self) -> Iterator[Any]:
        return iter(self.channels)

    def __bool__(self) -> bool:
        return bool(self.channels)

    def names(self) -> list[str]:
        return [c.name for c in self.channels]

    def get(self, name: str) -> Any | None:
        return next((c for c in self.channels if c.name == name), None)

    @property
    def email(self) -> EmailSettings | None:
        ch = self.get("email")
        return ch.settings if ch is not None else None

    def route(self, watch: Watch) -> list[Any]:
        """The channels that hear about `watch` (before severity thresholds)."""
        if watch.notify is not None:
            wanted = set(watch.notify)
            return [c for c in self.channels if c.name in wanted]
        return [c for c in self.channels if c.watches is None or watch.name in c.watches]

    # -- queueing (inside the caller's transaction) ----------------------------------------
    def queue_change(
        self,
        store: Store,
        watch: Watch,
        change_id: int,
        analysis: Analysis,
        old: VersionInfo,
        new: VersionInfo,
        now: datetime,
    ) -> int:
        """Queue the change's report for every routed channel that wants its severity;
        call in the transaction that stores the change. Returns the rows queued. A cosmetic
        change (layout, case, typography) is never sent; every other one reaches a channel
        whose min_severity it meets (the default, "info", is every one)."""
        if not analysis.changed or analysis.classification == "cosmetic":
            return 0
        n = 0
        for ch in self.route(watch):
            if ch.wants(analysis.max_severity):
                out = ch.change(watch, change_id, analysis, old, new, now=now)
                n += enqueue(store, out, watch=watch.name, change_id=change_id, now=now)
        return n

    def queue_alert(
        self, store: Store, watch: Watch, flip: str, error: str | None, now: datetime
    ) -> int:
        """A watch started failing or recovered: one message per routed channel."""
        n = 0
        for ch in self.route(watch):
            n += enqueue(store, ch.alert(watch, flip, error, now=now), watch=watch.name, now=now)
        return n


def enqueue(
    store: Store, out: Outgoing, *, watch: str | None, now: datetime, change_id: int | None = None
) -> int:
    """Store a rendered notification in the outbox (1 if a row was added, 0 if it was there)."""
    row = store.enqueue(
        watch=watch,
        change_id=change_id,
        kind=out.kind,
        message_id=out.message_id,
        recipients=list(out.recipients),
        subject=out.subject,
        message=out.message,
        now=now,
        status="held" if out.held else "queued",
        channel=out.channel,
    )
    return 1 if row else 0
