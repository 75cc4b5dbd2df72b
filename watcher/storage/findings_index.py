"""Queries over every finding of every change (the `findings` table): `watcher findings`,
the digest's overview and the static site. Mixed into `Store`; SQL stays in storage."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from watcher.models import SEVERITY_RANK, Finding
from watcher.storage.records import FindingRow, StoredChange, iso, parse_iso

GROUPS = {"watch": "f.watch", "kind": "f.kind", "severity": "f.severity"}


class FindingsIndex:
    """Needs the host's `_q`, `_exec` and `transaction` (see sqlite.Store)."""

    _q: Any
    _exec: Any

    def _index_findings(
        self,
        change_id: int,
        watch: str,
        new_version: int,
        detected_at: datetime,
        findings: Sequence[Finding],
    ) -> None:
        row = self._q("SELECT captured_at FROM versions WHERE id = ?", (new_version,))
        captured = row[0]["captured_at"] if row else iso(detected_at)
        for pos, f in enumerate(findings):
            self._exec(
                "INSERT INTO findings(change_id, watch, position, kind, severity, rank, "
                "captured_at, detected_at, summary, data) VALUES (?,?,?,?,?,?,?,?,?,?)",
                (
                    change_id, watch, pos, f.kind, f.severity or "info",
                    SEVERITY_RANK.get(f.severity or "info", 0), captured, iso(detected_at),
                    f.summary, json.dumps(f.to_dict(), ensure_ascii=False),
                ),
            )  # fmt: skip

    def _reindex_capture_date(self, version_id: int) -> None:
        """A version's start moved (an older sighting): its findings sort by the new date."""
        self._exec(
            "UPDATE findings SET captured_at = (SELECT captured_at FROM versions WHERE id = ?) "
            "WHERE change_id IN (SELECT id FROM changes WHERE new_version = ?)",
            (version_id, version_id),
        )

    @staticmethod
    def _where(
        watches: Sequence[str], kinds: Sequence[str], min_severity: str | None,
        since: datetime | None, until: datetime | None,
    ) -> tuple[str, list[Any]]:  # fmt: skip
        clauses: list[str] = []
        params: list[Any] = []
        if watches:
            clauses.append(f"f.watch IN ({','.join('?' * len(watches))})")
            params.extend(watches)
        if kinds:
            clauses.append(f"f.kind IN ({','.join('?' * len(kinds))})")
            params.extend(kinds)
        if min_severity:
            clauses.append("f.rank >= ?")
            params.append(SEVERITY_RANK[min_severity])
        if since is not None:
            clauses.append("f.captured_at >= ?")
            params.append(iso(since))
        if until is not None:
            clauses.append("f.captured_at < ?")
            params.append(iso(until))
        return (" WHERE " + " AND ".join(clauses)) if clauses else "", params

    def query_findings(
        self,
        *,
        watches: Sequence[str] = (),
        kinds: Sequence[str] = (),
        min_severity: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int | None = None,
    ) -> list[FindingRow]:
        """Findings newest first by the capture date of the change's new version."""
        where, params = self._where(watches, kinds, min_severity, since, until)
        sql = (
            "SELECT f.change_id, f.watch, f.captured_at, f.detected_at, f.data, "
            "c.old_version, c.new_version FROM findings f JOIN changes c ON c.id = f.change_id"
            f"{where} ORDER BY f.captured_at DESC, f.change_id DESC, f.position"
        )
        if limit:
            sql += " LIMIT ?"
            params.append(int(limit))
        rows = self._q(sql, params)
        numbers = self._version_numbers({r["watch"] for r in rows})
        return [
            FindingRow(
                watch=r["watch"],
                change_id=r["change_id"],
                old_version=r["old_version"],
                new_version=r["new_version"],
                old_n=numbers.get(r["old_version"], 0),
                new_n=numbers.get(r["new_version"], 0),
                captured_at=parse_iso(r["captured_at"]),
                detected_at=parse_iso(r["detected_at"]),
                finding=Finding.from_dict(json.loads(r["data"])),
            )
            for r in rows
        ]

    def count_findings(
        self,
        group_by: str,
        *,
        watches: Sequence[str] = (),
        kinds: Sequence[str] = (),
        min_severity: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> list[tuple[str, int]]:
        """(key, count) per watch, kind or severity, largest first."""
        column = GROUPS[group_by]
        where, params = self._where(watches, kinds, min_severity, since, until)
        rows = self._q(
            f"SELECT {column} AS key, COUNT(*) AS n FROM findings f{where} "
            "GROUP BY key ORDER BY n DESC, key",
            params,
        )
        return [(r["key"], int(r["n"])) for r in rows]

    def _version_numbers(self, watches: set[str]) -> dict[int, int]:
        """version id -> the watch's own number (1 = its oldest version by capture time)."""
        if not watches:
            return {}
        rows = self._q(
            "SELECT id, ROW_NUMBER() OVER (PARTITION BY watch ORDER BY captured_at, id) AS n "
            f"FROM versions WHERE watch IN ({','.join('?' * len(watches))})",
            sorted(watches),
        )
        return {r["id"]: int(r["n"]) for r in rows}

    def changes_captured_since(
        self, since: datetime, until: datetime | None = None
    ) -> list[StoredChange]:
        """The reported changes whose new version was captured in [since, until), oldest
        first: the digest's period means when the policy changed, as `watcher findings`."""
        where, params = self._where((), (), None, since, until)
        ids = [
            r["change_id"]
            for r in self._q(
                f"SELECT f.change_id, min(f.captured_at) AS at FROM findings f{where} "
                "GROUP BY f.change_id ORDER BY at, f.change_id",
                params,
            )
        ]
        changes = [self.get_change(i) for i in ids]  # type: ignore[attr-defined]
        return [c for c in changes if c is not None]

    def worst_findings(self, since: datetime | None = None) -> dict[str, FindingRow]:
        """Per watch, its most severe finding (the newest among equals) — for overviews."""
        out: dict[str, FindingRow] = {}
        for row in self.query_findings(since=since):
            best = out.get(row.watch)
            if best is None or SEVERITY_RANK.get(row.finding.severity, 0) > SEVERITY_RANK.get(
                best.finding.severity, 0
            ):
                out[row.watch] = row
        return out
