"""What every notification channel shares: the protocol, the row it renders, the error it raises.

A channel turns a change (or an alert, or a test) into an `Outgoing` — final bytes, subject,
recipients and a deterministic Message-ID — which the outbox stores in the transaction that
stores the change; later the outbox hands the stored row back to the channel's `send`.
Rendering is pure; only `send` talks to the network.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from watcher.models import SEVERITY_RANK, Analysis, Severity, VersionInfo, Watch, WatcherError

if TYPE_CHECKING:
    from watcher.storage.sqlite import OutboxMessage

BACKOFF_BASE = 60.0  # seconds before the first retry
BACKOFF_CAP = 6 * 3600.0  # never wait longer than this between attempts

# Kinds of DeliveryError that concern the server or our settings, not one message: after one
# of these the other due messages of the same channel are not tried in this run.
SESSION_KINDS = frozenset({"config", "connect", "dns", "timeout", "tls", "auth"})


class DeliveryError(WatcherError):
    """A message could not be delivered; str(self) is a one-line cause (no secrets in it).

    kind: config, connect, dns, timeout, tls, auth, sender, recipient, size, data, protocol.
    `permanent` means retrying the same message with the same settings will not help; `code`
    is the server's reply code when it gave one.
    """

    def __init__(
        self, message: str, *, permanent: bool, kind: str = "protocol", code: int | None = None
    ) -> None:
        super().__init__(message)
        self.permanent = permanent
        self.kind = kind
        self.code = code


def backoff_seconds(attempts: int) -> float:
    """Wait before the next try after `attempts` failed ones: 60s, 2m, 4m, 8m ... capped at 6h."""
    if attempts <= 1:
        return BACKOFF_BASE
    if attempts > 20:  # avoid huge powers; long past the cap anyway
        return BACKOFF_CAP
    return min(BACKOFF_BASE * 2 ** (attempts - 1), BACKOFF_CAP)


@dataclass(frozen=True)
class Outgoing:
    """One rendered notification, ready to be stored in the outbox."""

    channel: str
    kind: str  # change | alert | digest | report | test
    message_id: str
    recipients: tuple[str, ...]
    subject: str
    message: bytes
    held: bool = False  # wait to be merged into a digest (e-mail with digest = true)


class Channel(Protocol):
    """A place notifications go. Adding one is one class listed in `watcher.notify.CHANNELS`."""

    name: str  # "email" for the [email] table, else the [[channel]] name
    min_severity: Severity
    watches: tuple[str, ...] | None  # None: every watch without its own `notify`
    digest: bool  # held change reports are merged into digests (e-mail only today)

    @classmethod
    def from_config(cls, config: Any) -> list[Channel]:
        """The channels of this type a loaded config declares (often none)."""
        ...

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
        """The report of one stored change (pure)."""
        ...

    def alert(self, watch: Watch, flip: str, error: str | None, *, now: datetime) -> Outgoing:
        """A watch started failing (`flip="failing"`) or recovered (pure)."""
        ...

    def test(self, *, now: datetime) -> Outgoing:
        """The `watcher test-notify` message (pure)."""
        ...

    def send(
        self, row: OutboxMessage, *, environ: Mapping[str, str], ssl_context: Any = None
    ) -> None:
        """Deliver a stored row or raise DeliveryError (one line, no secret in it)."""
        ...


class ChannelBase:
    """Defaults shared by the channel classes."""

    kind_label: ClassVar[str] = "channel"
    name: str
    min_severity: Severity
    watches: tuple[str, ...] | None = None
    digest: bool = False

    def wants(self, severity: str | None) -> bool:
        """Does a change whose worst finding is `severity` reach this channel's threshold?"""
        return SEVERITY_RANK.get(severity or "info", 0) >= SEVERITY_RANK[self.min_severity]
