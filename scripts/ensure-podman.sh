#!/usr/bin/env bash
# Podman, and the base images our Dockerfiles start FROM, made locally: no registry of container
# images is reachable from our machines, so the images are built from a root file system made here.
#   - a Debian trixie root file system by debootstrap (cached as a tarball);
#   - docker.io/library/node:22-trixie-slim = that + Node 22 (the npm registry's node-linux-<arch>
#     package) and npm 10 in /usr/local, as the official image lays them out;
#   - ghcr.io/home-assistant/<arch>-base-debian:trixie = that + the packages HA's base image adds
#     (bash, jq, curl, tzdata, xz-utils, ca-certificates).
# Both carry this machine's CA bundle (with pip and Node told to use it) and Node's headers for
# node-gyp, and build native modules from source: our machines reach the package registries only
# through a TLS-inspecting proxy and nothing else (no header or prebuilt-binary downloads). Everything lives under $FORGE_CACHE/podman (its own
# storage), so the system's podman is left alone.
# The image test is opt-in (FORGE_IMAGE_TESTS=1): a cold run takes about 20 minutes on 2 cores (Debian,
# ESPHome twice, better-sqlite3 compiled twice) and a run after a code change about 8, too much for the
# default suite; unchanged code reuses every layer.
# stdout: `export FORGE_PODMAN=…` and `export CONTAINERS_CONF=… CONTAINERS_STORAGE_CONF=…`, or nothing when
# the image test is off or podman cannot run containers here (the test then skips and says why);
# diagnostics on stderr.
set -euo pipefail
cd "$(dirname "$0")/.."
log() { echo "ensure-podman: $*" >&2; }

# Off by default: nothing installed, built or even looked up.
if [ "${FORGE_IMAGE_TESTS:-}" != "1" ]; then
  log "the container image test is off (FORGE_IMAGE_TESTS=1 turns it on)"
  exit 0
fi
source scripts/toolchain.sh >/dev/null
FORGE_CACHE="${FORGE_CACHE:-$HOME/.cache/esphome-forge}"
NODE_VERSION="${FORGE_NODE_VERSION:-22.23.3}"
dir="$FORGE_CACHE/podman"
mkdir -p "$dir"
exec 9>"$dir/.lock"
flock 9

case "$(uname -m)" in
  x86_64) ARCH=amd64 NODE_ARCH=x64 ;;
  aarch64) ARCH=aarch64 NODE_ARCH=arm64 ;;
  *) log "no base images for $(uname -m)"; exit 0 ;;
esac

if ! command -v podman >/dev/null || ! command -v runc >/dev/null || ! command -v debootstrap >/dev/null ||
  [ ! -x /usr/libexec/podman/catatonit ]; then
  if [ "$(id -u)" -ne 0 ] && ! sudo -n true 2>/dev/null; then
    log "podman, runc, catatonit and debootstrap are missing and this user cannot install them; the image test will skip"
    exit 0
  fi
  SUDO=$([ "$(id -u)" -eq 0 ] || echo "sudo -n")
  log "installing Debian's podman, runc, catatonit (--init) and debootstrap"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends podman runc catatonit debootstrap >&2 ||
    { log "apt-get install failed; the image test will skip"; exit 0; }
fi

# Our own storage and settings: runc (crun refuses hybrid cgroup hierarchies), cgroupfs, ulimits
# within what an unprivileged container host allows.
cat >"$dir/containers.conf" <<EOF
[containers]
default_ulimits = ["nofile=16384:16384", "nproc=8192:8192"]
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
EOF
cat >"$dir/storage.conf" <<EOF
[storage]
driver = "overlay"
graphroot = "$dir/storage"
runroot = "$dir/run"
EOF
export CONTAINERS_CONF="$dir/containers.conf" CONTAINERS_STORAGE_CONF="$dir/storage.conf"

