"""The `watcher` command: a thin typer layer over the library. The only module that prints.

Every command that shows data has `--json` for scripts; people get rich tables.
Exit codes: 0 ok, 1 a watch/operation failed, 2 usage or config error.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from watcher import config as cfg
from watcher.models import (
    SEVERITY_RANK,
    Analysis,
    CheckResult,
    Document,
    Finding,
    Hunk,
    Watch,
    WatcherError,
)
from watcher.textutil import redact_credentials, shorten

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Watch privacy policies and terms pages; say what changed.",
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
)
console = Console()
err = Console(stderr=True)

# Options shared by several commands (one definition, one help text).
SelectOpt = Annotated[
    list[str] | None,
    typer.Option("--select", help="CSS selector for the policy body (repeatable)."),
]
RemoveOpt = Annotated[
    list[str] | None, typer.Option("--remove", help="CSS selector to drop (repeatable).")
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]

SEVERITY_STYLE = {"high": "bold red", "medium": "yellow", "low": "cyan", "info": "dim"}


class State:
    config_path: Path | None = None


state = State()


def fail(message: str, code: int = 2) -> typer.Exit:
    err.print(Text(f"error: {message}", style="red"))
    return typer.Exit(code)


def load_config() -> cfg.Config:
    try:
        return cfg.load(cfg.resolve_path(state.config_path))
    except cfg.ConfigError as e:
        raise fail(str(e)) from None


def open_store(config: cfg.Config):  # noqa: ANN201 - Store
    from watcher.storage.sqlite import Store, StoreError

    try:
        return Store(config.database, config.snapshots)
    except StoreError as e:
        raise fail(str(e), 1) from None


def emit_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n")


def when(dt: datetime | None) -> str:
    return dt.astimezone(UTC).strftime("%Y-%m-%d %H:%M") if dt else "-"


def iso_z(dt: datetime | None) -> str | None:
    from watcher.storage.sqlite import iso

    return iso(dt) if dt else None


@app.callback()
def main_options(
    config: Annotated[
        Path | None,
        typer.Option(
            "--config", "-c", help="Config file (default $WATCHER_CONFIG or ./config.toml)."
        ),
    ] = None,
) -> None:
    """policy-watcher: track privacy policies and report what changed."""
    state.config_path = config


# -- config commands ----------------------------------------------------------------------
@app.command()
def init(
    path: Annotated[Path, typer.Argument(help="Where to write the starter config.")] = Path(
        "config.toml"
    ),
) -> None:
    """Write a commented starter config."""
    if path.exists():
        raise fail(f"{path} already exists; not overwriting it")
    path.write_text(cfg.starter_text(), encoding="utf-8")
    console.print(f"Wrote {path}. Add a page with: watcher --config {path} add URL --name NAME")


@app.command()
def add(
    url: str,
    name: Annotated[str, typer.Option("--name", help="Unique name: a-z, 0-9, - and _.")],
    select: SelectOpt = None,
    remove: RemoveOpt = None,
    every: Annotated[str | None, typer.Option("--every", help="Check interval, e.g. 1d.")] = None,
) -> None:
    """Append a watch to the config file, keeping its comments."""
    from watcher.extract import check_selector

    path = cfg.resolve_path(state.config_path)
    if not cfg.NAME_RE.match(name):
        raise fail(f"--name {name!r}: use lower-case letters, digits, '-' or '_'")
    if not url.startswith(("http://", "https://")):
        raise fail(f"{url!r} is not an http(s) URL")
    for css in [*(select or []), *(remove or [])]:
        problem = check_selector(css)
        if problem:
            raise fail(problem)
    try:
        seconds = cfg.parse_duration(every, "--every") if every else None
        cfg.add_watch(
            path,
            Watch(
                name=name,
                url=url,
                select=tuple(select or ()),
                remove=tuple(remove or ()),
                every=seconds,
            ),
        )
    except (ValueError, cfg.ConfigError) as e:
        raise fail(str(e)) from None
    console.print(f"Added watch {name!r} ({url}) to {path}.")


# -- monitoring ---------------------------------------------------------------------------
def make_context(config: cfg.Config, store: Any):  # noqa: ANN201
    from watcher.pipeline import build_context

    return build_context(config, store)


def select_watches(config: cfg.Config, names: Sequence[str]) -> list[Watch]:
    if not names:
        return list(config.watches)
    try:
        return [config.watch(n) for n in names]
    except cfg.ConfigError as e:
        raise fail(str(e)) from None


def run_checks(config: cfg.Config, watches: Sequence[Watch]) -> list[CheckResult]:
    from watcher.runner import check_all

    open_store(config).close()  # a clear error (exit 1) before any worker starts
    return check_all(config, watches)


@app.command("list")
def list_(json_: JsonOpt = False) -> None:
    """Each watch with its last check, status, number of versions and last change."""
    config = load_config()
    store = open_store(config)
    statuses = store.watch_statuses([w.name for w in config.watches])
    store.close()
    rows = []
    for w, s in zip(config.watches, statuses, strict=True):
        rows.append(
            {
                "name": w.name,
                "url": redact_credentials(w.url),
                "last_check": iso_z(s.last_check),
                "status": "failing" if s.failing else (s.last_outcome or "never checked"),
                "error": s.last_error,
                "versions": s.versions,
                "last_change": iso_z(s.last_change),
                "every": config.interval(w),
            }
        )
    if json_:
        emit_json(rows)
        return
    table = Table(title=f"Watches in {config.path}")
    for col in ("name", "url", "last check", "status", "versions", "last change"):
        table.add_column(col)
    for r, s in zip(rows, statuses, strict=True):
        style = (
            "red"
            if r["status"] in ("error", "failing")
            else ("yellow" if r["status"] == "suspicious" else "")
        )
        table.add_row(
            r["name"],
            r["url"],
            when(s.last_check),
            Text(r["status"], style=style),
            str(r["versions"]),
            when(s.last_change),
        )
    console.print(table)


@app.command()
def check(
    names: Annotated[
        list[str] | None, typer.Argument(help="Watches to check (default all).")
    ] = None,
    json_: JsonOpt = False,
) -> None:
    """Fetch now, store, analyze. Exit 1 if any watch errored."""
    config = load_config()
    watches = select_watches(config, names or [])
    if not watches:
        raise fail(f"no watches in {config.path}; add one with `watcher add URL --name NAME`")
    results = run_checks(config, watches)
    if json_:
        emit_json([r.to_dict() for r in results])
    else:
        for r in results:
            print_check(r)
    if any(r.status == "error" for r in results):
        raise typer.Exit(1)


def print_check(r: CheckResult) -> None:
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
        line.append(f" (version {r.version})", style="dim")
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


# -- history and versions -----------------------------------------------------------------
@app.command()
def history(
    name: str,
    json_: JsonOpt = False,
) -> None:
    """The versions of a watch, oldest first, with a change summary each."""
    config = load_config()
    store = open_store(config)
    versions = store.versions(name)
    store.close()
    if not versions and name not in {w.name for w in config.watches}:
        raise fail(f"no watch named {name!r} in {config.path}")
    rows = [
        {
            "id": v.id,
            "captured_at": iso_z(v.captured_at),
            "source": v.source,
            "sha256": v.sha256,
            "words": v.words,
            "summary": v.summary or ("first version" if i == 0 else None),
            "technical": v.technical,
        }
        for i, v in enumerate(versions)
    ]
    if json_:
        emit_json(rows)
        return
    table = Table(title=f"History of {name}")
    for col in ("id", "captured (UTC)", "source", "words", "summary"):
        table.add_column(col)
    for r, v in zip(rows, versions, strict=True):
        summary = (r["summary"] or "") + (" [technical]" if v.technical else "")
        table.add_row(str(v.id), when(v.captured_at), v.source, str(v.words), summary)
    console.print(table)


def get_version_or_fail(store: Any, name: str, version: int | None):  # noqa: ANN201
    v = store.get_version(name, version) if version is not None else store.latest_version(name)
    if v is None:
        what = f"version {version}" if version is not None else "any version"
        raise fail(f"{name} has no {what}; see `watcher history {name}`", 1)
    return v


@app.command()
def show(
    name: str,
    version: Annotated[int | None, typer.Argument(help="Version id (default latest).")] = None,
    raw: Annotated[bool, typer.Option("--raw", help="The raw capture bytes.")] = False,
    facts: Annotated[bool, typer.Option("--facts", help="The facts extracted from it.")] = False,
    json_: JsonOpt = False,
) -> None:
    """The extracted text of a version (default latest); --raw the capture, --facts its facts."""
    from watcher.monitor import facts_of

    config = load_config()
    with open_store(config) as store:
        v = get_version_or_fail(store, name, version)
        if raw:
            if v.capture_id is None:
                raise fail(f"version {v.id} has no stored capture", 1)
            body = store.get_snapshot(store.get_capture(v.capture_id).raw_sha256)
        v_facts = facts_of(store, v) if facts else []
    if raw:
        sys.stdout.buffer.write(body)
        return
    if facts:
        from watcher.analysis import findings as analyzer

        lint = analyzer.lint(v.text, v_facts)
        if json_:
            emit_json(
                {
                    "version": v.id,
                    "facts": [f.to_dict() for f in v_facts],
                    "lint": [f.to_dict() for f in lint],
                }
            )
            return
        table = Table(title=f"Facts of {name} version {v.id} ({when(v.captured_at)})")
        for col in ("kind", "value", "detail", "evidence"):
            table.add_column(col, overflow="fold")
        for f in v_facts:
            detail = ", ".join(f"{k}={val}" for k, val in f.detail.items() if val not in (None, ""))
            table.add_row(f.kind, f.value, detail, shorten(f.evidence, 120))
        console.print(table)
        if lint:
            console.print(Text("Lint", style="bold underline"))
            print_findings(lint, indent="  ")
        return
    if json_:
        emit_json(
            {
                "id": v.id,
                "captured_at": iso_z(v.captured_at),
                "source": v.source,
                "sha256": v.sha256,
                "title": v.title,
                "language": v.language,
                "words": v.words,
                "text": v.text,
            }
        )
        return
    sys.stdout.write(v.text + ("\n" if not v.text.endswith("\n") else ""))


@app.command()
def diff(
    name: str,
    old: Annotated[int | None, typer.Argument(help="Old version id.")] = None,
    new: Annotated[int | None, typer.Argument(help="New version id (default latest).")] = None,
    json_: JsonOpt = False,
) -> None:
    """Findings, then the word-level diff, between two versions (default the last two)."""
    from watcher.analysis import findings as analyzer
    from watcher.monitor import facts_of

    config = load_config()
    with open_store(config) as store:
        versions = store.versions(name)
        if len(versions) < 2 and old is None:
            raise fail(f"{name} has {len(versions)} version(s); a diff needs two", 1)
        by_id = {v.id: v for v in versions}
        for vid in (old, new):
            if vid is not None and vid not in by_id:
                raise fail(f"{name} has no version {vid}; see `watcher history {name}`", 1)
        if old is None:
            a, b = versions[-2], versions[-1]
        else:
            a = by_id[old]
            b = by_id[new] if new is not None else versions[-1]
        a_facts, b_facts = facts_of(store, a), facts_of(store, b)
    analysis = analyzer.analyze(a.text, b.text, a_facts, b_facts, title=b.title)
    if json_:
        emit_json({"old": a.id, "new": b.id, **analysis.to_dict()})
        return
    print_analysis(
        analysis,
        f"{name}: version {a.id} ({when(a.captured_at)}) -> {b.id} ({when(b.captured_at)})",
    )


@app.command()
def compare(
    old_file: Path,
    new_file: Path,
    select: SelectOpt = None,
    remove: RemoveOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Analyze two local files (HTML, text, Markdown or PDF). Nothing is stored."""
    docs = [read_document(p, select or [], remove or []) for p in (old_file, new_file)]
    analysis = compare_documents(docs[0], docs[1])
    if json_:
        emit_json(analysis.to_dict())
        return
    print_analysis(analysis, f"{old_file} -> {new_file}")


