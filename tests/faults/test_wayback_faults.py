"""A hostile Wayback mirror and `watcher demo` on a real project (see wayback_scenarios.py)."""

from __future__ import annotations

import pytest

from tests.faults import scenarios as sc

WAYBACK = [s.name for s in sc.by_group("wayback")]


@pytest.mark.parametrize("name", WAYBACK)
def test_wayback_scenario(name, tmp_path):
    out = sc.run_scenario(name, tmp_path)
    assert out.ok, out.explain()
