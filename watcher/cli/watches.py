"""Commands that manage the watch list and check it: init, add, remove, pause, resume, list,
check."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from watcher import config as cfg
from watcher import configedit
from watcher.cli.common import (
    App,
    JsonOpt,
    NameArg,
    NamesArg,
    RemoveOpt,
    SelectOpt,
    config_path,
    fail,
    load_config,
    open_store,
    page_warnings,
    require_known,
    select_watches,
    unknown_watch,
    version_number,
)
from watcher.cli.output import console, emit_json, iso_z, print_check, when
from watcher.models import CheckResult, Watch
from watcher.textutil import redact_credentials

app = App()


@app.command()
def init(
    path: Annotated[
        Path, typer.Argument(metavar="PATH", help="Where to write the starter config.")
    ] = Path("config.toml"),
) -> None:
    """Write a commented starter config."""
    if path.exists():
        raise fail(f"{path} already exists; not overwriting it")
    path.write_text(cfg.starter_text(), encoding="utf-8")
    console.print(f"Wrote {path}. Add a page with: watcher --config {path} add URL --name NAME")


@app.command()
def add(
    url: Annotated[str, typer.Argument(metavar="URL", help="The page's http(s) address.")],
    name: Annotated[
        str, typer.Option("--name", metavar="NAME", help="Unique name: a-z, 0-9, - and _.")
    ],
    select: SelectOpt = None,
    remove: RemoveOpt = None,
    every: Annotated[
        str | None, typer.Option("--every", metavar="DURATION", help="Check interval, e.g. 1d.")
    ] = None,
) -> None:
    """Append a watch to the config file, keeping its comments."""
    from watcher.extract import check_selector

    path = config_path()
    if not cfg.NAME_RE.fullmatch(name):
        raise fail(f"--name {name!r}: use lower-case letters, digits, '-' or '_'")
    if not url.startswith(("http://", "https://")):
        raise fail(f"{url!r} is not an http(s) URL")
    for css in [*(select or []), *(remove or [])]:
        problem = check_selector(css)
        if problem:
            raise fail(problem)
    try:
        seconds = cfg.parse_duration(every, "--every") if every else None
        configedit.add_watch(
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


@app.command()
def remove(
    name: NameArg,
    purge: Annotated[
        bool, typer.Option("--purge", help="Also delete its history from the database.")
    ] = False,
) -> None:
    """Remove a watch from the config (its history stays, unless --purge)."""
    config = load_config()
    known = {w.name for w in (*config.watches, *config.paused)}
    if name not in known:
        if not purge:
            raise unknown_watch(name, config)
        store = open_store(config)  # a watch removed earlier: --purge still deletes its history
        try:
            require_known(store, config, name)
            deleted = store.delete_watch(name)
        finally:
            store.close()
        console.print(f"Deleted the history of {name!r} ({deleted} version(s)).")
        return
    try:
        configedit.remove_watch(config.path, name)
    except cfg.ConfigError as e:
        raise fail(str(e)) from None
    if not purge:
        console.print(
            f"Removed {name!r} from {config.path}; its history stays in the database "
            f"(`watcher history {name}`; `watcher remove {name} --purge` deletes it)."
        )
        return
    store = open_store(config)
    try:
        deleted = store.delete_watch(name)
    finally:
        store.close()
    console.print(f"Removed {name!r} from {config.path} and deleted its {deleted} version(s).")


def _set_enabled(name: str, enabled: bool) -> None:
    config = load_config()
    if name not in {w.name for w in (*config.watches, *config.paused)}:
        raise unknown_watch(name, config)
    try:
        changed = configedit.set_enabled(config.path, name, enabled)
    except cfg.ConfigError as e:
        raise fail(str(e)) from None
    state_word = "resumed" if enabled else "paused (enabled = false)"
    if not changed:
        console.print(f"{name!r} is already {'enabled' if enabled else 'paused'}.")
    else:
        console.print(
            f"{name!r} {state_word} in {config.path}."
            + " A running daemon picks this up on SIGHUP."
        )


@app.command()
def pause(name: NameArg) -> None:
    """Stop checking a watch (`enabled = false` in the config); history is kept."""
    _set_enabled(name, False)


@app.command()
def resume(name: NameArg) -> None:
    """Check a paused watch again."""
    _set_enabled(name, True)


def make_context(config: cfg.Config, store: Any):  # noqa: ANN201
    from watcher.pipeline import build_context

    return build_context(config, store)


def run_checks(config: cfg.Config, watches: Sequence[Watch]) -> list[CheckResult]:
    from watcher.runner import check_all

    return check_all(config, watches)


@app.command("list")
def list_(json_: JsonOpt = False) -> None:
    """Each watch with its last check, status, number of versions and last change."""
    config = load_config()
    store = open_store(config)
    every_watch = [*config.watches, *config.paused]
    statuses = store.watch_statuses([w.name for w in every_watch])
    store.close()
    rows = []
    for w, s in zip(every_watch, statuses, strict=True):
        status = "failing" if s.failing else (s.last_outcome or "never checked")
        rows.append(
            {
                "name": w.name,
                "url": redact_credentials(w.url),
                "enabled": w.enabled,
                "last_check": iso_z(s.last_check),
                "status": status if w.enabled else "paused",
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
    # the watch column takes what the others leave: its name, then its URL folded onto as
    # many lines as it needs (never cut to "http://127.…"); the short columns never wrap
    table.add_column("watch", overflow="fold", ratio=1, min_width=20)
    for col in ("last check", "status", "versions", "last change"):
        table.add_column(col, no_wrap=True)
    for r, s in zip(rows, statuses, strict=True):
        style = (
            "red"
            if r["status"] in ("error", "failing")
            else ("yellow" if r["status"] in ("suspicious", "paused") else "")
        )
        watch = Text(r["name"], style="bold")
        watch.append("\n" + r["url"], style="dim")
        table.add_row(
            watch,
            when(s.last_check),
            Text(r["status"], style=style),
            str(r["versions"]),
            when(s.last_change),
        )
    console.print(table)


@app.command()
def check(names: NamesArg = None, json_: JsonOpt = False) -> None:
    """Fetch now, store, analyze; say what was queued for e-mail. Exit 1 if any watch errored."""
    config = load_config()
    watches = select_watches(config, names or [])
    if not watches:
        raise fail(f"no watches in {config.path}; add one with `watcher add URL --name NAME`")
    store = open_store(config)  # a clear error (exit 1) before any worker starts
    try:
        pending = {m.id for m in store.outbox()}
    finally:
        store.close()
    results = run_checks(config, watches)
    store = open_store(config)
    try:
        queued = [m for m in store.outbox() if m.id not in pending]
        numbers = [version_number(store, r.name, r.version) for r in results]
        by_name = {w.name: w for w in watches}
        first = {
            r.name: first_version_lines(store, by_name[r.name])
            for r in results
            if r.status == "new" or (r.status == "suspicious" and r.version is None)
        }
    finally:
        store.close()
    if json_:
        emit_json([r.to_dict() for r in results])
    else:
        for r, n in zip(results, numbers, strict=True):
            print_check(r, n)
            for line, style in first.get(r.name, ()):
                console.print(Text(line, style=style), soft_wrap=True)
        print_queued(config, results, queued)
    if any(r.status == "error" for r in results):
        raise typer.Exit(1)


def first_version_lines(store: Any, watch: Watch) -> list[tuple[str, str]]:
    """What the first check of a watch stored, to catch a wrong page early: its title and
    size, and a warning when the page holds several documents (with the selector to fix it)
    or looks like a JavaScript shell (also when nothing could be stored from it)."""
    v = store.latest_version(watch.name)
    lines = []
    if v is not None:
        lines.append((f"  title: {v.title or '(none)'}; {v.words:,} words", "dim"))
        capture = store.get_capture(v.capture_id) if v.capture_id is not None else None
    else:
        capture = store.latest_capture(watch.name)
    if capture is not None:
        body = store.get_snapshot(capture.raw_sha256)
        for w in page_warnings(
            body,
            capture.content_type,
            capture.charset,
            capture.url,
            watch.select,
            watch.remove,
            name=watch.name,
        ):
            lines.append((f"  warning: {w}", "yellow"))
    return lines


def print_queued(config: cfg.Config, results: Sequence[CheckResult], queued: Sequence[Any]) -> None:
    """One line saying what the check put in the outbox (or why nothing)."""
    changed = sum(r.status == "changed" for r in results)
    if queued:
        held = sum(m.status == "held" for m in queued)
        now = [m for m in queued if m.status != "held"]
        mails = sum(m.channel == "email" for m in now)
        others = len(now) - mails
        parts = []
        if mails:
            parts.append(f"{mails} e-mail{'s' if mails != 1 else ''} queued")
        if others:
            names = ", ".join(sorted({m.channel for m in now if m.channel != "email"}))
            parts.append(f"{others} notification{'s' if others != 1 else ''} queued ({names})")
        if held:
            parts.append(f"{held} held for the next digest")
        console.print(", ".join(parts) + " (the daemon sends them; or `watcher outbox retry`).")
        return
    if not changed:
        return
    if config.email is None and not config.channels:
        console.print(
            Text(
                f"No e-mail queued: {config.path} has no [email] table and no [[channel]].",
                style="dim",
            )
        )
        return
    thresholds = [config.email.min_severity] if config.email else []
    thresholds += [c.min_severity for c in config.channels]
    console.print(
        Text(
            "No e-mail queued: no change reached min_severity "
            + " / ".join(repr(t) for t in dict.fromkeys(thresholds))
            + " (or the changes were cosmetic).",
            style="yellow",
        )
    )


@app.command("import")
def import_(
    files: Annotated[
        list[Path],
        typer.Argument(
            metavar="FILE...", help="urlwatch urls.yaml or Open Terms Archive declaration JSON."
        ),
    ],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show what would be added; change nothing.")
    ] = False,
) -> None:
    """Add watches from urlwatch's urls.yaml or Open Terms Archive declarations.

    The format is read from the content. URLs and CSS selectors are mapped; what cannot be
    (xpath, text filters, range selectors...) is listed. Watches are appended to the config
    keeping its comments; a URL already watched is skipped.
    """
    from dataclasses import replace

    from watcher import importers
    from watcher.extract import check_selector

    config = load_config()
    existing = (*config.watches, *config.paused)
    watched = {w.url for w in existing}
    taken = {w.name for w in existing}
    added: list[importers.Imported] = []
    skipped: list[str] = []
    for path in files:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as e:
            raise fail(f"cannot read {path}: {getattr(e, 'strerror', None) or e}") from None
        try:
            result = importers.parse(text, str(path))
        except importers.ImportFormatError as e:
            raise fail(str(e)) from None
        skipped += [f"{path}: {s}" for s in result.skipped]
        for item in result.watches:
            if item.watch.url in watched:
                skipped.append(f"{path}: {item.origin}: {item.watch.url} is already watched")
                continue
            watched.add(item.watch.url)
            for key in ("select", "remove"):
                good = []
                for css in getattr(item.watch, key):
                    problem = check_selector(css)
                    if problem:
                        item.notes.append(f"{key}: {problem}")
                    else:
                        good.append(css)
                item.watch = replace(item.watch, **{key: tuple(good)})
            item.origin = f"{path}: {item.origin}"
            added.append(item)
    importers.unique_names(added, taken)
    if added and not dry_run:
        try:
            configedit.add_watches(config.path, [i.watch for i in added])
        except cfg.ConfigError as e:
            raise fail(str(e)) from None
    verb = "Would add" if dry_run else "Added"
    for item in added:
        w = item.watch
        line = Text(f"{verb} {w.name} ", style="bold")
        line.append(w.url)
        if w.select:
            line.append(f"  select {list(w.select)}", style="dim")
        if w.remove:
            line.append(f"  remove {list(w.remove)}", style="dim")
        console.print(line, soft_wrap=True)
        console.print(Text(f"  from {item.origin}", style="dim"), soft_wrap=True)
        for note in item.notes:
            console.print(Text(f"  not mapped: {note}", style="yellow"), soft_wrap=True)
    for s in skipped:
        console.print(Text(f"Skipped {s}", style="yellow"), soft_wrap=True)
    where = "" if dry_run else f" to {config.path}"
    console.print(
        f"{len(added)} watch(es) {'to add' if dry_run else 'added'}{where}, {len(skipped)} skipped.",
        soft_wrap=True,
    )
