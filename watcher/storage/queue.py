"""The outbox queue and the Wayback import progress: the durable, resumable parts of the store.

Mixed into `Store` (sqlite.py), which provides `_q`, `_one`, `_exec` and `transaction`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from watcher.storage.records import OutboxMessage, iso, parse_iso


class QueueQueries:
    """Outbox rows (one per change x channel) and Wayback progress per digest."""

    _q: Any
    _one: Any
    _exec: Any
    transaction: Any

    # -- outbox ----------------------------------------------------------------------------
    def enqueue(
        self,
        *,
        watch: str | None,
        change_id: int | None,
        kind: str,
        message_id: str,
        recipients: Sequence[str],
        subject: str,
        message: bytes,
        now: datetime,
        status: str = "queued",
        channel: str = "email",
    ) -> int:
        """Queue a message (call inside the transaction that stores the change)."""
        with self.transaction():
            return self._exec(
                "INSERT INTO outbox(watch, change_id, kind, message_id, recipients, subject, "
                "message, status, created_at, next_attempt_at, channel) "
                "VALUES (?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT(message_id) DO NOTHING",
                (
                    watch,
                    change_id,
                    kind,
                    message_id,
                    json.dumps(list(recipients)),
                    subject,
                    message,
                    status,
                    iso(now),
                    iso(now),
                    channel,
                ),
            )

    def outbox(self, statuses: Sequence[str] = ("queued", "failed", "held")) -> list[OutboxMessage]:
        marks = ",".join("?" for _ in statuses)
        rows = self._q(
            f"SELECT * FROM outbox WHERE status IN ({marks}) ORDER BY id", tuple(statuses)
        )
        return [_outbox(r) for r in rows]

    def due_messages(self, now: datetime, force: bool = False) -> list[OutboxMessage]:
        sql = "SELECT * FROM outbox WHERE status IN ('queued', 'failed')"
        params: tuple[Any, ...] = ()
        if not force:
            sql += " AND (next_attempt_at IS NULL OR next_attempt_at <= ?)"
            params = (iso(now),)
        return [_outbox(r) for r in self._q(sql + " ORDER BY id", params)]

    def mark_sent(self, message_id: int, now: datetime) -> None:
        with self.transaction():
            self._exec(
                "UPDATE outbox SET status = 'sent', sent_at = ?, attempts = attempts + 1, "
                "last_error = NULL WHERE id = ?",
                (iso(now), message_id),
            )

    def mark_failed(self, message_id: int, error: str, next_attempt: datetime) -> None:
        with self.transaction():
            self._exec(
                "UPDATE outbox SET status = 'failed', attempts = attempts + 1, last_error = ?, "
                "next_attempt_at = ? WHERE id = ?",
                (error, iso(next_attempt), message_id),
            )

    def merge_held(self, ids: Sequence[int]) -> None:
        with self.transaction():
            for i in ids:
                self._exec("UPDATE outbox SET status = 'merged' WHERE id = ?", (i,))

    def outbox_counts(self) -> dict[str, int]:
        return {
            r["status"]: r["n"]
            for r in self._q("SELECT status, count(*) AS n FROM outbox GROUP BY status")
        }

    # -- wayback progress ------------------------------------------------------------------
    def wayback_done(self, watch: str) -> dict[str, str]:
        """digest -> status for every capture of this watch already handled."""
        rows = self._q("SELECT digest, status FROM wayback_imports WHERE watch = ?", (watch,))
        return {r["digest"]: r["status"] for r in rows}

    def wayback_record(
        self,
        watch: str,
        digest: str,
        timestamp: str,
        status: str,
        now: datetime,
        version_id: int | None = None,
        error: str | None = None,
    ) -> None:
        with self.transaction():
            self._exec(
                "INSERT OR REPLACE INTO wayback_imports(watch, digest, timestamp, status, "
                "version_id, error, imported_at) VALUES (?,?,?,?,?,?,?)",
                (watch, digest, timestamp, status, version_id, error, iso(now)),
            )

    def wayback_notes(self, watch: str, status: str) -> dict[str, str | None]:
        """key -> note (the `error` column) of this watch's progress rows with `status`
        (e.g. "redirect": where each probed archived redirect went)."""
        rows = self._q(
            "SELECT digest, error FROM wayback_imports WHERE watch = ? AND status = ?",
            (watch, status),
        )
        return {r["digest"]: r["error"] for r in rows}

    def wayback_version(self, watch: str, digest: str) -> int | None:
        """The version an archived body (by CDX digest) was imported as, or matched."""
        row = self._one(
            "SELECT version_id FROM wayback_imports WHERE watch = ? AND digest = ?",
            (watch, digest),
        )
        return row["version_id"] if row else None


def _outbox(r: dict[str, Any]) -> OutboxMessage:
    return OutboxMessage(
        id=r["id"],
        watch=r["watch"],
        change_id=r["change_id"],
        kind=r["kind"],
        message_id=r["message_id"],
        recipients=json.loads(r["recipients"]),
        subject=r["subject"],
        message=bytes(r["message"]),
        status=r["status"],
        attempts=r["attempts"],
        last_error=r["last_error"],
        created_at=parse_iso(r["created_at"]),
        next_attempt_at=parse_iso(r["next_attempt_at"]) if r["next_attempt_at"] else None,
        sent_at=parse_iso(r["sent_at"]) if r["sent_at"] else None,
        channel=r.get("channel") or "email",
    )
