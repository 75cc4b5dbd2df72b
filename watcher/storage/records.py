"""Plain records the storage layer returns (no SQL here): versions, captures, changes, outbox rows."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime

from watcher.models import Fact, Finding, VersionInfo, WatcherError


class StoreError(WatcherError):
    """A storage problem (disk full, unreadable snapshot, corrupt or locked database)."""


def iso(dt: datetime) -> str:
    """Aware datetime -> ISO 8601 UTC with a Z, second precision."""
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso(s: str) -> datetime:
    return datetime.fromisoformat(s.replace("Z", "+00:00"))


def sha256_hex(data: bytes | str) -> str:
    if isinstance(data, str):
        data = data.encode("utf-8")
    return hashlib.sha256(data).hexdigest()


@dataclass
class StoredVersion:
    id: int
    watch: str
    captured_at: datetime
    last_seen: datetime
    source: str
    sha256: str
    words: int
    title: str | None
    language: str | None
    text: str
    facts: list[Fact] | None  # None: not derived yet (see monitor.facts_of)
    capture_id: int | None
    technical: bool
    summary: str | None = None
    n: int = 0  # the watch's own version number: 1 = its oldest version (by capture time)
    declared_language: str | None = None  # the page's own tag; `language` is detected

    @property
    def info(self) -> VersionInfo:
        return VersionInfo(
            self.id,
            self.captured_at,
            self.source,  # type: ignore[arg-type]
            self.sha256,
            self.words,
            self.n,
        )


@dataclass
class StoredCapture:
    id: int
    watch: str
    fetched_at: datetime
    source: str
    url: str
    status: int
    content_type: str
    charset: str | None
    raw_sha256: str
    size: int
    etag: str | None
    last_modified: str | None
    rendered: bool = False  # the DOM a headless browser built, not the server's bytes


@dataclass
class StoredChange:
    id: int
    watch: str
    old_version: int
    new_version: int
    detected_at: datetime
    classification: str
    summary: str
    severity: str | None
    findings: list[Finding]
    words_added: int
    words_removed: int
    technical: bool


@dataclass
class OutboxMessage:
    id: int
    watch: str | None
    change_id: int | None
    kind: str
    message_id: str
    recipients: list[str]
    subject: str
    message: bytes
    status: str
    attempts: int
    last_error: str | None
    created_at: datetime
    next_attempt_at: datetime | None
    sent_at: datetime | None
    channel: str = "email"  # "email" or a [[channel]] name


@dataclass
class WatchStatus:
    name: str
    last_check: datetime | None
    last_outcome: str | None
    last_error: str | None
    versions: int
    last_change: datetime | None
    consecutive_errors: int
    failing: bool


@dataclass
class CheckState:
    last_capture: StoredCapture | None
    last_outcome: str | None
    latest_version: int | None
    latest_at: datetime | None = None  # its captured_at: a live check never lands before it


@dataclass
class SearchHit:
    watch: str
    version_id: int
    captured_at: datetime
    snippet: str


@dataclass
class FindingRow:
    """One finding of one stored change, with where and when it happened."""

    watch: str
    change_id: int
    old_version: int
    new_version: int
    old_n: int  # the watch's own version numbers (1 = oldest)
    new_n: int
    captured_at: datetime  # when the new version was captured (the policy changed)
    detected_at: datetime  # when the change was recorded
    finding: Finding

    def to_dict(self) -> dict[str, object]:
        return {
            "watch": self.watch,
            "change": self.change_id,
            "old_n": self.old_n,
            "new_n": self.new_n,
            "date": iso(self.captured_at),
            "recorded": iso(self.detected_at),
            **self.finding.to_dict(),  # its own "old" / "new" are the finding's values
        }
