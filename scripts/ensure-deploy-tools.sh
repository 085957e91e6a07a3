#!/usr/bin/env bash
# What the deployment tests check against (deploy/: the worker chart, compose.yaml), all made once into
# the cache folder (outside the clone):
#   compose spec  the Compose Specification's JSON schema (schema/compose-spec.json in the
#                 github.com/compose-spec/compose-go/v2 module; under a second, 4 MB)
#                                                                  -> export FORGE_COMPOSE_SCHEMA=<file>
#   helm          go install helm.sh/helm/v3/cmd/helm        -> export FORGE_HELM=<path>
#   kubeconform   go install github.com/yannh/kubeconform    -> export FORGE_KUBECONFORM=<path>
#   schemas       Kubernetes' OpenAPI document (api/openapi-spec/swagger.json in the k8s.io/kubernetes
#                 module) and KEDA's CRDs (config/crd/bases in the github.com/kedacore/keda/v2 module),
#                 both from the Go module proxy, turned into kubeconform's per-kind strict schemas by
#                 scripts/lib/k8s-json-schemas.mjs                -> export FORGE_K8S_SCHEMAS=<dir>
# The chart's tools are costly on a fresh machine: building helm and kubeconform (and Go's standard
# library with them) took 5 min 43 s on a busy 2-core machine, and 1.4 GB of Go caches. So they are
# made only when asked, FORGE_DEPLOY_TESTS=1, and otherwise used when an earlier run left them in the
# cache (free); FORGE_DEPLOY_TESTS=0 leaves them out. Without them the chart tests skip and say why;
# the compose and Dockerfile checks always run.
# kubeconform's default schema location (a GitHub repository) is not reachable from our machines.
# Prints only the export lines on stdout (for `eval`); diagnostics go to stderr. Without Go it prints
# nothing (the tests skip with the reason); it fails when something asked for cannot be made. Pins:
# FORGE_HELM_VERSION, FORGE_KUBECONFORM_VERSION, FORGE_K8S_VERSION, FORGE_KEDA_VERSION, FORGE_COMPOSE_GO_VERSION.
set -euo pipefail
cd "$(dirname "$0")/.."

HELM_VERSION="${FORGE_HELM_VERSION:-v3.22.0}"
KUBECONFORM_VERSION="${FORGE_KUBECONFORM_VERSION:-v0.8.0}"
K8S_VERSION="${FORGE_K8S_VERSION:-v1.34.2}"
KEDA_VERSION="${FORGE_KEDA_VERSION:-v2.20.2}"
COMPOSE_GO_VERSION="${FORGE_COMPOSE_GO_VERSION:-v2.17.0}"
FORGE_CACHE="${FORGE_CACHE:-$HOME/.cache/esphome-forge}"
dir="$FORGE_CACHE/deploy-tools"
log() { echo "ensure-deploy-tools: $*" >&2; }

if ! command -v go >/dev/null 2>&1; then
  log "no Go toolchain: the compose and chart tests skip (install Debian's golang package, or Go from go.dev)"
  [ "${FORGE_DEPLOY_TESTS:-}" = "1" ] && exit 1
  exit 0
fi
mkdir -p "$dir"
exec 9>"$dir/.lock"
flock 9

# A module's zip from the Go module proxy (the module's own go directive may be newer than this Go:
# the zip is downloaded all the same, so only its presence counts).
module_zip() {
  local json
  json=$(cd "$dir" && go mod download -json "$1@$2" 2>/dev/null || true)
  node -e 'const j=JSON.parse(require("fs").readFileSync(0,"utf8")); if(!j.Zip||!require("fs").existsSync(j.Zip)) process.exit(1); console.log(j.Zip)' <<<"$json"
}

# Members of a zip whose names start with a prefix, flattened into a folder (python3: no unzip needed).
extract() {
  python3 - "$@" <<'PY'
import os, sys, zipfile
archive, prefix, out = sys.argv[1:4]
os.makedirs(out, exist_ok=True)
with zipfile.ZipFile(archive) as z:
    names = [n for n in z.namelist() if n.startswith(prefix) and not n.endswith("/")]
    if not names:
        sys.exit(f"nothing under {prefix} in {archive}")
    for n in names:
        with open(os.path.join(out, os.path.basename(n)), "wb") as f:
            f.write(z.read(n))
PY
}

