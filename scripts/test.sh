#!/usr/bin/env bash
# Set up (idempotent) and run the whole test suite: `bash scripts/test.sh`.
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e '.[test,browser]'
# The browser tests need Debian's headless Chromium; install it when we may (root), else they
# are skipped (never downloaded by Playwright: `playwright install` is not used).
if ! command -v chromium-headless-shell >/dev/null 2>&1 && [ ! -x /usr/lib/chromium/chromium-headless-shell ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium-headless-shell) \
      >/dev/null 2>&1 || echo "note: could not install chromium-headless-shell; browser tests will be skipped" >&2
  else
    echo "note: chromium-headless-shell not installed (not root); browser tests will be skipped" >&2
  fi
fi
.venv/bin/ruff check --quiet watcher tests scripts
exec .venv/bin/python -m pytest -q -p no:cacheprovider "$@"
