// outputs.tf of the AWS stack: what the pipelines read after `tofu apply` (cluster, services, task
// families, buckets, distributions, repositories, the deploy role) and what people look up.
import { expr, type Block, type HclValue } from "../../format/hcl.js";
import type { AppModel } from "../../model/types.js";
import { output, tfName } from "../terraform/blocks.js";
import { dashboardGroups, dashboardUrl } from "./dashboard.js";
import { moduleName } from "./names.js";
import { outputOf } from "./presence.js";
import type { AwsShape } from "./shape.js";
import { DRILL_MODULE, drilledIn } from "./drill-module.js";

/** Whether the environment's service `name` has migrations. */
const hasMigrations = (e: AppModel, name: string): boolean => {
  const s = e.services[name];
  return s !== undefined && (s.type === "http" || s.type === "worker") && s.migrations !== undefined;
};

/**
 * A workload's task family; one output also where it is a service in some environments and a job
 * in others (whichever this environment runs).
 */
function taskFamily(shape: AwsShape, name: string): HclValue {
  const service = outputOf(shape, moduleName.service(name), "task_family");
  if (!shape.jobs.some((j) => j.name === name)) return service;
  const job = outputOf(shape, moduleName.job(name), "task_family");
  return expr(`coalesce(${service.text}, ${job.text})`);
}

type Row = [name: string, value: HclValue, description: string];

const rows = (list: readonly Row[]): Block[] => list.map(([n, value, d]) => output(n, value, d));

export function awsOutputs(shape: AwsShape): Block[] {
  return [...rows(deployOutputs(shape)), ...rows(lookupOutputs(shape))];
}

/** What the deploy jobs read: where to push, which service and family to update, where to upload. */
function deployOutputs(shape: AwsShape): Row[] {
  const hasWorkloads = shape.services.length > 0 || shape.jobs.length > 0;
  const list: Row[] = [];
  if (hasWorkloads)
    list.push([
      "ecs_cluster_name",
      expr("module.cluster.cluster_name"),
      "ECS cluster the pipeline deploys to.",
    ]);
  for (const s of shape.services) {
    const m = (o: string) => outputOf(shape, moduleName.service(s.name), o);
    list.push(
      [`${tfName(s.name)}_service_name`, m("service_name"), `ECS service of ${s.name}.`],
      [`${tfName(s.name)}_task_family`, taskFamily(shape, s.name), `Task definition family of ${s.name}.`],
    );
    if (shape.envs.some((e) => hasMigrations(e, s.name)))
      list.push([
        `${tfName(s.name)}_migration_task_family`,
        m("migration_task_family"),
        `Task definition family of ${s.name}'s migrations (the pipeline runs them before each rollout).`,
      ]);
  }
  for (const j of shape.jobs.filter((x) => !shape.services.some((s) => s.name === x.name)))
    list.push([
      `${tfName(j.name)}_task_family`,
      outputOf(shape, moduleName.job(j.name), "task_family"),
      `Task definition family of the ${j.name} job.`,
    ]);
  for (const s of shape.sites) {
    const m = (o: string) => outputOf(shape, moduleName.site(s.name), o);
    list.push(
      [`${tfName(s.name)}_bucket`, m("bucket"), `Bucket the pipeline uploads ${s.name} to.`],
      [
        `${tfName(s.name)}_distribution_id`,
        m("distribution_id"),
        `CloudFront distribution of ${s.name} (invalidated after upload).`,
      ],
    );
  }
  list.push([
    "ecr_repository_urls",
    shape.built.length
      ? expr('{ for k, r in data.aws_ecr_repository.image : replace(k, "-", "_") => r.repository_url }')
      : {},
    "Image repository (bootstrap/'s) per built workload, which the deploys register images from (names with - as _).",
  ]);
  if (hasWorkloads)
    list.push(
      [
        "private_subnet_ids",
        expr("module.network.private_subnet_ids"),
        "Subnets for one-off tasks such as migrations.",
      ],
      [
        "service_security_group_ids",
        expr('{ for k, id in module.security.service_security_group_ids : replace(k, "-", "_") => id }'),
        "Security group per workload (one-off tasks run with their service's).",
      ],
    );
  return list;
}

/** The load balancer, the deploy role, the alert topic, the databases and the brokers. */
function lookupOutputs(shape: AwsShape): Row[] {
  const list: Row[] = [];
  if (shape.publicServices.length)
    list.push([
      "load_balancer_dns_name",
      outputOf(shape, "load_balancer", "dns_name"),
      "DNS name of the load balancer.",
    ]);
  if (shape.app.ci.repository)
    list.push(["deploy_role_arn", expr("module.ci.role_arn"), "Role GitHub Actions assume through OIDC."]);
  if (drilledIn(shape.envs))
    list.push([
      "dr_drill_role_arn",
      expr(`one(module.${DRILL_MODULE}[*].role_arn)`),
      "Role dr-drill.yml assumes (repository variable AWS_DRILL_ROLE_ARN); null outside the drilled environment.",
    ]);
  if (dashboardGroups(shape).length)
    list.push(["dashboard_url", dashboardUrl, "The environment's CloudWatch dashboard in the console."]);
  list.push([
    "alert_topic_arns",
    expr("module.monitoring.topic_arns"),
    "SNS topic of each alert channel (aws sns publish --topic-arn ... sends a test notification).",
  ]);
  for (const { name: p } of shape.postgres) {
    const m = (o: string) => outputOf(shape, moduleName.postgres(p), o);
    list.push(
      [`${tfName(p)}_database_address`, m("address"), `Host of the ${p} database.`],
      [
        `${tfName(p)}_database_secret_arn`,
        m("connection_secret_arn"),
        `Secret holding the ${p} connection as JSON: url, host, port, database, user, password, sslmode (never printed).`,
      ],
    );
  }
  if (shape.topics.length)
    list.push([
      "kafka_bootstrap_brokers",
      outputOf(shape, "kafka", "bootstrap_brokers"),
      "Kafka bootstrap brokers (SASL/IAM).",
    ]);
  return list;
}
