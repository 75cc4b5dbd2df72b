"""The database schema and its forward-only migrations (PRAGMA user_version).

To change the schema, append one migration to MIGRATIONS: SCHEMA_VERSION follows its length.
"""

from __future__ import annotations

_SCHEMA_V1 = """
CREATE TABLE IF NOT EXISTS watches (
    name TEXT PRIMARY KEY,
    url TEXT NOT NULL,
    added_at TEXT NOT NULL,
    consecutive_errors INTEGER NOT NULL DEFAULT 0,
    failing INTEGER NOT NULL DEFAULT 0,
    failing_since TEXT
);
CREATE TABLE IF NOT EXISTS captures (
    id INTEGER PRIMARY KEY,
    watch TEXT NOT NULL REFERENCES watches(name),
    fetched_at TEXT NOT NULL,
    source TEXT NOT NULL,
    url TEXT NOT NULL,
    status INTEGER NOT NULL,
    content_type TEXT,
    charset TEXT,
    raw_sha256 TEXT NOT NULL,
    size INTEGER NOT NULL,
    etag TEXT,
    last_modified TEXT
);
CREATE INDEX IF NOT EXISTS captures_watch ON captures(watch, fetched_at);
CREATE TABLE IF NOT EXISTS versions (
    id INTEGER PRIMARY KEY,
    watch TEXT NOT NULL REFERENCES watches(name),
    captured_at TEXT NOT NULL,
    last_seen TEXT NOT NULL,
    source TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    words INTEGER NOT NULL,
    title TEXT,
    language TEXT,
    text TEXT NOT NULL,
    facts TEXT NOT NULL DEFAULT '[]',
    capture_id INTEGER REFERENCES captures(id),
    technical INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS versions_watch ON versions(watch, captured_at);
CREATE TABLE IF NOT EXISTS checks (
    id INTEGER PRIMARY KEY,
    watch TEXT NOT NULL,
    started_at TEXT NOT NULL,
    duration REAL NOT NULL,
    outcome TEXT NOT NULL,
    error TEXT,
    version_id INTEGER,
    capture_id INTEGER
);
CREATE INDEX IF NOT EXISTS checks_watch ON checks(watch, started_at);
CREATE TABLE IF NOT EXISTS changes (
    id INTEGER PRIMARY KEY,
    watch TEXT NOT NULL,
    old_version INTEGER NOT NULL REFERENCES versions(id),
    new_version INTEGER NOT NULL REFERENCES versions(id),
    detected_at TEXT NOT NULL,
    classification TEXT NOT NULL,
    summary TEXT NOT NULL,
    severity TEXT,
    findings TEXT NOT NULL DEFAULT '[]',
    words_added INTEGER NOT NULL DEFAULT 0,
    words_removed INTEGER NOT NULL DEFAULT 0,
    technical INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS changes_watch ON changes(watch, new_version);
CREATE TABLE IF NOT EXISTS outbox (
    id INTEGER PRIMARY KEY,
    watch TEXT,
    change_id INTEGER,
    kind TEXT NOT NULL,
    message_id TEXT NOT NULL UNIQUE,
    recipients TEXT NOT NULL,
    subject TEXT NOT NULL,
    message BLOB NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    created_at TEXT NOT NULL,
    next_attempt_at TEXT,
    sent_at TEXT
);
CREATE INDEX IF NOT EXISTS outbox_status ON outbox(status, next_attempt_at);
CREATE TABLE IF NOT EXISTS held (
    watch TEXT PRIMARY KEY,
    sha256 TEXT NOT NULL,
    count INTEGER NOT NULL,
    first_seen TEXT NOT NULL,
    reason TEXT
);
"""

_SCHEMA_V2 = """
CREATE TABLE IF NOT EXISTS wayback_imports (
    watch TEXT NOT NULL,
    digest TEXT NOT NULL,
    timestamp TEXT NOT NULL,
    status TEXT NOT NULL,
    version_id INTEGER,
    error TEXT,
    imported_at TEXT NOT NULL,
    PRIMARY KEY (watch, digest)
);
"""


# (version, SQL script): a database at version N runs every script after N, in order.
MIGRATIONS: list[tuple[int, str]] = [(1, _SCHEMA_V1), (2, _SCHEMA_V2)]
SCHEMA_VERSION = MIGRATIONS[-1][0]


def split_script(script: str) -> list[str]:
    return [stmt.strip() for stmt in script.split(";") if stmt.strip()]


# Every finding of every reported change, one row each, for `watcher findings` across watches
# (the changes' JSON stays the source of truth; this is its index). `captured_at` is the new
# version's capture date, so backfilled history sorts by when the policy changed.
_SCHEMA_FINDINGS = """
CREATE TABLE IF NOT EXISTS findings (
    id INTEGER PRIMARY KEY,
    change_id INTEGER NOT NULL REFERENCES changes(id) ON DELETE CASCADE,
    watch TEXT NOT NULL,
    position INTEGER NOT NULL,
    kind TEXT NOT NULL,
    severity TEXT NOT NULL,
    rank INTEGER NOT NULL,
    captured_at TEXT NOT NULL,
    detected_at TEXT NOT NULL,
    summary TEXT NOT NULL,
    data TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS findings_time ON findings(captured_at, id);
CREATE INDEX IF NOT EXISTS findings_kind ON findings(kind, captured_at);
CREATE INDEX IF NOT EXISTS findings_watch ON findings(watch, captured_at);
CREATE INDEX IF NOT EXISTS findings_change ON findings(change_id);
INSERT INTO findings(change_id, watch, position, kind, severity, rank, captured_at,
                     detected_at, summary, data)
SELECT c.id, c.watch, CAST(j.key AS INTEGER), json_extract(j.value, '$.kind'),
       coalesce(json_extract(j.value, '$.severity'), 'info'),
       CASE json_extract(j.value, '$.severity')
            WHEN 'low' THEN 1 WHEN 'medium' THEN 2 WHEN 'high' THEN 3 ELSE 0 END,
       v.captured_at, c.detected_at, coalesce(json_extract(j.value, '$.summary'), ''), j.value
FROM changes c JOIN versions v ON v.id = c.new_version, json_each(c.findings) j
WHERE c.technical = 0
"""
MIGRATIONS.append((MIGRATIONS[-1][0] + 1, _SCHEMA_FINDINGS))
SCHEMA_VERSION = MIGRATIONS[-1][0]

# The outbox serves every notification channel (one row per change x channel); rows written
# before this migration are e-mail.
_SCHEMA_OUTBOX_CHANNEL = """
ALTER TABLE outbox ADD COLUMN channel TEXT NOT NULL DEFAULT 'email';
"""
MIGRATIONS.append((MIGRATIONS[-1][0] + 1, _SCHEMA_OUTBOX_CHANNEL))

# A capture that is the DOM a headless browser built (render = "browser", or "auto" on a
# JavaScript shell), not the bytes the server sent; reextract treats it like any HTML.
_SCHEMA_RENDERED = """
ALTER TABLE captures ADD COLUMN rendered INTEGER NOT NULL DEFAULT 0
"""
MIGRATIONS.append((MIGRATIONS[-1][0] + 1, _SCHEMA_RENDERED))

# `versions.language` becomes the language the text is written in (detected by
# watcher.language); the page's own tag moves to a new `declared_language` column. Python, not
# SQL (the column may already be there, and detecting needs code): Store._migrate_language.
MIGRATIONS.append((MIGRATIONS[-1][0] + 1, ""))
LANGUAGE_DETECTED = MIGRATIONS[-1][0]
SCHEMA_VERSION = MIGRATIONS[-1][0]
