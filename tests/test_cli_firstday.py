"""A user's first day, driven through the CLI (issue 15): per-watch version numbers, extract
with --save, remove/pause/resume, import, what `check` queued; and the CLI's output hygiene
(issue 13): hostile page text never reaches the terminal raw nor is read as rich markup."""

from __future__ import annotations

import email
import email.policy
import json
import shlex
from pathlib import Path

from tests.conftest import Project, policy_html
from watcher import config as cfg
from watcher.demo.site import LocalSite
from watcher.storage.sqlite import Store

V1 = (
    "<h1>Privacy Policy</h1><h2>Retention</h2>"
    "<p>We keep support tickets for 5 years, after which they are deleted.</p>"
    "<p>Contact privacy@example.com about your rights.</p>"
    + "<p>"
    + ("We process personal data lawfully and fairly. " * 20)
    + "</p>"
)
V2 = V1.replace("5 years", "7 years")
V3 = V2.replace("privacy@example.com", "dpo@example.com")

EMAIL = """
[email]
smtp_host = "127.0.0.1"
smtp_port = 2525
security = "none"
to = ["team@example.com"]
"""


def three_versions(project: Project, site: LocalSite, extra: str = "") -> None:
    site.set("/privacy", policy_html(V1))
    project.write_config([{"name": "acme", "url": site.url("/privacy")}], extra=extra)
    for body in (V1, V2, V3):
        site.set("/privacy", policy_html(body))
        project.run("check")


def error_line(result) -> str:  # noqa: ANN001
    lines = [ln for ln in result.output.splitlines() if ln.strip()]
    assert len(lines) == 1, result.output
    assert lines[0].startswith("error: "), result.output
    return lines[0]


# -- per-watch version numbers ----------------------------------------------------------------
def test_versions_are_numbered_per_watch(project: Project, site: LocalSite) -> None:
    site.set("/other", policy_html(V1.replace("Retention", "Keeping data")))
    site.set("/privacy", policy_html(V1))
    project.write_config(
        [
            {"name": "other", "url": site.url("/other")},
            {"name": "acme", "url": site.url("/privacy")},
        ]
    )
    for body in (V1, V2, V3):
        site.set("/privacy", policy_html(body))
        project.run("check")  # other is checked too: global ids interleave
    hist = project.json("history", "acme")
    assert [h["n"] for h in hist] == [1, 2, 3]
    assert [h["id"] for h in hist] != [1, 2, 3]  # the global ids are kept, and differ

    assert "7 years" not in project.run("show", "acme", "1").stdout
    assert "dpo@example.com" in project.run("show", "acme", "-1").stdout
    assert "7 years" in project.run("show", "acme", "-2").stdout
    assert "dpo@" not in project.run("show", "acme", "-2").stdout
    shown = json.loads(project.run("show", "acme", "-1", "--json").stdout)
    assert shown["n"] == 3 and shown["id"] == hist[2]["id"]

    d = project.json("diff", "acme", "1", "2")
    assert (d["old_n"], d["new_n"]) == (1, 2) and (d["old"], d["new"]) == (
        hist[0]["id"],
        hist[1]["id"],
    )
    human = project.run("diff", "acme", "-2", "-1").stdout
    assert "version 2" in human and "-> 3" in human and "dpo@example.com" in human
    # the default is the last two; `diff NAME 1` compares 1 with the latest
    assert project.json("diff", "acme")["old_n"] == 2
    assert project.json("diff", "acme", "1")["new_n"] == 3
    assert (
        "(version 3)" in project.run("history", "acme").stdout
        or "3" in project.run("history", "acme").stdout
    )


def test_out_of_range_versions_are_one_line_exit_2(project: Project, site: LocalSite) -> None:
    three_versions(project, site)
    for args in (
        ("show", "acme", "4"),
        ("show", "acme", "-4"),
        ("show", "acme", "0"),
        ("diff", "acme", "1", "9"),
        ("diff", "acme", "-7"),
    ):
        line = error_line(project.run(*args, code=2))
        assert "versions are 1 to 3" in line and "acme" in line
    # a typo in an option is still a usage error, not a version
    assert project.run("show", "acme", "--jsn", code=2).exit_code == 2
    assert project.run("report", "--since", "99999999999d", code=2).exit_code == 2
    assert project.run("feed", "--limit", "0", code=2).exit_code == 2
    assert project.run("search", "policy", "--limit", "-3", code=2).exit_code == 2


