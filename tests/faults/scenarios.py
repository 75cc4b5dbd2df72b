"""Fault scenarios for policy-watcher, shared by `tests/faults/test_*.py` and `scripts/chaos.py`.

Every scenario drives the real program (the typer CLI in process, or `python -m watcher` as a
subprocess for the daemon, umask and file-size-limit cases) against real servers on 127.0.0.1
(`LocalSite`, raw sockets, aiosmtpd) and real SQLite files in a temporary directory, and returns
an `Outcome`:

- `survived`: the one-shot command exited cleanly (0 or 1, never a traceback) or the daemon was
  still running, and every invariant below held (the broken ones are listed in `problems`);
- `versions_lost`: versions that existed before the fault and are gone or altered afterwards;
- `reports_lost`: change reports queued in the outbox that were never delivered in the end;
- `false_alerts`: versions, changes or queued change e-mails created although the policy did
  not change (garbage stored as a version, an A/B flip reported again and again...).

Check-level scenarios first store a good version of a policy, then serve the fault, run
`watcher check --json` (several times where a guard holds a suspicious text for a few checks),
and finally serve the good page again, which must come back as "unchanged".
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import random
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from watcher.cli import app
from watcher.demo.site import (
    LocalSite,
    SilentServer,
    closed_port,
    drip,
    reset_after,
    respond,
    sequence,
    truncated_chunked,
)

with contextlib.suppress(ImportError):  # registers daemon / outbox / test-email on `app`
    import watcher.cli.mail  # noqa: F401

ROOT = Path(__file__).resolve().parents[2]
WATCH = "policy"


class Unavailable(Exception):
    """The scenario cannot run here (no `mount`, no daemon command...): skip it."""


# -- results ----------------------------------------------------------------------------------


@dataclass
class Outcome:
    scenario: str
    survived: bool = True
    versions_lost: int = 0
    reports_lost: int = 0
    false_alerts: int = 0
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # e.g. the recorded error, for the docs
    seconds: float = 0.0

    def problem(self, message: str) -> None:
        self.problems.append(message)
        self.survived = False

    def require(self, condition: object, message: str) -> None:
        if not condition:
            self.problem(message)

    @property
    def ok(self) -> bool:
        return (
            self.survived
            and not self.problems
            and self.versions_lost == 0
            and self.reports_lost == 0
            and self.false_alerts == 0
        )

    def explain(self) -> str:
        parts = list(self.problems)
        for label, n in (
            ("versions lost", self.versions_lost),
            ("reports lost", self.reports_lost),
            ("false alerts", self.false_alerts),
        ):
            if n:
                parts.append(f"{label}: {n}")
        return f"{self.scenario}: " + "; ".join(parts or ["ok"])


@dataclass
class Scenario:
    name: str
    group: str  # network | content | process | config | email | security
    run: Callable[[Path], Outcome]
    chaos_runs: int = 5
    what: str = ""


SCENARIOS: dict[str, Scenario] = {}


def scenario(name: str, group: str, what: str, chaos_runs: int = 5):  # noqa: ANN201
    def deco(fn: Callable[[Path], Outcome]) -> Callable[[Path], Outcome]:
        SCENARIOS[name] = Scenario(name, group, fn, chaos_runs, what)
        return fn

    return deco


def by_group(group: str) -> list[Scenario]:
    return [s for s in SCENARIOS.values() if s.group == group]


def slug(name: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in name.lower()).strip("-")


def run_scenario(name: str, workdir: Path | None = None) -> Outcome:
    """Run one scenario in `workdir` (a fresh temp dir when None). Raises Unavailable."""
    sc = SCENARIOS[name]
    t0 = time.monotonic()
    if workdir is None:
        with tempfile.TemporaryDirectory(prefix=f"chaos-{slug(name)}-") as d:
            out = sc.run(Path(d))
    else:
        workdir.mkdir(parents=True, exist_ok=True)
        out = sc.run(workdir)
    out.seconds = time.monotonic() - t0
    return out


# -- the policy pages -------------------------------------------------------------------------

POLICY_PARAGRAPHS = [
    "This privacy policy explains how Example Société Générale Ltd (“we”, “us”) collects, "
    "uses and shares personal data when you use our website, our mobile application and our "
    "customer support services.",
    "Last updated: 10 March 2024.",
    "We collect your name, e-mail address, postal address, payment details and the content of "
    "the messages you send to our support team. We also collect device identifiers, IP "
    "addresses and usage statistics through cookies.",
    "We use SendGrid (United States) to deliver transactional e-mail and Stripe to process "
    "payments. These processors act on our instructions under data processing agreements.",
    "We keep support conversations for 24 months and payment records for 7 years, as required "
    "by tax law. Usage statistics are deleted after 13 months.",
    "You have the right to access, rectify and erase your personal data, to object to "
    "processing and to data portability. Contact our data protection officer at "
    "privacy@example.org or write to 1 Rue de la Paix, 75002 Paris, France.",
    "If you are not satisfied with our answer you may complain to the CNIL, the French data "
    "protection authority.",
]


def policy_html(
    paragraphs: list[str] | None = None, *, title: str = "Privacy Policy", extra: str = ""
) -> str:
    body = "".join(f"<p>{p}</p>" for p in (paragraphs or POLICY_PARAGRAPHS))
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{title}</title><script>var tracking = 1;</script></head><body>"
        "<header><nav><a href='/'>Home</a> <a href='/about'>About</a></nav></header>"
        f"<main><h1>{title}</h1>{body}{extra}</main>"
        "<footer>© 2024 Example Ltd</footer></body></html>"
    )


GOOD = policy_html()


def revised(k: int) -> str:
    """The k-th genuine revision: a new dated paragraph naming a new processor."""
    paras = list(POLICY_PARAGRAPHS)
    paras[1] = f"Last updated: {1 + k % 28} April {2024 + k // 28}."
    paras.insert(4, f"Revision {k}: we now use Vendor{k} Analytics Inc. to measure campaign {k}.")
    return policy_html(paras)


# -- the lab: a project directory, a site and the CLI -----------------------------------------


@dataclass
class Ran:
    code: int
    stdout: str
    stderr: str
    crashed: str | None  # an exception that escaped the command (a traceback in real life)
    seconds: float

    @property
    def results(self) -> list[dict[str, Any]]:
        try:
            data = json.loads(self.stdout)
        except ValueError:
            return []
        return data if isinstance(data, list) else []

    @property
    def status(self) -> str | None:
        r = self.results
        return r[0].get("status") if r else None


@dataclass
class State:
    versions: dict[int, str]  # id -> sha256
    changes: int
    change_mails: int  # outbox rows of kind "change"
    outbox: list[dict[str, Any]]
    last_check: dict[str, Any] | None


class Lab:
    """A temp project: config.toml, watcher.db, snapshots/, a LocalSite, the CLI in process."""

    def __init__(
        self,
        root: Path,
        *,
        timeout: float = 2.0,
        retries: int = 0,
        email: dict[str, Any] | None = None,
        fetch_extra: dict[str, Any] | None = None,
        every: str = "1h",
        tls: Any = None,
    ) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        self.config = root / "config.toml"
        self.db = root / "watcher.db"
        self.snapshots = root / "snapshots"
        self.timeout = timeout
        self.retries = retries
        self.email = email
        self.fetch_extra = dict(fetch_extra or {})
        self.every = every
        self.site = LocalSite(tls=tls).start()
        self.url = self.site.url("/policy")
        self.watch: dict[str, Any] = {"name": WATCH, "url": self.url}
        self.runner = CliRunner()
        self.cleanups: list[Callable[[], None]] = []

    def close(self) -> None:
        for fn in reversed(self.cleanups):
            with contextlib.suppress(Exception):
                fn()
        self.site.stop()

    def __enter__(self) -> Lab:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- config ----------------------------------------------------------------------------
    def config_text(self, watches: list[dict[str, Any]] | None = None) -> str:
        fetch = {
            "timeout": self.timeout,
            "per_host_delay": 0.0,
            "retries": self.retries,
            **self.fetch_extra,
        }
        lines = ["[storage]", 'database = "watcher.db"', 'snapshots = "snapshots"', "", "[fetch]"]
        lines += [f"{k} = {json.dumps(v)}" for k, v in fetch.items()]
        lines += ["", "[schedule]", f'every = "{self.every}"', 'jitter = "0s"', ""]
        if self.email:
            lines.append("[email]")
            lines += [f"{k} = {json.dumps(v)}" for k, v in self.email.items()]
            lines.append("")
        for w in watches if watches is not None else [self.watch]:
            lines.append("[[watch]]")
            lines += [f"{k} = {json.dumps(v)}" for k, v in w.items()]
            lines.append("")
        return "\n".join(lines)

    def write_config(self, **watch: Any) -> None:
        w = {**self.watch, **watch}
        self.config.write_text(self.config_text([w]), encoding="utf-8")

    # -- running ---------------------------------------------------------------------------
    def cli(self, *args: str, env: dict[str, str] | None = None) -> Ran:
        t0 = time.monotonic()
        r = self.runner.invoke(app, ["--config", str(self.config), *args], env=env)
        crashed = None
        if r.exception is not None and not isinstance(r.exception, SystemExit):
            crashed = f"{type(r.exception).__name__}: {r.exception}"
        stderr = r.stderr if hasattr(r, "stderr") else ""
        return Ran(r.exit_code, r.stdout, stderr, crashed, time.monotonic() - t0)

    def check(self, env: dict[str, str] | None = None) -> Ran:
        return self.cli("check", "--json", env=env)

    def sub(self, *args: str, env: dict[str, str] | None = None, timeout: float = 60) -> Ran:
        """`python -m watcher --config X ARGS` in a subprocess."""
        t0 = time.monotonic()
        p = subprocess.run(
            watcher_cmd("--config", str(self.config), *args),
            capture_output=True,
            text=True,
            timeout=timeout,
            env={**os.environ, **(env or {})},
            cwd=self.root,
        )
        crashed = "Traceback" if "Traceback (most recent call last)" in p.stderr else None
        return Ran(p.returncode, p.stdout, p.stderr, crashed, time.monotonic() - t0)

    # -- looking ---------------------------------------------------------------------------
    def connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(f"file:{self.db}?mode=ro", uri=True, timeout=30)
        conn.row_factory = sqlite3.Row
        return conn

    def state(self) -> State:
        if not self.db.exists():
            return State({}, 0, 0, [], None)
        with contextlib.closing(self.connect()) as c:
            versions = {r["id"]: r["sha256"] for r in c.execute("SELECT id, sha256 FROM versions")}
            changes = c.execute("SELECT count(*) FROM changes").fetchone()[0]
            outbox = [dict(r) for r in c.execute("SELECT * FROM outbox ORDER BY id")]
            last = c.execute(
                "SELECT * FROM checks WHERE watch = ? ORDER BY id DESC LIMIT 1", (WATCH,)
            ).fetchone()
        mails = sum(1 for m in outbox if m["kind"] == "change")
        return State(versions, changes, mails, outbox, dict(last) if last else None)

    def integrity(self) -> list[str]:
        """PRAGMA integrity_check, every capture's snapshot present and readable, no temp files."""
        from watcher.storage.sqlite import Store

        with Store(self.db, self.snapshots) as st:
            problems = st.integrity_problems()
            for r in st._q("SELECT DISTINCT raw_sha256 FROM captures"):
                try:
                    st.get_snapshot(r["raw_sha256"])
                except Exception as e:  # noqa: BLE001 - any failure is the finding
                    problems.append(f"snapshot unreadable: {e}")
            for r in st._q(
                "SELECT v.id FROM versions v LEFT JOIN captures c ON c.id = v.capture_id "
                "WHERE v.capture_id IS NOT NULL AND c.id IS NULL"
            ):
                problems.append(f"version {r['id']} names a missing capture")
        if self.snapshots.exists():
            for p in self.snapshots.rglob("*"):
                if p.name.endswith(".tmp"):
                    problems.append(f"half-written snapshot left behind: {p.name}")
        return problems

    def fingerprint(self) -> str:
        """A hash of everything on disk (config, database files, snapshots): 'nothing changed'."""
        h = hashlib.sha256()
        for p in sorted(self.root.rglob("*")):
            if p.is_file():
                h.update(str(p.relative_to(self.root)).encode())
                h.update(p.read_bytes())
        return h.hexdigest()


