"""The only module that speaks SQL: schema, migrations, queries, and the snapshot files.

The database is a plain SQLite file (WAL mode) whose tables a person can browse, e.g. with
Datasette: watches, captures, versions, checks, changes, outbox, wayback_imports. Raw capture
bytes live under `snapshots/` content-addressed by sha256 and zstd-compressed; a snapshot file
is written (atomically) before any row refers to it.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote

from watcher.language import detect_language
from watcher.models import Fact
from watcher.storage.changes import ChangeQueries
from watcher.storage.findings_index import FindingsIndex
from watcher.storage.locks import LockDir
from watcher.storage.queue import QueueQueries
from watcher.storage.records import (
    CheckState,
    FindingRow,
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
from watcher.storage.schema import LANGUAGE_DETECTED, MIGRATIONS, SCHEMA_VERSION, split_script
from watcher.storage.snapshots import Snapshots
from watcher.textutil import redact_credentials

__all__ = [
    "SCHEMA_VERSION",
    "CheckState",
    "FindingRow",
    "OutboxMessage",
    "SearchHit",
    "Store",
    "StoreError",
    "StoredCapture",
    "StoredChange",
    "StoredVersion",
    "WatchStatus",
    "iso",
    "parse_iso",
    "sha256_hex",
]

_F = TypeVar("_F", bound=Callable[..., Any])


def _db_errors(fn: _F) -> _F:
    """Turn sqlite3 errors into StoreError with one readable line (callers never see sqlite3)."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except sqlite3.Error as e:
            raise StoreError(_describe(e)) from e

    return wrapper  # type: ignore[return-value]


def _writable(path: Path) -> bool:
    """Whether the database's folder can be written (False on a read-only file system)."""
    return os.access(path.parent, os.W_OK) and (not path.exists() or os.access(path, os.W_OK))


def _describe(e: sqlite3.Error) -> str:
    text = str(e) or type(e).__name__
    if "readonly" in text or "read-only" in text:
        return f"the database is read-only (a read-only file system?): {text}"
    if "disk" in text and "full" in text:
        return f"database or disk is full ({text})"
    if "locked" in text or "busy" in text:
        return f"the database is busy (another process holds it too long): {text}"
    if isinstance(e, sqlite3.DatabaseError) and "malformed" in text or "not a database" in text:
        return f"the database file is corrupt: {text} (restore it from a backup)"
    return f"database error: {text}"


# What sqlite-utils' `enable_fts(["text"], create_triggers=True, tokenize="porter")` runs (the
# same schema as databases made before), the update trigger narrowed to text changes.
_FTS_UPDATE_TRIGGER = (
    'CREATE TRIGGER "versions_au" AFTER UPDATE OF "text" ON "versions" BEGIN\n'
    '  INSERT INTO "versions_fts" ("versions_fts", rowid, "text") '
    "VALUES('delete', old.rowid, old.\"text\");\n"
    '  INSERT INTO "versions_fts" (rowid, "text") VALUES (new.rowid, new."text");\nEND'
)
_FTS = (
    'CREATE VIRTUAL TABLE "versions_fts" USING FTS5 (\n    "text",\n    tokenize=\'porter\',\n'
    '    content="versions"\n)',
    'INSERT INTO "versions_fts" (rowid, "text") SELECT rowid, "text" FROM "versions"',
    'CREATE TRIGGER "versions_ai" AFTER INSERT ON "versions" BEGIN\n'
    '  INSERT INTO "versions_fts" (rowid, "text") VALUES (new.rowid, new."text");\nEND',
    'CREATE TRIGGER "versions_ad" AFTER DELETE ON "versions" BEGIN\n'
    '  INSERT INTO "versions_fts" ("versions_fts", rowid, "text") '
    "VALUES('delete', old.rowid, old.\"text\");\nEND",
    _FTS_UPDATE_TRIGGER,
)


def _wal(conn: sqlite3.Connection, wait: float = 30.0) -> None:
    """Put the database in WAL mode. Setting the mode needs a moment of exclusive access, and
    SQLite answers "database is locked" at once, without its busy handler, when another
    process is creating the same new database: the daemon and a `watcher check` started
    together. So it is asked again for up to `wait` seconds (the busy timeout)."""
    end = time.monotonic() + wait
    while True:
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as e:
            text = str(e).lower()
            if ("locked" not in text and "busy" not in text) or time.monotonic() > end:
                raise
        time.sleep(0.05)


