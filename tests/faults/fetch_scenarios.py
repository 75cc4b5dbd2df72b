"""Fault scenarios of the fetchers: redirects to private addresses (issue 13 point 6) and the
headless browser (issue 12) — a page stuck in a script loop, and Chromium missing.

Registered in scenarios.SCENARIOS (group "fetch") like the others, so scripts/chaos.py runs
them and tests/faults/test_fetch_faults.py plays each once.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.faults.scenarios import (
    GOOD,
    WATCH,
    Lab,
    Outcome,
    Unavailable,
    judge_check,
    scenario,
)
from watcher.demo.site import LocalSite
from watcher.fetchers.netguard import public_for_tests

FETCH = "fetch"
SCRIPT_LOOP = (
    "<!doctype html><html><head><title>Privacy</title></head><body><div id=root></div>"
    "<script src=/app.js></script><script>while (true) { Math.random(); }</script></body></html>"
)


def _history_len(lab: Lab) -> int:
    ran = lab.cli("history", WATCH, "--json")
    try:
        return len(json.loads(ran.stdout)) if ran.code == 0 else 0
    except ValueError:
        return 0


@scenario(
    "redirect to a private address",
    FETCH,
    "a public watch (127.0.0.1 counted as public) answers 302 to a service on 127.0.0.2: the "
    "check errors with one line naming allow_private, the service is never asked, nothing is "
    "stored; with allow_private = true the same watch is fetched",
    chaos_runs=2,
)
def redirect_private(tmp: Path) -> Outcome:
    out = Outcome("redirect to a private address")
    with Lab(tmp) as lab, LocalSite(host="127.0.0.2") as internal, public_for_tests("127.0.0.1"):
        internal.set("/admin", GOOD)
        lab.site.set("/policy", b"", status=302, headers={"Location": internal.url("/admin")})
        lab.write_config()
        ran = lab.check()
        judge_check(out, lab, ran, ("error",), ("refused", "allow_private"), 30)
        err = (ran.results[0].get("error") or "") if ran.results else ""
        out.require("\n" not in err, "the cause is not one line")
        out.require(internal.hits("/admin") == 0, "the private service was asked")
        out.require(_history_len(lab) == 0, "something of the private page was stored")
        lab.write_config(allow_private=True)
        ran = lab.check()
        judge_check(out, lab, ran, ("new",), (), 30, "check with allow_private")
        if out.problems:
            out.survived = False
    return out


def _need_browser() -> None:
    from watcher.fetchers.browser import BrowserFetcher
    from watcher.models import FetchSettings

    why = BrowserFetcher(FetchSettings(user_agent="x")).missing()
    if why:
        raise Unavailable(why)


@scenario(
    "browser: page stuck in a script loop",
    FETCH,
    'render = "browser" on a page whose script never returns: the check errors within the '
    "30 s render deadline with one line, and the next check of a normal page renders",
    chaos_runs=1,
)
def script_loop(tmp: Path) -> Outcome:
    _need_browser()
    out = Outcome("browser: page stuck in a script loop")
    with Lab(tmp) as lab:
        lab.site.set("/policy", SCRIPT_LOOP)
        lab.site.set("/app.js", "var app = 1;", content_type="application/javascript")
        lab.write_config(render="browser")
        ran = lab.check()
        judge_check(out, lab, ran, ("error",), ("within 30s",), 30 + 30)
        lab.site.set("/policy", GOOD)
        ran = lab.check()
        judge_check(out, lab, ran, ("new",), (), 60, "next check")
        if out.problems:
            out.survived = False
    return out


@scenario(
    "browser missing",
    FETCH,
    'render = "browser" with [fetch] browser pointing nowhere: that watch errors with the '
    "one-line install hint, a plain watch in the same run is checked normally",
    chaos_runs=1,
)
def browser_missing(tmp: Path) -> Outcome:
    out = Outcome("browser missing")
    with Lab(tmp, fetch_extra={"browser": "/nonexistent/chromium-headless-shell"}) as lab:
        lab.site.set("/policy", GOOD)
        watches = [{**lab.watch, "render": "browser"}, {"name": "plain", "url": lab.url}]
        lab.config.write_text(lab.config_text(watches), encoding="utf-8")
        ran = lab.check()
        by_name = {r.get("name"): r for r in (ran.results or [])}
        bad, good = by_name.get(lab.watch["name"], {}), by_name.get("plain", {})
        out.require(bad.get("status") == "error", f"browser watch: {bad.get('status')}")
        hint = bad.get("error") or ""
        out.require("apt-get install chromium-headless-shell" in hint, f"no install hint: {hint}")
        out.require("\n" not in hint, "the hint is not one line")
        out.require(good.get("status") == "new", f"plain watch: {good.get('status')}")
        if out.problems:
            out.survived = False
    return out
