"""Render an Analysis for people: plain text, HTML e-mail, digest, Atom, JSON (pure).

No network, no disk, no clock: the caller passes `now`, `message_id` and the versions.
Everything that comes from a fetched page (findings' summaries and evidence, diff words, titles)
is treated as hostile: control characters are removed everywhere, HTML output escapes it with
`html.escape`, e-mail headers are single-line, XML output is produced by ElementTree.
"""

from __future__ import annotations

import email.policy
import hashlib
import html
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any
from urllib.parse import urlsplit

from watcher.models import SEVERITY_RANK, Analysis, EmailSettings, Finding, Hunk, VersionInfo

PRODUCT = "policy-watcher"
SUBJECT_PREFIX = "[policy-watcher]"
SUBJECT_MAX = 150

DIFF_MAX_LINES = 40
DIFF_MAX_BYTES = 4096
CONTEXT_WORDS = 8  # unchanged words kept on each side of a change in the excerpt
CHANGE_MAX_WORDS = 60  # longest removed/inserted run shown before eliding
EVIDENCE_MAX = 400  # characters of one evidence sentence

# Characters that must never reach a terminal, a header or an XML document: C0/C1 controls
# (except tab and newline), DEL, lone surrogates, and the XML non-characters.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_WS = re.compile(r"\s+")

# Inline styles (e-mail clients drop <style> blocks and external CSS).
_S_BODY = "font-family:Arial,Helvetica,sans-serif;font-size:14px;line-height:1.45;color:#1f2328;max-width:760px"
_S_META = "color:#57606a;font-size:13px;margin:0 0 12px 0"
_S_H2 = "font-size:16px;margin:20px 0 8px 0"
_S_FINDING = "margin:0 0 12px 0;padding:8px 10px;border-left:4px solid {color};background:#f6f8fa"
_S_TAG = "display:inline-block;padding:1px 6px;border-radius:3px;font-size:11px;font-weight:bold;color:#fff;background:{color}"
_S_EVID = "margin:4px 0 0 0;font-size:13px;color:#424a53"
_S_HUNK = "font-family:Menlo,Consolas,monospace;font-size:12px;white-space:pre-wrap;word-wrap:break-word;background:#f6f8fa;padding:8px;margin:0 0 8px 0;border-radius:4px"
_S_DEL = "background:#ffebe9;color:#82071e;text-decoration:line-through"
_S_INS = "background:#dafbe1;color:#116329;text-decoration:none"
_S_FOOT = "color:#57606a;font-size:12px;margin-top:20px"
_S_CODE = "font-family:Menlo,Consolas,monospace;background:#f6f8fa;padding:1px 4px"
_SEV_COLOR = {"high": "#cf222e", "medium": "#bc4c00", "low": "#9a6700", "info": "#57606a"}


# --------------------------------------------------------------------------------------------
# small helpers


def clean(text: Any) -> str:
    """Text without control characters (keeps newlines and tabs)."""
    return _CONTROL.sub("", "" if text is None else str(text))


def one_line(text: Any, limit: int | None = None) -> str:
    """Collapse all whitespace (CR/LF included) to single spaces; trim to `limit` chars."""
    s = _WS.sub(" ", clean(text)).strip()
    if limit is not None and len(s) > limit:
        s = s[: max(limit - 1, 0)].rstrip() + "…"
    return s


def _utc(dt: datetime) -> datetime:
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)


def _when(dt: datetime) -> str:
    return _utc(dt).strftime("%Y-%m-%d %H:%M UTC")


def _version_label(v: VersionInfo) -> str:
    src = " (Wayback Machine)" if v.source == "wayback" else ""
    return f"#{v.id} of {_when(v.captured_at)}{src}"


def _value(v: Any) -> str:
    if v is None or v == "" or v == [] or v == {}:
        return "(none)"
    if isinstance(v, (list, tuple, set, frozenset)):
        items = sorted(map(str, v)) if isinstance(v, (set, frozenset)) else [str(x) for x in v]
        return ", ".join(items)
    if isinstance(v, dict):
        return ", ".join(f"{k}: {x}" for k, x in v.items())
    return str(v)


