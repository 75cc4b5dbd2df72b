#!/usr/bin/env python3
"""Run the fault scenarios of tests/faults/scenarios.py many times and print a table.

    .venv/bin/python scripts/chaos.py                 # every scenario, default counts
    .venv/bin/python scripts/chaos.py --runs 10       # N runs of each (kill -9: --kills)
    .venv/bin/python scripts/chaos.py -k network -k kill   # only names/groups matching

Columns: runs, survived (clean exit or daemon still running, every invariant held), versions
lost, reports lost, false alerts. Exit 0 only when every run survived with zero losses and zero
false alerts. Real servers on 127.0.0.1, real SQLite files, real subprocesses and signals.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.faults import scenarios as sc  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--runs", type=int, default=5, help="runs per scenario (default 5)")
    ap.add_argument("--kills", type=int, default=50, help="SIGKILLs in the kill -9 scenario")
    ap.add_argument("-k", action="append", default=[], help="only scenarios/groups matching")
    ap.add_argument("--keep", action="store_true", help="keep the work directories")
    args = ap.parse_args(argv)
    os.environ["CHAOS_KILLS"] = str(args.kills)

    chosen = [
        s
        for s in sc.SCENARIOS.values()
        if not args.k or any(k.lower() in (s.name + " " + s.group).lower() for k in args.k)
    ]
    base = Path(tempfile.mkdtemp(prefix="chaos-"))
    rows = []
    failures: list[str] = []
    notes: list[str] = []
    t_start = time.monotonic()
    for s in chosen:
        runs = 1 if s.chaos_runs == 1 else max(1, round(args.runs * s.chaos_runs / 5))
        stats = {"runs": 0, "survived": 0, "versions": 0, "reports": 0, "false": 0}
        skipped = None
        t0 = time.monotonic()
        for i in range(runs):
            work = base / f"{sc.slug(s.name)}-{i}"
            try:
                out = sc.run_scenario(s.name, work)
            except sc.Unavailable as e:
                skipped = str(e)
                break
            except Exception as e:  # noqa: BLE001 - a scenario bug is a failed run, not a stop
                out = sc.Outcome(s.name, survived=False)
                out.problems.append(f"scenario raised {type(e).__name__}: {e}")
                traceback.print_exc()
            stats["runs"] += 1
            stats["survived"] += int(out.survived and not out.problems)
            stats["versions"] += out.versions_lost
            stats["reports"] += out.reports_lost
            stats["false"] += out.false_alerts
            if not out.ok:
                failures.append(f"run {i + 1}: " + out.explain())
            if s.group in ("process", "attack") and out.notes:
                notes.append(f"{s.name} (run {i + 1}): " + "; ".join(out.notes))
            if not args.keep:
                import shutil

                shutil.rmtree(work, ignore_errors=True)
        rows.append((s, stats, skipped, time.monotonic() - t0))
        mark = "skipped" if skipped else f"{stats['survived']}/{stats['runs']}"
        print(
            f"  {s.group:9} {s.name:40} {mark:>8}  {time.monotonic() - t0:6.1f}s", file=sys.stderr
        )

    name_w = max(len(s.name) for s, *_ in rows) + 2
    header = f"{'scenario':<{name_w}}{'runs':>6}{'survived':>10}{'versions lost':>15}{'reports lost':>14}{'false alerts':>14}"
    print()
    print(header)
    print("-" * len(header))
    totals = {"runs": 0, "survived": 0, "versions": 0, "reports": 0, "false": 0}
    group = None
    for s, st, skipped, _secs in rows:
        if s.group != group:
            group = s.group
            print(f"[{group}]")
        if skipped:
            print(f"{s.name:<{name_w}}{'-':>6}{'skipped':>10}   ({skipped})")
            continue
        for k in totals:
            totals[k] += st[k]
        print(
            f"{s.name:<{name_w}}{st['runs']:>6}{st['survived']:>10}{st['versions']:>15}"
            f"{st['reports']:>14}{st['false']:>14}"
        )
    print("-" * len(header))
    print(
        f"{'total':<{name_w}}{totals['runs']:>6}{totals['survived']:>10}{totals['versions']:>15}"
        f"{totals['reports']:>14}{totals['false']:>14}"
    )
    print(f"\n{len(rows)} scenarios, {totals['runs']} runs in {time.monotonic() - t_start:.0f}s")
    if notes:
        print("\nNotes:")
        for n in notes:
            print("  " + n)
    if failures:
        print("\nProblems:")
        for f in failures:
            print("  " + f.replace("\n", "\n    "))
    if args.keep:
        print(f"work directories kept in {base}")
    else:
        import shutil

        shutil.rmtree(base, ignore_errors=True)
    ok = totals["survived"] == totals["runs"] and not (
        totals["versions"] or totals["reports"] or totals["false"]
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
