// rollback.yml: a manual rollback of one environment to a revision the platform understands (a
// Helm revision, an image tag), empty for the previous release. The revision is checked against
// the platform's pattern before anything runs; every platform's steps end with the same smoke
// tests as a deploy.
import type { AppModel } from "../../model/types.js";
import type { Revision } from "../platform.js";
import { notifyJob } from "./notify.js";
import { environmentUrl, type Pipeline } from "./pipeline.js";
import { RUNNER, compact, jobPermissions } from "./steps.js";
import { checkout, run, type Job, type Step, type Workflow } from "./workflow.js";

/** The dispatch input, for the platforms' rollback steps (through `env:` only). */
export const REVISION = "${{ inputs.revision }}";

/** A revision that is an image tag: what platforms that deploy images by tag roll back to. */
export const IMAGE_TAG_REVISION: Revision = {
  pattern: "^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$",
  what: "an image tag such as sha-1a2b3c4",
  description: "Image tag to return to, such as sha-1a2b3c4 (empty: the previous release)",
};

function validateRevision(revision: Revision): Step {
  return run(
    "Check the revision",
    [
      'if [ -n "$REVISION" ] && ! [[ $REVISION =~ $PATTERN ]]; then',
      `  echo "::error::revision must be ${revision.what}"`,
      "  exit 1",
      "fi",
    ],
    {
      env: { REVISION, PATTERN: revision.pattern },
    },
  );
}

function rollbackJob(p: Pipeline, env: AppModel): Job {
  const name = env.environment.name;
  const url = environmentUrl(env);
  const steps = compact([checkout(), validateRevision(p.platform.revision), ...p.platform.rollback(p, env)]);
  return {
    name: `Roll back ${name}`,
    "runs-on": RUNNER,
    if: `inputs.environment == '${name}'`,
    environment: { name, ...(url ? { url } : {}) },
    permissions: jobPermissions(steps),
    concurrency: { group: `deploy-${name}`, "cancel-in-progress": false },
    "timeout-minutes": 15 + 2 * p.deployTimeoutMinutes,
    steps,
  };
}

export function rollback(p: Pipeline): Workflow {
  const jobs: Record<string, Job> = {};
  for (const env of p.envs) jobs[`rollback-${env.environment.name}`] = rollbackJob(p, env);
  const ids = Object.keys(jobs);
  jobs["notify"] = notifyJob(
    p,
    `${p.app} rollback of \${{ inputs.environment }}`,
    ids,
    "${{ contains(needs.*.result, 'failure') && 'failure' || 'success' }}",
    "always()",
  );
  return {
    name: "Rollback",
    "run-name": "Rollback ${{ inputs.environment }}",
    on: {
      workflow_dispatch: {
        inputs: {
          environment: {
            description: "Environment to roll back",
            required: true,
            type: "choice",
            options: p.envs.map((e) => e.environment.name),
          },
          revision: {
            description: p.platform.revision.description,
            required: false,
            type: "string",
            default: "",
          },
        },
      },
    },
    permissions: { contents: "read" },
    defaults: { run: { shell: "bash" } },
    jobs,
  };
}