def compare_documents(old: Document, new: Document) -> Analysis:
    """What `watcher compare` reports for two extracted documents (facts of each, then the
    analysis); scripts/eval_pairs.py measures exactly this."""
    from watcher import facts as fact_extractors
    from watcher.analysis import findings as analyzer

    fo = fact_extractors.extract_facts(old.text, old.language)
    fn = fact_extractors.extract_facts(new.text, new.language)
    return analyzer.analyze(old.text, new.text, fo, fn, title=new.title)


def content_type_for(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in (".html", ".htm", ".xhtml"):
        return "text/html"
    if suffix == ".pdf":
        return "application/pdf"
    if suffix in (".md", ".markdown", ".txt", ".text"):
        return "text/plain"
    return ""  # let the extractor sniff


def read_document(path: Path, select: Sequence[str], remove: Sequence[str]):  # noqa: ANN201
    from watcher import extract as extractor
    from watcher.models import ExtractError

    try:
        body = path.read_bytes()
    except OSError as e:
        raise fail(f"cannot read {path}: {e.strerror or e}") from None
    try:
        return extractor.extract(
            body, content_type=content_type_for(path) or None, select=select, remove=remove
        )
    except ExtractError as e:
        raise fail(f"{path}: {e}", 1) from None


@app.command()
def extract(
    target: Annotated[str, typer.Argument(help="A local file or an http(s) URL.")],
    select: SelectOpt = None,
    remove: RemoveOpt = None,
    json_: JsonOpt = False,
    render: Annotated[
        str,
        typer.Option(
            "--render",
            help='For a URL: "http", "browser" (headless Chromium) or "auto" (the browser '
            "when the page is a JavaScript shell).",
        ),
    ] = "auto",
) -> None:
    """Show what extraction yields for a file or URL, to tune selectors."""
    from watcher import DEFAULT_USER_AGENT
    from watcher import extract as extractor
    from watcher.models import FetchSettings

    if target.startswith(("http://", "https://")):
        from watcher.fetchers import NEEDS_JS_HINT, fetch_once
        from watcher.models import RENDER_MODES

        if render not in RENDER_MODES:
            raise fail(f"--render: {render!r} is not one of {', '.join(RENDER_MODES)}")
        try:
            cap = fetch_once(target, FetchSettings(user_agent=DEFAULT_USER_AGENT), render=render)
            if cap.needs_js:
                err.print(Text(f"{target}: {NEEDS_JS_HINT}", style="yellow"))
            doc = extractor.extract(
                cap.body,
                content_type=cap.content_type,
                charset=cap.charset,
                url=cap.url,
                select=select or [],
                remove=remove or [],
            )
        except WatcherError as e:
            raise fail(f"{target}: {e}", 1) from None
    else:
        doc = read_document(Path(target), select or [], remove or [])
    if json_:
        emit_json(
            {
                "title": doc.title,
                "language": doc.language,
                "encoding": doc.encoding,
                "words": doc.words,
                "text": doc.text,
            }
        )
        return
    sys.stdout.write(doc.text + "\n")
    sys.stdout.flush()  # the text first, then the summary line on stderr
    err.print(
        Text(f"title: {doc.title!r}  language: {doc.language}  words: {doc.words}", style="dim")
    )


@app.command()
def search(
    query: str,
    json_: JsonOpt = False,
    limit: Annotated[int, typer.Option("--limit", help="At most this many hits.")] = 50,
) -> None:
    """Full-text search across every stored version (SQLite FTS5)."""
    config = load_config()
    store = open_store(config)
    hits = store.search(query, limit=limit)
    store.close()
    if json_:
        emit_json(
            [
                {
                    "name": h.watch,
                    "version": h.version_id,
                    "captured_at": iso_z(h.captured_at),
                    "snippet": h.snippet,
                }
                for h in hits
            ]
        )
        return
    if not hits:
        console.print(f"No version mentions {query!r}.")
        return
    table = Table(title=f"Versions mentioning {query!r}")
    for col in ("watch", "version", "captured (UTC)", "snippet"):
        table.add_column(col, overflow="fold")
    for h in hits:
        table.add_row(h.watch, str(h.version_id), when(h.captured_at), " ".join(h.snippet.split()))
    console.print(table)


@app.command()
def reextract(
    names: Annotated[list[str] | None, typer.Argument(help="Watches (default all).")] = None,
    json_: JsonOpt = False,
) -> None:
    """Re-derive the latest version of each watch from its stored raw capture.

    Use after changing selectors or upgrading the extractor. A differing text becomes a
    version marked technical, never reported as a policy change.
    """
    from watcher.rederive import reextract_watch

    config = load_config()
    watches = select_watches(config, names or [])
    store = open_store(config)
    results = [reextract_watch(store, w, now=datetime.now(UTC)) for w in watches]
    store.close()
    if json_:
        emit_json([r.__dict__ for r in results])
        return
    for r in results:
        console.print(
            f"{r.name}: {r.outcome}"
            + (f" (version {r.version})" if r.version else "")
            + (f": {r.detail}" if r.detail else "")
        )
    if any(r.outcome == "error" for r in results):
        raise typer.Exit(1)


@app.command()
def backfill(
    name: Annotated[str | None, typer.Argument(help="The watch to backfill.")] = None,
    all_: Annotated[bool, typer.Option("--all", help="Every watch with backfill_since.")] = False,
    since: Annotated[
        str | None, typer.Option("--since", help="2015, 2015-06 or 2015-06-01.")
    ] = None,
    until: Annotated[str | None, typer.Option("--until", help="Same forms as --since.")] = None,
    every: Annotated[str | None, typer.Option("--every", help="month, quarter or year.")] = None,
    json_: JsonOpt = False,
) -> None:
    """Import a policy's past from the Wayback Machine (resumable, duplicate-free)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from watcher.wayback.backfill import run_backfill
    from watcher.wayback.cdx import parse_since

    if every not in (None, "month", "quarter", "year"):
        raise fail(f"--every {every!r}: use month, quarter or year")
    for label, value in (("--since", since), ("--until", until)):
        if value:
            try:
                parse_since(value)
            except ValueError as e:
                raise fail(f"{label}: {e}") from None
    if (name is None) == (not all_):
        raise fail("name one watch, or pass --all for every watch with backfill_since")
    config = load_config()
    if all_:
        watches = [w for w in config.watches if w.backfill_since]
        if not watches:
            raise fail(f"no watch in {config.path} sets backfill_since")
    else:
        watches = select_watches(config, [name])  # type: ignore[list-item]
    store = open_store(config)
    ctx = make_context(config, store)
    summaries = []
    try:
        for w in watches:
            with Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                console=err,
                disable=json_ or not err.is_terminal,
            ) as bar:
                task = bar.add_task(f"{w.name}: listing captures", total=None)

                def progress(
                    so_far: Any, stage: str, done: int, total: int, task=task, bar=bar, w=w
                ) -> None:
                    bar.update(
                        task,
                        description=f"{w.name}: {stage} — {so_far.captures} found, "
                        f"{so_far.fetched} fetched, {so_far.imported} imported",
                        completed=done,
                        total=total or None,
                    )

                s = run_backfill(
                    ctx,
                    w,
                    config.wayback,
                    since=since or w.backfill_since,
                    until=until,
                    every=every,
                    progress=progress,
                )
            summaries.append(s)
    finally:
        store.close()
    if json_:
        emit_json(summaries[0].to_dict() if not all_ else [s.to_dict() for s in summaries])
    else:
        for s in summaries:
            console.print(
                f"{s.name}: {_count(s.captures, 'capture')}, {s.distinct} distinct, "
                f"{s.fetched} fetched, {s.imported} imported, {s.skipped} skipped "
                f"in {s.seconds:.1f}s" + ("" if not s.stopped else " — stopped early")
            )
            for e in s.errors:
                err.print(Text(f"  {s.name}: {e}", style="red"))
        console.print(f"See the history: watcher history {summaries[0].name}")
    if any(s.stopped for s in summaries):
        raise typer.Exit(1)


def _count(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


@app.command()
def demo(
    workdir: Annotated[
        Path,
        typer.Option("--dir", help="Where to leave the demo files (a new or empty directory)."),
    ] = Path("demo-data"),
) -> None:
    """Run the whole job on 127.0.0.1: simulated days, a Wayback backfill, e-mails to an inbox."""
    from watcher.demo import Demo, DemoDirError, explore_hint

    console.print(
        Text(
            "policy-watcher demo: five real privacy policies served on 127.0.0.1, "
            "checked once per simulated day with the real pipeline.",
            style="bold",
        )
    )
    totals = {"new": 0, "changed": 0, "unchanged": 0, "error": 0, "suspicious": 0}
    try:
        demo_run = Demo(workdir).__enter__()
    except DemoDirError as e:
        raise fail(str(e)) from None
    try:
        for day in demo_run.days():
            console.rule(f"Day {day.day} ({day.at:%Y-%m-%d})")
            for r in day.results:
                totals[r.status] += 1
                print_check(r)
                if r.name in day.expected and r.status != "changed":
                    console.print(Text(f"  (page edit: {day.expected[r.name]})", style="dim"))
        console.rule("The past, the daemon, the inbox")
        end = demo_run.finish()
    finally:
        demo_run.__exit__(None, None, None)
    b = end.backfill
    console.print(
        f"backfill {end.backfill_watch} from the stand-in Wayback Machine: "
        f"{_count(b.captures, 'capture')}, {b.distinct} distinct, {b.fetched} fetched, "
        f"{b.imported} imported"
        + (f" (followed redirects to {', '.join(b.targets)})" if b.targets else "")
    )
    for e in b.errors:
        err.print(Text(f"  {end.backfill_watch}: {e}", style="red"))
    outcomes = ", ".join(f"{n}: {o}" for n, o in end.checks.items())
    console.print(f"one daemon cycle (watcher daemon --once): {outcomes}")
    console.print(
        f"{_count(len(end.mails), 'e-mail')} delivered to the demo's SMTP sink, saved in "
        f"{end.mail_dir}/ (each .eml with its HTML part):"
    )
    for m in end.mails:
        console.print(Text(f"  {m.eml.name}" + (f" + {m.html.name}" if m.html else "")))
        console.print(Text(f"      {m.subject}", style="dim"), overflow="ellipsis", no_wrap=True)
    console.rule("Done")
    console.print(", ".join(f"{k}: {v}" for k, v in totals.items()))
    console.print(f"The database and the e-mails are in {workdir}/. Explore them:")
    for line in explore_hint(workdir, invoked_as()):
        console.print(f"  {line}")
    if totals["error"] or b.errors or end.daemon_exit:
        raise typer.Exit(1)


# The daemon and e-mail commands live in their own module; importing it registers them.
from watcher.cli import mail as _cli_mail  # noqa: E402,F401


def invoked_as() -> str:
    """How the user ran us, so printed hints can be pasted back: `.venv/bin/watcher`..."""
    arg0 = Path(sys.argv[0])
    if arg0.name == "__main__.py":
        return "python -m watcher"
    if arg0.name == "watcher" and arg0.parent != Path():
        rel = os.path.relpath(arg0)
        return rel if not rel.startswith("..") else str(arg0)
    return "watcher"


def main() -> None:
    try:
        app()
    except WatcherError as e:
        err.print(Text(f"error: {e}", style="red"))
        sys.exit(1)
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    main()
