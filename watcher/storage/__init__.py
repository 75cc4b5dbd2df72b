"""Storage: the only package that speaks SQL. A repository of watches, versions, changes and
the outbox, plus the raw captures on disk.

- `records.py`: the plain records storage returns (StoredVersion, StoredChange, ...) and
  `StoreError` — the one exception storage raises (sqlite3 errors never leave this package).
- `schema.py`: the schema and its forward-only migrations (`PRAGMA user_version`).
- `snapshots.py`: content-addressed, zstd-compressed raw captures, written atomically.
- `locks.py`: inter-process locks (one daemon per database, one check per watch at a time).
- `sqlite.py`: `Store`, today's only backend (SQLite via sqlite-utils).

Another backend implements `Repository` (below) and is returned by `open_store`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from datetime import datetime
from os import PathLike
from typing import Protocol, runtime_checkable

from watcher.models import Fact
from watcher.storage.records import (
    CheckState,
    OutboxMessage,
    SearchHit,
    StoredCapture,
    StoredChange,
    StoredVersion,
    StoreError,
    WatchStatus,
    iso,
    parse_iso,
    sha256_hex,
)

__all__ = [
    "CheckState",
    "OutboxMessage",
    "Repository",
    "SearchHit",
    "StoreError",
    "StoredCapture",
    "StoredChange",
    "StoredVersion",
    "WatchStatus",
    "iso",
    "open_store",
    "parse_iso",
    "sha256_hex",
]


@runtime_checkable
class Repository(Protocol):
    """What the pipeline needs from storage (the core of `Store`'s public methods).

    Every method raises `StoreError` (one readable line) and nothing backend-specific."""

    def transaction(self) -> contextlib.AbstractContextManager[None]: ...
    def watch_lock(self, name: str) -> contextlib.AbstractContextManager[None]: ...
    def daemon_lock(self) -> contextlib.AbstractContextManager[None]: ...
    def delivery_lock(self) -> contextlib.AbstractContextManager[None]: ...
    def close(self) -> None: ...

    # raw captures
    def put_snapshot(self, body: bytes) -> str: ...
    def get_snapshot(self, sha256: str) -> bytes: ...
    def add_capture(self, watch: str, **fields: object) -> int: ...
    def latest_capture(self, watch: str, source: str | None = "live") -> StoredCapture | None: ...

    # watches and checks
    def ensure_watch(self, name: str, url: str, now: datetime) -> None: ...
    def check_state(self, watch: str) -> CheckState: ...
    def watch_statuses(self, names: Sequence[str]) -> list[WatchStatus]: ...
    def add_check(self, watch: str, **fields: object) -> int: ...
    def note_outcome(self, name: str, ok: bool, now: datetime, threshold: int) -> str | None: ...

    # versions
    def add_version(self, watch: str, **fields: object) -> int: ...
    def versions(self, watch: str) -> list[StoredVersion]: ...
    def get_version(self, watch: str, version_id: int) -> StoredVersion | None: ...
    def latest_version(self, watch: str) -> StoredVersion | None: ...
    def neighbours(
        self, watch: str, at: datetime
    ) -> tuple[StoredVersion | None, StoredVersion | None]: ...
    def set_facts(self, version_id: int, facts: Sequence[Fact]) -> None: ...

    # changes and the outbox
    def add_change(self, watch: str, **fields: object) -> int: ...
    def get_change(self, change_id: int) -> StoredChange | None: ...
    def enqueue(self, **fields: object) -> int | None: ...
    def outbox(self, statuses: Sequence[str] = ...) -> list[OutboxMessage]: ...

    def search(self, query: str, limit: int = 50) -> list[SearchHit]: ...


def open_store(db_path: str | PathLike[str], snapshots: str | PathLike[str]) -> Repository:
    """Open (creating and migrating) the store for a database path. SQLite is the backend."""
    from watcher.storage.sqlite import Store

    return Store(db_path, snapshots)