def sorted_findings(findings: Iterable[Finding]) -> list[Finding]:
    """Most severe first; equal severities keep their order."""
    return sorted(findings, key=lambda f: -SEVERITY_RANK.get(f.severity, 0))


def shell_name(watch: str) -> str:
    """The watch name as a shell word (quoted when it needs to be)."""
    name = one_line(watch)
    if re.fullmatch(r"[\w.@+-]+", name):
        return name
    return "'" + name.replace("'", "'\\''") + "'"


def diff_command(watch: str, old: VersionInfo, new: VersionInfo) -> str:
    return f"watcher diff {shell_name(watch)} {old.id} {new.id}"


def _severity_counts(findings: Iterable[Finding]) -> str:
    counts: dict[str, int] = {}
    for f in findings:
        counts[f.severity] = counts.get(f.severity, 0) + 1
    order = sorted(counts, key=lambda s: -SEVERITY_RANK.get(s, 0))
    return ", ".join(f"{counts[s]} {s}" for s in order)


def summary_line(analysis: Analysis) -> str:
    """One line saying what changed: the analysis summary, else the top finding, else the class."""
    top = sorted_findings(analysis.findings)
    text = one_line(analysis.summary)
    if not text and top:
        text = one_line(top[0].summary)
    if not text:
        text = {
            "none": "no change",
            "cosmetic": "cosmetic change",
            "minor": "minor text change",
            "substantive": "substantive text change",
        }.get(analysis.classification, "text changed")
    sev = analysis.max_severity
    if sev in ("high", "medium"):
        text = f"{sev.upper()}: {text}"
    return text


# --------------------------------------------------------------------------------------------
# word diff excerpt (shared by text and HTML)

# An excerpt is a list of hunks; a hunk is a header plus lines; a line is a list of (op, text)
# runs with op "=", "-", "+" or "…" (elision marker).
_Run = tuple[str, str]


def _merge_runs(words: Sequence[tuple[str, str]]) -> list[_Run]:
    """Concatenate word tokens into runs.

    diff.py keeps whitespace as tokens, so runs are plain concatenations; if the tokens come
    without whitespace, single spaces are put between words (outside the change markers).
    """
    keeps_space = any(t[:1].isspace() or t[-1:].isspace() for _, t in words if t)
    sep = "" if keeps_space else " "
    out: list[_Run] = []
    for op, text in words:
        if not text:
            continue
        if out and out[-1][0] == op:
            out[-1] = (op, out[-1][1] + sep + text)
            continue
        if out and sep:
            if op == "=":
                text = sep + text
            elif out[-1][0] == "=":
                out[-1] = (out[-1][0], out[-1][1] + sep)
        out.append((op, text))
    return out


def _head(text: str, n: int) -> str:
    parts = re.split(r"(\s+)", text)
    words = 0
    for i, p in enumerate(parts):
        if p and not p.isspace():
            words += 1
            if words > n:
                return "".join(parts[:i]).rstrip()
    return text


def _tail(text: str, n: int) -> str:
    parts = re.split(r"(\s+)", text)
    words = 0
    for i in range(len(parts) - 1, -1, -1):
        p = parts[i]
        if p and not p.isspace():
            words += 1
            if words > n:
                return "".join(parts[i + 1 :]).lstrip()
    return text


def _nwords(text: str) -> int:
    return len(text.split())


