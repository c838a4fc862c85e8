// `gantry synth aws`: Terraform for ECS Fargate, RDS, ElastiCache, S3 + CloudFront and the rest.
// One module tree serves every environment: the root module (main.tf) wires the modules under
// modules/ for everything any environment runs, and each environments/<env>.tfvars holds what
// differs: what the environment runs at all (its entries in `services`, `postgres`...), sizes,
// counts, retention, domains, alerts, and the commands, ports or wiring that differ.
import { eventBridgeProblem } from "../../model/schedule.js";
import type { AppModel, ProjectModel } from "../../model/types.js";
import type { FileTree, SynthContext, Target, TargetProblem } from "../target.js";
import { printProject, type TerraformProject } from "../terraform/blocks.js";
import type { ModuleSpec, ProviderSpec } from "../terraform/module.js";
import { buildStack } from "../terraform/stack.js";
import { awsMain } from "./main.js";
import { bootstrapFiles, hasBootstrap } from "./bootstrap.js";
import { AWS_RULES, awsSystemChecks } from "./system-checks.js";
import {
  availabilityModule,
  clusterModule,
  loadBalancerModule,
  registryModule,
  secretsModule,
} from "./modules-platform.js";
import { kmsModule, networkModule, securityModule } from "./modules-network.js";
import { bucketModule, kafkaModule, postgresModule, redisModule } from "./modules-data.js";
import { budgetModule, ciModule } from "./modules-delivery.js";
import { drilledIn, drillModule } from "./drill-module.js";
import { staticSiteModule } from "./modules-site.js";
import { monitoringModule } from "./modules-monitoring.js";
import { serviceModule } from "./modules-service.js";
import { jobModule } from "./modules-workload.js";
import { awsOutputs } from "./outputs.js";
import { awsReadme } from "./readme.js";
import { awsRunbooks } from "./runbook.js";
import { awsShape, stateBucket, stateRegion, type AwsShape } from "./shape.js";
import { awsTfvars } from "./tfvars.js";
import { awsVariables } from "./variables.js";
import { AWS_SIZE_COLUMNS } from "./sizes.js";
import { recoveryProblems } from "../recovery.js";
import { environmentRegionProblems } from "../region.js";
import { awsRecovery } from "./recovery.js";
import { awsContract, contractProblems, settingProblems } from "./contract.js";

export const AWS_PROVIDER: ProviderSpec = { name: "aws", source: "hashicorp/aws", version: "~> 6.19" };

/** The modules an app of this shape needs. */
export function awsModules(shape: AwsShape): ModuleSpec[] {
  const mods: ModuleSpec[] = [
    kmsModule(),
    networkModule(),
    securityModule(),
    secretsModule(),
    monitoringModule(),
    budgetModule(),
  ];
  if (shape.built.length) mods.push(registryModule());
  if (shape.services.length || shape.jobs.length) mods.push(clusterModule());
  if (shape.publicServices.length || shape.sites.length) mods.push(availabilityModule());
  if (shape.publicServices.length) mods.push(loadBalancerModule());
  if (shape.services.length) mods.push(serviceModule());
  if (shape.jobs.length) mods.push(jobModule());
  if (shape.postgres.length) mods.push(postgresModule());
  if (shape.redis.length) mods.push(redisModule());
  if (shape.buckets.length) mods.push(bucketModule());
  if (shape.sites.length) mods.push(staticSiteModule());
  if (shape.topics.length) mods.push(kafkaModule());
  if (shape.app.ci.repository) mods.push(ciModule());
  if (drilledIn(shape.envs)) mods.push(drillModule());
  return mods;
}

/** The typed project (for the schema check) and its README. */
// Ephemeral resources and write-only arguments keep the generated passwords out of the state.
const REQUIRED_VERSION = ">= 1.11.0";

