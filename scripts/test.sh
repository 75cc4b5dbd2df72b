#!/usr/bin/env bash
# Set up (idempotent) and run the whole test suite: `bash scripts/test.sh`.
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
.venv/bin/ruff check --quiet watcher tests scripts
exec .venv/bin/python -m pytest -q -p no:cacheprovider "$@"
