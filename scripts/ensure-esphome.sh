#!/usr/bin/env bash
# Installs one pinned ESPHome release from PyPI into its own venv under the cache folder (outside the clone),
# once. Prints exactly one line to stdout for `eval`:  export FORGE_ESPHOME_BIN=<path to esphome>
# Everything else goes to stderr. Re-runs are no-ops once the completed-install marker exists; a half-finished
# install (no marker, or a venv whose interpreter vanished) is wiped and redone.
#
# Pin: the newest release (2026.10.0, the first with signed OTA `verification_keys`). Releases since 2026.7 need
# Python >= 3.12, so the venv is made with the project's Python 3.13 (scripts/lib/python313.sh: found, or built
# once into the cache). Override with FORGE_ESPHOME_VERSION / FORGE_PYTHON (an interpreter that can run that
# release); a release the interpreter cannot install fails here with pip's Requires-Python reason.
set -euo pipefail

ESPHOME_VERSION="${FORGE_ESPHOME_VERSION:-2026.10.0}"
FORGE_CACHE="${FORGE_CACHE:-$HOME/.cache/esphome-forge}"
prefix="$FORGE_CACHE/esphome/$ESPHOME_VERSION"
venv="$prefix/venv"
marker="$prefix/.installed"
bin="$venv/bin/esphome"

log() { echo "ensure-esphome: $*" >&2; }

installed_ok() {
  [ -f "$marker" ] && [ -x "$bin" ] && "$venv/bin/python" -c 'import esphome' >/dev/null 2>&1
}

source "$(dirname "$0")/lib/python313.sh"

if ! installed_ok; then
  mkdir -p "$FORGE_CACHE/esphome"
  # One installer at a time (parallel test runs share the cache).
  exec 9>"$FORGE_CACHE/esphome/.lock"
  flock 9
  if ! installed_ok; then
    if [ -n "${FORGE_PYTHON:-}" ]; then
      python="$FORGE_PYTHON"
    else
      python="$(forge_python313)" || { log "no Python 3.13 (see above; or set FORGE_PYTHON)"; exit 1; }
    fi
    log "installing ESPHome $ESPHOME_VERSION with $python into $prefix (once; takes a minute or two)"
    rm -rf "$prefix"
    mkdir -p "$prefix"
    start=$(date +%s)
    "$python" -m venv "$venv" >&2
    pip_log="$prefix/pip.log"
    if ! "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-input "esphome==$ESPHOME_VERSION" >"$pip_log" 2>&1; then
      # pip's "Ignored ... versions that require a different python version" line names the release's range.
      needs=$(grep -o "$ESPHOME_VERSION Requires-Python [^;]*" "$pip_log" | head -1 | sed 's/.*Requires-Python //' || true)
      if [ -n "$needs" ]; then
        log "ESPHome $ESPHOME_VERSION requires Python $needs; $python is $("$python" -c 'import sys; print(sys.version.split()[0])')"
      else
        tail -5 "$pip_log" >&2
        log "pip install esphome==$ESPHOME_VERSION failed"
      fi
      rm -rf "$prefix"
      exit 1
    fi
    rm -f "$pip_log"
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