def watcher_cmd(*args: str) -> list[str]:
    """argv for the real program. `python -m watcher` once cli.py registers the mail commands;
    until then a shim that imports watcher.cli.mail first (same `main`)."""
    if _mail_commands_registered():
        return [sys.executable, "-m", "watcher", *args]
    shim = "import sys, watcher.cli.mail; from watcher.cli import main; sys.argv[0] = 'watcher'; main()"
    return [sys.executable, "-c", shim, *args]


_REGISTERED: bool | None = None


def _mail_commands_registered() -> bool:
    global _REGISTERED
    if _REGISTERED is None:
        p = subprocess.run(
            [sys.executable, "-m", "watcher", "daemon", "--help"],
            capture_output=True,
            text=True,
            timeout=60,
        )
        _REGISTERED = p.returncode == 0
    return _REGISTERED


def has_daemon() -> bool:
    try:
        import watcher.daemon  # noqa: F401
        import watcher.notify.outbox  # noqa: F401
    except ImportError:
        return False
    from watcher.cli import command_names

    return "daemon" in command_names()


# -- judging one check ------------------------------------------------------------------------


def readable(error: str | None) -> str | None:
    """Why `error` is not a readable one-line cause (None when it is)."""
    if not error or not error.strip():
        return "no cause recorded"
    if "\n" in error:
        return f"multi-line cause: {error[:120]!r}"
    if "Traceback" in error or error.startswith("internal error"):
        return f"internal error recorded: {error[:200]!r}"
    if len(error) > 400:
        return f"cause too long ({len(error)} chars)"
    return None


def judge_check(
    out: Outcome,
    lab: Lab,
    ran: Ran,
    expect: tuple[str, ...],
    keywords: tuple[str, ...] = (),
    max_seconds: float | None = None,
    label: str = "check",
) -> None:
    if ran.crashed:
        out.problem(f"{label} crashed: {ran.crashed}")
        return
    status = ran.status
    if status is None:
        out.problem(f"{label}: no JSON result (exit {ran.code}): {ran.stdout[:200]!r}")
        return
    want_code = 1 if status == "error" else 0
    out.require(ran.code == want_code, f"{label}: exit {ran.code} for status {status}")
    out.require(status in expect, f"{label}: status {status!r}, expected {'/'.join(expect)}")
    if max_seconds is not None:
        out.require(ran.seconds <= max_seconds, f"{label} took {ran.seconds:.1f}s")
    last = lab.state().last_check
    if last is None:
        out.problem(f"{label}: no check row recorded")
        return
    out.require(last["outcome"] == status, f"{label}: recorded {last['outcome']!r} not {status!r}")
    if status in ("error", "suspicious"):
        bad = readable(last["error"])
        out.require(bad is None, f"{label}: {bad}")
        err = (last["error"] or "").lower()
        if keywords and not any(k.lower() in err for k in keywords):
            out.problem(
                f"{label}: cause {last['error']!r} does not mention {' or '.join(keywords)}"
            )
        note = f"{status}: {last['error']}"
        if note not in out.notes:
            out.notes.append(note)
    elif status not in out.notes:
        out.notes.append(status)


def compare_states(out: Outcome, before: State, after: State, allowed_changes: int = 0) -> None:
    for vid, sha in before.versions.items():
        if after.versions.get(vid) != sha:
            out.versions_lost += 1
            out.problems.append(f"version {vid} lost or altered")
    new_versions = len(set(after.versions) - set(before.versions))
    new_changes = after.changes - before.changes
    new_mails = after.change_mails - before.change_mails
    false = max(new_versions, new_changes, new_mails) - allowed_changes
    if false > 0:
        out.false_alerts += false
        out.survived = False
        out.problems.append(
            f"{new_versions} new version(s), {new_changes} change(s), {new_mails} change mail(s)"
            f" (allowed {allowed_changes})"
        )


def check_scenario(
    name: str,
    group: str,
    what: str,
    serve: Callable[[Lab], str | None],
    *,
    expect: tuple[str, ...] = ("error",),
    keywords: tuple[str, ...] = (),
    repeat: int = 1,
    max_seconds: float = 20.0,
    allowed_changes: int = 0,
    first_good: bool = True,
    recover: str | None = "unchanged",
    lab_opts: dict[str, Any] | None = None,
    chaos_runs: int = 5,
) -> None:
    """Register a check-level scenario: good version, fault (checked `repeat` times), recovery."""

    def run(tmp: Path) -> Outcome:
        out = Outcome(name)
        with Lab(tmp, **(lab_opts or {})) as lab:
            lab.site.set("/policy", GOOD)
            lab.write_config()
            if first_good:
                first = lab.check()
                if first.status != "new":
                    out.problem(f"setup: first check gave {first.status}: {first.stdout[:300]}")
                    return out
            before = lab.state()
            url = serve(lab)
            if url is not None:
                lab.write_config(url=url)
            for i in range(repeat):
                judge_check(out, lab, lab.check(), expect, keywords, max_seconds, f"check {i + 1}")
            compare_states(out, before, lab.state(), allowed_changes)
            out.problems.extend(lab.integrity())
            if recover:
                lab.site.set("/policy", GOOD)
                lab.write_config()
                mid = lab.state()
                judge_check(out, lab, lab.check(), (recover,), (), max_seconds, "recovery check")
                compare_states(out, mid, lab.state(), 1 if recover == "new" else 0)
            if out.problems:
                out.survived = False
        return out

    scenario(name, group, what, chaos_runs)(run)


# -- raw socket servers -----------------------------------------------------------------------


class RawServer:
    """A TCP server on 127.0.0.1 that runs `handle(conn)` for every connection in a thread."""

    def __init__(self, handle: Callable[[socket.socket], None]) -> None:
        self.handle = handle
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.stopping = threading.Event()
        self.conns: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def url(self, path: str = "/policy") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def _accept(self) -> None:
        while not self.stopping.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.conns.append(conn)
            threading.Thread(target=self._run, args=(conn,), daemon=True).start()

    def _run(self, conn: socket.socket) -> None:
        with contextlib.suppress(OSError):
            self.handle(conn)

    def close(self) -> None:
        self.stopping.set()
        with contextlib.suppress(OSError):
            self.sock.close()
        for c in self.conns:
            with contextlib.suppress(OSError):
                c.close()


def read_request(conn: socket.socket) -> bytes:
    conn.settimeout(5)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(4096)
        if not chunk:
            break
        data += chunk
    return data


def hang_after_request(stop: threading.Event) -> Callable[[socket.socket], None]:
    """Accept, read the whole request, then never answer (until the server closes)."""

    def handle(conn: socket.socket) -> None:
        read_request(conn)
        stop.wait(30)

    return handle


def slow_headers(stop: threading.Event) -> Callable[[socket.socket], None]:
    """Answer one byte per second, forever: the status line and headers never finish."""

    def handle(conn: socket.socket) -> None:
        read_request(conn)
        for b in b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nX-Padding: " + b"a" * 1000:
            if stop.is_set():
                return
            conn.sendall(bytes([b]))
            time.sleep(1.0)

    return handle


@contextlib.contextmanager
def raw_server(
    make: Callable[[threading.Event], Callable[[socket.socket], None]],
) -> Iterator[RawServer]:
    stop = threading.Event()
    srv = RawServer(make(stop))
    try:
        yield srv
    finally:
        stop.set()
        srv.close()


# -- network scenarios (a whole `watcher check`, not just the fetcher) ------------------------


def _hold(lab: Lab, thing: Any, close: Callable[[], None]) -> Any:
    """Close `thing` when the scenario ends."""
    lab.cleanups.append(close)
    return thing