def _compact(runs: list[_Run]) -> list[_Run]:
    """Keep changes, a few words of context around them; elide long runs."""
    out: list[_Run] = []
    for i, (op, text) in enumerate(runs):
        if op == "=":
            first, last = i == 0, i == len(runs) - 1
            n = _nwords(text)
            if first and last:
                keep = text if n <= 2 * CONTEXT_WORDS else _head(text, CONTEXT_WORDS)
                out.append(("=", keep))
                continue
            if first:
                if n > CONTEXT_WORDS:
                    out += [("…", ""), ("=", " " + _tail(text, CONTEXT_WORDS))]
                else:
                    out.append(("=", text))
            elif last:
                if n > CONTEXT_WORDS:
                    out += [("=", _head(text, CONTEXT_WORDS) + " "), ("…", "")]
                else:
                    out.append(("=", text))
            elif n > 2 * CONTEXT_WORDS + 2:
                out += [
                    ("=", _head(text, CONTEXT_WORDS) + " "),
                    ("…", ""),
                    ("=", " " + _tail(text, CONTEXT_WORDS)),
                ]
            else:
                out.append(("=", text))
        else:
            n = _nwords(text)
            if n > CHANGE_MAX_WORDS:
                out.append((op, _head(text, CHANGE_MAX_WORDS)))
                verb = "added" if op == "+" else "removed"
                out.append(("…", f"{n - CHANGE_MAX_WORDS} more words {verb}"))
            else:
                out.append((op, text))
    return out


def _split_lines(runs: list[_Run]) -> list[list[_Run]]:
    lines: list[list[_Run]] = [[]]
    for op, text in runs:
        pieces = text.split("\n")
        for j, piece in enumerate(pieces):
            if j:
                lines.append([])
            if piece or op == "…":
                lines[-1].append((op, piece))
    return [ln for ln in lines if ln and any(t.strip() or o == "…" for o, t in ln)]


@dataclass
class _Excerpt:
    hunks: list[tuple[str, list[list[_Run]]]]  # (header, lines)
    not_shown: int  # hunks left out entirely
    truncated: bool  # the last shown hunk was cut


def _hunk_header(h: Hunk) -> str:
    if h.tag == "insert":
        return f"added at line {h.new_start}"
    if h.tag == "delete":
        return "removed " + _span("line", h.old_start, len(h.old_lines))
    return f"{_span('line', h.old_start, len(h.old_lines))} -> {_span('line', h.new_start, len(h.new_lines))}"


def _span(word: str, start: int, n: int) -> str:
    return f"{word} {start}" if n <= 1 else f"{word}s {start}-{start + n - 1}"


def _hunk_runs(h: Hunk) -> list[_Run]:
    words = [(op, clean(t)) for op, t in h.words]
    if not words:
        old = "\n".join(clean(x) for x in h.old_lines)
        new = "\n".join(clean(x) for x in h.new_lines)
        words = [("-", old)] if old else []
        if new:
            words += [("=", "\n")] if old else []
            words += [("+", new)]
    return _compact(_merge_runs(words))


def _line_len(line: list[_Run]) -> int:
    return sum(len(t.encode("utf-8")) + 4 for _, t in line)


def _excerpt(hunks: Sequence[Hunk], max_lines: int, max_bytes: int) -> _Excerpt:
    shown: list[tuple[str, list[list[_Run]]]] = []
    lines_used = 0
    bytes_used = 0
    truncated = False
    for idx, h in enumerate(hunks):
        header = _hunk_header(h)
        body = _split_lines(_hunk_runs(h))
        if not body:
            continue
        if lines_used + 2 > max_lines or bytes_used + len(header) + 8 > max_bytes:
            return _Excerpt(shown, len(hunks) - idx, truncated)
        lines_used += 1
        bytes_used += len(header) + 8
        kept: list[list[_Run]] = []
        for line in body:
            size = _line_len(line)
            if lines_used + 1 > max_lines or bytes_used + size > max_bytes:
                if not kept:  # at least part of one line, cut to the byte budget
                    room = max(max_bytes - bytes_used, 200)
                    cut: list[_Run] = []
                    for op, t in line:
                        if room <= 0:
                            break
                        piece = t.encode("utf-8")[:room].decode("utf-8", "ignore")
                        cut.append((op, piece))
                        room -= len(piece.encode("utf-8")) + 4
                    kept.append(cut + [("…", "")])
                truncated = True
                break
            kept.append(line)
            lines_used += 1
            bytes_used += size
        shown.append((header, kept))
        if truncated:
            return _Excerpt(shown, len(hunks) - idx - 1, True)
    return _Excerpt(shown, 0, False)


def _run_text(op: str, text: str) -> str:
    if op == "-":
        return f"[-{text}-]"
    if op == "+":
        return f"{{+{text}+}}"
    if op == "…":
        return f" … ({text})" if text else "…"
    return text


