// deploy-<env>.yml: one workflow per environment. Staging-like environments (`deploy.on: push`)
// deploy the image a successful Build made of the default branch; `release` environments deploy a
// published release whose tag matches `tag_pattern` (the image staging already ran, promoted by its
// commit), after the GitHub environment's required reviewers approve; `manual` ones only on
// dispatch. Migrations run before the rollout; smoke tests hit the health endpoints with retries; a
// failed smoke test rolls back automatically; a notification reports the result.
import type { AppModel, JobModel, ServiceModel, StaticModel } from "../../model/types.js";
import { BUILD_WORKFLOW } from "./build.js";
import { setupStack } from "./pr-checks.js";
import {
  hasImages,
  envName,
  environmentUrl,
  isService,
  isStatic,
  isWorkload,
  repoPath,
  smokeUrls,
  type Pipeline,
} from "./pipeline.js";
import {
  RUNNER,
  appendTo,
  azureLogin,
  clusterAccess,
  readAwsOutputs,
  readAzureOutputs,
  registryLogin,
} from "./platform.js";
import {
  action,
  checkout,
  run,
  type Job,
  type Permissions,
  type Step,
  type Triggers,
  type Workflow,
} from "./workflow.js";

export const IMAGE_TAG = "${{ needs.prepare.outputs.image-tag }}";
const SMOKE_ATTEMPTS = 10;
const SMOKE_DELAY = 6;

/** The image reference of a workload at the tag being deployed (`$IMAGE_TAG` in the step's env). */
export function imageRef(p: Pipeline, s: ServiceModel | JobModel | StaticModel, tag = IMAGE_TAG): string {
  if (s.type !== "static" && s.image && !s.build) return s.image;
  return `${p.registry.prefix}/${s.name}:${tag}`;
}

/** The deployments the chart runs, one per service, worker and (on Kubernetes) static frontend. */
export function deploymentNames(env: AppModel): string[] {
  return Object.values(env.services)
    .filter((s) => s.type !== "job")
    .map((s) => s.name);
}

export function smokeStep(urls: string[], name = "Smoke tests"): Step {
  return run(
    name,
    [
      "for url in $SMOKE_URLS; do",
      '  echo "GET $url"',
      `  curl --fail --silent --show-error --location --max-time 10 --retry ${SMOKE_ATTEMPTS} --retry-delay ${SMOKE_DELAY} --retry-all-errors --output /dev/null "$url"`,
      "done",
    ],
    { id: "smoke", env: { SMOKE_URLS: urls.join(" ") } },
  );
}

/**
 * The Helm rollout. Migrations need no step of their own: the chart runs them as a pre-install /
 * pre-upgrade hook Job in the new image, before any Deployment changes, and a failed migration
 * fails the upgrade.
 */
function helmRelease(p: Pipeline, env: AppModel, tagExpr: string): Step {
  const lines = [
    'helm upgrade --install "$RELEASE" "$CHART" --namespace "$NAMESPACE" \\',
    '  --values "$CHART/values-$ENVIRONMENT.yaml" --set global.imageTag="$IMAGE_TAG" \\',
    '  --atomic --wait --timeout "$TIMEOUT" --history-max 10',
    ...deploymentNames(env).map(
      (d) => `kubectl rollout status deployment/${d} --namespace "$NAMESPACE" --timeout "$TIMEOUT"`,
    ),
  ];
  return run("Roll out with Helm", lines, {
    id: "rollout",
    env: {
      RELEASE: p.app,
      CHART: p.chart,
      NAMESPACE: env.environment.namespace,
      ENVIRONMENT: env.environment.name,
      IMAGE_TAG: tagExpr,
      TIMEOUT: p.deployTimeout,
    },
  });
}

