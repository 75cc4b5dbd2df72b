#!/usr/bin/env bash
# Set up (idempotent) and run the offline demo end to end: `bash scripts/demo.sh`.
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e .
exec .venv/bin/watcher demo "$@"
