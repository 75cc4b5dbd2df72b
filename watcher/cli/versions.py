"""Commands that read stored versions: show, diff, search."""

from __future__ import annotations

import sys
from typing import Annotated, Any

import typer
from rich.table import Table

from watcher.cli.common import (
    App,
    JsonOpt,
    NameArg,
    fail,
    load_config,
    open_store,
    require_known,
)
from watcher.cli.output import (
    console,
    emit_json,
    iso_z,
    print_analysis,
    print_findings,
    when,
    write_text,
)
from watcher.textutil import shorten

app = App()


def get_version_or_fail(store: Any, name: str, version: int | None):  # noqa: ANN201
    v = store.get_version(name, version) if version is not None else store.latest_version(name)
    if v is None:
        what = f"version {version}" if version is not None else "any version"
        raise fail(f"{name} has no {what}; see `watcher history {name}`", 1)
    return v


@app.command()
def show(
    name: NameArg,
    version: Annotated[
        int | None, typer.Argument(metavar="VERSION", help="Version id (default latest).")
    ] = None,
    raw: Annotated[bool, typer.Option("--raw", help="The raw capture bytes.")] = False,
    facts: Annotated[bool, typer.Option("--facts", help="The facts extracted from it.")] = False,
    json_: JsonOpt = False,
) -> None:
    """The extracted text of a version (default latest); --raw the capture, --facts its facts."""
    from watcher.monitor import facts_of

    config = load_config()
    with open_store(config) as store:
        require_known(store, config, name)
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
            console.print("Lint", style="bold underline")
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
    write_text(v.text)


@app.command()
def diff(
    name: NameArg,
    old: Annotated[int | None, typer.Argument(metavar="OLD", help="Old version id.")] = None,
    new: Annotated[
        int | None, typer.Argument(metavar="NEW", help="New version id (default latest).")
    ] = None,
    json_: JsonOpt = False,
) -> None:
    """Findings, then the word-level diff, between two versions (default the last two)."""
    from watcher.analysis import findings as analyzer
    from watcher.monitor import facts_of

    config = load_config()
    with open_store(config) as store:
        require_known(store, config, name)
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
def search(
    query: Annotated[str, typer.Argument(metavar="QUERY", help="Words to find (FTS5 syntax).")],
    json_: JsonOpt = False,
    limit: Annotated[
        int, typer.Option("--limit", metavar="N", min=1, help="At most this many hits.")
    ] = 50,
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
