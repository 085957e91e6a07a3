# Sourced by the ensure scripts: `pick_python MINOR` prints the first interpreter that is Python
# 3.MINOR or newer and can create venvs (FORGE_PYTHON first, then the usual names); fails if none.
pick_python() {
  local min_minor="$1" c
  for c in "${FORGE_PYTHON:-}" python3 /usr/bin/python3 python3.13 python3.12 python3.11; do
    [ -n "$c" ] || continue
    command -v "$c" >/dev/null 2>&1 || continue
    if "$c" -c "import sys, venv, ensurepip; sys.exit(0 if sys.version_info >= (3, $min_minor) else 1)" >/dev/null 2>&1; then
      command -v "$c"
      return 0
    fi
  done
  return 1
}
