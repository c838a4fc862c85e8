// infrastructure.yml (cloud targets): plan every environment on pull requests that touch the
// infrastructure, and on merge apply them in spec order, each from its saved plan (an artifact),
// each in its GitHub environment, so production waits for its required reviewers.
import type { AppModel } from "../../model/types.js";
import { whatIfStep } from "./iac.js";
import type { Pipeline } from "./pipeline.js";
import {
  RUNNER,
  awsLogin,
  azureDeploymentName,
  azureLocation,
  azureLogin,
  doTofuEnv,
  setupTofu,
  tofuInit,
} from "./platform.js";
import { action, checkout, run, type Job, type Step, type Workflow } from "./workflow.js";

const APPLY = "github.event_name != 'pull_request'";

function dirOf(p: Pipeline): string {
  return p.target === "azure" ? p.azureDir : p.target === "aws" ? p.awsDir : p.doDir;
}

function login(p: Pipeline, env: AppModel): Step[] {
  if (p.target === "azure") return [azureLogin()];
  if (p.target === "aws") return [awsLogin(p, env, "AWS_INFRA_ROLE_ARN")];
  return [];
}

function planJob(p: Pipeline, env: AppModel): Job {
  const name = env.environment.name;
  const artifact = `plan-${name}`;
  const steps: Step[] = [checkout(), ...login(p, env)];
  if (p.target === "azure") {
    steps.push(whatIfStep(p, env, "${{ runner.temp }}/plan/what-if.md", { if: "always()" }));
  } else {
    const cloudEnv = p.target === "digitalocean" ? doTofuEnv() : {};
    const init = tofuInit(env, dirOf(p));
    steps.push(
      setupTofu(),
      { ...init, env: { ...init.env, ...cloudEnv } },
      run(
        `Plan ${name}`,
        [
          'mkdir -p "$RUNNER_TEMP/plan"',
          'tofu -chdir="$TF_DIR" plan -input=false -no-color -var-file="environments/$ENVIRONMENT.tfvars" -out="$RUNNER_TEMP/plan/tfplan"',
          'tofu -chdir="$TF_DIR" show -no-color "$RUNNER_TEMP/plan/tfplan" > "$RUNNER_TEMP/plan/plan.txt"',
          '{ echo "### OpenTofu plan: $ENVIRONMENT"; echo; echo \'```\'; tail -c 60000 "$RUNNER_TEMP/plan/plan.txt"; echo \'```\'; } >> "$GITHUB_STEP_SUMMARY"',
        ],
        { env: { TF_DIR: dirOf(p), ENVIRONMENT: name, ...cloudEnv } },
      ),
    );
  }
  steps.push(
    action("Save the plan", "actions/upload-artifact", {
      name: artifact,
      path: "${{ runner.temp }}/plan",
      "retention-days": 7,
      "if-no-files-found": "error",
    }),
  );
  return {
    name: `Plan ${name}`,
    "runs-on": RUNNER,
    // Pull requests from forks get no cloud credentials: their plans would only fail.
    if: "github.event_name != 'pull_request' || github.event.pull_request.head.repo.full_name == github.repository",
    permissions: {
      contents: "read",
      ...(p.target === "digitalocean" ? {} : { "id-token": "write" as const }),
    },
    concurrency: { group: `infrastructure-plan-${name}-\${{ github.ref }}`, "cancel-in-progress": true },
    "timeout-minutes": 30,
    steps,
  };
}

function applyJob(p: Pipeline, env: AppModel, previous: string | undefined): Job {
  const name = env.environment.name;
  const steps: Step[] = [
    checkout(),
    ...login(p, env),
    action("Download the saved plan", "actions/download-artifact", {
      name: `plan-${name}`,
      path: "${{ runner.temp }}/plan",
    }),
  ];
  if (p.target === "azure") {
    steps.push(
      run(
        `Deploy the Bicep templates to ${name}`,
        [
          'cat "$RUNNER_TEMP/plan/what-if.md" >> "$GITHUB_STEP_SUMMARY"',
          'az deployment sub create --name "$DEPLOYMENT" --location "$LOCATION" \\',
          '  --template-file "$AZURE_DIR/main.bicep" --parameters "$AZURE_DIR/parameters/$ENVIRONMENT.bicepparam" --output none',
        ],
        {
          env: {
            DEPLOYMENT: azureDeploymentName(p, env),
            LOCATION: azureLocation(p, env),
            AZURE_DIR: p.azureDir,
            ENVIRONMENT: name,
            ...p.azureParameterEnv,
          },
        },
      ),
    );
  } else {
    const cloudEnv = p.target === "digitalocean" ? doTofuEnv() : {};
    const init = tofuInit(env, dirOf(p));
    steps.push(
      setupTofu(),
      { ...init, env: { ...init.env, ...cloudEnv } },
      run(
        `Apply the saved plan to ${name}`,
        'tofu -chdir="$TF_DIR" apply -input=false -no-color "$RUNNER_TEMP/plan/tfplan"',
        { env: { TF_DIR: dirOf(p), ...cloudEnv } },
      ),
    );
  }
  return {
    name: `Apply ${name}`,
    "runs-on": RUNNER,
    needs: [`plan-${name}`, ...(previous ? [previous] : [])],
    if: APPLY,
    environment: { name },
    permissions: {
      contents: "read",
      ...(p.target === "digitalocean" ? {} : { "id-token": "write" as const }),
    },
    concurrency: { group: `infrastructure-${name}`, "cancel-in-progress": false },
    "timeout-minutes": 60,
    steps,
  };
}

export function infrastructure(p: Pipeline): Workflow {
  const dir = dirOf(p);
  const paths = [`${dir}/**`, ".github/workflows/infrastructure.yml"];
  const jobs: Record<string, Job> = {};
  for (const env of p.envs) jobs[`plan-${env.environment.name}`] = planJob(p, env);
  let previous: string | undefined;
  for (const env of p.envs) {
    const id = `apply-${env.environment.name}`;
    jobs[id] = applyJob(p, env, previous);
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