def _excerpt_text(ex: _Excerpt, indent: str = "  ") -> list[str]:
    out: list[str] = []
    for header, lines in ex.hunks:
        out.append(f"{indent}@ {header}")
        for line in lines:
            out.append(indent + "  " + "".join(_run_text(o, t) for o, t in line).strip())
    if ex.truncated:
        out.append(f"{indent}(this change is cut short)")
    if ex.not_shown:
        more = "change" if ex.not_shown == 1 else "changes"
        out.append(f"{indent}{ex.not_shown} more {more} not shown")
    return out


def _run_html(op: str, text: str) -> str:
    e = html.escape(text, quote=True)
    if op == "-":
        return f'<del style="{_S_DEL}">{e}</del>'
    if op == "+":
        return f'<ins style="{_S_INS}">{e}</ins>'
    if op == "…":
        label = f" … ({e})" if e else "…"
        return f'<span style="color:#57606a">{label}</span>'
    return e


def _excerpt_html(ex: _Excerpt) -> str:
    parts: list[str] = []
    for header, lines in ex.hunks:
        body = "\n".join("".join(_run_html(o, t) for o, t in line).strip() for line in lines)
        parts.append(
            f'<div style="{_S_META}">{html.escape(header)}</div><pre style="{_S_HUNK}">{body}</pre>'
        )
    notes = []
    if ex.truncated:
        notes.append("this change is cut short")
    if ex.not_shown:
        notes.append(f"{ex.not_shown} more change{'s' if ex.not_shown != 1 else ''} not shown")
    if notes:
        parts.append(f'<p style="{_S_META}">{html.escape("; ".join(notes))}</p>')
    return "\n".join(parts)


# --------------------------------------------------------------------------------------------
# findings


def _finding_text(f: Finding, indent: str = "  ") -> list[str]:
    out = [f"{indent}[{f.severity.upper()}] {one_line(f.summary) or one_line(f.field)}"]
    old, new = _value(f.old), _value(f.new)
    if (f.old is not None or f.new is not None) and f.kind != "lint":
        out.append(
            f"{indent}    {one_line(f.field) or one_line(f.kind)}: {one_line(old, 200)} -> {one_line(new, 200)}"
        )
    if f.evidence_old:
        out.append(f'{indent}    before: "{one_line(f.evidence_old, EVIDENCE_MAX)}"')
    if f.evidence_new:
        out.append(f'{indent}    after:  "{one_line(f.evidence_new, EVIDENCE_MAX)}"')
    return out


def _finding_html(f: Finding) -> str:
    color = _SEV_COLOR.get(f.severity, "#57606a")
    e = html.escape
    rows = [
        f'<span style="{_S_TAG.format(color=color)}">{e(f.severity.upper())}</span> '
        f"<strong>{e(one_line(f.summary) or one_line(f.field))}</strong>"
    ]
    if (f.old is not None or f.new is not None) and f.kind != "lint":
        rows.append(
            f'<div style="{_S_EVID}">{e(one_line(f.field) or one_line(f.kind))}: '
            f'<del style="{_S_DEL}">{e(one_line(_value(f.old), 200))}</del> &rarr; '
            f'<ins style="{_S_INS}">{e(one_line(_value(f.new), 200))}</ins></div>'
        )
    if f.evidence_old:
        rows.append(
            f'<div style="{_S_EVID}">Before: &ldquo;{e(one_line(f.evidence_old, EVIDENCE_MAX))}&rdquo;</div>'
        )
    if f.evidence_new:
        rows.append(
            f'<div style="{_S_EVID}">After: &ldquo;{e(one_line(f.evidence_new, EVIDENCE_MAX))}&rdquo;</div>'
        )
    return f'<div style="{_S_FINDING.format(color=color)}">' + "".join(rows) + "</div>"


def _safe_href(url: str) -> str | None:
    """The URL if it is a plain http(s) link, else None (no javascript:, data:...)."""
    u = one_line(url)
    try:
        parts = urlsplit(u)
    except ValueError:
        return None
    return u if parts.scheme in ("http", "https") and parts.netloc else None


