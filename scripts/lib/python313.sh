# Sourced by the ensure scripts: the project's Python 3.13 (the newest ESPHome releases need >= 3.12, and Home
# Assistant 2026.2 needs >= 3.13.2). `forge_python313` prints a working interpreter, building CPython 3.13 once
# from Debian's trixie source package into $FORGE_CACHE/python-3.13 when none is found; diagnostics go to stderr.
# Order: a working python3.13 on PATH, then pyenv's versions, then the cached build.

# A candidate works when it really runs as 3.13.2 or newer (pyenv shims may refuse; an early 3.13.0 does not do)
# and has the stdlib modules Home Assistant and pip need.
python313_works() {
  [ -n "$1" ] && [ -x "$1" ] || return 1
  "$1" - <<'PY' >/dev/null 2>&1
import sys
assert sys.version_info[:2] == (3, 13) and sys.version_info >= (3, 13, 2)
import ssl, sqlite3, ctypes, lzma, bz2, zlib, venv, ensurepip, uuid  # noqa: F401
PY
}

python313_find() {
  local c
  c=$(command -v python3.13 2>/dev/null || true)
  if python313_works "$c"; then echo "$c"; return 0; fi
  for c in "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.13*/bin/python3.13; do
    if python313_works "$c"; then echo "$c"; return 0; fi
  done
  c="${FORGE_CACHE:-$HOME/.cache/esphome-forge}/python-3.13/bin/python3.13"
  if python313_works "$c"; then echo "$c"; return 0; fi
  return 1
}

python313_build() {
  local cache="${FORGE_CACHE:-$HOME/.cache/esphome-forge}" sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "python3.13: no working Python 3.13 found; building CPython 3.13 from Debian's trixie source package (~4 min)" >&2
  local src_list=/etc/apt/sources.list.d/forge-trixie-src.sources
  if [ ! -f "$src_list" ]; then
    # Derive the deb-src entry from the machine's own Debian source list (same mirror, suite trixie).
    local uri
    uri=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
    if [ -z "$uri" ]; then
      uri=$(awk '$1 == "deb" {for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) {print $i; exit}}' /etc/apt/sources.list 2>/dev/null || true)
    fi
    [ -n "$uri" ] || { echo "python3.13: cannot find the Debian mirror in the machine's apt sources" >&2; return 1; }
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
    ./configure --prefix="$cache/python-3.13" >&2
    make -j2 >&2
    make install >&2
  )
  rm -rf "$work"
}

# Prints the interpreter (found, or built once under a lock so parallel ensure scripts build it only once).
forge_python313() {
  local cache="${FORGE_CACHE:-$HOME/.cache/esphome-forge}" py
  if py=$(python313_find); then echo "$py"; return 0; fi
  mkdir -p "$cache"
  (
    flock 8
    python313_find >/dev/null || python313_build
  ) 8>"$cache/.python-3.13.lock" || return 1
  py=$(python313_find) || { echo "python3.13: the Python 3.13 build did not produce a working interpreter" >&2; return 1; }
  echo "$py"
}
