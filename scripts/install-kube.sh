#!/usr/bin/env bash
# Build and cache a real Kubernetes control plane for the cluster tests
# (test/kubernetes-*.test.ts) and bench/kubernetes-deploy.ts: etcd, kube-apiserver,
# kube-controller-manager, kube-scheduler, kubectl and KWOK (simulated nodes and
# pods), plus KWOK's stage configuration. Everything lands in .tools/kube/:
#
#   .tools/kube/bin/{etcd,kube-apiserver,kube-controller-manager,kube-scheduler,kubectl,kwok}
#   .tools/kube/stages/*.yaml     KWOK stages (without them kwok exits "no stages found")
#
#   bash scripts/install-kube.sh
#
# Only package registries are reachable, so everything is built from the Go
# module proxy. `go install ...@version` refuses etcd and k8s.io/kubernetes
# (their go.mod files have replace directives), so each is built from a small
# wrapper module that requires it; for Kubernetes the wrapper also requires the
# staging modules named in its replace block at the matching v0.x version.
# From empty caches this takes ~9 minutes on 2 cores and ~5 GB of Go caches
# (shared with scripts/install-tools.sh under .tools/go); a rerun with the stamp
# present does nothing. Bump a version below to rebuild; FORCE=1 rebuilds.
set -euo pipefail

# ---- pinned versions ---------------------------------------------------------
ETCD_VERSION="v3.6.17"          # go.etcd.io/etcd/server/v3
KUBERNETES_VERSION="v1.35.4"    # k8s.io/kubernetes (staging modules at v0.35.4)
KWOK_VERSION="v0.8.0"           # sigs.k8s.io/kwok

# ---- layout ------------------------------------------------------------------
SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$SCRIPT_DIR/.." && pwd)"
TOOLS_DIR="$REPO_ROOT/.tools"
KUBE_DIR="$TOOLS_DIR/kube"
BIN_DIR="$KUBE_DIR/bin"
STAGES_DIR="$KUBE_DIR/stages"
STAMP="$KUBE_DIR/stamp"
PYTHON="${PYTHON:-python3}"
WANT="etcd $ETCD_VERSION, kubernetes $KUBERNETES_VERSION, kwok $KWOK_VERSION"

mkdir -p "$KUBE_DIR"

INSTALL_NAME=install-kube
LOG_PREFIX="install-kube: "
# shellcheck source-path=SCRIPTDIR source=lib/install-common.sh
. "$SCRIPT_DIR/lib/install-common.sh"

# Its own lock, not install-tools.sh's: a validator install must not wait for
# this build.
take_lock "$KUBE_DIR/.lock" build

