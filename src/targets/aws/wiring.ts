// How a workload module is called from the root: its image, command, sizes and health check, and
// what it receives (src/targets/aws/supply.ts says where each variable of the contract comes from),
// with the IAM statements for what its code calls (buckets, topics).
import { call, expr, tmpl, type HclValue } from "../../format/hcl.js";
import { workloadContract, workloadVariables } from "../../model/bindings.js";
import { bucketsUsed, topicsUsed } from "../../model/queries.js";
import type { AppModel } from "../../model/types.js";
import { seconds } from "../../util/duration.js";
import type { PlatformVariable } from "../../model/contract-support.js";
import { commandArgv } from "./command.js";
import { moduleName, type AwsShape, type Workload } from "./shape.js";
import { supply, valueOf, type ComposedSecret, type Piece } from "./supply.js";

const q = (s: string) => JSON.stringify(s);

/** What only ECS gives a workload that uses topics: MSK Serverless, reached with IAM. */
const KAFKA: (PlatformVariable & { value: HclValue })[] = [
  {
    name: "KAFKA_BROKERS",
    source: "MSK Serverless bootstrap brokers (SASL/IAM over TLS, port 9098)",
    value: expr("module.kafka.bootstrap_brokers"),
  },
  { name: "KAFKA_SASL_MECHANISM", source: "AWS_MSK_IAM", value: "AWS_MSK_IAM" },
];

export function platformVariables(app: AppModel, w: Workload): PlatformVariable[] {
  return topicsUsed(app, w).length ? KAFKA.map(({ name, source }) => ({ name, source })) : [];
}

/** `var.services["api"]` or `var.jobs["cleanup"]`: the workload's entry in the tfvars. */
export const varRefOf = (w: Workload): string =>
  `var.${w.type === "job" ? "jobs" : "services"}[${q(w.name)}]`;

const sortedKeys = (r: Record<string, HclValue>): Record<string, HclValue> =>
  Object.fromEntries(Object.entries(r).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));

interface Wiring {
  environment: Record<string, HclValue>;
  secrets: Record<string, HclValue>;
  /** The pieces of each variable's value that Terraform knows, for commands. */
  known: (name: string) => Piece[] | undefined;
}

/** Every variable of the contract the workload receives, in main.tf's environment or as a secret. */
function wiring(app: AppModel, w: Workload): Wiring {
  const environment: Record<string, HclValue> = {};
  const secrets: Record<string, HclValue> = {};
  const known = new Map<string, Piece[]>();
  for (const v of workloadVariables(app, w)) {
    const s = supply(app, w, v);
    if (s.in === "environment") {
      environment[v.name] = valueOf(s.pieces);
      known.set(v.name, s.pieces);
    } else if (s.in === "tfvars") known.set(v.name, [expr(`${varRefOf(w)}.environment[${q(v.name)}]`)]);
    else if (s.in === "secrets") secrets[v.name] = s.valueFrom;
  }
  for (const p of platformVariables(app, w))
    environment[p.name] = KAFKA.find((k) => k.name === p.name)!.value;
  return { environment: sortedKeys(environment), secrets, known: (name) => known.get(name) };
}

/** The literal values of one environment (in its tfvars), by name. */
export function tfvarsEnvironment(app: AppModel, w: Workload): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of workloadVariables(app, w)) {
    const s = supply(app, w, v);
    if (s.in === "tfvars") out[v.name] = s.value;
  }
  return out;
}

/** The secrets Terraform composes from templates, for every workload of the app. */
export function composedSecrets(shape: AwsShape): ComposedSecret[] {
  return [...shape.services, ...shape.jobs].flatMap((w) =>
    workloadVariables(shape.app, w).flatMap((v) => {
      const s = supply(shape.app, w, v);
      return s.in === "secrets" && s.composed ? [s.composed] : [];
    }),
  );
}

