#!/usr/bin/env bash
# `npm run bench`: builds, then runs every benchmark (tables on stdout, JSON in bench-results/).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/toolchain.sh
bash scripts/install-deps.sh >/dev/null
node_modules/.bin/tsc -b
# The real ESPHome CLI (installed once into the tool cache), so its benchmarks never skip.
eval "$(bash scripts/ensure-esphome.sh)"
node sidecar/dist/bench/run.js
if [ -f card/package.json ] && grep -q '"bench"' card/package.json; then
  for ensure in scripts/ensure-chromium.sh; do [ -f "$ensure" ] && eval "$(bash "$ensure")"; done
  npm run --silent -w card build
  npm run --silent -w card bench
fi
