"""The daemon: when to check each watch, and delivering what the checks queue.

`Daemon(config_path).run()` keeps one APScheduler (3.x) job per watch, id = the watch name:

- every `interval(watch)` seconds plus a random 0..`[schedule] jitter` (capped at half the
  interval), without drift: runs stay on the grid that starts at the first run;
- the first run follows from the last check in the database (`last check + interval`), so a
  restart does not refetch everything; overdue and never-checked watches run soon after start,
  a fraction of a second apart;
- at most one run of a watch at a time (`max_instances=1`), missed runs coalesced into one,
  checks running concurrently up to `[fetch] concurrency` in one thread pool, all sharing one
  Store, one Fetcher and one `HostThrottle` (per-host politeness across watches);
- a delivery job sends the outbox through its channels (`[email]` and `[[channel]]`s; it runs
  whether or not there is an `[email]` table): woken after each check, and every
  `DELIVERY_EVERY` seconds for retries (with backoff) and digests (one per check interval);
- `backfill_since` watches get their Wayback import once per start (resumable, one at a time).

Signals: SIGHUP reloads the config (added, removed and changed watches take effect; a bad
config is logged and the old one kept); SIGTERM / SIGINT stop taking new work, let running
checks finish for up to `grace` seconds and return 0.

`run_once()` is the cron mode (`--once`): every due check, then one delivery, then return.

Logging only (stderr / --log-file): one line per check with watch, outcome, duration, version.
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import random
import signal
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor as _Pool
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.base import BaseTrigger

from watcher import config as cfg
from watcher.fetchers.httputil import HostThrottle
from watcher.models import CheckResult, Watch
from watcher.monitor import Context, check_watch
from watcher.pipeline import build_context
from watcher.storage.sqlite import Store
from watcher.textutil import neutralise, redact_credentials

log = logging.getLogger("watcher.daemon")

DELIVERY_JOB = "outbox:deliver"  # ':' never appears in a watch name
BACKFILL_JOB = "backfill:start"
DELIVERY_EVERY = 30.0  # seconds between outbox runs when nothing wakes it sooner
STAGGER = 0.5  # seconds between the first runs of overdue watches at start
STAGGER_MAX = 60.0
GRACE = 30.0  # seconds running checks get to finish on SIGTERM


# -- logging ----------------------------------------------------------------------------------

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class _SafeFormatter(logging.Formatter):
    """Log lines never carry a URL's credentials (`http://user:***@host/`) nor control and
    bidi-override characters (page text, reason phrases and SMTP replies end up in messages;
    a log is read on a terminal)."""

    def format(self, record: logging.LogRecord) -> str:
        return neutralise(redact_credentials(super().format(record)))


def configure_logging(level: str = "INFO", log_file: str | os.PathLike[str] | None = None) -> None:
    """Log lines to stderr (and to `log_file` too when given). Raises ValueError on a bad level."""
    numeric = logging.getLevelName(level.upper())
    if not isinstance(numeric, int):
        raise ValueError(f"unknown log level {level!r} (use DEBUG, INFO, WARNING or ERROR)")
    root = logging.getLogger()
    for h in list(root.handlers):
        if getattr(h, "_watcher_daemon", False):
            root.removeHandler(h)
            h.close()
    fmt = _SafeFormatter(LOG_FORMAT)
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    if log_file:
        Path(log_file).parent.mkdir(parents=True, exist_ok=True)
        # private like the database: the log names watches, recipients and SMTP replies
        os.close(os.open(log_file, os.O_CREAT | os.O_WRONLY | os.O_APPEND, 0o600))
        handlers.append(logging.FileHandler(log_file, encoding="utf-8"))
    for h in handlers:
        h.setFormatter(fmt)
        h._watcher_daemon = True  # type: ignore[attr-defined]
        root.addHandler(h)
    root.setLevel(numeric)
    # APScheduler says "Running job ..." for every run; keep its warnings (skipped runs) only.
    logging.getLogger("apscheduler").setLevel(
        logging.DEBUG if numeric <= logging.DEBUG else logging.WARNING
    )


def check_line(r: CheckResult) -> str:
    """The one log line of a check."""
    line = f"check {r.name}: {r.status} in {r.duration:.2f}s"
    line += f", version {r.version}" if r.version is not None else ", no version"
    if r.error:
        line += f": {r.error}"
    elif r.status == "changed" and r.summary:
        line += f": {r.summary}"
    return line


# -- scheduling -------------------------------------------------------------------------------


class EveryTrigger(BaseTrigger):
    """Fire at `first`, then on the grid first + k*interval, each run delayed by 0..jitter.

    APScheduler's IntervalTrigger adds its jitter to the previous (jittered) fire time, so the
    period drifts by the mean jitter every run; this keeps the grid and jitters each slot.
    """

    def __init__(self, interval: float, jitter: float, first: datetime) -> None:
        self.interval = float(interval)
        self.jitter = max(0.0, min(float(jitter), self.interval / 2))
        self.first = first

    def get_next_fire_time(
        self, previous_fire_time: datetime | None, now: datetime
    ) -> datetime | None:
        if previous_fire_time is None:
            return self.first
        # the slot the previous run belonged to (its jitter is < interval/2), then the next one
        k = math.floor((previous_fire_time - self.first).total_seconds() / self.interval + 1e-9)
        slot = self.first + timedelta(seconds=(k + 1) * self.interval)
        return slot + timedelta(seconds=random.uniform(0, self.jitter) if self.jitter else 0)

    def __str__(self) -> str:
        return f"every {self.interval:g}s (jitter {self.jitter:g}s)"

    def __repr__(self) -> str:
        return f"<EveryTrigger interval={self.interval} jitter={self.jitter} first={self.first}>"


def first_runs(
    config: cfg.Config,
    watches: list[Watch],
    last_checks: Mapping[str, datetime],
    now: datetime,
) -> dict[str, datetime]:
    """When each watch should first run: last check + interval, or soon if overdue / never."""
    out: dict[str, datetime] = {}
    overdue = 0
    for w in watches:
        last = last_checks.get(w.name)
        at = last + timedelta(seconds=config.interval(w)) if last is not None else None
        if at is None or at <= now:
            at = now + timedelta(seconds=min(overdue * STAGGER, STAGGER_MAX))
            overdue += 1
        out[w.name] = at
    return out


def _backfill_module() -> Any:
    """watcher.wayback.backfill if this install has it (it is optional for the daemon)."""
    try:
        from watcher.wayback import backfill
    except ImportError:
        return None
    return backfill if hasattr(backfill, "run_backfill") else None


@dataclass
class _Shared:
    """What all jobs share; replaced as a whole on reload."""

    config: cfg.Config
    ctx: Context


class Daemon:
    def __init__(
        self,
        config_path: str | os.PathLike[str],
        *,
        grace: float = GRACE,
        delivery_every: float = DELIVERY_EVERY,
        environ: Mapping[str, str] = os.environ,
    ) -> None:
        self.config_path = Path(config_path)
        self.grace = grace
        self.delivery_every = delivery_every
        self.environ = environ
        config = cfg.load(self.config_path)  # ConfigError goes to the caller: exit 2
        self.store = Store(config.database, config.snapshots)
        # One daemon per database: a second one stops here with a clear StoreError.
        self._lock_stack = contextlib.ExitStack()
        try:
            self._lock_stack.enter_context(self.store.daemon_lock())
        except BaseException:
            self.store.close()
            raise
        self.throttle = HostThrottle(config.fetch.per_host_delay)
        self.shared = _Shared(config, self._context(config))
        self.scheduler: BackgroundScheduler | None = None
        self._stopping = threading.Event()
        self._wake = threading.Event()
        self._reload_requested = threading.Event()
        self._deliver_now = threading.Event()
        self._running: set[str] = set()
        self._running_lock = threading.Condition()

    # -- shared state ----------------------------------------------------------------------
    def _context(self, config: cfg.Config) -> Context:
        return build_context(config, self.store, throttle=self.throttle)

    @property
    def config(self) -> cfg.Config:
        return self.shared.config

    def _now(self) -> datetime:
        return datetime.now(UTC)

    # -- one check -------------------------------------------------------------------------
    def run_watch(self, name: str) -> CheckResult | None:
        """The job body: check one watch (looked up in the current config) and log it."""
        shared = self.shared
        watch = next((w for w in shared.config.watches if w.name == name), None)
        if watch is None or self._stopping.is_set():
            return None
        with self._track(name):
            result = check_watch(shared.ctx, watch)
        level = logging.WARNING if result.status in ("error", "suspicious") else logging.INFO
        log.log(level, check_line(result))
        self._wake_delivery()
        return result

    # -- delivery --------------------------------------------------------------------------
    def deliver(self, *, hold_for: float | None = None) -> Any:
        from watcher.notify.outbox import deliver_due

        config = self.config
        try:
            return deliver_due(
                self.store,
                self.shared.ctx.channels,
                now=self._now(),
                environ=self.environ,
                hold_for=config.every if hold_for is None else hold_for,
            )
        except Exception:  # a bug; the rows stay queued and the next run tries again
            log.exception("outbox delivery failed")
            return None

    def _wake_delivery(self) -> None:
        self._deliver_now.set()

    def _delivery_loop(self) -> None:
        """Deliver at start, after each check (woken), and every `delivery_every` seconds."""
        while not self._stopping.is_set():
            with self._track(DELIVERY_JOB):
                self.deliver()
            self._deliver_now.wait(self.delivery_every)
            self._deliver_now.clear()

    @contextlib.contextmanager
    def _track(self, what: str) -> Iterator[None]:
        with self._running_lock:
            self._running.add(what)
        try:
            yield
        finally:
            with self._running_lock:
                self._running.discard(what)
                self._running_lock.notify_all()

    # -- backfill --------------------------------------------------------------------------
    def run_backfills(self, watches: list[Watch]) -> None:
        module = _backfill_module()
        if module is None:
            return
        for w in watches:
            if self._stopping.is_set():
                return
            if not w.backfill_since:
                continue
            shared = self.shared
            try:
                with self._track(f"backfill {w.name}"):
                    summary = module.run_backfill(
                        shared.ctx,
                        w,
                        shared.config.wayback,
                        since=w.backfill_since,
                    )
            except Exception:
                log.exception("backfill of %s failed", w.name)
                continue
            errors = getattr(summary, "errors", [])
            log.log(
                logging.WARNING if errors else logging.INFO,
                "backfill %s since %s: %s imported, %s skipped%s",
                w.name,
                w.backfill_since,
                getattr(summary, "imported", "?"),
                getattr(summary, "skipped", "?"),
                f"; {len(errors)} error(s), first: {errors[0]}" if errors else "",
            )

    # -- jobs ------------------------------------------------------------------------------
    def _schedule(self, watches: list[Watch], *, replace: bool = False) -> None:
        assert self.scheduler is not None
        config = self.config
        now = self._now()
        firsts = first_runs(config, watches, self.store.last_check_times(), now)
        for w in watches:
            trigger = EveryTrigger(config.interval(w), config.jitter, firsts[w.name])
            self.scheduler.add_job(
                self.run_watch,
                trigger=trigger,
                args=[w.name],
                id=w.name,
                name=w.name,
                next_run_time=firsts[w.name],
                replace_existing=replace,
            )
            log.debug("scheduled %s: first run %s, %s", w.name, firsts[w.name], trigger)

    def _schedule_backfill(self, watches: list[Watch]) -> None:
        assert self.scheduler is not None
        todo = [w for w in watches if w.backfill_since]
        if not todo or _backfill_module() is None:
            return
        self.scheduler.add_job(
            self.run_backfills,
            trigger="date",
            run_date=self._now(),
            args=[todo],
            id=f"{BACKFILL_JOB}:{time.monotonic_ns()}",
            name="wayback backfill",
            executor="backfill",
        )

    # -- reload ----------------------------------------------------------------------------
    def reload(self) -> bool:
        """Re-read the config; apply watch changes. On a bad config keep the old one."""
        try:
            new = cfg.load(self.config_path)
        except cfg.ConfigError as e:
            log.error("config reload failed; still running the previous config: %s", e)
            return False
        old = self.config
        if (new.database, new.snapshots) != (old.database, old.snapshots):
            log.warning("storage paths changed in %s; that takes a restart", self.config_path)
            new = _with_storage(new, old)
        if new.fetch.concurrency != old.fetch.concurrency:
            log.warning("fetch.concurrency changed; the new value takes effect after a restart")
        self.throttle.delay = max(0.0, float(new.fetch.per_host_delay))
        self.shared = _Shared(new, self._context(new))
        old_by_name = {w.name: w for w in old.watches}
        new_by_name = {w.name: w for w in new.watches}
        removed = [n for n in old_by_name if n not in new_by_name]
        added = [w for n, w in new_by_name.items() if n not in old_by_name]
        kept = [w for n, w in new_by_name.items() if n in old_by_name]
        changed = [
            w
            for w in kept
            if old_by_name[w.name] != w or old.interval(old_by_name[w.name]) != new.interval(w)
        ]
        # Other edits (URL, selectors, recipients) apply at the next run: jobs look the watch
        # up by name. A new interval or jitter needs a new trigger.
        retime = [
            w
            for w in kept
            if old.interval(old_by_name[w.name]) != new.interval(w) or old.jitter != new.jitter
        ]
        assert self.scheduler is not None
        for n in removed:
            with contextlib.suppress(Exception):
                self.scheduler.remove_job(n)
        self._schedule(added)
        self._schedule(retime, replace=True)
        self._schedule_backfill(
            added + [w for w in kept if w.backfill_since != old_by_name[w.name].backfill_since]
        )
        self._wake_delivery()
        log.info(
            "config reloaded from %s: %d watch(es); added %s; removed %s; changed %s",
            self.config_path,
            len(new.watches),
            ", ".join(w.name for w in added) or "none",
            ", ".join(removed) or "none",
            ", ".join(w.name for w in changed) or "none",
        )
        return True

    # -- the two modes ---------------------------------------------------------------------
    def run(self, *, install_signals: bool = True) -> int:
        """Run until SIGTERM / SIGINT (or `stop()`); return the exit code (0)."""
        config = self.config
        if install_signals:
            self._install_signals()
        workers = max(1, config.fetch.concurrency)
        self.scheduler = BackgroundScheduler(
            timezone=UTC,
            executors={
                "default": ThreadPoolExecutor(workers),
                "backfill": ThreadPoolExecutor(1),
            },
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
        )
        self._schedule(list(config.watches))
        self._schedule_backfill(list(config.watches))
        self.scheduler.start()
        self._delivery_thread = threading.Thread(
            target=self._delivery_loop, name="outbox-delivery", daemon=True
        )
        self._delivery_thread.start()
        log.info(
            "daemon started (pid %d): %d watch(es) from %s, concurrency %d, e-mail %s, channels %s",
            os.getpid(),
            len(config.watches),
            self.config_path,
            workers,
            "on" if config.email else "off",
            ", ".join(c.name for c in config.channels) or "none",
        )
        while not self._stopping.is_set():
            self._wake.wait(1.0)
            self._wake.clear()
            if self._reload_requested.is_set():
                self._reload_requested.clear()
                self.reload()
        return self._shutdown()

    def run_once(self, *, install_signals: bool = True) -> int:
        """Cron mode: every due check (concurrently), backfills, one delivery; return 0."""
        if install_signals:
            self._install_signals()
        config = self.config
        now = self._now()
        last = self.store.last_check_times()
        due = [
            w
            for w in config.watches
            if w.name not in last or last[w.name] + timedelta(seconds=config.interval(w)) <= now
        ]
        log.info("once: %d of %d watch(es) due", len(due), len(config.watches))
        with _Pool(max_workers=max(1, config.fetch.concurrency)) as pool:
            list(pool.map(self.run_watch, [w.name for w in due]))
        if not self._stopping.is_set():
            self.run_backfills([w for w in config.watches if w.backfill_since])
        self.deliver(hold_for=0.0)
        self._lock_stack.close()
        self.store.close()
        return 0

    # -- stopping --------------------------------------------------------------------------
    def stop(self) -> None:
        self._stopping.set()
        self._wake.set()
        self._deliver_now.set()

    def request_reload(self) -> None:
        self._reload_requested.set()
        self._wake.set()

    def _install_signals(self) -> None:
        def on_stop(signum: int, frame: object) -> None:
            self.stop()

        def on_hup(signum: int, frame: object) -> None:
            self.request_reload()

        signal.signal(signal.SIGTERM, on_stop)
        signal.signal(signal.SIGINT, on_stop)
        if hasattr(signal, "SIGHUP"):
            signal.signal(signal.SIGHUP, on_hup)

    def _shutdown(self) -> int:
        log.info("stopping: no new checks; waiting up to %gs for running ones", self.grace)
        assert self.scheduler is not None
        self.scheduler.shutdown(wait=False)
        deadline = time.monotonic() + self.grace
        thread = getattr(self, "_delivery_thread", None)
        if thread is not None:  # it may be between its stop check and a delivery
            thread.join(max(0.0, deadline - time.monotonic()))
        with self._running_lock:
            while self._running and time.monotonic() < deadline:
                self._running_lock.wait(max(0.0, min(0.5, deadline - time.monotonic())))
            left = sorted(self._running)
        if left:
            log.warning("exiting with checks still running (%s); they are not recorded", left)
            logging.shutdown()
            os._exit(0)  # worker threads cannot be interrupted; their transactions roll back
        self._lock_stack.close()
        self.store.close()
        log.info("stopped")
        return 0


def _with_storage(new: cfg.Config, old: cfg.Config) -> cfg.Config:
    from dataclasses import replace

    return replace(new, database=old.database, snapshots=old.snapshots)
