"""Process and storage faults: kill -9 of the daemon, reads during writes, full disks, schemas.

The daemon runs as a real subprocess and is killed with real signals; disks fill up for real
(a small tmpfs, or RLIMIT_FSIZE in a subprocess). `scripts/chaos.py` runs the kill loop with
50 kills; here it is kept at 5 (override with CHAOS_KILLS).
"""

from __future__ import annotations

import pytest

from tests.faults import scenarios as sc


@pytest.mark.parametrize("name", [s.name for s in sc.by_group("process")])
@pytest.mark.timeout(240)
def test_process_fault(name, tmp_path):
    try:
        out = sc.run_scenario(name, tmp_path)
    except sc.Unavailable as e:
        pytest.skip(str(e))
    assert out.ok, out.explain()
