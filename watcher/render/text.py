"""Plain-text reports (pure): one change, a digest of several, subjects."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from watcher.models import Analysis, Finding, VersionInfo
from watcher.render.common import (
    CHANGE_BUDGETS,
    DIGEST_BUDGET,
    EVIDENCE_MAX,
    FINDING_SUMMARY_MAX,
    OVERVIEW_MAX,
    SUBJECT_MAX,
    SUBJECT_PREFIX,
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
    severity_counts,
    shell_name,
    sorted_findings,
    split_findings,
    summary_line,
    value_text,
    version_label,
    when,
)


def _run_text(op: str, text: str) -> str:
    if op == "-":
        return f"[-{text}-]"
    if op == "+":
        return f"{{+{text}+}}"
    if op == "…":
        return f" … ({text})" if text else "…"
    return text


def _excerpt_text(ex: Excerpt, indent: str = "  ") -> list[str]:
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


# --------------------------------------------------------------------------------------------
# findings


def _finding_text(f: Finding, indent: str = "  ") -> list[str]:
    head = one_line(f.summary, FINDING_SUMMARY_MAX) or one_line(f.field, FINDING_SUMMARY_MAX)
    out = [f"{indent}[{f.severity.upper()}] {head}"]
    section = (f.detail or {}).get("section")
    if section:
        out.append(f'{indent}    in section: "{one_line(section, 120)}"')
    old, new = value_text(f.old), value_text(f.new)
    # a value that changed, unless the summary says it (no internal keys such as
    # "retention:account: 5 years -> 7 years"; added/removed ones and word counts neither)
    if (
        f.old is not None
        and f.new is not None
        and f.kind not in ("lint", "text_changed")
        and value_text(f.new) not in (f.summary or "")
    ):
        out.append(
            f"{indent}    {one_line(f.field) or one_line(f.kind)}: {one_line(old, 200)} -> {one_line(new, 200)}"
        )
    if f.evidence_old:
        out.append(f'{indent}    before: "{one_line(f.evidence_old, EVIDENCE_MAX)}"')
    if f.evidence_new:
        out.append(f'{indent}    after:  "{one_line(f.evidence_new, EVIDENCE_MAX)}"')
    return out


# --------------------------------------------------------------------------------------------
# one change


def _change_text_lines(
    watch: str,
    url: str,
    analysis: Analysis,
    old: VersionInfo,
    new: VersionInfo,
    *,
    budget: Budget = CHANGE_BUDGETS[0],
    heading: bool = True,
) -> list[str]:
    out: list[str] = []
    if heading:
        title = f"Policy change: {one_line(watch)}"
        out += [title, "=" * min(len(title), 72)]
    out += [
        f"URL:      {display_url(url)}",
        f"Versions: {version_label(old)} -> {version_label(new)}",
        f"Change:   {analysis.classification} (+{analysis.words_added} / -{analysis.words_removed} words)",
    ]
    summary = one_line(analysis.summary, SUMMARY_MAX)
    if summary:
        out.append(f"Summary:  {summary}")
    out.append("")
    command = diff_command(watch, old, new)
    shown, rest = split_findings(analysis.findings, budget.findings)
    if shown or rest:
        out.append(f"FINDINGS ({severity_counts(analysis.findings)})")
        for f in shown:
            out += _finding_text(f)
        if rest:
            out.append(f"  {rest_line(rest, command)}")
    else:
        out.append("FINDINGS: none recognised; see the text changes below.")
    out.append("")
    ex = excerpt(analysis.hunks, budget.diff_lines, budget.diff_bytes)
    if ex.hunks or ex.not_shown:
        out.append("TEXT CHANGES ([-removed-] {+added+})")
        out += _excerpt_text(ex)
        out.append("")
    out.append(f"Full diff: {command}")
    return out


def change_text(
    watch: str,
    url: str,
    analysis: Analysis,
    old: VersionInfo,
    new: VersionInfo,
    *,
    budget: Budget = CHANGE_BUDGETS[0],
) -> str:
    """Plain-text report of one change: header, findings (most severe first, up to the
    budget; the rest counted), diff excerpt."""
    return "\n".join(_change_text_lines(watch, url, analysis, old, new, budget=budget)) + "\n"


def subject(watch: str, analysis: Analysis) -> str:
    """`[policy-watcher] <watch>: <one-line summary>`, one line, at most ~150 characters."""
    return one_line(
        f"{SUBJECT_PREFIX} {one_line(watch, 60)}: {summary_line(analysis)}", SUBJECT_MAX
    )


def overview_lines(items: Sequence[DigestItem]) -> list[str]:
    """The digest's opening list: per watch, its most severe finding."""
    out = ["OVERVIEW (per watch, the most severe finding)"]
    rows = overview(items)
    for row in rows[:OVERVIEW_MAX]:
        n = f" ({row.changes} changes)" if row.changes > 1 else ""
        if row.worst is not None:
            what = f"[{row.worst.severity.upper()}] " + (
                one_line(row.worst.summary, 200) or one_line(row.worst.field, 200)
            )
        else:
            what = row.summary
        out.append(f"- {one_line(row.watch)}{n}: {what}")
    if len(rows) > OVERVIEW_MAX:
        out.append(f"- and {len(rows) - OVERVIEW_MAX} more watches")
    return out


