"""What every renderer shares (pure): hostile-text cleaning, labels, findings order, the
word-diff excerpt model, and the `DigestItem` a digest or feed lists.

Everything that comes from a fetched page (findings' summaries and evidence, diff words, titles)
is treated as hostile: control characters are removed everywhere (`clean`, `one_line`); each
output module escapes for its own format (html.escape, single-line headers, ElementTree).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from watcher.models import SEVERITY_RANK, Analysis, Finding, Hunk, VersionInfo
from watcher.textutil import neutralise, redact_credentials, shorten

PRODUCT = "policy-watcher"
SUBJECT_PREFIX = "[policy-watcher]"
SUBJECT_MAX = 150

DIFF_MAX_LINES = 40
DIFF_MAX_BYTES = 4096
CONTEXT_WORDS = 8  # unchanged words kept on each side of a change in the excerpt
CHANGE_MAX_WORDS = 60  # longest removed/inserted run shown before eliding
EVIDENCE_MAX = 400  # characters of one evidence sentence

_WS = re.compile(r"\s+")

# --------------------------------------------------------------------------------------------
# small helpers


def clean(text: Any) -> str:
    """Text without control or bidi-override characters (keeps newlines and tabs): what must
    never reach a terminal, a header or an XML document (`watcher.textutil.neutralise`)."""
    return neutralise(text)


def one_line(text: Any, limit: int | None = None) -> str:
    """Collapse all whitespace (CR/LF included) to single spaces; trim to `limit` chars."""
    s = clean(text)
    return shorten(s, limit) if limit is not None else _WS.sub(" ", s).strip()


def utc(dt: datetime) -> datetime:
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)


def when(dt: datetime) -> str:
    return utc(dt).strftime("%Y-%m-%d %H:%M UTC")


def version_label(v: VersionInfo) -> str:
    src = " (Wayback Machine)" if v.source == "wayback" else ""
    return f"#{v.n or v.id} of {when(v.captured_at)}{src}"


def value_text(v: Any) -> str:
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
    # the watch's own version numbers, what `watcher diff` takes (ids only when not known)
    return f"watcher diff {shell_name(watch)} {old.n or old.id} {new.n or new.id}"


def severity_counts(findings: Iterable[Finding]) -> str:
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
Run = tuple[str, str]


def _merge_runs(words: Sequence[tuple[str, str]]) -> list[Run]:
    """Concatenate word tokens into runs.

    diff.py keeps whitespace as tokens, so runs are plain concatenations; if the tokens come
    without whitespace, single spaces are put between words (outside the change markers).
    """
    keeps_space = any(t[:1].isspace() or t[-1:].isspace() for _, t in words if t)
    sep = "" if keeps_space else " "
    out: list[Run] = []
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


def _compact(runs: list[Run]) -> list[Run]:
    """Keep changes, a few words of context around them; elide long runs."""
    out: list[Run] = []
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


def _split_lines(runs: list[Run]) -> list[list[Run]]:
    lines: list[list[Run]] = [[]]
    for op, text in runs:
        pieces = text.split("\n")
        for j, piece in enumerate(pieces):
            if j:
                lines.append([])
            if piece or op == "…":
                lines[-1].append((op, piece))
    return [ln for ln in lines if ln and any(t.strip() or o == "…" for o, t in ln)]


@dataclass
class Excerpt:
    hunks: list[tuple[str, list[list[Run]]]]  # (header, lines)
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


def _hunk_runs(h: Hunk) -> list[Run]:
    words = [(op, clean(t)) for op, t in h.words]
    if not words:
        old = "\n".join(clean(x) for x in h.old_lines)
        new = "\n".join(clean(x) for x in h.new_lines)
        words = [("-", old)] if old else []
        if new:
            words += [("=", "\n")] if old else []
            words += [("+", new)]
    return _compact(_merge_runs(words))


def _line_len(line: list[Run]) -> int:
    return sum(len(t.encode("utf-8")) + 4 for _, t in line)


def excerpt(hunks: Sequence[Hunk], max_lines: int, max_bytes: int) -> Excerpt:
    shown: list[tuple[str, list[list[Run]]]] = []
    lines_used = 0
    bytes_used = 0
    truncated = False
    for idx, h in enumerate(hunks):
        header = _hunk_header(h)
        body = _split_lines(_hunk_runs(h))
        if not body:
            continue
        if lines_used + 2 > max_lines or bytes_used + len(header) + 8 > max_bytes:
            return Excerpt(shown, len(hunks) - idx, truncated)
        lines_used += 1
        bytes_used += len(header) + 8
        kept: list[list[Run]] = []
        for line in body:
            size = _line_len(line)
            if lines_used + 1 > max_lines or bytes_used + size > max_bytes:
                if not kept:  # at least part of one line, cut to the byte budget
                    room = max(max_bytes - bytes_used, 200)
                    cut: list[Run] = []
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
            return Excerpt(shown, len(hunks) - idx - 1, True)
    return Excerpt(shown, 0, False)


def display_url(url: str) -> str:
    """A watch URL as reports show it: one line, credentials masked (`user:***@`)."""
    return redact_credentials(one_line(url))


def safe_href(url: str) -> str | None:
    """The URL if it is a plain http(s) link, else None (no javascript:, data:...)."""
    u = display_url(url)
    try:
        parts = urlsplit(u)
    except ValueError:
        return None
    return u if parts.scheme in ("http", "https") and parts.netloc else None


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


def digest_order(items: Sequence[DigestItem]) -> list[DigestItem]:
    """Most severe first, then oldest capture first (stable)."""
    return sorted(
        items,
        key=lambda it: (
            -SEVERITY_RANK.get(it.analysis.max_severity or "", -1),
            utc(it.new.captured_at),
        ),
    )


def digest_counts(items: Sequence[DigestItem]) -> str:
    n = len(items)
    s = f"{n} change{'s' if n != 1 else ''}"
    high = sum(1 for it in items if it.analysis.max_severity == "high")
    if high:
        s += f" ({high} high)"
    return s


DIGEST_DIFF_LINES = 12
DIGEST_DIFF_BYTES = 1500

# -- keeping reports deliverable ---------------------------------------------------------------
# A change of 20,000 findings must still give a message a mail server accepts: reports list the
# most severe findings first up to a budget and count the rest, pointing to `watcher diff`;
# e-mail building tries ever smaller budgets until the message fits MAX_MESSAGE_BYTES.

MAX_MESSAGE_BYTES = 1_000_000  # a whole e-mail, encoded (most servers accept 10-25 MB)
SUMMARY_MAX = 1000  # characters of a change's summary line
FINDING_SUMMARY_MAX = 300  # characters of one finding's summary
OVERVIEW_MAX = 200  # watches listed in a digest's overview


@dataclass(frozen=True)
class Budget:
    """How much of a change a report shows in full."""

    findings: int = 100  # findings listed per change (most severe first)
    diff_lines: int = DIFF_MAX_LINES
    diff_bytes: int = DIFF_MAX_BYTES
    items: int | None = None  # changes shown in full in a digest (None: all)


CHANGE_BUDGETS = (Budget(), Budget(25, 20, 2048), Budget(5, 8, 800), Budget(0, 0, 0))
DIGEST_BUDGET = Budget(15, DIGEST_DIFF_LINES, DIGEST_DIFF_BYTES, 200)
DIGEST_BUDGETS = (
    DIGEST_BUDGET,
    Budget(5, 6, 800, 50),
    Budget(2, 0, 0, 10),
    Budget(0, 0, 0, 0),
)


def split_findings(findings: Iterable[Finding], limit: int) -> tuple[list[Finding], list[Finding]]:
    """(shown, not shown): the `limit` most severe findings, and the rest."""
    ordered = sorted_findings(findings)
    return ordered[: max(limit, 0)], ordered[max(limit, 0) :]


def rest_line(rest: Sequence[Finding], command: str) -> str:
    """One line counting the findings a report leaves out, by severity and by kind."""
    kinds: dict[str, int] = {}
    for f in rest:
        label = one_line(f.kind).replace("_", " ") or "other"
        kinds[label] = kinds.get(label, 0) + 1
    top = sorted(kinds.items(), key=lambda kv: -kv[1])[:3]
    by_kind = ", ".join(f"{k} {n:,}" for k, n in top)
    more = ", ..." if len(kinds) > 3 else ""
    n = len(rest)
    return (
        f"{n:,} more finding{'s' if n != 1 else ''} not shown ({severity_counts(rest)}; "
        f"{by_kind}{more}); see them all with: {command}"
    )


@dataclass(frozen=True)
class OverviewRow:
    """One watch in a digest's overview: its changes and its most severe finding."""

    watch: str
    changes: int
    worst: Finding | None
    summary: str  # the summary line of its most severe change


def overview(items: Sequence[DigestItem]) -> list[OverviewRow]:
    """Per watch, most severe first: how many changes and the most severe finding."""
    rows: dict[str, OverviewRow] = {}
    for it in digest_order(items):
        top = sorted_findings(it.analysis.findings)[:1]
        row = rows.get(it.watch)
        if row is None:
            rows[it.watch] = OverviewRow(
                it.watch, 1, top[0] if top else None, summary_line(it.analysis)
            )
        else:
            worst = row.worst
            if top and (
                worst is None
                or SEVERITY_RANK.get(top[0].severity, 0) > SEVERITY_RANK.get(worst.severity, 0)
            ):
                worst = top[0]
            rows[it.watch] = OverviewRow(it.watch, row.changes + 1, worst, row.summary)
    return list(rows.values())
