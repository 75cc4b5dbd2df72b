"""Timings that used to be test assertions (issue 15 point 9: tests assert behaviour, speed is
measured here): extracting a 5 MB single-line page and a 300 KB page, diffing two 3,000-line
documents, finding a date at the end of a 300 KB text.

    .venv/bin/python scripts/bench_units.py [--runs 5]

Prints the median and best wall time of each, with the figure the old test demanded.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from watcher.analysis.diff import hunks  # noqa: E402
from watcher.extract import extract  # noqa: E402
from watcher.facts.dates import extract as dates  # noqa: E402


def cases() -> dict[str, tuple[Callable[[], object], float]]:
    single = b"<p>" + b"word " * 1_000_000 + b"</p>"
    section = (ROOT / "tests" / "fixtures" / "extract" / "semantic.html").read_text()
    main = section.split("<main>")[1].split("</main>")[0]
    big = (
        "<html><body><nav>"
        + "<a href=/x>Link</a>" * 200
        + "</nav><main>"
        + main * 330
        + "</main></body></html>"
    ).encode()
    old = "\n".join(f"Paragraph {i} says something about data number {i}." for i in range(3000))
    new = old.replace("Paragraph 1500 says", "Paragraph 1500 now says")
    para = "We process personal data for 30 days since 2015 as described in section 4.2.\n"
    text = para * 4000 + "Last updated: May 25, 2018\n"
    return {
        "extract 5 MB single line": (lambda: extract(single, content_type="text/html"), 10.0),
        "extract 300 KB page": (lambda: extract(big), 0.25),
        "diff 3,000 lines": (lambda: hunks(old, new), 0.5),
        "date in 300 KB text": (lambda: dates(text), 2.0),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--runs", type=int, default=5)
    ns = ap.parse_args()
    for label, (fn, old_limit) in cases().items():
        fn()  # warm caches and imports
        times = []
        for _ in range(ns.runs):
            t0 = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t0)
        print(
            f"{label:28} median {statistics.median(times):.3f}s  best {min(times):.3f}s"
            f"  (the old test's limit: {old_limit:g}s)"
        )


if __name__ == "__main__":
    main()
