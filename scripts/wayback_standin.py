"""Serve a stand-in Wayback Machine on 127.0.0.1, archived from the demo site's policies.

    python scripts/wayback_standin.py --port 8765 [--delay 0.2]

Each demo policy (watcher/demo/pages/<slug>/v*.html) is archived at
https://demo.policy-watcher.test/<slug>/privacy-policy/ with monthly captures from 2019 on,
moving to its next version every year, with repeated lines and revisits as the real CDX
index has them. Point `[wayback] base_url` at it to try `watcher backfill` from a shell:
interrupt it, run it again, and see a complete, duplicate-free history.

It also holds a policy that moved: https://demo.policy-watcher.test/moved/privacy served
the claro text in 2015, then answered 301 for five years (a capture every 4 days, one
digest) to a target that changed twice (/moved/privacy-policy, /moved/legal/privacy,
/moved/en/privacy), each target captured with its own versions of the text (and
/moved/privacy-policy once more in 2019 with an unrelated page, after the policy had moved
on: not the policy's history then).
"""

from __future__ import annotations

import argparse
import signal
import sys
import time
from importlib import resources
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from watcher.demo.wayback import FakeWayback  # noqa: E402

SITE = "https://demo.policy-watcher.test"


def build(wb: FakeWayback) -> list[str]:
    root = resources.files("watcher.demo") / "pages"
    urls = []
    for slug_dir in sorted(p for p in root.iterdir() if p.is_dir()):
        versions = sorted(p.name for p in slug_dir.iterdir() if p.name.endswith(".html"))
        url = f"{SITE}/{slug_dir.name}/privacy-policy/"
        urls.append(url)
        previous = None
        for year_index, year in enumerate(range(2019, 2025)):
            page = versions[min(year_index // 2, len(versions) - 1)]
            page_bytes = (slug_dir / page).read_bytes()
            for month in (1, 4, 7, 10):
                ts = f"{year}{month:02d}15120000"
                if month in (4, 10) and previous is not None:
                    # a revisit record: the archive saw the same bytes again
                    wb.add(url, ts, previous, revisit=True)
                    continue
                # live pages carry per-request noise (here a comment), so most captures
                # have their own digest although the policy text is the same
                body = page_bytes + f"<!-- served {ts} -->".encode()
                wb.add(url, ts, body, repeat=2 if month == 7 else 1)
                previous = body
    return urls


MOVED = f"{SITE}/moved/privacy"


def build_moved(wb: FakeWayback) -> str:
    """The moved policy described in the module docstring; returns its URL."""
    from datetime import UTC, datetime, timedelta

    root = resources.files("watcher.demo") / "pages"
    claro = [(root / "claro" / f"v{i}.html").read_bytes() for i in (1, 2, 3)]
    wb.add(MOVED, "20150301120000", claro[0])
    wb.add(MOVED, "20150901120000", claro[0], revisit=True)
    moved = b"<html><body>Moved Permanently</body></html>"
    runs = [
        ((2016, 1), (2018, 1), "/moved/privacy-policy"),
        ((2018, 1), (2019, 7), "/moved/legal/privacy"),
        ((2019, 7), (2021, 1), "/moved/en/privacy"),
    ]
    for (y0, m0), (y1, m1), path in runs:
        at, stop = datetime(y0, m0, 1, 6, tzinfo=UTC), datetime(y1, m1, 1, tzinfo=UTC)
        while at < stop:
            wb.add(MOVED, at.strftime("%Y%m%d%H%M%S"), moved, status=301, location=path)
            at += timedelta(days=4)
    note = "<!-- {} -->".format
    wb.add(f"{SITE}/moved/privacy-policy", "20160103100000", claro[0] + note("a").encode())
    wb.add(f"{SITE}/moved/privacy-policy", "20170510100000", claro[1])
    wb.add(f"{SITE}/moved/legal/privacy", "20180104100000", claro[1] + note("b").encode())
    wb.add(f"{SITE}/moved/legal/privacy", "20180901100000", claro[1] + note("b").encode())
    wb.add(f"{SITE}/moved/legal/privacy", "20190201100000", claro[2])
    wb.add(f"{SITE}/moved/en/privacy", "20190709100000", claro[2] + note("c").encode())
    wb.add(f"{SITE}/moved/en/privacy", "20200601100000", claro[1] + note("d").encode())
    unrelated = (root / "soutron" / "v1.html").read_bytes()
    wb.add(f"{SITE}/moved/privacy-policy", "20190301100000", unrelated)
    return MOVED


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--port", type=int, default=8765)
    ap.add_argument("--delay", type=float, default=0.0, help="seconds added to each playback")
    args = ap.parse_args()
    wb = FakeWayback(port=args.port)
    urls = build(wb)
    urls.append(build_moved(wb))
    if args.delay:
        wb.slow("playback", args.delay, times=10**9)
    wb.start()
    print(f"stand-in Wayback Machine at {wb.base}; archived policies:", flush=True)
    for u in urls:
        print(f"  {u}", flush=True)
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        wb.stop()


if __name__ == "__main__":
    main()
