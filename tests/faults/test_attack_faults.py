"""Issue 13's attacks played end to end against the real CLI (see attack_scenarios.py).

Each scenario runs once here (the slowest, the PDF bomb, ~10 s); `scripts/chaos.py -k attack`
prints their timings and peak memory.
"""

from __future__ import annotations

import pytest

from tests.faults import scenarios as sc

ATTACK = [s.name for s in sc.by_group("attack")]


@pytest.mark.parametrize("name", ATTACK)
def test_attack_scenario(name, tmp_path):
    try:
        out = sc.run_scenario(name, tmp_path)
    except sc.Unavailable as e:
        pytest.skip(str(e))
    assert out.ok, out.explain()
