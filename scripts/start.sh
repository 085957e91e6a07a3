#!/usr/bin/env bash
# Starts the sidecar on its embedded defaults: data under ./.data (override with FORGE_DATA_DIR),
# example devices seeded on first start, the built-in local worker on. Prints the URL (and the admin token on
# the first start; it is kept in the data folder).
# Works on a fresh clone: it installs the workspaces, compiles the TypeScript and builds the page.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/toolchain.sh
bash scripts/install-deps.sh >/dev/null
# The real ESPHome CLI for config resolution and the built-in worker (installed once, cached).
exports=$(bash scripts/ensure-esphome.sh)
eval "$exports"
node_modules/.bin/tsc -b
# The dashboard page the sidecar serves at its root URL (build output, not in git; under a second).
node card/vite/build.ts page >/dev/null
exec node sidecar/dist/cli.js serve "$@"
