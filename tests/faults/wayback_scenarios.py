"""Fault scenarios: a hostile Wayback mirror, and `watcher demo` pointed at a real project.

Registered in `scenarios.SCENARIOS` (group "wayback") when `scenarios.py` imports this module,
so `scripts/chaos.py` and `test_wayback_faults.py` run them like the others. Each one drives
`watcher backfill` (in process, or as a subprocess whose peak memory is measured) against a
server on 127.0.0.1 that plays the attack, then checks: a clean exit, one readable line naming
the cause, bounded time and memory, nothing stored from the attack, the live history intact.
"""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
import time
from http.server import BaseHTTPRequestHandler
from pathlib import Path

from tests.faults.scenarios import (
    GOOD,
    Lab,
    Outcome,
    app,
    readable,
    revised,
    scenario,
    watcher_cmd,
)
from watcher.demo.wayback import FakeWayback

WAYBACK = "wayback"
HEADER = b'[["timestamp","original","mimetype","statuscode","digest","length"],\n'


def _wayback_table(base: str, timeout: float = 3.0) -> str:
    return (
        f'[wayback]\nbase_url = "{base}"\ncdx_rate = 500.0\nplayback_rate = 500.0\n'
        f"timeout = {timeout}\n"
    )


def _write(lab: Lab, base: str, timeout: float = 3.0) -> None:
    text = lab.config_text()
    lab.config.write_text(text + "\n" + _wayback_table(base, timeout), encoding="utf-8")


def _backfill_measured(lab: Lab, timeout: float = 300) -> tuple[int, dict, int, float, str]:
    """`watcher backfill policy --json` in a subprocess: (code, JSON, peak RSS MB, s, stderr)."""
    probe = (
        "import resource, subprocess, sys\n"
        "r = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
        "sys.stderr.write(r.stderr)\n"
        "print(r.returncode)\n"
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024)\n"
        "print(r.stdout)\n"
    )
    t0 = time.monotonic()
    p = subprocess.run(
        [sys.executable, "-c", probe,
         *watcher_cmd("--config", str(lab.config), "backfill", "policy", "--json")],
        capture_output=True, text=True, timeout=timeout, cwd=lab.root,
    )  # fmt: skip
    seconds = time.monotonic() - t0
    code, rss, rest = p.stdout.split("\n", 2)
    try:
        data = json.loads(rest)
    except ValueError:
        data = {}
    return int(code), data, int(rss), seconds, p.stderr


def _judge_backfill(
    out: Outcome, code: int, data: dict, stderr: str, needle: str, *, rss: int | None = None
) -> None:
    out.require(code == 1, f"exit {code}, expected 1 (stopped early)")
    out.require("Traceback" not in stderr, "a traceback escaped")
    errors = data.get("errors") or []
    out.require(len(errors) == 1, f"expected one error, got {errors!r}")
    if errors:
        why = readable(errors[0])
        out.require(why is None, f"error not readable: {why}")
        out.require(needle in errors[0], f"error does not say {needle!r}: {errors[0]!r}")
        out.notes.append(errors[0])
    if rss is not None:
        out.require(rss < 400, f"peak memory {rss} MB (cap 400)")


@scenario(
    "Wayback mirror drips 1 byte/s",
    WAYBACK,
    "CDX answer sent one byte per second, [wayback] timeout = 3: `watcher backfill` stops with "
    "one 'did not answer within 3s' line after its retries, well before a minute; the live "
    "version is untouched; when the mirror recovers, a rerun imports the past",
    chaos_runs=1,
)
def wayback_drip(tmp: Path) -> Outcome:
    out = Outcome("Wayback mirror drips 1 byte/s")
    with Lab(tmp) as lab, FakeWayback() as wb:
        lab.site.set("/policy", GOOD)
        lab.write_config()
        lab.check()
        before = lab.state()
        wb.add(lab.url, "20150301120000", revised(1))
        wb.drip("cdx", 1.0)
        _write(lab, wb.base)
        t0 = time.monotonic()
        ran = lab.cli("backfill", "policy", "--json")
        seconds = time.monotonic() - t0
        out.require(ran.crashed is None, f"crashed: {ran.crashed}")
        _judge_backfill(out, ran.code, _json(ran.stdout), "", "did not answer within 3s")
        out.require(seconds < 60, f"took {seconds:.0f}s (deadline 3 s per attempt)")
        out.notes.append(f"stopped after {seconds:.1f}s")
        out.require(lab.state().versions == before.versions, "versions changed")
        wb.drip("cdx", 0.0)
        again = lab.cli("backfill", "policy", "--json")
        out.require(_json(again.stdout).get("imported") == 1, f"rerun: {again.stdout[:200]}")
    return out


