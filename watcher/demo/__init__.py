"""The offline demo: a sample site on loopback, checked through simulated days.

The pages under `watcher/demo/pages/` are built from five real privacy policies, each with a few
versions (see its README.md). `run_demo` serves them on 127.0.0.1, writes a config for them,
and runs the real pipeline (fetch -> extract -> store -> analyze) once per simulated day,
yielding each day's results. It leaves the database for `watcher history/show/diff`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path

from watcher import DEFAULT_USER_AGENT
from watcher.config import load as load_config
from watcher.demo.site import LocalSite
from watcher.fetchers.http import Fetcher, HostThrottle
from watcher.models import CheckResult, WatcherError
from watcher.monitor import Context, check_watch
from watcher.storage.sqlite import Store

DEMO_START = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)


@dataclass
class DemoDay:
    day: int
    at: datetime
    results: list[CheckResult]
    expected: dict[str, str]  # watch -> what the demo page author says changed


def site_files() -> resources.abc.Traversable:
    return resources.files("watcher.demo") / "pages"


def schedule() -> dict:
    return json.loads((site_files() / "schedule.json").read_text(encoding="utf-8"))


def write_config(workdir: Path, base_url: str) -> Path:
    sched = schedule()
    lines = [
        "# Written by `watcher demo`: the bundled sample site, served on loopback.",
        "[storage]",
        'database = "watcher.db"',
        'snapshots = "snapshots"',
        "",
        "[fetch]",
        f'user_agent = "{DEFAULT_USER_AGENT}"',
        "timeout = 10",
        "per_host_delay = 0.0",
        "",
        "[schedule]",
        'every = "1d"',
        'jitter = "0s"',
        "",
    ]
    for slug, meta in sched["meta"].items():
        lines += ["[[watch]]", f'name = "{slug}"', f'url = "{base_url}{meta["path"]}"', ""]
    path = workdir / "config.toml"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def run_demo(workdir: Path) -> Iterator[DemoDay]:
    """Serve the sample site and check it once per simulated day."""
    workdir.mkdir(parents=True, exist_ok=True)
    for stale in ("watcher.db", "watcher.db-wal", "watcher.db-shm"):
        (workdir / stale).unlink(missing_ok=True)
    sched = schedule()
    files = site_files()
    with LocalSite() as site:
        config = load_config(write_config(workdir, site.base))
        store = Store(config.database, config.snapshots)
        clock_now = [DEMO_START]
        ctx = Context(
            store=store,
            fetcher=Fetcher(config.fetch, HostThrottle(config.fetch.per_host_delay)),
            failure_threshold=config.failure_threshold,
            clock=lambda: clock_now[0],
        )
        previous: dict[str, str] = {}
        try:
            for entry in sched["days"]:
                day = int(entry["day"])
                clock_now[0] = DEMO_START + timedelta(days=day - 1)
                expected = {}
                for slug, page in entry["pages"].items():
                    meta = sched["meta"][slug]
                    body = (files / slug / page).read_bytes()
                    charset = meta.get("charset", "utf-8")
                    ctype = (
                        "text/html"
                        if charset == "windows-1252"
                        else (f"text/html; charset={charset}")
                    )
                    site.set(meta["path"], body, content_type=ctype)
                    if previous.get(slug) not in (None, page):
                        expected[slug] = meta.get("expect", {}).get(page, "")
                    previous[slug] = page
                with ThreadPoolExecutor(max_workers=4) as pool:
                    results = list(pool.map(lambda w: check_watch(ctx, w), config.watches))
                yield DemoDay(day, clock_now[0], results, expected)
        finally:
            store.close()


def explore_hint(workdir: Path, prog: str = "watcher") -> list[str]:
    cfg = workdir / "config.toml"
    return [
        f"{prog} --config {cfg} list",
        f"{prog} --config {cfg} history claro",
        f"{prog} --config {cfg} diff claro",
        f"{prog} --config {cfg} show claro --facts",
        f'{prog} --config {cfg} search "SendGrid"',
    ]


__all__ = ["DemoDay", "WatcherError", "explore_hint", "run_demo"]
