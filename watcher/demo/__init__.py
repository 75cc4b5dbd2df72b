"""The offline demo: the whole job on loopback, from a sample site to e-mails in an inbox.

The pages under `watcher/demo/pages/` are built from five real privacy policies, each with a few
versions (see its README.md). `Demo` starts three loopback servers -- the sample site
(`site.py`), a stand-in Wayback Machine holding the SmarterTools policy's past (`wayback.py`,
built by `past.py`) and an SMTP sink that saves what it receives (`smtpsink.py`) -- and writes
a config for them. Then:

1. `days()` runs the real pipeline (fetch -> extract -> store -> analyze -> outbox) once per
   simulated day, yielding each day's results;
2. `finish()` backfills the SmarterTools seed's past from the stand-in archive, runs one
   daemon cycle (`watcher daemon --once`: due checks, backfills, one delivery) and returns
   where the delivered e-mails were saved (`mail/NN-<watch>.eml` plus its HTML part).

The database stays for `watcher history/show/diff`. The demo only ever writes into a directory
it created (marked with `.policy-watcher-demo`), or a new or empty one.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email import policy
from email.parser import BytesParser
from importlib import resources
from pathlib import Path

from watcher import DEFAULT_USER_AGENT
from watcher.config import load as load_config
from watcher.demo.past import BACKFILL_SEED, archive_past
from watcher.demo.site import LocalSite
from watcher.demo.smtpsink import SmtpSink
from watcher.demo.wayback import FakeWayback
from watcher.fetchers.httputil import HostThrottle
from watcher.models import CheckResult, WatcherError
from watcher.monitor import check_watch
from watcher.pipeline import build_context
from watcher.storage import open_store

DEMO_START = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
MARKER = ".policy-watcher-demo"
CONFIG_HEADER = "# Written by `watcher demo`"
DEMO_INBOX = "you@example.test"


class DemoDirError(WatcherError):
    """The demo was pointed at a directory it must not touch."""


@dataclass
class DemoDay:
    day: int
    at: datetime
    results: list[CheckResult]
    expected: dict[str, str]  # watch -> what the demo page author says changed


@dataclass
class SavedMail:
    subject: str
    eml: Path
    html: Path | None


@dataclass
class DemoEnd:
    """What `finish()` did after the simulated days."""

    backfill: object  # watcher.wayback.backfill.BackfillSummary
    backfill_watch: str
    daemon_exit: int
    checks: dict[str, str]  # watch -> outcome of its daemon-cycle check
    mails: list[SavedMail] = field(default_factory=list)
    mail_dir: Path | None = None


def site_files() -> resources.abc.Traversable:
    return resources.files("watcher.demo") / "pages"


def schedule() -> dict:
    return json.loads((site_files() / "schedule.json").read_text(encoding="utf-8"))


# -- the directory ----------------------------------------------------------------------------


def _made_by_demo(workdir: Path) -> bool:
    """An older demo's directory (before the marker): its config header and demo files only."""
    cfg = workdir / "config.toml"
    try:
        if not cfg.read_text(encoding="utf-8", errors="replace").startswith(CONFIG_HEADER):
            return False
    except OSError:
        return False
    allowed = {"config.toml", "snapshots", "mail", MARKER}
    return all(p.name in allowed or p.name.startswith("watcher.db") for p in workdir.iterdir())


def claim_dir(workdir: Path) -> None:
    """Make `workdir` the demo's: create it, or accept it if empty or made by the demo.

    Anything else is refused (DemoDirError): the demo deletes its database on each run, and
    must never delete a real one.
    """
    if workdir.exists() and not workdir.is_dir():
        raise DemoDirError(f"{workdir} is not a directory; pick another --dir")
    if not workdir.exists():
        workdir.mkdir(parents=True)
    elif not (workdir / MARKER).is_file() and any(workdir.iterdir()) and not _made_by_demo(workdir):
        raise DemoDirError(
            f"{workdir} was not created by `watcher demo` and is not empty; refusing to "
            "touch its files (the demo replaces its database): pick a new or empty --dir"
        )
    (workdir / MARKER).write_text(
        "This directory was created by `watcher demo`; the demo may replace its files.\n",
        encoding="utf-8",
    )


def _reset(workdir: Path) -> None:
    for stale in workdir.glob("watcher.db*"):
        if stale.is_file():
            stale.unlink()
    shutil.rmtree(workdir / "mail", ignore_errors=True)


# -- the config -------------------------------------------------------------------------------