# --------------------------------------------------------------------------------------------
# one change


def _change_text_lines(
    watch: str,
    url: str,
    analysis: Analysis,
    old: VersionInfo,
    new: VersionInfo,
    *,
    max_lines: int = DIFF_MAX_LINES,
    max_bytes: int = DIFF_MAX_BYTES,
    heading: bool = True,
) -> list[str]:
    out: list[str] = []
    if heading:
        title = f"Policy change: {one_line(watch)}"
        out += [title, "=" * min(len(title), 72)]
    out += [
        f"URL:      {one_line(url)}",
        f"Versions: {_version_label(old)} -> {_version_label(new)}",
        f"Change:   {analysis.classification} (+{analysis.words_added} / -{analysis.words_removed} words)",
    ]
    summary = one_line(analysis.summary)
    if summary:
        out.append(f"Summary:  {summary}")
    out.append("")
    findings = sorted_findings(analysis.findings)
    if findings:
        out.append(f"FINDINGS ({_severity_counts(findings)})")
        for f in findings:
            out += _finding_text(f)
    else:
        out.append("FINDINGS: none recognised; see the text changes below.")
    out.append("")
    ex = _excerpt(analysis.hunks, max_lines, max_bytes)
    if ex.hunks or ex.not_shown:
        out.append("TEXT CHANGES ([-removed-] {+added+})")
        out += _excerpt_text(ex)
        out.append("")
    out.append(f"Full diff: {diff_command(watch, old, new)}")
    return out


def change_text(
    watch: str, url: str, analysis: Analysis, old: VersionInfo, new: VersionInfo
) -> str:
    """Plain-text report of one change: header, findings (most severe first), diff excerpt."""
    return "\n".join(_change_text_lines(watch, url, analysis, old, new)) + "\n"


def _change_html_body(
    watch: str,
    url: str,
    analysis: Analysis,
    old: VersionInfo,
    new: VersionInfo,
    *,
    max_lines: int = DIFF_MAX_LINES,
    max_bytes: int = DIFF_MAX_BYTES,
    heading: str = "h1",
) -> str:
    e = html.escape
    href = _safe_href(url)
    url_html = (
        f'<a href="{e(href, quote=True)}" style="color:#0969da">{e(one_line(url))}</a>'
        if href
        else e(one_line(url))
    )
    size = "20px" if heading == "h1" else "17px"
    parts = [
        f'<{heading} style="font-size:{size};margin:0 0 6px 0">Policy change: {e(one_line(watch))}</{heading}>',
        f'<p style="{_S_META}">{url_html}<br>'
        f"Version {e(_version_label(old))} &rarr; {e(_version_label(new))}<br>"
        f"Change: <strong>{e(analysis.classification)}</strong> "
        f"(+{int(analysis.words_added)} / &minus;{int(analysis.words_removed)} words)</p>",
    ]
    summary = one_line(analysis.summary)
    if summary:
        parts.append(f'<p style="margin:0 0 12px 0"><strong>{e(summary)}</strong></p>')
    findings = sorted_findings(analysis.findings)
    if findings:
        parts.append(f'<h2 style="{_S_H2}">Findings ({e(_severity_counts(findings))})</h2>')
        parts += [_finding_html(f) for f in findings]
    else:
        parts.append(
            f'<p style="{_S_META}">No findings recognised; see the text changes below.</p>'
        )
    ex = _excerpt(analysis.hunks, max_lines, max_bytes)
    if ex.hunks or ex.not_shown:
        parts.append(f'<h2 style="{_S_H2}">Text changes</h2>')
        parts.append(_excerpt_html(ex))
    parts.append(
        f'<p style="{_S_META}">Full diff: <code style="{_S_CODE}">{e(diff_command(watch, old, new))}</code></p>'
    )
    return "\n".join(parts)


def _html_page(title: str, body: str, footer: str) -> str:
    return (
        "<!DOCTYPE html>\n"
        '<html><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title></head>\n"
        f'<body style="margin:0;padding:16px;background:#ffffff">'
        f'<div style="{_S_BODY}">\n{body}\n'
        f'<p style="{_S_FOOT}">{html.escape(footer)}</p></div></body></html>\n'
    )


