"""SMTP trouble: refused, authentication failure, a timeout in the middle of DATA, a 4xx.

Real aiosmtpd server on 127.0.0.1; delivery through `watcher outbox retry`. Every report ends
delivered exactly once, with the failure recorded on its outbox row meanwhile.
"""

from __future__ import annotations

import pytest

from tests.faults import scenarios as sc


@pytest.mark.parametrize("name", [s.name for s in sc.by_group("email")])
def test_email_fault(name, tmp_path):
    out = sc.run_scenario(name, tmp_path)
    assert out.ok, out.explain()
