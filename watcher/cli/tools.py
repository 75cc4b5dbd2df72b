"""Commands that store nothing: compare two files, extract one page (to tune selectors), demo."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated

import typer
from rich.text import Text

from watcher.cli.common import App, JsonOpt, RemoveOpt, SelectOpt, fail
from watcher.cli.output import (
    console,
    count,
    emit_json,
    err,
    print_analysis,
    print_check,
    write_text,
)
from watcher.models import Analysis, Document, WatcherError

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
        str, typer.Argument(metavar="TARGET", help="A local file or an http(s) URL.")
    ],
    select: SelectOpt = None,
    remove: RemoveOpt = None,
    json_: JsonOpt = False,
    render: Annotated[
        str,
        typer.Option(
            "--render",
            metavar="MODE",
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
    write_text(doc.text)  # the text first, then the summary line on stderr
    err.print(
        Text(f"title: {doc.title!r}  language: {doc.language}  words: {doc.words}", style="dim")
    )


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
