"""The one place that builds what a check needs (`monitor.Context`) from a loaded config.

Every entry point (CLI `check`, the daemon, the multi-process runner, the demo) calls
`build_context`, so a new collaborator of the check (a fetcher, a channel, a clock) is added
here once, not in four hand-built copies.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from watcher.config import Config
    from watcher.fetchers.httputil import HostThrottle
    from watcher.monitor import Context
    from watcher.storage.sqlite import Store

__all__ = ["build_context"]


def build_context(
    config: Config,
    store: Store,
    *,
    throttle: HostThrottle | None = None,
    clock: Callable[[], datetime] | None = None,
) -> Context:
    """A check context: the store, the HTTP fetcher (sharing `throttle` when given, so
    politeness holds across contexts), the process's browser, the notification channels
    and the clock."""
    from watcher.fetchers.browser import shared_browser
    from watcher.fetchers.http import Fetcher
    from watcher.fetchers.httputil import HostThrottle
    from watcher.monitor import Context
    from watcher.notify import Channels

    if throttle is None:
        throttle = HostThrottle(config.fetch.per_host_delay)
    return Context(
        store=store,
        fetcher=Fetcher(config.fetch, throttle),
        browser=shared_browser(config.fetch),
        channels=Channels.from_config(config),
        failure_threshold=config.failure_threshold,
        clock=clock,
    )