def digest_text(
    items: Sequence[DigestItem], period_label: str, *, budget: Budget = DIGEST_BUDGET
) -> str:
    """Plain-text digest of several changes (also the terminal `watcher report`): an overview,
    then each change, most severe first (at most `budget.items` in full)."""
    title = f"policy-watcher digest: {one_line(period_label)} — {digest_counts(items)}"
    out = [title, "=" * min(len(title), 72), ""]
    if not items:
        out.append("No changes in this period.")
        return "\n".join(out) + "\n"
    out += overview_lines(items)
    out.append("")
    ordered = digest_order(items)
    limit = len(ordered) if budget.items is None else budget.items
    for n, it in enumerate(ordered[:limit], 1):
        head = f"{n}. {one_line(it.watch)}: {summary_line(it.analysis)}"
        out += [head, "-" * min(len(head), 72)]
        out += _change_text_lines(
            it.watch, it.url, it.analysis, it.old, it.new, budget=budget, heading=False
        )
        out.append("")
    if len(ordered) > limit:
        out.append(
            f"{len(ordered) - limit} more change(s) not shown in full; "
            "see `watcher report` or `watcher diff NAME OLD NEW`."
        )
    return "\n".join(out)


def digest_subject(items: Sequence[DigestItem], period_label: str) -> str:
    return one_line(
        f"{SUBJECT_PREFIX} digest {one_line(period_label, 40)}: {digest_counts(items)}",
        SUBJECT_MAX,
    )


def alert_lines(
    watch: str, url: str, flip: str, error: str | None, now: datetime
) -> tuple[str, list[str]]:
    """Subject and text lines saying a watch started failing (`flip="failing"`) or recovered."""
    name = one_line(watch)
    cause = one_line(error, 500) if error else ""
    if flip == "recovered":
        subj = f"{SUBJECT_PREFIX} {one_line(watch, 60)}: checks work again"
        lines = [
            f"{name} can be checked again ({when(now)}).",
            "",
            f"URL: {display_url(url)}",
            "",
            "Changes made while checks were failing are compared with the last good version.",
        ]
    else:
        subj = f"{SUBJECT_PREFIX} {one_line(watch, 60)}: checks failing" + (
            f" — {cause}" if cause else ""
        )
        lines = [
            f"{name} could not be checked several times in a row (as of {when(now)}).",
            "",
            f"URL:        {display_url(url)}",
            f"Last error: {cause or '(unknown)'}",
            "",
            "Changes to this page are not being seen until it works again; policy-watcher keeps",
            "trying and will write once more when it recovers.",
            f"Try it by hand: watcher check {shell_name(watch)}",
        ]
    return subj, lines


BRIEF_FINDINGS = 10  # findings listed in a chat notification; the rest are counted


def change_brief(
    watch: str, url: str, analysis: Analysis, old: VersionInfo, new: VersionInfo
) -> str:
    """A short plain-text report for chat channels: what changed, the most severe findings,
    how to see the rest (`watcher diff`)."""
    out = [
        f"{display_url(url)}",
        f"Versions {version_label(old)} -> {version_label(new)}; "
        f"{analysis.classification} (+{analysis.words_added} / -{analysis.words_removed} words)",
    ]
    summary = one_line(analysis.summary)
    if summary:
        out.append(summary)
    findings = sorted_findings(analysis.findings)
    if findings:
        out.append(f"Findings ({severity_counts(findings)}):")
        for f in findings[:BRIEF_FINDINGS]:
            out.append(f"- [{f.severity.upper()}] {one_line(f.summary, 300) or one_line(f.field)}")
        if len(findings) > BRIEF_FINDINGS:
            out.append(f"- and {len(findings) - BRIEF_FINDINGS} more")
    out.append(f"Full diff: {diff_command(watch, old, new)}")
    return "\n".join(out) + "\n"