@scenario(
    "Wayback CDX gzip bomb",
    WAYBACK,
    "a 2 MB gzip CDX answer inflating to 2 GB: `watcher backfill` (a subprocess) stops at the "
    "100,000,000-byte decompressed cap with one line, peak memory under 400 MB",
    chaos_runs=1,
)
def wayback_cdx_bomb(tmp: Path) -> Outcome:
    out = Outcome("Wayback CDX gzip bomb")
    row = json.dumps(["20150101000000", "x", "text/html", "200", "A" * 32, "1"]).encode()
    member = gzip.compress(b"[" + b" " * (1_000_000 - len(row)) + row[1:] + b",\n", 9)
    head = gzip.compress(HEADER)
    members = 2000

    def handle(req: BaseHTTPRequestHandler) -> None:
        req.send_response(200)
        req.send_header("Content-Type", "application/json")
        req.send_header("Content-Encoding", "gzip")
        req.send_header("Content-Length", str(len(head) + members * len(member)))
        req.end_headers()
        try:
            req.wfile.write(head)
            for _ in range(members):
                req.wfile.write(member)
        except OSError:
            pass

    with Lab(tmp) as lab:
        lab.site.set("/cdx/search/cdx", handler=handle)
        _write(lab, lab.site.base, timeout=120)
        code, data, rss, seconds, stderr = _backfill_measured(lab)
        _judge_backfill(out, code, data, stderr, "larger than 100,000,000 bytes", rss=rss)
        out.notes.append(
            f"{(len(head) + members * len(member)) / 1e6:.1f} MB gzip: {seconds:.1f}s, "
            f"peak {rss} MB"
        )
    return out


@scenario(
    "Wayback CDX of 3,000,000 rows",
    WAYBACK,
    "a CDX answer of 3,000,000 distinct rows (~330 MB): parsed line by line, `watcher "
    "backfill` (a subprocess) stops at 100,000 distinct captures with one line telling to "
    "narrow the range, peak memory under 400 MB",
    chaos_runs=1,
)
def wayback_cdx_rows(tmp: Path) -> Outcome:
    out = Outcome("Wayback CDX of 3,000,000 rows")

    def line(i: int) -> bytes:
        ts = f"2015{1 + i % 12:02d}{1 + i % 28:02d}{i % 24:02d}{i % 60:02d}{(i // 60) % 60:02d}"
        return json.dumps([ts, "https://x.test/p", "text/html", "200", f"{i:032d}", "9"]).encode()

    def handle(req: BaseHTTPRequestHandler) -> None:
        req.send_response(200)
        req.send_header("Content-Type", "application/json")
        req.send_header("Connection", "close")
        req.end_headers()
        try:
            req.wfile.write(HEADER)
            for start in range(0, 3_000_000, 1000):
                req.wfile.write(b"".join(line(i) + b",\n" for i in range(start, start + 1000)))
            req.wfile.write(b"[]]\n")
        except OSError:
            pass

    with Lab(tmp) as lab:
        lab.site.set("/cdx/search/cdx", handler=handle)
        _write(lab, lab.site.base, timeout=120)
        code, data, rss, seconds, stderr = _backfill_measured(lab)
        _judge_backfill(out, code, data, stderr, "more than 100,000 distinct captures", rss=rss)
        out.notes.append(f"{seconds:.1f}s, peak {rss} MB")
    return out


@scenario(
    "Wayback capture dated 9999",
    WAYBACK,
    "a mirror lists and plays back a capture dated 9999-12-31: the backfill refuses it "
    "(Memento-Datetime in the future), so the live version stays the latest and the next "
    "live change is reported as a change, not 'unchanged'",
    chaos_runs=1,
)
def wayback_future(tmp: Path) -> Outcome:
    out = Outcome("Wayback capture dated 9999")
    with Lab(tmp) as lab, FakeWayback() as wb:
        lab.site.set("/policy", GOOD)
        lab.write_config()
        lab.check()
        wb.add(lab.url, "99991231000000", revised(7))
        _write(lab, wb.base)
        ran = lab.cli("backfill", "policy", "--json")
        data = _json(ran.stdout)
        out.require(ran.crashed is None, f"crashed: {ran.crashed}")
        out.require(data.get("imported") == 0, f"the 9999 capture was imported: {data}")
        lab.site.set("/policy", revised(8))
        after = lab.check()
        if after.status != "changed":
            out.problem(f"live change after the 9999 capture: {after.status!r}, not 'changed'")
        with lab.connect() as c:
            future = c.execute("SELECT count(*) FROM versions WHERE captured_at >= '9999'")
            out.require(future.fetchone()[0] == 0, "a version dated 9999 was stored")
    return out


@scenario(
    "demo --dir on a real project",
    WAYBACK,
    "`watcher demo --dir` pointed at a directory holding a real config and database: exit 2 "
    "with one line, every file byte-for-byte unchanged",
    chaos_runs=1,
)
def demo_real_dir(tmp: Path) -> Outcome:
    out = Outcome("demo --dir on a real project")
    with Lab(tmp) as lab:
        lab.site.set("/policy", GOOD)
        lab.write_config()
        lab.check()
        before = lab.fingerprint()
        ran = lab.runner.invoke(app, ["demo", "--dir", str(lab.root)])
        out.require(ran.exit_code == 2, f"exit {ran.exit_code}, expected 2")
        out.require("was not created by `watcher demo`" in " ".join(ran.output.split()), "no cause")
        out.require(lab.fingerprint() == before, "the project's files changed")
        if lab.fingerprint() != before:
            out.versions_lost += len(lab.state().versions) or 1
    return out


def _json(text: str) -> dict:
    try:
        data = json.loads(text)
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}
