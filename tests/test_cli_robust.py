"""Bad input and interruptions end in one clear line (issue 13 Low, issue 15 point 8), and
re-extraction keeps the capture's time and never raises an alarm (issue 15 point 5)."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.conftest import Project, policy_html
from tests.wayback_server import FakeWayback
from watcher.demo.site import LocalSite
from watcher.storage.sqlite import Store

POLICY = (
    "<h1>Privacy Policy</h1>"
    "<p>We share your e-mail address with Mailchimp to send newsletters.</p>"
    "<div class='vendors'><p>We share payment data with Stripe to take payments.</p></div>"
    + "<p>"
    + "We process personal data lawfully and fairly. " * 20
    + "</p>"
)


def one_error_line(output: str) -> str:
    lines = [ln for ln in output.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), output
    return lines[0]


def test_reextract_keeps_capture_time_and_is_never_high(project: Project, site: LocalSite) -> None:
    site.set("/privacy", policy_html(POLICY))
    project.write_config([{"name": "acme", "url": site.url("/privacy")}])
    project.run("check")
    time.sleep(1.1)  # the re-run happens in a later second than the capture
    project.write_config([{"name": "acme", "url": site.url("/privacy"), "remove": [".vendors"]}])
    out = project.json("reextract")
    assert out[0]["outcome"] == "technical"
    hist = project.json("history", "acme")
    assert [h["n"] for h in hist] == [1, 2] and hist[1]["technical"] is True
    assert hist[1]["captured_at"] == hist[0]["captured_at"]  # the capture's time
    with Store(project.root / "watcher.db", project.root / "snapshots") as store:
        change = store.change_between(hist[0]["id"], hist[1]["id"])
    assert change is not None and change.technical
    assert any("Stripe" in f.summary for f in change.findings)  # the finding is kept ...
    assert {f.severity for f in change.findings} == {"info"}  # ... and never alarming
    assert change.severity in (None, "info")


def test_ctrl_c_on_backfill_says_what_was_kept(project: Project) -> None:
    url = "https://www.example-policy.test/privacy"
    with FakeWayback() as wb:
        for year in range(2010, 2022):
            body = POLICY.replace("Mailchimp", f"Vendor{year}")
            wb.add(url, f"{year}0301120000", policy_html(body))
        wb.slow("playback", 0.7, times=100)
        project.write_config(
            [{"name": "ex", "url": url}],
            extra=f'[wayback]\nbase_url = "{wb.base}"\ncdx_rate = 50.0\nplayback_rate = 50.0\n',
        )
        p = subprocess.Popen(
            [sys.executable, "-m", "watcher", "--config", str(project.config), "backfill", "ex"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not project.json("history", "ex", code=None):
            time.sleep(0.2)
        p.send_signal(signal.SIGINT)
        out, err = p.communicate(timeout=60)
    assert p.returncode == 130, (out, err)
    kept = len(project.json("history", "ex"))
    assert kept >= 1
    assert f"interrupted: {kept} version(s) imported so far are kept" in err, err
    assert "Traceback" not in err


def test_absurd_config_values_are_one_line_errors(project: Project) -> None:
    cases = {
        '[schedule]\nevery = "9000000d"\n': "schedule.every",
        "[schedule]\nevery = nan\n": "schedule.every",
        "[schedule]\nevery = inf\n": "schedule.every",
        "[fetch]\ntimeout = inf\n": "fetch.timeout",
        "[fetch]\ntimeout = nan\n": "fetch.timeout",
        "[fetch]\nper_host_delay = -1\n": "fetch.per_host_delay",
        "a = " + "[" * 5000 + "]" * 5000 + "\n": "nested too deeply",
    }
    for text, key in cases.items():
        project.config.write_text(text)
        result = project.run("list", code=2)
        line = one_error_line(result.output)
        assert key in line and str(project.config) in line, line
    project.config.write_text("")
    project.run("list")
    assert project.run("report", "--since", "9000000d", code=2).exit_code == 2


def test_no_traceback_from_the_entry_point(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text(
        '[storage]\ndatabase = "watcher.db"\n\n[[watch]]\nname = "a"\nurl = "https://a.test/"\n'
    )
    (tmp_path / "watcher.db").write_bytes(b"SQLite format 3\x00" + os.urandom(4000))
    p = subprocess.run(
        [sys.executable, "-m", "watcher", "list"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert p.returncode in (1, 2) and "Traceback" not in p.stderr
    assert one_error_line(p.stderr)


def test_daemon_log_file_is_private_and_neutralised(tmp_path: Path) -> None:
    from watcher.daemon import configure_logging

    log_file = tmp_path / "logs" / "watcher.log"
    root = logging.getLogger()
    before = list(root.handlers)
    try:
        configure_logging("INFO", log_file)
        logging.getLogger("watcher.test").warning("page said \x1b[2Jhi \u202eevil\x07")
    finally:
        for h in list(root.handlers):
            if h not in before:
                root.removeHandler(h)
                h.close()
    assert log_file.stat().st_mode & 0o777 == 0o600
    text = log_file.read_text()
    assert "page said [2Jhi evil" in text
    assert "\x1b" not in text and "\u202e" not in text and "\x07" not in text


def test_negative_version_numbers_mix_with_options(project: Project, site: LocalSite) -> None:
    site.set("/privacy", policy_html(POLICY))
    project.write_config([{"name": "acme", "url": site.url("/privacy")}])
    project.run("check")
    site.set("/privacy", policy_html(POLICY.replace("Mailchimp", "SendGrid")))
    project.run("check")
    d = project.json("diff", "acme", "-2", "-1")
    assert (d["old_n"], d["new_n"]) == (1, 2)
    r = project.run("diff", "--json", "acme", "-2")
    assert '"old_n": 1' in r.stdout
    f = project.json("show", "acme", "-1", "--facts")
    assert f["n"] == 2
