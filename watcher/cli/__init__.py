"""The `watcher` command: a thin typer layer over the library, and the only package that prints.

Every command that shows data has `--json` for scripts; people get rich tables.
Exit codes: 0 ok, 1 a watch/operation failed, 2 usage, config or bad input, 130 interrupted.

Layout (no import cycles: the command modules import `common` and `output`, never this one):
  common.py    global state, config/database access, one-line errors, shared options
  output.py    the consoles (hostile text neutralised, never read as markup) and printers
  watches.py   init, add, list, check          versions.py  show, diff, search
  history.py   history, backfill, reextract    tools.py     compare, extract, demo
  daemon.py    daemon                          mail.py      outbox, report, test-email, feed
Each command module has its own `typer.Typer()`; adding a command is one decorated function.
Heavy imports (storage, fetchers, analysis) happen inside the commands that need them.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.text import Text

from watcher.cli import daemon, history, mail, portfolio, tools, versions, watches
from watcher.cli.common import state
from watcher.cli.output import err
from watcher.models import WatcherError

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Watch privacy policies and terms pages; say what changed.",
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
)


@app.callback()
def main_options(
    config: Annotated[
        Path | None,
        typer.Option(
            "--config",
            "-c",
            metavar="FILE",
            help="Config file (default $WATCHER_CONFIG or ./config.toml).",
        ),
    ] = None,
) -> None:
    """policy-watcher: track privacy policies and report what changed."""
    state.config_path = config


for _module in (watches, history, versions, tools, daemon, mail, portfolio):
    app.add_typer(_module.app)


def command_names() -> set[str]:
    """Every command the `watcher` program has (from all the command modules)."""
    return set(typer.main.get_command(app).commands)  # type: ignore[attr-defined]


def main() -> None:
    """The console entry point: every failure ends as one `error:` line, never a traceback
    (set WATCHER_TRACEBACK=1 to see one)."""
    try:
        app()
    except WatcherError as e:
        err.print(Text(f"error: {e}", style="red"), soft_wrap=True)
        sys.exit(1)
    except KeyboardInterrupt:
        err.print(Text("interrupted", style="yellow"))
        sys.exit(130)
    except Exception as e:  # a bug or an unforeseen input: one line, not a traceback
        if os.environ.get("WATCHER_TRACEBACK"):
            raise
        message = " ".join(str(e).split()) or "no message"
        err.print(
            Text(
                f"error: unexpected {type(e).__name__}: {message} "
                "(WATCHER_TRACEBACK=1 shows where; please report it)",
                style="red",
            ),
            soft_wrap=True,
        )
        sys.exit(1)


if __name__ == "__main__":
    main()
