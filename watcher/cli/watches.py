"""Commands that manage the watch list and check it: init, add, list, check."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from watcher import config as cfg
from watcher.cli.common import (
    App,
    JsonOpt,
    NamesArg,
    RemoveOpt,
    SelectOpt,
    config_path,
    fail,
    load_config,
    open_store,
    select_watches,
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


def make_context(config: cfg.Config, store: Any):  # noqa: ANN201
    from watcher.pipeline import build_context

    return build_context(config, store)


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
def check(names: NamesArg = None, json_: JsonOpt = False) -> None:
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
