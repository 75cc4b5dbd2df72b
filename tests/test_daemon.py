"""The daemon as a real subprocess: pages on loopback, a real SMTP server, signals, restarts."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.conftest import small_policy_page as page
from watcher.daemon import EveryTrigger, first_runs
from watcher.demo.site import respond

try:
    from smtpserver import SMTPTestServer, free_port
except ImportError:  # tests/ became a package
    from tests.smtpserver import SMTPTestServer, free_port

REPO = Path(__file__).resolve().parents[1]
# The commands are registered when watcher.cli.mail is imported (cli.py does it once wired).
ENTRY = "import watcher.cli.mail; from watcher.cli import main; main()"


def config_text(
    watches: dict[str, str], *, every: str = "2s", smtp_port: int | None = None, extra: str = ""
) -> str:
    lines = [
        "[fetch]",
        "timeout = 5",
        "per_host_delay = 0.0",
        "retries = 0",
        "",
        "[schedule]",
        f'every = "{every}"',
        'jitter = "0s"',
        "",
    ]
    if smtp_port is not None:
        lines += [
            "[email]",
            'smtp_host = "127.0.0.1"',
            f"smtp_port = {smtp_port}",
            'security = "none"',
            'to = ["reader@example.org"]',
            "timeout = 5",
            "",
        ]
    lines.append(extra)
    for name, url in watches.items():
        lines += ["[[watch]]", f'name = "{name}"', f'url = "{url}"', ""]
    return "\n".join(lines)


class DaemonProc:
    def __init__(self, root: Path, env: dict[str, str] | None = None) -> None:
        self.root = root
        self.config = root / "config.toml"
        self.log = root / "daemon.log"
        self.env = {**os.environ, "PYTHONPATH": str(REPO), **(env or {})}
        self.env.pop("WATCHER_CONFIG", None)
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, *args: str) -> DaemonProc:
        with open(self.log, "ab") as fh:
            self.proc = subprocess.Popen(
                [sys.executable, "-c", ENTRY, "daemon", "--config", str(self.config), *args],
                cwd=self.root,
                env=self.env,
                stdout=fh,
                stderr=subprocess.STDOUT,
            )
        self.wait_log("daemon started")
        return self

    def text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def wait_log(self, needle: str, timeout: float = 10.0, count: int = 1) -> None:
        wait_until(lambda: self.text().count(needle) >= count, timeout, f"log: {needle!r}", self)

    def signal(self, sig: int) -> None:
        assert self.proc is not None
        self.proc.send_signal(sig)

    def stop(self, timeout: float = 10.0) -> int:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout)

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5)


def wait_until(
    cond: Callable[[], bool], timeout: float, what: str, d: DaemonProc | None = None
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}" + (f"\n{d.text()}" if d else ""))


@pytest.fixture
def smtp() -> Iterator[SMTPTestServer]:
    with SMTPTestServer() as srv:
        yield srv


@pytest.fixture
def daemons(tmp_path: Path) -> Iterator[Callable[..., DaemonProc]]:
    made: list[DaemonProc] = []

    def make(env: dict[str, str] | None = None) -> DaemonProc:
        d = DaemonProc(tmp_path, env)
        made.append(d)
        return d

    yield make
    for d in made:
        d.kill()


def test_page_change_produces_exactly_one_email(site, smtp, daemons):
    site.set("/p", page())
    d = daemons()
    d.config.write_text(config_text({"acme": site.url("/p")}, smtp_port=smtp.port))
    d.start()
    d.wait_log("check acme: new")
    assert smtp.messages == []  # the first capture is not a change
    site.set("/p", page("Mailchimp"))
    d.wait_log("check acme: changed")
    [msg] = smtp.wait_for(1, timeout=10)
    assert msg["Subject"].startswith("[policy-watcher] acme:")
    assert "Mailchimp" in msg.get_body(("plain",)).get_content()
    d.wait_log("check acme: unchanged", count=2)  # two more cycles
    assert len(smtp.messages) == 1
    assert d.stop() == 0
    log = d.text()
    assert "check acme: changed in " in log and ", version 2" in log


def test_smtp_outage_then_recovery_delivers_once(site, daemons):
    port = free_port()  # nobody listens yet: the SMTP server is "down"
    site.set("/p", page())
    d = daemons(env={"WATCHER_RETRY_BASE": "0.5"})
    d.config.write_text(config_text({"acme": site.url("/p")}, smtp_port=port))
    d.start()
    d.wait_log("check acme: new")
    site.set("/p", page("Mailchimp"))
    d.wait_log("could not send", timeout=10, count=2)  # failed, retried, failed again
    assert "connection refused" in d.text()
    srv = SMTPTestServer()
    helper = sys.modules[SMTPTestServer.__module__]  # it picks its port; make it take ours

    original = helper.free_port
    helper.free_port = lambda: port
    try:
        srv.start()
    finally:
        helper.free_port = original
    try:
        [msg] = srv.wait_for(1, timeout=15)
        assert msg["Subject"].startswith("[policy-watcher] acme:")
        time.sleep(2.5)  # more cycles and retries: still exactly one
        assert len(srv.messages) == 1
        assert d.stop() == 0
    finally:
        srv.stop()


def test_sigterm_lets_running_check_finish_and_exits_0(site, daemons):
    def slow(req) -> None:
        time.sleep(1.5)
        respond(req, 200, page())

    site.set("/slow", handler=slow)
    d = daemons()
    d.config.write_text(config_text({"slow": site.url("/slow")}, every="1h"))
    d.start()
    wait_until(lambda: site.hits("/slow") >= 1, 10, "the slow fetch")
    # stop() raises if the daemon takes longer than 20 s: the 1.5 s check finished inside the
    # 30 s grace rather than running it out
    assert d.stop(timeout=20) == 0
    log = d.text()
    assert log.index("stopping") < log.index("check slow: new")  # finished, and recorded
    assert "stopped" in log


def test_sigterm_idle_is_prompt(site, daemons):
    site.set("/p", page())
    d = daemons()
    d.config.write_text(config_text({"acme": site.url("/p")}, every="1h"))
    d.start()
    d.wait_log("check acme: new")
    # idle: stop() raises if the daemon takes longer than 20 s (it must not wait out the 30 s
    # grace for running checks)
    assert d.stop(timeout=20) == 0


def test_sighup_adds_removes_watches_and_survives_bad_config(site, daemons):
    site.set("/a", page())
    site.set("/b", page())
    d = daemons()
    d.config.write_text(config_text({"alpha": site.url("/a")}))
    d.start()
    d.wait_log("check alpha: new")

    d.config.write_text("[schedule]\nevery = \n")  # broken TOML
    d.signal(signal.SIGHUP)
    d.wait_log("config reload failed")
    n = site.hits("/a")
    wait_until(lambda: site.hits("/a") > n, 6, "alpha still checked after a bad reload", d)

    d.config.write_text(config_text({"beta": site.url("/b")}))
    d.signal(signal.SIGHUP)
    d.wait_log("added beta; removed alpha")
    d.wait_log("check beta: new")
    n = site.hits("/a")
    time.sleep(2.5)
    assert site.hits("/a") == n  # removed watches stop
    assert d.stop() == 0


def test_restart_does_not_refetch_recent_checks(site, daemons):
    site.set("/a", page())
    site.set("/b", page())
    d = daemons()
    d.config.write_text(config_text({"alpha": site.url("/a")}, every="1h"))
    d.start()
    d.wait_log("check alpha: new")
    assert d.stop() == 0
    assert site.hits("/a") == 1
    # restart with one more watch: the new (never checked) one runs at once, the other waits
    d.config.write_text(config_text({"alpha": site.url("/a"), "beta": site.url("/b")}, every="1h"))
    d.start()
    d.wait_log("check beta: new")
    time.sleep(1.0)
    assert site.hits("/a") == 1
    assert d.stop() == 0


def test_failing_watch_reported_once_then_recovery_once(site, smtp, daemons):
    site.set("/p", page())
    d = daemons()
    d.config.write_text(
        config_text(
            {"acme": site.url("/p")},
            every="1s",
            smtp_port=smtp.port,
            extra="[daemon]\nfailure_threshold = 2\n",
        )
    )
    d.start()
    d.wait_log("check acme: new")
    site.set("/p", "<h1>Server error</h1>", status=500)
    [alert] = smtp.wait_for(1, timeout=10)
    assert "fail" in alert["Subject"]
    d.wait_log("check acme: error", count=4)
    assert len(smtp.messages) == 1  # not once per failing cycle
    site.set("/p", page())
    msgs = smtp.wait_for(2, timeout=10)
    assert len(msgs) == 2 and "fail" not in msgs[1]["Subject"]
    d.wait_log("check acme: unchanged", count=2)
    assert len(smtp.messages) == 2
    assert d.stop() == 0


def test_once_runs_due_checks_and_delivery_then_exits(site, smtp, tmp_path):
    site.set("/p", page())
    cfg = tmp_path / "config.toml"
    cfg.write_text(config_text({"acme": site.url("/p")}, every="1h", smtp_port=smtp.port))
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    cmd = [sys.executable, "-c", ENTRY, "--config", str(cfg), "daemon", "--once"]

    def once() -> subprocess.CompletedProcess[str]:
        return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=30)

    r = once()
    assert r.returncode == 0, r.stderr
    assert "check acme: new" in r.stderr and site.hits("/p") == 1
    r = once()  # checked moments ago: not due
    assert r.returncode == 0 and site.hits("/p") == 1 and "0 of 1" in r.stderr
    # make it due again by hand-editing the schedule, change the page: one e-mail
    cfg.write_text(config_text({"acme": site.url("/p")}, every="1s", smtp_port=smtp.port))
    site.set("/p", page("Mailchimp"))
    time.sleep(1.1)
    r = once()
    assert r.returncode == 0 and "check acme: changed" in r.stderr
    assert len(smtp.wait_for(1)) == 1


def test_bad_config_and_log_level_exit_2(tmp_path):
    cfg = tmp_path / "config.toml"
    cfg.write_text("[schedule]\nevery = 5\nbogus = 1\n")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    r = subprocess.run(
        [sys.executable, "-c", ENTRY, "daemon", "--config", str(cfg)],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert r.returncode == 2 and "schedule.bogus" in r.stderr
    r = subprocess.run(
        [sys.executable, "-c", ENTRY, "daemon", "--config", str(cfg), "--log-level", "LOUD"],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert r.returncode == 2 and "log level" in r.stderr


def test_log_file_gets_the_lines(site, tmp_path):
    site.set("/p", page())
    cfg = tmp_path / "config.toml"
    cfg.write_text(config_text({"acme": site.url("/p")}, every="1h"))
    logfile = tmp_path / "logs" / "watcher.log"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    r = subprocess.run(
        [sys.executable, "-c", ENTRY, "daemon", "--config", str(cfg), "--once"]
        + ["--log-file", str(logfile)],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert r.returncode == 0
    assert "check acme: new" in logfile.read_text() and "check acme: new" in r.stderr


# -- scheduling arithmetic (pure) -------------------------------------------------------------


def test_first_runs_follow_last_checks():
    from watcher.config import Config
    from watcher.models import FetchSettings, Watch

    now = datetime(2025, 1, 1, 12, tzinfo=UTC)
    ws = (Watch("recent", "http://x/1"), Watch("old", "http://x/2"), Watch("never", "http://x/3"))
    config = Config(Path("c.toml"), Path("db"), Path("snap"), FetchSettings("ua"), 3600.0, 0.0, ws)
    last = {"recent": now - timedelta(minutes=10), "old": now - timedelta(hours=5)}
    runs = first_runs(config, list(ws), last, now)
    assert runs["recent"] == now + timedelta(minutes=50)
    assert runs["old"] == now  # overdue: soon
    assert runs["never"] == now + timedelta(seconds=0.5)  # staggered after the first overdue


def test_every_trigger_keeps_its_grid_with_jitter():
    first = datetime(2025, 1, 1, tzinfo=UTC)
    t = EveryTrigger(100, 30, first)
    assert t.get_next_fire_time(None, first) == first
    prev = first
    for k in range(1, 50):
        nxt = t.get_next_fire_time(prev, prev)
        slot = first + timedelta(seconds=100 * k)
        assert slot <= nxt <= slot + timedelta(seconds=30)
        prev = nxt
    assert EveryTrigger(10, 60, first).jitter == 5  # capped at half the interval