_FOOTER = "Sent by policy-watcher. Findings are computed automatically; read the policy itself before acting."


def change_html(
    watch: str, url: str, analysis: Analysis, old: VersionInfo, new: VersionInfo
) -> str:
    """HTML report of one change (inline CSS only; all page-derived text escaped)."""
    body = _change_html_body(watch, url, analysis, old, new)
    return _html_page(f"Policy change: {one_line(watch)}", body, _FOOTER)


def subject(watch: str, analysis: Analysis) -> str:
    """`[policy-watcher] <watch>: <one-line summary>`, one line, at most ~150 characters."""
    return one_line(
        f"{SUBJECT_PREFIX} {one_line(watch, 60)}: {summary_line(analysis)}", SUBJECT_MAX
    )


def make_message_id(seed: str, domain: str = "policy-watcher.local") -> str:
    """A deterministic Message-ID for `seed` (e.g. "change-42-to-alice@example.org")."""
    digest = hashlib.sha256(seed.encode("utf-8")).hexdigest()[:32]
    dom = re.sub(r"[^A-Za-z0-9.-]", "", domain) or "policy-watcher.local"
    return f"<{digest}@{dom}>"


# Bodies are encoded 7-bit (quoted-printable, 76-column lines) so the stored bytes are plain
# ASCII and survive any relay. Headers are serialized with RFC 5322's hard limit: with the
# default 78 the stdlib moves a 70-78 character subject onto a continuation line, which readers
# then see with a leading space.
_BODY_POLICY = email.policy.default.clone(cte_type="7bit")
_POLICY = _BODY_POLICY.clone(max_line_length=998)


def _base_message(
    settings: EmailSettings, to: Sequence[str], subj: str, *, now: datetime, message_id: str
) -> EmailMessage:
    recipients = [one_line(a) for a in to if one_line(a)]
    if not recipients:
        raise ValueError("no recipients for the e-mail")
    msg = EmailMessage(policy=_BODY_POLICY)
    msg["From"] = one_line(settings.sender)
    msg["To"] = ", ".join(recipients)
    msg["Subject"] = one_line(subj)
    msg["Date"] = format_datetime(_utc(now))
    mid = one_line(message_id)
    msg["Message-ID"] = mid if mid.startswith("<") else f"<{mid}>"
    msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: no auto-replies, please
    msg["X-Mailer"] = PRODUCT
    return msg


def _fill(msg: EmailMessage, text: str, html_body: str) -> EmailMessage:
    msg.set_content(text, cte="quoted-printable")
    msg.add_alternative(html_body, subtype="html", cte="quoted-printable")
    msg.policy = _POLICY  # bodies are encoded; now only header serialization is affected
    return msg


def build_change_email(
    settings: EmailSettings,
    to: Sequence[str],
    watch: str,
    url: str,
    analysis: Analysis,
    old: VersionInfo,
    new: VersionInfo,
    *,
    now: datetime,
    message_id: str,
) -> EmailMessage:
    """multipart/alternative (text + HTML) report of one change."""
    msg = _base_message(settings, to, subject(watch, analysis), now=now, message_id=message_id)
    return _fill(
        msg,
        change_text(watch, url, analysis, old, new),
        change_html(watch, url, analysis, old, new),
    )


# --------------------------------------------------------------------------------------------
# several changes


@dataclass
class DigestItem:
    """One change in a digest or feed."""

    watch: str
    url: str
    analysis: Analysis
    old: VersionInfo
    new: VersionInfo
    change_id: int | str


def _digest_order(items: Sequence[DigestItem]) -> list[DigestItem]:
    """Most severe first, then oldest capture first (stable)."""
    return sorted(
        items,
        key=lambda it: (
            -SEVERITY_RANK.get(it.analysis.max_severity or "", -1),
            _utc(it.new.captured_at),
        ),
    )


def _digest_counts(items: Sequence[DigestItem]) -> str:
    n = len(items)
    s = f"{n} change{'s' if n != 1 else ''}"
    high = sum(1 for it in items if it.analysis.max_severity == "high")
    if high:
        s += f" ({high} high)"
    return s