function helmDeploySteps(p: Pipeline, env: AppModel): Step[] {
  return [
    ...clusterAccess(p, env),
    helmRelease(p, env, IMAGE_TAG),
    smokeStep(smokeUrls(env)),
    run(
      "Roll back after failed smoke tests",
      'helm rollback "$RELEASE" --namespace "$NAMESPACE" --wait --timeout "$TIMEOUT"',
      {
        if: "failure() && steps.smoke.outcome == 'failure'",
        env: { RELEASE: p.app, NAMESPACE: env.environment.namespace, TIMEOUT: p.deployTimeout },
      },
    ),
  ];
}

/** Builds a static frontend with its environment's settings. */
export function staticBuildSteps(p: Pipeline, s: StaticModel): Step[] {
  const dir = repoPath(p.specDir, s.static);
  const install = s.install ?? s.ci.install;
  const steps: Step[] = setupStack({ ...s.ci, stack: "node", ...(install ? { install } : {}) }, dir);
  if (install) steps.push(run(`Install ${s.name}`, install, { "working-directory": dir }));
  if (s.build) steps.push(run(`Build ${s.name}`, s.build, { "working-directory": dir, env: s.env }));
  return steps;
}

/** Runs a migration in the new image on the runner, with the service's secrets from the GitHub environment. */
function runnerMigrations(p: Pipeline, env: AppModel, tagExpr: string): Step[] {
  return Object.values(env.services)
    .filter(isService)
    .filter((s) => s.migrations)
    .map((s) => {
      const vars: Record<string, string> = { ...s.env };
      // The connection string of each PostgreSQL the service uses, named as the targets name it.
      const databases = Object.keys(env.postgres);
      const urls = s.uses
        .filter((u) => databases.includes(u))
        .map((u) => (databases.length === 1 ? "DATABASE_URL" : `DATABASE_URL_${envName(u)}`));
      for (const secret of [...s.secrets, ...urls]) vars[secret] = `\${{ secrets.${secret} }}`;
      const names = Object.keys(vars).sort();
      return run(
        `Migrate ${s.name}`,
        [
          `timeout "$TIMEOUT" docker run --rm ${names.map((n) => `--env ${n}`).join(" ")} --entrypoint sh "\${IMAGE,,}" -c "$MIGRATION"`.replace(
            / {2,}/g,
            " ",
          ),
        ],
        {
          env: {
            ...vars,
            IMAGE: imageRef(p, s, tagExpr),
            MIGRATION: s.migrations!.command,
            TIMEOUT: s.migrations!.timeout,
          },
        },
      );
    });
}

