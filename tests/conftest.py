"""Shared fixtures: a loopback site, a temp project dir with a config, the CLI runner."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from watcher.cli import app
from watcher.demo.site import LocalSite

SEEDS = Path(__file__).resolve().parents[2] / "shared" / "seeds"


@pytest.fixture
def site() -> Iterator[LocalSite]:
    with LocalSite() as s:
        yield s


def policy_html(body_html: str, title: str = "Privacy Policy", nav: str = "Home | About") -> str:
    return (
        f"<!doctype html><html lang='en'><head><title>{title}</title>"
        "<script>var x = 1;</script></head><body>"
        f"<header><nav>{nav}</nav></header><main>{body_html}</main>"
        "<footer>© 2024 Example Ltd</footer></body></html>"
    )


def small_policy_page(processor: str = "", extra: str = "") -> str:
    """A short but real-looking policy page, optionally naming a processor or adding a clause."""
    paras = [
        "We collect your name, email address and payment details to provide the service.",
        "We keep account data for 30 days after you close your account.",
        "Contact privacy@example.com about this policy and your rights.",
    ]
    if processor:
        paras.append(f"We share your email address with {processor} to send newsletters.")
    if extra:
        paras.append(extra)
    body = "".join(f"<p>{p}</p>" for p in paras)
    return (
        "<!doctype html><html lang='en'><head><title>Privacy Policy</title></head><body>"
        f"<main><h1>Privacy Policy</h1>{body}</main></body></html>"
    )


class Project:
    """A temp directory with a config.toml, driven through the real CLI."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.config = root / "config.toml"
        self.runner = CliRunner()

    def write_config(self, watches: list[dict], extra: str = "") -> None:
        lines = [
            "[storage]",
            'database = "watcher.db"',
            'snapshots = "snapshots"',
            "",
            "[fetch]",
            "timeout = 5",
            "per_host_delay = 0.0",
            "retries = 0",
            "",
            "[schedule]",
            'every = "1h"',
            'jitter = "0s"',
            "",
            extra,
            "",
        ]
        for w in watches:
            lines.append("[[watch]]")
            for k, v in w.items():
                lines.append(f"{k} = {json.dumps(v)}")
            lines.append("")
        self.config.write_text("\n".join(lines), encoding="utf-8")

    def run(self, *args: str, code: int | None = 0):  # noqa: ANN201
        result = self.runner.invoke(app, ["--config", str(self.config), *args])
        if code is not None:
            assert result.exit_code == code, (result.exit_code, result.output, result.exception)
        return result

    def json(self, *args: str, code: int | None = 0):  # noqa: ANN201
        return json.loads(self.run(*args, "--json", code=code).stdout)


@pytest.fixture
def project(tmp_path: Path) -> Project:
    os.environ.pop("WATCHER_CONFIG", None)
    return Project(tmp_path)