def _silent(lab: Lab) -> str:
    cm = raw_server(hang_after_request)
    srv = cm.__enter__()
    _hold(lab, srv, lambda: cm.__exit__(None, None, None))
    return srv.url()


def _backlog_only(lab: Lab) -> str:
    srv = SilentServer()
    _hold(lab, srv, srv.close)
    return srv.url("/policy")


def _slow_headers(lab: Lab) -> str:
    cm = raw_server(slow_headers)
    srv = cm.__enter__()
    _hold(lab, srv, lambda: cm.__exit__(None, None, None))
    return srv.url()


def _route(path: str, body: bytes | str = b"", **kw: Any) -> Callable[[Lab], str]:
    def serve(lab: Lab) -> str:
        lab.site.set(path, body, **kw)
        return lab.site.url(path)

    return serve


def _handler(path: str, handler: Any) -> Callable[[Lab], str]:
    def serve(lab: Lab) -> str:
        lab.site.set(path, handler=handler)
        return lab.site.url(path)

    return serve


def _redirect_loop(lab: Lab) -> str:
    lab.site.set("/a", status=302, headers={"Location": "/b"}, etag=False)
    lab.site.set("/b", status=301, headers={"Location": "/a"}, etag=False)
    return lab.site.url("/a")


def _redirect_to(target: str) -> Callable[[Lab], str]:
    def serve(lab: Lab) -> str:
        lab.site.set("/go", status=302, headers={"Location": target}, etag=False)
        return lab.site.url("/go")

    return serve


def _not_modified_always(lab: Lab) -> str:
    def handle(req: Any) -> None:
        req.send_response(304)
        req.send_header("Content-Length", "0")
        req.end_headers()

    lab.site.set("/policy", handler=handle)
    return lab.site.url("/policy")


NET = "network"
check_scenario(
    "connect refused", NET, "nothing listens on the port",
    lambda lab: f"http://127.0.0.1:{closed_port()}/policy", keywords=("refused",),
)  # fmt: skip
check_scenario(
    "DNS failure", NET, "the host name does not resolve (.invalid)",
    lambda lab: "http://policy-watcher-chaos.invalid/privacy", keywords=("dns",),
)  # fmt: skip
check_scenario(
    "accepts, never answers", NET,
    "a raw socket reads the request and never writes a byte",
    _silent, keywords=("timed out",), max_seconds=8,
)  # fmt: skip
check_scenario(
    "never accepted (backlog)", NET, "a listening socket that never calls accept()",
    _backlog_only, keywords=("timed out",), max_seconds=8,
)  # fmt: skip
check_scenario(
    "slowloris body", NET, "headers at once, then the body one byte per 0.5 s",
    _handler("/drip", drip(GOOD.encode(), 0.5)), keywords=("timed out",), max_seconds=8,
)  # fmt: skip
check_scenario(
    "slowloris headers", NET, "the status line and headers one byte per second",
    _slow_headers, keywords=("timed out",), max_seconds=8,
)  # fmt: skip
check_scenario(
    "reset mid-body", NET, "Content-Length 100000, 500 bytes, then a TCP RST",
    _handler("/rst", reset_after(GOOD.encode()[:500], 100_000)),
    keywords=("reset", "closed the connection", "broke"),
)  # fmt: skip
check_scenario(
    "truncated chunked body", NET, "a chunk announces more bytes than are sent",
    _handler("/chunked", truncated_chunked([GOOD.encode()[:400]])), keywords=("chunked",),
)  # fmt: skip
check_scenario(
    "TLS failure", NET, "https:// to a plain-HTTP port", lambda lab: lab.url.replace("http:", "https:"),
    keywords=("tls",),
)  # fmt: skip
check_scenario(
    "redirect loop", NET, "/a -> /b -> /a", _redirect_loop, keywords=("redirect",),
)  # fmt: skip
check_scenario(
    "redirect to file://", NET, "302 Location: file:///etc/passwd",
    _redirect_to("file:///etc/passwd"), keywords=("scheme",),
)  # fmt: skip
check_scenario(
    "redirect to ftp://", NET, "302 Location: ftp://127.0.0.1/policy",
    _redirect_to("ftp://127.0.0.1/policy"), keywords=("scheme",),
)  # fmt: skip
for _code in (500, 502, 503):
    check_scenario(
        f"HTTP {_code}", NET, f"the server answers {_code}",
        _route(f"/e{_code}", "<h1>oops</h1>", status=_code, etag=False), keywords=(f"{_code}",),
    )  # fmt: skip
check_scenario(
    "429 with Retry-After", NET, "429 Too Many Requests, Retry-After: 3600",
    _route("/busy", "slow down", status=429, headers={"Retry-After": "3600"}, etag=False),
    keywords=("429",),
)  # fmt: skip
check_scenario(
    "429 without Retry-After", NET, "429 Too Many Requests, no Retry-After",
    _route("/busy", "slow down", status=429, etag=False), keywords=("429",),
)  # fmt: skip
check_scenario(
    "304 without a prior version", NET,
    "a new watch whose server answers 304 Not Modified to an unconditional GET",
    _not_modified_always, keywords=("304",), first_good=False, recover="new",
)  # fmt: skip


# -- hostile or odd content -------------------------------------------------------------------

CONTENT = "content"
_BOMB: bytes | None = None


def gzip_bomb() -> bytes:
    """~100 KB of gzip that inflates to 100 MiB of zeros (built once)."""
    global _BOMB
    if _BOMB is None:
        c = zlib.compressobj(9, zlib.DEFLATED, 31)
        block = bytes(1 << 20)
        _BOMB = b"".join([*(c.compress(block) for _ in range(100)), c.flush()])
    return _BOMB


def _set(body: bytes | str | Callable[[], bytes], **kw: Any) -> Callable[[Lab], None]:
    def serve(lab: Lab) -> None:
        lab.site.set("/policy", body() if callable(body) else body, **kw)

    return serve


def _big_body(lab: Lab) -> None:
    lab.site.set("/policy", GOOD.encode() + b"<p>" + b"x" * (50 * 1024 * 1024) + b"</p>")


def _nested(n: int) -> bytes:
    return (
        GOOD.replace("<main>", "<main>" + "<div>" * n)
        .replace("</main>", "</div>" * n + "</main>")
        .encode()
    )


def _nested_junk(n: int) -> bytes:
    # Markup junk only: text at any depth is shown by a browser, so it is page text (and is
    # kept by the extractor, see tests/test_extract_repro.py), not junk.
    return GOOD.replace("</main>", "<div>" * n + "</main>").encode()


def _one_line(lab: Lab) -> None:
    blob = "".join(random.choices("abcdefghijklmnopqrstuvwxyz0123456789+/", k=5 * 1024 * 1024))
    page = GOOD.replace("</head>", f"<script>var blob='{blob}';</script></head>")
    assert "\n" not in page
    lab.site.set("/policy", page)


def _one_line_text(lab: Lab) -> None:
    words = " ".join(random.choices(["data", "privacy", "we", "share", "cookies"], k=900_000))
    lab.site.set("/policy", f"<html><body><p>{words}</p></body></html>")


LOGIN = (
    "<!doctype html><html><head><title>Sign in – Example</title></head><body>"
    "<header><nav><a href='/'>Home</a> <a href='/products'>Products</a> <a href='/help'>Help"
    "</a></nav></header><main><h1>Sign in to your account</h1>"
    "<form action='/login' method='post'><label>E-mail address <input name='email'></label>"
    "<label>Password <input type='password' name='password'></label>"
    "<button>Sign in</button></form><p>Forgot your password? Reset it here. New to Example? "
    "Create an account in minutes and start managing your subscriptions, invoices and team "
    "members from one place.</p></main><footer>© 2024 Example Ltd · Terms · Privacy · Cookies"
    " · Accessibility · Contact us · Careers · Press · Status</footer></body></html>"
)
SOFT_404 = (
    "<!doctype html><html><head><title>Page not found | Example</title></head><body>"
    "<header><nav><a href='/'>Home</a> <a href='/products'>Products</a> <a href='/help'>Help"
    "</a></nav></header><main><h1>404 – Page not found</h1><p>Sorry, we couldn't find the "
    "page you were looking for. It may have been moved or deleted, or the address may be "
    "mistyped. Try searching our help centre, or go back to the home page to find what you "
    "need. Our support team is available around the clock if you need any help.</p></main>"
    "<footer>© 2024 Example Ltd · Terms · Privacy · Cookies · Accessibility · Contact us · "
    "Careers · Press · Status</footer></body></html>"
)
CHALLENGE = (
    "<!DOCTYPE html><html lang='en-US'><head><title>Just a moment...</title>"
    "<meta http-equiv='refresh' content='390'></head><body><div class='main-wrapper'>"
    "<div class='main-content'><h1 class='zone-name-title h1'>www.example.org</h1>"
    "<h2 class='h2' id='challenge-running'>Checking if the site connection is secure</h2>"
    "<noscript><div class='h2'>Enable JavaScript and cookies to continue</div></noscript>"
    "<div id='challenge-body-text' class='core-msg spacer'>www.example.org needs to review the"
    " security of your connection before proceeding.</div><form id='challenge-form' "
    "action='/?__cf_chl_f_tk=abc' method='POST'></form></div></div><div class='footer'>"
    "Ray ID: <code>7d1b2c3d4e5f6a7b</code> Performance &amp; security by Cloudflare</div>"
    "<script src='/cdn-cgi/challenge-platform/h/g/orchestrate/chl_page/v1'></script>"
    "</body></html>"
)
CAPTCHA = (
    "<!DOCTYPE html><html><head><title>Attention Required! | Cloudflare</title></head><body>"
    "<h1>Sorry, you have been blocked</h1><h2>You are unable to access example.org</h2>"
    "<p>Please complete the security check to access www.example.org. Why do I have to "
    "complete a CAPTCHA? Completing the CAPTCHA proves you are a human and gives you temporary"
    " access to the web property.</p><div class='g-recaptcha'></div>"
    "<p>Cloudflare Ray ID: 7d1b2c3d4e5f6a7b • Your IP: 127.0.0.1 • Performance &amp; "
    "security by Cloudflare</p></body></html>"
)


