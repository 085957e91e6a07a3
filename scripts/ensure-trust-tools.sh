#!/usr/bin/env bash
# Independent Sigstore implementations for the content-trust interop tests, installed once into the cache
# folder (outside the clone):
#   cosign (Go, `go install` through the Go module proxy)  -> export FORGE_COSIGN=<path>
#   Espressif's espsecure (PyPI esptool, its own venv)      -> export FORGE_ESPSECURE=<venv espsecure>
#     (checks the Secure Boot V2 signature blocks Forge appends for ESPHome's signed OTA; esptool's image-info
#     checks the test images are valid ESP app images)
# Prints only those `export` lines on stdout (for `eval`); diagnostics go to stderr. A tool that cannot be
# installed here is reported and left out (its tests then skip and say why); this script still exits 0.
# Pins: override with FORGE_COSIGN_VERSION / FORGE_ESPTOOL_VERSION, the interpreter
# with FORGE_PYTHON.
set -euo pipefail

COSIGN_VERSION="${FORGE_COSIGN_VERSION:-v3.1.3}"
ESPTOOL_VERSION="${FORGE_ESPTOOL_VERSION:-5.6.0}"
FORGE_CACHE="${FORGE_CACHE:-$HOME/.cache/esphome-forge}"
log() { echo "ensure-trust-tools: $*" >&2; }

mkdir -p "$FORGE_CACHE/trust-tools"
exec 9>"$FORGE_CACHE/trust-tools/.lock"
flock 9

# --- cosign ---------------------------------------------------------------------------------------
cosign_dir="$FORGE_CACHE/trust-tools/cosign-$COSIGN_VERSION"
cosign="$cosign_dir/cosign"
if [ ! -x "$cosign" ] && command -v go >/dev/null 2>&1; then
  log "building cosign $COSIGN_VERSION with $(go version) (once; a few minutes)"
  mkdir -p "$cosign_dir"
  if ! GOBIN="$cosign_dir" GOFLAGS=-mod=mod go install "github.com/sigstore/cosign/v3/cmd/cosign@$COSIGN_VERSION" >&2; then
    log "go install cosign failed; cosign interop tests will skip"
    rm -rf "$cosign_dir"
  fi
fi
if [ -x "$cosign" ]; then
  printf 'export FORGE_COSIGN=%q\n' "$cosign"
else
  command -v go >/dev/null 2>&1 || log "no Go toolchain; cosign interop tests will skip"
fi

source "$(dirname "$0")/lib/pick-python.sh"

# --- espsecure (esptool) ----------------------------------------------------------------------------
esptool_venv="$FORGE_CACHE/trust-tools/esptool-$ESPTOOL_VERSION"
esptool_marker="$esptool_venv/.installed"
if [ ! -f "$esptool_marker" ] || ! "$esptool_venv/bin/python" -c 'import espsecure' >/dev/null 2>&1; then
  if python="$(pick_python 10)"; then
    log "installing esptool==$ESPTOOL_VERSION with $python into $esptool_venv (once)"
    rm -rf "$esptool_venv"
    if "$python" -m venv "$esptool_venv" >&2 &&
      "$esptool_venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-input "esptool==$ESPTOOL_VERSION" >&2; then
      date -u +%Y-%m-%dT%H:%M:%SZ >"$esptool_marker"
    else
      log "pip install esptool==$ESPTOOL_VERSION failed; espsecure interop tests will skip"
      rm -rf "$esptool_venv"
    fi
  else
    log "no Python >= 3.10 with venv; espsecure interop tests will skip"
  fi
fi
if [ -f "$esptool_marker" ]; then
  printf 'export FORGE_ESPSECURE=%q\n' "$esptool_venv/bin/espsecure"
  printf 'export FORGE_ESPTOOL=%q\n' "$esptool_venv/bin/esptool"
fi
