#!/usr/bin/env bash
# The whole test suite: provisions what it needs (idempotently, cached under ~/.cache/esphome-forge),
# then typechecks, lints and runs every test. Usage: npm test  (or: bash scripts/test.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/toolchain.sh

step() { printf '\n== %s ==\n' "$*"; }

step "dependencies"
bash scripts/install-deps.sh

for ensure in scripts/ensure-*.sh; do
  [ -f "$ensure" ] || continue
  step "$(basename "$ensure" .sh)"
  # Each ensure script prints `export VAR=value` lines for the tests to find what it installed.
  exports=$(bash "$ensure")   # a failing ensure script stops the run here (set -e)
  eval "$exports"
done

step "build + typecheck"
node_modules/.bin/tsc -b
node_modules/.bin/tsc -p sidecar/tsconfig.test.json   # the tests and their support code are typechecked too
[ -f card/package.json ] && grep -q '"build"' card/package.json && npm run --silent -w card build

step "lint + format"
node_modules/.bin/eslint .
node_modules/.bin/prettier --check --log-level warn .

step "unit + process tests (vitest)"
node_modules/.bin/vitest run

if [ -f scripts/test-python.sh ]; then
  step "Home Assistant integration tests (pytest)"
  bash scripts/test-python.sh
fi