def write_config(
    workdir: Path,
    base_url: str,
    *,
    wayback_url: str | None = None,
    smtp: tuple[str, int] | None = None,
) -> Path:
    sched = schedule()
    lines = [
        f"{CONFIG_HEADER}: the bundled sample site, served on loopback.",
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
    if wayback_url:
        lines += [
            "# The demo's stand-in Wayback Machine (watcher/demo/wayback.py), on loopback.",
            "[wayback]",
            f'base_url = "{wayback_url}"',
            "cdx_rate = 50.0",
            "playback_rate = 50.0",
            "",
        ]
    if smtp:
        lines += [
            "# The demo's SMTP sink (watcher/demo/smtpsink.py): it saves what it receives.",
            "[email]",
            f'smtp_host = "{smtp[0]}"',
            f"smtp_port = {smtp[1]}",
            'security = "none"',
            f'to = ["{DEMO_INBOX}"]',
            "",
        ]
    for slug, meta in sched["meta"].items():
        lines += ["[[watch]]", f'name = "{slug}"', f'url = "{base_url}{meta["path"]}"']
        if wayback_url and slug == BACKFILL_SEED:
            lines.append('backfill_since = "2016"')
        lines.append("")
    path = workdir / "config.toml"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


# -- the inbox --------------------------------------------------------------------------------


class Inbox:
    """Saves each message the sink receives as `NN-<watch>.eml` plus its HTML part."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.saved: list[SavedMail] = []

    def save(self, mail_from: str, rcpts: list[str], data: bytes) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        msg = BytesParser(policy=policy.default).parsebytes(data)
        subject = str(msg.get("Subject", "") or "")
        m = re.match(r"\[policy-watcher\]\s*([a-z0-9_-]+)", subject)
        slug = m.group(1) if m else "message"
        n = len(self.saved) + 1
        eml = self.folder / f"{n:02d}-{slug}.eml"
        eml.write_bytes(data)
        html_path = None
        part = msg.get_body(preferencelist=("html",))
        if part is not None:
            html_path = eml.with_suffix(".html")
            html_path.write_text(part.get_content(), encoding="utf-8")
        self.saved.append(SavedMail(subject, eml, html_path))


# -- the run ----------------------------------------------------------------------------------


class Demo:
    """`with Demo(dir) as demo: for day in demo.days(): ...; end = demo.finish()`."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir

    def __enter__(self) -> Demo:
        claim_dir(self.workdir)
        _reset(self.workdir)
        self.site = LocalSite().start()
        self.archive = FakeWayback().start()
        self.inbox = Inbox(self.workdir / "mail")
        self.sink = SmtpSink(on_message=self.inbox.save).start()
        sched = schedule()
        seed_url = self.site.base + sched["meta"][BACKFILL_SEED]["path"]
        archive_past(self.archive, seed_url)
        self.config_path = write_config(
            self.workdir,
            self.site.base,
            wayback_url=self.archive.base,
            smtp=(self.sink.host, self.sink.port),
        )
        self.config = load_config(self.config_path)
        return self

    def __exit__(self, *exc: object) -> None:
        self.sink.stop()
        self.archive.stop()
        self.site.stop()

    def days(self) -> Iterator[DemoDay]:
        """Serve each simulated day's pages and check them; changes queue their e-mails."""
        config = self.config
        sched = schedule()
        files = site_files()
        store = open_store(config.database, config.snapshots)
        clock_now = [DEMO_START]
        ctx = build_context(config, store, clock=lambda: clock_now[0])  # type: ignore[arg-type]
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
                        else f"text/html; charset={charset}"
                    )
                    self.site.set(meta["path"], body, content_type=ctype)
                    if previous.get(slug) not in (None, page):
                        expected[slug] = meta.get("expect", {}).get(page, "")
                    previous[slug] = page
                with ThreadPoolExecutor(max_workers=4) as pool:
                    results = list(pool.map(lambda w: check_watch(ctx, w), config.watches))
                yield DemoDay(day, clock_now[0], results, expected)
        finally:
            store.close()

    def finish(self) -> DemoEnd:
        """Backfill the seed's past, run one daemon cycle, deliver the e-mails to the sink."""
        from watcher.daemon import Daemon
        from watcher.wayback.backfill import run_backfill

        config = self.config
        watch = next(w for w in config.watches if w.name == BACKFILL_SEED)
        store = open_store(config.database, config.snapshots)
        try:
            ctx = build_context(config, store, throttle=HostThrottle(0.0))  # type: ignore[arg-type]
            summary = run_backfill(ctx, watch, config.wayback, since=watch.backfill_since)
        finally:
            store.close()
        daemon = Daemon(self.config_path)
        code = daemon.run_once(install_signals=False)
        store = open_store(config.database, config.snapshots)
        try:
            statuses = store.watch_statuses([w.name for w in config.watches])
        finally:
            store.close()
        return DemoEnd(
            backfill=summary,
            backfill_watch=watch.name,
            daemon_exit=code,
            checks={s.name: s.last_outcome or "?" for s in statuses},
            mails=list(self.inbox.saved),
            mail_dir=self.inbox.folder,
        )


def run_demo(workdir: Path) -> Iterator[DemoDay]:
    """The simulated days only (the site, no backfill, no delivery)."""
    with Demo(workdir) as demo:
        yield from demo.days()


def explore_hint(workdir: Path, prog: str = "watcher") -> list[str]:
    cfg = workdir / "config.toml"
    return [
        f"{prog} --config {cfg} list",
        f"{prog} --config {cfg} history claro",
        f"{prog} --config {cfg} history {BACKFILL_SEED}",
        f"{prog} --config {cfg} diff claro",
        f"{prog} --config {cfg} show claro --facts",
        f'{prog} --config {cfg} search "SendGrid"',
        f"{prog} --config {cfg} findings --kind party_added",
        f"{prog} --config {cfg} site {workdir / 'site'}",
    ]


__all__ = [
    "Demo",
    "DemoDay",
    "DemoDirError",
    "DemoEnd",
    "WatcherError",
    "claim_dir",
    "explore_hint",
    "run_demo",
]
