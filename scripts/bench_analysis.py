"""Time extract_facts + analyze on the longest consecutive pair of the development corpus.

Usage: python scripts/bench_analysis.py [--corpus DIR] [--runs N] [--top K] [--modules]

Uses the reference Open Terms Archive `.md` extractions beside each snapshot. Prints, for the
K documents with the longest versions, the median milliseconds per pair (one core), cold: the
per-text caches (units, the shared Doc, diff's normalized lines and word diffs) are cleared
before every run. With --modules, also the cold time of each fact family on the longest
version (run in extract_facts order, so the first family of facts/__init__ pays the split).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from watcher.analysis import diff  # noqa: E402
from watcher.analysis.findings import analyze  # noqa: E402
from watcher.facts import FAMILIES, clear_caches, extract_facts  # noqa: E402


def cold() -> None:
    clear_caches()
    diff.normalize_line.cache_clear()
    diff._words.cache_clear()


def pairs(corpus: Path) -> list[tuple[int, str, Path, Path]]:
    out = []
    for d in sorted(p for p in corpus.iterdir() if p.is_dir()):
        mds = sorted(p for p in d.glob("*.md"))
        for a, b in zip(mds, mds[1:], strict=False):
            size = max(a.stat().st_size, b.stat().st_size)
            out.append((size, d.name, a, b))
    out.sort(reverse=True)
    return out


def time_pair(old: str, new: str, runs: int) -> tuple[float, float, float]:
    t_facts, t_an, t_all = [], [], []
    for _ in range(runs):
        cold()  # measure cold extraction, not the per-text caches
        t0 = time.perf_counter()
        fo = extract_facts(old)
        fn = extract_facts(new)
        diff.normalize_line.cache_clear()  # analyze cold too
        diff._words.cache_clear()
        t1 = time.perf_counter()
        analyze(old, new, fo, fn)
        t2 = time.perf_counter()
        t_facts.append((t1 - t0) * 1000)
        t_an.append((t2 - t1) * 1000)
        t_all.append((t2 - t0) * 1000)
    return statistics.median(t_facts), statistics.median(t_an), statistics.median(t_all)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", default="/work/shared/corpus")
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--top", type=int, default=3)
    ap.add_argument("--modules", action="store_true", help="time each fact family too")
    args = ap.parse_args()
    ps = pairs(Path(args.corpus))
    if not ps:
        print("no .md pairs found", file=sys.stderr)
        return 1
    seen: set[str] = set()
    shown = 0
    for size, name, a, b in ps:
        if name in seen:
            continue
        seen.add(name)
        old, new = a.read_text(encoding="utf-8"), b.read_text(encoding="utf-8")
        time_pair(old, new, 1)  # warm-up (imports, regex compilation)
        tf, ta, tt = time_pair(old, new, args.runs)
        print(
            f"{name:40s} {size / 1000:7.1f} kB  facts(2 versions) {tf:7.1f} ms  "
            f"analyze {ta:6.1f} ms  total {tt:7.1f} ms per pair (median of {args.runs})"
        )
        if shown == 0 and args.modules:
            time_modules(max(old, new, key=len), args.runs)
        shown += 1
        if shown >= args.top:
            break
    return 0


def time_modules(text: str, runs: int) -> None:
    mods = [(m.__name__.rsplit(".", 1)[-1], m) for m in FAMILIES]
    times: dict[str, list[float]] = {name: [] for name, _ in mods}
    for _ in range(runs):
        cold()
        for name, mod in mods:
            t0 = time.perf_counter()
            mod.extract(text)
            times[name].append((time.perf_counter() - t0) * 1000)
    med = {name: statistics.median(v) for name, v in times.items()}
    print(
        f"  per family on the longest version ({len(text) / 1000:.1f} kB, median ms): "
        + ", ".join(f"{n} {t:.1f}" for n, t in med.items())
        + f"; total {sum(med.values()):.1f}"
    )


if __name__ == "__main__":
    raise SystemExit(main())