DIGEST_DIFF_LINES = 12
DIGEST_DIFF_BYTES = 1500


def digest_text(items: Sequence[DigestItem], period_label: str) -> str:
    """Plain-text digest of several changes (also the terminal `watcher report`)."""
    title = f"policy-watcher digest: {one_line(period_label)} — {_digest_counts(items)}"
    out = [title, "=" * min(len(title), 72), ""]
    if not items:
        out.append("No changes in this period.")
        return "\n".join(out) + "\n"
    ordered = _digest_order(items)
    for n, it in enumerate(ordered, 1):
        head = f"{n}. {one_line(it.watch)}: {summary_line(it.analysis)}"
        out += [head, "-" * min(len(head), 72)]
        out += _change_text_lines(
            it.watch,
            it.url,
            it.analysis,
            it.old,
            it.new,
            max_lines=DIGEST_DIFF_LINES,
            max_bytes=DIGEST_DIFF_BYTES,
            heading=False,
        )
        out.append("")
    return "\n".join(out)


def digest_html(items: Sequence[DigestItem], period_label: str) -> str:
    e = html.escape
    title = f"policy-watcher digest: {one_line(period_label)} — {_digest_counts(items)}"
    parts = [f'<h1 style="font-size:20px;margin:0 0 12px 0">{e(title)}</h1>']
    if not items:
        parts.append("<p>No changes in this period.</p>")
    for it in _digest_order(items):
        parts.append('<hr style="border:0;border-top:1px solid #d0d7de;margin:20px 0">')
        parts.append(
            _change_html_body(
                it.watch,
                it.url,
                it.analysis,
                it.old,
                it.new,
                max_lines=DIGEST_DIFF_LINES,
                max_bytes=DIGEST_DIFF_BYTES,
                heading="h2",
            )
        )
    return _html_page(title, "\n".join(parts), _FOOTER)


def digest_subject(items: Sequence[DigestItem], period_label: str) -> str:
    return one_line(
        f"{SUBJECT_PREFIX} digest {one_line(period_label, 40)}: {_digest_counts(items)}",
        SUBJECT_MAX,
    )


def build_digest_email(
    settings: EmailSettings,
    to: Sequence[str],
    items: Sequence[DigestItem],
    *,
    now: datetime,
    message_id: str,
    period_label: str,
) -> EmailMessage:
    """One message listing several changes, most severe first."""
    msg = _base_message(
        settings, to, digest_subject(items, period_label), now=now, message_id=message_id
    )
    return _fill(msg, digest_text(items, period_label), digest_html(items, period_label))


def build_test_email(
    settings: EmailSettings, to: Sequence[str], *, now: datetime, message_id: str
) -> EmailMessage:
    """The `watcher test-email` message: proves the SMTP settings work."""
    where = f"{one_line(settings.smtp_host)}:{settings.smtp_port} (security: {settings.security})"
    text = (
        "This is a test message from policy-watcher.\n\n"
        "If you can read it, e-mail delivery works: change reports will arrive like this.\n\n"
        f"Sent {_when(now)} via {where}"
        + (f" as {one_line(settings.username)}" if settings.username else "")
        + ".\n"
    )
    body = (
        '<h1 style="font-size:20px;margin:0 0 12px 0">policy-watcher test message</h1>'
        "<p>If you can read this, e-mail delivery works: change reports will arrive like this.</p>"
        f'<p style="{_S_META}">Sent {html.escape(_when(now))} via {html.escape(where)}'
        + (f" as {html.escape(one_line(settings.username))}" if settings.username else "")
        + ".</p>"
    )
    msg = _base_message(
        settings, to, f"{SUBJECT_PREFIX} test message", now=now, message_id=message_id
    )
    return _fill(msg, text, _html_page("policy-watcher test message", body, _FOOTER))


