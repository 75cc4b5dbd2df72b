"""One check of one watch: fetch -> guard -> extract -> store -> analyze -> enqueue.

Errors are values here: whatever goes wrong becomes a recorded check with a readable cause;
an exception escaping `check_watch` is a bug. The same `ingest` path serves live fetches and
Wayback captures, so both get the same extraction, guard and storage, and versions interleave
in time order with findings computed between neighbours.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from watcher.fetchers import NEEDS_JS_HINT, Fetcher, Renderer, for_watch
from watcher.models import (
    Analysis,
    Capture,
    CheckResult,
    Document,
    ExtractError,
    Fact,
    FetchError,
    Watch,
    WatcherError,
)
from watcher.notify import Channels
from watcher.storage.sqlite import Store, StoredVersion, StoreError, sha256_hex
from watcher.textutil import redact_credentials

log = logging.getLogger("watcher.monitor")

HOLD_CHECKS = 3  # a big shrink is accepted only after this many identical sightings
RECENT_VERSIONS = 5  # a return to one of this many earlier texts waits for HOLD_CHECKS
ACCEPTED = ("new", "changed", "unchanged")


@dataclass
class Context:
    """What a check needs from the outside world."""

    store: Store
    fetcher: Fetcher  # the plain HTTP fetcher
    browser: Renderer | None = None  # the process's headless browser, if any
    channels: Channels = field(default_factory=Channels)  # where change reports are queued
    failure_threshold: int = 3
    clock: Callable[[], datetime] | None = None  # simulated time (demo days, tests)

    def now(self) -> datetime:
        return self.clock() if self.clock is not None else datetime.now(UTC)


@dataclass
class Ingested:
    """What `ingest` did with one capture."""

    status: str  # new | changed | unchanged | suspicious | error
    version: int | None = None
    error: str | None = None
    analysis: Analysis | None = None
    change_id: int | None = None
    capture_id: int | None = None
    touch: int | None = None  # a version seen again: its last_seen moves to this check


def check_watch(ctx: Context, watch: Watch) -> CheckResult:
    """Fetch a watch now and record the outcome. Never raises for bad input."""
    started = ctx.now()
    t0 = time.perf_counter()
    try:
        result = _check(ctx, watch, started)
    except StoreError as e:  # disk full, I/O error: the transaction rolled back
        log.error("%s: cannot store the check: %s", watch.name, e)
        result = Ingested("error", error=f"cannot store the check: {e}")
    except WatcherError as e:
        result = Ingested("error", error=str(e))
    except Exception as e:  # a bug, but one page must not take the daemon down
        log.exception("unexpected error checking %s", watch.name)
        result = Ingested("error", error=f"internal error: {type(e).__name__}: {e}")
    if result.error:  # a URL in an error keeps its credentials out of the database and logs
        result.error = redact_credentials(result.error)
    duration = time.perf_counter() - t0
    try:
        with ctx.store.transaction():  # one commit per check on the unchanged path
            if result.touch is not None:
                ctx.store.touch_version(result.touch, started)
            ctx.store.add_check(
                watch.name,
                started_at=started,
                duration=duration,
                outcome=result.status,
                error=result.error,
                version_id=result.version,
                capture_id=result.capture_id,
            )
            flip = ctx.store.note_outcome(
                watch.name, result.status in ACCEPTED, started, ctx.failure_threshold
            )
            if flip:
                _enqueue_alert(ctx, watch, flip, result.error, started)
    except WatcherError as e:
        result = Ingested("error", error=str(e))
    except Exception as e:  # e.g. sqlite3.OperationalError: disk full
        result = Ingested("error", error=f"cannot record the check: {e}")
    findings = result.analysis.findings if result.analysis else []
    return CheckResult(
        name=watch.name,
        status=result.status,
        version=result.version,  # type: ignore[arg-type]
        error=result.error,
        findings=findings,
        summary=result.analysis.summary if result.analysis else None,
        duration=duration,
        change_id=result.change_id,
    )


def _check(ctx: Context, watch: Watch, now: datetime) -> Ingested:
    store = ctx.store
    store.ensure_watch(watch.name, watch.url, now)
    state = store.check_state(watch.name)
    last_capture, latest = state.last_capture, state.latest_version
    last_ok = state.last_outcome in ACCEPTED
    etag = last_capture.etag if (last_capture and last_ok and latest) else None
    modified = last_capture.last_modified if (last_capture and last_ok and latest) else None
    if not watch.verify_tls:
        log.warning(
            "%s: TLS certificate verification is OFF for %s (verify_tls = false)",
            watch.name,
            watch.url,
        )
    fetcher = for_watch(watch, ctx.fetcher, ctx.browser)
    try:
        capture = fetcher.fetch(
            watch.url,
            etag=etag,
            last_modified=modified,
            verify=watch.verify_tls,
            allow_private=watch.allow_private,
        )
    except FetchError as e:
        return Ingested("error", error=str(e))
    capture.fetched_at = now  # time is a parameter: simulated days and tests set it
    if state.latest_at is not None and now < state.latest_at:
        # The clock stepped back (it ran ahead, then was corrected): what we see now is newer
        # than the latest version whatever the clock says, so it is placed just after it;
        # else it would slip in before, and the stale version would stay "latest".
        log.warning(
            "%s: the clock (%s) is behind the latest version (%s); recording this check "
            "just after it",
            watch.name,
            now.isoformat(),
            state.latest_at.isoformat(),
        )
        capture.fetched_at = state.latest_at + timedelta(seconds=1)
    if capture.not_modified:
        if latest is None:
            return Ingested(
                "error", error="server answered 304 Not Modified without a prior version"
            )
        return Ingested("unchanged", version=latest, touch=latest)
    raw_sha = sha256_hex(capture.body)
    if last_capture and last_ok and latest and raw_sha == last_capture.raw_sha256:
        # Identical bytes: nothing to parse, nothing to store but the check row.
        return Ingested("unchanged", version=latest, touch=latest)
    return ingest(ctx, watch, capture, now=now, notify=True)


def ingest(
    ctx: Context, watch: Watch, capture: Capture, *, now: datetime, notify: bool
) -> Ingested:
    """Store one capture and, if its text is new, a version and the change it makes.

    Holds the watch's lock throughout: two processes checking one watch at once (the daemon
    and a `watcher check`) would otherwise both compare against the same latest version and
    store the same text twice, with two alerts."""
    with ctx.store.watch_lock(watch.name):
        return _ingest(ctx, watch, capture, now=now, notify=notify)


def _ingest(
    ctx: Context, watch: Watch, capture: Capture, *, now: datetime, notify: bool
) -> Ingested:
    # Imported here, not at the top: unchanged checks (the common case) never need them.
    from watcher import extract as extractor
    from watcher import facts as fact_extractors
    from watcher import guard
    from watcher.analysis import findings as analyzer

    store = ctx.store
    raw_sha = store.put_snapshot(capture.body)  # the file exists before any row names it
    capture_id = store.add_capture(
        watch.name,
        fetched_at=capture.fetched_at,
        source=capture.source,
        url=capture.url,
        status=capture.status,
        content_type=capture.content_type,
        charset=capture.charset,
        raw_sha256=raw_sha,
        size=len(capture.body),
        etag=capture.etag,
        last_modified=capture.last_modified,
        rendered=capture.rendered,
    )
    try:
        doc = extractor.extract(
            capture.body,
            content_type=capture.content_type,
            charset=capture.charset,
            url=capture.url,
            select=watch.select,
            remove=watch.remove,
        )
    except ExtractError as e:
        return Ingested("error", error=f"cannot extract text: {e}", capture_id=capture_id)
    reason = guard.suspicious_reason(doc, capture.status)
    if capture.needs_js and (reason == "empty text" or (reason or "").startswith("near-empty")):
        reason = NEEDS_JS_HINT  # a JavaScript shell and no browser to render it
    if reason:
        return Ingested("suspicious", error=reason, capture_id=capture_id)

    at = capture.fetched_at
    prev, nxt = store.neighbours(watch.name, at)
    text_sha = sha256_hex(doc.text)
    if prev is not None and prev.sha256 == text_sha:
        store.touch_version(prev.id, at)
        store.release(watch.name)
        return Ingested("unchanged", version=prev.id, capture_id=capture_id)
    if nxt is not None and nxt.sha256 == text_sha:
        # An archived capture older than the first sighting of the same text: move it back.
        store.move_version_start(nxt.id, at)
        return Ingested("unchanged", version=nxt.id, capture_id=capture_id)

    if prev is not None and notify and nxt is None:
        recent = store.recent_version_shas(watch.name, prev.id, RECENT_VERSIONS)
        if text_sha in recent:
            # Back to a text this watch showed recently: an A/B test, a personalised page or
            # a load balancer mid-rollout rotates like this on every check. Report a real
            # rollback only once it persists.
            count = store.hold(watch.name, text_sha, at, "reverted")
            if count < HOLD_CHECKS:
                which = "the previous version" if recent[0] == text_sha else "a recent version"
                return Ingested(
                    "suspicious",
                    error=f"text reverted to {which} (A/B test, rotating or personalised "
                    f"page?); held until it persists for {HOLD_CHECKS} checks "
                    f"({count}/{HOLD_CHECKS})",
                    capture_id=capture_id,
                )

    if prev is not None and notify and guard.different_page(prev.text, doc.text):
        count = store.hold(watch.name, text_sha, at, "different page")
        if count < HOLD_CHECKS:
            share = guard.vocabulary_overlap(prev.text, doc.text)
            return Ingested(
                "suspicious",
                error=f"the URL now shows a different page (only {share:.0%} of its words in "
                "common with the last version: a home page, another language, a login page?); "
                f"held until it persists for {HOLD_CHECKS} checks ({count}/{HOLD_CHECKS})",
                capture_id=capture_id,
            )

    if prev is not None and notify and guard.shrank_too_much(prev.text, doc.text):
        count = store.hold(watch.name, text_sha, at, "shrank")
        lost = 1 - len(doc.text.split()) / max(1, prev.words)
        if count < HOLD_CHECKS:
            return Ingested(
                "suspicious",
                error=f"text shrank by {lost:.0%} against the last version; held until it "
                f"persists for {HOLD_CHECKS} checks ({count}/{HOLD_CHECKS})",
                capture_id=capture_id,
            )

    # Facts are derived when a comparison needs them: a first version waits (cold checks of
    # thousands of pages skip the most expensive stage; `facts_of` fills them in later).
    facts = (
        fact_extractors.extract_facts(doc.text, doc.language)
        if prev is not None or nxt is not None
        else None
    )
    analysis_prev = (
        analyzer.analyze(prev.text, doc.text, facts_of(store, prev), facts or [], title=doc.title)
        if prev is not None
        else None
    )
    if analysis_prev is not None and not analysis_prev.changed:
        # Only noise (whitespace, quotes, markup) differs: same policy, no version.
        store.touch_version(prev.id, at)  # type: ignore[union-attr]
        store.release(watch.name)
        return Ingested("unchanged", version=prev.id, capture_id=capture_id)  # type: ignore[union-attr]

    with store.transaction():
        vid = record_version(store, watch, doc, at, capture.source, capture_id, facts)
        store.release(watch.name)
        change_id = None
        if prev is not None and analysis_prev is not None:
            if nxt is not None:
                store.delete_change_between(prev.id, nxt.id)
            change_id = record_change(store, watch, prev.id, vid, analysis_prev, now)
            if notify:
                new = store.get_version(watch.name, vid)
                _enqueue_change(ctx, watch, change_id, analysis_prev, prev, new, now)  # type: ignore[arg-type]
        if nxt is not None:
            after = analyzer.analyze(
                doc.text, nxt.text, facts or [], facts_of(store, nxt), title=nxt.title
            )
            record_change(store, watch, vid, nxt.id, after, now)
    status = "new" if prev is None else "changed"
    return Ingested(
        status, version=vid, analysis=analysis_prev, change_id=change_id, capture_id=capture_id
    )


def facts_of(store: Store, version: StoredVersion) -> list[Fact]:
    """A stored version's facts, derived (and saved) on first use."""
    if version.facts is None:
        from watcher import facts as fact_extractors

        version.facts = fact_extractors.extract_facts(version.text, version.language)
        store.set_facts(version.id, version.facts)
    return version.facts


