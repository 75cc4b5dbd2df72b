"""Everything the CLI prints goes through here: two rich consoles that never read page text as
markup or emoji codes, and that neutralise control and bidi-override characters in every piece
of text they write (`watcher.textutil.neutralise`), plus the shared printers of checks, findings
and diffs.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from rich.console import Console
from rich.segment import Segment
from rich.text import Text

from watcher.models import SEVERITY_RANK, Analysis, CheckResult, Finding, Hunk
from watcher.textutil import escape_unsafe_json, neutralise, shorten

SEVERITY_STYLE = {"high": "bold red", "medium": "yellow", "low": "cyan", "info": "dim"}


class SafeConsole(Console):
    """A rich console for hostile text: no markup, no emoji codes, no highlighting, and every
    text segment neutralised just before it is written (rich's own styling is added after)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(markup=False, emoji=False, highlight=False, **kwargs)

    def _render_buffer(self, buffer: Iterable[Segment]) -> str:
        return super()._render_buffer(
            seg if seg.control else Segment(neutralise(seg.text), seg.style, seg.control)
            for seg in buffer
        )


console = SafeConsole()
err = SafeConsole(stderr=True)


def write_text(text: str) -> None:
    """Plain text to stdout (a version's text, a digest), neutralised, ending in a newline."""
    text = neutralise(text)
    sys.stdout.write(text + ("" if text.endswith("\n") else "\n"))
    sys.stdout.flush()


def emit_json(data: Any) -> None:
    """JSON on stdout; unsafe characters are \\u-escaped, so the data stays exact."""
    text = json.dumps(data, indent=2, ensure_ascii=False, default=str)
    sys.stdout.write(escape_unsafe_json(text) + "\n")


def when(dt: datetime | None) -> str:
    return dt.astimezone(UTC).strftime("%Y-%m-%d %H:%M") if dt else "-"


def iso_z(dt: datetime | None) -> str | None:
    from watcher.storage.sqlite import iso

    return iso(dt) if dt else None


def count(n: int, word: str) -> str:
    """`1 capture`, `2,431 captures`."""
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def print_check(r: CheckResult, number: int | None = None) -> None:
    """One line per check; `number` is the watch's own version number when known."""
    style = {
        "new": "green",
        "changed": "bold magenta",
        "unchanged": "dim",
        "error": "red",
        "suspicious": "yellow",
    }[r.status]
    line = Text(f"{r.name}: ", style="bold")
    line.append(r.status, style=style)
    if r.version is not None:
        line.append(f" (version {number if number is not None else r.version})", style="dim")
    if r.error:
        line.append(f": {r.error}")
    elif r.summary and r.status == "changed":
        line.append(f": {r.summary}")
    console.print(line)
    if r.status == "changed":
        print_findings(r.findings, indent="  ")


def print_findings(findings: Sequence[Finding], indent: str = "") -> None:
    if not findings:
        console.print(f"{indent}(no findings)", style="dim")
        return
    for f in sorted(findings, key=lambda f: -SEVERITY_RANK.get(f.severity, 0)):
        line = Text(indent)
        line.append(f"[{f.severity}] ", style=SEVERITY_STYLE.get(f.severity, ""))
        line.append(f.summary)
        section = (f.detail or {}).get("section")
        if section:
            line.append(f"  (in '{shorten(section, 80)}')", style="dim")
        console.print(line)
        for label, ev in (("was", f.evidence_old), ("now", f.evidence_new)):
            if ev and f.kind != "text_changed":
                console.print(Text(f"{indent}    {label}: {shorten(ev, 220)}", style="dim"))


def print_hunks(hunks: Sequence[Hunk], limit: int = 60) -> None:
    for shown, h in enumerate(hunks):
        if shown >= limit:
            console.print(f"… {len(hunks) - shown} more changed regions", style="dim")
            break
        console.print(Text(f"@@ line {h.old_start} -> {h.new_start} @@", style="cyan"))
        if h.words:
            plain = console.no_color or console.color_system is None
            text = Text("  ")
            for op, word in h.words:
                if op == "-":
                    text.append(f"[-{word}-]" if plain else word, style="bold red strike")
                elif op == "+":
                    text.append(f"{{+{word}+}}" if plain else word, style="bold green")
                else:
                    text.append(word)
            console.print(text)
        else:
            for line in h.old_lines:
                console.print(Text("- " + line, style="red"))
            for line in h.new_lines:
                console.print(Text("+ " + line, style="green"))


def print_analysis(a: Analysis, header: str) -> None:
    console.print(Text(header, style="bold"))
    console.print(
        Text(f"{a.classification}: {a.summary}", style="bold magenta" if a.changed else "dim")
    )
    console.print()
    console.print(Text("Findings", style="bold underline"))
    print_findings(a.findings, indent="  ")
    if a.hunks:
        console.print()
        console.print(
            Text(
                f"Text changes (+{a.words_added} / -{a.words_removed} words)",
                style="bold underline",
            )
        )
        print_hunks(a.hunks)
