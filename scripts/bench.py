"""Benchmark policy-watcher on a generated site on 127.0.0.0/8 and print one table per run.

    .venv/bin/python scripts/bench.py --quick              # N = 200 and 2,000 (a few minutes)
    .venv/bin/python scripts/bench.py                      # N = 200, 2,000 and 10,000
    .venv/bin/python scripts/bench.py --quick --vs-urlwatch  # plus urlwatch on the same 500 pages
    .venv/bin/python scripts/bench.py --daemon-only --idle 60  # the real daemon only (~2 min)
    .venv/bin/python scripts/bench.py --render 10          # headless Chromium: cost per page

Every scenario runs in its own child process (`_check`), so CPU (getrusage) and peak RSS
(ru_maxrss) are that run's alone; the site runs in another process (`_serve`). Scenarios per N,
in order on one data directory: cold (first fetch), warm with 304s, warm without 304s (server
ETags off: full bodies, raw-hash short-circuit), and 10% of pages edited by one paragraph.

The daemon line is the real `watcher daemon` (`bench_daemon`): a subprocess with 10,000 watches
(every 1 d, jitter 1 h, e-mail on with an empty outbox), each one recorded as checked moments
ago so nothing is due. RSS (VmRSS, VmHWM) and CPU (utime + stime) come from /proc/<pid> once it
is idle; CPU over `--idle` seconds is scaled to an hour; then SIGTERM, and the exit is timed.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import benchlib as bl  # noqa: E402

PY = sys.executable
HERE = Path(__file__).resolve()
ROOT = HERE.parents[1]
WATCHER = str(Path(PY).with_name("watcher"))


# -- children -------------------------------------------------------------------------------
def child_check(config_path: str, profile: str | None) -> None:
    """One scenario: load the config, check every watch, print JSON figures."""
    sys.path.insert(0, str(bl.SRC))
    t_start = time.perf_counter()
    from watcher import config as cfg
    from watcher.cli.common import open_store
    from watcher.cli.watches import make_context, run_checks

    conf = cfg.load(config_path)
    before = bl.rusage_self()
    t0 = time.perf_counter()
    if profile:  # sequential in the main thread, so cProfile sees every call
        import cProfile
        import pstats

        from watcher.monitor import check_watch

        store = open_store(conf)
        ctx = make_context(conf, store)
        prof = cProfile.Profile()
        prof.enable()
        results = [check_watch(ctx, w) for w in conf.watches]
        prof.disable()
        store.close()
        with open(profile, "w") as fh:
            pstats.Stats(prof, stream=fh).sort_stats("cumulative").print_stats(40)
            pstats.Stats(prof, stream=fh).sort_stats("tottime").print_stats(25)
    else:
        results = run_checks(conf, conf.watches)
    wall = time.perf_counter() - t0
    from watcher.runner import _process_count

    workers = (
        0
        if profile or _process_count(len(conf.watches)) == 1
        else _process_count(len(conf.watches))
    )
    after = bl.rusage_self(workers)
    out = {
        "n": len(results),
        "wall": wall,
        "cpu": after["cpu"] - before["cpu"],
        "proc_cpu": after["cpu"],
        "proc_wall": time.perf_counter() - t_start,
        "maxrss_mb": after["maxrss_mb"],
        "status": dict(Counter(r.status for r in results)),
        "errors": sorted({r.error for r in results if r.error})[:5],
    }
    print(json.dumps(out))


def child_micro() -> None:
    """Extraction ms/page over the corpus, analysis ms per changed pair, zstd on the corpus."""
    sys.path.insert(0, str(bl.SRC))
    import zstandard

    from watcher import extract as ex
    from watcher import facts as fx
    from watcher.analysis import findings as an

    files = bl.corpus_html_files()
    ext_ms: list[float] = []
    texts: dict[str, list[tuple[str, list]]] = {}
    raw = comp = 0
    zc = zstandard.ZstdCompressor(level=9)
    for f in files:
        body = f.read_bytes()
        raw += len(body)
        comp += len(zc.compress(body))
        ex.extract(body, content_type="text/html")  # warm caches
        t0 = time.perf_counter()
        doc = ex.extract(body, content_type="text/html")
        ext_ms.append((time.perf_counter() - t0) * 1000)
        texts.setdefault(f.parent.name, []).append((doc.text, doc.language))
    ana_ms: list[float] = []
    facts_ms: list[float] = []
    for versions in texts.values():
        prev_text, prev_facts = None, None
        for text, lang in versions:
            t0 = time.perf_counter()
            facts = fx.extract_facts(text, lang)
            t1 = time.perf_counter()
            if prev_text is not None and prev_text != text:
                an.analyze(prev_text, text, prev_facts, facts)
                t2 = time.perf_counter()
                ana_ms.append((t2 - t0) * 1000)
                facts_ms.append((t1 - t0) * 1000)
            prev_text, prev_facts = text, facts
    # The large pages whose timing left tests/test_extract.py (issue 15 point 9).
    fixture = (bl.SRC / "tests" / "fixtures" / "extract" / "semantic.html").read_text()
    section = fixture.split("<main>")[1].split("</main>")[0]
    big_pages = {
        "extract_300kb_ms": (
            "<html><body><nav>" + "<a href=/x>Link</a>" * 200 + "</nav><main>"
            + section * 330 + "</main></body></html>"
        ).encode(),
        "extract_5mb_line_ms": b"<p>" + b"word " * 1_000_000 + b"</p>",
    }  # fmt: skip
    big_ms = {}
    for key, body in big_pages.items():
        runs = []
        for _ in range(3):
            t0 = time.perf_counter()
            ex.extract(body, content_type="text/html")
            runs.append((time.perf_counter() - t0) * 1000)
        big_ms[key] = min(runs)
    sizes = [f.stat().st_size for f in files]
    print(
        json.dumps(
            {
                "pages": len(files),
                "page_kb_p50": bl.pct(sizes, 0.5) / 1000,
                "extract_p50": bl.pct(ext_ms, 0.5),
                "extract_p95": bl.pct(ext_ms, 0.95),
                "pairs": len(ana_ms),
                "analysis_p50": bl.pct(ana_ms, 0.5),
                "analysis_p95": bl.pct(ana_ms, 0.95),
                "facts_p50": bl.pct(facts_ms, 0.5),
                "zstd_ratio": comp / raw,
                **big_ms,
            }
        )
    )


# -- the parent -------------------------------------------------------------------------------
def run_child(args: list[str]) -> dict:
    r = bl.measure([PY, str(HERE), *args], env=bl.clean_env())
    if r.returncode != 0:
        raise RuntimeError(f"child {args[0]} failed ({r.returncode})")
    data = json.loads(r.stdout.decode().strip().splitlines()[-1])
    data["outer_wall"], data["outer_cpu"], data["outer_rss"] = r.wall, r.cpu, r.maxrss_mb
    return data


def storage(d: Path) -> dict:
    db = d / "watcher.db"
    dbb = bl.db_bytes(db)
    snaps = bl.dir_bytes(d / "snapshots")
    conn = sqlite3.connect(db)
    versions = conn.execute("SELECT count(*) FROM versions").fetchone()[0]
    raw = conn.execute(
        "SELECT coalesce(sum(size),0) FROM (SELECT DISTINCT raw_sha256, size FROM captures)"
    ).fetchone()[0]
    conn.close()
    return {"db": dbb, "snaps": snaps, "versions": versions, "raw": raw}


def bench_n(n: int, work: Path, profile: str | None, log) -> dict:
    hosts = min(n, 1000)
    t0 = time.perf_counter()
    site = bl.Site(n, hosts, work)
    log(f"N={n}: site of {n} pages on {hosts} hosts up in {time.perf_counter() - t0:.0f}s")
    d = work / f"n{n}"
    d.mkdir()
    cfgp = d / "config.toml"
    bl.write_config(cfgp, site.urls)
    res: dict = {"n": n, "hosts": hosts}
    try:
        res["cold"] = run_child(["_check", str(cfgp)])
        log(f"  cold {res['cold']['wall']:.1f}s {res['cold']['status']}")
        res["st_cold"] = storage(d)
        site.etag(True)
        res["warm304"] = run_child(["_check", str(cfgp)])
        log(f"  warm304 {res['warm304']['wall']:.1f}s {res['warm304']['status']}")
        res["st_304"] = storage(d)
        site.etag(False)
        res["warm200"] = run_child(["_check", str(cfgp)])
        log(f"  warm200 {res['warm200']['wall']:.1f}s {res['warm200']['status']}")
        res["st_200"] = storage(d)
        site.etag(True)
        ids = sorted(random.Random(n).sample(range(n), n // 10))
        site.change(ids)
        extra = ["--profile", profile] if profile else []
        res["changed"] = run_child(["_check", str(cfgp), *extra])
        log(f"  changed10% {res['changed']['wall']:.1f}s {res['changed']['status']}")
        res["st_changed"] = storage(d)
    finally:
        site.close()
    return res


def bench_daemon(work: Path, n: int, idle: float, log) -> dict:
    """The real `watcher daemon` with n watches, every one checked moments ago (so none is due).

    The config and database are generated in `work`; the checks table gets one row per watch
    at `now` (Store.ensure_watch + add_check), as a restarted daemon would find it. Then
    `python -m watcher --config X daemon --log-level WARNING` runs as a subprocess: RSS and
    CPU come from /proc/<pid>/status and /proc/<pid>/stat once it is idle.
    """
    d = work / "daemon"
    d.mkdir()
    cfgp = d / "config.toml"
    bl.write_daemon_config(cfgp, bl.daemon_urls(n))
    t0 = time.perf_counter()
    primed = bl.prime_checks(cfgp)
    log(f"daemon: {primed:,} watches, checks table primed in {time.perf_counter() - t0:.1f}s")
    res = bl.run_daemon(cfgp, idle, log)
    res["watches"] = primed
    log(f"daemon: {res}")
    return res


# -- urlwatch --------------------------------------------------------------------------------
UW = Path("/tmp/uw")


def ensure_urlwatch(log) -> Path:
    exe = UW / "bin" / "urlwatch"
    if not exe.exists():
        log("installing urlwatch + html2text into /tmp/uw (throwaway venv)")
        import subprocess

        subprocess.run([sys.executable, "-m", "venv", str(UW)], check=True)
        subprocess.run(
            [str(UW / "bin" / "pip"), "install", "-q", "urlwatch", "html2text"], check=True
        )
    return exe


def uw_files(d: Path, urls: dict[str, str], method: str | None) -> tuple[Path, Path]:
    jobs = []
    for name, url in urls.items():
        if method:
            filt = f"filter:\n  - html2text:\n      method: {method}\n"
        else:
            filt = "filter: html2text\n"
        jobs.append(f"name: {name}\nurl: {url}\n{filt}")
    urls_yaml = d / "urls.yaml"
    urls_yaml.write_text("---\n".join(jobs))
    conf = d / "urlwatch.yaml"
    conf.write_text("report:\n  stdout:\n    enabled: true\n    color: false\n")
    return urls_yaml, conf


def vs_urlwatch(work: Path, reps: int, log) -> dict:
    exe = ensure_urlwatch(log)
    n = 500
    site = bl.Site(n, n, work)
    env = bl.clean_env()
    env["HOME"] = str(work)  # urlwatch must not touch the user's files
    tools = ["ours", "uw-default", "uw-pyhtml2text"]
    runs: dict[str, dict[str, list]] = {t: {"cold": [], "warm": []} for t in tools}
    dirs: dict[str, Path] = {}

    def cmd(tool: str, d: Path) -> list[str]:
        if tool == "ours":
            return [WATCHER, "--config", str(d / "config.toml"), "check"]
        return [
            str(exe),
            "--urls",
            str(d / "urls.yaml"),
            "--config",
            str(d / "urlwatch.yaml"),
            "--hooks",
            str(d / "hooks.py"),
            "--cache",
            str(d / "cache.db"),
        ]

    def fresh(tool: str, rep: int) -> Path:
        d = work / f"uw-{tool}-{rep}"
        d.mkdir()
        if tool == "ours":
            bl.write_config(d / "config.toml", site.urls)
        else:
            uw_files(d, site.urls, None if tool == "uw-default" else "pyhtml2text")
        return d

    try:
        for rep in range(reps):
            order = tools[rep % 3 :] + tools[: rep % 3]  # alternate who goes first
            for phase in ("cold", "warm"):
                for tool in order:
                    if phase == "cold":
                        dirs[tool] = fresh(tool, rep)
                    r = bl.measure(cmd(tool, dirs[tool]), env=env)
                    runs[tool][phase].append(r)
                    log(
                        f"  rep {rep} {phase:4} {tool:15} {r.wall:6.1f}s cpu {r.cpu:6.1f}s "
                        f"rss {r.maxrss_mb:5.0f} MB out {len(r.stdout):,} B rc {r.returncode}"
                    )
        # the report of 20 one-paragraph edits, on the last repetition's data
        ids = sorted(random.Random(20).sample(range(n), 20))
        site.change(ids)
        report: dict[str, dict] = {}
        for tool in tools:
            r = bl.measure(cmd(tool, dirs[tool]), env=env)
            report[tool] = {"wall": r.wall, "stdout": len(r.stdout), "rc": r.returncode}
            if tool == "ours":
                conn = sqlite3.connect(dirs[tool] / "watcher.db")
                row = conn.execute(
                    "SELECT count(*), coalesce(sum(length(message)),0) FROM outbox "
                    "WHERE kind = 'change'"
                ).fetchone()
                conn.close()
                report[tool]["emails"], report[tool]["email_bytes"] = row
                (work / "ours-report.txt").write_bytes(r.stdout)
            else:
                (work / f"{tool}-report.txt").write_bytes(r.stdout)
            log(f"  report(20 edits) {tool:15} {len(r.stdout):,} B in {r.wall:.1f}s")
    finally:
        site.close()

    def med(tool: str, phase: str, attr: str) -> float:
        return statistics.median(getattr(r, attr) for r in runs[tool][phase])

    out = {"reps": reps, "pages": n, "report": report, "runs": {}}
    for tool in tools:
        for phase in ("cold", "warm"):
            out["runs"][f"{tool}/{phase}"] = {
                a: med(tool, phase, a) for a in ("wall", "cpu", "maxrss_mb")
            }
    return out


# -- output ----------------------------------------------------------------------------------
def table(rows: list[list[str]], head: list[str]) -> str:
    w = [max(len(str(r[i])) for r in [head, *rows]) for i in range(len(head))]
    line = "| " + " | ".join(h.ljust(w[i]) for i, h in enumerate(head)) + " |"
    sep = "|" + "|".join("-" * (x + 2) for x in w) + "|"
    body = [
        "| "
        + " | ".join(str(c).rjust(w[i]) if i else str(c).ljust(w[i]) for i, c in enumerate(r))
        + " |"
        for r in rows
    ]
    return "\n".join([line, sep, *body])


def render(res: dict) -> str:
    f = bl.fmt
    out = [
        f"policy-watcher benchmark — {res['cores']} cores, Python {res['python']}, "
        f"{res['platform']}, {res['date']}",
        f"command: {res['command']}"
        + (f"  (source under test: {res['src']})" if res.get("src") != str(ROOT) else ""),
        "",
    ]
    if res["sizes"]:
        rows = []
        for r in res["sizes"]:
            n = r["n"]
            for key, label in (
                ("cold", "cold (first fetch)"),
                ("warm304", "warm unchanged, 304"),
                ("warm200", "warm unchanged, 200 (hash short-circuit)"),
                ("changed", "10% changed, rest 304"),
            ):
                c = r[key]
                st = c["status"]
                rows.append(
                    [
                        f"{n:,} / {r['hosts']:,} hosts",
                        label,
                        f(c["n"] / c["wall"]),
                        f(c["wall"]),
                        f(c["cpu"] * 1000 / c["n"], 2),
                        f(c["maxrss_mb"], 0),
                        " ".join(f"{k}={v}" for k, v in sorted(st.items())),
                    ]
                )
        out.append(
            table(
                rows,
                [
                    "N",
                    "scenario",
                    "checks/s",
                    "wall s",
                    "CPU ms/check",
                    "peak RSS MB (all procs)",
                    "outcomes",
                ],
            )
        )
        out.append("")
        srows = []
        for r in res["sizes"]:
            n = r["n"]
            sc, s3, s2, sch = r["st_cold"], r["st_304"], r["st_200"], r["st_changed"]
            total = sc["db"] + sc["snaps"]
            srows.append(
                [
                    f"{n:,}",
                    f(total / max(1, sc["versions"]), 0),
                    f(sc["db"] / max(1, sc["versions"]), 0),
                    f(sc["snaps"] / max(1, sc["versions"]), 0),
                    f"{sc['snaps'] / max(1, sc['raw']):.1%}",
                    f((s3["db"] - sc["db"]) / n, 0),
                    f((s2["db"] - s3["db"]) / n, 0),
                    f(sch["versions"] - s2["versions"]),
                ]
            )
        out.append(
            table(
                srows,
                [
                    "N",
                    "bytes/version (db+snapshots)",
                    "db B/version",
                    "snapshot B/version",
                    "zstd size/raw",
                    "B per unchanged check (304)",
                    "B per unchanged check (200)",
                    "new versions (10% run)",
                ],
            )
        )
    if res.get("micro"):
        m = res["micro"]
        out += [
            "",
            f"extraction over the corpus ({m['pages']} pages, median {m['page_kb_p50']:.0f} KB): "
            f"p50 {m['extract_p50']:.1f} ms, p95 {m['extract_p95']:.1f} ms per page; a 300 KB "
            f"page {m.get('extract_300kb_ms', 0):.0f} ms, a 5 MB one-line page "
            f"{m.get('extract_5mb_line_ms', 0):.0f} ms (best of 3)",
            f"analysis per changed pair ({m['pairs']} consecutive corpus versions; facts of the new "
            f"text + analyze): p50 {m['analysis_p50']:.1f} ms, p95 {m['analysis_p95']:.1f} ms "
            f"(facts alone p50 {m['facts_p50']:.1f} ms)",
            f"zstd (level of store.py) on the corpus HTML: {m['zstd_ratio']:.1%} of raw size",
        ]
    if res.get("daemon"):
        dm = res["daemon"]
        stop = (
            f"SIGTERM exit {dm['stop_rc']} in {dm['stop_s']:.1f} s"
            if dm["stop_rc"] is not None
            else f"no exit {dm['stop_s']:.0f} s after SIGTERM (killed)"
        )
        line = (
            f"daemon (real `watcher daemon`): {dm['watches']:,} watches scheduled: "
            f"RSS {dm['rss_mb']:.0f} MB (peak {dm['hwm_mb']:.0f} MB); idle overhead "
            f"{dm['cpu_per_hour']:.2f} CPU s/hour (measured over {dm['idle_s']:.0f} s); {stop}"
        )
        if dm["checks_during_run"]:
            line += f"; {dm['checks_during_run']} check(s) ran (none should have been due)"
        out += ["", line] if len(out) > 3 else [line]
    if res.get("urlwatch"):
        u = res["urlwatch"]
        rr = u["runs"]
        out += ["", f"vs urlwatch ({u['pages']} pages, median of {u['reps']} alternating runs)"]
        urows = []
        for phase in ("cold", "warm"):
            o = rr[f"ours/{phase}"]
            for tool in ("uw-default", "uw-pyhtml2text"):
                t = rr[f"{tool}/{phase}"]
                urows.append(
                    [
                        phase,
                        tool,
                        f"{o['wall']:.1f} / {t['wall']:.1f}",
                        f"{o['wall'] / t['wall']:.2f}x",
                        f"{o['cpu']:.1f} / {t['cpu']:.1f}",
                        f"{o['cpu'] / t['cpu']:.2f}x",
                        f"{o['maxrss_mb']:.0f} / {t['maxrss_mb']:.0f}",
                        f"{o['maxrss_mb'] / t['maxrss_mb']:.2f}x",
                    ]
                )
        out.append(
            table(
                urows,
                [
                    "run",
                    "urlwatch",
                    "wall s ours/uw",
                    "wall ratio",
                    "CPU s ours/uw",
                    "CPU ratio",
                    "peak RSS MB ours/uw",
                    "RSS ratio",
                ],
            )
        )
        rep = u["report"]
        o = rep["ours"]
        out.append(
            f"report of 20 one-paragraph edits: ours {o['stdout']:,} B on stdout, "
            f"{o['emails']} e-mails {o['email_bytes']:,} B; urlwatch default "
            f"{rep['uw-default']['stdout']:,} B; urlwatch pyhtml2text "
            f"{rep['uw-pyhtml2text']['stdout']:,} B"
        )
    return "\n".join(out)


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1].startswith("_"):
        cmd, rest = sys.argv[1], sys.argv[2:]
        if cmd == "_serve":
            bl.serve(int(rest[0]), int(rest[1]), Path(rest[2]))
        elif cmd == "_check":
            prof = rest[rest.index("--profile") + 1] if "--profile" in rest else None
            child_check(rest[0], prof)
        elif cmd == "_micro":
            child_micro()
        elif cmd == "_render":
            import benchrender

            benchrender.child_render(rest[0], int(rest[1]), rest[2])
        return
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="N = 200 and 2,000 only")
    ap.add_argument("--sizes", help="comma-separated N (overrides --quick)")
    ap.add_argument("--vs-urlwatch", action="store_true", help="compare with urlwatch")
    ap.add_argument("--reps", type=int, default=3, help="alternating urlwatch repetitions")
    ap.add_argument("--idle", type=float, default=60.0, help="daemon idle seconds measured")
    ap.add_argument("--no-daemon", action="store_true", help="skip the daemon measurement")
    ap.add_argument(
        "--daemon-only", action="store_true", help="only the daemon measurement (no site, no N)"
    )
    ap.add_argument("--daemon-watches", type=int, default=10_000, help="watches the daemon gets")
    ap.add_argument("--profile", help="cProfile the 10%%-changed run of the largest N here")
    ap.add_argument("--json", help="also write the raw figures here")
    ap.add_argument("--keep", action="store_true", help="keep the work directory")
    ap.add_argument(
        "--render",
        type=int,
        metavar="PAGES",
        help="only the render line: PAGES pages in headless Chromium, browser kept alive "
        "vs one browser per page (needs chromium-headless-shell and the [browser] extra)",
    )
    a = ap.parse_args()
    if a.render:
        import benchrender

        results = [
            benchrender.run(mode, a.render, str(HERE), str(bl.SRC))
            for mode in ("alive", "per-page")
        ]
        if a.json:
            Path(a.json).write_text(json.dumps(results, indent=1))
        print(benchrender.lines(results))
        return
    sizes = (
        [int(x) for x in a.sizes.split(",")]
        if a.sizes
        else ([200, 2000] if a.quick else [200, 2000, 10000])
    )
    work = Path(tempfile.mkdtemp(prefix="pw-bench-"))

    def log(msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)

    log(f"work dir {work}")
    res: dict = {
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(terse=True),
        "date": time.strftime("%Y-%m-%d"),
        "command": "python scripts/bench.py " + " ".join(sys.argv[1:]),
        "src": str(bl.SRC),
        "sizes": [],
    }
    try:
        if not a.daemon_only:
            res["micro"] = run_child(["_micro"])
            log(f"micro: {res['micro']}")
            for n in sizes:
                prof = a.profile if (a.profile and n == max(sizes)) else None
                res["sizes"].append(bench_n(n, work, prof, log))
        if a.daemon_only or not a.no_daemon:
            res["daemon"] = bench_daemon(work, a.daemon_watches, a.idle, log)
        if a.vs_urlwatch and not a.daemon_only:
            res["urlwatch"] = vs_urlwatch(work, a.reps, log)
    finally:
        if a.json:
            Path(a.json).write_text(json.dumps(res, indent=1, default=str))
        if not a.keep:
            shutil.rmtree(work, ignore_errors=True)
    print(render(res))


if __name__ == "__main__":
    main()
