#!/usr/bin/env bash
# Install pinned versions of the external validators that Gantry's tests run
# on generated files (helm, kubeconform, actionlint, tofu, checkov, amtool) into the
# git-ignored folder .tools/ at the repo root.
#
#   bash scripts/install-tools.sh        # install what is missing
#   source scripts/tools-env.sh          # put .tools/bin first on PATH
#
# Only package registries are reachable from our machines (no GitHub release
# downloads, no get.helm.sh), so the Go tools are built from source fetched
# through the Go module proxy, and checkov is pip-installed into a venv.
#
# Idempotent: a tool is skipped when .tools/bin/<tool> exists and the stamp
# .tools/stamps/<tool>-<version> was written by a successful install, so a
# rerun does no network access at all. Bump a version below to reinstall.
# Set FORCE=1 to reinstall everything, SKIP_VERIFY=1 to skip the final version
# checks (checkov's takes a few seconds).
set -euo pipefail

# ---- pinned versions ---------------------------------------------------------
HELM_VERSION="v3.22.0"          # helm.sh/helm/v3
KUBECONFORM_VERSION="v0.8.0"    # github.com/yannh/kubeconform
ACTIONLINT_VERSION="v1.7.12"    # github.com/rhysd/actionlint
TOFU_VERSION="v1.12.6"          # github.com/opentofu/opentofu
CHECKOV_VERSION="3.3.30"        # PyPI checkov
AMTOOL_VERSION="v0.28.1"        # github.com/prometheus/alertmanager (the Alertmanager the charts pin)

# ---- layout ------------------------------------------------------------------
SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$SCRIPT_DIR/.." && pwd)"
cd "$REPO_ROOT"

TOOLS_DIR="$REPO_ROOT/.tools"
BIN_DIR="$TOOLS_DIR/bin"
STAMP_DIR="$TOOLS_DIR/stamps"
VENV_DIR="$TOOLS_DIR/venv"
PYTHON="${PYTHON:-python3}"

mkdir -p "$BIN_DIR" "$STAMP_DIR"

# Never prompt (CI=true, no stdin).
export PIP_NO_INPUT=1 PIP_DISABLE_PIP_VERSION_CHECK=1
export CHECKPOINT_DISABLE=1

INSTALL_NAME=install-tools
# shellcheck source-path=SCRIPTDIR source=lib/install-common.sh
. "$SCRIPT_DIR/lib/install-common.sh"
take_lock "$TOOLS_DIR/.lock" run
make_work_root gantry-tools

# ---- helpers -----------------------------------------------------------------
new_work_dir() { mktemp -d "$WORK_ROOT/work.XXXXXX"; }

# Copies module@version to a writable temp dir and prints that dir.
go_module_copy() {
  local mod="$1" ver="$2" src work
  src="$(go_module_dir "$mod" "$ver")"
  work="$(new_work_dir)"
  cp -R "$src/." "$work/"
  chmod -R u+w "$work"
  printf '%s\n' "$work"
}

is_installed() { # tool version path
  [ -z "${FORCE:-}" ] && [ -e "$3" ] && [ -f "$STAMP_DIR/$1-$2" ]
}

mark_installed() { # tool version
  rm -f "$STAMP_DIR/$1-"*
  : >"$STAMP_DIR/$1-$2"
}

# ---- installers --------------------------------------------------------------
install_helm() {
  go_env
  local src k8s k8s_major k8s_minor out
  src="$(go_module_copy helm.sh/helm/v3 "$HELM_VERSION")"
  # Same ldflags as helm's Makefile: the default Kubernetes version used by
  # `helm template`/`helm lint` (.Capabilities.KubeVersion) follows client-go.
  k8s="$(awk '$1=="k8s.io/client-go"{print $2; exit}' "$src/go.mod")"
  k8s="${k8s#v}"
  k8s_major="$(( ${k8s%%.*} + 1 ))"
  k8s_minor="$(printf '%s' "$k8s" | cut -d. -f2)"
  out="$(new_work_dir)"
  (
    cd "$src"
    go build -mod=mod -trimpath -ldflags "-s -w \
      -X helm.sh/helm/v3/internal/version.version=$HELM_VERSION \
      -X helm.sh/helm/v3/internal/version.metadata= \
      -X helm.sh/helm/v3/internal/version.gitTreeState=clean \
      -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMajor=$k8s_major \
      -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMinor=$k8s_minor \
      -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMajor=$k8s_major \
      -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMinor=$k8s_minor" \
      -o "$out/helm" ./cmd/helm
  )
  mv -f "$out/helm" "$BIN_DIR/helm"
}

