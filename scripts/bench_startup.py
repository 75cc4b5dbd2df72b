"""How long a `watcher` command takes to start: median CPU time (user + system, which a busy
machine disturbs less than wall time) and wall time of a few cheap commands (`--help`,
`list --json` on an empty config, `show --help`, `python -c pass` for scale) and the import
time of the CLI.

    .venv/bin/python scripts/bench_startup.py [--runs 15] [--python PATH]
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def run(cmd: list[str], cwd: Path) -> tuple[float, float]:
    """(CPU seconds, wall seconds) of one child process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, capture_output=True, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return cpu, wall


def import_time(python: str) -> float:
    """Cumulative microseconds `python -X importtime` reports for `watcher.cli`."""
    out = subprocess.run(
        [python, "-X", "importtime", "-c", "import watcher.cli"],
        capture_output=True,
        text=True,
        check=True,
    ).stderr
    for line in out.splitlines():
        if line.rstrip().endswith("| watcher.cli"):
            return int(line.split("|")[1]) / 1e6
    raise SystemExit("no watcher.cli line in -X importtime output")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--runs", type=int, default=15)
    ap.add_argument("--python", default=sys.executable)
    ns = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        cwd = Path(d)
        subprocess.run([ns.python, "-m", "watcher", "init"], cwd=cwd, capture_output=True)
        cases = {
            "--help": ["-m", "watcher", "--help"],
            "list --json": ["-m", "watcher", "list", "--json"],
            "show --help": ["-m", "watcher", "show", "--help"],
            "python -c pass": ["-c", "pass"],
        }
        for label, args in cases.items():
            runs = [run([ns.python, *args], cwd) for _ in range(ns.runs)]
            cpu = statistics.median(c for c, _ in runs)
            wall = statistics.median(w for _, w in runs)
            print(f"{label:18} CPU median {cpu:.3f}s   wall median {wall:.3f}s")
    imports = [import_time(ns.python) for _ in range(ns.runs)]
    print(
        f"{'import watcher.cli':16} median {statistics.median(imports):.3f}s  min {min(imports):.3f}s"
    )


if __name__ == "__main__":
    main()