class Store(ChangeQueries, FindingsIndex, QueueQueries):
    """One SQLite database plus its snapshot folder. Thread-safe (one lock for the connection)."""

    def __init__(self, db_path: str | os.PathLike[str], snapshots: str | os.PathLike[str]) -> None:
        self.path = Path(db_path)
        self.snapshots = Path(snapshots)
        self.files = Snapshots(self.snapshots)
        self.locks = LockDir(self.path.parent / f"{self.path.name}.locks")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if not self.path.exists():
            # Created private: policy text is not secret, but e-mail addresses and the outbox are.
            fd = os.open(self.path, os.O_CREAT | os.O_WRONLY, 0o600)
            os.close(fd)
        self._lock = threading.RLock()
        self._known_watches: dict[str, str] = {}
        self.read_only = False
        try:
            conn = sqlite3.connect(
                str(self.path), timeout=30, check_same_thread=False, isolation_level=None
            )
            _wal(conn)
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA busy_timeout=30000")
            conn.execute("PRAGMA foreign_keys=ON")
        except sqlite3.DatabaseError as e:
            if not _writable(self.path):
                conn = self._open_read_only()
            else:
                raise StoreError(f"cannot open database {self.path}: {e}") from None
        self.conn = conn
        self._db: Any = None
        if self.read_only:
            self._check_schema_read_only()
        else:
            self._migrate()

    def _open_read_only(self) -> sqlite3.Connection:
        """A database on a read-only file system (a mounted backup, a locked-down host): open it
        immutable so reading commands (history, show, diff, search, findings) still work;
        anything that writes fails with one line."""
        try:
            conn = sqlite3.connect(
                f"file:{quote(str(self.path.resolve()))}?mode=ro&immutable=1",
                uri=True,
                check_same_thread=False,
                isolation_level=None,
            )
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except sqlite3.DatabaseError as e:
            raise StoreError(f"cannot open database {self.path} (read-only): {e}") from None
        self.read_only = True
        return conn

    def _check_schema_read_only(self) -> None:
        version = self.schema_version
        if version != SCHEMA_VERSION:
            raise StoreError(
                f"{self.path} is on a read-only file system and has schema version {version}; "
                f"this policy-watcher needs {SCHEMA_VERSION} (open it once where it can be "
                "written to migrate it)"
            )

    @property
    def db(self) -> Any:
        """A sqlite-utils view of the connection, for schema work (imported on first use:
        it costs every command ~40 ms to start and only migrations need it)."""
        if self._db is None:
            import sqlite_utils

            self._db = sqlite_utils.Database(self.conn)
        return self._db

    def close(self) -> None:
        with self._lock:
            self.conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- transactions ----------------------------------------------------------------------
    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """BEGIN IMMEDIATE ... COMMIT under the store lock; nested calls join the outer one.

        A sqlite3 error inside (disk full, I/O error, a lock held too long) rolls back and
        leaves as StoreError."""
        with self._lock:
            if self.conn.in_transaction:
                yield
                return
            try:
                self.conn.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as e:
                raise StoreError(_describe(e)) from e
            try:
                yield
            except BaseException as exc:
                with contextlib.suppress(sqlite3.Error):
                    self.conn.execute("ROLLBACK")
                if isinstance(exc, sqlite3.Error):
                    raise StoreError(_describe(exc)) from exc
                raise
            else:
                try:
                    self.conn.execute("COMMIT")
                except sqlite3.Error as e:
                    with contextlib.suppress(sqlite3.Error):
                        self.conn.execute("ROLLBACK")
                    raise StoreError(_describe(e)) from e

    def _q(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[sqlite3.Row]:
        with self._lock:
            cur = self.conn.execute(sql, params)
            cols = [d[0] for d in cur.description] if cur.description else []
            return [dict(zip(cols, row, strict=True)) for row in cur.fetchall()]  # type: ignore[misc]

    def _one(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> dict[str, Any] | None:
        rows = self._q(sql, params)
        return rows[0] if rows else None  # type: ignore[return-value]

    def _exec(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> int:
        with self._lock:
            cur = self.conn.execute(sql, params)
            return int(cur.lastrowid or 0)

    # -- schema ----------------------------------------------------------------------------
    @property
    def schema_version(self) -> int:
        return int(self.conn.execute("PRAGMA user_version").fetchone()[0])

    def _migrate(self) -> None:
        """Forward-only migrations keyed on PRAGMA user_version."""
        with self.transaction():
            version = self.schema_version
            if version > SCHEMA_VERSION:
                raise StoreError(
                    f"{self.path} has schema version {version}, newer than this policy-watcher "
                    f"understands ({SCHEMA_VERSION}); upgrade policy-watcher"
                )
            for target, script in MIGRATIONS:
                if version < target:
                    for stmt in split_script(script):
                        try:
                            self.conn.execute(stmt)
                        except sqlite3.OperationalError as e:
                            # ADD COLUMN of a column already there: that step is done (like
                            # CREATE ... IF NOT EXISTS for tables).
                            if "duplicate column name" not in str(e):
                                raise
            if version < LANGUAGE_DETECTED:
                self._migrate_language()
            if version < SCHEMA_VERSION:
                self.conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            self._ensure_fts()

    def _ensure_fts(self) -> None:
        """The full-text index of the versions' text and the triggers that keep it, created in
        the migration's transaction: two processes opening a new database at once (the daemon
        and a `watcher check`) both found no index and both created it, and the second failed
        with 'table "versions_fts" already exists' (sqlite-utils' enable_fts runs a script,
        which commits; these are the statements it runs). The update trigger re-indexes a
        version only when its text changes (`_narrow_fts_update_trigger`)."""
        fts = self.conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'versions_fts'"
        ).fetchone()
        if fts is None:
            for stmt in _FTS:
                self.conn.execute(stmt)
        self._narrow_fts_update_trigger()

    def _migrate_language(self) -> None:
        """Migration to LANGUAGE_DETECTED: the page's tag moves to `declared_language` and the
        language of every stored version is detected from its text."""
        cols = {r[1] for r in self.conn.execute("PRAGMA table_info(versions)")}
        if "declared_language" not in cols:
            self.conn.execute("ALTER TABLE versions ADD COLUMN declared_language TEXT")
            self.conn.execute("UPDATE versions SET declared_language = language")
        ids = [r[0] for r in self.conn.execute("SELECT id FROM versions ORDER BY id")]
        for vid in ids:  # one text in memory at a time
            text, declared = self.conn.execute(
                "SELECT text, declared_language FROM versions WHERE id = ?", (vid,)
            ).fetchone()
            lang = detect_language(text or "", declared)
            if lang != declared:
                self.conn.execute("UPDATE versions SET language = ? WHERE id = ?", (lang, vid))
        # Facts derived before (without the language, with English-only vocabulary) would make
        # the next comparison report the new vocabulary as policy changes: they are derived
        # again on first use (monitor.facts_of), from the same text.
        self.conn.execute("UPDATE versions SET facts = 'null'")

    def _narrow_fts_update_trigger(self) -> None:
        """Re-index a version in FTS only when its text changes.

        sqlite-utils' update trigger fires on any UPDATE, so `touch_version` (last_seen, on
        every unchanged check) deleted and re-inserted the whole policy text in the FTS index:
        ~1.3 ms and ~9 KB of database growth per unchanged check (scripts/bench.py)."""
        with self.transaction():
            row = self.conn.execute(
                "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = 'versions_au'"
            ).fetchone()
            if row is None or "UPDATE OF" in row[0]:
                return
            self.conn.execute('DROP TRIGGER "versions_au"')
            self.conn.execute(_FTS_UPDATE_TRIGGER)

    # -- snapshots -------------------------------------------------------------------------
    def snapshot_path(self, sha256: str) -> Path:
        return self.files.path(sha256)

    def put_snapshot(self, body: bytes) -> str:
        """Write raw bytes content-addressed (atomically); return their sha256."""
        return self.files.put(body)

    def get_snapshot(self, sha256: str) -> bytes:
        return self.files.get(sha256)

    # -- locks -----------------------------------------------------------------------------
    def watch_lock(self, name: str) -> contextlib.AbstractContextManager[None]:
        """Serialise the checks of one watch across threads and processes."""
        return self.locks.hold(f"watch-{name}")

    def delivery_lock(self) -> contextlib.AbstractContextManager[None]:
        """Held while sending the outbox, so the daemon and `watcher outbox retry` in another
        process never send the same due row twice."""
        return self.locks.hold("delivery", timeout=120.0)

    def daemon_lock(self) -> contextlib.AbstractContextManager[None]:
        """Held by the one daemon of this database; a second one gets StoreError at once."""
        return self.locks.hold("daemon", wait=False, what="a watcher daemon")

    # -- watches ---------------------------------------------------------------------------
    def ensure_watch(self, name: str, url: str, now: datetime) -> None:
        url = redact_credentials(url)  # credentials go in the request, never in the database
        if self._known_watches.get(name) == url:
            return  # the common case: no write on every check
        with self.transaction():
            self._exec(
                "INSERT INTO watches(name, url, added_at) VALUES (?, ?, ?) "
                "ON CONFLICT(name) DO UPDATE SET url = excluded.url",
                (name, url, iso(now)),
            )
        self._known_watches[name] = url

    def watch_statuses(self, names: Sequence[str]) -> list[WatchStatus]:
        out = []
        for name in names:
            last = self._one(
                "SELECT started_at, outcome, error FROM checks WHERE watch = ? "
                "ORDER BY id DESC LIMIT 1",
                (name,),
            )
            w = self._one("SELECT consecutive_errors, failing FROM watches WHERE name = ?", (name,))
            n = self._one("SELECT count(*) AS n FROM versions WHERE watch = ?", (name,))
            ch = self._one(
                "SELECT max(v.captured_at) AS at FROM changes c JOIN versions v "
                "ON v.id = c.new_version WHERE c.watch = ? AND c.technical = 0",
                (name,),
            )
            out.append(
                WatchStatus(
                    name=name,
                    last_check=parse_iso(last["started_at"]) if last else None,
                    last_outcome=last["outcome"] if last else None,
                    last_error=last["error"] if last else None,
                    versions=int(n["n"]) if n else 0,
                    last_change=parse_iso(ch["at"]) if ch and ch["at"] else None,
                    consecutive_errors=int(w["consecutive_errors"]) if w else 0,
                    failing=bool(w["failing"]) if w else False,
                )
            )
        return out

    def check_state(self, watch: str) -> CheckState:
        """What a check needs to know before fetching, in three small indexed queries."""
        cap = self._one(
            "SELECT * FROM captures WHERE watch = ? AND source = 'live' ORDER BY id DESC LIMIT 1",
            (watch,),
        )
        last = self._one(
            "SELECT outcome FROM checks WHERE watch = ? ORDER BY id DESC LIMIT 1", (watch,)
        )
        ver = self._one(
            "SELECT id, sha256, captured_at FROM versions WHERE watch = ? "
            "ORDER BY captured_at DESC, id DESC LIMIT 1",
            (watch,),
        )
        return CheckState(
            last_capture=_capture(cap) if cap else None,
            last_outcome=last["outcome"] if last else None,
            latest_version=ver["id"] if ver else None,
            latest_at=parse_iso(ver["captured_at"]) if ver else None,
        )

    def last_check_times(self) -> dict[str, datetime]:
        rows = self._q("SELECT watch, max(started_at) AS at FROM checks GROUP BY watch")
        return {r["watch"]: parse_iso(r["at"]) for r in rows}

    def note_outcome(self, name: str, ok: bool, now: datetime, threshold: int) -> str | None:
        """Update the failure streak; return "failing" or "recovered" when that flips."""
        with self.transaction():
            row = self._one(
                "SELECT consecutive_errors, failing FROM watches WHERE name = ?", (name,)
            )
            if row is None:
                return None
            if ok:
                if not row["consecutive_errors"] and not row["failing"]:
                    return None
                self._exec(
                    "UPDATE watches SET consecutive_errors = 0, failing = 0, failing_since = NULL "
                    "WHERE name = ?",
                    (name,),
                )
                return "recovered" if row["failing"] else None
            errors = row["consecutive_errors"] + 1
            becomes = not row["failing"] and errors >= threshold
            self._exec(
                "UPDATE watches SET consecutive_errors = ?, failing = ?, "
                "failing_since = CASE WHEN ? THEN ? ELSE failing_since END WHERE name = ?",
                (errors, 1 if (row["failing"] or becomes) else 0, becomes, iso(now), name),
            )
            return "failing" if becomes else None

    # -- captures --------------------------------------------------------------------------
    def add_capture(
        self,
        watch: str,
        *,
        fetched_at: datetime,
        source: str,
        url: str,
        status: int,
        content_type: str,
        charset: str | None,
        raw_sha256: str,
        size: int,
        etag: str | None = None,
        last_modified: str | None = None,
        rendered: bool = False,
    ) -> int:
        if not self.snapshot_path(raw_sha256).exists():
            raise StoreError(f"refusing to record capture {raw_sha256}: its snapshot is missing")
        with self.transaction():
            return self._exec(
                "INSERT INTO captures(watch, fetched_at, source, url, status, content_type, "
                "charset, raw_sha256, size, etag, last_modified, rendered) "
                "VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    watch,
                    iso(fetched_at),
                    source,
                    redact_credentials(url),
                    status,
                    content_type,
                    charset,
                    raw_sha256,
                    size,
                    etag,
                    last_modified,
                    int(rendered),
                ),
            )

    def latest_capture(self, watch: str, source: str | None = "live") -> StoredCapture | None:
        sql = "SELECT * FROM captures WHERE watch = ?"
        params: list[Any] = [watch]
        if source:
            sql += " AND source = ?"
            params.append(source)
        row = self._one(sql + " ORDER BY id DESC LIMIT 1", params)
        return _capture(row) if row else None

    def get_capture(self, capture_id: int) -> StoredCapture | None:
        row = self._one("SELECT * FROM captures WHERE id = ?", (capture_id,))
        return _capture(row) if row else None

    # -- versions --------------------------------------------------------------------------
    def add_version(
        self,
        watch: str,
        *,
        captured_at: datetime,
        source: str,
        text: str,
        title: str | None,
        language: str | None,
        facts: Sequence[Fact] | None,
        capture_id: int | None,
        technical: bool = False,
        declared_language: str | None = None,
    ) -> int:
        with self.transaction():
            return self._exec(
                "INSERT INTO versions(watch, captured_at, last_seen, source, sha256, words, title,"
                " language, text, facts, capture_id, technical, declared_language)"
                " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    watch,
                    iso(captured_at),
                    iso(captured_at),
                    source,
                    sha256_hex(text),
                    len(text.split()),
                    title,
                    language,
                    text,
                    _facts_json(facts),
                    capture_id,
                    int(technical),
                    declared_language,
                ),
            )

    def touch_version(self, version_id: int, seen: datetime) -> None:
        with self.transaction():
            self._exec(
                "UPDATE versions SET last_seen = max(last_seen, ?) WHERE id = ?",
                (iso(seen), version_id),
            )

    def move_version_start(self, version_id: int, at: datetime) -> None:
        """An older sighting of the same text (e.g. from the Wayback Machine) was found."""
        with self.transaction():
            self._exec(
                "UPDATE versions SET captured_at = min(captured_at, ?) WHERE id = ?",
                (iso(at), version_id),
            )
            self._reindex_capture_date(version_id)

    def set_facts(self, version_id: int, facts: Sequence[Fact]) -> None:
        with self.transaction():
            self._exec(
                "UPDATE versions SET facts = ? WHERE id = ?",
                (_facts_json(facts), version_id),
            )

    _VERSION_COLS = (
        "v.id, v.watch, v.captured_at, v.last_seen, v.source, v.sha256, v.words, v.title, "
        "v.language, v.declared_language, v.text, v.facts, v.capture_id, v.technical, "
        "(SELECT summary FROM changes c WHERE c.new_version = v.id ORDER BY c.id DESC LIMIT 1)"
        " AS summary, "
        "(SELECT COUNT(*) FROM versions p WHERE p.watch = v.watch AND (p.captured_at < "
        "v.captured_at OR (p.captured_at = v.captured_at AND p.id <= v.id))) AS n"
    )

    def versions(self, watch: str) -> list[StoredVersion]:
        """All versions of a watch, oldest first (by capture time, then id)."""
        rows = self._q(
            f"SELECT {self._VERSION_COLS} FROM versions v WHERE v.watch = ? "
            "ORDER BY v.captured_at, v.id",
            (watch,),
        )
        return [_version(r) for r in rows]

    def get_version(self, watch: str, version_id: int) -> StoredVersion | None:
        row = self._one(
            f"SELECT {self._VERSION_COLS} FROM versions v WHERE v.watch = ? AND v.id = ?",
            (watch, version_id),
        )
        return _version(row) if row else None

    def latest_version(self, watch: str) -> StoredVersion | None:
        row = self._one(
            f"SELECT {self._VERSION_COLS} FROM versions v WHERE v.watch = ? "
            "ORDER BY v.captured_at DESC, v.id DESC LIMIT 1",
            (watch,),
        )
        return _version(row) if row else None

    def neighbours(
        self, watch: str, at: datetime
    ) -> tuple[StoredVersion | None, StoredVersion | None]:
        """The versions just before and just after time `at`."""
        before = self._one(
            f"SELECT {self._VERSION_COLS} FROM versions v WHERE v.watch = ? AND v.captured_at <= ?"
            " ORDER BY v.captured_at DESC, v.id DESC LIMIT 1",
            (watch, iso(at)),
        )
        after = self._one(
            f"SELECT {self._VERSION_COLS} FROM versions v WHERE v.watch = ? AND v.captured_at > ?"
            " ORDER BY v.captured_at, v.id LIMIT 1",
            (watch, iso(at)),
        )
        return (_version(before) if before else None, _version(after) if after else None)

    def recent_version_shas(self, watch: str, version_id: int, limit: int = 5) -> list[str]:
        """Text hashes of up to `limit` versions just before `version_id` in time, nearest
        first (a page returning to one of them is flipping, not changing)."""
        rows = self._q(
            "SELECT p.sha256 FROM versions v JOIN versions p ON p.watch = v.watch "
            "AND (p.captured_at < v.captured_at OR (p.captured_at = v.captured_at AND p.id < v.id))"
            " WHERE v.id = ? AND v.watch = ? ORDER BY p.captured_at DESC, p.id DESC LIMIT ?",
            (version_id, watch, limit),
        )
        return [r["sha256"] for r in rows]

    def checks_since(self, since: datetime) -> dict[str, tuple[str, str | None, int | None]]:
        """Each watch's latest check started at or after `since`: (outcome, error, version)."""
        rows = self._q(
            "SELECT watch, outcome, error, version_id FROM checks WHERE started_at >= ? "
            "ORDER BY started_at, id",
            (iso(since),),
        )
        return {r["watch"]: (r["outcome"], r["error"], r["version_id"]) for r in rows}

    def add_check(
        self,
        watch: str,
        *,
        started_at: datetime,
        duration: float,
        outcome: str,
        error: str | None = None,
        version_id: int | None = None,
        capture_id: int | None = None,
    ) -> int:
        with self.transaction():
            return self._exec(
                "INSERT INTO checks(watch, started_at, duration, outcome, error, version_id, "
                "capture_id) VALUES (?,?,?,?,?,?,?)",
                (
                    watch,
                    iso(started_at),
                    round(duration, 4),
                    outcome,
                    redact_credentials(error) if error else error,
                    version_id,
                    capture_id,
                ),
            )

    def hold(self, watch: str, sha256: str, now: datetime, reason: str) -> int:
        """Count consecutive sightings of a held (suspicious) text; return the count."""
        with self.transaction():
            row = self._one("SELECT sha256, count FROM held WHERE watch = ?", (watch,))
            if row and row["sha256"] == sha256:
                count = row["count"] + 1
                self._exec("UPDATE held SET count = ? WHERE watch = ?", (count, watch))
            else:
                count = 1
                self._exec(
                    "INSERT OR REPLACE INTO held(watch, sha256, count, first_seen, reason) "
                    "VALUES (?,?,?,?,?)",
                    (watch, sha256, 1, iso(now), reason),
                )
            return count

    def release(self, watch: str) -> None:
        with self.transaction():
            self._exec("DELETE FROM held WHERE watch = ?", (watch,))

    # -- integrity -------------------------------------------------------------------------
    def integrity_problems(self) -> list[str]:
        """PRAGMA integrity_check plus: every capture's snapshot file exists."""
        problems = [
            r[0] for r in self.conn.execute("PRAGMA integrity_check").fetchall() if r[0] != "ok"
        ]
        for r in self._q("SELECT DISTINCT raw_sha256 FROM captures"):
            if not self.snapshot_path(r["raw_sha256"]).exists():
                problems.append(f"snapshot missing: {r['raw_sha256']}")
        return problems

    def delete_watch(self, name: str) -> int:
        """Delete a watch's whole history (`watcher remove --purge`): versions, changes and
        their findings, checks, captures, its queued e-mails, and the snapshots no other
        capture uses. Returns the number of versions deleted."""
        with self.transaction():
            digests = {
                r["raw_sha256"]
                for r in self._q(
                    "SELECT DISTINCT raw_sha256 FROM captures WHERE watch = ?", (name,)
                )
            }
            count = self._one("SELECT COUNT(*) AS n FROM versions WHERE watch = ?", (name,))
            for table in (
                "outbox",
                "findings",
                "changes",
                "checks",
                "held",
                "wayback_imports",
                "versions",
                "captures",
            ):
                self._exec(f"DELETE FROM {table} WHERE watch = ?", (name,))
            self._exec("DELETE FROM watches WHERE name = ?", (name,))
            shared = {
                r["raw_sha256"]
                for r in self._q("SELECT DISTINCT raw_sha256 FROM captures")
                if r["raw_sha256"] in digests
            }
        self._known_watches.pop(name, None)
        for digest in digests - shared:
            with contextlib.suppress(OSError):
                self.snapshot_path(digest).unlink()
        return int(count["n"]) if count else 0

    # -- small lookups for the daemon and reports ------------------------------------------
    def watch_urls(self) -> dict[str, str]:
        """name -> URL of every watch ever checked (also ones since removed from the config)."""
        return {r["name"]: r["url"] for r in self._q("SELECT name, url FROM watches")}