if [ -z "${FORCE:-}" ] && [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$WANT" ]; then
  log "already present ($WANT)"
  exit 0
fi

command -v "$PYTHON" >/dev/null 2>&1 || die "$PYTHON not found"
go_env
# The Go on PATH builds it, never one it would download.
export GOTOOLCHAIN=local

make_work_root gantry-kube

OUT="$WORK_ROOT/bin"
mkdir -p "$OUT"
start="$(date +%s)"

# ---- etcd --------------------------------------------------------------------
build_etcd() {
  local mod="$WORK_ROOT/etcd"
  mkdir -p "$mod"
  cat >"$mod/go.mod" <<EOF
module gantry.local/etcd-build

go 1.24
EOF
  cat >"$mod/tools.go" <<'EOF'
//go:build tools

package tools

import _ "go.etcd.io/etcd/server/v3"
EOF
  (
    cd "$mod"
    go mod edit -require="go.etcd.io/etcd/server/v3@$ETCD_VERSION"
    go mod tidy
    go build -trimpath -ldflags "-s -w" -o "$OUT/etcd" go.etcd.io/etcd/server/v3
  )
}

# ---- Kubernetes ----------------------------------------------------------------
build_kubernetes() {
  local mod="$WORK_ROOT/kubernetes" src staging_version pkg ldflags
  mkdir -p "$mod"
  src="$(go_module_dir k8s.io/kubernetes "$KUBERNETES_VERSION")"
  # v1.35.4 -> v0.35.4, the version the staging modules are published under.
  staging_version="v0.${KUBERNETES_VERSION#v1.}"
  cat >"$mod/go.mod" <<EOF
module gantry.local/kubernetes-build

go 1.25
EOF
  cat >"$mod/tools.go" <<'EOF'
//go:build tools

package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kube-scheduler"
	_ "k8s.io/kubernetes/cmd/kubectl"
)
EOF
  (
    cd "$mod"
    go mod edit -require="k8s.io/kubernetes@$KUBERNETES_VERSION"
    # Every staging module k8s.io/kubernetes replaces with ./staging/src/...:
    # require and pin it at the published version.
    awk '/^replace \(/{r=1; next} r && /^\)/{r=0} r && $2=="=>" {print $1}' "$src/go.mod" |
      while read -r staging; do
        go mod edit -require="$staging@$staging_version" -replace="$staging=$staging@$staging_version"
      done
    [ "$(grep -c '=> k8s.io' go.mod)" -ge 20 ] || die "found too few staging modules in k8s.io/kubernetes's go.mod"
    go mod tidy
    # The version the server and kubectl report (hack/lib/version.sh's ldflags).
    ldflags="-s -w"
    for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
      ldflags="$ldflags -X $pkg.gitVersion=$KUBERNETES_VERSION"
      ldflags="$ldflags -X $pkg.gitMajor=$(printf '%s' "${KUBERNETES_VERSION#v}" | cut -d. -f1)"
      ldflags="$ldflags -X $pkg.gitMinor=$(printf '%s' "$KUBERNETES_VERSION" | cut -d. -f2)"
      ldflags="$ldflags -X $pkg.gitTreeState=clean"
      ldflags="$ldflags -X $pkg.buildDate=1970-01-01T00:00:00Z"
    done
    go build -trimpath -ldflags "$ldflags" -o "$OUT/" \
      k8s.io/kubernetes/cmd/kube-apiserver \
      k8s.io/kubernetes/cmd/kube-controller-manager \
      k8s.io/kubernetes/cmd/kube-scheduler \
      k8s.io/kubernetes/cmd/kubectl
  )
}

# ---- KWOK ----------------------------------------------------------------------
build_kwok() {
  local src
  GOBIN="$OUT" go install -trimpath -ldflags "-s -w" "sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION"
  # The stages kwok's own release ships: nodes become Ready, pods run and
  # complete (Jobs, hooks), deletions finish.
  src="$(go_module_dir sigs.k8s.io/kwok "$KWOK_VERSION")"
  mkdir -p "$WORK_ROOT/stages"
  local f
  for f in "$src"/kustomize/stage/node/fast/*.yaml "$src"/kustomize/stage/node/heartbeat-with-lease/*.yaml \
    "$src"/kustomize/stage/pod/fast/*.yaml; do
    # Each folder's kustomization.yaml only lists its stages.
    [ "$(basename "$f")" = kustomization.yaml ] || cp "$f" "$WORK_ROOT/stages/"
  done
}

log "building etcd $ETCD_VERSION"
build_etcd
log "building KWOK $KWOK_VERSION"
build_kwok
log "building Kubernetes $KUBERNETES_VERSION (kube-apiserver, kube-controller-manager, kube-scheduler, kubectl)"
build_kubernetes

rm -rf "$BIN_DIR" "$STAGES_DIR"
mkdir -p "$BIN_DIR"
mv "$OUT"/* "$BIN_DIR/"
chmod -R u+w "$WORK_ROOT/stages" # copies of the read-only module cache
mv "$WORK_ROOT/stages" "$STAGES_DIR"
for tool in etcd kube-apiserver kube-controller-manager kube-scheduler kubectl kwok; do
  [ -x "$BIN_DIR/$tool" ] || die "$tool missing after the build"
done
printf '%s' "$WANT" >"$STAMP"
log "ready in $(( $(date +%s) - start ))s ($BIN_DIR)"
"$BIN_DIR/kubectl" version --client
