"""Commands across every watch: `findings` (every finding of every stored change, filtered or
counted) and `site` (the history as a static site)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from watcher import config as cfg
from watcher.cli.common import App, JsonOpt, fail, load_config, open_store
from watcher.cli.output import SEVERITY_STYLE, console, count, emit_json
from watcher.models import SEVERITY_RANK

app = App()

_DATE = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")


def parse_when(text: str, option: str, now: datetime | None = None) -> datetime:
    """A duration back from now (`7d`, `12h`, `4w`) or a date (`2024`, `2024-06`,
    `2024-06-01`, or a full ISO time) -> an aware UTC datetime."""
    now = now or datetime.now(UTC)
    value = (text or "").strip()
    m = _DATE.fullmatch(value)
    if m:
        year, month, day = int(m.group(1)), int(m.group(2) or 1), int(m.group(3) or 1)
        try:
            return datetime(year, month, day, tzinfo=UTC)
        except ValueError:
            raise fail(f"{option}: {value!r} is not a date") from None
    try:
        dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
        return dt if dt.tzinfo else dt.replace(tzinfo=UTC)
    except ValueError:
        pass
    try:
        return now - timedelta(seconds=cfg.parse_duration(value, option))
    except (ValueError, OverflowError):
        raise fail(
            f"{option}: {value!r} is neither a duration (7d, 12h, 4w) nor a date "
            "(2024, 2024-06, 2024-06-01)"
        ) from None


@app.command()
def findings(
    watch: Annotated[
        list[str] | None,
        typer.Option("--watch", "-w", metavar="NAME", help="Only this watch (repeatable)."),
    ] = None,
    kind: Annotated[
        list[str] | None,
        typer.Option("--kind", "-k", metavar="KIND", help="Only this kind, e.g. party_added."),
    ] = None,
    severity: Annotated[
        str | None,
        typer.Option("--severity", metavar="LEVEL", help="At least: info, low, medium, high."),
    ] = None,
    since: Annotated[
        str | None,
        typer.Option("--since", metavar="DUR|DATE", help="Changed since: 90d, 2024, 2024-06-01."),
    ] = None,
    until: Annotated[
        str | None, typer.Option("--until", metavar="DATE", help="Changed before this date.")
    ] = None,
    group_by: Annotated[
        str | None,
        typer.Option("--group-by", metavar="watch|kind", help="Print counts per watch or kind."),
    ] = None,
    limit: Annotated[
        int,
        typer.Option("--limit", min=0, metavar="N", help="At most this many findings (0 = all)."),
    ] = 0,
    json_: JsonOpt = False,
) -> None:
    """Every finding of every stored change, newest first by when the policy changed.

    The date is the capture date of the change's new version (so backfilled history sorts by
    when the policy changed); `recorded` is when the change was stored."""
    if severity is not None and severity not in SEVERITY_RANK:
        raise fail(f"--severity: {severity!r} is not one of {', '.join(SEVERITY_RANK)}")
    if group_by is not None and group_by not in ("watch", "kind"):
        raise fail(f"--group-by: {group_by!r} is not 'watch' or 'kind'")
    start = parse_when(since, "--since") if since else None
    end = parse_when(until, "--until") if until else None
    config = load_config()
    store = open_store(config)
    try:
        filters = {
            "watches": list(watch or []),
            "kinds": list(kind or []),
            "min_severity": severity,
            "since": start,
            "until": end,
        }
        if group_by:
            groups = store.count_findings(group_by, **filters)
        else:
            rows = store.query_findings(**filters, limit=limit or None)
    finally:
        store.close()
    if group_by:
        if json_:
            emit_json([{"key": k, "count": n} for k, n in groups])
            return
        table = Table(title=f"Findings per {group_by}")
        table.add_column(group_by)
        table.add_column("findings", justify="right")
        for k, n in groups:
            table.add_row(Text(k), f"{n:,}")
        console.print(table)
        return
    if json_:
        emit_json([r.to_dict() for r in rows])
        return
    if not rows:
        console.print("No findings match.")
        return
    console.print(
        Text(f"{count(len(rows), 'finding')}, newest first by capture date", style="bold")
    )
    for r in rows:
        f = r.finding
        line = Text()
        line.append(f"{r.captured_at.astimezone(UTC):%Y-%m-%d}  ")
        line.append(r.watch, style="bold")
        line.append(f"  {r.old_n}→{r.new_n}  ")
        line.append(f"{f.severity.upper():<6}", style=SEVERITY_STYLE.get(f.severity, ""))
        line.append(f"  {f.summary}")
        line.append(f"  ({f.kind})", style="dim")
        console.print(line, soft_wrap=True)


@app.command()
def site(
    directory: Annotated[Path, typer.Argument(metavar="DIR", help="Folder to write the site in.")],
    json_: JsonOpt = False,
) -> None:
    """Write the history as a static site: an index of watches, a page per watch (timeline and
    plot) and per change (findings, side-by-side diff), and the Atom feed. No JavaScript; open
    DIR/index.html from disk or serve the folder."""
    from watcher.sitegen import SiteError, build_site

    config = load_config()
    store = open_store(config)
    try:
        names = {w.name: w.url for w in (*config.watches, *config.paused)}
        for name, url in store.watch_urls().items():
            names.setdefault(name, url)  # watches removed from the config keep their pages
        try:
            result = build_site(store, sorted(names.items()), directory)
        except SiteError as e:
            raise fail(str(e), 1) from None
    finally:
        store.close()
    if json_:
        emit_json(
            {
                "directory": str(result.directory),
                "watches": result.watches,
                "versions": result.versions,
                "changes": result.changes,
                "files": result.files,
            }
        )
        return
    console.print(
        f"Wrote {count(result.files, 'file')} ({result.watches} watch(es), "
        f"{count(result.changes, 'change')}) to {result.directory}; "
        f"open {result.directory / 'index.html'}",
        soft_wrap=True,
    )
