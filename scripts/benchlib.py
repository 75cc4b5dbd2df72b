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

    from watcher.localsite import LocalSite, respond

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


def rusage_self() -> dict[str, float]:
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return {"cpu": ru.ru_utime + ru.ru_stime, "maxrss_mb": ru.ru_maxrss / 1024}


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
