"""`watcher demo`: the whole job on loopback, and never a real directory (issues 13.1, 15.6)."""

from __future__ import annotations

import email
import json
from email import policy
from pathlib import Path

from typer.testing import CliRunner

from watcher.cli import app


def run_demo(workdir: Path, code: int = 0):  # noqa: ANN201
    result = CliRunner().invoke(app, ["demo", "--dir", str(workdir)])
    assert result.exit_code == code, (result.exit_code, result.output, result.exception)
    return result


def test_demo_refuses_a_directory_it_did_not_create(tmp_path: Path) -> None:
    real = tmp_path / "monitoring"
    real.mkdir()
    (real / "config.toml").write_text('[storage]\ndatabase = "watcher.db"\n', encoding="utf-8")
    (real / "watcher.db").write_bytes(b"SQLite format 3\x00 a year of history")
    before = {p.name: p.read_bytes() for p in real.iterdir()}
    out = " ".join(run_demo(real, code=2).output.split())
    assert "was not created by `watcher demo`" in out and "pick a new or empty --dir" in out
    assert {p.name: p.read_bytes() for p in real.iterdir()} == before  # nothing touched


def test_demo_refuses_a_file(tmp_path: Path) -> None:
    target = tmp_path / "notes.txt"
    target.write_text("keep me", encoding="utf-8")
    assert "is not a directory" in " ".join(run_demo(target, code=2).output.split())
    assert target.read_text(encoding="utf-8") == "keep me"


def test_demo_shows_the_whole_job_and_reruns_in_its_own_directory(tmp_path: Path) -> None:
    workdir = tmp_path / "demo-data"
    out = run_demo(workdir).output
    flat = " ".join(out.split())
    # the past: the SmarterTools seed's history from the bundled stand-in archive
    assert "backfill smartertools from the stand-in Wayback Machine" in flat
    assert "1 imported" in flat and "followed redirects to" in flat
    # one daemon cycle, then the e-mails in the sink, saved as .eml + .html
    assert "one daemon cycle" in flat
    mails = sorted((workdir / "mail").glob("*.eml"))
    assert len(mails) >= 5
    assert f"{len(mails)} e-mails delivered" in flat
    assert f"savedin{workdir / 'mail'}/" in "".join(out.split())  # printed where they are
    for eml in mails:
        assert eml.name in flat
        msg = email.message_from_bytes(eml.read_bytes(), policy=policy.default)
        assert str(msg["Subject"]).startswith("[policy-watcher] ")
        assert msg["To"] == "you@example.test"
        html = eml.with_suffix(".html").read_text(encoding="utf-8")
        assert "<html" in html.lower()
    subjects = [
        str(email.message_from_bytes(m.read_bytes(), policy=policy.default)["Subject"])
        for m in mails
    ]
    assert any(
        "smartertools" in s and "Voluntary Use of Third Party Services" in s for s in subjects
    )
    # the backfilled version sits before the live ones, with its archive date
    hist = CliRunner().invoke(
        app, ["--config", str(workdir / "config.toml"), "history", "smartertools", "--json"]
    )
    versions = json.loads(hist.stdout)
    assert versions[0]["source"] == "wayback"
    assert versions[0]["captured_at"].startswith("2016-03-11")
    # its own directory: a second run is accepted and starts afresh
    again = run_demo(workdir).output
    assert len(sorted((workdir / "mail").glob("*.eml"))) == len(mails)
    assert "was not created" not in again
