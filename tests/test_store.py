from __future__ import annotations

import os
import sqlite3
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from watcher.models import Fact, Finding
from watcher.storage.sqlite import SCHEMA_VERSION, Store, StoreError

T0 = datetime(2024, 1, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def store(tmp_path: Path):
    s = Store(tmp_path / "w.db", tmp_path / "snapshots")
    yield s
    s.close()


def test_schema_and_wal(store: Store) -> None:
    assert store.schema_version == SCHEMA_VERSION
    assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    for table in (
        "watches",
        "captures",
        "versions",
        "checks",
        "changes",
        "outbox",
        "wayback_imports",
    ):
        assert table in store.db.table_names()


def test_private_permissions(store: Store) -> None:
    store.put_snapshot(b"x")
    assert stat.S_IMODE(os.stat(store.path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(store.snapshots).st_mode) == 0o700


def test_snapshot_roundtrip_is_content_addressed_and_compressed(store: Store) -> None:
    body = ("<p>We keep data for 30 days.</p>" * 2000).encode()
    digest = store.put_snapshot(body)
    assert store.put_snapshot(body) == digest
    path = store.snapshot_path(digest)
    assert path.exists() and path.stat().st_size < len(body) * 0.15
    assert store.get_snapshot(digest) == body
    path.write_bytes(b"garbage")
    with pytest.raises(StoreError, match="corrupt"):
        store.get_snapshot(digest)


def test_capture_refuses_missing_snapshot(store: Store) -> None:
    store.ensure_watch("a", "http://a", T0)
    with pytest.raises(StoreError, match="snapshot is missing"):
        store.add_capture(
            "a",
            fetched_at=T0,
            source="live",
            url="http://a",
            status=200,
            content_type="text/html",
            charset=None,
            raw_sha256="0" * 64,
            size=1,
        )


def test_versions_order_facts_search_and_changes(store: Store) -> None:
    store.ensure_watch("a", "http://a", T0)
    f = Fact("party", "sendgrid", "SendGrid", "We use SendGrid.", {"country": "United States"})
    v1 = store.add_version(
        "a",
        captured_at=T0 + timedelta(days=2),
        source="live",
        text="# P\nWe use Mailchimp.",
        title="P",
        language="en",
        facts=[],
        capture_id=None,
    )
    v0 = store.add_version(
        "a",
        captured_at=T0,
        source="wayback",
        text="# P\nOld text.",
        title="P",
        language="en",
        facts=[f],
        capture_id=None,
    )
    assert [v.id for v in store.versions("a")] == [v0, v1]  # by time, not insertion
    assert store.get_version("a", v0).facts == [f]
    before, after = store.neighbours("a", T0 + timedelta(days=1))
    assert before.id == v0 and after.id == v1
    finding = Finding("party_added", "parties", None, "SendGrid", "high", "New processor SendGrid")
    store.add_change(
        "a",
        old_version=v0,
        new_version=v1,
        detected_at=T0,
        classification="substantive",
        summary="new processor SendGrid",
        severity="high",
        findings=[finding],
    )
    assert store.versions("a")[1].summary == "new processor SendGrid"
    assert store.change_between(v0, v1).findings[0].new == "SendGrid"
    hits = store.search("mailchimp")
    assert [(h.watch, h.version_id) for h in hits] == [("a", v1)]
    # odd FTS syntax in user input is quoted, never an error
    assert store.search('"unbalanced') == []
    assert [h.version_id for h in store.search('"We use" Mailchimp')] == [v1]
    assert store.search("NEAR(") == []


def test_outbox_lifecycle(store: Store) -> None:
    mid = store.enqueue(
        watch="a",
        change_id=None,
        kind="change",
        message_id="<m1@x>",
        recipients=["p@example.com"],
        subject="s",
        message=b"raw",
        now=T0,
    )
    # the same Message-ID is never queued twice
    store.enqueue(
        watch="a",
        change_id=None,
        kind="change",
        message_id="<m1@x>",
        recipients=["p@example.com"],
        subject="s",
        message=b"raw",
        now=T0,
    )
    assert len(store.due_messages(T0)) == 1
    store.mark_failed(mid, "SMTP connection refused", T0 + timedelta(minutes=5))
    assert store.due_messages(T0) == []
    assert store.due_messages(T0, force=True)[0].attempts == 1
    assert store.due_messages(T0 + timedelta(minutes=6))[0].last_error == "SMTP connection refused"
    store.mark_sent(mid, T0)
    assert store.outbox() == [] and store.outbox_counts() == {"sent": 1}


def test_failure_streak_flips_once(store: Store) -> None:
    store.ensure_watch("a", "http://a", T0)
    flips = [store.note_outcome("a", False, T0, threshold=3) for _ in range(5)]
    assert flips == [None, None, "failing", None, None]
    assert store.note_outcome("a", True, T0, 3) == "recovered"
    assert store.note_outcome("a", True, T0, 3) is None


def test_migrates_v1_database(tmp_path: Path) -> None:
    db = tmp_path / "old.db"
    conn = sqlite3.connect(db)
    from watcher.storage.schema import _SCHEMA_V1
    from watcher.storage.schema import split_script as _split

    for stmt in _split(_SCHEMA_V1):
        conn.execute(stmt)
    conn.execute("INSERT INTO watches(name, url, added_at) VALUES ('a', 'http://a', 'x')")
    conn.execute("PRAGMA user_version = 1")
    conn.commit()
    conn.close()
    s = Store(db, tmp_path / "snap")
    assert s.schema_version == SCHEMA_VERSION
    assert "wayback_imports" in s.db.table_names()
    assert s.watch_statuses(["a"])[0].name == "a"
    s.close()


def test_refuses_newer_schema(tmp_path: Path) -> None:
    db = tmp_path / "new.db"
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA user_version = 99")
    conn.close()
    with pytest.raises(StoreError, match="newer"):
        Store(db, tmp_path / "snap")


def _open_at(path: str, start: float, out) -> None:  # noqa: ANN001 - a multiprocessing queue
    import time as _time

    from watcher.storage.sqlite import Store as _Store

    _time.sleep(max(0.0, start - _time.time()))  # all processes open at the same moment
    try:
        s = _Store(path, path + ".snap")
        s.conn.close()
        out.put("ok")
    except Exception as e:  # noqa: BLE001 - reported to the test
        out.put(f"{type(e).__name__}: {e}")


def test_processes_opening_a_new_database_at_once_all_succeed(tmp_path):
    """The daemon and a `watcher check` started together on a new database: each creates the
    schema and the full-text index in one transaction, so none finds the other's half done
    ('table "versions_fts" already exists' was a flaky failure of the concurrency faults)."""
    import multiprocessing
    import time

    ctx = multiprocessing.get_context("spawn")
    for round_ in range(3):
        path = str(tmp_path / f"new{round_}.db")
        out = ctx.Queue()
        start = time.time() + 2.0
        procs = [ctx.Process(target=_open_at, args=(path, start, out)) for _ in range(6)]
        for p in procs:
            p.start()
        results = [out.get(timeout=60) for _ in procs]
        for p in procs:
            p.join(30)
        assert results == ["ok"] * 6
        store = Store(path, path + ".snap")
        names = {r[0] for r in store.conn.execute("SELECT name FROM sqlite_master")}
        assert {"versions_fts", "versions_ai", "versions_ad", "versions_au"} <= names
        store.conn.close()