def build_alert_email(
    settings: EmailSettings,
    to: Sequence[str],
    watch: str,
    url: str,
    flip: str,
    error: str | None,
    *,
    now: datetime,
    message_id: str,
) -> EmailMessage:
    """A watch started failing (`flip="failing"`) or recovered (`flip="recovered"`)."""
    name = one_line(watch)
    cause = one_line(error, 500) if error else ""
    if flip == "recovered":
        subj = f"{SUBJECT_PREFIX} {one_line(watch, 60)}: checks work again"
        lines = [
            f"{name} can be checked again ({_when(now)}).",
            "",
            f"URL: {one_line(url)}",
            "",
            "Changes made while checks were failing are compared with the last good version.",
        ]
    else:
        subj = f"{SUBJECT_PREFIX} {one_line(watch, 60)}: checks failing" + (
            f" — {cause}" if cause else ""
        )
        lines = [
            f"{name} could not be checked several times in a row (as of {_when(now)}).",
            "",
            f"URL:        {one_line(url)}",
            f"Last error: {cause or '(unknown)'}",
            "",
            "Changes to this page are not being seen until it works again; policy-watcher keeps",
            "trying and will write once more when it recovers.",
            f"Try it by hand: watcher check {shell_name(watch)}",
        ]
    text = "\n".join(lines) + "\n"
    e = html.escape
    body = f'<h1 style="font-size:20px;margin:0 0 12px 0">{e(one_line(subj))}</h1>' + "".join(
        f"<p>{e(ln)}</p>" for ln in lines if ln
    )
    msg = _base_message(settings, to, one_line(subj, SUBJECT_MAX), now=now, message_id=message_id)
    return _fill(msg, text, _html_page(one_line(subj), body, _FOOTER))


# --------------------------------------------------------------------------------------------
# Atom

ATOM_NS = "http://www.w3.org/2005/Atom"


def _rfc3339(dt: datetime) -> str:
    return _utc(dt).strftime("%Y-%m-%dT%H:%M:%SZ")


def entry_id(change_id: int | str, authority: str = "policy-watcher.local") -> str:
    """Stable Atom entry id (RFC 4151 tag: URI) for a change."""
    specific = re.sub(r"[^A-Za-z0-9._~:/-]", lambda m: f"%{ord(m.group()):02X}", str(change_id))
    return f"tag:{authority},2024:change/{specific}"


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
    ordered = sorted(entries, key=lambda it: _utc(it.new.captured_at), reverse=True)
    for it in ordered:
        entry = sub(feed, "entry")
        sub(entry, "id", entry_id(it.change_id, tag_authority))
        sub(entry, "title", f"{one_line(it.watch)}: {summary_line(it.analysis)}")
        sub(entry, "updated", _rfc3339(it.new.captured_at))
        href = _safe_href(it.url)
        if href:
            sub(entry, "link", rel="alternate", type="text/html", href=href)
        findings = sorted_findings(it.analysis.findings)
        summary = one_line(it.analysis.summary) or (
            one_line(findings[0].summary) if findings else it.analysis.classification
        )
        sub(entry, "summary", summary, type="text")
        body = _change_html_body(
            it.watch,
            it.url,
            it.analysis,
            it.old,
            it.new,
            max_lines=DIGEST_DIFF_LINES,
            max_bytes=DIGEST_DIFF_BYTES,
            heading="h2",
        )
        sub(entry, "content", body, type="html")  # ElementTree escapes it
        if it.analysis.max_severity:
            sub(entry, "category", term=it.analysis.max_severity, scheme=f"urn:{PRODUCT}:severity")
        for kind in dict.fromkeys(one_line(f.kind) for f in findings if one_line(f.kind)):
            sub(entry, "category", term=kind, scheme=f"urn:{PRODUCT}:kind")
    ET.indent(feed)
    return ET.tostring(feed, encoding="unicode", xml_declaration=True) + "\n"


# --------------------------------------------------------------------------------------------
# JSON


def analysis_json(analysis: Analysis) -> dict[str, Any]:
    """A JSON-ready dict of the analysis, findings most severe first."""
    d = analysis.to_dict()
    d["max_severity"] = analysis.max_severity
    d["findings"] = [f.to_dict() for f in sorted_findings(analysis.findings)]
    return d
