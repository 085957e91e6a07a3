#!/usr/bin/env bash
# Provisions Python 3.13 and a venv with requirements_test.txt for the Home Assistant integration tests.
# Prints exactly one line on stdout: `export FORGE_HA_PYTHON=<venv python>`; diagnostics go to stderr.
# The interpreter comes from scripts/lib/python313.sh (python3.13 on PATH, pyenv, else CPython 3.13 built once
# from Debian's trixie source package into $FORGE_CACHE/python-3.13; ESPHome's venv uses the same one).
# Idempotent: the venv is only refreshed when the hash of requirements_test.txt changes.
set -euo pipefail
cd "$(dirname "$0")/.."

FORGE_CACHE="${FORGE_CACHE:-$HOME/.cache/esphome-forge}"
mkdir -p "$FORGE_CACHE"
VENV="$FORGE_CACHE/ha-venv"
REQS="$PWD/requirements_test.txt"
log() { echo "ensure-python: $*" >&2; }

source scripts/lib/python313.sh
PY=$(forge_python313) || { log "no Python 3.13 (see above)"; exit 1; }
log "using $PY"

# The venv is recreated when its interpreter changes, and pip runs again when requirements_test.txt
# changes (its hash is kept in a stamp file); otherwise nothing is done.
STAMP="$VENV/.forge-requirements.sha256"
want_py="$("$PY" -c 'import sys; print(sys.version.split()[0])')"
have_py="$("$VENV/bin/python" -c 'import sys; print(sys.version.split()[0])' 2>/dev/null || true)"
if [ "$have_py" != "$want_py" ]; then
  log "creating venv $VENV (Python $want_py)"
  rm -rf "$VENV"
  "$PY" -m venv "$VENV" >&2
  "$VENV/bin/python" -m pip install --quiet --upgrade pip >&2
fi
want="$(sha256sum "$REQS" | cut -d' ' -f1)"
if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$want" ]; then
  log "venv up to date ($VENV)"
else
  log "installing requirements_test.txt into $VENV (Home Assistant takes a few minutes the first time)"
  "$VENV/bin/python" -m pip install -r "$REQS" >&2
  echo "$want" >"$STAMP"
fi

echo "export FORGE_HA_PYTHON=$VENV/bin/python"