def encrypted_pdf() -> bytes:
    import io

    from pypdf import PdfWriter

    w = PdfWriter()
    w.add_blank_page(612, 792)
    w.encrypt(user_password="chaos-user", owner_password="chaos-owner")
    buf = io.BytesIO()
    w.write(buf)
    return buf.getvalue()


BROKEN_PDF = b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n" + bytes(
    random.Random(7).randrange(256) for _ in range(4000)
)


def _ab_test(lab: Lab) -> None:
    paras = list(POLICY_PARAGRAPHS)
    paras[4] = paras[4].replace("24 months", "12 months")
    b = policy_html(paras)
    lab.site.set(
        "/policy",
        handler=sequence(*[(lambda r, p=p: respond(r, 200, p)) for p in [b, GOOD] * 6]),
    )


check_scenario(
    "50 MB body", CONTENT, "a 50 MB page (max_bytes is 10 MB)", _big_body,
    keywords=("larger than",), repeat=1,
)  # fmt: skip
check_scenario(
    "gzip bomb", CONTENT, "~100 KB of gzip inflating to 100 MiB",
    _set(gzip_bomb, headers={"Content-Encoding": "gzip"}),
    keywords=("decompressed", "bomb"),
)  # fmt: skip
check_scenario(
    "binary as text/html", CONTENT, "64 KB of random bytes labelled text/html",
    _set(random.Random(1).randbytes(65536)), keywords=("binary", "extract"), repeat=3,
    expect=("error", "suspicious"),
)  # fmt: skip
check_scenario(
    "invalid UTF-8", CONTENT,
    "the same policy encoded windows-1252 but declared UTF-8 (must not be a change)",
    _set(GOOD.replace("<meta charset='utf-8'>", "").encode("cp1252")),
    expect=("unchanged",), repeat=3,
)  # fmt: skip
check_scenario(
    "wrong declared charset", CONTENT,
    "the same UTF-8 policy declared ISO-8859-1 in the header (must not be a change)",
    _set(GOOD.replace("<meta charset='utf-8'>", "").encode(),
         content_type="text/html; charset=iso-8859-1"),
    expect=("unchanged",), repeat=3,
)  # fmt: skip
check_scenario(
    "100,000 nested tags", CONTENT,
    "the policy wrapped in 100,000 nested <div>s (libxml2 drops text nested deeper than 255 "
    "levels, so the guard sees a near-empty page: suspicious, never a version)",
    _set(_nested(100_000)), expect=("unchanged", "suspicious"), repeat=3, max_seconds=30,
)  # fmt: skip
check_scenario(
    "100,000 unclosed tags", CONTENT, "100,000 unclosed <div>s after the policy",
    _set(_nested_junk(100_000)), expect=("unchanged", "suspicious", "error"), repeat=3,
    max_seconds=30,
)  # fmt: skip
check_scenario(
    "5 MB single line", CONTENT, "the policy plus a 5 MB inline script, all on one line",
    _one_line, expect=("unchanged",), repeat=2, max_seconds=30,
)  # fmt: skip
check_scenario(
    "5 MB single paragraph", CONTENT, "a page that is one 5 MB paragraph of words",
    _one_line_text, expect=("suspicious", "error"), repeat=1, max_seconds=60,
    recover="unchanged", chaos_runs=2,
)  # fmt: skip
check_scenario(
    "empty 200", CONTENT, "200 OK with an empty body",
    _set(b""), expect=("suspicious", "error"), keywords=("empty",), repeat=3,
)  # fmt: skip
check_scenario(
    "login page as 200", CONTENT, "a sign-in form served with 200 instead of the policy",
    _set(LOGIN), expect=("suspicious",), keywords=("login", "sign"), repeat=4,
)  # fmt: skip
check_scenario(
    "soft 404 as 200", CONTENT, "a 'page not found' page served with 200",
    _set(SOFT_404), expect=("suspicious",), keywords=("not found", "404", "error page"),
    repeat=4,
)  # fmt: skip
check_scenario(
    "Cloudflare challenge", CONTENT, "a 'Just a moment...' JS challenge served with 200",
    _set(CHALLENGE), expect=("suspicious",), keywords=("challenge", "bot"), repeat=4,
)  # fmt: skip
check_scenario(
    "captcha page (403)", CONTENT, "an 'Attention Required' captcha served with 403",
    _set(CAPTCHA, status=403), keywords=("403",), repeat=2,
)  # fmt: skip
check_scenario(
    "captcha page (200)", CONTENT, "the same captcha page served with 200",
    _set(CAPTCHA), expect=("suspicious",), keywords=("captcha", "challenge", "bot"), repeat=4,
)  # fmt: skip
check_scenario(
    "broken PDF", CONTENT, "application/pdf with a valid header and random bytes",
    _set(BROKEN_PDF, content_type="application/pdf"), keywords=("pdf",), repeat=2,
    expect=("error", "suspicious"),
)  # fmt: skip
check_scenario(
    "encrypted PDF", CONTENT, "a password-protected PDF",
    _set(encrypted_pdf, content_type="application/pdf"), keywords=("encrypt", "password"),
    repeat=2,
)  # fmt: skip
check_scenario(
    "A/B flip", CONTENT,
    "the text alternates between two versions on every check (12 checks): the first flip may "
    "be reported, never the flipping back and forth",
    _ab_test, expect=("changed", "suspicious", "unchanged"), repeat=12, allowed_changes=1,
    recover=None,
)  # fmt: skip


# -- process and storage ----------------------------------------------------------------------

PROCESS = "process"


