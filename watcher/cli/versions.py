"""Commands that read stored versions: show, diff, search."""

from __future__ import annotations

import sys
from collections.abc import Sequence
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
    version_number,
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


def pick_version(versions: Sequence[Any], name: str, ref: int | None):  # noqa: ANN201
    """Version `ref` of a watch: 1, 2, 3 ... from the oldest, -1 the latest, -2 the one before;
    None the latest. Out of range is bad input (exit 2)."""
    if not versions:
        raise fail(f"{name} has no versions yet; run `watcher check {name}`", 1)
    if ref is None:
        return versions[-1]
    if ref == 0 or abs(ref) > len(versions):
        raise fail(
            f"{name} has no version {ref}: its versions are 1 to {len(versions)} "
            f"(-1 is the latest); see `watcher history {name}`"
        )
    return versions[ref - 1] if ref > 0 else versions[ref]


VersionArg = Annotated[
    int | None,
    typer.Argument(
        metavar="VERSION",
        help="The watch's version number: 1 the oldest, -1 the latest (default), -2 the one before.",
        show_default=False,
    ),
]


@app.command()
def show(
    name: NameArg,
    version: VersionArg = None,
    raw: Annotated[bool, typer.Option("--raw", help="The raw capture bytes.")] = False,
    facts: Annotated[bool, typer.Option("--facts", help="The facts extracted from it.")] = False,
    json_: JsonOpt = False,
) -> None:
    """The extracted text of a version (default latest); --raw the capture, --facts its facts."""
    from watcher.monitor import facts_of

    config = load_config()
    with open_store(config) as store:
        require_known(store, config, name)
        v = pick_version(store.versions(name), name, version)
        if raw:
            if v.capture_id is None:
                raise fail(f"{name} version {v.n} has no stored capture", 1)
            body = store.get_snapshot(store.get_capture(v.capture_id).raw_sha256)
        v_facts = facts_of(store, v) if facts else []
    if raw:
        if sys.stdout.isatty():
            raise fail("--raw writes the capture's bytes; redirect them to a file (> page.html)")
        sys.stdout.buffer.write(body)
        return
    if facts:
        from watcher.analysis import findings as analyzer

        lint = analyzer.lint(v.text, v_facts)
        if json_:
            emit_json(
                {
                    "version": v.id,
                    "n": v.n,
                    "facts": [f.to_dict() for f in v_facts],
                    "lint": [f.to_dict() for f in lint],
                }
            )
            return
        table = Table(title=f"Facts of {name} version {v.n} ({when(v.captured_at)})")
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
                "n": v.n,
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
    old: Annotated[
        int | None,
        typer.Argument(
            metavar="OLD",
            help="Old version number (default the one before NEW).",
            show_default=False,
        ),
    ] = None,
    new: Annotated[
        int | None,
        typer.Argument(
            metavar="NEW", help="New version number (default the latest).", show_default=False
        ),
    ] = None,
    json_: JsonOpt = False,
) -> None:
    """Findings, then the word-level diff, between two versions (default the last two).

    Versions are the watch's own numbers (see `watcher history NAME`): `diff NAME 1 2`,
    `diff NAME -2 -1`.
    """
    from watcher.analysis import findings as analyzer
    from watcher.monitor import facts_of

    config = load_config()
    with open_store(config) as store:
        require_known(store, config, name)
        versions = store.versions(name)
        if old is None and len(versions) < 2:
            raise fail(f"{name} has {len(versions)} version(s); a diff needs two", 1)
        b = pick_version(versions, name, new)
        if old is None:
            if b.n < 2:
                raise fail(f"{name} version {b.n} is the first; nothing before it to compare")
            a = versions[b.n - 2]
        else:
            a = pick_version(versions, name, old)
        a_facts, b_facts = facts_of(store, a), facts_of(store, b)
    analysis = analyzer.analyze(a.text, b.text, a_facts, b_facts, title=b.title)
    if json_:
        emit_json({"old": a.id, "new": b.id, "old_n": a.n, "new_n": b.n, **analysis.to_dict()})
        return
    print_analysis(
        analysis,
        f"{name}: version {a.n} ({when(a.captured_at)}) -> {b.n} ({when(b.captured_at)})",
    )


@app.command()
def search(
    query: Annotated[str, typer.Argument(metavar="QUERY", help="Words to find (FTS5 syntax).")],
    json_: JsonOpt = False,
    limit: Annotated[
        int, typer.Option("--limit", metavar="N", min=1, max=10_000, help="At most this many hits.")
    ] = 50,
) -> None:
    """Full-text search across every stored version (SQLite FTS5)."""
    config = load_config()
    store = open_store(config)
    try:
        hits = store.search(query, limit=limit)
        numbers = {
            (h.watch, h.version_id): version_number(store, h.watch, h.version_id) for h in hits
        }
    finally:
        store.close()
    if json_:
        emit_json(
            [
                {
                    "name": h.watch,
                    "version": h.version_id,
                    "n": numbers[h.watch, h.version_id],
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
        table.add_row(
            h.watch,
            str(numbers[h.watch, h.version_id]),
            when(h.captured_at),
            " ".join(h.snippet.split()),
        )
    console.print(table)
