// rollback.yml: a manual rollback of one environment. Kubernetes: `helm rollback` to the given Helm
// revision (empty: the previous one). Azure App Service: swap the slots back (empty revision) or
// deploy an earlier image tag through the same slot-and-swap path. AWS: point each ECS service at
// the task definition before the current one (empty revision) or at a new one with an earlier
// image tag. Every path ends with the same smoke tests as a deploy.
import type { AppModel } from "../../model/types.js";
import {
  compact,
  deployPermissions,
  imageRef,
  notifyJob,
  registerTaskDefinition,
  smokeStep,
  waitStable,
} from "./deploy.js";
import { envName, environmentUrl, isService, isWorkload, smokeUrls, type Pipeline } from "./pipeline.js";
import {
  RUNNER,
  azureLogin,
  clusterAccess,
  readAwsOutputs,
  readAzureOutputs,
  registryLogin,
} from "./platform.js";
import { checkout, run, type Job, type Step, type Workflow } from "./workflow.js";

const REVISION = "${{ inputs.revision }}";

function validateRevision(pattern: string, what: string): Step {
  return run(
    "Check the revision",
    [
      'if [ -n "$REVISION" ] && ! [[ $REVISION =~ $PATTERN ]]; then',
      `  echo "::error::revision must be ${what}"`,
      "  exit 1",
      "fi",
    ],
    {
      env: { REVISION, PATTERN: pattern },
    },
  );
}

function helmSteps(p: Pipeline, env: AppModel): Step[] {
  return [
    validateRevision("^[0-9]+$", "a Helm revision number (see helm history)"),
    ...clusterAccess(p, env),
    run(
      "Roll back with Helm",
      [
        'helm history "$RELEASE" --namespace "$NAMESPACE" --max 10',
        "# An empty revision rolls back to the previous release.",
        "# shellcheck disable=SC2086 # REVISION is empty or a number",
        'helm rollback "$RELEASE" $REVISION --namespace "$NAMESPACE" --wait --timeout "$TIMEOUT"',
      ],
      {
        id: "rollout",
        env: { RELEASE: p.app, NAMESPACE: env.environment.namespace, TIMEOUT: p.deployTimeout, REVISION },
      },
    ),
    smokeStep(smokeUrls(env)),
  ];
}

function azureSteps(p: Pipeline, env: AppModel): Step[] {
  const services = Object.values(env.services).filter(isService);
  const slot = env.environment.deploy.slot;
  const login = registryLogin(p, env);
  const steps: Step[] = [
    validateRevision("^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$", "an image tag such as sha-1a2b3c4"),
    azureLogin(),
    ...login.steps.filter((s) => !s.uses?.startsWith("azure/login@")),
    readAzureOutputs(p, env),
  ];
  const lines: string[] = [];
  if (!slot)
    lines.push('if [ -z "$REVISION" ]; then echo "::error::give the image tag to roll back to"; exit 1; fi');
  for (const s of services) {
    const app = `"$${envName(s.name)}_APP"`;
    const health = s.type === "http" ? (s.health?.readiness ?? s.health?.liveness) : undefined;
    // Services that run a prebuilt image have no sha-<short> tags to return to: only the swap applies.
    const setImage = (slotArg: string) =>
      `az webapp config container set --resource-group "$RESOURCE_GROUP" --name ${app}${slotArg} --container-image-name "\${${envName(s.name)}_IMAGE,,}$REVISION" --output none`;
    if (slot) {
      if (s.build) {
        lines.push('if [ -n "$REVISION" ]; then', `  ${setImage(" --slot staging")}`);
        if (health) {
          lines.push(
            `  host=$(az webapp show --resource-group "$RESOURCE_GROUP" --name ${app} --slot staging --query defaultHostName --output tsv)`,
            `  curl --fail --silent --show-error --max-time 30 --retry 10 --retry-delay 6 --retry-all-errors --output /dev/null "https://$host${health}"`,
          );
        }
        lines.push("fi");
      }
      lines.push(
        `az webapp deployment slot swap --resource-group "$RESOURCE_GROUP" --name ${app} --slot staging --target-slot production`,
      );
    } else if (s.build) {
      lines.push(setImage(""));
    }
  }
  const imageEnv = Object.fromEntries(
    services.filter((s) => s.build).map((s) => [`${envName(s.name)}_IMAGE`, imageRef(p, s, "")]),
  );
  steps.push(
    run(
      slot
        ? "Swap back (or deploy the given tag to the staging slot and swap)"
        : "Deploy the given image tag",
      lines,
      { id: "rollout", env: { REVISION, ...imageEnv } },
    ),
  );
  const healthy = services.filter((s) => s.type === "http" && (s.health?.readiness ?? s.health?.liveness));
  steps.push(
    run(
      "Smoke tests",
      [
        'urls="$SMOKE_URLS"',
        ...healthy.flatMap((s) => [
          `host=$(az webapp show --resource-group "$RESOURCE_GROUP" --name "$${envName(s.name)}_APP" --query defaultHostName --output tsv)`,
          `urls="$urls https://$host${s.health?.readiness ?? s.health?.liveness ?? "/"}"`,
        ]),
        "for url in $urls; do",
        '  echo "GET $url"',
        '  curl --fail --silent --show-error --location --max-time 10 --retry 10 --retry-delay 6 --retry-all-errors --output /dev/null "$url"',
        "done",
      ],
      { id: "smoke", env: { SMOKE_URLS: smokeUrls(env).join(" ") } },
    ),
  );
  return steps;
}

