"""The render line of scripts/bench.py: what one page rendered by headless Chromium costs.

Each mode runs in its own child process (`bench.py _render MODE N`), which serves a loopback
SPA (the policy arrives from a JSON fetch after 300 ms, like the browser tests), renders it N
times and closes the browser, so getrusage(RUSAGE_CHILDREN) in the parent holds the CPU of the
child, the Playwright driver and every Chromium process. Peak RSS and PSS are the child's
process tree (python + driver + browser + renderers), summed from /proc every 50 ms; RSS counts
pages the Chromium processes share once per process, PSS splits them (the truer total).

Modes: "alive" (one browser for all N pages, a fresh context per page, as the daemon does) and
"per-page" (a new browser for every page).
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import threading
import time
from pathlib import Path

POLICY = {
    "title": "Privacy Policy",
    "paragraphs": [
        f"Section {i}: we collect your name, email address and device identifiers, share "
        "payment details with Stripe to process subscriptions, and keep account data for 30 "
        "days after you close your account."
        for i in range(40)
    ],
}
SPA = """<!doctype html><html lang="en"><head><title>Privacy</title>
<script>var bundle = "%s";</script></head><body><div id="root"></div><script>
setTimeout(function () {
  fetch('/api/policy.json').then(function (r) { return r.json(); }).then(function (doc) {
    var root = document.getElementById('root');
    doc.paragraphs.forEach(function (t) {
      var p = document.createElement('p'); p.textContent = t; root.appendChild(p);
    });
  });
}, 300);
</script></body></html>""" % ("x" * 200_000)


def _tree_rss_kb(pid: int) -> tuple[int, int]:
    """(RSS, PSS) in kB summed over `pid` and its descendants (PSS shares shared pages out)."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    pss: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            status = (entry / "status").read_text()
        except OSError:
            continue
        p = int(entry.name)
        children.setdefault(int(stat.rsplit(")", 1)[1].split()[1]), []).append(p)
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                rss[p] = int(line.split()[1])
        try:
            for line in (entry / "smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    pss[p] = int(line.split()[1])
        except OSError:
            pass
    total_rss, total_pss, todo = 0, 0, [pid]
    while todo:
        p = todo.pop()
        total_rss += rss.get(p, 0)
        total_pss += pss.get(p, 0)
        todo.extend(children.get(p, []))
    return total_rss, total_pss


def child_render(mode: str, n: int, src: str) -> None:
    sys.path.insert(0, src)
    from watcher.demo.site import LocalSite
    from watcher.fetchers.browser import BrowserFetcher
    from watcher.models import FetchSettings

    settings = FetchSettings(user_agent="policy-watcher-bench/1.0")
    peak = [0, 0]
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            rss, pss = _tree_rss_kb(os.getpid())
            peak[0], peak[1] = max(peak[0], rss), max(peak[1], pss)
            time.sleep(0.05)

    threading.Thread(target=sample, daemon=True).start()
    walls: list[float] = []
    with LocalSite() as site:
        site.set("/privacy", SPA)
        site.set("/api/policy.json", json.dumps(POLICY), content_type="application/json")
        browser = BrowserFetcher(settings) if mode == "alive" else None
        for _ in range(n):
            b = browser or BrowserFetcher(settings)
            t0 = time.perf_counter()
            cap = b.render(site.url("/privacy"))
            walls.append(time.perf_counter() - t0)
            assert b"Section 39" in cap.body, "the SPA did not render"
            if browser is None:
                b.close()
        if browser is not None:
            browser.close()
    done.set()
    print(
        json.dumps({"walls": walls, "peak_rss_mb": peak[0] / 1024, "peak_pss_mb": peak[1] / 1024})
    )


def run(mode: str, n: int, bench_py: str, src: str) -> dict:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    out = subprocess.run(
        [sys.executable, bench_py, "_render", mode, str(n), src],
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    )
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    figures = json.loads(out.stdout.strip().splitlines()[-1])
    walls = sorted(figures["walls"])
    return {
        "mode": mode,
        "pages": n,
        "cpu_s_per_page": cpu / n,
        "wall_s_per_page": sum(walls) / n,
        "wall_median_s": walls[len(walls) // 2],
        "process_wall_s": wall,
        "peak_rss_mb": figures["peak_rss_mb"],
        "peak_pss_mb": figures["peak_pss_mb"],
    }


def lines(results: list[dict]) -> str:
    out = [
        "render (headless Chromium, loopback SPA; CPU = python + driver + browser):",
        f"  {'mode':<10} {'pages':>5} {'CPU-s/page':>11} {'wall/page':>10} {'median':>8} "
        f"{'peak RSS':>9} {'peak PSS':>9}",
    ]
    for r in results:
        out.append(
            f"  {r['mode']:<10} {r['pages']:>5} {r['cpu_s_per_page']:>11.2f} "
            f"{r['wall_s_per_page']:>9.2f}s {r['wall_median_s']:>7.2f}s "
            f"{r['peak_rss_mb']:>7.0f}MB {r['peak_pss_mb']:>7.0f}MB"
        )
    return "\n".join(out)
