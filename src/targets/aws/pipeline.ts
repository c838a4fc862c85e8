// The AWS platform's pieces of the GitHub pipelines: ECR and the OIDC login, the ECS deploy (a new
// task definition per workload, migrations as a one-off Fargate task of their own task definition,
// update-service, wait for stability, S3 + CloudFront for static sites, the previous task
// definitions on failure), the rollback to an earlier image tag or task definition, and the
// OpenTofu stack.
import { envName, isService, isStatic, isWorkload } from "../../model/queries.js";
import type { AppModel, JobModel, ServiceModel } from "../../model/types.js";
import { smokeUrls, type Pipeline } from "../github/pipeline.js";
import { IMAGE_TAG_REVISION, REVISION } from "../github/rollback.js";
import { appendTo, IMAGE_TAG, siteDir, smokeStep, staticBuildSteps } from "../github/steps.js";
import { action, run, type Step } from "../github/workflow.js";
import type { DeploySteps, Platform, RegistryService } from "../platform.js";
import { joinSettings } from "../platform.js";
import {
  setupTofu,
  tofuCheckJob,
  tofuInfrastructure,
  tofuInit,
  type TofuStack,
} from "../terraform/pipeline.js";
import { channelInputs, type ChannelInputs } from "../terraform/values.js";
import { awsOptions } from "./shape.js";
import { BOOTSTRAP_DIR } from "./bootstrap.js";
import { assumedVariable, bootstrapRepositories, mayPush, roleOf } from "./read-tree.js";
import type { ReadJob } from "../github/read-workflows.js";
import type { RenderedTrees } from "../target.js";
import { awsVerification } from "./verify.js";
import { drilledIn } from "./drill-module.js";
import { awsDrill } from "./pipeline-drill.js";

/** The ECR login step's output: the registry host of the account and region. */
const ECR_FROM_LOGIN = "${{ steps.login-ecr.outputs.registry }}";

/** snake_case for Terraform output names: sse-gateway → sse_gateway. */
const snake = (s: string): string => s.replace(/-/g, "_");

/**
 * The region an environment's stack runs in, as its tfvars give it; without an environment (build.yml)
 * the first environment's, where the shared image repositories are (bootstrap/).
 */
const awsRegion = (p: Pipeline, env?: AppModel): string => awsOptions(env ?? p.base).region;

/**
 * AWS login by OIDC; deploys assume AWS_ROLE_ARN, infrastructure plans and applies AWS_INFRA_ROLE_ARN,
 * the recovery drill AWS_DRILL_ROLE_ARN.
 */
export function awsLogin(
  p: Pipeline,
  env?: AppModel,
  role: "AWS_ROLE_ARN" | "AWS_INFRA_ROLE_ARN" | "AWS_DRILL_ROLE_ARN" = "AWS_ROLE_ARN",
  region = awsRegion(p, env),
): Step {
  return action("Configure AWS credentials (OIDC)", "aws-actions/configure-aws-credentials", {
    "role-to-assume": `\${{ vars.${role} }}`,
    "aws-region": region,
    "role-session-name": `gantry-${p.app}`,
  });
}

const ECR_HOST = /\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com$/;

/** The region of a registry the spec names by its ECR host (<account>.dkr.ecr.<region>.amazonaws.com). */
const ecrHostRegion = (prefix: string): string | undefined => ECR_HOST.exec(prefix.split("/")[0] ?? "")?.[1];

/** ECR; its repositories are tag-immutable (the AWS stack sets IMMUTABLE). */
const ECR: RegistryService = {
  serves: (prefix) => prefix.split("/")[0] === ECR_FROM_LOGIN || ecrHostRegion(prefix) !== undefined,
  login: (p, env) => ({
    steps: [
      awsLogin(p, env, "AWS_ROLE_ARN", ecrHostRegion(p.registry.prefix)),
      action(
        "Log in to Amazon ECR",
        "aws-actions/amazon-ecr-login",
        { "mask-password": "true" },
        { id: "login-ecr" },
      ),
    ],
    permissions: { "id-token": "write" },
  }),
  immutableTags: true,
  settings: () => ({ variables: ["AWS_ROLE_ARN"], secrets: [] }),
  provides: ecrProvides,
};

