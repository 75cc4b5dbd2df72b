"""Fault scenarios: issue 13's attacks played end to end against the real program.

Registered in `scenarios.SCENARIOS` (group "attack") when `scenarios.py` imports this module,
so `scripts/chaos.py -k attack` and `test_attack_faults.py` run them like the others. Each one
starts the hostile party on 127.0.0.1 (a web page, an HTTP server's status line, an SMTP
server) or writes the hostile config, drives `python -m watcher` as a subprocess (its peak
memory measured where a payload is large), and checks the outcome: a clean exit with one
readable line naming the cause, nothing raw on the terminal, nothing lost, no false alert.
The delivery attacks (20,000 headings, a dripping SMTP server, 552, 535, a password in clear,
credentials in a watch URL) are the "notify" group, tests/faults/notify_scenarios.py.
"""

from __future__ import annotations

import contextlib
import socket
import time
from pathlib import Path
from typing import Any

from tests.faults.scenarios import (
    GOOD,
    POLICY_PARAGRAPHS,
    Lab,
    Outcome,
    _email_table,
    _smtp_server,
    compare_states,
    judge_check,
    policy_html,
    readable,
    scenario,
    watcher_cmd,
)
from tests.smtpserver import ScriptedSMTP

ATTACK = "attack"
WATCH_ = "policy"
MB = 1_000_000
WIDE = {"COLUMNS": "1000"}  # rich wraps at 80 columns off a terminal: judge lines unwrapped

# What must never reach a terminal raw: ESC (CSI, OSC-8 links, concealed text), BEL, C1
# controls and the bidi overrides/isolates (U+202A-U+202E, U+2066-U+2069).
RAW = {
    "\x1b",
    "\x07",
    "\x9b",
    "\x9d",
    *map(chr, range(0x202A, 0x202F)),
    *map(chr, range(0x2066, 0x206A)),
}
HOSTILE = (
    "Contact \x1b[2J\x1b[Hus at \x1b]8;;http://evil.example/\x1b\\privacy@example.org"
    "\x1b]8;;\x1b\\ \x1b[8mconcealed\x1b[0m \u202emoc.live\u202c today."
)


def raw_in(text: str) -> list[str]:
    return sorted({f"U+{ord(c):04X}" for c in text if c in RAW})


def measured(lab: Lab, *args: str, timeout: float = 300) -> tuple[int, str, str, int, float]:
    """`watcher --config X ARGS` in a subprocess: (exit code, stdout, stderr, peak RSS MB, s)."""
    import subprocess
    import sys

    probe = (
        "import resource, subprocess, sys\n"
        "r = subprocess.run(sys.argv[1:], capture_output=True)\n"
        "sys.stderr.buffer.write(r.stderr)\n"
        "sys.stdout.write(f'{r.returncode} "
        "{resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024}\\n')\n"
        "sys.stdout.flush()\n"
        "sys.stdout.buffer.write(r.stdout)\n"
    )
    t0 = time.monotonic()
    p = subprocess.run(
        [sys.executable, "-c", probe, *watcher_cmd("--config", str(lab.config), *args)],
        capture_output=True, timeout=timeout, cwd=lab.root,
    )  # fmt: skip
    seconds = time.monotonic() - t0
    head, _, rest = p.stdout.partition(b"\n")
    code, rss = (int(x) for x in head.split())
    return code, rest.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace"), rss, seconds


def _no_traceback(out: Outcome, label: str, stderr: str) -> None:
    out.require("Traceback" not in stderr, f"{label}: a traceback escaped: {stderr[-300:]!r}")


def _last_line(text: str) -> str:
    lines = [x for x in text.strip().splitlines() if x.strip()]
    return lines[-1].strip() if lines else ""


# -- point 2: a PDF bomb ----------------------------------------------------------------------


