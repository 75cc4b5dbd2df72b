"""Helpers for scripts/bench.py: a generated site on many loopback hosts, and measured runs.

Pages are built from `../shared/corpus` (real captured policy pages, used as-is when 30-300 KB)
and from the policy texts (corpus Markdown and `../shared/seeds`) wrapped in a site's chrome:
navigation, inline scripts and a cookie banner, padded to a size drawn from 30-300 KB. Every
watch gets its own bytes (a per-site token in the chrome), so nothing is shared between
watches by content addressing. A one-paragraph edit of version k is deterministic.

The site runs in its own process (`serve`), one `LocalSite` per host on 127.42.x.y addresses
(loopback only), all driven from a single selector thread instead of one polling thread per
server. A control site on 127.0.0.1 switches ETags on/off and edits pages.
"""

from __future__ import annotations

import html
import json
import os
import random
import re
import resource
import selectors
import subprocess
import sys
import threading
import time
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
# the policy-watcher source under test (BENCH_SRC: e.g. a patched copy, to measure a fix)
SRC = Path(os.environ.get("BENCH_SRC") or ROOT)
CORPUS = SHARED / "corpus"
SEEDS = SHARED / "seeds"
MIN_SIZE, MAX_SIZE = 30_000, 300_000


# -- page sources ---------------------------------------------------------------------------
@dataclass
class Source:
    name: str
    kind: str  # "html" (a real captured page) | "text" (policy text to wrap in chrome)
    data: str


def load_sources() -> list[Source]:
    out: list[Source] = []
    for site in sorted(p for p in CORPUS.iterdir() if p.is_dir()):
        for f in sorted(site.glob("*.html")):
            size = f.stat().st_size
            if MIN_SIZE <= size <= MAX_SIZE:
                out.append(Source(f"{site.name}/{f.name}", "html", f.read_text("utf-8", "replace")))
        for f in sorted(site.glob("*.md")):
            if f.stat().st_size >= 3000:
                out.append(Source(f"{site.name}/{f.name}", "text", f.read_text("utf-8", "replace")))
    for f in sorted(SEEDS.glob("*.txt")):
        out.append(Source(f"seeds/{f.name}", "text", f.read_text("utf-8", "replace")))
    return out


def corpus_html_files() -> list[Path]:
    return sorted(CORPUS.glob("*/*.html"))


_WORDS = [
    "account",
    "privacy",
    "settings",
    "help",
    "center",
    "careers",
    "press",
    "blog",
    "pricing",
    "enterprise",
    "developers",
    "api",
    "status",
    "security",
    "partners",
    "investors",
    "community",
    "events",
    "support",
    "download",
    "contact",
    "about",
]

EDITS = [
    "We may share your email address with SendGrid (email delivery, United States) to send "
    "service notifications.",
    "We retain server logs for 30 days, after which they are deleted or anonymised.",
    "You can object to processing based on legitimate interests by writing to privacy@{host}.",
    "We now use Google Analytics to measure how visitors use our website; this sets cookies.",
    "Last reviewed on March 3, 2025. Our representative in the EU is {host} Europe B.V.",
]