function awsSteps(p: Pipeline, env: AppModel): Step[] {
  const services = Object.values(env.services).filter(isService);
  const login = registryLogin(p, env);
  const e = (s: { name: string }) => envName(s.name);
  const steps: Step[] = [
    validateRevision("^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$", "an image tag such as sha-1a2b3c4"),
    ...login.steps,
    ...readAwsOutputs(p, env),
  ];
  for (const s of Object.values(env.services)
    .filter(isWorkload)
    .filter((w) => w.build || w.image)) {
    steps.push({
      ...registerTaskDefinition(s, imageRef(p, s, "${{ inputs.revision }}")),
      if: "inputs.revision != ''",
    });
  }
  steps.push(
    run(
      "Point the services at the earlier task definitions",
      [
        ...services.flatMap((s) => [
          'if [ -z "$REVISION" ]; then',
          `  current=$(aws ecs describe-services --cluster "$ECS_CLUSTER" --services "$${e(s)}_SERVICE" --query 'services[0].taskDefinition' --output text)`,
          "  revision=${current##*:}",
          `  ${e(s)}_TASK_DEFINITION="\${current%:*}:$((revision - 1))"`,
          "fi",
          `aws ecs update-service --cluster "$ECS_CLUSTER" --service "$${e(s)}_SERVICE" --task-definition "$${e(s)}_TASK_DEFINITION" --output none`,
        ]),
        ...waitStable(services),
      ],
      { id: "rollout", env: { REVISION } },
    ),
    smokeStep(smokeUrls(env)),
  );
  return steps;
}

function rollbackJob(p: Pipeline, env: AppModel): Job {
  const name = env.environment.name;
  const url = environmentUrl(env);
  const steps = compact([
    checkout(),
    ...(p.helm ? helmSteps(p, env) : p.target === "azure" ? azureSteps(p, env) : awsSteps(p, env)),
  ]);
  return {
    name: `Roll back ${name}`,
    "runs-on": RUNNER,
    if: `inputs.environment == '${name}'`,
    environment: { name, ...(url ? { url } : {}) },
    permissions: deployPermissions(steps),
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
            description: p.helm
              ? "Helm revision to return to (empty: the previous release)"
              : "Image tag to return to, such as sha-1a2b3c4 (empty: the previous release)",
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
