"""Render changes for people (pure: no network, no disk, no clock).

- `common`: hostile-text cleaning, labels, findings order, the diff excerpt, `DigestItem`;
- `text`, `html`: one change, a digest; `email`: MIME messages and Message-IDs;
- `atom`: the feed; `json`: JSON-ready dicts.

The names below are the renderers' public API (import them from here).
"""

from watcher.render.atom import atom_feed, entry_id
from watcher.render.common import (
    SUBJECT_MAX,
    SUBJECT_PREFIX,
    DigestItem,
    clean,
    one_line,
    sorted_findings,
    summary_line,
)
from watcher.render.email import (
    _base_message,
    build_alert_email,
    build_change_email,
    build_digest_email,
    build_test_email,
    make_message_id,
)
from watcher.render.html import change_html, digest_html
from watcher.render.json import analysis_json
from watcher.render.text import (
    alert_lines,
    change_brief,
    change_text,
    digest_subject,
    digest_text,
    subject,
)

__all__ = [
    "SUBJECT_MAX",
    "SUBJECT_PREFIX",
    "DigestItem",
    "alert_lines",
    "change_brief",
    "_base_message",
    "analysis_json",
    "atom_feed",
    "build_alert_email",
    "build_change_email",
    "build_digest_email",
    "build_test_email",
    "change_html",
    "change_text",
    "clean",
    "digest_html",
    "digest_subject",
    "digest_text",
    "entry_id",
    "make_message_id",
    "one_line",
    "sorted_findings",
    "subject",
    "summary_line",
]
