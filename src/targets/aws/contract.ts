// What an app receives on ECS Fargate, for `gantry env --target aws` and the target's checks: where
// each variable of the contract comes from (supply.ts), what ECS cannot supply (the Dapr variables),
// what only ECS adds (the MSK brokers), and what one main.tf for every environment cannot express.
import { workloadContract, workloadVariables, type Variable } from "../../model/bindings.js";
import { isWorkload, topicsUsed, usesEmail } from "../../model/queries.js";
import type { AppModel, ProjectModel } from "../../model/types.js";
import type { ContractSupport } from "../../model/contract-support.js";
import type { TargetProblem } from "../target.js";
import type { Workload } from "./shape.js";
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

/** What a workload must not change between environments, since main.tf holds it for all of them. */
function sharedWiring(app: AppModel, w: Workload): string {
  const c = workloadContract(app, w);
  const inMain = workloadVariables(app, w)
    .filter((v) => supply(app, w, v).in !== "tfvars")
    .map((v) => [v.name, v.binding]);
  const { port, health, command, migrations } = c;
  return JSON.stringify([
    [...w.uses].sort(),
    [...w.secrets].sort(),
    port,
    health,
    command,
    migrations,
    inMain,
  ]);
}

/**
 * Problems of the contract on AWS: the Dapr variables ECS cannot supply, e-mail without SES, and
 * workloads whose contract differs between environments beyond literal env values.
 */
export function contractProblems(project: ProjectModel): TargetProblem[] {
  const [first, ...rest] = project.environments;
  if (!first) return [];
  const problems: TargetProblem[] = [];
  const workloads = Object.values(first.services).filter(isWorkload);
  for (const w of workloads.filter((x) => topicsUsed(first, x).length > 0)) {
    const field = w.uses.some((u) => u in first.topics) ? "uses" : "subscribes";
    problems.push({
      path: `services.${w.name}.${field}`,
      severity: "warning",
      message: `${w.name} receives no PUBSUB_NAME or DAPR_HTTP_PORT on AWS: ECS runs no Dapr sidecar, so nothing publishes through Dapr or delivers events to subscription routes`,
      hint: "publish to and consume the topics on MSK Serverless with KAFKA_BROKERS and KAFKA_SASL_MECHANISM=AWS_MSK_IAM",
    });
  }
  if (first.email && workloads.some((w) => usesEmail(first, w)))
    problems.push({
      path: "email.domain",
      severity: "warning",
      message: `the AWS target creates no SES identity: ${first.email.domain} must be verified in SES before the app sends mail`,
    });
  for (const e of rest)
    for (const w of Object.values(e.services).filter(isWorkload)) {
      const w0 = first.services[w.name];
      if (w0 && isWorkload(w0) && sharedWiring(e, w) !== sharedWiring(first, w0))
        problems.push({
          env: e.environment.name,
          path: `services.${w.name}`,
          message: `${w.name}'s uses, secrets, port, health paths, command, migrations or env references differ from ${first.environment.name}: on AWS one main.tf serves every environment`,
          hint: "keep them the same in every environment; literal env values may differ",
        });
    }
  return problems;
}