function azureAppServiceSteps(p: Pipeline, env: AppModel): Step[] {
  const services = Object.values(env.services).filter(isService);
  const slot = env.environment.deploy.slot;
  const login = registryLogin(p, env);
  const steps: Step[] = [
    azureLogin(),
    ...login.steps.filter((s) => !s.uses?.startsWith("azure/login@")),
    readAzureOutputs(p, env),
    ...runnerMigrations(p, env, IMAGE_TAG),
  ];
  if (!slot) {
    steps.push(
      run(
        "Record the running images",
        appendTo(
          "GITHUB_ENV",
          services.map(
            (s) =>
              `echo "PREVIOUS_${envName(s.name)}=$(az webapp config show --resource-group "$RESOURCE_GROUP" --name "$${envName(s.name)}_APP" --query linuxFxVersion --output tsv)"`,
          ),
        ),
      ),
    );
  }
  for (const s of services) {
    steps.push(
      action(`Deploy ${s.name}${slot ? " to the staging slot" : ""}`, "azure/webapps-deploy", {
        "app-name": `\${{ env.${envName(s.name)}_APP }}`,
        "resource-group-name": "${{ env.RESOURCE_GROUP }}",
        ...(slot ? { "slot-name": "staging" } : {}),
        images: imageRef(p, s),
      }),
    );
  }
  const healthy = services.filter((s) => s.type === "http" && (s.health?.readiness ?? s.health?.liveness));
  const hostLines = (slotArg: string) =>
    healthy.flatMap((s) => [
      `host=$(az webapp show --resource-group "$RESOURCE_GROUP" --name "$${envName(s.name)}_APP"${slotArg} --query defaultHostName --output tsv)`,
      `urls="$urls https://$host${s.health?.readiness ?? s.health?.liveness ?? "/"}"`,
    ]);
  if (slot) {
    steps.push(
      run("Warm up the staging slot", [
        'urls=""',
        ...hostLines(" --slot staging"),
        "for url in $urls; do",
        '  echo "GET $url"',
        `  curl --fail --silent --show-error --max-time 30 --retry ${SMOKE_ATTEMPTS} --retry-delay ${SMOKE_DELAY} --retry-all-errors --output /dev/null "$url"`,
        "done",
      ]),
      run(
        "Swap the staging slot into production",
        services.map(
          (s) =>
            `az webapp deployment slot swap --resource-group "$RESOURCE_GROUP" --name "$${envName(s.name)}_APP" --slot staging --target-slot production`,
        ),
        { id: "swap" },
      ),
    );
  }
  for (const s of Object.values(env.services).filter(isStatic)) {
    steps.push(
      ...staticBuildSteps(p, s),
      action(`Deploy ${s.name} to Static Web Apps`, "Azure/static-web-apps-deploy", {
        action: "upload",
        app_location: repoPath(repoPath(p.specDir, s.static), s.output),
        output_location: "",
        azure_static_web_apps_api_token: `\${{ secrets.AZURE_STATIC_WEB_APPS_API_TOKEN_${envName(s.name)} }}`,
      }),
    );
  }
  steps.push(
    run(
      "Smoke tests",
      [
        'urls="$SMOKE_URLS"',
        ...hostLines(""),
        "for url in $urls; do",
        '  echo "GET $url"',
        `  curl --fail --silent --show-error --location --max-time 10 --retry ${SMOKE_ATTEMPTS} --retry-delay ${SMOKE_DELAY} --retry-all-errors --output /dev/null "$url"`,
        "done",
      ],
      { id: "smoke", env: { SMOKE_URLS: smokeUrls(env).join(" ") } },
    ),
  );
  if (slot) {
    steps.push(
      run(
        "Swap back after a failed deploy",
        services.map(
          (s) =>
            `az webapp deployment slot swap --resource-group "$RESOURCE_GROUP" --name "$${envName(s.name)}_APP" --slot staging --target-slot production`,
        ),
        { if: "failure() && steps.swap.outcome == 'success'" },
      ),
    );
  } else {
    steps.push(
      run(
        "Restore the previous images after a failed deploy",
        services.map(
          (s) =>
            `az webapp config set --resource-group "$RESOURCE_GROUP" --name "$${envName(s.name)}_APP" --linux-fx-version "$PREVIOUS_${envName(s.name)}" --output none`,
        ),
        { if: "failure() && steps.smoke.outcome == 'failure'" },
      ),
    );
  }
  return steps;
}

/** Registers a new revision of a workload's task definition with the image at `$IMAGE`. */
export function registerTaskDefinition(s: ServiceModel | JobModel, image: string): Step {
  const e = envName(s.name);
  return run(
    `New task definition for ${s.name}`,
    [
      `aws ecs describe-task-definition --task-definition "$${e}_FAMILY" --query taskDefinition --output json \\`,
      '  | jq --arg image "${IMAGE,,}" --arg name "$CONTAINER" \'(.containerDefinitions[] | select(.name == $name) | .image) = $image',
      "    | del(.taskDefinitionArn, .revision, .status, .requiresAttributes, .compatibilities, .registeredAt, .registeredBy, .deregisteredAt)' \\",
      '  > "$RUNNER_TEMP/$CONTAINER-task-definition.json"',
      `echo "${e}_TASK_DEFINITION=$(aws ecs register-task-definition --cli-input-json "file://$RUNNER_TEMP/$CONTAINER-task-definition.json" --query taskDefinition.taskDefinitionArn --output text)" >> "$GITHUB_ENV"`,
    ],
    { env: { IMAGE: image, CONTAINER: s.name } },
  );
}

