"""Import a watch's past from the Wayback Machine into its history.

Every distinct archived body is fetched at most once, goes through the same extraction,
suspicious-capture guard and storage as a live fetch (raw bytes kept), and lands in time order
among the live versions with findings computed between neighbours. Progress is recorded per
digest in the same transaction as the version, so a rerun after a 429, a crash or a kill
fetches only what is missing and never duplicates a version. Historical changes send no e-mail.

A policy URL that answered with redirects for a while (`/privacy` moved to `/privacy-policy`)
keeps the history of its target: the runs of archived redirects are probed (first, last, and
by bisection where the target changes), each target's own captures during the time the policy
pointed there are listed, and those bodies are imported with the target's capture dates,
deduped by the target's own digests. Probes are recorded, so a rerun plays nothing back.

`--every` picks one capture per period from that whole timeline before the digest dedupe.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from watcher.models import Capture, Watch, WatcherError, WaybackSettings
from watcher.monitor import Context, ingest
from watcher.wayback.cdx import (
    CdxRow,
    WaybackError,
    distinct,
    group_mementos,
    parse_since,
    thin,
    url_key,
)
from watcher.wayback.client import WaybackClient, backfill_slot

log = logging.getLogger(__name__)

DONE = frozenset({"imported", "unchanged", "skipped", "suspicious"})
STOP_KINDS = frozenset({"rate_limited", "blocked", "busy", "tls"})
Progress = Callable[["BackfillSummary", str, int, int], None]  # (so far, stage, done, total)


@dataclass
class BackfillSummary:
    name: str
    captures: int = 0  # usable CDX captures listed (the policy URL and its redirect targets)
    distinct: int = 0  # distinct bodies (after thinning, if asked)
    fetched: int = 0  # playback requests that returned a capture this run
    imported: int = 0  # new versions
    skipped: int = 0  # already imported, same text, captured 4xx, suspicious...
    errors: list[str] = field(default_factory=list)
    stopped: bool = False  # stopped early: rate limited, blocked, errors
    seconds: float = 0.0
    targets: list[str] = field(default_factory=list)  # where they went, in time order

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
            "targets": self.targets,
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
        if every is not None:
            thin([], every)  # type: ignore[arg-type]  # validates the period
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
                summary.captures = client.last_listed
                timeline = _Redirects(client, ctx, watch, summary, now, cdx_to).resolve(rows)
            except WaybackError as e:
                summary.errors.append(str(e))
                summary.stopped = True
                return summary
            chosen = thin(timeline, every) if every else timeline  # type: ignore[arg-type]
            bodies = distinct(chosen)
            summary.distinct = len(bodies)
            done = store.wayback_done(watch.name)
            todo = [r for r in bodies if done.get(r.key) not in DONE]
            summary.skipped += len(bodies) - len(todo)
            groups = group_mementos(todo)
            note("fetching", 0, len(groups))
            for i, group in enumerate(groups, 1):
                if not _fetch_group(ctx, client, watch, group, summary, now):
                    break
                note("fetching", i, len(groups))
            if not summary.stopped and not every:
                summary.imported += _import_reverts(ctx, watch, timeline, now)
    except WaybackError as e:  # busy
        summary.errors.append(str(e))
        summary.stopped = True
    finally:
        summary.seconds = time.perf_counter() - t0
    if summary.errors:
        summary.stopped = True  # something was not imported: say so with exit code 1
    return summary


def _fetch_group(
    ctx: Context,
    client: WaybackClient,
    watch: Watch,
    group: list[CdxRow],
    summary: BackfillSummary,
    now: datetime,
) -> bool:
    """Play one memento back (once, whatever the number of digests listed for it) and
    ingest it; record every row of the group. False: stop the whole backfill."""
    store = ctx.store
    row = group[0]

    def record(status: str, version_id: int | None = None, error: str | None = None) -> None:
        for r in group:
            store.wayback_record(
                watch.name, r.key, r.timestamp, status, now, version_id=version_id, error=error
            )

    try:
        capture = client.fetch(row)
    except WaybackError as e:
        summary.errors.append(f"{row.timestamp}: {e}")
        if e.kind in STOP_KINDS:
            summary.stopped = True
            return False
        record("error", error=str(e))
        return True
    if capture is None:
        reason = client.skipped[-1].reason if client.skipped else "not a policy page"
        record("skipped", error=reason)
        summary.skipped += len(group)
        return True
    summary.fetched += 1
    try:
        with store.transaction():
            result = ingest(ctx, watch, capture, now=now, notify=False)
            status = {"new": "imported", "changed": "imported"}.get(result.status, result.status)
            record(status, version_id=result.version, error=result.error)
    except WatcherError as e:
        summary.errors.append(f"{row.timestamp}: {e}")
        return True
    if status == "imported":
        summary.imported += 1
        summary.skipped += len(group) - 1
    else:
        summary.skipped += len(group)
        if status == "error":
            summary.errors.append(f"{row.timestamp}: {result.error}")
    return True


@dataclass
class _Segment:
    start: str  # timestamp of the first redirect capture known to go to `target`
    end: str | None  # timestamp of the first capture known to show something else
    target: str
    first: CdxRow


class _Redirects:
    """Replaces the archived redirects of a listing by the captures of their targets."""

    def __init__(
        self,
        client: WaybackClient,
        ctx: Context,
        watch: Watch,
        summary: BackfillSummary,
        now: datetime,
        until: str | None,
    ) -> None:
        self.client = client
        self.store = ctx.store
        self.watch = watch
        self.summary = summary
        self.now = now
        self.until = until
        self.known = {
            k.split("@", 1)[1]: v
            for k, v in ctx.store.wayback_notes(watch.name, "redirect").items()
            if k.startswith("redirect@")
        }

    def target_of(self, row: CdxRow) -> str | None:
        """Where the archived redirect `row` went (probed once, then remembered)."""
        if row.timestamp in self.known:
            return self.known[row.timestamp] or None
        before = len(self.client.skipped)
        target = self.client.redirect_target(row)
        if target is None and len(self.client.skipped) > before:
            log.info(
                "%s: archived redirect %s not followed: %s",
                self.watch.name,
                row.timestamp,
                self.client.skipped[-1].reason,
            )
        self.store.wayback_record(
            self.watch.name,
            f"redirect@{row.timestamp}",
            row.timestamp,
            "redirect",
            self.now,
            error=target or "",
        )
        self.known[row.timestamp] = target or ""
        return target

    def resolve(self, rows: list[CdxRow]) -> list[CdxRow]:
        """The listing with each redirect run replaced by its targets' captures."""
        own = url_key(self.watch.url)
        content: list[CdxRow] = [r for r in rows if not r.is_redirect]
        segments: list[_Segment] = []
        # Runs are taken per listed URL (http://, https://, www. variants interleave in a
        # real listing): http captures that all redirect to https are one run, two probes.
        by_original: dict[str, list[CdxRow]] = {}
        for row in rows:
            by_original.setdefault(row.original, []).append(row)
        for listed in by_original.values():
            run: list[CdxRow] = []
            for row in [*listed, None]:
                if row is not None and row.is_redirect:
                    run.append(row)
                    continue
                if run:
                    end = row.timestamp if row is not None else None
                    segments += self._segments(run, end)
                    run = []
        out = list(content)
        by_target: dict[str, list[_Segment]] = {}
        for seg in segments:
            if url_key(seg.target) == own:
                continue  # http -> https of the policy itself: its captures are listed already
            by_target.setdefault(seg.target, []).append(seg)
            if seg.target not in self.summary.targets:
                self.summary.targets.append(seg.target)
        for target, segs in by_target.items():
            out += self._target_rows(target, segs)
        return sorted(out, key=lambda r: r.timestamp.ljust(14, "0"))

    def _segments(self, run: list[CdxRow], end: str | None) -> list[_Segment]:
        """Where the target changes within one run of redirects, by bisection."""
        first_target = self.target_of(run[0])
        changes: list[tuple[int, str | None]] = [(0, first_target)]
        if len(run) > 1:
            self._bisect(run, 0, len(run) - 1, first_target, self.target_of(run[-1]), changes)
        out: list[_Segment] = []
        for n, (idx, target) in enumerate(changes):
            seg_end = run[changes[n + 1][0]].timestamp if n + 1 < len(changes) else end
            if target:
                out.append(_Segment(run[idx].timestamp, seg_end, target, run[idx]))
        return out

    def _bisect(
        self,
        run: list[CdxRow],
        lo: int,
        hi: int,
        t_lo: str | None,
        t_hi: str | None,
        out: list[tuple[int, str | None]],
    ) -> None:
        if t_lo == t_hi:
            return
        if hi - lo <= 1:
            out.append((hi, t_hi))
            return
        mid = (lo + hi) // 2
        t_mid = self.target_of(run[mid])
        self._bisect(run, lo, mid, t_lo, t_mid, out)
        self._bisect(run, mid, hi, t_mid, t_hi, out)

    def _target_rows(self, target: str, segs: list[_Segment]) -> list[CdxRow]:
        """The target's captures while the policy pointed at it (one CDX listing per target)."""
        start = min(s.start for s in segs)
        ends = [s.end for s in segs]
        until = None if None in ends else max(e for e in ends if e is not None)
        if self.until and (until is None or until > self.until):
            until = self.until
        try:
            listed = self.client.list_captures(target, since=start, until=until)
            self.summary.captures += self.client.last_listed
        except WaybackError as e:
            if e.kind != "not_archived":
                raise
            listed = []
        out: list[CdxRow] = []
        for seg in segs:
            inside = [
                replace(r, via=self.watch.url)
                for r in listed
                if r.timestamp >= seg.start and (seg.end is None or r.timestamp < seg.end)
            ]
            kept: list[CdxRow] = []
            for r in inside:  # a redirecting target: the first of each run is followed
                if r.is_redirect and kept and kept[-1].is_redirect:
                    continue
                kept.append(r)
            if not kept:
                # the target was not captured then: follow the policy's own redirect to the
                # target's nearest capture
                kept = [replace(seg.first, via=self.watch.url)]
            out += kept
        return out


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
    for row in sorted(rows, key=lambda r: r.timestamp.ljust(14, "0")):
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
