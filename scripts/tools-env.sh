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
_gantry_tools_dir="$(cd "$(dirname "$_gantry_tools_src")/.." && pwd)/.tools"
_gantry_tools_bin="$_gantry_tools_dir/bin"
case ":${PATH}:" in
  ":${_gantry_tools_bin}:"*) ;;
  *) export PATH="${_gantry_tools_bin}:${PATH}" ;;
esac
export CHECKPOINT_DISABLE=1
# Some machines export TF_CLI_CONFIG_FILE pointing at a file that does not exist,
# which makes tofu print "Unable to open CLI configuration file" on every run.
if [ -n "${TF_CLI_CONFIG_FILE:-}" ] && [ ! -e "$TF_CLI_CONFIG_FILE" ]; then
  unset TF_CLI_CONFIG_FILE
fi
unset _gantry_tools_src _gantry_tools_dir _gantry_tools_bin