if ! podman run --rm --network none --pull=never docker.io/library/node:22-trixie-slim true 2>/dev/null; then
  rootfs="$FORGE_CACHE/images/trixie-minbase-$ARCH.tar"
  if [ ! -f "$rootfs" ]; then
    log "making a Debian trixie root file system with debootstrap (once, a few minutes)"
    mkdir -p "$(dirname "$rootfs")"
    tmp=$(mktemp -d)
    debootstrap --variant=minbase --include=ca-certificates trixie "$tmp/root" http://deb.debian.org/debian >&2 ||
      { log "debootstrap failed; the image test will skip"; rm -rf "$tmp"; exit 0; }
    rm -rf "$tmp/root/var/cache/apt/archives/"*.deb "$tmp/root/var/lib/apt/lists/"*
    tar -C "$tmp/root" -cf "$rootfs.part" . && mv "$rootfs.part" "$rootfs"
    rm -rf "$tmp"
  fi
  ctx=$(mktemp -d)
  trap 'rm -rf "$ctx"' EXIT
  podman import "$rootfs" localhost/forge-trixie-rootfs:latest >/dev/null
  # This machine's CA bundle, and npm and pip told to use it (see the header).
  # Every certificate of this machine's bundle as a local CA, so Debian's update-ca-certificates
  # (run again by later package installs) keeps them.
  mkdir -p "$ctx/cas"
  awk -v dir="$ctx/cas" '/BEGIN CERTIFICATE/{n++} n{print > (dir "/host-" n ".crt")}' /etc/ssl/certs/ca-certificates.crt
  printf '[global]\ncert = /etc/ssl/certs/ca-certificates.crt\n' >"$ctx/pip.conf"
  (cd "$ctx" && npm pack --silent "node-linux-$NODE_ARCH@$NODE_VERSION" "npm@10" >/dev/null)
  mkdir -p "$ctx/node" "$ctx/npm" && tar -xzf "$ctx"/node-linux-*.tgz -C "$ctx/node" && tar -xzf "$ctx"/npm-*.tgz -C "$ctx/npm"
  cat >"$ctx/Containerfile.node" <<'EOF'
FROM localhost/forge-trixie-rootfs:latest
COPY node/package/bin/node /usr/local/bin/node
COPY node/package/include /usr/local/include
COPY npm/package /usr/local/lib/node_modules/npm
COPY cas /usr/local/share/ca-certificates
COPY pip.conf /etc/pip.conf
RUN update-ca-certificates >/dev/null 2>&1 \
    && ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \
    && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx
ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt \
    npm_config_nodedir=/usr/local \
    npm_config_build_from_source=true
CMD ["node"]
EOF
  cat >"$ctx/Containerfile.ha" <<'EOF'
FROM localhost/forge-trixie-rootfs:latest
COPY cas /usr/local/share/ca-certificates
COPY pip.conf /etc/pip.conf
COPY node/package/include /usr/local/include
RUN apt-get update && apt-get install -y --no-install-recommends bash jq tzdata curl ca-certificates xz-utils \
    && update-ca-certificates >/dev/null 2>&1 && rm -rf /var/lib/apt/lists/*
ENV LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive \
    NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt \
    npm_config_nodedir=/usr/local \
    npm_config_build_from_source=true
EOF
  log "building the local node:22-trixie-slim and HA base-debian:trixie images"
  podman build --network host --pull=never -f "$ctx/Containerfile.node" -t docker.io/library/node:22-trixie-slim "$ctx" >&2
  podman build --network host --pull=never -f "$ctx/Containerfile.ha" -t "ghcr.io/home-assistant/$ARCH-base-debian:trixie" "$ctx" >&2
fi

if ! podman run --rm --network none --pull=never docker.io/library/node:22-trixie-slim node -e 'process.exit(0)' >&2; then
  log "podman cannot run a container here; the image test will skip"
  exit 0
fi
printf 'export FORGE_PODMAN=%q\n' "$(command -v podman)"
printf 'export CONTAINERS_CONF=%q\n' "$CONTAINERS_CONF"
printf 'export CONTAINERS_STORAGE_CONF=%q\n' "$CONTAINERS_STORAGE_CONF"