function awsSteps(p: Pipeline, env: AppModel): Step[] {
  const services = Object.values(env.services).filter(isService);
  const workloads = Object.values(env.services)
    .filter(isWorkload)
    .filter((s) => s.build || s.image);
  const login = registryLogin(p, env);
  const e = (s: { name: string }) => envName(s.name);
  const steps: Step[] = [
    ...login.steps,
    ...readAwsOutputs(p, env),
    run(
      "Record the running task definitions",
      appendTo(
        "GITHUB_ENV",
        services.map(
          (s) =>
            `echo "PREVIOUS_${e(s)}=$(aws ecs describe-services --cluster "$ECS_CLUSTER" --services "$${e(s)}_SERVICE" --query 'services[0].taskDefinition' --output text)"`,
        ),
      ),
    ),
    ...workloads.map((s) => registerTaskDefinition(s, imageRef(p, s))),
  ];
  for (const s of services.filter((x) => x.migrations)) {
    const overrides = {
      containerOverrides: [{ name: s.name, command: ["sh", "-c", s.migrations!.command] }],
    };
    steps.push(
      run(
        `Migrate ${s.name}`,
        [
          `network=$(aws ecs describe-services --cluster "$ECS_CLUSTER" --services "$${e(s)}_SERVICE" --query 'services[0].networkConfiguration' --output json)`,
          `task=$(aws ecs run-task --cluster "$ECS_CLUSTER" --task-definition "$${e(s)}_TASK_DEFINITION" --launch-type FARGATE \\`,
          '  --network-configuration "$network" --overrides "$OVERRIDES" --query \'tasks[0].taskArn\' --output text)',
          'aws ecs wait tasks-stopped --cluster "$ECS_CLUSTER" --tasks "$task"',
          'code=$(aws ecs describe-tasks --cluster "$ECS_CLUSTER" --tasks "$task" --query "tasks[0].containers[?name==\'$CONTAINER\'].exitCode | [0]" --output text)',
          'echo "migration exit code: $code"',
          'test "$code" = "0"',
        ],
        { env: { OVERRIDES: JSON.stringify(overrides), CONTAINER: s.name } },
      ),
    );
  }
  steps.push(
    run(
      "Roll out to ECS",
      [
        ...services.map(
          (s) =>
            `aws ecs update-service --cluster "$ECS_CLUSTER" --service "$${e(s)}_SERVICE" --task-definition "$${e(s)}_TASK_DEFINITION" --output none`,
        ),
        ...waitStable(services),
      ],
      { id: "rollout" },
    ),
  );
  for (const s of Object.values(env.services).filter(isStatic)) {
    steps.push(
      ...staticBuildSteps(p, s),
      run(
        `Upload ${s.name} to S3 and invalidate CloudFront`,
        [
          `aws s3 sync "$SITE" "s3://$${e(s)}_BUCKET" --delete`,
          `aws cloudfront create-invalidation --distribution-id "$${e(s)}_DISTRIBUTION" --paths "/*"`,
        ],
        {
          env: { SITE: repoPath(repoPath(p.specDir, s.static), s.output) },
        },
      ),
    );
  }
  steps.push(
    smokeStep(smokeUrls(env)),
    run(
      "Roll back to the previous task definitions",
      [
        ...services.map(
          (s) =>
            `aws ecs update-service --cluster "$ECS_CLUSTER" --service "$${e(s)}_SERVICE" --task-definition "$PREVIOUS_${e(s)}" --output none`,
        ),
        ...waitStable(services),
      ],
      { if: "failure() && (steps.rollout.outcome == 'failure' || steps.smoke.outcome == 'failure')" },
    ),
  );
  return steps;
}

