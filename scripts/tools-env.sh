# Source this file to put the pinned validators from .tools/bin first on PATH:
#   source scripts/tools-env.sh
# (Install them first with: bash scripts/install-tools.sh)
# Works from any directory, and under bash or zsh.
if [ -n "${BASH_SOURCE[0]:-}" ]; then
  _gantry_tools_src="${BASH_SOURCE[0]}"
elif [ -n "${ZSH_VERSION:-}" ]; then
  _gantry_tools_src="${(%):-%x}"
else
  _gantry_tools_src="$0"
fi
_gantry_tools_bin="$(cd "$(dirname "$_gantry_tools_src")/.." && pwd)/.tools/bin"
case ":${PATH}:" in
  ":${_gantry_tools_bin}:"*) ;;
  *) export PATH="${_gantry_tools_bin}:${PATH}" ;;
esac
export CHECKPOINT_DISABLE=1
unset _gantry_tools_src _gantry_tools_bin