@scenario(
    "PDF bomb (300 pages, one stream)",
    ATTACK,
    "a 47 KB PDF whose 300 pages share one content stream (~8.6 million words): `watcher "
    "check` (a subprocess) records one 'PDF text too large' line for that watch, stores "
    "nothing, checks the other watch normally; peak memory under 400 MB",
    chaos_runs=1,
)
def pdf_bomb(tmp: Path) -> Outcome:
    out = Outcome("PDF bomb (300 pages, one stream)")
    try:
        from tests.test_extract_limits import pdf_bomb as build
    except ImportError as e:  # pypdf (the [test] extra) is missing
        from tests.faults.scenarios import Unavailable

        raise Unavailable(f"cannot build the PDF: {e}") from None
    bomb = build()
    with Lab(tmp, timeout=60) as lab:
        lab.site.set("/policy.pdf", bomb, content_type="application/pdf")
        lab.site.set("/policy", GOOD)
        lab.config.write_text(
            lab.config_text(
                [
                    {"name": "bomb", "url": lab.site.url("/policy.pdf")},
                    {"name": "policy", "url": lab.url},
                ]
            ),
            encoding="utf-8",
        )
        code, stdout, stderr, rss, seconds = measured(lab, "check", "--json")
        _no_traceback(out, "check", stderr)
        out.require(code == 1, f"exit {code}, expected 1 (one watch failed)")
        with contextlib.closing(lab.connect()) as c:
            rows = {r["watch"]: dict(r) for r in c.execute("SELECT * FROM checks")}
            stored = c.execute("SELECT count(*) FROM versions WHERE watch = 'bomb'").fetchone()[0]
        err = (rows.get("bomb") or {}).get("error")
        out.require(readable(err) is None, f"bomb: {readable(err)}")
        out.require("PDF text too large" in (err or ""), f"bomb error: {err!r}")
        out.require(stored == 0, f"{stored} version(s) stored from the bomb")
        out.require((rows.get("policy") or {}).get("outcome") == "new", "the other watch failed")
        out.require(rss < 400, f"peak memory {rss} MB (cap 400)")
        size = sum(p.stat().st_size for p in lab.root.glob("watcher.db*"))
        out.notes.append(
            f"{len(bomb) / 1000:.0f} KB PDF: {seconds:.1f}s, peak {rss} MB, db {size / MB:.1f} MB; {err}"
        )
    return out


# -- points 4 and 5: terminal escapes and rich markup in page text ---------------------------


def rude(conn: socket.socket, srv: ScriptedSMTP) -> None:
    """Refuses the sender with a reply carrying an OSC-8 link, clear-screen and U+202E."""
    conn.sendall(b"220 rude.example ESMTP\r\n")
    srv.readline(conn)
    conn.sendall(b"250 rude.example\r\n")
    srv.readline(conn)
    reply = "550 5.7.1 \x1b]8;;http://evil.example/\x1b\\see\x1b]8;;\x1b\\ \x1b[2J\u202eyrt\r\n"
    conn.sendall(reply.encode())
    srv.readline(conn)


def _judge_terminal(out: Outcome, lab: Lab, commands: list[tuple[str, ...]]) -> None:
    for args in commands:
        ran = lab.sub(*args)
        label = "watcher " + " ".join(args)
        out.require(not ran.crashed, f"{label}: traceback: {_last_line(ran.stderr)!r}")
        out.require(ran.code in (0, 1), f"{label}: exit {ran.code}: {_last_line(ran.stderr)!r}")
        bad = raw_in(ran.stdout + ran.stderr)
        out.require(not bad, f"{label}: {', '.join(bad)} reached the terminal raw")


@scenario(
    "terminal escapes in page text",
    ATTACK,
    "page text with clear-screen, an OSC-8 link to another site, concealed text and U+202E, "
    "then a 503 whose reason phrase and an SMTP 550 whose reply carry the same: `check`, "
    "`diff`, `show`, `history`, `list`, `outbox`, `report`, `test-email` print no "
    "ESC/BEL/bidi-override character, nor does the e-mail; the text is kept as data",
    chaos_runs=1,
)
def terminal_escapes(tmp: Path) -> Outcome:
    out = Outcome("terminal escapes in page text")
    smtp = _smtp_server()
    try:
        with Lab(tmp, email=_email_table(smtp)) as lab:
            lab.site.set("/policy", GOOD)
            lab.write_config()
            lab.check()
            paras = list(POLICY_PARAGRAPHS)
            paras[5] = HOSTILE
            lab.site.set("/policy", policy_html(paras, title="Privacy \x1b[31mPolicy\u202e"))
            _judge_terminal(
                out,
                lab,
                [
                    ("check",),
                    ("diff", WATCH_),
                    ("show", WATCH_),
                    ("history", WATCH_),
                    ("outbox",),
                    ("report",),
                ],
            )
            lab.sub("outbox", "retry")
            for m in smtp.messages:
                bad = raw_in(m.as_string())
                out.require(not bad, f"e-mail: {', '.join(bad)} raw")

            def reason(req: Any) -> None:
                req.wfile.write(
                    "HTTP/1.1 503 Busy \x1b]8;;http://evil.example/\x1b\\retry\x1b]8;;\x1b\\ "
                    "\x1b[2J\u202eyrt\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".encode()
                )

            lab.site.set("/policy", handler=reason)
            _judge_terminal(out, lab, [("check",), ("history", WATCH_), ("list",)])
            with ScriptedSMTP(rude) as rudesrv:
                lab.email = _email_table(rudesrv)
                lab.write_config()
                _judge_terminal(out, lab, [("test-email",), ("outbox", "retry"), ("outbox",)])
            with contextlib.closing(lab.connect()) as c:
                kept = any("\u202e" in (r[0] or "") for r in c.execute("SELECT text FROM versions"))
            out.require(kept, "the page text was not kept as data in the database")
    finally:
        smtp.stop()
    return out


