// The pull request's cost comment: `gantry cost` of the base branch and of the change, compared line
// by line (docs/cost.md), posted as one comment that every push updates, as Infracost does for
// Terraform. Only platforms `gantry cost` prices get it.
import { COST_TARGETS } from "../../cost/types.js";
import { GANTRY, installGantry } from "./gantry-install.js";
import type { Pipeline } from "./pipeline.js";
import { pullRequestComment } from "./pr-comment.js";
import { RUNNER } from "./steps.js";
import { action, checkout, run, type Job } from "./workflow.js";

/** Where the base branch is checked out, beside the change. */
const BASE_DIR = ".gantry-base";
const BASE_JSON = "${{ runner.temp }}/cost-base.json";
const REPORT = "${{ runner.temp }}/cost-report.md";

export function costDiffJob(p: Pipeline): Job | undefined {
  if (!(COST_TARGETS as readonly string[]).includes(p.target)) return undefined;
  const cost = `${GANTRY} cost --target ${p.target}`;
  return {
    name: "Cost difference",
    "runs-on": RUNNER,
    permissions: { contents: "read", "pull-requests": "write" },
    "timeout-minutes": 10,
    steps: [
      checkout(),
      action("Check out the base branch", "actions/checkout", {
        "persist-credentials": false,
        ref: "${{ github.event.pull_request.base.sha }}",
        path: BASE_DIR,
      }),
      ...installGantry(),
      run(
        "Estimate the base branch",
        [
          // A base branch without the spec, or with one this Gantry refuses, is priced as nothing:
          // the comment then shows everything as new rather than failing the pull request.
          `if ! ${cost} "${BASE_DIR}/$SPEC_DIR" --format json > "$BASE_JSON"; then`,
          '  echo "::notice::the base branch\'s spec could not be estimated; every estimate shows as new"',
          '  : > "$BASE_JSON"',
          "fi",
        ],
        { env: { SPEC_DIR: p.specDir, BASE_JSON } },
      ),
      run(
        "Compare with this change",
        [
          `${cost} "$SPEC_DIR" --compare "$BASE_JSON" --format markdown > "$REPORT"`,
          'cat "$REPORT" >> "$GITHUB_STEP_SUMMARY"',
        ],
        { env: { SPEC_DIR: p.specDir, BASE_JSON, REPORT } },
      ),
      pullRequestComment("gantry-cost", REPORT),
    ],
  };
}
