"""A database on a read-only file system (issue 13, Low): reading commands still work, a
check fails with one line, nothing crashes. Needs root and `mount` (a real read-only tmpfs)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import Project, small_policy_page


def _mount_ro(src: Path, target: Path) -> bool:
    if os.geteuid() != 0 or not shutil.which("mount"):
        return False
    target.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=32m", "tmpfs", str(target)]).returncode:
        return False
    shutil.copytree(src, target / "p", ignore=shutil.ignore_patterns(target.name))
    if subprocess.run(["mount", "-o", "remount,ro", str(target)]).returncode:
        subprocess.run(["umount", str(target)])
        return False
    return True


def test_reading_commands_work_on_a_read_only_file_system(project: Project, site, tmp_path) -> None:
    site.set("/p", small_policy_page())
    project.write_config([{"name": "acme", "url": site.url("/p")}])
    project.run("check")
    site.set("/p", small_policy_page(processor="Mailchimp"))
    project.run("check")
    ro = tmp_path / "ro"
    if not _mount_ro(project.root, ro):
        pytest.skip("needs root and mount for a read-only tmpfs")
    try:
        config = str(ro / "p" / "config.toml")
        env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}

        def run(*args: str) -> subprocess.CompletedProcess[str]:
            return subprocess.run(
                [sys.executable, "-m", "watcher", "--config", config, *args],
                capture_output=True,
                text=True,
                timeout=120,
                env=env,
            )

        history = run("history", "acme", "--json")
        assert history.returncode == 0, history.stderr
        assert [v["n"] for v in __import__("json").loads(history.stdout)] == [1, 2]
        for args in (
            ("diff", "acme", "1", "2"),
            ("show", "acme", "-1"),
            ("search", "Mailchimp"),
            ("findings", "--json"),
            ("list",),
        ):
            r = run(*args)
            assert r.returncode == 0, (args, r.stderr)
            assert "Traceback" not in r.stderr
        assert "Mailchimp" in run("findings").stdout
        check = run("check")
        assert check.returncode == 1
        assert "read-only" in check.stdout + check.stderr
        assert "Traceback" not in check.stderr
    finally:
        subprocess.run(["umount", str(ro)])
