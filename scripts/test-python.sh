#!/usr/bin/env bash
# Runs the Home Assistant integration tests (pytest over tests/) in real Home Assistant against a real
# sidecar process (sidecar/dist/cli.js, built by `tsc -b` before this script runs).
# Exits non-zero on any failure, and when no tests were collected.
# Usage: bash scripts/test-python.sh [pytest args…]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/toolchain.sh   # Node 22 on PATH for the sidecar the fixtures start

if [ -z "${FORGE_HA_PYTHON:-}" ] || [ ! -x "$FORGE_HA_PYTHON" ]; then
  eval "$(bash scripts/ensure-python.sh)"
fi

if [ ! -f sidecar/dist/cli.js ]; then
  echo "test-python: sidecar/dist/cli.js is missing; build the TypeScript first (node_modules/.bin/tsc -b)" >&2
  exit 1
fi

# Keep tool caches out of the clone.
export RUFF_CACHE_DIR="${FORGE_CACHE:-$HOME/.cache/esphome-forge}/ruff-cache"
if "$FORGE_HA_PYTHON" -m ruff --version >/dev/null 2>&1; then
  echo "test-python: ruff check + format check" >&2
  "$FORGE_HA_PYTHON" -m ruff check custom_components tests
  "$FORGE_HA_PYTHON" -m ruff format --check custom_components tests
fi

set +e
# With no paths, pytest runs `testpaths` from pyproject.toml (tests/); with paths, only those.
"$FORGE_HA_PYTHON" -m pytest -p no:cacheprovider "$@"
rc=$?
set -e
# pytest exits 5 when nothing was collected: that is a failure here, not a pass.
if [ "$rc" -eq 5 ]; then
  echo "test-python: no tests were collected" >&2
fi
exit "$rc"