/** `aws ecs wait services-stable` for the services, if there are any. */
export function waitStable(services: readonly { name: string }[]): string[] {
  if (services.length === 0) return [];
  return [
    `aws ecs wait services-stable --cluster "$ECS_CLUSTER" --services ${services.map((s) => `"$${envName(s.name)}_SERVICE"`).join(" ")}`,
  ];
}

/** Drops shell steps left without a command (an app with no service of some kind). */
export function compact(steps: Step[]): Step[] {
  return steps.filter((s) => s.run === undefined || s.run.trim() !== "");
}

/** The deploy steps of one environment for the pipeline's target, after checkout. */
export function deploySteps(p: Pipeline, env: AppModel): Step[] {
  if (p.helm) return helmDeploySteps(p, env);
  if (p.target === "azure") return compact(azureAppServiceSteps(p, env));
  return compact(awsSteps(p, env));
}

/** Least privilege for a deploy job: OIDC only when a step logs in with it, packages only to pull from GHCR. */
export function deployPermissions(steps: Step[]): Permissions {
  const oidc = steps.some((s) =>
    /^(azure\/login|aws-actions\/configure-aws-credentials)@/.test(s.uses ?? ""),
  );
  const ghcr = steps.some(
    (s) => s.uses?.startsWith("docker/login-action@") && s.with?.registry === "ghcr.io",
  );
  return {
    contents: "read",
    ...(oidc ? { "id-token": "write" as const } : {}),
    ...(ghcr ? { packages: "read" as const } : {}),
  };
}

export function notifyJob(
  p: Pipeline,
  what: string,
  needs: string[],
  result: string,
  condition: string,
): Job {
  const env: Record<string, string> = {};
  for (const n of p.notify) env[n.secret] = `\${{ secrets.${n.secret} }}`;
  const text = `${what}: ${result} (\${{ github.server_url }}/\${{ github.repository }}/actions/runs/\${{ github.run_id }})`;
  const steps: Step[] = p.notify.map((n) =>
    n.type === "slack"
      ? action(
          "Notify Slack",
          "slackapi/slack-github-action",
          {
            webhook: `\${{ secrets.${n.secret} }}`,
            "webhook-type": "incoming-webhook",
            payload: JSON.stringify({ text }),
          },
          { if: `env.${n.secret} != ''` },
        )
      : run(
          "Notify Microsoft Teams",
          [
            "jq --null-input --arg text \"$TEXT\" '{text: $text}' \\",
            `  | curl --fail --silent --show-error --request POST --header 'Content-Type: application/json' --data @- "$${n.secret}"`,
          ],
          {
            if: `env.${n.secret} != ''`,
            env: { TEXT: text },
          },
        ),
  );
  return {
    name: "Notify",
    "runs-on": RUNNER,
    needs,
    if: condition,
    permissions: {},
    "timeout-minutes": 5,
    env,
    steps,
  };
}

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
  return Math.min(360, 15 + 2 * p.deployTimeoutMinutes + 10 * migrations);
}

export function deploy(p: Pipeline, env: AppModel): Workflow {
  const name = env.environment.name;
  const url = environmentUrl(env);
  const steps = [
    checkout({ ref: "${{ needs.prepare.outputs.sha }}" }),
    ...deploySteps(p, env),
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
    permissions: deployPermissions(steps),
    "timeout-minutes": deployJobTimeout(p, env),
    steps,
  };
  return {
    name: `Deploy ${name}`,
    "run-name": `Deploy ${name} (\${{ github.event_name }})`,
    on: triggers(p, env),
    permissions: { contents: "read" },
    concurrency: { group: `deploy-${name}`, "cancel-in-progress": false },
    defaults: { run: { shell: "bash" } },
    jobs: {
      prepare: prepareJob(p, env),
      deploy: deployJob,
      notify: notifyJob(
        p,
        `${p.app} ${name} deploy of \${{ needs.prepare.outputs.image-tag }}`,
        ["prepare", "deploy"],
        "${{ needs.deploy.result }}",
        "always() && needs.prepare.outputs.deploy == 'true'",
      ),
    },
  };
}
