"""Security basics, end to end: escaping in e-mail, no shell, TLS verification, secrets,
private file modes, redirects limited to http(s)."""

from __future__ import annotations

import pytest

from tests.faults import scenarios as sc


@pytest.mark.parametrize("name", [s.name for s in sc.by_group("security")])
def test_security(name, tmp_path):
    try:
        out = sc.run_scenario(name, tmp_path)
    except sc.Unavailable as e:
        pytest.skip(str(e))
    assert out.ok, out.explain()
