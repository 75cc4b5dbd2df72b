from __future__ import annotations

from pathlib import Path

import pytest

from watcher import config as cfg
from watcher import configedit


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "config.toml"
    p.write_text(text, encoding="utf-8")
    return p


GOOD = """
[storage]
database = "data/w.db"

[fetch]
timeout = 12
concurrency = 3

[schedule]
every = "6h"
jitter = "5m"

[[watch]]
name = "soutron"
url = "https://www.soutron.com/privacy-policy/"
select = ["main"]
remove = [".cookie-banner"]
every = "1d"

[[watch]]
name = "claro"
url = "https://example.com/privacy"
backfill_since = "2015"
"""


def test_good_config_is_typed(tmp_path: Path) -> None:
    c = cfg.load(write(tmp_path, GOOD))
    assert c.database == tmp_path / "data" / "w.db"  # relative to the config file
    assert c.snapshots == tmp_path / "snapshots"
    assert c.fetch.timeout == 12.0 and c.fetch.concurrency == 3
    assert c.every == 6 * 3600 and c.jitter == 300
    s = c.watch("soutron")
    assert s.select == ("main",) and s.remove == (".cookie-banner",) and s.every == 86400
    assert c.interval(c.watch("claro")) == 6 * 3600
    assert c.watch("claro").backfill_since == "2015"
    assert s.render == "auto" and not s.expand and not s.allow_private  # the defaults


def test_render_keys(tmp_path: Path) -> None:
    text = (
        '[fetch]\nbrowser = "/opt/chromium"\nrender_concurrency = 1\n'
        '[[watch]]\nname = "a"\nurl = "https://a"\nrender = "browser"\n'
        '[[watch]]\nname = "b"\nurl = "https://b"\nexpand = true\nallow_private = true\n'
        '[[watch]]\nname = "c"\nurl = "https://c"\nrender = "http"\n'
    )
    c = cfg.load(write(tmp_path, text))
    assert c.fetch.browser == "/opt/chromium" and c.fetch.render_concurrency == 1
    assert c.watch("a").wants_browser and c.watch("a").render == "browser"
    assert c.watch("b").wants_browser and c.watch("b").allow_private  # expand implies it
    assert not c.watch("c").wants_browser


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("[fetch]\ntimout = 3\n", "fetch.timout: unknown key"),
        ("[fetch]\ntimeout = 'soon'\n", "fetch.timeout: expected"),
        ("[schedule]\nevery = '12 hours'\n", "schedule.every"),
        (
            '[[watch]]\nname = "a"\nurl = "https://a"\n[[watch]]\nname = "a"\nurl = "https://b"\n',
            "duplicate watch name",
        ),
        ('[[watch]]\nname = "Bad Name"\nurl = "https://a"\n', "watch[0].name"),
        ('[[watch]]\nname = "a"\nurl = "ftp://a"\n', "not an http(s) URL"),
        ('[[watch]]\nname = "a"\nurl = "https://a"\nselect = ["main >"]\n', "invalid CSS selector"),
        ('[email]\nsmtp_host = "x"\nto = ["a@b"]\npassword = "hunter2"\n', "secrets never go"),
        ("this is = = not toml", "invalid TOML"),
        ('[[watch]]\nname = "a"\nurl = "https://a"\nrender = "js"\n', "watch[a].render"),
        ('[[watch]]\nname = "a"\nurl = "https://a"\nexpand = "yes"\n', "watch[a].expand"),
        ("[fetch]\nrender_concurrency = 0\n", "fetch.render_concurrency"),
    ],
)
def test_bad_config_names_the_key(tmp_path: Path, text: str, needle: str) -> None:
    with pytest.raises(cfg.ConfigError) as e:
        cfg.load(write(tmp_path, text))
    assert needle in str(e.value)
    assert "\n" not in str(e.value)
    assert "hunter2" not in str(e.value)


def test_error_gives_line_number(tmp_path: Path) -> None:
    text = '[[watch]]\nname = "a"\nurl = "https://a"\n\n[[watch]]\nname = "b"\nurl = "https://b"\nevery = "often"\n'
    with pytest.raises(cfg.ConfigError) as e:
        cfg.load(write(tmp_path, text))
    assert ":8:" in str(e.value) and "watch[b].every" in str(e.value)


@pytest.mark.parametrize(
    ("value", "seconds"), [("30s", 30), ("15m", 900), ("12h", 43200), ("1d", 86400), ("1w", 604800)]
)
def test_durations(value: str, seconds: int) -> None:
    assert cfg.parse_duration(value) == seconds


def test_add_watch_keeps_comments(tmp_path: Path) -> None:
    p = write(tmp_path, cfg.starter_text())
    from watcher.models import Watch

    configedit.add_watch(
        p, Watch(name="acme", url="https://acme.test/privacy", select=("main",), every=86400)
    )
    text = p.read_text()
    assert "# policy-watcher configuration" in text
    assert "# smtp_host" in text
    loaded = cfg.load(p)
    assert loaded.watch("acme").select == ("main",) and loaded.watch("acme").every == 86400
    with pytest.raises(cfg.ConfigError, match="already exists"):
        configedit.add_watch(p, Watch(name="acme", url="https://acme.test/x"))


def test_missing_file_says_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(cfg.ConfigError, match="watcher init"):
        cfg.load(tmp_path / "nope.toml")


def test_example_config_is_valid() -> None:
    c = cfg.load(Path(__file__).resolve().parents[1] / "config.toml")
    assert len(c.watches) >= 5