def test_unknown_watch_same_error_and_code_everywhere(project: Project, site: LocalSite) -> None:
    three_versions(project, site)
    lines = set()
    for args in (
        ("history", "nope"),
        ("show", "nope"),
        ("show", "nope", "-1"),
        ("diff", "nope", "1", "2"),
        ("check", "nope"),
        ("reextract", "nope"),
        ("backfill", "nope"),
        ("remove", "nope"),
        ("pause", "nope"),
        ("resume", "nope"),
        ("extract", "nope"),
    ):
        lines.add(error_line(project.run(*args, code=2)))
    assert lines == {f"error: no watch named 'nope' in {project.config}; see `watcher list`"}


# -- check: what was queued --------------------------------------------------------------------
def test_check_says_what_it_queued_and_default_reports_every_change(
    project: Project, site: LocalSite
) -> None:
    site.set("/privacy", policy_html(V1))
    project.write_config([{"name": "acme", "url": site.url("/privacy")}], extra=EMAIL)
    first = project.run("check").stdout
    assert "acme: new (version 1)" in first
    assert "title: Privacy Policy" in first and "words" in first
    site.set("/privacy", policy_html(V2))  # "5 years" -> "7 years": not cosmetic
    out = project.run("check").stdout
    assert "acme: changed (version 2)" in out
    assert "1 e-mail queued" in out
    queued = project.json("outbox")
    assert len(queued) == 1 and queued[0]["status"] == "queued"
    # the e-mail names the watch's own version numbers, as `watcher diff` takes them
    with Store(project.root / "watcher.db", project.root / "snapshots") as store:
        [msg] = store.outbox()
    body = email.message_from_bytes(msg.message, policy=email.policy.default)
    text = body.get_body(("plain",)).get_content()
    assert "watcher diff acme 1 2" in text and "#1 of " in text and "#2 of " in text
    # markup only: unchanged, nothing queued
    site.set("/privacy", policy_html(V2, nav="Home | Blog"))
    out = project.run("check").stdout
    assert "unchanged" in out and "queued" not in out
    assert len(project.json("outbox")) == 1


def test_check_without_email_says_so(project: Project, site: LocalSite) -> None:
    site.set("/privacy", policy_html(V1))
    project.write_config([{"name": "acme", "url": site.url("/privacy")}])
    project.run("check")
    site.set("/privacy", policy_html(V2))
    assert "No e-mail queued: " in project.run("check").stdout


# -- managing watches --------------------------------------------------------------------------
def test_remove_keeps_history_purge_deletes_it(project: Project, site: LocalSite) -> None:
    three_versions(project, site)
    text = project.config.read_text()
    project.config.write_text("# my watches\n" + text)
    out = project.run("remove", "acme").stdout
    assert "history stays" in out
    assert "acme" not in [w.name for w in cfg.load(project.config).watches]
    assert project.config.read_text().startswith("# my watches\n")
    assert len(project.json("history", "acme")) == 3  # still there
    assert (
        "Deleted the history of 'acme' (3 version(s))"
        in project.run("remove", "acme", "--purge").stdout
    )
    error_line(project.run("history", "acme", code=2))
    with Store(project.root / "watcher.db", project.root / "snapshots") as store:
        assert store.versions("acme") == [] and store.latest_capture("acme", None) is None
        assert "acme" not in store.watch_urls()
    assert not list((project.root / "snapshots").rglob("*.zst"))