install_kubeconform() {
  go_env
  local out
  out="$(new_work_dir)"
  GOBIN="$out" go install -trimpath \
    -ldflags "-s -w -X main.version=$KUBECONFORM_VERSION" \
    "github.com/yannh/kubeconform/cmd/kubeconform@$KUBECONFORM_VERSION"
  mv -f "$out/kubeconform" "$BIN_DIR/kubeconform"
}

install_actionlint() {
  go_env
  local out
  out="$(new_work_dir)"
  # actionlint reads its version from the Go build info (set by go install).
  GOBIN="$out" go install -trimpath -ldflags "-s -w" \
    "github.com/rhysd/actionlint/cmd/actionlint@$ACTIONLINT_VERSION"
  mv -f "$out/actionlint" "$BIN_DIR/actionlint"
}

install_amtool() {
  go_env
  local out
  out="$(new_work_dir)"
  GOBIN="$out" go install -trimpath -ldflags "-s -w" \
    "github.com/prometheus/alertmanager/cmd/amtool@$AMTOOL_VERSION"
  mv -f "$out/amtool" "$BIN_DIR/amtool"
}

install_tofu() {
  go_env
  local src out
  # go.mod has replace directives, so `go install ...@version` refuses it.
  src="$(go_module_copy github.com/opentofu/opentofu "$TOFU_VERSION")"
  out="$(new_work_dir)"
  (
    cd "$src"
    go build -mod=mod -trimpath \
      -ldflags "-s -w -X github.com/opentofu/opentofu/version.dev=no" \
      -o "$out/tofu" ./cmd/tofu
  )
  mv -f "$out/tofu" "$BIN_DIR/tofu"
}

install_checkov() {
  command -v "$PYTHON" >/dev/null 2>&1 || die "$PYTHON not found (needed for checkov)"
  rm -rf "$VENV_DIR"
  "$PYTHON" -m venv "$VENV_DIR"
  "$VENV_DIR/bin/python" -m pip install --quiet --no-input "checkov==$CHECKOV_VERSION"
  ln -sfn ../venv/bin/checkov "$BIN_DIR/checkov"
}

# ---- main --------------------------------------------------------------------
run_tool() { # tool version [path that must exist]
  local tool="$1" version="$2" path="${3:-$BIN_DIR/$1}" start elapsed
  if is_installed "$tool" "$version" "$path"; then
    log "$tool $version: already present"
    return 0
  fi
  start="$(date +%s)"
  rm -f "$STAMP_DIR/$tool-"*
  "install_${tool//-/_}"
  [ -e "$path" ] || die "$tool: $path missing after install"
  mark_installed "$tool" "$version"
  elapsed="$(( $(date +%s) - start ))"
  log "$tool $version: installed in ${elapsed}s"
}

total_start="$(date +%s)"
run_tool helm        "$HELM_VERSION"
run_tool kubeconform "$KUBECONFORM_VERSION"
run_tool actionlint  "$ACTIONLINT_VERSION"
run_tool tofu        "$TOFU_VERSION"
run_tool checkov     "$CHECKOV_VERSION"
run_tool amtool      "$AMTOOL_VERSION"
log "tools ready in $(( $(date +%s) - total_start ))s ($BIN_DIR)"

# Prove each tool runs. (No `| head`: with pipefail a SIGPIPE would fail the run.)
# This machine exports TF_CLI_CONFIG_FILE=/root/.terraformrc without creating the
# file, which makes tofu print a warning on every command; drop it when missing.
if [ -n "${TF_CLI_CONFIG_FILE:-}" ] && [ ! -e "$TF_CLI_CONFIG_FILE" ]; then
  unset TF_CLI_CONFIG_FILE
fi
if [ -n "${SKIP_VERIFY:-}" ]; then
  exit 0
fi
first_line() { local out; out="$("$@")"; printf '%s\n' "${out%%$'\n'*}"; }
log "--- versions"
printf 'helm        %s\n' "$(first_line "$BIN_DIR/helm" version --short)"
printf 'kubeconform %s\n' "$(first_line "$BIN_DIR/kubeconform" -v)"
printf 'actionlint  %s\n' "$(first_line "$BIN_DIR/actionlint" -version)"
printf 'tofu        %s\n' "$(first_line "$BIN_DIR/tofu" version)"
printf 'checkov     %s\n' "$(first_line "$BIN_DIR/checkov" --version)"
printf 'amtool      %s\n' "$("$BIN_DIR/amtool" check-config --help >/dev/null 2>&1 && echo "$AMTOOL_VERSION")"
# kubeconform validates offline against ../shared/schemas/kubernetes (see src/validate/kubeconform.ts).
