"""HTML reports (pure): inline CSS only (e-mail clients drop <style>), all page text escaped."""

from __future__ import annotations

import html
from collections.abc import Sequence

from watcher.models import Analysis, Finding, VersionInfo
from watcher.render.common import (
    CHANGE_BUDGETS,
    DIGEST_BUDGET,
    EVIDENCE_MAX,
    FINDING_SUMMARY_MAX,
    OVERVIEW_MAX,
    SUMMARY_MAX,
    Budget,
    DigestItem,
    Excerpt,
    diff_command,
    digest_counts,
    digest_order,
    display_url,
    excerpt,
    one_line,
    overview,
    rest_line,
    safe_href,
    severity_counts,
    split_findings,
    value_text,
    version_label,
)

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


def _excerpt_html(ex: Excerpt) -> str:
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


def _finding_html(f: Finding) -> str:
    color = _SEV_COLOR.get(f.severity, "#57606a")
    e = html.escape
    rows = [
        f'<span style="{_S_TAG.format(color=color)}">{e(f.severity.upper())}</span> '
        f"<strong>{e(one_line(f.summary, FINDING_SUMMARY_MAX) or one_line(f.field, FINDING_SUMMARY_MAX))}</strong>"
    ]
    section = (f.detail or {}).get("section")
    if section:
        rows.append(
            f'<div style="{_S_EVID}">In section &ldquo;{e(one_line(section, 120))}&rdquo;</div>'
        )
    # a value that changed, unless the summary says it (no internal keys such as
    # "retention:account: 5 years -> 7 years"; added/removed ones and word counts neither)
    if (
        f.old is not None
        and f.new is not None
        and f.kind not in ("lint", "text_changed")
        and value_text(f.new) not in (f.summary or "")
    ):
        rows.append(
            f'<div style="{_S_EVID}">{e(one_line(f.field) or one_line(f.kind))}: '
            f'<del style="{_S_DEL}">{e(one_line(value_text(f.old), 200))}</del> &rarr; '
            f'<ins style="{_S_INS}">{e(one_line(value_text(f.new), 200))}</ins></div>'
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


def change_html_body(
    watch: str,
    url: str,
    analysis: Analysis,
    old: VersionInfo,
    new: VersionInfo,
    *,
    budget: Budget = CHANGE_BUDGETS[0],
    heading: str = "h1",
) -> str:
    e = html.escape
    href = safe_href(url)
    url_html = (
        f'<a href="{e(href, quote=True)}" style="color:#0969da">{e(display_url(url))}</a>'
        if href
        else e(display_url(url))
    )
    size = "20px" if heading == "h1" else "17px"
    parts = [
        f'<{heading} style="font-size:{size};margin:0 0 6px 0">Policy change: {e(one_line(watch))}</{heading}>',
        f'<p style="{_S_META}">{url_html}<br>'
        f"Version {e(version_label(old))} &rarr; {e(version_label(new))}<br>"
        f"Change: <strong>{e(analysis.classification)}</strong> "
        f"(+{int(analysis.words_added)} / &minus;{int(analysis.words_removed)} words)</p>",
    ]
    summary = one_line(analysis.summary, SUMMARY_MAX)
    if summary:
        parts.append(f'<p style="margin:0 0 12px 0"><strong>{e(summary)}</strong></p>')
    command = diff_command(watch, old, new)
    shown, rest = split_findings(analysis.findings, budget.findings)
    if shown or rest:
        counts = severity_counts(analysis.findings)
        parts.append(f'<h2 style="{_S_H2}">Findings ({e(counts)})</h2>')
        parts += [_finding_html(f) for f in shown]
        if rest:
            parts.append(f'<p style="{_S_META}">{e(rest_line(rest, command))}</p>')
    else:
        parts.append(
            f'<p style="{_S_META}">No findings recognised; see the text changes below.</p>'
        )
    ex = excerpt(analysis.hunks, budget.diff_lines, budget.diff_bytes)
    if ex.hunks or ex.not_shown:
        parts.append(f'<h2 style="{_S_H2}">Text changes</h2>')
        parts.append(_excerpt_html(ex))
    parts.append(f'<p style="{_S_META}">Full diff: <code style="{_S_CODE}">{e(command)}</code></p>')
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
    watch: str,
    url: str,
    analysis: Analysis,
    old: VersionInfo,
    new: VersionInfo,
    *,
    budget: Budget = CHANGE_BUDGETS[0],
) -> str:
    """HTML report of one change (inline CSS only; all page-derived text escaped)."""
    body = change_html_body(watch, url, analysis, old, new, budget=budget)
    return _html_page(f"Policy change: {one_line(watch)}", body, _FOOTER)


def overview_html(items: Sequence[DigestItem]) -> str:
    """The digest's opening list: per watch, its most severe finding."""
    e = html.escape
    rows = overview(items)
    lis = []
    for row in rows[:OVERVIEW_MAX]:
        n = f" ({row.changes} changes)" if row.changes > 1 else ""
        if row.worst is not None:
            color = _SEV_COLOR.get(row.worst.severity, "#57606a")
            what = (
                f'<span style="{_S_TAG.format(color=color)}">{e(row.worst.severity.upper())}</span> '
                + e(one_line(row.worst.summary, 200) or one_line(row.worst.field, 200))
            )
        else:
            what = e(row.summary)
        lis.append(f"<li><strong>{e(one_line(row.watch))}</strong>{e(n)}: {what}</li>")
    if len(rows) > OVERVIEW_MAX:
        lis.append(f"<li>and {len(rows) - OVERVIEW_MAX} more watches</li>")
    return (
        f'<h2 style="{_S_H2}">Overview (per watch, the most severe finding)</h2>'
        f'<ul style="margin:0 0 12px 0;padding-left:20px">{"".join(lis)}</ul>'
    )


def digest_html(
    items: Sequence[DigestItem], period_label: str, *, budget: Budget = DIGEST_BUDGET
) -> str:
    e = html.escape
    title = f"policy-watcher digest: {one_line(period_label)} — {digest_counts(items)}"
    parts = [f'<h1 style="font-size:20px;margin:0 0 12px 0">{e(title)}</h1>']
    if not items:
        parts.append("<p>No changes in this period.</p>")
    else:
        parts.append(overview_html(items))
    ordered = digest_order(items)
    limit = len(ordered) if budget.items is None else budget.items
    for it in ordered[:limit]:
        parts.append('<hr style="border:0;border-top:1px solid #d0d7de;margin:20px 0">')
        parts.append(
            change_html_body(
                it.watch, it.url, it.analysis, it.old, it.new, budget=budget, heading="h2"
            )
        )
    if len(ordered) > limit:
        parts.append(
            f'<p style="{_S_META}">{len(ordered) - limit} more change(s) not shown in full; '
            "see <code>watcher report</code> or <code>watcher diff NAME OLD NEW</code>.</p>"
        )
    return _html_page(title, "\n".join(parts), _FOOTER)
