#!/usr/bin/env bash
# Starts the sidecar on its embedded defaults: data under ./.data (override with FORGE_DATA_DIR),
# example devices seeded on first start, the built-in local worker on. Prints the URL (and the admin token on
# the first start; it is kept in the data folder).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/toolchain.sh
bash scripts/install-deps.sh >/dev/null
# The real ESPHome CLI for config resolution and the built-in worker (installed once, cached).
exports=$(bash scripts/ensure-esphome.sh)
eval "$exports"
node_modules/.bin/tsc -b
exec node sidecar/dist/cli.js serve "$@"
