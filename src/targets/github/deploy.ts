// deploy-<env>.yml: one workflow per environment. Staging-like environments (`deploy.on: push`)
// deploy the image a successful Build made of the default branch; `release` environments deploy a
// published release whose tag matches `tag_pattern` (the image staging already ran, promoted by its
// commit), after the GitHub environment's required reviewers approve; `manual` ones only on
// dispatch. The platform's steps prepare (log in, read outputs), migrate before the rollout, roll
// out, run the smoke tests and roll back automatically when they fail; a notification reports the
// result.
import type { AppModel } from "../../model/types.js";
import { BUILD_WORKFLOW } from "./build.js";
import { loadTestEnvironment, loadTestJob } from "./load-test.js";
import { notifyJob } from "./notify.js";
import { hasImages, environmentUrl, publicHosts, type Pipeline } from "./pipeline.js";
import { isService } from "../../model/queries.js";
import { IMAGE_TAG, RUNNER, appendTo, compact, jobPermissions } from "./steps.js";
import { verifySteps } from "./verify.js";
import { checkout, run, type Job, type Triggers, type Workflow } from "./workflow.js";

function prepareJob(p: Pipeline, env: AppModel): Job {
  const d = env.environment.deploy;
  const vars: Record<string, string> = { SHA: "${{ github.event.workflow_run.head_sha || github.sha }}" };
  const lines: string[] = [];
  if (d.on === "release") {
    lines.push(
      "deploy=true",
      'if [ "$EVENT" = "release" ]; then',
      '  if [ "$PRERELEASE" = "true" ]; then deploy=false; echo "::notice::$TAG is a pre-release: not deployed"; fi',
      "  # shellcheck disable=SC2053 # TAG_PATTERN is a glob on purpose",
      '  if [[ $TAG != $TAG_PATTERN ]]; then deploy=false; echo "::notice::$TAG does not match $TAG_PATTERN: not deployed"; fi',
      "fi",
    );
    Object.assign(vars, {
      EVENT: "${{ github.event_name }}",
      TAG: "${{ github.event.release.tag_name }}",
      PRERELEASE: "${{ github.event.release.prerelease }}",
      TAG_PATTERN: d.tag_pattern,
    });
  } else {
    lines.push("deploy=true");
  }
  lines.push(
    ...appendTo("GITHUB_OUTPUT", [
      'echo "sha=$SHA"',
      'echo "image-tag=sha-${SHA::7}"',
      'echo "deploy=$deploy"',
    ]),
  );
  return {
    name: "Resolve the release",
    "runs-on": RUNNER,
    ...(d.on === "push" && hasImages(p)
      ? {
          if: "github.event_name == 'workflow_dispatch' || (github.event.workflow_run.conclusion == 'success' && github.event.workflow_run.event == 'push')",
        }
      : {}),
    permissions: {},
    "timeout-minutes": 5,
    outputs: {
      sha: "${{ steps.resolve.outputs.sha }}",
      "image-tag": "${{ steps.resolve.outputs.image-tag }}",
      deploy: "${{ steps.resolve.outputs.deploy }}",
    },
    steps: [run("Resolve the commit and image tag", lines, { id: "resolve", env: vars })],
  };
}

function triggers(p: Pipeline, env: AppModel): Triggers {
  const d = env.environment.deploy;
  if (d.on === "push")
    return hasImages(p)
      ? {
          workflow_run: { workflows: [BUILD_WORKFLOW], types: ["completed"], branches: [d.branch] },
          workflow_dispatch: {},
        }
      : { push: { branches: [d.branch] }, workflow_dispatch: {} };
  if (d.on === "release") return { release: { types: ["published"] }, workflow_dispatch: {} };
  return { workflow_dispatch: {} };
}

export function deployJobTimeout(p: Pipeline, env: AppModel): number {
  const migrations = Object.values(env.services)
    .filter(isService)
    .filter((s) => s.migrations).length;
  // The checks after the rollout may wait up to one deploy timeout for certificates.
  const verify = publicHosts(env).length ? p.deployTimeoutMinutes + 5 : 0;
  return Math.min(360, 15 + 2 * p.deployTimeoutMinutes + 10 * migrations + verify);
}

/** The deploy steps of one environment on the pipeline's platform, after checkout. */
export function deploySteps(p: Pipeline, env: AppModel): Job["steps"] {
  const phases = p.platform.deploy(p, env);
  return compact([...phases.prepare, ...phases.migrate, ...phases.rollout]);
}

export function deploy(p: Pipeline, env: AppModel): Workflow {
  const name = env.environment.name;
  const url = environmentUrl(env);
  const steps = [
    checkout({ ref: "${{ needs.prepare.outputs.sha }}" }),
    ...deploySteps(p, env),
    ...verifySteps(p, env),
    run("Summary", ['echo "Deployed $IMAGE_TAG to $ENVIRONMENT" >> "$GITHUB_STEP_SUMMARY"'], {
      env: { IMAGE_TAG, ENVIRONMENT: name },
    }),
  ];
  const deployJob: Job = {
    name: `Deploy to ${name}`,
    "runs-on": RUNNER,
    needs: ["prepare"],
    if: "needs.prepare.outputs.deploy == 'true'",
    environment: { name, ...(url ? { url } : {}) },
    permissions: jobPermissions(steps),
    "timeout-minutes": deployJobTimeout(p, env),
    steps,
  };
  const loaded = loadTestEnvironment(p.envs) === env;
  const jobs: Record<string, Job> = { prepare: prepareJob(p, env), deploy: deployJob };
  if (loaded) jobs["load-test"] = loadTestJob(p, env, p.platform.verification);
  const needs = Object.keys(jobs);
  const result = loaded
    ? "${{ needs.deploy.result }}, load test ${{ needs.load-test.result }}"
    : "${{ needs.deploy.result }}";
  return {
    name: `Deploy ${name}`,
    "run-name": `Deploy ${name} (\${{ github.event_name }})`,
    on: triggers(p, env),
    permissions: { contents: "read" },
    concurrency: { group: `deploy-${name}`, "cancel-in-progress": false },
    defaults: { run: { shell: "bash" } },
    jobs: {
      ...jobs,
      notify: notifyJob(
        p,
        `${p.app} ${name} deploy of \${{ needs.prepare.outputs.image-tag }}`,
        needs,
        result,
        "always() && needs.prepare.outputs.deploy == 'true'",
      ),
    },
  };
}
