"""Hostile SMTP servers, oversized reports, URL credentials, a webhook outage
(see notify_scenarios.py)."""

from __future__ import annotations

import pytest

from tests.faults import scenarios as sc

NOTIFY = [s.name for s in sc.by_group("notify")]


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
@pytest.mark.parametrize("name", NOTIFY)
def test_notify_scenario(name, tmp_path):
    out = sc.run_scenario(name, tmp_path)
    assert out.ok, out.explain()
