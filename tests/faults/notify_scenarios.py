"""Fault scenarios for delivery: hostile SMTP servers, oversized reports, credentials in a watch
URL, a webhook channel that is down (issue 13 points 3, 10, 12 and the 535 echo; issue 16).

Registered in `scenarios.SCENARIOS` (group "notify") when `scenarios.py` imports this module,
so `scripts/chaos.py` and `test_notify_faults.py` run them like the others. Each one stores a
real change of a loopback page with `watcher check`, delivers it with `watcher outbox retry` (or
`watcher daemon --once`) to a server on 127.0.0.1 that plays the attack, then checks: a clean
exit, one readable cause kept on the outbox row, bounded time, nothing lost, nothing sent twice,
no secret stored or printed.
"""

from __future__ import annotations

import base64
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from tests.faults.scenarios import (
    GOOD,
    ROOT,
    Lab,
    Outcome,
    _email_table,
    readable,
    revised,
    scenario,
)

NOTIFY = "notify"


def _smtp() -> Any:
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    import tests.smtpserver as smtp

    return smtp


def _change(lab: Lab, out: Outcome, second: str | None = None) -> bool:
    """A first version, then a changed one: True when the change was stored."""
    lab.site.set("/policy", GOOD)
    lab.write_config()
    lab.check()
    lab.site.set("/policy", second or revised(1))
    ran = lab.check()
    if ran.status != "changed":
        out.problem(f"setup: check said {ran.status} ({ran.stderr[:200]})")
        return False
    return True


def _one_row(out: Outcome, lab: Lab, status: str) -> dict[str, Any]:
    rows = lab.state().outbox
    out.require(len(rows) == 1, f"{len(rows)} outbox rows, expected 1")
    row = rows[0] if rows else {}
    out.require(row.get("status") == status, f"row status {row.get('status')}, expected {status}")
    return row


# -- a report of 20,000 findings ----------------------------------------------------------------


def _headings_page(n: int) -> str:
    body = "".join(f"<h2>Section {i}</h2><p>Item {i} of the notice.</p>" for i in range(n))
    return GOOD.replace("</main>", body + "</main>") if "</main>" in GOOD else GOOD + body


@scenario(
    "report of 20,000 new headings",
    NOTIFY,
    "a page adds 20,000 headings (one change of thousands of findings): the report is one "
    "message under 1 MB, most severe first, the rest counted and pointed to `watcher diff`, "
    "delivered once",
    chaos_runs=1,
)
def headings_flood(tmp: Path) -> Outcome:
    out = Outcome("report of 20,000 new headings")
    smtp = _smtp()
    srv = smtp.SMTPTestServer().start()
    try:
        with Lab(tmp, timeout=30, email=_email_table(srv)) as lab:
            t0 = time.monotonic()
            if not _change(lab, out, _headings_page(20_000)):
                return out
            out.notes.append(f"check of the 20,000-heading page: {time.monotonic() - t0:.1f}s")
            ran = lab.cli("outbox", "retry", "--json")
            out.require(ran.code == 0, f"delivery: exit {ran.code} {ran.stderr[:200]}")
            msgs = srv.wait_for(1, timeout=30)
            out.require(len(msgs) == 1, f"{len(msgs)} messages received, expected 1")
            if msgs:
                raw = msgs[0].as_bytes()
                out.require(len(raw) <= 1_000_000, f"the report is {len(raw):,} bytes")
                text = msgs[0].get_body(("plain",)).get_content()
                out.require("Full diff: watcher diff" in text, "no pointer to watcher diff")
                out.notes.append(f"report: {len(raw):,} bytes")
            out.require(_one_row(out, lab, "sent") is not None, "")
            time.sleep(0.2)
            out.require(len(srv.messages) == 1, "sent twice")
    finally:
        srv.stop()
    return out


# -- hostile SMTP servers -----------------------------------------------------------------------


