"""Issue 13's attacks played end to end against the real CLI (see attack_scenarios.py).

Each scenario runs once here (the slowest, the PDF bomb, ~10 s); `scripts/chaos.py -k attack`
runs them with their timings and peak memory in the notes.
"""

from __future__ import annotations

import pytest

from tests.faults import scenarios as sc

# Not held on main until the CLI's output hygiene (issue 13 points 4-5 and the Low config /
# number items, engineer "cli") lands; non-strict so they pass the day it does.
PENDING_CLI = {
    "terminal escapes in page text",
    "rich markup in page text",
    "absurd config values",
    "TOML nested 5,000 deep",
    "out-of-range numbers and odd charsets",
}


def _param(name: str):  # noqa: ANN202 - a pytest ParameterSet
    if name in PENDING_CLI:
        why = "issue 13: the CLI escaping / config bounds are not on main yet"
        return pytest.param(name, marks=pytest.mark.xfail(reason=why, strict=False))
    return name


ATTACK = [_param(s.name) for s in sc.by_group("attack")]


@pytest.mark.parametrize("name", ATTACK)
def test_attack_scenario(name, tmp_path):
    try:
        out = sc.run_scenario(name, tmp_path)
    except sc.Unavailable as e:
        pytest.skip(str(e))
    assert out.ok, out.explain()
