// How the pull-request jobs get Gantry itself: from the package the repository names, into its own
// folder on the runner, apart from the app's dependencies.
import { action, run, type Step } from "./workflow.js";

/**
 * The GitHub variable naming the Gantry package the pull-request jobs install: Gantry is not on the
 * npm registry under `gantry` (that name is another package's, which a bare `npx gantry` would fetch),
 * so the repository says where its @gantry-dev/cli comes from (a tarball URL, a git URL, a version).
 */
export const GANTRY_PACKAGE_VAR = "GANTRY_PACKAGE";
/** Where the jobs install it, apart from the app's own dependencies, and the command it gives. */
export const GANTRY = '"$RUNNER_TEMP/gantry/node_modules/.bin/gantry"';

/** Node.js, then Gantry from the package the repository names (never whatever `gantry` npm has). */
export function installGantry(): Step[] {
  return [
    action("Set up Node.js", "actions/setup-node", { "node-version": "20", "package-manager-cache": false }),
    run(
      "Install Gantry",
      [
        'if [ -z "$GANTRY_PACKAGE" ]; then',
        `  echo "::error::set the repository variable ${GANTRY_PACKAGE_VAR} to the Gantry package to install (the @gantry-dev/cli tarball URL, git URL or version; see .github/workflows/README.md)"`,
        "  exit 1",
        "fi",
        'npm install --prefix "$RUNNER_TEMP/gantry" --no-audit --no-fund "$GANTRY_PACKAGE"',
      ],
      { env: { GANTRY_PACKAGE: `\${{ vars.${GANTRY_PACKAGE_VAR} }}` } },
    ),
  ];
}
