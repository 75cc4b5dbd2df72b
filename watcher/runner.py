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
from concurrent.futures.process import BrokenProcessPool
from datetime import UTC, datetime
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
    started = datetime.now(UTC)
    # One single-worker pool per group: a worker that dies breaks only its own pool, so the
    # other groups' checks finish and stand.
    pools = [ProcessPoolExecutor(max_workers=1, mp_context=ctx) for g in groups if g]
    try:
        jobs = [
            (group, pool.submit(_check_group, config, group, threads))
            for pool, group in zip(pools, [_interleave(g) for g in groups if g], strict=True)
        ]
        results: list[CheckResult] = []
        for group, future in jobs:
            try:
                results.extend(future.result())
            except Exception as e:  # a worker killed (OOM killer, kill -9) or broken
                results.extend(_lost_group(config, group, started, e))
    finally:
        for pool in pools:
            pool.shutdown(wait=True, cancel_futures=True)
    return _in_order(watches, results)


def _lost_group(
    config: Config, group: list[Watch], started: datetime, error: BaseException
) -> list[CheckResult]:
    """The worker checking `group` died: keep what it recorded, record the rest as errors.

    One dead worker never aborts the run: the other processes' results stand, and every watch
    of the lost group gets a result and a recorded check with the cause."""
    from watcher.storage.sqlite import Store

    cause = (
        "the worker process checking it died (killed, or out of memory?)"
        if isinstance(error, BrokenProcessPool)
        else f"the worker process checking it failed: {type(error).__name__}: {error}"
    )
    out = []
    store = Store(config.database, config.snapshots)
    try:
        done = store.checks_since(started)
        for w in group:
            if w.name in done:
                outcome, err, version = done[w.name]
                out.append(CheckResult(name=w.name, status=outcome, version=version, error=err))
                continue
            store.add_check(w.name, started_at=started, duration=0.0, outcome="error", error=cause)
            out.append(CheckResult(name=w.name, status="error", version=None, error=cause))
    finally:
        store.close()
    return out


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
    from watcher.monitor import check_watch
    from watcher.pipeline import build_context
    from watcher.storage.sqlite import Store

    store = Store(config.database, config.snapshots)
    ctx = build_context(config, store)
    try:
        with ThreadPoolExecutor(max_workers=max(1, threads)) as pool:
            return list(pool.map(lambda w: check_watch(ctx, w), watches))
    finally:
        store.close()
