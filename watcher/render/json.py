"""JSON-ready dicts of analyses (pure)."""

from __future__ import annotations

from typing import Any

from watcher.models import Analysis
from watcher.render.common import sorted_findings

# --------------------------------------------------------------------------------------------
# JSON


def analysis_json(analysis: Analysis) -> dict[str, Any]:
    """A JSON-ready dict of the analysis, findings most severe first."""
    d = analysis.to_dict()
    d["max_severity"] = analysis.max_severity
    d["findings"] = [f.to_dict() for f in sorted_findings(analysis.findings)]
    return d
