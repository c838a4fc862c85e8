// How a workload module is called from the root: its image, command, sizes and health check, and
// the wiring to what it uses (environment variables, secrets by ARN, IAM statements).
import { call, expr, tmpl, type HclValue } from "../../format/hcl.js";
import { seconds } from "../../util/duration.js";
import { envName } from "../terraform/units.js";
import { moduleName, type AwsShape, type Workload } from "./shape.js";

const M = (name: string) => `module.${name}`;
const q = (s: string) => JSON.stringify(s);

interface Wiring {
  env: Record<string, HclValue>;
  secrets: Record<string, HclValue>;
  statements: HclValue[];
}

/** Environment variables and secrets that connect a workload to what it uses. */
function wiring(shape: AwsShape, w: Workload): Wiring {
  const wire: Wiring = { env: {}, secrets: {}, statements: [] };
  wirePostgres(shape, w, wire);
  const redisNames = Object.keys(shape.app.redis);
  for (const r of redisNames) {
    if (!shape.redisClients.get(r)?.includes(w.name)) continue;
    wire.env[redisNames.length === 1 ? "REDIS_URL" : `${envName(r)}_REDIS_URL`] = expr(
      `${M(moduleName.redis(r))}.url`,
    );
  }
  for (const b of Object.keys(shape.app.buckets)) {
    if (!w.uses.includes(b)) continue;
    const m = M(moduleName.bucket(b));
    wire.env[`${envName(b)}_BUCKET`] = expr(`${m}.bucket`);
    wire.statements.push({
      actions: ["s3:ListBucket", "s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
      resources: [expr(`${m}.arn`), tmpl(`\${${m}.arn}/*`)],
    });
    wire.statements.push({
      actions: ["kms:Decrypt", "kms:GenerateDataKey"],
      resources: [expr("module.kms.key_arn")],
    });
  }
  if (shape.kafkaClients.includes(w.name)) wireKafka(shape, w, wire);
  for (const s of w.secrets) wire.secrets[s] = expr(`module.secrets.arns[${q(s)}]`);
  return wire;
}

function wirePostgres(shape: AwsShape, w: Workload, wire: Wiring): void {
  const app = shape.app;
  const pgNames = Object.keys(app.postgres);
  for (const p of pgNames) {
    if (!shape.postgresClients.get(p)?.includes(w.name)) continue;
    const prefix = pgNames.length === 1 ? "DATABASE" : `${envName(p)}_DATABASE`;
    const m = M(moduleName.postgres(p));
    wire.env[`${prefix}_HOST`] = expr(`${m}.address`);
    wire.env[`${prefix}_PORT`] = expr(`tostring(${m}.port)`);
    wire.env[`${prefix}_NAME`] = app.postgres[p]!.databases[0] ?? app.name.replace(/[^A-Za-z0-9]/g, "_");
    wire.env[`${prefix}_USER`] = expr(`${m}.username`);
    wire.env[`${prefix}_SSLMODE`] = "require";
    if (!w.secrets.includes(`${prefix}_PASSWORD`))
      wire.secrets[`${prefix}_PASSWORD`] = tmpl(`\${${m}.master_secret_arn}:password::`);
  }
}

/** MSK Serverless authorises by IAM: connect, then write the topics used and read the topics subscribed. */
function wireKafka(shape: AwsShape, w: Workload, wire: Wiring): void {
  wire.env.KAFKA_BROKERS = expr("module.kafka.bootstrap_brokers");
  wire.env.KAFKA_SASL_MECHANISM = "AWS_MSK_IAM";
  const topicsUsed = Object.keys(shape.app.topics).filter(
    (t) => w.uses.includes(t) || (w.type !== "job" && t in w.subscribes),
  );
  const topicArn = (t: string) => tmpl(`\${replace(module.kafka.cluster_arn, ":cluster/", ":topic/")}/${t}`);
  wire.statements.push({
    actions: ["kafka-cluster:Connect", "kafka-cluster:DescribeCluster"],
    resources: [expr("module.kafka.cluster_arn")],
  });
  const pub = topicsUsed.filter((t) => w.uses.includes(t));
  const sub = w.type !== "job" ? topicsUsed.filter((t) => t in w.subscribes) : [];
  if (pub.length)
    wire.statements.push({
      actions: ["kafka-cluster:DescribeTopic", "kafka-cluster:WriteData"],
      resources: pub.map(topicArn),
    });
  if (sub.length) {
    wire.statements.push({
      actions: ["kafka-cluster:DescribeTopic", "kafka-cluster:ReadData"],
      resources: sub.map(topicArn),
    });
    wire.statements.push({
      actions: ["kafka-cluster:AlterGroup", "kafka-cluster:DescribeGroup"],
      resources: [tmpl('${replace(module.kafka.cluster_arn, ":cluster/", ":group/")}/*')],
    });
  }
}

/** The arguments a service and a job module share; `varRef` is its entry in var.services or var.jobs. */
export function workloadArgs(
  shape: AwsShape,
  w: Workload,
  varRef: string,
): Record<string, HclValue | undefined> {
  const wire = wiring(shape, w);
  const image = w.build
    ? tmpl(`\${module.registry.repository_urls[${q(w.name)}]}:\${var.image_tag}`)
    : (w.image ?? "");
  const command = w.command
    ? /[$&|;<>`"'\\]/.test(w.command)
      ? ["sh", "-c", w.command]
      : w.command.split(/\s+/).filter(Boolean)
    : undefined;
  const health = w.type !== "job" ? w.health : undefined;
  return {
    source: `./modules/${w.type === "job" ? "job" : "service"}`,
    name: expr("local.name"),
    workload: w.name,
    image,
    command,
    port: w.type !== "job" && w.port ? w.port : undefined,
    cpu: expr(`${varRef}.cpu`),
    memory: expr(`${varRef}.memory`),
    environment: Object.keys(wire.env).length
      ? call("merge", expr(`${varRef}.environment`), wire.env)
      : expr(`${varRef}.environment`),
    secrets: wire.secrets,
    health_check_path: health ? (health.readiness ?? health.liveness) : undefined,
    health_check: health
      ? {
          interval: Math.max(5, seconds(health.interval)),
          timeout: Math.min(Math.max(2, seconds(health.timeout)), Math.max(5, seconds(health.interval)) - 1),
          retries: health.failure_threshold,
          start_period: Math.min(300, seconds(health.startup_timeout)),
        }
      : undefined,
    read_only_root: w.read_only_root,
    stop_timeout: w.type !== "job" ? Math.min(120, seconds(w.shutdown.grace)) : undefined,
    log_retention_days: expr("var.log_retention_days"),
    kms_key_arn: expr("module.kms.key_arn"),
    task_policy_statements: wire.statements.length ? wire.statements : undefined,
    cluster_arn: expr("module.cluster.cluster_arn"),
    subnet_ids: expr("module.network.private_subnet_ids"),
    security_group_id: expr(`module.security.service_security_group_ids[${q(w.name)}]`),
  };
}