def _capture(r: dict[str, Any]) -> StoredCapture:
    return StoredCapture(
        id=r["id"],
        watch=r["watch"],
        fetched_at=parse_iso(r["fetched_at"]),
        source=r["source"],
        url=r["url"],
        status=r["status"],
        content_type=r["content_type"] or "",
        charset=r["charset"],
        raw_sha256=r["raw_sha256"],
        size=r["size"],
        etag=r["etag"],
        last_modified=r["last_modified"],
        rendered=bool(r.get("rendered") or 0),
    )


def _version(r: dict[str, Any]) -> StoredVersion:
    return StoredVersion(
        id=r["id"],
        watch=r["watch"],
        captured_at=parse_iso(r["captured_at"]),
        last_seen=parse_iso(r["last_seen"]),
        source=r["source"],
        sha256=r["sha256"],
        words=r["words"],
        title=r["title"],
        language=r["language"],
        text=r["text"],
        facts=_facts(r["facts"]),
        capture_id=r["capture_id"],
        technical=bool(r["technical"]),
        summary=r.get("summary"),
        n=r.get("n") or 0,
        declared_language=r.get("declared_language"),
    )


def _facts(raw: str | None) -> list[Fact] | None:
    data = json.loads(raw) if raw else []
    return None if data is None else [Fact.from_dict(d) for d in data]


def _facts_json(facts: Sequence[Fact] | None) -> str:
    """JSON null marks facts not derived yet; they are computed when first needed."""
    if facts is None:
        return "null"
    return json.dumps([f.to_dict() for f in facts], ensure_ascii=False)


def _wrap_public_methods(cls: type) -> type:
    """Every public method of the store raises StoreError, never sqlite3.Error."""
    for klass in reversed(cls.__mro__[:-1]):  # the mixins' methods too
        for name, attr in list(vars(klass).items()):
            if callable(attr) and not name.startswith("_") and name not in {"transaction"}:
                setattr(cls, name, _db_errors(attr))
    return cls


_wrap_public_methods(Store)