export function buildAws(project: ProjectModel, ctx: SynthContext): TerraformProject {
  const shape = awsShape(project);
  const stack = buildStack(
    {
      target: "aws",
      requiredVersion: REQUIRED_VERSION,
      provider: AWS_PROVIDER,
      backend: {
        store: "S3",
        summary: [
          "State in S3, encrypted, locked with an S3 lock file (no DynamoDB table needed).",
          "Bucket, key and region come per environment: tofu init -backend-config=environments/<env>.s3.tfbackend",
          "The bucket is created once, versioned and encrypted, as the README shows.",
        ],
        settings: { encrypt: true, use_lockfile: true },
      },
      variables: awsVariables(shape),
      main: awsMain(shape),
      outputs: awsOutputs(shape),
      environments: shape.envs.map((e, i) => ({
        app: e,
        values: awsTfvars(shape, e, i),
        state: { bucket: stateBucket(e), settings: { region: stateRegion(shape.envs, e) } },
      })),
      modules: awsModules(shape),
      readme: awsReadme(shape, ctx),
    },
    ctx,
  );
  if (hasBootstrap(shape)) Object.assign(stack.hcl, bootstrapFiles(shape, REQUIRED_VERSION, AWS_PROVIDER));
  Object.assign(stack.text, awsRunbooks(shape.envs));
  return stack;
}

function check(project: ProjectModel): TargetProblem[] {
  const first = project.environments[0];
  if (!first) return [];
  const problems = [...contractProblems(project), ...settingProblems(awsShape(project))];
  for (const e of project.environments)
    problems.push(
      ...postgresProblems(e),
      ...scheduleProblems(e),
      ...environmentRegionProblems(e, "aws-region", "aws.region"),
    );
  problems.push(...accountProblems(project.environments), ...recoveryProblems(project, awsRecovery));
  if (!first.ci.repository)
    problems.push({
      path: "ci.repository",
      severity: "warning",
      message: "no ci.repository: no GitHub deploy role is generated",
    });
  return problems;
}

/**
 * The image repositories and the pipeline roles are bootstrap/'s, in the first environment's
 * account: an environment in another account finds neither (its stack looks the repositories up in
 * its own account, and the OIDC provider is per account).
 */
function accountProblems(envs: readonly AppModel[]): TargetProblem[] {
  const first = envs[0]?.targets.aws?.account_id;
  return envs.slice(1).flatMap((e) => {
    const own = e.targets.aws?.account_id;
    return first && own && own !== first
      ? [
          {
            env: e.environment.name,
            path: "targets.aws.account_id",
            severity: "warning" as const,
            message: `${e.environment.name} is in account ${own}, but bootstrap/ creates the image repositories and the pipeline roles in ${first} (the first environment's)`,
            hint: "keep every environment in one account (one registry per app), or provide that account's repositories and roles yourself",
          },
        ]
      : [];
  });
}

/** A job's schedule EventBridge Scheduler cannot express (src/model/schedule.ts). */
function scheduleProblems(e: AppModel): TargetProblem[] {
  return Object.values(e.services).flatMap((s) => {
    const why = s.type === "job" ? eventBridgeProblem(s.schedule) : undefined;
    return why
      ? [
          {
            env: e.environment.name,
            path: `services.${s.name}.schedule`,
            message: why,
            hint: "restrict only one of them, or split the job into two with a schedule each",
          },
        ]
      : [];
  });
}

function postgresProblems(e: AppModel): TargetProblem[] {
  const problems: TargetProblem[] = [];
  for (const p of Object.values(e.postgres)) {
    if (p.hosting === "cluster")
      problems.push({
        env: e.environment.name,
        path: `postgres.${p.name}.hosting`,
        severity: "warning",
        message: `${p.name} runs in the cluster elsewhere; on AWS it is always RDS`,
      });
    if (p.databases.length > 1)
      problems.push({
        env: e.environment.name,
        path: `postgres.${p.name}.databases`,
        severity: "warning",
        message: `RDS creates only the first database (${p.databases[0]}); create the others in a migration`,
      });
  }
  return problems;
}

export const awsTarget: Target = {
  sizeColumns: AWS_SIZE_COLUMNS,
  name: "aws",
  description:
    "Terraform for AWS: VPC, ECS Fargate behind an ALB, RDS, ElastiCache, S3 + CloudFront, MSK Serverless, alarms, budget, GitHub OIDC deploy role.",
  defaultOut: "infrastructure/aws",
  ownsOutput: true,
  contract: awsContract,
  check: (project) => check(project),
  rules: AWS_RULES,
  systemChecks: awsSystemChecks,
  render: (project, ctx): FileTree => printProject(buildAws(project, ctx)),
};
