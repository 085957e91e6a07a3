#!/bin/sh
# A stand-in for a Python interpreter, for the ESPHome version manager's tests (no network, no
# real pip). It understands exactly what the manager runs:
#   -c PROBE                       → prints FAKE_PYTHON_VERSION (default 3.13.5)
#   -m venv DIR                    → DIR/bin/python (a copy of this script)
#   -m pip install … esphome==V    → DIR/bin/esphome that prints "Version: V"; like PyPI, releases from
#                                    2026.7.0 on require Python >= 3.12 and pip refuses them (with pip's own
#                                    "Requires-Python" lines) when FAKE_PYTHON_VERSION is older
#   -m pip index versions esphome  → the releases in FAKE_PIP_INDEX (default a short list), or
#                                    fails like an offline pip when FAKE_PIP_INDEX=offline
# Knobs: FAKE_PIP_LOG (append "start V"/"end V" lines), FAKE_PIP_DELAY (seconds), FAKE_PIP_FAIL_ONCE
# (a file: while it exists, pip removes it and fails halfway, leaving a venv without esphome).
set -eu
# A venv keeps its base interpreter's version (written beside the venv's copy of this script).
here="$(dirname "$0")"
if [ -z "${FAKE_PYTHON_VERSION:-}" ] && [ -f "$here/.fake-python-version" ]; then
  FAKE_PYTHON_VERSION="$(cat "$here/.fake-python-version")"
fi
PY_VERSION="${FAKE_PYTHON_VERSION:-3.13.5}"
# Whether this "interpreter" may install ESPHome release $1 (2026.7.0 and later need Python >= 3.12).
python_can_run() {
  py_minor=$(echo "$PY_VERSION" | cut -d. -f2)
  year=$(echo "$1" | cut -d. -f1)
  month=$(echo "$1" | cut -d. -f2)
  [ "$py_minor" -ge 12 ] || [ "$year" -lt 2026 ] || { [ "$year" -eq 2026 ] && [ "$month" -lt 7 ]; }
}
# The comma-separated releases of $1 this interpreter may install (pip's index hides the others).
installable() {
  out=""
  for r in $(echo "$1" | tr ',' ' '); do
    if python_can_run "$r"; then out="${out:+$out, }$r"; fi
  done
  echo "$out"
}
if [ "${1:-}" = "-c" ]; then echo "$PY_VERSION"; exit 0; fi
if [ "${1:-}" = "-m" ] && [ "${2:-}" = "venv" ]; then
  mkdir -p "$3/bin"
  cp "$0" "$3/bin/python"
  chmod +x "$3/bin/python"
  echo "$PY_VERSION" >"$3/bin/.fake-python-version"
  exit 0
fi
if [ "${1:-}" = "-m" ] && [ "${2:-}" = "pip" ] && [ "${3:-}" = "index" ]; then
  [ -n "${FAKE_PIP_LOG:-}" ] && echo "index" >>"$FAKE_PIP_LOG"
  echo "WARNING: pip index is currently an experimental command." >&2
  list="${FAKE_PIP_INDEX:-2026.10.2, 2026.11.0b1, 2026.9.3, 2026.10.10, 2025.12.7}"
  if [ "$list" = "offline" ]; then
    echo "ERROR: No matching distribution found for esphome" >&2
    exit 1
  fi
  list=$(installable "$list")
  echo "esphome (${list%%,*})"
  echo "Available versions: $list"
  exit 0
fi
if [ "${1:-}" = "-m" ] && [ "${2:-}" = "pip" ]; then
  v=""
  for a in "$@"; do case "$a" in esphome==*) v="${a#esphome==}" ;; esac; done
  [ -n "${FAKE_PIP_LOG:-}" ] && echo "start $v" >>"$FAKE_PIP_LOG"
  if ! python_can_run "$v"; then
    echo "ERROR: Ignored the following versions that require a different python version: 2026.7.0 Requires-Python <3.15,>=3.12.0; $v Requires-Python <3.15,>=3.12.0" >&2
    echo "ERROR: Could not find a version that satisfies the requirement esphome==$v (from versions: 2026.6.4, 2026.6.5)" >&2
    echo "ERROR: No matching distribution found for esphome==$v" >&2
    exit 1
  fi
  echo "Collecting esphome==$v"
  sleep "${FAKE_PIP_DELAY:-0}"
  if [ -n "${FAKE_PIP_FAIL_ONCE:-}" ] && [ -e "$FAKE_PIP_FAIL_ONCE" ]; then
    rm -f "$FAKE_PIP_FAIL_ONCE"
    echo "ERROR: Could not install packages due to an OSError: [Errno 28] No space left on device" >&2
    exit 1
  fi
  bindir="$(dirname "$0")"
  printf '#!/bin/sh\necho "Version: %s"\n' "$v" >"$bindir/esphome"
  chmod +x "$bindir/esphome"
  [ -n "${FAKE_PIP_LOG:-}" ] && echo "end $v" >>"$FAKE_PIP_LOG"
  echo "Successfully installed esphome-$v"
  exit 0
fi
echo "fake-python: unexpected arguments: $*" >&2
exit 2
