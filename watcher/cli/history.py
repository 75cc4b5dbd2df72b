"""Commands about a watch's past: history, backfill (from the Wayback Machine), reextract."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from watcher.cli.common import (
    App,
    JsonOpt,
    NameArg,
    NamesArg,
    fail,
    load_config,
    open_store,
    require_known,
    select_watches,
    version_number,
)
from watcher.cli.output import console, count, emit_json, err, iso_z, when

app = App()


@app.command()
def history(name: NameArg, json_: JsonOpt = False) -> None:
    """The versions of a watch, oldest first, with a change summary each.

    The version column is the number `show` and `diff` take (1 the oldest, -1 the latest).
    """
    config = load_config()
    store = open_store(config)
    try:
        require_known(store, config, name)
        versions = store.versions(name)
    finally:
        store.close()
    rows = [
        {
            "id": v.id,
            "n": v.n,
            "captured_at": iso_z(v.captured_at),
            "source": v.source,
            "sha256": v.sha256,
            "words": v.words,
            "language": v.language,
            "summary": v.summary or ("first version" if i == 0 else None),
            "technical": v.technical,
        }
        for i, v in enumerate(versions)
    ]
    if json_:
        emit_json(rows)
        return
    table = Table(title=f"History of {name}")
    for col in ("version", "captured (UTC)", "source", "words", "summary"):
        table.add_column(col)
    for r, v in zip(rows, versions, strict=True):
        summary = (r["summary"] or "") + (" [technical]" if v.technical else "")
        table.add_row(str(v.n), when(v.captured_at), v.source, str(v.words), summary)
    console.print(table)


@app.command()
def reextract(names: NamesArg = None, json_: JsonOpt = False) -> None:
    """Re-derive the latest version of each watch from its stored raw capture.

    Use after changing selectors or upgrading the extractor. A differing text becomes a
    version marked technical, never reported as a policy change.
    """
    from watcher.rederive import reextract_watch

    config = load_config()
    watches = select_watches(config, names or [])
    store = open_store(config)
    try:
        results = [reextract_watch(store, w, now=datetime.now(UTC)) for w in watches]
        numbers = [version_number(store, r.name, r.version) for r in results]
    finally:
        store.close()
    if json_:
        emit_json([r.__dict__ for r in results])
        return
    for r, n in zip(results, numbers, strict=True):
        console.print(
            f"{r.name}: {r.outcome}"
            + (f" (version {n})" if n else "")
            + (f": {r.detail}" if r.detail else "")
        )
    if any(r.outcome == "error" for r in results):
        raise typer.Exit(1)


@app.command()
def backfill(
    name: Annotated[
        str | None, typer.Argument(metavar="NAME", help="The watch to backfill.")
    ] = None,
    all_: Annotated[bool, typer.Option("--all", help="Every watch with backfill_since.")] = False,
    since: Annotated[
        str | None, typer.Option("--since", metavar="DATE", help="2015, 2015-06 or 2015-06-01.")
    ] = None,
    until: Annotated[
        str | None, typer.Option("--until", metavar="DATE", help="Same forms as --since.")
    ] = None,
    every: Annotated[
        str | None, typer.Option("--every", metavar="PERIOD", help="month, quarter or year.")
    ] = None,
    json_: JsonOpt = False,
) -> None:
    """Import a policy's past from the Wayback Machine (resumable, duplicate-free)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from watcher.cli.watches import make_context
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
    latest: dict[str, Any] = {}  # the running summary, to say what an interrupt kept
    try:
        for w in watches:
            latest.pop("summary", None)
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
                    latest["summary"] = so_far
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
    except KeyboardInterrupt:
        kept = latest.get("summary")
        done = sum(s.imported for s in summaries) + (kept.imported if kept else 0)
        err.print(
            Text(
                f"interrupted: {done} version(s) imported so far are kept; run the same "
                "command again to resume where it stopped",
                style="yellow",
            ),
            soft_wrap=True,
        )
        raise typer.Exit(130) from None
    finally:
        store.close()
    if json_:
        emit_json(summaries[0].to_dict() if not all_ else [s.to_dict() for s in summaries])
    else:
        for s in summaries:
            console.print(
                f"{s.name}: {count(s.captures, 'capture')}, {s.distinct} distinct, "
                f"{s.fetched} fetched, {s.imported} imported, {s.skipped} skipped "
                f"in {s.seconds:.1f}s" + ("" if not s.stopped else " — stopped early")
            )
            for e in s.errors:
                err.print(Text(f"  {s.name}: {e}", style="red"))
        console.print(f"See the history: watcher history {summaries[0].name}")
    if any(s.stopped for s in summaries):
        raise typer.Exit(1)
