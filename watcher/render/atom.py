"""Atom 1.0 feed of changes (pure), produced by ElementTree (escapes all text)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from datetime import datetime

from watcher.render.common import (
    DIGEST_BUDGET,
    PRODUCT,
    DigestItem,
    clean,
    one_line,
    safe_href,
    sorted_findings,
    summary_line,
    utc,
)
from watcher.render.html import change_html_body

# --------------------------------------------------------------------------------------------
# Atom

ATOM_NS = "http://www.w3.org/2005/Atom"


def _rfc3339(dt: datetime) -> str:
    return utc(dt).strftime("%Y-%m-%dT%H:%M:%SZ")


def entry_id(change_id: int | str, authority: str = "policy-watcher.local") -> str:
    """Stable Atom entry id (RFC 4151 tag: URI) for a change."""
    specific = re.sub(r"[^A-Za-z0-9._~:/-]", lambda m: f"%{ord(m.group()):02X}", str(change_id))
    return f"tag:{authority},2024:change/{specific}"


def change_key(item: DigestItem) -> str:
    """What names a change independently of any database: the watch, the new version's
    capture time and both texts' hashes (a rebuilt or re-imported database gives the same)."""
    at = utc(item.new.captured_at).strftime("%Y%m%dT%H%M%SZ")
    return f"{one_line(item.watch)}/{at}/{item.old.sha256[:12]}-{item.new.sha256[:12]}"


def atom_feed(
    entries: Sequence[DigestItem],
    *,
    feed_id: str,
    title: str,
    updated: datetime,
    self_url: str | None = None,
    tag_authority: str = "policy-watcher.local",
) -> str:
    """An Atom 1.0 feed, one entry per change (newest first), content as escaped HTML."""
    ET.register_namespace("", ATOM_NS)

    def sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
        el = ET.SubElement(parent, f"{{{ATOM_NS}}}{tag}", attrs)
        if text is not None:
            el.text = clean(text)
        return el

    feed = ET.Element(f"{{{ATOM_NS}}}feed")
    sub(feed, "id", one_line(feed_id))
    sub(feed, "title", one_line(title))
    sub(feed, "updated", _rfc3339(updated))
    author = sub(feed, "author")
    sub(author, "name", PRODUCT)
    sub(feed, "generator", PRODUCT)
    if self_url:
        sub(feed, "link", rel="self", type="application/atom+xml", href=one_line(self_url))
    ordered = sorted(entries, key=lambda it: utc(it.new.captured_at), reverse=True)
    for it in ordered:
        entry = sub(feed, "entry")
        sub(entry, "id", entry_id(change_key(it), tag_authority))
        sub(entry, "title", f"{one_line(it.watch)}: {summary_line(it.analysis)}")
        sub(entry, "updated", _rfc3339(it.new.captured_at))
        href = safe_href(it.url)
        if href:
            sub(entry, "link", rel="alternate", type="text/html", href=href)
        findings = sorted_findings(it.analysis.findings)
        summary = one_line(it.analysis.summary) or (
            one_line(findings[0].summary) if findings else it.analysis.classification
        )
        sub(entry, "summary", summary, type="text")
        body = change_html_body(
            it.watch,
            it.url,
            it.analysis,
            it.old,
            it.new,
            budget=DIGEST_BUDGET,
            heading="h2",
        )
        sub(entry, "content", body, type="html")  # ElementTree escapes it
        if it.analysis.max_severity:
            sub(entry, "category", term=it.analysis.max_severity, scheme=f"urn:{PRODUCT}:severity")
        for kind in dict.fromkeys(one_line(f.kind) for f in findings if one_line(f.kind)):
            sub(entry, "category", term=kind, scheme=f"urn:{PRODUCT}:kind")
    ET.indent(feed)
    return ET.tostring(feed, encoding="unicode", xml_declaration=True) + "\n"