def _scripted(dialogue_name: str, case: str, what: str, extra: dict[str, Any]) -> None:
    def run(tmp: Path) -> Outcome:
        out = Outcome(case)
        smtp = _smtp()
        with smtp.ScriptedSMTP(getattr(smtp, dialogue_name)) as srv:
            table = _email_table(srv, **extra)
            with Lab(tmp, email=table) as lab:
                if not _change(lab, out):
                    return out
                env = {"CHAOS_SMTP_PW": "chaos-Secret-pw-42"}
                t0 = time.monotonic()
                ran = lab.cli("outbox", "retry", "--json", env=env)
                took = time.monotonic() - t0
                out.require(not ran.crashed, f"crashed: {ran.crashed}")
                out.require(ran.code == 1, f"delivery: exit {ran.code}, expected 1")
                out.require(took < 30, f"delivery took {took:.0f}s (deadline 3 s)")
                row = _one_row(out, lab, "failed")
                bad = readable(row.get("last_error"))
                out.require(bad is None, f"last_error: {bad}")
                error = row.get("last_error") or ""
                want = {
                    "drip": "deadline",
                    "size_limit": "message too large",
                    "echo_auth": "authentication failed",
                }[dialogue_name]
                out.require(want in error, f"last_error {error!r} does not say {want}")
                if dialogue_name == "size_limit":
                    out.require("refused sender" not in error, f"blames the sender: {error}")
                if dialogue_name == "echo_auth":
                    blob = base64.b64encode(b"\0watcher\0chaos-Secret-pw-42").decode()
                    out.require(any(blob in s for s in srv.seen), "the server never saw AUTH")
                    db = b"".join(p.read_bytes() for p in tmp.glob("watcher.db*") if p.is_file())
                    for label, text in (
                        ("database", db.decode("utf-8", "replace")),
                        ("output", ran.stdout + ran.stderr),
                    ):
                        out.require(blob not in text, f"the AUTH blob is in the {label}")
                        out.require("chaos-Secret-pw-42" not in text, f"password in {label}")
                out.notes.append(f"failed in {took:.1f}s: {error}")
        return out

    scenario(case, NOTIFY, what, chaos_runs=1)(run)


_scripted(
    "drip",
    "SMTP answers one line per second",
    "a server that never finishes its EHLO reply (one line per second, each within the 5 s "
    "read timeout): `outbox retry` gives up at the 3 s delivery deadline, the row kept",
    {"timeout": 5, "deadline": 3},
)
_scripted(
    "size_limit",
    "SMTP 552 message too large",
    "a server advertising SIZE 1000 refuses MAIL FROM with 552: the row says 'message too "
    "large' (not 'refused sender') and stays for a retry",
    {},
)
_scripted(
    "echo_auth",
    "SMTP 535 echoes the AUTH blob",
    "a server refusing AUTH PLAIN with a 535 that quotes the base64 credentials: neither the "
    "blob nor the password is stored or printed",
    {"username": "watcher", "password_env": "CHAOS_SMTP_PW", "allow_plaintext_auth": True},
)


@scenario(
    "password in clear refused",
    NOTIFY,
    'security = "none" with a username and no allow_plaintext_auth: `check`, `test-email` and '
    "`daemon --once` exit 2 naming email.security; the SMTP server never sees a login",
    chaos_runs=1,
)
def plaintext(tmp: Path) -> Outcome:
    out = Outcome("password in clear refused")
    smtp = _smtp()
    srv = smtp.SMTPTestServer(auth=("watcher", "pw")).start()
    try:
        table = _email_table(srv, username="watcher", password_env="CHAOS_SMTP_PW")
        with Lab(tmp, email=table) as lab:
            lab.site.set("/policy", GOOD)
            lab.write_config()
            env = {"CHAOS_SMTP_PW": "pw"}
            for args in (("check",), ("test-email",), ("daemon", "--once")):
                ran = lab.cli(*args, env=env)
                text = ran.stdout + ran.stderr
                out.require(ran.code == 2, f"{args[0]}: exit {ran.code}, expected 2")
                out.require("email.security" in text, f"{args[0]} does not name email.security")
            out.require(srv.auth_attempts == [], "a login reached the server")
            out.require(not lab.state().versions, "a check ran with a refused config")
    finally:
        srv.stop()
    return out


# -- credentials in a watch URL -----------------------------------------------------------------