def test_pause_and_resume(project: Project, site: LocalSite) -> None:
    site.set("/privacy", policy_html(V1))
    site.set("/b", policy_html(V1))
    project.write_config(
        [{"name": "acme", "url": site.url("/privacy")}, {"name": "b", "url": site.url("/b")}]
    )
    project.run("pause", "acme")
    assert "enabled = false" in project.config.read_text()
    checked = project.json("check")
    assert [r["name"] for r in checked] == ["b"]
    rows = {r["name"]: r for r in project.json("list")}
    assert rows["acme"]["status"] == "paused" and rows["acme"]["enabled"] is False
    assert project.json("check", "acme")[0]["status"] == "new"  # naming it checks it
    project.run("resume", "acme")
    assert "enabled" not in project.config.read_text()
    assert {r["name"] for r in project.json("check")} == {"acme", "b"}


def test_add_rejects_a_name_with_a_trailing_newline(project: Project) -> None:
    project.write_config([])
    error_line(project.run("add", "https://example.com/p", "--name", "acme\n", code=2))
    project.config.write_text('[[watch]]\nname = "acme\\n"\nurl = "https://example.com/"\n')
    error_line(project.run("list", code=2))


# -- extract -----------------------------------------------------------------------------------
def test_extract_a_watch_try_selectors_and_save(project: Project, site: LocalSite) -> None:
    page = (
        "<!doctype html><html lang='en'><head><title>Legal</title></head><body>"
        "<div id='terms'><h1>Terms</h1><p>" + "You agree to these terms. " * 30 + "</p></div>"
        "<div id='privacy'><h1>Privacy</h1><p>" + "We keep data for 5 years. " * 30 + "</p>"
        "<p class='ad'>Buy now</p></div></body></html>"
    )
    site.set("/legal", page)
    project.write_config([{"name": "acme", "url": site.url("/legal")}])
    project.config.write_text("# keep me\n" + project.config.read_text())
    whole = project.run("extract", "acme")
    assert "You agree" in whole.stdout and "We keep data" in whole.stdout
    tried = project.run("extract", "acme", "--select", "#privacy", "--remove", ".ad")
    assert "You agree" not in tried.stdout and "Buy now" not in tried.stdout
    assert cfg.load(project.config).watch("acme").select == ()  # trying changes nothing
    project.run("extract", "acme", "--select", "#privacy", "--remove", ".ad", "--save")
    w = cfg.load(project.config).watch("acme")
    assert (w.select, w.remove) == (("#privacy",), (".ad",))
    assert project.config.read_text().startswith("# keep me\n")
    again = project.run("extract", "acme")  # now uses the saved selectors
    assert "You agree" not in again.stdout and "We keep data" in again.stdout
    error_line(project.run("extract", "acme", "--select", "p[", code=2))
    error_line(project.run("extract", site.url("/legal"), "--save", code=2))


# -- import ------------------------------------------------------------------------------------
URLS_YAML = """\
name: "Example privacy"
url: "https://example.com/privacy"
filter:
  - css:
      selector: main
      exclude: .cookie-banner
  - html2text
---
name: "Shop terms"
url: "https://shop.example/terms"
filter: "element-by-id:content,html2text,strip"
---
url: "https://news.example/privacy"
filter:
  - xpath: //div[@id="x"]
---
name: "A command"
command: "ls -l"
"""

OTA_JSON = {
    "name": "Acme Cloud",
    "documents": {
        "Privacy Policy": {
            "fetch": "https://acme.example/privacy",
            "select": ["main", ".policy"],
            "remove": ".banner",
        },
        "Terms of Service": {
            "fetch": "https://acme.example/terms",
            "select": [{"startBefore": "#a", "endBefore": "#b"}],
            "filter": ["removeDates"],
        },
    },
}


