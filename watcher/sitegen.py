"""`watcher site DIR`: write the stored history as a static site (render/site.py makes the HTML).

Reads the store, renders every page, and writes each file atomically. The folder is marked
as ours (`.policy-watcher-site`), so a rerun refreshes it and a folder holding anything else is
refused rather than overwritten.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from watcher.analysis.diff import hunks as text_hunks
from watcher.models import WatcherError
from watcher.render import site as html_site
from watcher.render.atom import atom_feed
from watcher.storage.sqlite import Store

MARKER = ".policy-watcher-site"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class SiteError(WatcherError):
    """The site cannot be written (folder not ours, not writable)."""


@dataclass
class SiteResult:
    directory: Path
    watches: int
    versions: int
    changes: int
    files: int


def collect(store: Store, watches: Sequence[tuple[str, str]]) -> list[html_site.SiteWatch]:
    """Every watch's versions (numbered per watch, 1 = oldest) and its reported changes."""
    out = []
    for name, url in watches:
        stored = store.versions(name)
        numbers = {v.id: i for i, v in enumerate(stored, start=1)}
        by_id = {v.id: v for v in stored}
        versions = [
            html_site.SiteVersion(
                n=numbers[v.id],
                captured_at=v.captured_at,
                source=v.source,
                words=v.words,
                summary=v.summary,
            )
            for v in stored
        ]
        changes = []
        for c in store.changes_since(EPOCH, name):
            if c.old_version not in numbers or c.new_version not in numbers:
                continue
            new = by_id[c.new_version]
            changes.append(
                html_site.SiteChange(
                    old_n=numbers[c.old_version],
                    new_n=numbers[c.new_version],
                    captured_at=new.captured_at,
                    detected_at=c.detected_at,
                    classification=c.classification,
                    summary=c.summary,
                    findings=c.findings,
                    hunks=text_hunks(by_id[c.old_version].text, new.text),
                )
            )
        changes.sort(key=lambda c: (c.captured_at, c.new_n))
        out.append(html_site.SiteWatch(name=name, url=url, versions=versions, changes=changes))
    return out


def _feed(store: Store, urls: dict[str, str], feed_id: str, limit: int = 50) -> str:
    from watcher.notify.outbox import change_item

    items = [
        it
        for c in store.recent_changes(limit=limit)
        if (it := change_item(store, c, urls.get(c.watch, ""))) is not None
    ]
    updated = max((it.new.captured_at for it in items), default=datetime.now(UTC))
    return atom_feed(
        items,
        feed_id=feed_id,
        title="policy-watcher: recent policy changes",
        updated=updated,
        self_url="feed.xml",
    )


def _prepare(directory: Path) -> None:
    if directory.exists():
        if not directory.is_dir():
            raise SiteError(f"{directory} exists and is not a folder")
        if any(directory.iterdir()) and not (directory / MARKER).exists():
            raise SiteError(
                f"{directory} is not empty and was not written by `watcher site`; "
                "choose an empty or new folder"
            )
    try:
        directory.mkdir(parents=True, exist_ok=True)
        (directory / MARKER).write_text("written by `watcher site`; safe to delete\n")
    except OSError as e:
        raise SiteError(f"cannot write to {directory}: {e.strerror or e}") from None


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def build_site(
    store: Store,
    watches: Sequence[tuple[str, str]],
    directory: Path,
    *,
    feed_id: str | None = None,
    now: datetime | None = None,
) -> SiteResult:
    """Write index.html, style.css, feed.xml and one folder per watch under `directory`."""
    directory = Path(directory)
    _prepare(directory)
    data = collect(store, watches)
    urls = dict(watches)
    feed_id = (
        feed_id
        or "urn:policy-watcher:site:"
        + hashlib.sha256(str(directory.resolve()).encode()).hexdigest()[:16]
    )
    files = 0
    try:
        _write(directory / "style.css", html_site.CSS + "\n")
        _write(directory / "index.html", html_site.index_page(data, now or datetime.now(UTC)))
        _write(directory / "feed.xml", _feed(store, urls, feed_id))
        files += 3
        for w in data:
            folder = directory / html_site.slug(w.name)
            _write(folder / "index.html", html_site.watch_page(w))
            files += 1
            for c in w.changes:
                _write(folder / c.filename, html_site.change_page(w, c))
                files += 1
    except OSError as e:
        raise SiteError(f"cannot write the site under {directory}: {e.strerror or e}") from None
    return SiteResult(
        directory=directory,
        watches=len(data),
        versions=sum(len(w.versions) for w in data),
        changes=sum(len(w.changes) for w in data),
        files=files,
    )
