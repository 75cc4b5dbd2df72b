"""Two writers at once and rotating pages (see concurrency_scenarios.py)."""

from __future__ import annotations

import pytest

from tests.faults import scenarios as sc


@pytest.mark.parametrize("name", [s.name for s in sc.by_group("concurrency")])
@pytest.mark.timeout(240)
def test_concurrency_scenario(name, tmp_path):
    try:
        out = sc.run_scenario(name, tmp_path)
    except sc.Unavailable as e:
        pytest.skip(str(e))
    assert out.ok, out.explain()
