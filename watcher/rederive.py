"""Re-derive versions from stored raw captures after selectors or the extractor changed.

A re-derived text that differs from the latest version becomes a new version marked
*technical*, with a technical change: the history stays honest (nothing is rewritten) and no
report ever calls an extractor upgrade a policy change. The new version carries the time of
the capture it was derived from (not the time of the re-run), and its change is never more
severe than "info".
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from watcher import extract as extractor
from watcher import facts as fact_extractors
from watcher.analysis import findings as analyzer
from watcher.models import ExtractError, Watch, WatcherError
from watcher.monitor import facts_of, record_change, record_version
from watcher.storage.sqlite import Store, sha256_hex


@dataclass
class RederiveResult:
    name: str
    outcome: str  # "unchanged" | "technical" | "new" | "no capture" | "error"
    version: int | None = None
    detail: str | None = None


def reextract_watch(store: Store, watch: Watch, *, now: datetime) -> RederiveResult:
    latest = store.latest_version(watch.name)
    capture = None
    if latest is not None and latest.capture_id is not None:
        capture = store.get_capture(latest.capture_id)  # the capture the latest text came from
    if capture is None:
        capture = store.latest_capture(watch.name, source=None)
    if capture is None:
        return RederiveResult(watch.name, "no capture", detail="never fetched")
    try:
        body = store.get_snapshot(capture.raw_sha256)
        doc = extractor.extract(
            body,
            content_type=capture.content_type,
            charset=capture.charset,
            url=capture.url,
            select=watch.select,
            remove=watch.remove,
        )
    except ExtractError as e:
        return RederiveResult(watch.name, "error", detail=f"cannot extract text: {e}")
    except WatcherError as e:
        return RederiveResult(watch.name, "error", detail=str(e))
    facts = fact_extractors.extract_facts(doc.text, doc.language)
    if latest is not None and latest.sha256 == sha256_hex(doc.text):
        if latest.facts is not None and [f.to_dict() for f in facts] != [
            f.to_dict() for f in latest.facts
        ]:
            store.set_facts(latest.id, facts)  # the fact extractors improved
            return RederiveResult(watch.name, "unchanged", latest.id, "facts refreshed")
        return RederiveResult(watch.name, "unchanged", latest.id)
    # the capture's time; never before the version it replaces (history stays in order)
    at = max(capture.fetched_at, latest.captured_at) if latest else capture.fetched_at
    with store.transaction():
        vid = record_version(
            store, watch, doc, at, capture.source, capture.id, facts, technical=True
        )
        if latest is None:
            return RederiveResult(watch.name, "new", vid, "first version from a stored capture")
        analysis = analyzer.analyze(
            latest.text, doc.text, facts_of(store, latest), facts, title=doc.title
        )
        # an extractor or selector change is not a policy change: nothing above "info"
        analysis = replace(
            analysis, findings=[replace(f, severity="info") for f in analysis.findings]
        )
        record_change(store, watch, latest.id, vid, analysis, now, technical=True)
    return RederiveResult(
        watch.name, "technical", vid, f"+{analysis.words_added}/-{analysis.words_removed} words"
    )
