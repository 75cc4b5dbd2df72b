"""Plain-text reports (pure): one change, a digest of several, subjects."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from watcher.models import Analysis, Finding, VersionInfo
from watcher.render.common import (
    DIFF_MAX_BYTES,
    DIFF_MAX_LINES,
    DIGEST_DIFF_BYTES,
    DIGEST_DIFF_LINES,
    EVIDENCE_MAX,
    SUBJECT_MAX,
    SUBJECT_PREFIX,
    DigestItem,
    Excerpt,
    diff_command,
    digest_counts,
    digest_order,
    excerpt,
    one_line,
    severity_counts,
    shell_name,
    sorted_findings,
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
    out = [f"{indent}[{f.severity.upper()}] {one_line(f.summary) or one_line(f.field)}"]
    old, new = value_text(f.old), value_text(f.new)
    # a value that changed (added/removed ones and word counts are in the summary already)
    if f.old is not None and f.new is not None and f.kind not in ("lint", "text_changed"):
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
        f"Versions: {version_label(old)} -> {version_label(new)}",
        f"Change:   {analysis.classification} (+{analysis.words_added} / -{analysis.words_removed} words)",
    ]
    summary = one_line(analysis.summary)
    if summary:
        out.append(f"Summary:  {summary}")
    out.append("")
    findings = sorted_findings(analysis.findings)
    if findings:
        out.append(f"FINDINGS ({severity_counts(findings)})")
        for f in findings:
            out += _finding_text(f)
    else:
        out.append("FINDINGS: none recognised; see the text changes below.")
    out.append("")
    ex = excerpt(analysis.hunks, max_lines, max_bytes)
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


def subject(watch: str, analysis: Analysis) -> str:
    """`[policy-watcher] <watch>: <one-line summary>`, one line, at most ~150 characters."""
    return one_line(
        f"{SUBJECT_PREFIX} {one_line(watch, 60)}: {summary_line(analysis)}", SUBJECT_MAX
    )


def digest_text(items: Sequence[DigestItem], period_label: str) -> str:
    """Plain-text digest of several changes (also the terminal `watcher report`)."""
    title = f"policy-watcher digest: {one_line(period_label)} — {digest_counts(items)}"
    out = [title, "=" * min(len(title), 72), ""]
    if not items:
        out.append("No changes in this period.")
        return "\n".join(out) + "\n"
    ordered = digest_order(items)
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
            f"URL: {one_line(url)}",
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
            f"URL:        {one_line(url)}",
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
        f"{one_line(url)}",
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