# What each command must print literally (`diff` marks words: [-old-]{+new+}; `search`
# marks the hit as [word]).
WRITTEN = {
    "show": ("Acme [/x] Ltd", "privacy[at]example[dot]org [bold]"),
    "diff": ("{+[/x]+}", "{+[at]+}", "{+ [bold]+}"),
    "search": ("[Acme] [/x]",),
}


@scenario(
    "rich markup in page text",
    ATTACK,
    "page text 'Acme [/x] Ltd', 'privacy[at]example[dot]org' and '[bold]': `history`, "
    "`search`, `show --facts`, `show`, `outbox`, `report` exit cleanly and print the "
    "brackets as written",
    chaos_runs=1,
)
def rich_markup(tmp: Path) -> Outcome:
    out = Outcome("rich markup in page text")
    smtp = _smtp_server()
    try:
        with Lab(tmp, email=_email_table(smtp, to=["reader@example.org"])) as lab:
            lab.site.set("/policy", GOOD)
            lab.write_config()
            lab.check()
            paras = list(POLICY_PARAGRAPHS)
            paras[0] = paras[0].replace("Example Société Générale Ltd", "Acme [/x] Ltd")
            paras[5] = paras[5].replace("privacy@example.org", "privacy[at]example[dot]org [bold]")
            lab.site.set("/policy", policy_html(paras))
            lab.check()
            for args in (
                ("history", WATCH_),
                ("search", "Acme"),
                ("show", WATCH_, "--facts"),
                ("show", WATCH_),
                ("diff", WATCH_),
                ("outbox",),
                ("report",),
            ):
                ran = lab.sub(*args)
                label = "watcher " + " ".join(args)
                out.require(not ran.crashed, f"{label}: traceback: {_last_line(ran.stderr)!r}")
                out.require(ran.code == 0, f"{label}: exit {ran.code}: {_last_line(ran.stderr)!r}")
                flat = " ".join(ran.stdout.split())
                for needle in WRITTEN.get(args[0] + ("+" if "--facts" in args else ""), ()):
                    out.require(needle in flat, f"{label}: {needle!r} not printed as written")
    finally:
        smtp.stop()
    return out


# -- Low: absurd config values, a TOML nested 5,000 deep ------------------------------------


def _judge_config_error(out: Outcome, lab: Lab, label: str, text: str, needle: str) -> None:
    lab.config.write_text(text, encoding="utf-8")
    before = lab.fingerprint()
    ran = lab.sub("check", "--json", env=WIDE)
    said = (ran.stdout + ran.stderr).strip()
    out.require(not ran.crashed, f"{label}: traceback: {_last_line(ran.stderr)!r}")
    out.require(ran.code == 2, f"{label}: exit {ran.code}, expected 2 (config error)")
    out.require(len(said.splitlines()) == 1, f"{label}: not one line: {said[-300:]!r}")
    out.require(str(lab.config) in said, f"{label}: the file is not named: {said[-200:]!r}")
    out.require(needle in said, f"{label}: {needle!r} not named: {said[-200:]!r}")
    out.require(lab.fingerprint() == before, f"{label}: files changed")
    if ran.code == 2:
        out.notes.append(said)


@scenario(
    "absurd config values",
    ATTACK,
    'timeout = nan / inf / 1e300, every = "9000000d", jitter = "99999999999d", '
    "per_host_delay = -inf, a watch name ending in a newline: `watcher check` exits 2 with "
    "one line naming the file and the key; nothing is fetched or stored",
    chaos_runs=1,
)
def absurd_config(tmp: Path) -> Outcome:
    out = Outcome("absurd config values")
    with Lab(tmp) as lab:
        lab.site.set("/policy", GOOD)
        lab.write_config()
        lab.check()
        base = lab.config_text()
        hits = lab.site.hits("/policy")
        cases = [
            ("timeout = nan", ("timeout = 2.0", "timeout = nan"), "fetch.timeout"),
            ("timeout = inf", ("timeout = 2.0", "timeout = inf"), "fetch.timeout"),
            ("timeout = 1e300", ("timeout = 2.0", "timeout = 1e300"), "fetch.timeout"),
            ("every = 9000000d", ('every = "1h"', 'every = "9000000d"'), "every"),
            ("jitter = 99999999999d", ('jitter = "0s"', 'jitter = "99999999999d"'), "jitter"),
            ("per_host_delay = -inf", ("per_host_delay = 0.0", "per_host_delay = -inf"), "delay"),
            ("name ending in newline", ('name = "policy"', 'name = "policy\\n"'), "name"),
        ]
        for label, (old, new), needle in cases:
            assert old in base, old
            _judge_config_error(out, lab, label, base.replace(old, new), needle)
        out.require(lab.site.hits("/policy") == hits, "a bad config still fetched the page")
    return out


