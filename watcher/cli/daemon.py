"""`watcher daemon`: check every watch on its schedule and deliver e-mail."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from watcher import config as cfg
from watcher.cli.common import App, config_path, fail, state

app = App()


@app.command()
def daemon(
    config: Annotated[
        Path | None,
        typer.Option("--config", "-c", metavar="FILE", help="Config file (overrides the global)."),
    ] = None,
    once: Annotated[
        bool, typer.Option("--once", help="Run every due check and delivery once, then exit.")
    ] = False,
    log_level: Annotated[
        str, typer.Option("--log-level", metavar="LEVEL", help="DEBUG, INFO, WARNING or ERROR.")
    ] = "INFO",
    log_file: Annotated[
        Path | None,
        typer.Option("--log-file", metavar="FILE", help="Also write the log to this file."),
    ] = None,
) -> None:
    """Check every watch on its schedule and deliver e-mail (SIGHUP reloads, SIGTERM stops)."""
    from watcher.daemon import Daemon, configure_logging
    from watcher.storage.sqlite import StoreError

    if config is not None:
        state.config_path = config
    try:
        configure_logging(log_level, log_file)
    except ValueError as e:
        raise fail(f"--log-level: {e}") from None
    except OSError as e:
        raise fail(f"--log-file {log_file}: {e.strerror or e}") from None
    path = config_path()
    try:
        secret_problem = cfg.missing_secret(cfg.load(path))
    except cfg.ConfigError as e:
        raise fail(str(e)) from None
    if secret_problem:
        raise fail(secret_problem)  # before anything is opened or written
    try:
        d = Daemon(path)
    except cfg.ConfigError as e:
        raise fail(str(e)) from None
    except StoreError as e:
        raise fail(str(e), 1) from None
    code = d.run_once() if once else d.run()
    raise typer.Exit(code)
