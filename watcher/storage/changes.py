"""Changes between versions and full-text search: the history queries of the store.

Mixed into `Store` (sqlite.py), which provides `_q`, `_one`, `_exec` and `transaction`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from watcher.models import Finding
from watcher.storage.records import SearchHit, StoredChange, iso, parse_iso


class ChangeQueries:
    """Changes (one row per pair of consecutive versions) and the FTS5 search."""

    _q: Any
    _one: Any
    _exec: Any
    transaction: Any
    _index_findings: Any

    # -- changes ---------------------------------------------------------------------------
    def add_change(
        self,
        watch: str,
        *,
        old_version: int,
        new_version: int,
        detected_at: datetime,
        classification: str,
        summary: str,
        severity: str | None,
        findings: Sequence[Finding],
        words_added: int = 0,
        words_removed: int = 0,
        technical: bool = False,
    ) -> int:
        with self.transaction():
            change_id = self._exec(
                "INSERT INTO changes(watch, old_version, new_version, detected_at, classification,"
                " summary, severity, findings, words_added, words_removed, technical) "
                "VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                (
                    watch,
                    old_version,
                    new_version,
                    iso(detected_at),
                    classification,
                    summary,
                    severity,
                    json.dumps([f.to_dict() for f in findings], ensure_ascii=False),
                    words_added,
                    words_removed,
                    int(technical),
                ),
            )
            if not technical:
                self._index_findings(change_id, watch, new_version, detected_at, findings)
            return change_id

    def delete_change_between(self, old_version: int, new_version: int) -> None:
        with self.transaction():
            self._exec(
                "DELETE FROM changes WHERE old_version = ? AND new_version = ?",
                (old_version, new_version),
            )

    def get_change(self, change_id: int) -> StoredChange | None:
        row = self._one("SELECT * FROM changes WHERE id = ?", (change_id,))
        return _change(row) if row else None

    def change_between(self, old_version: int, new_version: int) -> StoredChange | None:
        row = self._one(
            "SELECT * FROM changes WHERE old_version = ? AND new_version = ? "
            "ORDER BY id DESC LIMIT 1",
            (old_version, new_version),
        )
        return _change(row) if row else None

    def changes_since(
        self, since: datetime, watch: str | None = None, include_technical: bool = False
    ) -> list[StoredChange]:
        sql = "SELECT * FROM changes WHERE detected_at >= ?"
        params: list[Any] = [iso(since)]
        if watch:
            sql += " AND watch = ?"
            params.append(watch)
        if not include_technical:
            sql += " AND technical = 0"
        return [_change(r) for r in self._q(sql + " ORDER BY detected_at, id", params)]

    def recent_changes(self, limit: int = 50) -> list[StoredChange]:
        rows = self._q(
            "SELECT * FROM changes WHERE technical = 0 ORDER BY detected_at DESC, id DESC LIMIT ?",
            (limit,),
        )
        return [_change(r) for r in rows]

    # -- search ----------------------------------------------------------------------------
    def search(self, query: str, limit: int = 50) -> list[SearchHit]:
        fts_query = _fts_query(query)
        if not fts_query:
            return []
        rows = self._q(
            "SELECT v.watch, v.id, v.captured_at, "
            "snippet(versions_fts, 0, '[', ']', '…', 12) AS snip "
            "FROM versions_fts JOIN versions v ON v.rowid = versions_fts.rowid "
            "WHERE versions_fts MATCH ? ORDER BY v.watch, v.captured_at LIMIT ?",
            (fts_query, limit),
        )
        return [
            SearchHit(r["watch"], r["id"], parse_iso(r["captured_at"]), r["snip"]) for r in rows
        ]


def _fts_query(query: str) -> str:
    """Quote every term so user input can't break FTS5 syntax; keep "phrases" together."""
    import shlex

    try:
        terms = shlex.split(query)
    except ValueError:
        terms = query.split()
    return " ".join('"' + t.replace('"', '""') + '"' for t in terms if t.strip())


def _change(r: dict[str, Any]) -> StoredChange:
    return StoredChange(
        id=r["id"],
        watch=r["watch"],
        old_version=r["old_version"],
        new_version=r["new_version"],
        detected_at=parse_iso(r["detected_at"]),
        classification=r["classification"],
        summary=r["summary"],
        severity=r["severity"],
        findings=[Finding.from_dict(d) for d in json.loads(r["findings"] or "[]")],
        words_added=r["words_added"],
        words_removed=r["words_removed"],
        technical=bool(r["technical"]),
    )
