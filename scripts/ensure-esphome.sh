#!/usr/bin/env bash
# Installs one pinned ESPHome release from PyPI into its own venv under the cache folder (outside the clone),
# once. Prints exactly one line to stdout for `eval`:  export FORGE_ESPHOME_BIN=<path to esphome>
# Everything else goes to stderr. Re-runs are no-ops once the completed-install marker exists; a half-finished
# install (no marker, or a venv whose interpreter vanished) is wiped and redone.
#
# Pin: the newest release that installs on the machines' Python 3.11 (2026.7+ needs Python >= 3.12).
# Override with FORGE_ESPHOME_VERSION / FORGE_PYTHON (an interpreter >= 3.11) when needed.
set -euo pipefail

ESPHOME_VERSION="${FORGE_ESPHOME_VERSION:-2026.6.5}"
FORGE_CACHE="${FORGE_CACHE:-$HOME/.cache/esphome-forge}"
prefix="$FORGE_CACHE/esphome/$ESPHOME_VERSION"
venv="$prefix/venv"
marker="$prefix/.installed"
bin="$venv/bin/esphome"

log() { echo "ensure-esphome: $*" >&2; }

installed_ok() {
  [ -f "$marker" ] && [ -x "$bin" ] && "$venv/bin/python" -c 'import esphome' >/dev/null 2>&1
}

source "$(dirname "$0")/lib/pick-python.sh"

if ! installed_ok; then
  mkdir -p "$FORGE_CACHE/esphome"
  # One installer at a time (parallel test runs share the cache).
  exec 9>"$FORGE_CACHE/esphome/.lock"
  flock 9
  if ! installed_ok; then
    python="$(pick_python 11)" || { log "no Python >= 3.11 with venv/ensurepip found (set FORGE_PYTHON)"; exit 1; }
    log "installing ESPHome $ESPHOME_VERSION with $python into $prefix (once; takes a few minutes)"
    rm -rf "$prefix"
    mkdir -p "$prefix"
    start=$(date +%s)
    "$python" -m venv "$venv" >&2
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-input "esphome==$ESPHOME_VERSION" >&2 || {
      log "pip install esphome==$ESPHOME_VERSION failed"
      rm -rf "$prefix"
      exit 1
    }
    got="$("$bin" version 2>&1 || true)"
    case "$got" in
      *"$ESPHOME_VERSION"*) ;;
      *) log "installed esphome does not run as expected: $got"; rm -rf "$prefix"; exit 1 ;;
    esac
    echo "$ESPHOME_VERSION $(date -u +%Y-%m-%dT%H:%M:%SZ)" >"$marker"
    log "ESPHome $ESPHOME_VERSION ready in $(( $(date +%s) - start )) s"
  fi
  flock -u 9
fi

printf 'export FORGE_ESPHOME_BIN=%q\n' "$bin"