@scenario(
    "TOML nested 5,000 deep",
    ATTACK,
    "a config holding an array and an inline table nested 5,000 deep: `watcher check` exits "
    "2 with one 'invalid TOML' line naming the file, no traceback",
    chaos_runs=1,
)
def nested_toml(tmp: Path) -> Outcome:
    out = Outcome("TOML nested 5,000 deep")
    with Lab(tmp) as lab:
        lab.site.set("/policy", GOOD)
        lab.write_config()
        base = lab.config_text()
        for label, extra in (
            ("array", "\nx = " + "[" * 5000 + "]" * 5000 + "\n"),
            ("inline table", "\ny = " + "{a=" * 5000 + "1" + "}" * 5000 + "\n"),
        ):
            _judge_config_error(out, lab, f"{label} nested 5,000 deep", base + extra, "TOML")
    return out


# -- Low: hostile numbers and charsets --------------------------------------------------------


@scenario(
    "out-of-range numbers and odd charsets",
    ATTACK,
    "`report --since 99999999d`, `show policy 99999999999999999999`, `feed --limit "
    "99999999999999999999` answer one line (exit 1 or 2), no traceback; a page served as "
    "charset rot13 / hex / idna / base64 is read or refused with one line, never a crash",
    chaos_runs=1,
)
def odd_numbers(tmp: Path) -> Outcome:
    out = Outcome("out-of-range numbers and odd charsets")
    with Lab(tmp) as lab:
        lab.site.set("/policy", GOOD)
        lab.write_config()
        lab.check()
        before = lab.state()
        for args in (
            ("report", "--since", "99999999d"),
            ("show", WATCH_, "99999999999999999999"),
            ("feed", "--limit", "99999999999999999999"),
        ):
            ran = lab.sub(*args)
            label = "watcher " + " ".join(args)
            out.require(not ran.crashed, f"{label}: traceback: {_last_line(ran.stderr)!r}")
            out.require(ran.code in (1, 2), f"{label}: exit {ran.code}")
        for cs in ("rot13", "hex", "idna", "base64"):
            lab.site.set("/policy", GOOD, content_type=f"text/html; charset={cs}")
            judge_check(out, lab, lab.check(), ("unchanged", "error"), label=f"charset {cs}")
        compare_states(out, before, lab.state())
    return out


# -- Low: a symlink planted in snapshots/, a corrupt database ---------------------------------


@scenario(
    "planted symlink, corrupt database",
    ATTACK,
    "snapshots/<xx> replaced by a symlink to a folder elsewhere: the check errors with one "
    "line, the folder's mode and content are untouched, the next check after removing it "
    "works; a database with garbage over its pages: `list`, `history`, `check` answer one "
    "line (exit 1 or 2), no traceback",
    chaos_runs=1,
)
def planted_files(tmp: Path) -> Outcome:
    import hashlib
    import os
    import stat

    out = Outcome("planted symlink, corrupt database")
    elsewhere = tmp / "elsewhere"
    elsewhere.mkdir(parents=True, mode=0o755)
    os.chmod(elsewhere, 0o755)
    with Lab(tmp / "lab") as lab:
        lab.site.set("/policy", GOOD)
        lab.write_config()
        lab.snapshots.mkdir(mode=0o700)
        (lab.snapshots / hashlib.sha256(GOOD.encode()).hexdigest()[:2]).symlink_to(elsewhere)
        judge_check(out, lab, lab.check(), ("error",), ("symbolic link",), label="symlink")
        mode = stat.S_IMODE(os.stat(elsewhere).st_mode)
        out.require(mode == 0o755, f"the folder behind the symlink was chmodded to {mode:o}")
        out.require(not any(elsewhere.iterdir()), "a snapshot was written through the symlink")
        for p in lab.snapshots.iterdir():
            if p.is_symlink():
                p.unlink()
        judge_check(out, lab, lab.check(), ("new",), label="after removing the symlink")
        data = bytearray(lab.db.read_bytes())
        data[100:8192] = b"\xff" * (8192 - 100)
        lab.db.write_bytes(bytes(data))
        for args in (("list",), ("history", WATCH_), ("check",)):
            ran = lab.sub(*args, env=WIDE)
            label = "corrupt database: watcher " + " ".join(args)
            said = (ran.stdout + ran.stderr).strip()
            out.require(not ran.crashed, f"{label}: traceback: {_last_line(ran.stderr)!r}")
            out.require(ran.code in (1, 2), f"{label}: exit {ran.code}")
            out.require(len(said.splitlines()) == 1, f"{label}: not one line: {said[-300:]!r}")
            if said and said not in out.notes:
                out.notes.append(said)
    return out