/** The repository must be one bootstrap/ creates, and the role the job assumes must push there. */
function ecrProvides(repository: string, job: ReadJob, trees: RenderedTrees): string | undefined {
  const [host = "", ...rest] = repository.split("/");
  const path = rest.join("/");
  const aws = trees.aws;
  // A registry the spec names by its host is the spec's to provide.
  if (!aws)
    return ecrHostRegion(host)
      ? undefined
      : `no AWS tree is rendered with the workflows: nothing creates ${path}`;
  const { paths } = bootstrapRepositories(aws);
  if (!paths.includes(path))
    return `${path} is not an image repository ${BOOTSTRAP_DIR}/main.tf creates (${paths.join(", ") || "none"})`;
  const variable = assumedVariable(job);
  const role = variable && roleOf(aws, job, variable.name);
  if (!role)
    return `the AWS tree creates no role for this job to assume (vars.${variable?.name ?? "?"}) that could push ${path}; with ci.repository set, bootstrap/ creates it`;
  if (!mayPush(role)) return `${role.address} (${role.file}) may not push to ${path}`;
  return undefined;
}

/** Reads the Terraform outputs of the AWS stack into the job's environment (a deploy's with the migrations'). */
function readOutputs(env: AppModel, dir: string, forDeploy = false): Step[] {
  const lines = ['echo "ECS_CLUSTER=$(jq -r \'.ecs_cluster_name.value\' "$RUNNER_TEMP/outputs.json")"'];
  const read = (name: string, output: string, value = ".value") =>
    lines.push(`echo "${name}=$(jq -r '.${output}${value}' "$RUNNER_TEMP/outputs.json")"`);
  for (const s of Object.values(env.services)) {
    const n = snake(s.name);
    const e = envName(s.name);
    if (isWorkload(s) && s.build) read(`${e}_REPOSITORY`, `ecr_repository_urls.value.${n}`, "");
    if (isService(s)) {
      read(`${e}_SERVICE`, `${n}_service_name`);
      read(`${e}_FAMILY`, `${n}_task_family`);
      if (forDeploy && s.migrations) read(`${e}_MIGRATION_FAMILY`, `${n}_migration_task_family`);
    } else if (s.type === "job" && s.build) {
      read(`${e}_FAMILY`, `${n}_task_family`);
    } else if (isStatic(s)) {
      read(`${e}_BUCKET`, `${n}_bucket`);
      read(`${e}_DISTRIBUTION`, `${n}_distribution_id`);
    }
  }
  const script = [
    'tofu -chdir="$TF_DIR" output -json > "$RUNNER_TEMP/outputs.json"',
    ...appendTo("GITHUB_ENV", lines),
  ];
  return [
    setupTofu(),
    tofuInit(env, dir),
    run("Read the infrastructure outputs", script, { env: { TF_DIR: dir } }),
  ];
}

/**
 * The image a deploy registers: a built workload's from the repository the environment's stack
 * reads (its output `ecr_repository_urls`, in the registry's region, which may not be the
 * environment's), a prebuilt one as the spec names it.
 */
function deployedImage(s: ServiceModel | JobModel, tag = IMAGE_TAG): string {
  return s.build ? `\${{ env.${envName(s.name)}_REPOSITORY }}:${tag}` : (s.image ?? "");
}

/**
 * Registers a new revision of a workload's task definition with the image at `$IMAGE`, or of its
 * migrations' task definition (`<NAME>_MIGRATION_FAMILY` to `<NAME>_MIGRATION_TASK_DEFINITION`).
 */
function registerTaskDefinition(s: ServiceModel | JobModel, image: string, of: "" | "MIGRATION_" = ""): Step {
  const e = `${envName(s.name)}_${of}`;
  const file = `"$RUNNER_TEMP/$CONTAINER-${of ? "migration-" : ""}task-definition.json"`;
  return run(
    `New ${of ? "migration " : ""}task definition for ${s.name}`,
    [
      `aws ecs describe-task-definition --task-definition "$${e}FAMILY" --query taskDefinition --output json \\`,
      '  | jq --arg image "${IMAGE,,}" --arg name "$CONTAINER" \'(.containerDefinitions[] | select(.name == $name) | .image) = $image',
      "    | del(.taskDefinitionArn, .revision, .status, .requiresAttributes, .compatibilities, .registeredAt, .registeredBy, .deregisteredAt)' \\",
      `  > ${file}`,
      `echo "${e}TASK_DEFINITION=$(aws ecs register-task-definition --cli-input-json "file://${file.slice(1)} --query taskDefinition.taskDefinitionArn --output text)" >> "$GITHUB_ENV"`,
    ],
    { env: { IMAGE: image, CONTAINER: s.name } },
  );
}

