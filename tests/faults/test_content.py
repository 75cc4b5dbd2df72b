"""End to end: a whole `watcher check` against hostile servers and hostile or odd content.

Each scenario (see `scenarios.py`) stores a good version first, serves the fault, checks, then
serves the good page again. It must end with a clean exit, the failure recorded against the
watch with a readable cause, no version made from garbage, no false change report, nothing lost.
The fetch-level behaviour of the same faults is in `test_network.py`.
"""

from __future__ import annotations

import pytest

from tests.faults import scenarios as sc

CHECK_LEVEL = [s.name for s in sc.by_group("network") + sc.by_group("content")]


@pytest.mark.parametrize("name", CHECK_LEVEL)
def test_check_survives(name, tmp_path):
    out = sc.run_scenario(name, tmp_path)
    assert out.ok, out.explain()
