"""What every command shares: the global options, config and database access, one-line errors
(exit 2 for bad input, 1 for a failed operation) and the shared argument/option types."""

from __future__ import annotations

import re
import shlex
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.text import Text
from typer.core import TyperArgument, TyperCommand

from watcher import config as cfg
from watcher.cli.output import err

if TYPE_CHECKING:
    from watcher.models import Watch

# Options shared by several commands (one definition, one help text, a readable metavar).
SelectOpt = Annotated[
    list[str] | None,
    typer.Option("--select", metavar="CSS", help="CSS selector for the policy body (repeatable)."),
]
RemoveOpt = Annotated[
    list[str] | None,
    typer.Option("--remove", metavar="CSS", help="CSS selector to drop (repeatable)."),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]
NameArg = Annotated[str, typer.Argument(metavar="NAME", help="The watch's name.")]
NamesArg = Annotated[
    list[str] | None,
    typer.Argument(metavar="NAME", help="Watches (default all).", show_default=False),
]


_NEGATIVE = re.compile(r"-[0-9]+")


class Command(TyperCommand):
    """A command whose arguments show their metavar in help (not typer's `<list[str]>`), and
    that takes a negative number (`-1`, `-2`) as an argument when it is not one of its options."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for p in self.params:
            if isinstance(p, TyperArgument):
                p.display_type_rich = lambda ctx: None  # type: ignore[method-assign]

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        known = {o for p in self.get_params(ctx) for o in (*p.opts, *p.secondary_opts)}
        tokens = args[: args.index("--")] if "--" in args else args
        negatives = [a for a in tokens if _NEGATIVE.fullmatch(a) and a not in known]
        others = [
            a
            for a in tokens
            if a.startswith("-") and a not in negatives and a.split("=", 1)[0] not in known
        ]
        if negatives and not others:
            ctx.ignore_unknown_options = True  # the parser keeps `-1` as an argument
        return super().parse_args(ctx, args)


class App(typer.Typer):
    """A typer app whose commands are `Command`s."""

    def command(self, *args: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("cls", Command)
        return super().command(*args, **kwargs)


class State:
    config_path: Path | None = None


state = State()


def fail(message: str, code: int = 2) -> typer.Exit:
    """Print one `error:` line; raise the returned Exit (2 bad input/config, 1 failed work)."""
    err.print(Text(f"error: {message}", style="red"), soft_wrap=True)
    return typer.Exit(code)


def config_path() -> Path:
    return cfg.resolve_path(state.config_path)


def load_config() -> cfg.Config:
    try:
        return cfg.load(config_path())
    except cfg.ConfigError as e:
        raise fail(str(e)) from None


def open_store(config: cfg.Config):  # noqa: ANN201 - Store
    from watcher.storage.sqlite import Store, StoreError

    try:
        return Store(config.database, config.snapshots)
    except StoreError as e:
        raise fail(str(e), 1) from None


def unknown_watch(name: str, config: cfg.Config) -> typer.Exit:
    """The one error every command gives for a name that is neither configured nor stored."""
    return fail(f"no watch named {name!r} in {config.path}; see `watcher list`")


def select_watches(config: cfg.Config, names: Sequence[str]) -> list[Watch]:
    """The named watches (paused ones too: naming a watch checks it), or every active one."""
    if not names:
        return list(config.watches)
    known = {w.name: w for w in (*config.paused, *config.watches)}
    for n in names:
        if n not in known:
            raise unknown_watch(n, config)
    return [known[n] for n in names]


def require_known(store: Any, config: cfg.Config, name: str) -> None:
    """A configured watch, or one that has history in the database (removed from the config)."""
    configured = {w.name for w in (*config.watches, *config.paused)}
    if name not in configured and store.latest_version(name) is None:
        raise unknown_watch(name, config)


def version_number(store: Any, name: str, version_id: int | None) -> int | None:
    """The watch's own number (1 = oldest) of a stored version id."""
    if version_id is None:
        return None
    v = store.get_version(name, version_id)
    return v.n if v is not None else None


def page_warnings(
    body: bytes,
    content_type: str | None,
    charset: str | None,
    url: str | None,
    select: Sequence[str],
    remove: Sequence[str],
    *,
    name: str | None = None,
) -> list[str]:
    """What a reader should know before trusting a page's text: it looks like a JavaScript
    shell (`fetchers.jsshell`: the text a reader sees is built by scripts), or it holds several
    documents (a /legal page with terms, privacy and cookies: `extract.find_documents`), with
    the selector that keeps only the privacy part."""
    from watcher.extract import find_documents
    from watcher.fetchers.jsshell import looks_like_js_shell
    from watcher.models import WatcherError

    if looks_like_js_shell(body, content_type, charset):
        target = name or "NAME"
        return [
            "this page looks like a JavaScript shell (its text is built by scripts, so what is "
            'stored may be nearly empty): set render = "browser" for this watch, or try '
            f"`watcher extract {target if name else url or target} --render browser`"
        ]
    try:
        docs = find_documents(
            body, content_type=content_type, charset=charset, url=url, select=select, remove=remove
        )
    except WatcherError:
        return []  # the extraction error itself is reported where the text is extracted
    if docs is None:
        return []
    parts = ", ".join(f"{p.title!r} ({p.words:,} words)" for p in docs.parts)
    warning = f"this page holds {len(docs.parts)} documents ({docs.words:,} words): {parts}"
    if docs.suggested:
        opts = " ".join(f"--select {shlex.quote(css)}" for css in docs.suggested)
        target = name or "NAME"
        warning += (
            f"; to watch only the privacy policy ({docs.suggested_words:,} words): "
            f"watcher extract {target} {opts} --save"
        )
    return [warning]
