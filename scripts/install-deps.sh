#!/usr/bin/env bash
# Installs the npm workspaces exactly as locked. Skips the work when node_modules matches the lock
# and was built for the Node ABI in use (better-sqlite3 is native).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/toolchain.sh
stamp=node_modules/.forge-install-stamp
want="$(sha256sum package-lock.json | cut -d' ' -f1) $(node -p process.versions.modules)"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  echo "node_modules up to date"
  exit 0
fi
# One npm at a time in this tree (parallel runs would tear node_modules apart).
exec 9>"$FORGE_CACHE/npm.lock"
flock 9
npm ci --no-audit --no-fund --loglevel=error 2>&1 | grep -v 'Unknown \(env\|user\) config' || true
node -e "require('better-sqlite3')(':memory:').close()" || { echo "better-sqlite3 did not build" >&2; exit 1; }
echo "$want" > "$stamp"
