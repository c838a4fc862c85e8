# shellcheck shell=bash
# What scripts/install-tools.sh and scripts/install-kube.sh share (sourced, not run): log lines, one
# run at a time, a scratch directory removed on exit, and the Go environment whose module and build
# caches under .tools/go both use, so a machine keeps one copy.
#
# The sourcing script sets first:
#   INSTALL_NAME  its name, in errors and lock messages (install-tools, install-kube)
#   LOG_PREFIX    what starts its log lines ("" or "install-kube: "; empty when unset)
#   TOOLS_DIR     the repository's .tools directory
#   PYTHON        a python3 (go_module_dir reads `go mod download -json` with it)

GO_DIR="$TOOLS_DIR/go"

log() { printf '%s%s\n' "${LOG_PREFIX:-}" "$*"; }
die() { printf '%s: error: %s\n' "$INSTALL_NAME" "$*" >&2; exit 1; }

# take_lock FILE WHAT: one run at a time per lock file (two test runners starting together must not
# race); a second run waits for the first.
take_lock() {
  command -v flock >/dev/null 2>&1 || return 0
  exec 9>"$1"
  flock -n 9 || { printf '%s: waiting for another %s to finish...\n' "$INSTALL_NAME" "$2"; flock 9; }
}

# make_work_root PREFIX: all scratch space lives in one temp dir, $WORK_ROOT, made here in the main
# shell so that the EXIT trap removes it (dirs made inside $(...) subshells would be forgotten).
make_work_root() {
  WORK_ROOT="$(mktemp -d "${TMPDIR:-/tmp}/$1.XXXXXX")"
  trap remove_work_root EXIT
}
remove_work_root() { chmod -R u+w "$WORK_ROOT" 2>/dev/null || true; rm -rf "$WORK_ROOT"; }

# Go environment: module and build caches live under .tools/go so reruns and rebuilds need no
# network. -modcacherw keeps the cache deletable (rm -rf .tools).
go_env() {
  command -v go >/dev/null 2>&1 || die "go is not installed (the tools are built from the Go module proxy)"
  export GOPATH="$GO_DIR"
  export GOMODCACHE="$GO_DIR/mod"
  export GOCACHE="$GO_DIR/cache"
  export GOFLAGS="-buildvcs=false -modcacherw"
  export CGO_ENABLED=0
  mkdir -p "$GOMODCACHE" "$GOCACHE"
}

# Prints the source dir of module@version in the module cache (downloads it).
go_module_dir() {
  local mod="$1" ver="$2" json
  json="$(go mod download -json "$mod@$ver")" || die "go mod download $mod@$ver failed"
  printf '%s' "$json" | "$PYTHON" -c 'import json,sys; d=json.load(sys.stdin); sys.exit(d["Error"]) if d.get("Error") else print(d["Dir"])'
}
