// infrastructure.yml (platforms with a stack of their own): plan every environment on pull requests
// that touch the stack, and on merge apply them in spec order, each from its saved plan (an
// artifact), each in its GitHub environment, so production waits for its required reviewers.
import type { AppModel } from "../../model/types.js";
import type { Infrastructure } from "../platform.js";
import type { Pipeline } from "./pipeline.js";
import { RUNNER, jobPermissions } from "./steps.js";
import { action, checkout, type Job, type Step, type Workflow } from "./workflow.js";

const APPLY = "github.event_name != 'pull_request'";

function planJob(p: Pipeline, infra: Infrastructure, env: AppModel): Job {
  const name = env.environment.name;
  const steps: Step[] = [
    checkout(),
    ...infra.login(p, env),
    ...infra.plan(p, env),
    action("Save the plan", "actions/upload-artifact", {
      name: `plan-${name}`,
      path: "${{ runner.temp }}/plan",
      "retention-days": 7,
      "if-no-files-found": "error",
    }),
  ];
  return {
    name: `Plan ${name}`,
    "runs-on": RUNNER,
    // Pull requests from forks get no cloud credentials: their plans would only fail.
    if: "github.event_name != 'pull_request' || github.event.pull_request.head.repo.full_name == github.repository",
    permissions: jobPermissions(steps),
    concurrency: { group: `infrastructure-plan-${name}-\${{ github.ref }}`, "cancel-in-progress": true },
    "timeout-minutes": 30,
    steps,
  };
}

function applyJob(p: Pipeline, infra: Infrastructure, env: AppModel, previous: string | undefined): Job {
  const name = env.environment.name;
  const steps: Step[] = [
    checkout(),
    ...infra.login(p, env),
    action("Download the saved plan", "actions/download-artifact", {
      name: `plan-${name}`,
      path: "${{ runner.temp }}/plan",
    }),
    ...infra.apply(p, env),
  ];
  return {
    name: `Apply ${name}`,
    "runs-on": RUNNER,
    needs: [`plan-${name}`, ...(previous ? [previous] : [])],
    if: APPLY,
    environment: { name },
    permissions: jobPermissions(steps),
    concurrency: { group: `infrastructure-${name}`, "cancel-in-progress": false },
    "timeout-minutes": 60,
    steps,
  };
}

export function infrastructure(p: Pipeline, infra: Infrastructure): Workflow {
  const paths = [`${infra.dir}/**`, ".github/workflows/infrastructure.yml"];
  const jobs: Record<string, Job> = {};
  for (const env of p.envs) jobs[`plan-${env.environment.name}`] = planJob(p, infra, env);
  let previous: string | undefined;
  for (const env of p.envs) {
    const id = `apply-${env.environment.name}`;
    jobs[id] = applyJob(p, infra, env, previous);
    previous = id;
  }
  return {
    name: "Infrastructure",
    on: {
      pull_request: { branches: [p.defaultBranch], paths },
      push: { branches: [p.defaultBranch], paths },
      workflow_dispatch: {},
    },
    permissions: { contents: "read" },
    defaults: { run: { shell: "bash" } },
    jobs,
  };
}
