"""Run checks of many watches at once, using every core.

Fetching waits on the network and runs well in threads; extraction and analysis are CPU work
that Python threads cannot spread across cores. A large run is therefore split over one
process per core, each taking whole hosts (so per-host politeness, which lives in one
process's HostThrottle, still holds), with threads inside each process.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from urllib.parse import urlsplit

from watcher.config import Config
from watcher.models import CheckResult, Watch

PROCESS_THRESHOLD = 40  # below this many watches, one process starts faster than two


def check_all(config: Config, watches: Sequence[Watch]) -> list[CheckResult]:
    """Check `watches` now; results in the same order."""
    by_host: dict[str, list[Watch]] = {}
    for w in watches:
        by_host.setdefault((urlsplit(w.url).hostname or "").lower(), []).append(w)
    workers = _process_count(len(watches))
    if workers == 1:
        results = _check_group(
            config, _interleave(list(by_host.values())), config.fetch.concurrency
        )
        return _in_order(watches, results)
    groups: list[list[list[Watch]]] = [[] for _ in range(workers)]
    sizes = [0] * workers
    for host_watches in sorted(by_host.values(), key=len, reverse=True):
        i = sizes.index(min(sizes))  # the least loaded process takes the whole host
        groups[i].append(host_watches)
        sizes[i] += len(host_watches)
    threads = max(1, config.fetch.concurrency // workers)
    # Load the pipeline once here, so forked workers start with it in memory.
    import watcher.monitor  # noqa: F401
    import watcher.storage.sqlite  # noqa: F401

    # fork is cheap (no re-import) and safe here: this process has no threads, sockets or
    # SQLite handles open yet. Elsewhere, spawn.
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    ctx = multiprocessing.get_context(method)
    with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
        futures = [pool.submit(_check_group, config, _interleave(g), threads) for g in groups if g]
        results = [r for f in futures for r in f.result()]
    return _in_order(watches, results)


def _interleave(hosts: list[list[Watch]]) -> list[Watch]:
    """Round-robin over hosts, so concurrent threads fetch from different hosts instead of
    queueing on one host's politeness delay."""
    out: list[Watch] = []
    for i in range(max((len(h) for h in hosts), default=0)):
        out.extend(h[i] for h in hosts if i < len(h))
    return out


def _in_order(watches: Sequence[Watch], results: list[CheckResult]) -> list[CheckResult]:
    by_name = {r.name: r for r in results}
    return [by_name[w.name] for w in watches]


def _process_count(n: int) -> int:
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return 1 if n < PROCESS_THRESHOLD else max(1, min(cores or 1, 8))


def _check_group(config: Config, watches: list[Watch], threads: int) -> list[CheckResult]:
    from watcher.fetchers.http import Fetcher, HostThrottle
    from watcher.monitor import Context, check_watch
    from watcher.storage.sqlite import Store

    store = Store(config.database, config.snapshots)
    ctx = Context(
        store=store,
        fetcher=Fetcher(config.fetch, HostThrottle(config.fetch.per_host_delay)),
        email=config.email,
        failure_threshold=config.failure_threshold,
    )
    try:
        with ThreadPoolExecutor(max_workers=max(1, threads)) as pool:
            return list(pool.map(lambda w: check_watch(ctx, w), watches))
    finally:
        store.close()
