"""Commands that store nothing: compare two files, extract one page (to tune selectors), demo."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.text import Text

from watcher import config as cfg
from watcher.cli.common import (
    App,
    JsonOpt,
    RemoveOpt,
    SelectOpt,
    fail,
    load_config,
    page_warnings,
    state,
    unknown_watch,
)
from watcher.cli.output import (
    console,
    count,
    emit_json,
    err,
    print_analysis,
    print_check,
    write_text,
)
from watcher.models import Analysis, Document, Watch, WatcherError

app = App()


@app.command()
def compare(
    old_file: Annotated[Path, typer.Argument(metavar="OLD_FILE", help="The earlier document.")],
    new_file: Annotated[Path, typer.Argument(metavar="NEW_FILE", help="The later document.")],
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
    target: Annotated[
        str,
        typer.Argument(metavar="TARGET", help="A watch's name, an http(s) URL or a local file."),
    ],
    select: SelectOpt = None,
    remove: RemoveOpt = None,
    save: Annotated[
        bool,
        typer.Option(
            "--save", help="Write --select/--remove into the watch's config (keeps comments)."
        ),
    ] = False,
    json_: JsonOpt = False,
    render: Annotated[
        str | None,
        typer.Option(
            "--render",
            metavar="MODE",
            help='"http", "browser" (headless Chromium) or "auto" (the browser when the page '
            "is a JavaScript shell); default the watch's own, or auto.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Show what extraction yields, to tune selectors (nothing is stored).

    For a watch it fetches the watch's own URL with its selectors; --select/--remove try
    others, --save writes them into the config. The text goes to stdout, a summary line and
    any warning (several documents on one page, a JavaScript shell) to stderr.
    """
    from watcher.extract import check_selector
    from watcher.models import RENDER_MODES

    if render is not None and render not in RENDER_MODES:
        raise fail(f"--render: {render!r} is not one of {', '.join(RENDER_MODES)}")
    watch = _watch_target(target)
    if save and watch is None:
        raise fail("--save needs a watch's name as TARGET (it writes that watch's selectors)")
    if watch is not None:
        selects = list(select) if select is not None else list(watch.select)
        removes = list(remove) if remove is not None else list(watch.remove)
        for css in [*selects, *removes]:
            problem = check_selector(css)
            if problem:
                raise fail(problem)
        doc, cap = _extract_url(watch.url, selects, removes, render, watch=watch)
        page = (cap.body, cap.content_type, cap.charset, cap.url, selects, removes)
    elif target.startswith(("http://", "https://")):
        doc, cap = _extract_url(target, select or [], remove or [], render)
        page = (cap.body, cap.content_type, cap.charset, cap.url, select or [], remove or [])
    else:
        path = Path(target)
        if not path.exists() and cfg.NAME_RE.fullmatch(target):
            config = load_config()
            raise unknown_watch(target, config)
        doc = read_document(path, select or [], remove or [])
        body = path.read_bytes()
        page = (body, content_type_for(path) or None, None, None, select or [], remove or [])
    warnings = page_warnings(*page, name=watch.name if watch else None)
    if json_:
        emit_json(
            {
                "title": doc.title,
                "language": doc.language,
                "encoding": doc.encoding,
                "words": doc.words,
                "text": doc.text,
                "warnings": warnings,
            }
        )
    else:
        write_text(doc.text)  # the text first, then the summary line on stderr
        err.print(
            Text(
                f"title: {doc.title!r}  language: {doc.language}  words: {doc.words}",
                style="dim",
            ),
            soft_wrap=True,
        )
        for w in warnings:
            err.print(Text(f"warning: {w}", style="yellow"), soft_wrap=True)
    if save and watch is not None:
        from watcher import configedit

        try:
            configedit.set_selectors(
                cfg.resolve_path(state.config_path), watch.name, selects, removes
            )
        except cfg.ConfigError as e:
            raise fail(str(e)) from None
        err.print(
            Text(
                f"Saved select = {selects} and remove = {removes} for {watch.name!r}; "
                f"`watcher reextract {watch.name}` re-derives its latest version with them.",
                style="green",
            ),
            soft_wrap=True,
        )


def _watch_target(target: str) -> Watch | None:
    """The configured watch `target` names, or None when it is a URL or an existing file."""
    if target.startswith(("http://", "https://")) or Path(target).exists():
        return None
    if not cfg.NAME_RE.fullmatch(target):
        return None
    path = cfg.resolve_path(state.config_path)
    if not path.exists():
        return None
    config = load_config()
    for w in (*config.watches, *config.paused):
        if w.name == target:
            return w
    return None


def _extract_url(
    url: str,
    select: Sequence[str],
    remove: Sequence[str],
    render: str | None,
    watch: Watch | None = None,
) -> tuple[Any, Any]:
    """Fetch `url` as the watch would be (its render mode, TLS and redirect settings) and
    extract it with these selectors."""
    from watcher import DEFAULT_USER_AGENT
    from watcher import extract as extractor
    from watcher.fetchers import NEEDS_JS_HINT, fetch_once
    from watcher.models import FetchSettings

    settings = load_config().fetch if watch is not None else FetchSettings(DEFAULT_USER_AGENT)
    mode = render or (watch.render if watch is not None else "auto")
    try:
        cap = fetch_once(
            url,
            settings,
            render=mode,
            expand=watch.expand if watch is not None else False,
            allow_private=watch.allow_private if watch is not None else False,
            verify=watch.verify_tls if watch is not None else True,
        )
        if cap.needs_js:  # (a shell served as is: page_warnings says so)
            err.print(Text(f"hint: {NEEDS_JS_HINT}", style="yellow"), soft_wrap=True)
        doc = extractor.extract(
            cap.body,
            content_type=cap.content_type,
            charset=cap.charset,
            url=cap.url,
            select=select,
            remove=remove,
        )
    except WatcherError as e:
        name = f"{watch.name}: " if watch else ""
        raise fail(f"{name}{url}: {e}", 1) from None
    return doc, cap


@app.command()
def demo(
    workdir: Annotated[
        Path,
        typer.Option(
            "--dir", metavar="DIR", help="Where to leave the demo files (a new or empty directory)."
        ),
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
        f"{count(b.captures, 'capture')}, {b.distinct} distinct, {b.fetched} fetched, "
        f"{b.imported} imported"
        + (f" (followed redirects to {', '.join(b.targets)})" if b.targets else "")
    )
    for e in b.errors:
        err.print(Text(f"  {end.backfill_watch}: {e}", style="red"))
    outcomes = ", ".join(f"{n}: {o}" for n, o in end.checks.items())
    console.print(f"one daemon cycle (watcher daemon --once): {outcomes}")
    console.print(
        f"{count(len(end.mails), 'e-mail')} delivered to the demo's SMTP sink, saved in "
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


def invoked_as() -> str:
    """How the user ran us, so printed hints can be pasted back: `.venv/bin/watcher`..."""
    arg0 = Path(sys.argv[0])
    if arg0.name == "__main__.py":
        return "python -m watcher"
    if arg0.name == "watcher" and arg0.parent != Path():
        rel = os.path.relpath(arg0)
        return rel if not rel.startswith("..") else str(arg0)
    return "watcher"
