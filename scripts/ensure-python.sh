#!/usr/bin/env bash
# Provisions Python 3.13 and a venv with requirements_test.txt for the Home Assistant integration tests.
# Prints exactly one line on stdout: `export FORGE_HA_PYTHON=<venv python>`; diagnostics go to stderr.
# Order: a working python3.13 on PATH, then pyenv's versions, else CPython 3.13 built once from Debian's
# trixie source package into $FORGE_CACHE/python-3.13. Idempotent: the venv is only refreshed when the
# hash of requirements_test.txt changes.
set -euo pipefail
cd "$(dirname "$0")/.."

FORGE_CACHE="${FORGE_CACHE:-$HOME/.cache/esphome-forge}"
mkdir -p "$FORGE_CACHE"
VENV="$FORGE_CACHE/ha-venv"
REQS="$PWD/requirements_test.txt"
log() { echo "ensure-python: $*" >&2; }

# A candidate works when it really runs as 3.13.2 or newer (pyenv shims may refuse; Home Assistant 2026.2
# requires >= 3.13.2, so an early 3.13.0 does not do) and has the stdlib modules Home Assistant needs.
works() {
  [ -n "$1" ] && [ -x "$1" ] || return 1
  "$1" - <<'PY' >/dev/null 2>&1
import sys
assert sys.version_info[:2] == (3, 13) and sys.version_info >= (3, 13, 2)
import ssl, sqlite3, ctypes, lzma, bz2, zlib, venv, uuid  # noqa: F401
PY
}

find_python() {
  local c
  c=$(command -v python3.13 2>/dev/null || true)
  if works "$c"; then echo "$c"; return 0; fi
  for c in "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.13*/bin/python3.13; do
    if works "$c"; then echo "$c"; return 0; fi
  done
  c="$FORGE_CACHE/python-3.13/bin/python3.13"
  if works "$c"; then echo "$c"; return 0; fi
  return 1
}

build_python() {
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  log "no working Python 3.13 found; building CPython 3.13 from Debian's trixie source package (~4 min)"
  local src_list=/etc/apt/sources.list.d/forge-trixie-src.sources
  if [ ! -f "$src_list" ]; then
    # Derive the deb-src entry from the machine's own Debian source list (same mirror, suite trixie).
    local uri
    uri=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
    if [ -z "$uri" ]; then
      uri=$(awk '$1 == "deb" {for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) {print $i; exit}}' /etc/apt/sources.list 2>/dev/null || true)
    fi
    [ -n "$uri" ] || { log "cannot find the Debian mirror in the machine's apt sources"; exit 1; }
    printf 'Types: deb-src\nURIs: %s\nSuites: trixie\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' "$uri" \
      | $sudo tee "$src_list" >/dev/null
  fi
  $sudo apt-get update >&2
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y build-essential dpkg-dev libssl-dev libffi-dev zlib1g-dev \
    libsqlite3-dev libbz2-dev liblzma-dev libreadline-dev uuid-dev >&2
  local work
  work=$(mktemp -d)
  (
    cd "$work"
    apt-get source --download-only python3.13 >&2
    dpkg-source -x --skip-patches ./python3.13_*.dsc src >&2
    cd src
    ./configure --prefix="$FORGE_CACHE/python-3.13" >&2
    make -j2 >&2
    make install >&2
  )
  rm -rf "$work"
}

PY=$(find_python || true)
if [ -z "$PY" ]; then
  build_python
  PY=$(find_python) || { log "the Python 3.13 build did not produce a working interpreter"; exit 1; }
fi
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
