#!/usr/bin/env bash
# Makes Debian's `chromium` package available for the browser tests and the card benchmark
# (playwright-core drives it; `npx playwright install` cannot download browsers here).
# Idempotent and quiet: installs only when /usr/bin/chromium is missing.
# stdout: exactly `export FORGE_CHROMIUM=/usr/bin/chromium`; diagnostics go to stderr.
set -euo pipefail

CHROMIUM=/usr/bin/chromium

if [ ! -x "$CHROMIUM" ]; then
  echo "ensure-chromium: installing Debian's chromium package" >&2
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then SUDO="sudo -n"; else
      echo "ensure-chromium: not root and no sudo; install the 'chromium' package by hand" >&2
      exit 1
    fi
  fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq >&2
  $SUDO apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >&2
  if [ ! -x "$CHROMIUM" ]; then
    echo "ensure-chromium: apt-get finished but $CHROMIUM is still missing" >&2
    exit 1
  fi
fi

"$CHROMIUM" --version >&2 2>/dev/null || true
echo "export FORGE_CHROMIUM=$CHROMIUM"