compose_schema="$dir/compose-spec-$COMPOSE_GO_VERSION.json"
if [ ! -f "$compose_schema" ]; then
  log "fetching the Compose Specification's schema (compose-go $COMPOSE_GO_VERSION)"
  compose_zip=$(module_zip github.com/compose-spec/compose-go/v2 "$COMPOSE_GO_VERSION") || { log "cannot download compose-go"; exit 1; }
  tmp2=$(mktemp -d)
  extract "$compose_zip" "github.com/compose-spec/compose-go/v2@$COMPOSE_GO_VERSION/schema/compose-spec.json" "$tmp2"
  mv "$tmp2/compose-spec.json" "$compose_schema" && rm -rf "$tmp2"
fi

helm_bin="$dir/helm-$HELM_VERSION/helm"
kubeconform_bin="$dir/kubeconform-$KUBECONFORM_VERSION/kubeconform"
schemas="$dir/schemas-$K8S_VERSION-keda-$KEDA_VERSION"
chart_tools_ready() { [ -x "$helm_bin" ] && [ -x "$kubeconform_bin" ] && [ -f "$schemas/.complete" ]; }

build() { # name, module path, version
  local bin="$dir/$1-$3/$1"
  if [ ! -x "$bin" ]; then
    log "building $1 $3 with $(go version) (once; a few minutes)"
    mkdir -p "$(dirname "$bin")"
    GOBIN="$(dirname "$bin")" GOFLAGS=-mod=mod go install "$2@$3" >&2
  fi
}

case "${FORGE_DEPLOY_TESTS:-}" in
  1)
    build helm helm.sh/helm/v3/cmd/helm "$HELM_VERSION"
    build kubeconform github.com/yannh/kubeconform/cmd/kubeconform "$KUBECONFORM_VERSION"
    if [ ! -f "$schemas/.complete" ]; then
      log "generating kubeconform schemas for Kubernetes $K8S_VERSION and KEDA $KEDA_VERSION"
      k8s_zip=$(module_zip k8s.io/kubernetes "$K8S_VERSION") || { log "cannot download k8s.io/kubernetes@$K8S_VERSION"; exit 1; }
      keda_zip=$(module_zip github.com/kedacore/keda/v2 "$KEDA_VERSION") || { log "cannot download KEDA $KEDA_VERSION"; exit 1; }
      tmp=$(mktemp -d)
      trap 'rm -rf "$tmp"' EXIT
      extract "$k8s_zip" "k8s.io/kubernetes@$K8S_VERSION/api/openapi-spec/swagger.json" "$tmp"
      extract "$keda_zip" "github.com/kedacore/keda/v2@$KEDA_VERSION/config/crd/bases/keda.sh_" "$tmp/crds"
      rm -rf "$schemas" && mkdir -p "$schemas"
      node scripts/lib/k8s-json-schemas.mjs "$tmp/swagger.json" "$tmp/crds" "$schemas" >&2
      date -u +%Y-%m-%dT%H:%M:%SZ >"$schemas/.complete"
    fi
    ;;
  0) log "the chart tests are off (FORGE_DEPLOY_TESTS=0)" ;;
  *) chart_tools_ready || log "helm and kubeconform are not built: the chart tests skip (FORGE_DEPLOY_TESTS=1 builds them; ~6 min on a fresh 2-core machine)" ;;
esac

printf 'export FORGE_COMPOSE_SCHEMA=%q\n' "$compose_schema"
if [ "${FORGE_DEPLOY_TESTS:-}" != "0" ] && chart_tools_ready; then
  printf 'export FORGE_HELM=%q\n' "$helm_bin"
  printf 'export FORGE_KUBECONFORM=%q\n' "$kubeconform_bin"
  printf 'export FORGE_K8S_SCHEMAS=%q\n' "$schemas"
fi