/** What the code may call: the buckets it uses, and MSK (connect, write its topics, read its subscriptions). */
function statements(app: AppModel, w: Workload): HclValue[] {
  const out: HclValue[] = [];
  for (const b of bucketsUsed(app, w)) {
    const m = `module.${moduleName.bucket(b)}`;
    out.push(
      {
        actions: ["s3:ListBucket", "s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
        resources: [expr(`${m}.arn`), tmpl(`\${${m}.arn}/*`)],
      },
      { actions: ["kms:Decrypt", "kms:GenerateDataKey"], resources: [expr("module.kms.key_arn")] },
    );
  }
  const topics = topicsUsed(app, w);
  if (!topics.length) return out;
  const topicArn = (t: string) => tmpl(`\${replace(module.kafka.cluster_arn, ":cluster/", ":topic/")}/${t}`);
  out.push({
    actions: ["kafka-cluster:Connect", "kafka-cluster:DescribeCluster"],
    resources: [expr("module.kafka.cluster_arn")],
  });
  const pub = topics.filter((t) => w.uses.includes(t));
  const sub = w.type !== "job" ? topics.filter((t) => t in w.subscribes) : [];
  if (pub.length)
    out.push({
      actions: ["kafka-cluster:DescribeTopic", "kafka-cluster:WriteData"],
      resources: pub.map(topicArn),
    });
  if (sub.length)
    out.push(
      { actions: ["kafka-cluster:DescribeTopic", "kafka-cluster:ReadData"], resources: sub.map(topicArn) },
      {
        actions: ["kafka-cluster:AlterGroup", "kafka-cluster:DescribeGroup"],
        resources: [tmpl('${replace(module.kafka.cluster_arn, ":cluster/", ":group/")}/*')],
      },
    );
  return out;
}

/** The container health check's timing: ECS allows intervals of 5 to 300 s and a start period up to 300 s. */
function healthCheck(w: Workload): HclValue | undefined {
  const h = w.type !== "job" ? w.health : undefined;
  if (!h) return undefined;
  const interval = Math.max(5, seconds(h.interval));
  return {
    interval,
    timeout: Math.min(Math.max(2, seconds(h.timeout)), interval - 1),
    retries: h.failure_threshold,
    start_period: Math.min(300, seconds(h.startup_timeout)),
  };
}

/** The arguments a service and a job module share. */
export function workloadArgs(shape: AwsShape, w: Workload): Record<string, HclValue | undefined> {
  const varRef = varRefOf(w);
  const wire = wiring(shape.app, w);
  const contract = workloadContract(shape.app, w);
  const image = w.build
    ? tmpl(`\${module.registry.repository_urls[${q(w.name)}]}:\${var.image_tag}`)
    : (w.image ?? "");
  const health = w.type !== "job" ? w.health : undefined;
  const statementList = statements(shape.app, w);
  return {
    source: `./modules/${w.type === "job" ? "job" : "service"}`,
    name: expr("local.name"),
    workload: w.name,
    image,
    command: contract.command ? commandArgv(contract.command, wire.known) : undefined,
    migrations: contract.migrations ? commandArgv(contract.migrations, wire.known) : undefined,
    port: contract.port,
    cpu: expr(`${varRef}.cpu`),
    memory: expr(`${varRef}.memory`),
    environment: call("merge", expr(`${varRef}.environment`), wire.environment),
    secrets: wire.secrets,
    health_check_path: health ? (health.readiness ?? health.liveness) : undefined,
    health_check: healthCheck(w),
    read_only_root: w.read_only_root,
    stop_timeout: w.type !== "job" ? Math.min(120, seconds(w.shutdown.grace)) : undefined,
    log_retention_days: expr("var.log_retention_days"),
    kms_key_arn: expr("module.kms.key_arn"),
    task_policy_statements: statementList.length ? statementList : undefined,
    cluster_arn: expr("module.cluster.cluster_arn"),
    subnet_ids: expr("module.network.private_subnet_ids"),
    security_group_id: expr(`module.security.service_security_group_ids[${q(w.name)}]`),
  };
}