def _smtp_server(delay: float = 0.0) -> Any:
    """The aiosmtpd test server; `delay` holds every DATA reply (then accepts), so a kill can
    land in the middle of a delivery."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from tests.smtpserver import SMTPTestServer, _Handler

    srv = SMTPTestServer().start()
    srv.in_data = 0  # DATA replies being held right now
    if delay:

        class Slow(_Handler):
            async def handle_DATA(self, server, session, envelope):  # noqa: N802
                import asyncio

                srv.in_data += 1
                try:
                    await asyncio.sleep(delay)
                    return await super().handle_DATA(server, session, envelope)
                finally:
                    srv.in_data -= 1

        srv._controller.handler = Slow(srv)  # used for every new connection
    return srv


def _email_table(srv: Any, **over: Any) -> dict[str, Any]:
    return {
        "smtp_host": "127.0.0.1",
        "smtp_port": srv.port,
        "security": "none",
        "from": "policy-watcher <watcher@example.org>",
        "to": ["reader@example.org"],
        "min_severity": "info",
        "timeout": 5,
        **over,
    }


class Revisions:
    """A page that publishes a new genuine revision every `period` seconds (until frozen)."""

    def __init__(self, period: float, delay: float = 0.0, rng: random.Random | None = None):
        self.period = period
        self.delay = delay
        self.rng = rng or random.Random()
        self.t0 = time.monotonic()
        self.frozen: int | None = None
        self.served: set[int] = set()
        self.lock = threading.Lock()

    def current(self) -> int:
        if self.frozen is not None:
            return self.frozen
        return int((time.monotonic() - self.t0) / self.period)

    def freeze(self) -> int:
        self.frozen = self.current() + 1
        return self.frozen

    def __call__(self, req: Any) -> None:
        if self.delay:
            time.sleep(self.rng.uniform(0, self.delay))
        k = self.current()
        with self.lock:
            self.served.add(k)
        with contextlib.suppress(OSError):  # the daemon was killed mid-request
            respond(req, 200, revised(k))


class Daemon:
    """`watcher --config X daemon` as a real subprocess, logging to a file."""

    def __init__(self, lab: Lab, env: dict[str, str] | None = None) -> None:
        self.lab = lab
        self.log = lab.root / "daemon.log"
        self.env = {**os.environ, **(env or {})}
        self.proc: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def start(self) -> None:
        fh = open(self.log, "ab")  # noqa: SIM115 - the child owns it
        self.proc = subprocess.Popen(
            watcher_cmd("--config", str(self.lab.config), "daemon"),
            stdout=fh,
            stderr=fh,
            env=self.env,
            cwd=self.lab.root,
        )
        fh.close()
        self.starts += 1

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill9(self) -> None:
        assert self.proc is not None
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)

    def terminate(self, timeout: float = 40) -> int | None:
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)
            return None

    def tail(self, n: int = 15) -> str:
        try:
            lines = self.log.read_text(errors="replace").splitlines()
        except FileNotFoundError:
            return ""
        return "\n".join(lines[-n:])


def _need_daemon() -> None:
    if not has_daemon():
        raise Unavailable("watcher.daemon / the `daemon` command is not available")


def _versions(lab: Lab) -> list[sqlite3.Row]:
    with contextlib.closing(lab.connect()) as c:
        return c.execute(
            "SELECT id, sha256, captured_at, capture_id FROM versions WHERE watch = ? "
            "ORDER BY captured_at, id",
            (WATCH,),
        ).fetchall()


def _text_sha(html: str) -> str:
    from watcher.extract import extract

    return hashlib.sha256(
        extract(html.encode(), content_type="text/html").text.encode()
    ).hexdigest()


def audit_deliveries(out: Outcome, lab: Lab, smtp: Any, served: set[int] | None = None) -> None:
    """Versions consistent, every change reported once, every report delivered (same id)."""
    rows = _versions(lab)
    if served is not None:
        expected = {_text_sha(revised(k)) for k in served}
        for r in rows:
            if r["sha256"] not in expected:
                out.false_alerts += 1
                out.problem(f"version {r['id']} is not the text of any served revision")
    for a, b in zip(rows, rows[1:], strict=False):
        if a["sha256"] == b["sha256"]:
            out.false_alerts += 1
            out.problem(f"versions {a['id']} and {b['id']} have the same text")
    with contextlib.closing(lab.connect()) as c:
        changes = c.execute("SELECT * FROM changes WHERE technical = 0 ORDER BY id").fetchall()
        outbox = c.execute("SELECT * FROM outbox ORDER BY id").fetchall()
    pairs: dict[tuple[int, int], int] = {}
    for ch in changes:
        key = (ch["old_version"], ch["new_version"])
        pairs[key] = pairs.get(key, 0) + 1
    for a, b in zip(rows, rows[1:], strict=False):
        n = pairs.pop((a["id"], b["id"]), 0)
        if n == 0:
            out.reports_lost += 1
            out.problem(f"no change recorded between versions {a['id']} and {b['id']}")
        elif n > 1:
            out.false_alerts += n - 1
            out.problem(f"{n} changes recorded between versions {a['id']} and {b['id']}")
    for key in pairs:
        out.problem(f"change {key} does not link consecutive versions")
    mails = {}
    for m in outbox:
        if m["kind"] == "change":
            mails.setdefault(m["change_id"], []).append(m)
    for ch in changes:
        got = mails.get(ch["id"], [])
        if not got:
            out.reports_lost += 1
            out.problem(f"change {ch['id']} has no queued report")
        elif len(got) > 1:
            out.false_alerts += len(got) - 1
            out.problem(f"change {ch['id']} has {len(got)} queued reports")
    received: dict[str, int] = {}
    for msg in smtp.messages:
        mid = str(msg["Message-ID"])
        received[mid] = received.get(mid, 0) + 1
    for m in outbox:
        if m["status"] != "sent" or m["message_id"] not in received:
            out.reports_lost += 1
            out.problem(f"outbox {m['id']} ({m['kind']}) is {m['status']}, not delivered")
    known = {m["message_id"] for m in outbox}
    strangers = [mid for mid in received if mid not in known]
    if strangers:
        out.problem(f"{len(strangers)} delivered message(s) not in the outbox")
    dups = sum(n - 1 for n in received.values() if n > 1)
    out.notes.append(
        f"{len(rows)} versions, {len(changes)} changes, {len(outbox)} outbox rows, "
        f"{len(smtp.messages)} messages received ({dups} resent with the same Message-ID)"
    )


def kill9(tmp: Path, kills: int = 5, seed: int | None = None) -> Outcome:
    """SIGKILL the daemon at random moments of checks and deliveries, restart, then settle."""
    _need_daemon()
    out = Outcome("kill -9 daemon")
    rng = random.Random(seed)
    smtp = _smtp_server(delay=0.6)
    try:
        with Lab(tmp, every="1s", timeout=3, email=_email_table(smtp)) as lab:
            page = Revisions(period=1.1, delay=0.4, rng=rng)
            lab.site.set("/policy", handler=page)
            lab.write_config()
            d = Daemon(lab)
            seen: dict[int, str] = {}
            during_mail = 0
            for i in range(kills):
                d.start()
                time.sleep(rng.uniform(0.8, 4.0))
                if not d.alive():
                    out.problem(f"daemon exited by itself before kill {i + 1}:\n{d.tail()}")
                    break
                during_mail += int(smtp.in_data > 0)
                d.kill9()
                if lab.db.exists():
                    for r in _versions(lab):
                        seen[r["id"]] = r["sha256"]
            final = page.freeze()
            final_sha = _text_sha(revised(final))
            d.start()
            deadline = time.monotonic() + 90
            settled = False
            while time.monotonic() < deadline and d.alive():
                time.sleep(0.5)
                if not lab.db.exists():
                    continue
                rows = _versions(lab)
                with contextlib.closing(lab.connect()) as c:
                    pending = c.execute(
                        "SELECT count(*) FROM outbox WHERE status != 'sent'"
                    ).fetchone()[0]
                    sent = c.execute("SELECT message_id FROM outbox").fetchall()
                if rows and rows[-1]["sha256"] == final_sha and pending == 0:
                    got = {str(m["Message-ID"]) for m in smtp.messages}
                    if all(s["message_id"] in got for s in sent):
                        settled = True
                        break
            out.require(d.alive(), f"daemon not running at the end:\n{d.tail()}")
            out.require(settled, "did not settle within 90 s (final revision stored, all sent)")
            code = d.terminate()
            out.require(code == 0, f"SIGTERM: exit {code}:\n{d.tail()}")
            for vid, sha in seen.items():
                if lab.state().versions.get(vid) != sha:
                    out.versions_lost += 1
                    out.problem(f"version {vid} seen between kills is gone or altered")
            problems = lab.integrity()
            tmp_left = [p for p in problems if p.startswith("half-written")]
            for p in problems:
                if p not in tmp_left:
                    out.problem(p)
            if tmp_left:  # a kill between write and rename; no row names such a file
                out.notes.append(f"{len(tmp_left)} orphan .tmp snapshot file(s) from kills")
            audit_deliveries(out, lab, smtp, page.served)
            with contextlib.closing(lab.connect()) as c:
                bad = c.execute(
                    "SELECT outcome, error FROM checks WHERE outcome NOT IN "
                    "('new','changed','unchanged')"
                ).fetchall()
            for b in bad:
                if readable(b["error"]):
                    out.problem(f"check {b['outcome']} without a readable cause: {b['error']!r}")
            out.notes.append(
                f"{kills} kills ({during_mail} in the middle of an SMTP DATA), {d.starts} starts,"
                f" {len(page.served)} revisions"
            )
    finally:
        smtp.stop()
    return out


@scenario(
    "kill -9 daemon",
    PROCESS,
    "SIGKILL the daemon at random moments (checks every 1 s of a page that changes every 1.1 s, "
    "SMTP answers after 0.6 s), restart it, then let it settle: integrity_check ok, every "
    "capture's snapshot present, every version a served revision, one change per pair of "
    "consecutive versions, one queued report per change, every report delivered (resends only "
    "with the same Message-ID), SIGTERM exits 0",
    chaos_runs=1,
)
def _kill9_scenario(tmp: Path) -> Outcome:
    return kill9(tmp, kills=int(os.environ.get("CHAOS_KILLS", "5")))


@scenario(
    "CLI reads while the daemon writes",
    PROCESS,
    "history / search / list / show in subprocesses, over and over, while the daemon stores a "
    "new version every second: every read exits 0 with valid JSON (no 'database is locked')",
    chaos_runs=2,
)
def read_while_writing(tmp: Path) -> Outcome:
    _need_daemon()
    out = Outcome("CLI reads while the daemon writes")
    smtp = _smtp_server()
    try:
        with Lab(tmp, every="1s", timeout=3, email=_email_table(smtp)) as lab:
            page = Revisions(period=0.9)
            lab.site.set("/policy", handler=page)
            lab.write_config()
            d = Daemon(lab)
            d.start()
            reads = 0
            deadline = time.monotonic() + 9
            while time.monotonic() < deadline:
                for args in (
                    ("history", WATCH, "--json"),
                    ("search", "Vendor1", "--json"),
                    ("list", "--json"),
                    ("show", WATCH, "--json"),
                ):
                    if not lab.db.exists():
                        time.sleep(0.3)
                        continue
                    r = lab.sub(*args)
                    if args[0] == "show" and r.code == 1 and "has no" in r.stderr:
                        continue  # before the first version: a clean "no version" answer
                    reads += 1
                    if r.code != 0 or r.crashed:
                        out.problem(f"{' '.join(args)}: exit {r.code}: {r.stderr.strip()[:300]}")
                        continue
                    try:
                        json.loads(r.stdout)
                    except ValueError:
                        out.problem(f"{' '.join(args)}: invalid JSON: {r.stdout[:200]!r}")
            out.require(d.alive(), f"daemon died:\n{d.tail()}")
            code = d.terminate()
            out.require(code == 0, f"SIGTERM: exit {code}")
            out.require(len(_versions(lab)) >= 3, "the daemon stored fewer than 3 versions")
            out.problems.extend(lab.integrity())
            out.notes.append(f"{reads} reads, {len(_versions(lab))} versions written meanwhile")
            if out.problems:
                out.survived = False
    finally:
        smtp.stop()
    return out


def _big_random_page(n: int) -> bytes:
    """The good policy plus ~n bytes of random numbers: hard to compress, and still the same
    page as far as the guard's vocabulary check goes (numbers are not words), so the check
    really tries to store it."""
    blob = " ".join(str(random.getrandbits(64)) for _ in range(n // 20))
    return GOOD.replace("</main>", f"<p>{blob}</p></main>").encode()


def _disk_full_check(
    out: Outcome,
    lab: Lab,
    run_check: Callable[[], Ran],
    keywords: tuple[str, ...],
    size: int = 1_200_000,
) -> None:
    before = lab.state()
    lab.site.set("/policy", _big_random_page(size))
    ran = run_check()
    judge_check(out, lab, ran, ("error",), keywords, 30, "check on a full disk")
    compare_states(out, before, lab.state())
    out.problems.extend(lab.integrity())
    lab.site.set("/policy", GOOD)
    mid = lab.state()
    judge_check(out, lab, lab.check(), ("unchanged",), (), 30, "recovery check")
    compare_states(out, mid, lab.state())
    if out.problems:
        out.survived = False


@scenario(
    "disk full (tmpfs snapshots)",
    PROCESS,
    "snapshots/ on a 64 KB tmpfs; a new 800 KB incompressible page cannot be stored: the check "
    "errors with ENOSPC as its cause, no .tmp file, no capture row, integrity ok",
)
def disk_full_tmpfs(tmp: Path) -> Outcome:
    out = Outcome("disk full (tmpfs snapshots)")
    with Lab(tmp) as lab:
        lab.snapshots.mkdir()
        p = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=64k,mode=0700", "tmpfs", str(lab.snapshots)],
            capture_output=True,
            text=True,
        )
        if p.returncode != 0:
            raise Unavailable(f"cannot mount a tmpfs: {p.stderr.strip()}")
        try:
            lab.site.set("/policy", GOOD)
            lab.write_config()
            if lab.check().status != "new":
                out.problem("setup check failed")
                return out
            _disk_full_check(out, lab, lab.check, ("no space",))
        finally:
            subprocess.run(["umount", "-l", str(lab.snapshots)], capture_output=True)
    return out


def limited_cmd(limit: int, *args: str) -> list[str]:
    """argv running the CLI with RLIMIT_FSIZE = `limit` bytes and SIGXFSZ ignored, so a write
    past the limit fails with EFBIG (set in the child itself: no preexec_fn)."""
    code = (
        "import contextlib, resource, signal, sys\n"
        "signal.signal(signal.SIGXFSZ, signal.SIG_IGN)\n"
        f"resource.setrlimit(resource.RLIMIT_FSIZE, ({limit}, {limit}))\n"
        "with contextlib.suppress(ImportError):\n"
        "    import watcher.cli.mail\n"
        "from watcher.cli import main\n"
        "sys.argv[0] = 'watcher'\n"
        "main()\n"
    )
    return [sys.executable, "-c", code, *args]


@scenario(
    "disk full (RLIMIT_FSIZE)",
    PROCESS,
    "`watcher check` in a subprocess whose files may not grow past 1 MB; the snapshot of an "
    "800 KB incompressible page fails with EFBIG: clean exit 1, readable cause, nothing "
    "half-written",
)
def disk_full_fsize(tmp: Path) -> Outcome:
    out = Outcome("disk full (RLIMIT_FSIZE)")
    with Lab(tmp) as lab:
        lab.site.set("/policy", GOOD)
        lab.write_config()
        if lab.check().status != "new":
            out.problem("setup check failed")
            return out

        def run() -> Ran:
            t0 = time.monotonic()
            p = subprocess.run(
                limited_cmd(1_000_000, "--config", str(lab.config), "check", "--json"),
                capture_output=True,
                text=True,
                timeout=60,
                cwd=lab.root,
            )
            crashed = "Traceback" if "Traceback (most recent" in p.stderr else None
            return Ran(p.returncode, p.stdout, p.stderr, crashed, time.monotonic() - t0)

        _disk_full_check(out, lab, run, ("too large",), size=3_000_000)
    return out


@scenario(
    "disk full (database commit)",
    PROCESS,
    "as above, but the page's snapshot (~600 KB) fits and the version's text does not fit in "
    "the SQLite WAL: the transaction rolls back, clean exit 1, readable cause, integrity ok",
)
def disk_full_commit(tmp: Path) -> Outcome:
    out = Outcome("disk full (database commit)")
    with Lab(tmp) as lab:
        lab.site.set("/policy", GOOD)
        lab.write_config()
        if lab.check().status != "new":
            out.problem("setup check failed")
            return out

        def run() -> Ran:
            t0 = time.monotonic()
            p = subprocess.run(
                limited_cmd(1_000_000, "--config", str(lab.config), "check", "--json"),
                capture_output=True,
                text=True,
                timeout=60,
                cwd=lab.root,
            )
            crashed = "Traceback" if "Traceback (most recent" in p.stderr else None
            return Ran(p.returncode, p.stdout, p.stderr, crashed, time.monotonic() - t0)

        _disk_full_check(out, lab, run, ("disk",), size=600_000)
    return out


@scenario(
    "disk full (database)",
    PROCESS,
    "the whole project on a 1 MB tmpfs, filled up before a check that stores a new version: "
    "clean exit, readable error, the database intact and usable once space is back",
)
def disk_full_db(tmp: Path) -> Outcome:
    out = Outcome("disk full (database)")
    root = tmp / "fs"
    root.mkdir(parents=True)
    p = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(root)],
        capture_output=True,
        text=True,
    )
    if p.returncode != 0:
        raise Unavailable(f"cannot mount a tmpfs: {p.stderr.strip()}")
    try:
        with Lab(root / "project") as lab:
            lab.site.set("/policy", GOOD)
            lab.write_config()
            if lab.check().status != "new":
                out.problem("setup check failed")
                return out
            before = lab.state()
            filler = root / "filler"
            fd = os.open(filler, os.O_CREAT | os.O_WRONLY, 0o600)
            with contextlib.suppress(OSError):
                while True:
                    os.write(fd, b"\0" * 4096)
            os.close(fd)
            lab.site.set("/policy", revised(1))
            ran = lab.check()
            if ran.crashed:
                out.problem(f"check crashed: {ran.crashed}")
            out.require(ran.code in (0, 1), f"exit {ran.code}")
            status = ran.status
            out.notes.append(f"{status}: {(ran.results or [{}])[0].get('error')}")
            if status == "error":
                bad = readable((ran.results or [{}])[0].get("error"))
                out.require(bad is None, f"error result: {bad}")
            filler.unlink()
            after = lab.state()
            for vid, sha in before.versions.items():
                if after.versions.get(vid) != sha:
                    out.versions_lost += 1
            out.problems.extend(lab.integrity())
            # With space back the change is picked up normally (or was already stored).
            again = lab.check()
            out.require(
                again.status in ("changed", "unchanged") and not again.crashed,
                f"check after freeing space: {again.status} {again.stdout[:200]}",
            )
            out.require(len(lab.state().versions) == 2, "expected exactly 2 versions at the end")
            if out.problems:
                out.survived = False
    finally:
        subprocess.run(["umount", "-l", str(root)], capture_output=True)
    return out


def _downgrade_to_v1(db: Path) -> None:
    """Make a current database look like one written by schema version 1."""
    with contextlib.closing(sqlite3.connect(db)) as c:
        c.isolation_level = None
        names = [r[0] for r in c.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")]
        for n in names:
            c.execute(f'DROP TRIGGER "{n}"')
        tables = [r[0] for r in c.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        if "versions_fts" in tables:
            c.execute("DROP TABLE versions_fts")
        c.execute("DROP TABLE IF EXISTS wayback_imports")
        c.execute("ALTER TABLE outbox DROP COLUMN channel")  # added by the outbox-channel migration
        cols = {r[1] for r in c.execute("PRAGMA table_info(versions)")}
        if "declared_language" in cols:  # added by the language migration
            c.execute("ALTER TABLE versions DROP COLUMN declared_language")
        c.execute("PRAGMA user_version = 1")
        c.execute("VACUUM")


@scenario(
    "older schema migrates",
    PROCESS,
    "a database at schema version 1 (no wayback_imports, no full-text index): history, "
    "search and check work, user_version moves to the current one, nothing is lost",
)
def older_schema(tmp: Path) -> Outcome:
    from watcher.storage.sqlite import SCHEMA_VERSION

    out = Outcome("older schema migrates")
    with Lab(tmp) as lab:
        lab.site.set("/policy", GOOD)
        lab.write_config()
        lab.check()
        lab.site.set("/policy", revised(1))
        lab.check()
        before = lab.state()
        _downgrade_to_v1(lab.db)
        h = lab.cli("history", WATCH, "--json")
        out.require(h.code == 0 and not h.crashed, f"history: exit {h.code} {h.stderr[:200]}")
        with contextlib.suppress(ValueError):
            out.require(len(json.loads(h.stdout)) == 2, "history does not list both versions")
        s = lab.cli("search", "Vendor1", "--json")
        out.require(s.code == 0, f"search: exit {s.code} {s.stderr[:200]}")
        with contextlib.suppress(ValueError):
            out.require(len(json.loads(s.stdout)) == 1, "search misses the migrated version")
        with contextlib.closing(lab.connect()) as c:
            uv = c.execute("PRAGMA user_version").fetchone()[0]
            tables = {r[0] for r in c.execute("SELECT name FROM sqlite_master")}
        out.require(uv == SCHEMA_VERSION, f"user_version {uv}, expected {SCHEMA_VERSION}")
        out.require("wayback_imports" in tables, "wayback_imports not created")
        judge_check(out, lab, lab.check(), ("unchanged",), (), 30, "check after migration")
        compare_states(out, before, lab.state())
        out.problems.extend(lab.integrity())
        if out.problems:
            out.survived = False
    return out


@scenario(
    "newer schema refused",
    PROCESS,
    "a database from a newer release (user_version 99): one clear error, exit 1, the file "
    "untouched",
)
def newer_schema(tmp: Path) -> Outcome:
    out = Outcome("newer schema refused")
    with Lab(tmp) as lab:
        lab.site.set("/policy", GOOD)
        lab.write_config()
        lab.check()
        with contextlib.closing(sqlite3.connect(lab.db)) as c:
            c.execute("PRAGMA user_version = 99")
            c.commit()
        fp = lab.fingerprint()
        for args in (("list", "--json"), ("check", "--json"), ("history", WATCH)):
            r = lab.sub(*args)
            out.require(r.code == 1, f"{args[0]}: exit {r.code}")
            out.require(not r.crashed, f"{args[0]}: traceback: {r.stderr[-300:]}")
            out.require("newer" in r.stderr, f"{args[0]}: unclear error {r.stderr.strip()[:200]!r}")
        out.require(lab.fingerprint() == fp, "files changed")
        if out.problems:
            out.survived = False
    return out


# -- config -----------------------------------------------------------------------------------

CONFIG = "config"
PASSWORD_VAR = "CHAOS_SMTP_PASSWORD_NOT_SET"


def _bad_configs(lab: Lab) -> dict[str, tuple[str, str]]:
    """name -> (config text, what the error must name)."""
    good = lab.config_text()
    w = dict(lab.watch)
    email = (
        '[email]\nsmtp_host = "127.0.0.1"\nsmtp_port = 2525\nsecurity = "none"\n'
        f'username = "watcher"\npassword_env = "{PASSWORD_VAR}"\nto = ["a@example.org"]\n'
        "allow_plaintext_auth = true\n\n"
    )
    return {
        "unknown key": (good.replace("[fetch]\n", "[fetch]\ntimeuot = 5\n"), "fetch.timeuot"),
        "unknown table": (good + "\n[emial]\nsmtp_host = 'x'\n", "emial"),
        "wrong type (number)": (
            good.replace(f"timeout = {json.dumps(lab.timeout)}", 'timeout = "fast"'),
            "fetch.timeout",
        ),
        "wrong type (list)": (
            lab.config_text([{**w, "select": 5}]),
            "select",
        ),
        "duplicate watch names": (lab.config_text([w, {**w, "url": w["url"] + "?2"}]), "duplicate"),
        "bad duration": (lab.config_text([{**w, "every": "12 hours"}]), "every"),
        "negative jitter": (good.replace('jitter = "0s"', 'jitter = "-5m"'), "jitter"),
        "bad selector": (lab.config_text([{**w, "select": ["main >> p["]}]), "select"),
        "password in the file": (
            good.replace(
                "[[watch]]",
                email.replace("[email]\n", '[email]\npassword = "hunter2-chaos"\n') + "[[watch]]",
                1,
            ),
            "password",
        ),
        "invalid TOML": (good.replace("[fetch]", "[fetch"), "TOML"),
        "missing password variable": (
            good.replace("[[watch]]", email + "[[watch]]", 1),
            PASSWORD_VAR,
        ),
    }


def config_fault(case: str) -> Callable[[Path], Outcome]:
    def run(tmp: Path) -> Outcome:
        out = Outcome(f"config: {case}")
        with Lab(tmp) as lab:
            lab.site.set("/policy", GOOD)
            lab.write_config()
            lab.check()
            text, key = _bad_configs(lab)[case]
            lab.config.write_text(text, encoding="utf-8")
            fp = lab.fingerprint()
            env = {k: v for k, v in os.environ.items() if k != PASSWORD_VAR}
            commands: list[tuple[str, ...]] = [("daemon",)]
            if case != "missing password variable":
                commands = [("check", "--json"), ("list", "--json"), ("daemon",)]
            for args in commands:
                try:
                    p = subprocess.run(
                        watcher_cmd("--config", str(lab.config), *args),
                        capture_output=True,
                        text=True,
                        timeout=20,
                        env=env,
                        cwd=lab.root,
                    )
                except subprocess.TimeoutExpired:
                    out.problem(f"{args[0]}: still running after 20 s instead of refusing")
                    continue
                flat = " ".join(p.stderr.split())
                out.require(p.returncode == 2, f"{args[0]}: exit {p.returncode}, expected 2")
                out.require("Traceback" not in p.stderr, f"{args[0]}: traceback")
                out.require(flat.count("error:") == 1, f"{args[0]}: not one error: {flat[:300]!r}")
                out.require(
                    key.lower() in flat.lower(),
                    f"{args[0]}: error does not name {key}: {flat[:300]!r}",
                )
                out.require("hunter2-chaos" not in p.stderr + p.stdout, f"{args[0]}: secret echoed")
                if flat and flat not in out.notes:
                    out.notes.append(flat)
            out.require(lab.fingerprint() == fp, "files changed")
            if out.problems:
                out.survived = False
        return out

    return run


for _case in (
    "unknown key",
    "unknown table",
    "wrong type (number)",
    "wrong type (list)",
    "duplicate watch names",
    "bad duration",
    "negative jitter",
    "bad selector",
    "password in the file",
    "invalid TOML",
    "missing password variable",
):
    scenario(
        f"config: {_case}",
        CONFIG,
        f"{_case}: `check`, `list` and `daemon` each print one error naming it, exit 2, and "
        "leave every file as it was",
        chaos_runs=1,
    )(config_fault(_case))


# -- e-mail -----------------------------------------------------------------------------------

EMAIL = "email"


def email_fault(case: str) -> Callable[[Path], Outcome]:
    def run(tmp: Path) -> Outcome:
        out = Outcome(f"e-mail: {case}")
        auth = ("watcher", "right-pw-chaos") if case == "auth failure" else None
        if str(ROOT) not in sys.path:
            sys.path.insert(0, str(ROOT))
        from tests.smtpserver import SMTPTestServer, free_port

        srv = SMTPTestServer(auth=auth).start()
        try:
            extra: dict[str, Any] = {}
            if auth:
                extra = {
                    "username": auth[0],
                    "password_env": "CHAOS_SMTP_PW",
                    "allow_plaintext_auth": True,
                }
            if case == "timeout mid-DATA":
                extra["timeout"] = 1
            with Lab(tmp, email=_email_table(srv, **extra)) as lab:
                good_port = srv.port
                if case == "SMTP refused":
                    lab.email = _email_table(srv, smtp_port=free_port())
                lab.site.set("/policy", GOOD)
                lab.write_config()
                lab.check()
                lab.site.set("/policy", revised(1))
                ran = lab.check()
                if ran.status != "changed":
                    out.problem(f"setup: {ran.status}")
                    return out
                env = {"CHAOS_SMTP_PW": "wrong-pw-chaos"} if auth else None
                if case == "timeout mid-DATA":
                    srv.stall_next(1, 4.0)
                if case == "4xx then success":
                    srv.refuse_next(1, 451, "4.3.0 try again later")
                first = lab.cli("outbox", "retry", "--json", env=env)
                out.require(not first.crashed, f"first delivery crashed: {first.crashed}")
                out.require(first.code == 1, f"first delivery: exit {first.code}, expected 1")
                rows = lab.state().outbox
                out.require(len(rows) == 1, f"{len(rows)} outbox rows, expected 1")
                row = rows[0] if rows else {}
                out.require(row.get("status") == "failed", f"row status {row.get('status')}")
                bad = readable(row.get("last_error"))
                out.require(bad is None, f"last_error: {bad}")
                want = {
                    "SMTP refused": "refused",
                    "auth failure": "authentication",
                    "timeout mid-DATA": "timed out",
                    "4xx then success": "451",
                }[case]
                out.require(
                    want in (row.get("last_error") or "").lower(),
                    f"last_error {row.get('last_error')!r} does not say {want}",
                )
                out.notes.append(f"failed: {row.get('last_error')}")
                if case == "SMTP refused":
                    lab.email = _email_table(srv, smtp_port=good_port)
                    lab.write_config()
                if case == "timeout mid-DATA":
                    time.sleep(4.2)  # let the stalled session end
                env = {"CHAOS_SMTP_PW": auth[1]} if auth else None
                second = lab.cli("outbox", "retry", "--json", env=env)
                out.require(second.code == 0, f"retry: exit {second.code} {second.stderr[:200]}")
                srv.wait_for(1, 5)
                time.sleep(0.3)
                rows = lab.state().outbox
                mid = rows[0]["message_id"] if rows else None
                got = [m for m in srv.messages if str(m["Message-ID"]) == mid]
                if not got:
                    out.reports_lost += 1
                    out.problem("the report was never delivered")
                elif len(got) > 1:
                    out.problem(f"delivered {len(got)} times")
                out.require(len(srv.messages) == len(got), "other messages were delivered")
                out.require(rows and rows[0]["status"] == "sent", "row not marked sent")
                for secret in ("wrong-pw-chaos", "right-pw-chaos"):
                    blob = lab.db.read_bytes() + b"".join(
                        p.read_bytes() for p in lab.root.glob("watcher.db-*")
                    )
                    out.require(secret.encode() not in blob, f"{secret} stored in the database")
                    for r in (first, second):
                        out.require(secret not in r.stdout + r.stderr, f"{secret} printed")
                out.problems.extend(lab.integrity())
                if out.problems:
                    out.survived = False
        finally:
            srv.stop()
        return out

    return run


for _case, _what in (
    ("SMTP refused", "nothing listens on smtp_port; then the server is there"),
    ("auth failure", "the password variable holds a wrong password; then the right one"),
    ("timeout mid-DATA", "the server takes the message and does not answer (timeout 1 s)"),
    ("4xx then success", "451 to the first DATA, 250 to the next"),
):
    scenario(
        f"e-mail: {_case}",
        EMAIL,
        f"{_what}: the failure is kept on the outbox row with a readable cause, the report is "
        "delivered exactly once by the retry, no secret stored or printed",
        chaos_runs=3,
    )(email_fault(_case))


# -- security ---------------------------------------------------------------------------------

SECURITY = "security"


def prelude_cmd(prelude: str, *args: str) -> list[str]:
    """argv running the CLI after `prelude` (Python statements) in the child itself."""
    code = (
        f"{prelude}\n"
        "import contextlib, sys\n"
        "with contextlib.suppress(ImportError):\n"
        "    import watcher.cli.mail\n"
        "from watcher.cli import main\n"
        "sys.argv[0] = 'watcher'\n"
        "main()\n"
    )
    return [sys.executable, "-c", code, *args]


HOSTILE = "<script>alert('pw')</script> and <img src=x onerror=alert(1)>"


@scenario(
    "HTML e-mail escapes page text",
    SECURITY,
    "a policy whose text and title contain <script> and <img onerror>: the change e-mail's "
    "HTML part has no script/img element and no on* attribute, the text is shown escaped",
    chaos_runs=2,
)
def html_escaping(tmp: Path) -> Outcome:
    import email
    import email.policy
    from html import escape
    from html.parser import HTMLParser

    out = Outcome("HTML e-mail escapes page text")
    smtp = _smtp_server()
    try:
        with Lab(tmp, email=_email_table(smtp)) as lab:
            lab.site.set("/policy", GOOD)
            lab.write_config()
            lab.check()
            paras = [*POLICY_PARAGRAPHS, f"New clause: {escape(HOSTILE)}."]
            lab.site.set("/policy", policy_html(paras, title=escape(HOSTILE)))
            ran = lab.check()
            out.require(ran.status == "changed", f"check: {ran.status}")
            r = lab.cli("outbox", "retry", "--json")
            out.require(r.code == 0, f"outbox retry: exit {r.code}")
            msgs = smtp.wait_for(1, 5)
            out.require(len(msgs) == 1, f"{len(msgs)} messages")
            tags: list[tuple[str, list[tuple[str, str | None]]]] = []

            class Tags(HTMLParser):
                def handle_starttag(self, tag, attrs):  # noqa: ANN001, ANN202
                    tags.append((tag, attrs))

            for m in msgs:
                m = email.message_from_bytes(m.as_bytes(), policy=email.policy.default)
                html_part = m.get_body(preferencelist=("html",))
                if html_part is None:
                    out.problem("no HTML part")
                    continue
                html = html_part.get_content()
                Tags().feed(html)
                out.require("&lt;script&gt;" in html, "the hostile text is not shown (escaped)")
                bad = [t for t, _ in tags if t in ("script", "img", "iframe", "object", "embed")]
                out.require(not bad, f"active elements in the HTML part: {bad}")
                on = [a for _, attrs in tags for a, _v in attrs if a.lower().startswith("on")]
                out.require(not on, f"event-handler attributes in the HTML part: {on}")
                out.require("<script" not in html.lower(), "raw <script in the HTML part")
                out.require("\n" not in str(m["Subject"]), "multi-line subject")
            if out.problems:
                out.survived = False
    finally:
        smtp.stop()
    return out


@scenario(
    "no shell with page or config text",
    SECURITY,
    "no os.system / os.popen / shell=True / subprocess anywhere in watcher/ (AST scan), and a "
    "page, URL, user agent and selectors full of $(touch ...) and `touch ...` run through "
    "check, show, diff and outbox without creating the marker file",
    chaos_runs=1,
)
def no_shell(tmp: Path) -> Outcome:
    import ast

    out = Outcome("no shell with page or config text")
    for path in sorted((ROOT / "watcher").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            where = f"{path.relative_to(ROOT)}:{getattr(node, 'lineno', '?')}"
            if isinstance(node, ast.Import | ast.ImportFrom):
                names = [a.name for a in node.names] + [getattr(node, "module", "") or ""]
                if any(n.split(".")[0] in ("subprocess", "pty", "commands") for n in names):
                    out.problem(f"{where}: imports {names}")
            if isinstance(node, ast.Call):
                fn = ast.unparse(node.func)
                if fn in ("os.system", "os.popen", "os.execv", "os.execvp", "os.spawnl"):
                    out.problem(f"{where}: calls {fn}")
                for kw in node.keywords:
                    if kw.arg == "shell":
                        out.problem(f"{where}: shell= keyword")
    marker = tmp / "PWNED"
    payloads = [
        f"$(touch {marker})",
        f"`touch {marker}`",
        f"; touch {marker} #",
        f"| touch {marker}",
    ]
    smtp = _smtp_server()
    try:
        with Lab(tmp / "lab", email=_email_table(smtp)) as lab:
            lab.fetch_extra["user_agent"] = "chaos " + payloads[0]
            lab.site.set("/policy", GOOD)
            url = lab.site.url("/policy") + "?q=$(id)&r=`id`;id|id"
            lab.site.set("/policy", GOOD)
            lab.write_config(url=url, select=["main"], remove=[f"[data-x='{payloads[1]}']"])
            lab.check()
            from html import escape

            paras = [*POLICY_PARAGRAPHS, *(escape(p) for p in payloads)]
            lab.site.set("/policy", policy_html(paras, title=escape(payloads[0])))
            for args in (
                ("check", "--json"),
                ("show", WATCH),
                ("diff", WATCH),
                ("history", WATCH),
                ("search", payloads[0]),
                ("outbox", "retry"),
            ):
                r = lab.cli(*args)
                out.require(not r.crashed, f"{args[0]} crashed: {r.crashed}")
            out.require(not marker.exists(), "the marker file was created: a shell ran page text")
    finally:
        smtp.stop()
    if out.problems:
        out.survived = False
    return out


_CERT: tuple[Path, Path] | None = None


def self_signed(tmp: Path) -> Any:
    import ssl

    if shutil.which("openssl") is None:
        raise Unavailable("openssl is needed to make a test certificate")
    cert, key = tmp / "cert.pem", tmp / "key.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
            "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "2",
            "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    return ctx


@scenario(
    "TLS verified by default",
    SECURITY,
    "a self-signed HTTPS site: the check fails with a certificate error; with verify_tls = "
    "false it succeeds and the opt-out is logged",
    chaos_runs=2,
)
def tls_default(tmp: Path) -> Outcome:
    out = Outcome("TLS verified by default")
    with Lab(tmp, tls=self_signed(tmp)) as lab:
        lab.site.set("/policy", GOOD)
        lab.write_config()
        r = lab.sub("check", "--json")
        judge_check(out, lab, r, ("error",), ("certificate",), 20, "verified check")
        lab.write_config(verify_tls=False)
        r = lab.sub("check", "--json")
        judge_check(out, lab, r, ("new",), (), 20, "opt-out check")
        out.require(
            "verification is off" in r.stderr.lower(),
            f"the opt-out is not logged: {r.stderr.strip()[:200]!r}",
        )
        if out.problems:
            out.survived = False
    return out


@scenario(
    "secrets stay secret",
    SECURITY,
    "an SMTP password (in its variable) refused by the server: it is not in the database, the "
    "WAL, any file, the outbox error, the daemon log or any command output",
    chaos_runs=2,
)
def secrets(tmp: Path) -> Outcome:
    _need_daemon()
    out = Outcome("secrets stay secret")
    secret = "s3cr3t-" + hashlib.sha256(os.urandom(8)).hexdigest()[:12]
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from tests.smtpserver import SMTPTestServer

    srv = SMTPTestServer(auth=("watcher", "the-real-one")).start()
    try:
        table = _email_table(
            srv, username="watcher", password_env="CHAOS_SECRET_PW", allow_plaintext_auth=True
        )
        with Lab(tmp, email=table) as lab:
            env = {"CHAOS_SECRET_PW": secret}
            lab.site.set("/policy", GOOD)
            lab.write_config()
            outputs = [lab.sub("check", "--json", env=env)]
            lab.site.set("/policy", revised(1))
            outputs.append(lab.sub("check", "--json", env=env))
            outputs.append(lab.sub("outbox", "retry", env=env))
            outputs.append(lab.sub("outbox", "--json", env=env))
            outputs.append(lab.sub("test-email", env=env))
            outputs.append(lab.sub("daemon", "--once", "--log-level", "DEBUG", env=env))
            out.require(
                any(a[1] == secret for a in srv.auth_attempts), "the password was never tried"
            )
            for r in outputs:
                out.require(secret not in r.stdout + r.stderr, "the password was printed")
            for p in lab.root.rglob("*"):
                if p.is_file() and secret.encode() in p.read_bytes():
                    out.problem(f"the password is in {p.relative_to(lab.root)}")
            rows = lab.state().outbox
            out.require(rows and rows[0]["last_error"], "no delivery error recorded")
            out.notes.append(f"recorded: {rows[0]['last_error'] if rows else None}")
            if out.problems:
                out.survived = False
    finally:
        srv.stop()
    return out


@scenario(
    "private files (0600/0700)",
    SECURITY,
    "under umask 022, `watcher check` creates watcher.db (and its -wal/-shm) 0600, snapshots/ "
    "and its subfolders 0700, snapshot files 0600",
    chaos_runs=1,
)
def permissions(tmp: Path) -> Outcome:
    import stat

    out = Outcome("private files (0600/0700)")
    with Lab(tmp) as lab:
        lab.site.set("/policy", GOOD)
        lab.write_config()
        p = subprocess.run(
            prelude_cmd("import os; os.umask(0o022)", "--config", str(lab.config), "check"),
            capture_output=True,
            text=True,
            timeout=60,
        )
        out.require(p.returncode == 0, f"check: exit {p.returncode} {p.stderr[-200:]}")
        files = [lab.db, *lab.root.glob("watcher.db-*")]
        for f in files:
            mode = stat.S_IMODE(f.stat().st_mode)
            out.require(mode == 0o600, f"{f.name} is {mode:o}")
        for d in [lab.snapshots, *(x for x in lab.snapshots.rglob("*") if x.is_dir())]:
            mode = stat.S_IMODE(d.stat().st_mode)
            out.require(mode == 0o700, f"{d.relative_to(lab.root)}/ is {mode:o}")
        snaps = [x for x in lab.snapshots.rglob("*") if x.is_file()]
        out.require(snaps, "no snapshot written")
        for f in snaps:
            mode = stat.S_IMODE(f.stat().st_mode)
            out.require(mode == 0o600, f"{f.relative_to(lab.root)} is {mode:o}")
        out.notes.append(f"checked {len(files)} database files, {len(snaps)} snapshots")
        if out.problems:
            out.survived = False
    return out


@scenario(
    "redirects stay on http(s)",
    SECURITY,
    "302 to file://, ftp://, gopher://, data:, javascript: and a scheme-less //host path: "
    "each check errors with a readable cause, nothing from /etc/passwd is stored",
    chaos_runs=2,
)
def redirect_schemes(tmp: Path) -> Outcome:
    out = Outcome("redirects stay on http(s)")
    targets = [
        "file:///etc/passwd",
        "FILE:///etc/passwd",
        "ftp://127.0.0.1/etc/passwd",
        "gopher://127.0.0.1:70/_x",
        "data:text/html,<p>owned</p>",
        "javascript:alert(1)",
    ]
    with Lab(tmp) as lab:
        lab.site.set("/policy", GOOD)
        lab.write_config()
        lab.check()
        before = lab.state()
        for t in targets:
            lab.site.set("/go", status=302, headers={"Location": t}, etag=False)
            lab.write_config(url=lab.site.url("/go"))
            judge_check(out, lab, lab.check(), ("error",), ("scheme", "redirect"), 20, t)
        compare_states(out, before, lab.state())
        blob = lab.db.read_bytes() + b"".join(p.read_bytes() for p in lab.root.glob("watcher.db-*"))
        out.require(b"root:x:0:0" not in blob, "/etc/passwd content stored")
        if out.problems:
            out.survived = False
    return out


# The Wayback and demo scenarios live in their own module; importing it registers them.
# So do the attack, concurrency, fetch and notify scenarios.
from tests.faults import attack_scenarios as _attack_scenarios  # noqa: E402,F401
from tests.faults import concurrency_scenarios as _concurrency_scenarios  # noqa: E402,F401
from tests.faults import fetch_scenarios as _fetch_scenarios  # noqa: E402,F401
from tests.faults import notify_scenarios as _notify_scenarios  # noqa: E402,F401
from tests.faults import wayback_scenarios as _wayback_scenarios  # noqa: E402,F401
