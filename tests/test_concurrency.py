"""Two writers at once (issue 13 point 7) and a page rotating among texts (point 11).

Real processes and real SQLite files: a second daemon on one database is refused with one
line; checks of one watch running in parallel from separate connections (as the daemon and a
`watcher check` loop would) never store one text twice nor report a change twice."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

from tests.conftest import Project, small_policy_page
from watcher import config as cfg
from watcher.fetchers.http import Fetcher
from watcher.monitor import Context, check_watch
from watcher.storage.sqlite import Store, StoreError


def _config(project: Project, url: str) -> None:
    project.write_config([{"name": "acme", "url": url}])


def test_second_daemon_on_one_database_is_refused(project: Project, site) -> None:
    site.set("/p", small_policy_page())
    _config(project, site.url("/p"))
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    first = subprocess.Popen(
        [sys.executable, "-m", "watcher", "--config", str(project.config), "daemon"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    try:
        lockfile = project.root / "watcher.db.locks" / "daemon.lock"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not (
            lockfile.exists() and lockfile.read_text().strip()
        ):
            time.sleep(0.1)
        assert lockfile.read_text().strip() == str(first.pid)
        second = subprocess.run(
            [sys.executable, "-m", "watcher", "--config", str(project.config), "daemon"],
            capture_output=True,
            text=True,
            timeout=60,
            env=env,
        )
        assert second.returncode == 1, second.stderr
        err = second.stderr.strip()
        assert "already running on this database" in err
        assert f"pid {first.pid}" in err
        assert "Traceback" not in err
    finally:
        first.terminate()
        first.wait(timeout=60)
    # The lock dies with its holder: a new daemon may start (and --once exits by itself).
    again = subprocess.run(
        [sys.executable, "-m", "watcher", "--config", str(project.config), "daemon", "--once"],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert again.returncode == 0, again.stderr


def test_daemon_lock_is_released_when_holder_is_killed(tmp_path: Path) -> None:
    db = tmp_path / "w.db"
    Store(db, tmp_path / "snap").close()
    code = (
        "import sys, time\n"
        "from watcher.storage.sqlite import Store\n"
        f"s = Store({str(db)!r}, {str(tmp_path / 'snap')!r})\n"
        "lock = s.daemon_lock(); lock.__enter__()\n"
        "print('held', flush=True); time.sleep(60)\n"
    )
    holder = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        store = Store(db, tmp_path / "snap")
        try:
            with store.daemon_lock():
                raise AssertionError("a second holder got the daemon lock")
        except StoreError as e:
            assert "already running" in str(e)
        holder.kill()
        holder.wait(timeout=30)
        with store.daemon_lock():
            pass  # kill -9 left no stale lock behind
        store.close()
    finally:
        if holder.poll() is None:
            holder.kill()


def test_parallel_checks_of_one_watch_store_each_text_once(project: Project, site) -> None:
    """Four connections check one changing page at the same time, over and over."""
    _config(project, site.url("/p"))
    config = cfg.load(project.config)
    watch = config.watches[0]
    texts = [
        small_policy_page(extra=f"Clause number {i} applies to every account.") for i in range(6)
    ]
    stores = [Store(config.database, config.snapshots) for _ in range(4)]
    results: list[str] = []
    lock = threading.Lock()

    def run(store: Store) -> None:
        ctx = Context(store=store, fetcher=Fetcher(config.fetch))
        r = check_watch(ctx, watch)
        with lock:
            results.append(r.status)

    try:
        for text in texts:
            site.set("/p", text)
            threads = [threading.Thread(target=run, args=(s,)) for s in stores]
            for t in threads:
                t.start()
            for t in threads:
                t.join(timeout=120)
        store = stores[0]
        versions = store.versions("acme")
        assert len(versions) == len(texts), [v.id for v in versions]
        assert len({v.sha256 for v in versions}) == len(texts)
        # one "new", then exactly one "changed" per new text; every other check unchanged
        assert results.count("new") == 1
        assert results.count("changed") == len(texts) - 1
        assert results.count("unchanged") == len(results) - len(texts)
    finally:
        for s in stores:
            s.close()


def test_page_rotating_among_three_texts_alerts_only_a_few_times(project: Project, site) -> None:
    """A load balancer mid-rollout: A, B, C, A, B, C, ... must not alert on every check."""
    _config(project, site.url("/p"))
    pages = [
        small_policy_page(extra="We keep support tickets for 12 months."),
        small_policy_page(extra="We keep support tickets for 24 months."),
        small_policy_page(extra="We keep support tickets for 36 months."),
    ]
    statuses = []
    for i in range(12):
        site.set("/p", pages[i % 3])
        statuses.append(project.json("check")[0]["status"])
    assert statuses[0] == "new"
    assert statuses[1:3] == ["changed", "changed"], statuses
    # after the first round a recent text is held (or is the latest: unchanged), never a change
    assert set(statuses[3:]) == {"suspicious", "unchanged"}, statuses
    # ...until one text persists: then it is reported once
    site.set("/p", pages[0])
    tail = [project.json("check")[0]["status"] for _ in range(4)]
    assert tail == ["suspicious", "suspicious", "changed", "unchanged"], tail


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(x) for x in text.split()]


def test_a_killed_worker_does_not_abort_a_large_check(project: Project, site) -> None:
    """`watcher check` over 40+ watches forks workers; kill -9 one mid-run: every watch still
    gets a result and a recorded check, and the other worker's results stand."""
    import json
    import signal

    from watcher.demo.site import drip
    from watcher.runner import PROCESS_THRESHOLD

    page = small_policy_page()
    watches = []
    for i in range(PROCESS_THRESHOLD):
        site.set(f"/p{i}", page)
        host = "127.0.0.1" if i % 2 else "localhost"  # two hosts: two worker processes
        watches.append({"name": f"w{i}", "url": f"http://{host}:{site.port}/p{i}"})
    # each worker meets a page that drips slowly, so both are busy when one is killed
    site.set("/p0", handler=drip(page.encode(), 0.05))
    site.set("/p1", handler=drip(page.encode(), 0.05))
    project.write_config(watches)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    proc = subprocess.Popen(
        [sys.executable, "-m", "watcher", "--config", str(project.config), "check", "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    killed = None
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and killed is None:
        kids = _children(proc.pid)
        if len(kids) >= 2 and site.hits("/p0") and site.hits("/p1"):
            killed = kids[0]
            os.kill(killed, signal.SIGKILL)
        time.sleep(0.05)
    out, err = proc.communicate(timeout=300)
    assert killed is not None, "no worker processes to kill"
    assert proc.returncode == 1, err
    results = {r["name"]: r for r in json.loads(out)}
    assert set(results) == {w["name"] for w in watches}
    died = [r for r in results.values() if r["error"] and "worker process" in r["error"]]
    assert died, results
    assert all(r["status"] == "error" for r in died)
    assert any(r["status"] == "new" for r in results.values())
    assert "Traceback" not in err
    listing = project.json("list")
    assert all(w["last_check"] for w in listing), listing


def test_two_processes_sending_the_outbox_send_each_message_once(project: Project, site) -> None:
    """The daemon's delivery and a `watcher outbox retry` at the same moment: one sender."""
    from tests.smtpserver import SMTPTestServer, free_port
    from tests.test_mail_cli import email_table

    down = free_port()  # SMTP down while the changes are made: reports stay queued
    project.write_config([{"name": "acme", "url": site.url("/p")}], email_table(down))
    site.set("/p", small_policy_page())
    project.run("check")
    for name in ("Mailchimp", "SendGrid", "Zendesk"):
        site.set("/p", small_policy_page(processor=name))
        project.run("check")
    queued = project.json("outbox")
    assert len(queued) == 3
    with SMTPTestServer() as smtp:
        smtp.stall_next(3, 0.5)  # slow DATA replies: the senders overlap
        project.write_config([{"name": "acme", "url": site.url("/p")}], email_table(smtp.port))
        env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
        cmd = [sys.executable, "-m", "watcher", "--config", str(project.config), "outbox", "retry"]
        procs = [
            subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
            for _ in range(3)
        ]
        for p in procs:
            p.communicate(timeout=180)
        ids = [str(m.message["Message-ID"]) for m in smtp.received]
        assert len(ids) == 3 and len(set(ids)) == 3, ids
    assert project.json("outbox") == []