@scenario(
    "credentials in a watch URL",
    NOTIFY,
    "a watch URL http://reader:SECRET@host/: the request authenticates, and SECRET is in no "
    "file (database, WAL, snapshots), e-mail, feed or command output",
    chaos_runs=1,
)
def url_credentials(tmp: Path) -> Outcome:
    out = Outcome("credentials in a watch URL")
    smtp = _smtp()
    secret = "chaos-url-Secret-77"
    srv = smtp.SMTPTestServer().start()
    try:
        with Lab(tmp, email=_email_table(srv)) as lab:
            lab.watch["url"] = lab.url.replace("http://", f"http://reader:{secret}@")
            if not _change(lab, out):
                return out
            auth = lab.site.records("/policy")[-1].headers.get("Authorization", "")
            out.require(auth.startswith("Basic "), "the request carried no credentials")
            outputs = [lab.cli(*a) for a in (("outbox", "retry"), ("feed",), ("list", "--json"))]
            outputs.append(lab.cli("history", "policy", "--json"))
            msgs = srv.wait_for(1, timeout=10)
            texts = [r.stdout + r.stderr for r in outputs] + [m.as_string() for m in msgs]
            out.require(len(msgs) == 1, f"{len(msgs)} messages, expected 1")
            files = [p for p in tmp.rglob("*") if p.is_file() and p.name != "config.toml"]
            for p in files:  # (the config holds it: that is where the operator put it)
                if secret.encode() in p.read_bytes():
                    out.problem(f"the password is in {p.relative_to(tmp)}")
            for t in texts:
                out.require(secret not in t, "the password is in a command's output or e-mail")
            out.require(any("reader:***@" in t for t in texts), "the masked URL is never shown")
    finally:
        srv.stop()
    return out


# -- a webhook channel that is down -------------------------------------------------------------


class _Hook:
    def __init__(self) -> None:
        self.posts: list[dict[str, Any]] = []
        self.status = 503
        owner = self

        class H(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if owner.status == 200:
                    owner.posts.append(json.loads(body))
                self.send_response(owner.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *a: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@scenario(
    "webhook channel down, then up",
    NOTIFY,
    "an Apprise json:// channel whose server answers 503: the row stays failed naming the "
    "channel; back up, `outbox retry` delivers it exactly once; the token in the URL "
    "(${HOOK_TOKEN}) is in no file and no output",
    chaos_runs=2,
)
def webhook_outage(tmp: Path) -> Outcome:
    out = Outcome("webhook channel down, then up")
    hook = _Hook()
    token = "chaos-hook-Token-99"
    env = {"HOOK_TOKEN": token}
    try:
        with Lab(tmp) as lab:
            lab.site.set("/policy", GOOD)
            channel = (
                '\n[[channel]]\nname = "team-hook"\n'
                f'url = "json://127.0.0.1:{hook.port}/hook/${{HOOK_TOKEN}}"\nmin_severity = "info"\n'
            )
            lab.config.write_text(lab.config_text() + channel, encoding="utf-8")
            lab.check(env=env)
            lab.site.set("/policy", revised(1))
            ran = lab.check(env=env)
            if ran.status != "changed":
                out.problem(f"setup: {ran.status}")
                return out
            first = lab.cli("outbox", "retry", "--json", env=env)
            out.require(first.code == 1, f"retry while down: exit {first.code}")
            row = _one_row(out, lab, "failed")
            out.require(row.get("channel") == "team-hook", f"channel {row.get('channel')}")
            error = row.get("last_error") or ""
            out.require(readable(error) is None, f"last_error: {readable(error)}")
            out.require("team-hook" in error and "503" in error, f"last_error {error!r}")
            hook.status = 200
            # the row waits for its backoff; `outbox retry` ignores it (the operator's nudge)
            second = lab.cli("outbox", "retry", "--json", env=env)
            third = lab.cli("outbox", "retry", "--json", env=env)
            out.require(second.code == 0 and third.code == 0, "retry after recovery failed")
            out.require(len(hook.posts) == 1, f"{len(hook.posts)} notifications, expected 1")
            if hook.posts:
                out.require("policy" in hook.posts[0].get("title", ""), "wrong title")
            files = [p for p in tmp.rglob("*") if p.is_file()]
            for p in files:
                if token.encode() in p.read_bytes():
                    out.problem(f"the token is in {p.relative_to(tmp)}")
            for r in (first, second, third):
                out.require(token not in r.stdout + r.stderr, "the token is in an output")
            out.notes.append(f"failed: {error}")
    finally:
        hook.stop()
    return out