/** `aws ecs wait services-stable` for the services, if there are any. */
function waitStable(services: readonly { name: string }[]): string[] {
  if (services.length === 0) return [];
  return [
    `aws ecs wait services-stable --cluster "$ECS_CLUSTER" --services ${services.map((s) => `"$${envName(s.name)}_SERVICE"`).join(" ")}`,
  ];
}

const services = (env: AppModel) => Object.values(env.services).filter(isService);
/** Workloads with a task definition to update: built or with a prebuilt image. */
const taskWorkloads = (env: AppModel) =>
  Object.values(env.services)
    .filter(isWorkload)
    .filter((s) => s.build || s.image);
/** Services whose migrations run before the rollout, with their own task definition. */
const migrated = (env: AppModel) => services(env).filter((s) => s.migrations && (s.build || s.image));
const e = (s: { name: string }) => envName(s.name);

function updateServices(env: AppModel, taskDefinition: (s: ServiceModel) => string): string[] {
  return [
    ...services(env).map(
      (s) =>
        `aws ecs update-service --cluster "$ECS_CLUSTER" --service "$${e(s)}_SERVICE" --task-definition "${taskDefinition(s)}" --output none`,
    ),
    ...waitStable(services(env)),
  ];
}

/**
 * Each service's migrations as a one-off task of their own task definition (the service's container,
 * environment and secrets with the migration command as entrypoint and arguments: ECS overrides
 * cannot replace an image's entrypoint), in the service's subnets and security group.
 */
function migrations(env: AppModel): Step[] {
  return migrated(env).map((s) =>
    run(
      `Migrate ${s.name}`,
      [
        `network=$(aws ecs describe-services --cluster "$ECS_CLUSTER" --services "$${e(s)}_SERVICE" --query 'services[0].networkConfiguration' --output json)`,
        `task=$(aws ecs run-task --cluster "$ECS_CLUSTER" --task-definition "$${e(s)}_MIGRATION_TASK_DEFINITION" --launch-type FARGATE \\`,
        "  --network-configuration \"$network\" --query 'tasks[0].taskArn' --output text)",
        'aws ecs wait tasks-stopped --cluster "$ECS_CLUSTER" --tasks "$task"',
        'code=$(aws ecs describe-tasks --cluster "$ECS_CLUSTER" --tasks "$task" --query "tasks[0].containers[?name==\'$CONTAINER\'].exitCode | [0]" --output text)',
        'echo "migration exit code: $code"',
        'test "$code" = "0"',
      ],
      { env: { CONTAINER: s.name } },
    ),
  );
}

function deploy(p: Pipeline, env: AppModel, dir: string): DeploySteps {
  const rollout: Step[] = [
    run(
      "Roll out to ECS",
      updateServices(env, (s) => `$${e(s)}_TASK_DEFINITION`),
      { id: "rollout" },
    ),
  ];
  for (const s of Object.values(env.services).filter(isStatic)) {
    rollout.push(
      ...staticBuildSteps(p, s),
      run(
        `Upload ${s.name} to S3 and invalidate CloudFront`,
        [
          `aws s3 sync "$SITE" "s3://$${e(s)}_BUCKET" --delete`,
          `aws cloudfront create-invalidation --distribution-id "$${e(s)}_DISTRIBUTION" --paths "/*"`,
        ],
        { env: { SITE: siteDir(p, s) } },
      ),
    );
  }
  rollout.push(
    smokeStep(smokeUrls(env)),
    run(
      "Roll back to the previous task definitions",
      updateServices(env, (s) => `$PREVIOUS_${e(s)}`),
      {
        if: "failure() && (steps.rollout.outcome == 'failure' || steps.smoke.outcome == 'failure')",
      },
    ),
  );
  return {
    prepare: [
      awsLogin(p, env),
      ...readOutputs(env, dir, true),
      run(
        "Record the running task definitions",
        appendTo(
          "GITHUB_ENV",
          services(env).map(
            (s) =>
              `echo "PREVIOUS_${e(s)}=$(aws ecs describe-services --cluster "$ECS_CLUSTER" --services "$${e(s)}_SERVICE" --query 'services[0].taskDefinition' --output text)"`,
          ),
        ),
      ),
      ...taskWorkloads(env).map((s) => registerTaskDefinition(s, deployedImage(s))),
      ...migrated(env).map((s) => registerTaskDefinition(s, deployedImage(s), "MIGRATION_")),
    ],
    migrate: migrations(env),
    rollout,
  };
}

