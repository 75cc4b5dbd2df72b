"""Import a watch's past from the Wayback Machine into its history.

Every distinct archived body is fetched at most once, goes through the same extraction,
suspicious-capture guard and storage as a live fetch (raw bytes kept), and lands in time order
among the live versions with findings computed between neighbours. Progress is recorded per
digest in the same transaction as the version, so a rerun after a 429, a crash or a kill
fetches only what is missing and never duplicates a version. Historical changes send no e-mail.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from watcher.models import Capture, Watch, WatcherError
from watcher.monitor import Context, ingest
from watcher.wayback.client import (
    CdxRow,
    WaybackClient,
    WaybackError,
    WaybackSettings,
    backfill_slot,
    distinct,
    parse_since,
    thin,
)

DONE = frozenset({"imported", "unchanged", "skipped", "suspicious"})
Progress = Callable[["BackfillSummary", str, int, int], None]  # (so far, stage, done, total)


@dataclass
class BackfillSummary:
    name: str
    captures: int = 0  # usable CDX rows found
    distinct: int = 0  # distinct bodies (after thinning, if asked)
    fetched: int = 0  # playback requests that returned a capture this run
    imported: int = 0  # new versions
    skipped: int = 0  # already imported, same text, captured 4xx, suspicious...
    errors: list[str] = field(default_factory=list)
    stopped: bool = False  # stopped early: rate limited, blocked, errors
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "captures": self.captures,
            "distinct": self.distinct,
            "fetched": self.fetched,
            "imported": self.imported,
            "skipped": self.skipped,
            "errors": self.errors,
            "completed": not self.stopped,
            "seconds": round(self.seconds, 2),
        }


def run_backfill(
    ctx: Context,
    watch: Watch,
    settings: WaybackSettings,
    *,
    since: str | None = None,
    until: str | None = None,
    every: str | None = None,
    progress: Progress | None = None,
) -> BackfillSummary:
    """Backfill one watch. Never raises for archive trouble: it is in `errors`, `stopped`."""
    summary = BackfillSummary(watch.name)
    t0 = time.perf_counter()

    def note(stage: str, done: int, total: int) -> None:
        if progress is not None:
            progress(summary, stage, done, total)

    try:
        cdx_from = parse_since(since) if since else None
        cdx_to = parse_since(until) if until else None
    except ValueError as e:
        summary.errors.append(str(e))
        summary.stopped = True
        return summary
    store = ctx.store
    now = ctx.now()
    store.ensure_watch(watch.name, watch.url, now)
    try:
        with backfill_slot(blocking=False), WaybackClient(settings) as client:
            note("listing", 0, 0)
            try:
                rows = client.list_captures(watch.url, since=cdx_from, until=cdx_to)
            except WaybackError as e:
                summary.errors.append(str(e))
                summary.stopped = True
                return summary
            summary.captures = len(rows)
            bodies = distinct(rows)
            if every:
                bodies = thin(bodies, every)  # type: ignore[arg-type]
            summary.distinct = len(bodies)
            done = store.wayback_done(watch.name)
            todo = [r for r in bodies if done.get(r.digest) not in DONE]
            summary.skipped += len(bodies) - len(todo)
            note("fetching", 0, len(todo))
            for i, row in enumerate(todo, 1):
                try:
                    capture = client.fetch(row)
                except WaybackError as e:
                    summary.errors.append(f"{row.timestamp}: {e}")
                    if e.kind in ("rate_limited", "blocked", "busy"):
                        summary.stopped = True
                        break
                    store.wayback_record(
                        watch.name, row.digest, row.timestamp, "error", now, error=str(e)
                    )
                    continue
                if capture is None:
                    reason = client.skipped[-1].reason if client.skipped else "not a policy page"
                    store.wayback_record(
                        watch.name, row.digest, row.timestamp, "skipped", now, error=reason
                    )
                    summary.skipped += 1
                    note("fetching", i, len(todo))
                    continue
                summary.fetched += 1
                try:
                    with store.transaction():
                        result = ingest(ctx, watch, capture, now=now, notify=False)
                        status = {"new": "imported", "changed": "imported"}.get(
                            result.status, result.status
                        )
                        store.wayback_record(
                            watch.name,
                            row.digest,
                            row.timestamp,
                            status,
                            now,
                            version_id=result.version,
                            error=result.error,
                        )
                except WatcherError as e:
                    summary.errors.append(f"{row.timestamp}: {e}")
                    continue
                if status == "imported":
                    summary.imported += 1
                else:
                    summary.skipped += 1
                    if status == "error":
                        summary.errors.append(f"{row.timestamp}: {result.error}")
                note("fetching", i, len(todo))
            if not summary.stopped and not every:
                summary.imported += _import_reverts(ctx, watch, rows, now)
    except WaybackError as e:  # busy
        summary.errors.append(str(e))
        summary.stopped = True
    finally:
        summary.seconds = time.perf_counter() - t0
    if summary.errors:
        summary.stopped = True  # something was not imported: say so with exit code 1
    return summary


def _import_reverts(ctx: Context, watch: Watch, rows: list[CdxRow], now: datetime) -> int:
    """Record returns to an earlier text (A -> B -> A) without fetching A again.

    Each body is fetched once (by digest), so the second A is rebuilt from the stored capture
    of the first and ingested at its own capture time. Keyed "digest@timestamp" so reruns
    skip it.
    """
    store = ctx.store
    done = store.wayback_done(watch.name)
    imported = 0
    previous: str | None = None
    seen: set[str] = set()
    for row in sorted(rows, key=lambda r: r.timestamp):
        if row.is_redirect or not row.digest or row.digest == "-":
            continue
        digest = row.digest
        if digest != previous and digest in seen:
            key = f"{digest}@{row.timestamp}"
            version_id = store.wayback_version(watch.name, digest)
            version = store.get_version(watch.name, version_id) if version_id else None
            stored = (
                store.get_capture(version.capture_id) if version and version.capture_id else None
            )
            if key not in done and stored is not None:
                capture = Capture(
                    url=stored.url,
                    requested_url=watch.url,
                    fetched_at=row.captured_at,
                    source="wayback",
                    status=200,
                    content_type=stored.content_type,
                    body=store.get_snapshot(stored.raw_sha256),
                    charset=stored.charset,
                )
                with store.transaction():
                    result = ingest(ctx, watch, capture, now=now, notify=False)
                    store.wayback_record(
                        watch.name, key, row.timestamp, "revert", now, version_id=result.version
                    )
                imported += result.status in ("new", "changed")
        seen.add(digest)
        previous = digest
    return imported
