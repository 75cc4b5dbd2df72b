"""The one systemd recipe: the unit verifies with systemd-analyze (skipped where it is not
installed), and the unit and docs/daemon.md agree on the paths and the config's permissions."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
UNIT = ROOT / "scripts" / "policy-watcher.service"
DOCS = ROOT / "docs" / "daemon.md"


def test_unit_verifies(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed")
    watcher = Path(sys.executable).with_name("watcher")
    if not watcher.exists():
        pytest.skip("no installed `watcher` script beside this Python")
    # the unit as shipped, with ExecStart pointing at this checkout's real program
    unit = tmp_path / "policy-watcher.service"
    unit.write_text(UNIT.read_text().replace("/opt/policy-watcher/.venv/bin/watcher", str(watcher)))
    p = subprocess.run([analyze, "verify", str(unit)], capture_output=True, text=True, timeout=60)
    problems = [ln for ln in (p.stdout + p.stderr).splitlines() if "policy-watcher.service" in ln]
    assert p.returncode == 0 and not problems, p.stdout + p.stderr


def test_docs_recipe_matches_the_unit() -> None:
    unit = UNIT.read_text()
    docs = DOCS.read_text()
    recipe = docs[docs.index("## systemd") :].split("```sh", 1)[1].split("```", 1)[0]
    user = re.search(r"^User=(\S+)", unit, re.M).group(1)
    group = re.search(r"^Group=(\S+)", unit, re.M).group(1)
    config = re.search(r"--config (\S+)", unit).group(1)
    home = re.search(r"^WorkingDirectory=(\S+)", unit, re.M).group(1)
    env = re.search(r"^EnvironmentFile=-?(\S+)", unit, re.M).group(1)
    assert f"useradd --system --home {home}" in recipe and recipe.count(user) >= 3
    assert re.search(rf"ReadWritePaths=.*{re.escape(home)}", unit)
    # the service can read the config: a directory it may enter, a file its group may read
    conf_dir = str(Path(config).parent)
    assert f"install -d -m 0750 -o root -g {group} {conf_dir}" in recipe
    assert f"chown root:{group} {config}" in recipe and f"chmod 0640 {config}" in recipe
    assert f"install -m 0600 -o root -g root /dev/null {env}" in recipe
    assert "systemd-analyze verify" in recipe
    readme = (ROOT / "README.md").read_text()
    assert "docs/daemon.md#systemd" in readme and "install -d -m 0750 /etc" not in readme