def test_import_urlwatch_and_ota(project: Project, tmp_path: Path) -> None:
    project.write_config([{"name": "example-privacy", "url": "https://other.example/"}])
    project.config.write_text("# my list\n" + project.config.read_text())
    urls = tmp_path / "urls.yaml"
    urls.write_text(URLS_YAML)
    ota = tmp_path / "acme.json"
    ota.write_text(json.dumps(OTA_JSON))
    dry = project.run("import", str(urls), str(ota), "--dry-run").stdout
    assert "Would add" in dry and len(cfg.load(project.config).watches) == 1
    out = project.run("import", str(urls), str(ota)).stdout
    config = cfg.load(project.config)
    by_url = {w.url: w for w in config.watches}
    ex = by_url["https://example.com/privacy"]
    assert ex.name == "example-privacy-2"  # the name was taken
    assert (ex.select, ex.remove) == (("main",), (".cookie-banner",))
    assert by_url["https://shop.example/terms"].select == ("#content",)
    assert by_url["https://news.example/privacy"].select == ()
    pp = by_url["https://acme.example/privacy"]
    assert pp.name == "acme-cloud-privacy-policy"
    assert (pp.select, pp.remove) == (("main", ".policy"), (".banner",))
    assert by_url["https://acme.example/terms"].select == ()
    assert "not mapped: filter xpath" in out
    assert "range selector" in out and "removeDates" in out
    assert "shell-command job" in out
    assert "5 watch(es) added" in out and "1 skipped" in out
    assert project.config.read_text().startswith("# my list\n")
    # importing again adds nothing: the URLs are watched
    again = project.run("import", str(urls)).stdout
    assert "0 watch(es) added" in again and "already watched" in again
    bad = tmp_path / "bad.txt"
    bad.write_text("just some words\n")
    line = error_line(project.run("import", str(bad), code=2))
    assert "bad.txt" in line and "urlwatch" in line


# -- hostile text in the terminal -------------------------------------------------------------
HOSTILE = (
    "<h1>Privacy Policy</h1>"
    "<p>Acme [/x] Ltd processes [bold]your data[/bold] :smile: for marketing.</p>"
    "<p>Write to privacy[at]soutron[dot]com about your rights.</p>"
    "<p>We keep Acme [/x] Ltd support tickets for 5 years.</p>"
    "<p>Clear \x1b[2J screen \x1b]8;;http://evil.example/\x1b\\click\x1b]8;;\x1b\\ here "
    "and \u202etxt.exe\u202c reversed and \x9b31m C1.</p>"
    + "<p>"
    + ("We process personal data lawfully and fairly. " * 20)
    + "</p>"
)


def assert_safe(text: str) -> None:
    for bad in ("\x1b", "\u202e", "\u202c", "\x9b", "\x07"):
        assert bad not in text, (bad, text)


def test_hostile_text_is_neutralised_and_never_markup(project: Project, site: LocalSite) -> None:
    site.set(
        "/privacy",
        policy_html(HOSTILE.replace("marketing", "analytics").replace("reversed", "mirrored")),
    )
    project.write_config([{"name": "acme", "url": site.url("/privacy")}], extra=EMAIL)
    assert_safe(project.run("check").output)
    site.set("/privacy", policy_html(HOSTILE))
    outputs = {
        args: project.run(*args).output
        for args in (
            ("check",),
            ("history", "acme"),
            ("show", "acme"),
            ("show", "acme", "--facts"),
            ("diff", "acme"),
            ("search", "Acme"),
            ("search", "soutron"),
            ("outbox",),
            ("list",),
            ("report",),
        )
    }
    for args, out in outputs.items():
        assert_safe(out)
        assert "Traceback" not in out, args
    assert "Acme [/x] Ltd" in outputs["show", "acme"]
    assert "[bold]your data[/bold]" in outputs["show", "acme"]
    assert ":smile:" in outputs["show", "acme"]
    assert "privacy[at]soutron[dot]com" in outputs["show", "acme"]
    assert "[/x]" in outputs["show", "acme", "--facts"]  # evidence of the retention fact
    wide = project.runner.invoke(
        __import__("watcher.cli", fromlist=["app"]).app,
        ["--config", str(project.config), "outbox"],
        env={"COLUMNS": "250"},
    ).output
    assert "[policy-watcher]" in wide  # the subject's tag is not eaten as markup
    # the e-mail too: subject and both parts
    with Store(project.root / "watcher.db", project.root / "snapshots") as store:
        [msg] = store.outbox()
    mail = email.message_from_bytes(msg.message, policy=email.policy.default)
    assert_safe(str(mail["Subject"]))
    assert_safe(mail.get_body(("plain",)).get_content())
    assert_safe(mail.get_body(("html",)).get_content())
    # the database keeps the text as it was: only the output is neutralised
    shown = json.loads(project.run("show", "acme", "--json").stdout)
    assert "\x1b[2J" in shown["text"] and "\u202e" in shown["text"]
    raw_json = project.run("show", "acme", "--json").stdout
    assert_safe(raw_json)  # JSON escapes them (\u001b, \u202e): same data, nothing raw


