"""Fault scenarios: two writers at once and pages that rotate (issue 13 points 7 and 11).

Registered in `scenarios.SCENARIOS` (group "concurrency") when `scenarios.py` imports this
module. Real daemons as subprocesses, real `watcher check` processes, a real SMTP server: a
second daemon on one database is refused; a daemon plus a check loop on a page that changes
every second stores each text once and e-mails each change once; a page rotating among three
texts does not alert on every check.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from tests.faults.scenarios import (
    GOOD,
    Daemon,
    Lab,
    Outcome,
    Revisions,
    _email_table,
    _need_daemon,
    _smtp_server,
    _versions,
    audit_deliveries,
    revised,
    scenario,
)

CONCURRENCY = "concurrency"


def _settle(lab: Lab, d: Daemon, page: Revisions, seconds: float = 6.0) -> None:
    """Freeze the page and let the daemon catch up and deliver."""
    page.freeze()
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        time.sleep(0.5)
        if lab.sub("outbox", "--json").stdout.strip() in ("[]", ""):
            break


def _against_a_daemon(tmp: Path, name: str, meanwhile: Callable[[Lab, Outcome], str]) -> Outcome:
    """Start a daemon on a page publishing a new text every second, run `meanwhile` (which
    returns a note), settle, stop the daemon, then audit versions, changes and deliveries."""
    _need_daemon()
    out = Outcome(name)
    smtp = _smtp_server()
    try:
        with Lab(tmp, every="1s", timeout=3, email=_email_table(smtp)) as lab:
            page = Revisions(period=1.0)
            lab.site.set("/policy", handler=page)
            lab.write_config()
            d = Daemon(lab)
            d.start()
            note = meanwhile(lab, out)
            _settle(lab, d, page)
            out.require(d.alive(), f"daemon died:\n{d.tail()}")
            code = d.terminate()
            out.require(code == 0, f"SIGTERM: exit {code}")
            # a change stored by another process after the daemon's last delivery
            lab.sub("outbox", "retry")
            audit_deliveries(out, lab, smtp, page.served)
            out.problems.extend(lab.integrity())
            out.notes.append(note)
            if out.problems:
                out.survived = False
    finally:
        smtp.stop()
    return out


@scenario(
    "two daemons on one database",
    CONCURRENCY,
    "a second `watcher daemon` on the same database while the first stores a new version "
    "every second: the second exits 1 at once with one line naming the first one's pid; "
    "every change is stored once and e-mailed once",
    chaos_runs=2,
)
def two_daemons(tmp: Path) -> Outcome:
    def second_daemon(lab: Lab, out: Outcome) -> str:
        time.sleep(2.0)
        second = lab.sub("daemon", timeout=60)
        out.require(second.code == 1, f"second daemon: exit {second.code}")
        err = second.stderr.strip()
        out.require(
            "already running" in err and len(err.splitlines()) == 1,
            f"second daemon said {err[:300]!r}",
        )
        out.require(not second.crashed, "second daemon crashed")
        time.sleep(5.0)
        return f"second daemon: {err}"

    return _against_a_daemon(tmp, "two daemons on one database", second_daemon)


@scenario(
    "daemon plus a check loop",
    CONCURRENCY,
    "`watcher check` run over and over in other processes while the daemon checks the same "
    "page, which publishes a new text every second: no text stored twice, no change "
    "reported twice, every report delivered once",
    chaos_runs=2,
)
def daemon_and_checks(tmp: Path) -> Outcome:
    def check_loop(lab: Lab, out: Outcome) -> str:
        checks = 0
        deadline = time.monotonic() + 8
        while time.monotonic() < deadline:
            r = lab.sub("check", "--json")
            checks += 1
            out.require(not r.crashed, f"check crashed: {r.stderr[-300:]}")
        return f"{checks} `watcher check` runs alongside the daemon"

    return _against_a_daemon(tmp, "daemon plus a check loop", check_loop)


@scenario(
    "page rotating among three texts",
    CONCURRENCY,
    "a load balancer mid-rollout serves A, B, C, A, B, C... for 12 checks: the first round "
    "is reported, then every return to a recent text is held (suspicious), not an alert",
)
def rotating_page(tmp: Path) -> Outcome:
    out = Outcome("page rotating among three texts")
    with Lab(tmp) as lab:
        texts = [GOOD, revised(1), revised(2)]
        lab.site.set("/policy", texts[0])
        lab.write_config()
        statuses = []
        for i in range(12):
            lab.site.set("/policy", texts[i % 3])
            statuses.append(lab.check().status)
        changed = statuses.count("changed")
        out.require(statuses[0] == "new", f"first check: {statuses[0]}")
        if changed > 2:
            out.false_alerts += changed - 2
            out.problem(f"{changed} changes reported for 3 texts: {statuses}")
        rows = _versions(lab)
        out.require(len(rows) == 3, f"{len(rows)} versions for 3 texts")
        out.notes.append(" ".join(statuses))
    if out.problems:
        out.survived = False
    return out
