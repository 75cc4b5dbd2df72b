"""Bad configs: one clear error naming the key, exit 2, and nothing on disk changes."""

from __future__ import annotations

import pytest

from tests.faults import scenarios as sc

KNOWN_BUGS: dict[str, str] = {}


def _param(name: str):  # noqa: ANN202
    bug = KNOWN_BUGS.get(name)
    return pytest.param(name, marks=pytest.mark.xfail(reason=bug, strict=True)) if bug else name


@pytest.mark.parametrize("name", [_param(s.name) for s in sc.by_group("config")])
def test_bad_config(name, tmp_path):
    out = sc.run_scenario(name, tmp_path)
    assert out.ok, out.explain()
