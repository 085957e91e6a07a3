#!/bin/sh
# A stand-in for a Python interpreter, for the ESPHome version manager's tests (no network, no
# real pip). It understands exactly what the manager runs:
#   -c PROBE                       → prints 3.12.0
#   -m venv DIR                    → DIR/bin/python (a copy of this script)
#   -m pip install … esphome==V    → DIR/bin/esphome that prints "Version: V"
#   -m pip index versions esphome  → the releases in FAKE_PIP_INDEX (default a short list), or
#                                    fails like an offline pip when FAKE_PIP_INDEX=offline
# Knobs: FAKE_PIP_LOG (append "start V"/"end V" lines), FAKE_PIP_DELAY (seconds), FAKE_PIP_FAIL_ONCE
# (a file: while it exists, pip removes it and fails halfway, leaving a venv without esphome).
set -eu
if [ "${1:-}" = "-c" ]; then echo "3.12.0"; exit 0; fi
if [ "${1:-}" = "-m" ] && [ "${2:-}" = "venv" ]; then
  mkdir -p "$3/bin"
  cp "$0" "$3/bin/python"
  chmod +x "$3/bin/python"
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
  echo "esphome (${list%%,*})"
  echo "Available versions: $list"
  exit 0
fi
if [ "${1:-}" = "-m" ] && [ "${2:-}" = "pip" ]; then
  v=""
  for a in "$@"; do case "$a" in esphome==*) v="${a#esphome==}" ;; esac; done
  [ -n "${FAKE_PIP_LOG:-}" ] && echo "start $v" >>"$FAKE_PIP_LOG"
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