def record_version(
    store: Store,
    watch: Watch,
    doc: Document,
    at: datetime,
    source: str,
    capture_id: int | None,
    facts: list[Fact] | None,
    *,
    technical: bool = False,
) -> int:
    """Store an extracted document as a version of `watch` (technical: never reported)."""
    return store.add_version(
        watch.name,
        captured_at=at,
        source=source,
        text=doc.text,
        title=doc.title,
        language=doc.language,
        declared_language=doc.declared_language,
        facts=facts,
        capture_id=capture_id,
        technical=technical,
    )


def record_change(
    store: Store,
    watch: Watch,
    old_id: int,
    new_id: int,
    analysis: Analysis,
    now: datetime,
    technical: bool = False,
) -> int:
    """Store the change between two versions (technical ones are never reported)."""
    return store.add_change(
        watch.name,
        old_version=old_id,
        new_version=new_id,
        detected_at=now,
        classification=analysis.classification,
        summary=f"re-extracted (technical): {analysis.summary}" if technical else analysis.summary,
        severity=analysis.max_severity,
        findings=analysis.findings,
        words_added=analysis.words_added,
        words_removed=analysis.words_removed,
        technical=technical,
    )


def _enqueue_change(
    ctx: Context,
    watch: Watch,
    change_id: int,
    analysis: Analysis,
    old: StoredVersion,
    new: StoredVersion,
    now: datetime,
) -> None:
    """Queue the change's report for its channels in the caller's transaction (nothing lost)."""
    ctx.channels.queue_change(ctx.store, watch, change_id, analysis, old.info, new.info, now)


def _enqueue_alert(ctx: Context, watch: Watch, flip: str, error: str | None, now: datetime) -> None:
    """A watch started failing, or recovered: one message per channel each time it flips."""
    ctx.channels.queue_alert(ctx.store, watch, flip, error, now)
