"""Redirects to private addresses and the headless browser (see fetch_scenarios.py).

The 30 s script-loop scenario runs in scripts/chaos.py; tests/test_browser.py plays the same
attack here with a 4 s deadline.
"""

from __future__ import annotations

import pytest

from tests.faults import scenarios as sc

FETCH = [s.name for s in sc.by_group("fetch") if "script loop" not in s.name]


@pytest.mark.parametrize("name", FETCH)
def test_fetch_scenario(name, tmp_path):
    try:
        out = sc.run_scenario(name, tmp_path)
    except sc.Unavailable as e:
        pytest.skip(str(e))
    assert out.ok, out.explain()