/**
 * Points each service at the task definition before the current one (empty revision), or at a new
 * one with the given image tag.
 */
function rollback(p: Pipeline, env: AppModel, dir: string): Step[] {
  const steps: Step[] = [awsLogin(p, env), ...readOutputs(env, dir)];
  for (const s of taskWorkloads(env)) {
    steps.push({
      ...registerTaskDefinition(s, deployedImage(s, REVISION)),
      if: "inputs.revision != ''",
    });
  }
  steps.push(
    run(
      "Point the services at the earlier task definitions",
      [
        ...services(env).flatMap((s) => [
          'if [ -z "$REVISION" ]; then',
          `  current=$(aws ecs describe-services --cluster "$ECS_CLUSTER" --services "$${e(s)}_SERVICE" --query 'services[0].taskDefinition' --output text)`,
          "  revision=${current##*:}",
          `  ${e(s)}_TASK_DEFINITION="\${current%:*}:$((revision - 1))"`,
          "fi",
          `aws ecs update-service --cluster "$ECS_CLUSTER" --service "$${e(s)}_SERVICE" --task-definition "$${e(s)}_TASK_DEFINITION" --output none`,
        ]),
        ...waitStable(services(env)),
      ],
      { id: "rollout", env: { REVISION } },
    ),
    smokeStep(smokeUrls(env)),
  );
  return steps;
}

/**
 * The alert inputs no file may hold: each webhook channel's URL (TF_VAR_alert_webhook_urls), and
 * the Slack and Teams ids of AWS Chatbot from the variable ALERT_CHAT_CHANNELS.
 */
export const alertInputs = (envs: readonly AppModel[]): ChannelInputs =>
  channelInputs(
    envs,
    { types: ["webhook"], input: "TF_VAR_alert_webhook_urls" },
    { types: ["slack", "teams"], input: "TF_VAR_chat_channels", variable: "ALERT_CHAT_CHANNELS" },
  );

export const awsPlatform: Platform = {
  name: "aws",
  configured: (base) => base.targets.aws !== undefined,
  registries: [ECR],
  pipeline(project, ctx) {
    const dir = ctx.outputs.aws;
    // The stack generates passwords when any environment has a database or a cache.
    const credentials = project.environments.some(
      (e) => Object.keys({ ...e.postgres, ...e.redis }).length > 0,
    );
    const alerts = alertInputs(project.environments);
    const stack: TofuStack = {
      dir,
      env: {
        // Generated passwords change when credentials_version does: every plan passes the same one.
        ...(credentials ? { TF_VAR_credentials_version: "${{ vars.CREDENTIALS_VERSION || 1 }}" } : {}),
        ...alerts.env,
      },
      login: (p, env) => [awsLogin(p, env, "AWS_INFRA_ROLE_ARN")],
    };
    return {
      // ECR repositories <app>/<service>; the registry host comes from the ECR login step.
      registry: ECR_FROM_LOGIN,
      staticImages: false,
      deploy: (p, env) => deploy(p, env, dir),
      revision: IMAGE_TAG_REVISION,
      rollback: (p, env) => rollback(p, env, dir),
      infrastructure: tofuInfrastructure(stack),
      prChecks: (p) => ({ opentofu: tofuCheckJob(p, stack) }),
      synthTargets: ["aws"],
      // The deploys log in to ECR themselves, to read the running task definitions.
      settings: (p) =>
        joinSettings(
          {
            variables: [
              "AWS_INFRA_ROLE_ARN",
              ...(credentials ? ["CREDENTIALS_VERSION"] : []),
              ...alerts.variables,
            ],
            secrets: alerts.secrets,
          },
          p.registry.service.settings(p),
        ),
      problems: [],
      verification: awsVerification,
      drill: (p, prod) =>
        drilledIn(project.environments)?.environment.name === prod.environment.name
          ? awsDrill(p, prod)
          : undefined,
    };
  },
};
