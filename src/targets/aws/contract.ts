// What an app receives on ECS Fargate, for `gantry env --target aws` and the target's checks: where
// each variable of the contract comes from (supply.ts), what ECS cannot supply (the Dapr variables),
// what only ECS adds (the MSK brokers), and what one main.tf for every environment cannot express.
import type { Variable } from "../../model/bindings.js";
import { isWorkload, topicsUsed, usesEmail } from "../../model/queries.js";
import type { AppModel, ProjectModel } from "../../model/types.js";
import type { ContractSupport } from "../../model/contract-support.js";
import type { TargetProblem } from "../target.js";
import type { Workload } from "./names.js";
import { settingsOf } from "./settings.js";
import type { AwsShape } from "./shape.js";
import { supply } from "./supply.js";
import { platformVariables } from "./wiring.js";

/** The Secrets Manager name of something under the environment's prefix (`<app>-<env>/...`). */
const secretName = (app: AppModel, path: string) =>
  `Secrets Manager ${app.name}-${app.environment.name}/${path}`;

function origin(app: AppModel, w: Workload, v: Variable): string {
  const b = v.binding;
  switch (b.kind) {
    case "postgres":
    case "redis":
      if (v.secret)
        return `${secretName(app, `${b.kind}/${b.resource}/connection`)} (key ${b.part}), written by Terraform`;
      if (b.part === "sslmode") return "require (RDS forces TLS)";
      return `the ${b.part === "host" ? "endpoint" : b.part} of ${b.kind === "postgres" ? "RDS" : "ElastiCache"} ${b.resource}`;
    case "bucket":
      return b.part === "name" ? `S3 bucket of ${b.resource}` : `s3:// and the S3 bucket of ${b.resource}`;
    case "template":
      return v.secret
        ? `${secretName(app, `${w.name}/${v.name}`)}, composed by Terraform`
        : "composed by Terraform in main.tf";
    case "secret":
      return `${secretName(app, b.name)} (you put the value)`;
    case "literal":
      return `environments/${app.environment.name}.tfvars`;
    case "email-domain":
      return `environments/${app.environment.name}.tfvars (no SES identity is created)`;
    case "listen-address":
      return "0.0.0.0, the task's network interface";
    case "port":
    case "environment-name":
    case "service-name":
      return "the task definition";
    case "pubsub-name":
    case "pubsub-port":
      return "not supplied";
  }
}

export const awsContract: ContractSupport = {
  origin,
  missing(app, w, v) {
    const s = supply(app, w, v);
    return s.in === "none" ? s.why : undefined;
  },
  platformVariables,
};

/**
 * Problems of the contract on AWS, in any environment: the Dapr variables ECS cannot supply and
 * e-mail without SES (one warning per workload, however many environments).
 */
export function contractProblems(project: ProjectModel): TargetProblem[] {
  const problems: TargetProblem[] = [];
  const warned = new Set<string>();
  const warn = (p: TargetProblem) => {
    if (!warned.has(p.path)) problems.push(p);
    warned.add(p.path);
  };
  for (const e of project.environments)
    for (const w of Object.values(e.services).filter(isWorkload)) {
      if (topicsUsed(e, w).length === 0) continue;
      const field = w.uses.some((u) => u in e.topics) ? "uses" : "subscribes";
      warn({
        path: `services.${w.name}.${field}`,
        severity: "warning",
        message: `${w.name} receives no PUBSUB_NAME or DAPR_HTTP_PORT on AWS: ECS runs no Dapr sidecar, so nothing publishes through Dapr or delivers events to subscription routes`,
        hint: "publish to and consume the topics on MSK Serverless with KAFKA_BROKERS and KAFKA_SASL_MECHANISM=AWS_MSK_IAM",
      });
    }
  for (const e of project.environments)
    if (e.email && Object.values(e.services).some((w) => isWorkload(w) && usesEmail(e, w)))
      warn({
        path: "email.domain",
        severity: "warning",
        message: `the AWS target creates no SES identity: ${e.email.domain} must be verified in SES before the app sends mail`,
      });
  return problems;
}

/**
 * What one main.tf cannot give each environment its own of: an argument that differs between
 * environments and has no literal form for the tfvars (settings.ts).
 */
export function settingProblems(shape: AwsShape): TargetProblem[] {
  const problems: TargetProblem[] = [];
  for (const s of settingsOf(shape).values())
    for (const { field, env } of s.fixed) {
      const first = shape.envs.find((e) => s.byEnv.has(e.environment.name))!.environment.name;
      const w = shape.envs.find((e) => e.environment.name === env)?.services[s.name];
      const built = w !== undefined && isWorkload(w) && w.build !== undefined;
      problems.push({
        env,
        path: `services.${s.name}.${built ? "build" : field}`,
        message: `${s.name} ${built ? "is built from source here but runs a prebuilt image" : "runs a prebuilt image here but is built from source"} in ${first}: on AWS one main.tf names the image of every environment, from its ECR repository or the image given`,
        hint: "build it in every environment, or give a prebuilt `image` in every environment",
      });
    }
  return problems;
}