def test_help_shows_no_type_labels(project: Project) -> None:
    for command in ("check", "add", "show", "diff", "import", "extract", "test-email", "report"):
        out = project.runner.invoke(
            __import__("watcher.cli", fromlist=["app"]).app, [command, "--help"]
        ).output
        assert "<list[str]>" not in out and "<str>" not in out and "<int>" not in out, out


def test_list_keeps_urls_whole_at_80_columns(project: Project, site: LocalSite) -> None:
    url = site.url("/a/rather/long/path/to/the/privacy-policy?lang=en")
    project.write_config([{"name": "acme", "url": url}])
    result = project.runner.invoke(
        __import__("watcher.cli", fromlist=["app"]).app,
        ["--config", str(project.config), "list"],
        env={"COLUMNS": "80"},
    )
    assert result.exit_code == 0
    rows = [ln.split("│") for ln in result.output.splitlines() if ln.startswith("│")]
    assert max(len(ln) for ln in result.output.splitlines()) <= 80
    assert rows[0][1].strip() == "acme"
    assert "".join(r[1].strip() for r in rows[1:]) == url  # folded over lines, never cut


LEGAL = (
    "<!doctype html><html lang='en'><head><title>Legal</title></head><body><main>"
    "<section id='tos'><h1>Terms of Service</h1><p>"
    + "You agree to use the service lawfully and to keep your password secret. " * 12
    + "</p></section><section id='privacy'><h1>Privacy Policy</h1><p>"
    + "We keep support tickets for 5 years and share e-mail addresses with Mailchimp. " * 12
    + "</p></section><section id='cookies'><h1>Cookie Policy</h1><p>"
    + "We use strictly necessary cookies and, with your consent, analytics cookies. " * 12
    + "</p></section></main></body></html>"
)


def test_first_check_warns_of_several_documents_and_suggests_a_selector(
    project: Project, site: LocalSite
) -> None:
    site.set("/legal", LEGAL)
    project.write_config([{"name": "acme", "url": site.url("/legal")}])
    out = project.run("check").output
    assert "acme: new (version 1)" in out and "title: Legal" in out
    warning = next(ln for ln in out.splitlines() if "warning:" in ln)
    assert "3 documents" in warning and "'Privacy Policy'" in warning
    command = shlex.split(warning.split("to watch only the privacy policy")[1].split(": ", 1)[1])
    assert command[:3] == ["watcher", "extract", "acme"] and command[-1] == "--save"
    # the suggested command, as printed, keeps only the policy and saves the selector
    tried = project.run(*command[1:])
    assert "Mailchimp" in tried.stdout and "password" not in tried.stdout
    assert "cookies" not in tried.stdout.lower()
    assert "warning:" not in tried.output
    assert cfg.load(project.config).watch("acme").select
    # the same page checked again with the saved selector: a technical re-derive
    assert project.json("reextract")[0]["outcome"] == "technical"
    ex = project.json("extract", "acme")
    assert ex["warnings"] == [] and "password" not in ex["text"]


SHELL = (
    "<!doctype html><html lang='en'><head><title>Privacy | Acme</title>"
    "<script src='/static/app.js'></script><script src='/static/vendor.js'></script></head>"
    "<body><div id='root'></div><noscript>Enable JavaScript.</noscript></body></html>"
)


def test_first_check_and_extract_warn_of_a_javascript_shell(
    project: Project, site: LocalSite
) -> None:
    site.set("/privacy", SHELL)
    project.write_config([{"name": "acme", "url": site.url("/privacy"), "render": "http"}])
    out = project.run("check", code=None).output
    assert "warning: this page looks like a JavaScript shell" in out
    assert 'render = "browser"' in out
    ex = project.json("extract", "acme", code=None)
    assert any("JavaScript shell" in w for w in ex["warnings"])