def _md_to_html(text: str, edit: str | None) -> str:
    """Enough Markdown (headings, lists, table rows, paragraphs) for realistic markup."""
    out: list[str] = []
    in_list = False
    paras = 0
    edited = False
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        if line.startswith("- ") or line.startswith("* "):
            if not in_list:
                out.append("<ul>")
                in_list = True
            out.append(f"<li>{html.escape(line[2:])}</li>")
            continue
        if in_list:
            out.append("</ul>")
            in_list = False
        m = re.match(r"(#{1,6})\s+(.*)", line)
        if m:
            n = len(m.group(1))
            out.append(f"<h{n}>{html.escape(m.group(2))}</h{n}>")
        elif line.startswith("|"):
            cells = [c.strip() for c in line.strip("|").split("|")]
            if all(set(c) <= set("-: ") for c in cells):
                continue
            out.append("<table><tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in cells))
            out.append("</tr></table>")
        else:
            paras += 1
            p = html.escape(line)
            if edit and not edited and paras == 3:
                p = f"{p} {html.escape(edit)}"
                edited = True
            out.append(f"<p>{p}</p>")
    if in_list:
        out.append("</ul>")
    if edit and not edited:
        out.append(f"<p>{html.escape(edit)}</p>")
    return "\n".join(out)


def _chrome(rng: random.Random, host: str, token: str) -> tuple[str, str, str]:
    nav = "".join(
        f'<li class="nav-item"><a class="nav-link" href="/{w}?ref=nav">{w.title()}</a></li>'
        for w in rng.sample(_WORDS, 14)
    )
    header = (
        f'<header class="site-header" data-build="{token}"><a class="logo" href="/">{host}</a>'
        f'<nav aria-label="Main"><ul class="nav">{nav}</ul></nav></header>'
    )
    footer_links = "".join(f'<a href="/legal/{w}">{w.title()}</a> · ' for w in _WORDS)
    footer = (
        f'<footer class="site-footer"><div class="links">{footer_links}</div>'
        f"<p>© 2025 {host}. All rights reserved.</p></footer>"
    )
    banner = (
        '<div id="cookie-banner" class="cookie-banner" role="dialog" aria-label="Cookies">'
        "<p>We use cookies to improve your experience, to analyse traffic and for marketing. "
        'Choose "Accept all" or manage your preferences.</p>'
        '<button class="accept">Accept all</button><button class="reject">Reject all</button>'
        '<a href="/cookie-settings">Cookie settings</a></div>'
    )
    return header, footer, banner


_CHUNKS: list[str] = []


def _chunk_pool() -> list[str]:
    """64 script chunks like a bundler's (code + a JSON state blob), built once."""
    if not _CHUNKS:
        rng = random.Random(42)
        for i in range(64):
            n = rng.randrange(2000, 9000)
            ident = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(6))
            body = ";".join(
                f"function {ident}{j}(e,t){{return e&&t?e[{rng.randrange(999)}]+t.{ident}:null}}"
                for j in range(n // 60)
            )
            state = json.dumps(
                {f"k{rng.randrange(10**6)}": rng.randrange(10**9) for _ in range(n // 40)}
            )
            _CHUNKS.append(
                f"(self.webpackChunk=self.webpackChunk||[]).push([[{i}],"
                f"{{{i}:function(){{{body}}}}}]);</script>"
                f'<script type="application/json" id="state-{i}">{state}</script>'
            )
    return _CHUNKS


def _script_pad(rng: random.Random, nbytes: int, token: str) -> str:
    """Inline scripts about `nbytes` long, drawn from the pool (per-page order and ids)."""
    pool = _chunk_pool()
    parts = [f'<script>window.__BUILD__="{token}";</script>']
    size = 0
    i = 0
    while size < nbytes:
        chunk = f'<script id="chunk-{token}-{i}">' + rng.choice(pool)
        parts.append(chunk)
        size += len(chunk)
        i += 1
    return "".join(parts)


def make_page(src: Source, index: int, host: str, version: int) -> bytes:
    """The page of watch `index` at `version` (0 = original; k > 0: k one-paragraph edits)."""
    rng = random.Random(index * 7919 + 17)
    token = f"{zlib.crc32(f'{host}-{index}'.encode()):08x}"
    edit = None
    if version > 0:
        edit = " ".join(EDITS[(index + v) % len(EDITS)] for v in range(version)).replace(
            "{host}", host
        )
    if src.kind == "html":
        page = src.data
        marker = f'<meta name="site-build" content="{token}">'
        page = page.replace("<head>", "<head>" + marker, 1) if "<head>" in page else marker + page
        if edit:
            # one edited paragraph inside the policy body: after the middle closing </p>
            start = max(0, page.find("<body"))
            ends = [m.end() for m in re.finditer("</p>", page[start:])]
            at = start + ends[len(ends) // 2] - 4 if ends else -1
            ins = f"<p>{html.escape(edit)}</p>"
            page = page[: at + 4] + ins + page[at + 4 :] if at >= 0 else page + ins
        return page.encode("utf-8")
    header, footer, banner = _chrome(rng, host, token)
    body = _md_to_html(src.data, edit)
    title = next(
        (ln.lstrip("# ").strip() for ln in src.data.splitlines() if ln.startswith("#")),
        "Privacy Policy",
    )
    target = rng.randrange(MIN_SIZE, MAX_SIZE)
    skeleton = (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)} | {host}</title>"
        f'<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<link rel="stylesheet" href="/static/css/main.{token}.css"></head>'
        f'<body class="page-privacy">{header}<main id="content"><article class="policy">'
        f"{body}</article></main>{footer}{banner}"
    )
    pad = _script_pad(rng, max(0, target - len(skeleton) - 20), token)
    return (skeleton + pad + "</body></html>").encode("utf-8")


def host_address(h: int) -> str:
    """The h-th benchmark host: 127.42.x.y (all of 127.0.0.0/8 is loopback on Linux)."""
    return f"127.42.{h // 250}.{h % 250 + 1}"


# -- the site process -------------------------------------------------------------------------
def serve(n: int, n_hosts: int, manifest: Path) -> None:
    """Run the site for watches 0..n-1 on n_hosts hosts until stdin closes."""
    sys.path.insert(0, str(SRC))
    import socket

    from watcher.demo.site import LocalSite, respond

    # HTTPServer.server_bind() calls socket.getfqdn(host): a reverse lookup of every
    # 127.42.x.y that took ~0.1 s each; the bench's server names are not used.
    socket.getfqdn = lambda name="": name
    sources = load_sources()
    sites = [LocalSite(host=host_address(h)) for h in range(n_hosts)]
    versions = [0] * n
    pages: list[tuple[LocalSite, str, Source, str]] = []
    for i in range(n):
        h = i % n_hosts
        site, host = sites[h], host_address(h)
        path = f"/p/{i}/privacy"
        src = sources[i % len(sources)]
        site.set(path, make_page(src, i, host, 0))
        pages.append((site, path, src, host))
    lock = threading.Lock()

    def control(req) -> None:  # noqa: ANN001
        from urllib.parse import parse_qs, urlsplit

        u = urlsplit(req.path)
        q = {k: v[0] for k, v in parse_qs(u.query).items()}
        with lock:
            if u.path == "/etag":
                on = q.get("on", "1") == "1"
                for s in sites:
                    for r in s.routes.values():
                        r.etag = on
                respond(req, 200, "ok")
            elif u.path == "/change":
                idx = [int(x) for x in q["ids"].split(",") if x]
                for i in idx:
                    versions[i] += 1
                    site, path, src, host = pages[i]
                    route = site.routes[path]
                    site.set(path, make_page(src, i, host, versions[i]), etag=route.etag)
                respond(req, 200, "ok")
            else:
                respond(req, 404, "no")

    ctl = LocalSite()
    ctl.set("/etag", handler=control)
    ctl.set("/change", handler=control)
    ctl.start()
    # One selector thread accepts for every host (no poll thread per server).
    sel = selectors.DefaultSelector()
    for s in sites:
        s._server.socket.setblocking(False)
        sel.register(s._server.socket, selectors.EVENT_READ, s._server)
    stop = threading.Event()

    def loop() -> None:
        while not stop.is_set():
            for key, _ in sel.select(timeout=0.2):
                key.data._handle_request_noblock()

    threading.Thread(target=loop, daemon=True).start()
    urls = {
        f"w{i:05d}": f"http://{host}:{site.port}{path}"
        for i, (site, path, _, host) in enumerate(pages)
    }
    manifest.write_text(json.dumps({"control": ctl.base, "urls": urls}))
    print("READY", flush=True)
    sys.stdin.read()  # until the parent closes our stdin
    stop.set()


class Site:
    """The parent's handle on a running site process."""

    def __init__(self, n: int, n_hosts: int, workdir: Path) -> None:
        self.manifest = workdir / f"site-{n}.json"
        env = clean_env()
        self.proc = subprocess.Popen(
            [
                sys.executable,
                str(Path(__file__).with_name("bench.py")),
                "_serve",
                str(n),
                str(n_hosts),
                str(self.manifest),
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
            text=True,
        )
        line = self.proc.stdout.readline()  # type: ignore[union-attr]
        if line.strip() != "READY":
            raise RuntimeError(f"site did not start: {line!r}")
        m = json.loads(self.manifest.read_text())
        self.control: str = m["control"]
        self.urls: dict[str, str] = m["urls"]

    def _get(self, path: str) -> None:
        import urllib.request

        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with opener.open(self.control + path, timeout=600) as r:
            r.read()

    def etag(self, on: bool) -> None:
        self._get(f"/etag?on={1 if on else 0}")

    def change(self, ids: list[int]) -> None:
        self._get("/change?ids=" + ",".join(map(str, ids)))

    def close(self) -> None:
        self.proc.stdin.close()  # type: ignore[union-attr]
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    env["PYTHONPATH"] = str(SRC)
    return env


# -- measured child processes ------------------------------------------------------------------
@dataclass
class Run:
    wall: float  # whole process, seconds
    cpu: float  # user + sys of the process (and its children), seconds
    maxrss_mb: float
    stdout: bytes
    returncode: int


def measure(cmd: list[str], env: dict[str, str] | None = None, cwd: Path | None = None) -> Run:
    """Run `cmd` and measure its wall time, CPU and peak RSS (os.wait4, this child only)."""
    t0 = time.perf_counter()
    with open(os.devnull, "wb") as devnull:
        p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=devnull, env=env, cwd=cwd)
        chunks = []
        while True:
            b = p.stdout.read(65536)  # type: ignore[union-attr]
            if not b:
                break
            chunks.append(b)
        _, status, ru = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t0
    p.returncode = os.waitstatus_to_exitcode(status)
    return Run(wall, ru.ru_utime + ru.ru_stime, ru.ru_maxrss / 1024, b"".join(chunks), p.returncode)


def rusage_self(workers: int = 0) -> dict[str, float]:
    """CPU and peak RSS of this process plus the worker processes it has waited for.

    `watcher check` forks one worker per core for large runs: their CPU is in
    RUSAGE_CHILDREN. For memory, the kernel only keeps the largest child's peak, so the figure
    is this process's peak + `workers` x that peak: an upper bound for all processes at once.
    """
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime
    rss = me.ru_maxrss / 1024 + (workers * kids.ru_maxrss / 1024 if workers else 0)
    return {"cpu": cpu, "maxrss_mb": rss}


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def write_config(
    path: Path, urls: dict[str, str], *, concurrency: int = 8, per_host_delay: float = 1.0
) -> None:
    lines = [
        "[storage]",
        'database = "watcher.db"',
        'snapshots = "snapshots"',
        "[fetch]",
        f"concurrency = {concurrency}",
        f"per_host_delay = {per_host_delay}",
        "timeout = 60",
        "[schedule]",
        'every = "12h"',
        'jitter = "10m"',
        "[email]",
        'smtp_host = "127.0.0.1"',
        "smtp_port = 2525",
        'security = "none"',
        'to = ["privacy-team@example.com"]',
    ]
    for name, url in urls.items():
        lines += ["[[watch]]", f'name = "{name}"', f'url = "{url}"']
    path.write_text("\n".join(lines) + "\n")


def dir_bytes(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def db_bytes(db: Path) -> int:
    """Bytes the SQLite file holds after a WAL checkpoint (file size, WAL folded in)."""
    import sqlite3

    conn = sqlite3.connect(db)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return db.stat().st_size + sum(
        p.stat().st_size for p in (db.with_name(db.name + "-wal"),) if p.exists()
    )


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    s = sorted(values)
    k = (len(s) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


def median(values: list[float]) -> float:
    return pct(values, 0.5)


def fmt(x: Any, nd: int = 1) -> str:
    if isinstance(x, float):
        return f"{x:,.{nd}f}"
    if isinstance(x, int):
        return f"{x:,}"
    return str(x)


# -- the real daemon ----------------------------------------------------------------------------
def daemon_urls(n: int) -> dict[str, str]:
    """n watch URLs on 127.0.0.x port 9 (nothing listens there; no check is due anyway)."""
    return {f"w{i:05d}": f"http://127.0.0.{2 + i % 250}:9/p/{i}/privacy" for i in range(n)}


def write_daemon_config(path: Path, urls: dict[str, str]) -> None:
    """A daemon config: every watch daily with up to 1 h jitter, storage next to the file.

    [email] is on (an empty outbox), so the idle window includes the delivery poll a real
    deployment runs every `daemon.DELIVERY_EVERY` seconds.
    """
    lines = [
        "[storage]",
        'database = "watcher.db"',
        'snapshots = "snapshots"',
        "[schedule]",
        'every = "1d"',
        'jitter = "1h"',
        "[email]",
        'smtp_host = "127.0.0.1"',
        "smtp_port = 2525",
        'security = "none"',
        'to = ["privacy-team@example.com"]',
    ]
    for name, url in urls.items():
        lines += ["[[watch]]", f'name = "{name}"', f'url = "{url}"', 'every = "1d"']
    path.write_text("\n".join(lines) + "\n")


def prime_checks(config_path: Path) -> int:
    """Record a check of every watch at `now`, as a restarted daemon would find them.

    Uses the store's own API (ensure_watch + add_check), in one transaction. The daemon then
    schedules each first run at last check + 1 d, so nothing is due in the idle window.
    """
    sys.path.insert(0, str(SRC))
    from datetime import UTC, datetime

    from watcher import config as cfg
    from watcher.storage.sqlite import Store

    conf = cfg.load(config_path)
    now = datetime.now(UTC)
    with Store(conf.database, conf.snapshots) as store, store.transaction():
        for w in conf.watches:
            store.ensure_watch(w.name, w.url, now)
            store.add_check(w.name, started_at=now, duration=0.1, outcome="unchanged")
    return len(conf.watches)


def proc_mem_mb(pid: int) -> dict[str, float]:
    """VmRSS (now) and VmHWM (peak RSS so far) of a process, in MB; and its Threads."""
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            out[key] = int(rest.split()[0]) / 1024
        elif key == "Threads":
            out[key] = int(rest)
    return out


def proc_cpu_s(pid: int) -> float:
    """utime + stime of a process (all its threads), seconds, from /proc/<pid>/stat."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2 :].split()  # after "pid (comm) "; fields[0] = state
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_daemon(
    config_path: Path,
    idle: float,
    log,  # noqa: ANN001
    *,
    settle: float = 3.0,
    start_timeout: float = 600.0,
    stop_timeout: float = 60.0,
) -> dict[str, Any]:
    """Start `python -m watcher --config X daemon --log-level WARNING`, wait until it is idle,
    measure RSS and CPU over `idle` seconds, SIGTERM it and time its exit.

    Idle = the scheduler and delivery threads exist (>= 3 threads: they start after every job
    is added), and over the last `settle` seconds VmRSS moved < 0.5 MB and CPU grew < 0.05 s.
    """
    import signal
    import sqlite3

    workdir = config_path.parent
    stderr_path = workdir / "daemon.stderr"
    db = workdir / "watcher.db"
    checks_before = sqlite3.connect(db).execute("SELECT count(*) FROM checks").fetchone()[0]
    cmd = [
        sys.executable,
        "-m",
        "watcher",
        "--config",
        str(config_path),
        "daemon",
        "--log-level",
        "WARNING",
    ]
    with open(stderr_path, "wb") as err:
        t_start = time.monotonic()
        p = subprocess.Popen(
            cmd, stdout=subprocess.DEVNULL, stderr=err, env=clean_env(), cwd=workdir
        )
    pid = p.pid
    try:
        samples: list[tuple[float, float, float]] = []  # (t, rss, cpu)
        while True:
            if p.poll() is not None:
                raise RuntimeError(
                    f"daemon exited during start ({p.returncode}): "
                    + stderr_path.read_text(errors="replace")[-2000:]
                )
            now = time.monotonic()
            if now - t_start > start_timeout:
                raise RuntimeError(f"daemon not idle after {start_timeout:.0f}s")
            mem = proc_mem_mb(pid)
            if mem.get("Threads", 1) < 3:
                samples.clear()  # still importing / loading / scheduling
            samples.append((now, mem["VmRSS"], proc_cpu_s(pid)))
            recent = [s for s in samples if s[0] >= now - settle]
            if samples[0][0] <= now - settle:
                base = next(s for s in reversed(samples) if s[0] <= now - settle)
                rss_span = max(s[1] for s in [base, *recent]) - min(s[1] for s in [base, *recent])
                if rss_span < 0.5 and recent[-1][2] - base[2] < 0.05:
                    break
            time.sleep(0.5)
        ready_s = time.monotonic() - t_start
        cpu_start = proc_cpu_s(pid)
        mem0 = proc_mem_mb(pid)
        log(
            f"daemon idle after {ready_s:.1f}s (start-up CPU {cpu_start:.1f}s, "
            f"RSS {mem0['VmRSS']:.0f} MB); measuring {idle:.0f}s"
        )
        t0 = time.monotonic()
        c0 = proc_cpu_s(pid)
        rss_max = mem0["VmRSS"]
        while time.monotonic() - t0 < idle:
            time.sleep(min(1.0, max(0.0, idle - (time.monotonic() - t0))))
            if p.poll() is not None:
                raise RuntimeError(f"daemon exited during the idle window ({p.returncode})")
            rss_max = max(rss_max, proc_mem_mb(pid)["VmRSS"])
        c1 = proc_cpu_s(pid)
        t1 = time.monotonic()
        mem1 = proc_mem_mb(pid)
        ts = time.monotonic()
        p.send_signal(signal.SIGTERM)
        try:
            rc = p.wait(timeout=stop_timeout)
        except subprocess.TimeoutExpired:
            rc = None
        stop_s = time.monotonic() - ts
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    checks_after = sqlite3.connect(db).execute("SELECT count(*) FROM checks").fetchone()[0]
    stderr_lines = stderr_path.read_text(errors="replace").splitlines()
    window = t1 - t0
    return {
        "ready_s": ready_s,
        "startup_cpu_s": cpu_start,
        "rss_idle_start_mb": mem0["VmRSS"],
        "rss_mb": mem1["VmRSS"],
        "rss_max_window_mb": rss_max,
        "hwm_mb": mem1["VmHWM"],
        "idle_s": window,
        "idle_cpu_s": c1 - c0,
        "cpu_per_hour": (c1 - c0) * 3600 / window,
        "cpu_tick_s": 1 / os.sysconf("SC_CLK_TCK"),
        "stop_rc": rc,
        "stop_s": stop_s,
        "checks_during_run": checks_after - checks_before,
        "stderr_lines": len(stderr_lines),
        "stderr_tail": stderr_lines[-5:],
    }
