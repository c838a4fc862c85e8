// `gantry synth aws`: Terraform for ECS Fargate, RDS, ElastiCache, S3 + CloudFront and the rest.
// One module tree serves every environment: the root module (main.tf) wires the modules under
// modules/ from the app's shape, which is the same in every environment, and each
// environments/<env>.tfvars holds what differs (sizes, counts, retention, domains, alerts).
import { Block, call, expr, tmpl, type HclFile, type HclValue } from "../../format/hcl.js";
import type {
  AnyServiceModel,
  AppModel,
  JobModel,
  ProjectModel,
  ServiceModel,
  StaticModel,
} from "../../model/types.js";
import { SIZES } from "../../model/sizes.js";
import { seconds } from "../../util/duration.js";
import type { FileTree, SynthContext, Target, TargetProblem } from "../target.js";
import { top } from "../../format/hcl.js";
import {
  file,
  locals,
  moduleCall,
  output,
  printProject,
  terraformBlock,
  tfName,
  variable,
  type TerraformProject,
  type VariableSpec,
} from "../terraform/blocks.js";
import {
  cloudWatchRetention,
  envName,
  eventBridgeCron,
  fargateSize,
  LOG_RETENTION_DAYS,
  publicHealthPath,
} from "../terraform/units.js";
import { AWS_PROVIDER, moduleFiles, TOFU_VERSION, type ModuleSpec } from "./kit.js";
import {
  availabilityModule,
  clusterModule,
  kmsModule,
  loadBalancerModule,
  monitoringModule,
  networkModule,
  registryModule,
  secretsModule,
  securityModule,
} from "./modules-base.js";
import {
  budgetModule,
  bucketModule,
  ciModule,
  kafkaModule,
  postgresModule,
  redisModule,
  staticSiteModule,
} from "./modules-data.js";
import { jobModule, serviceModule } from "./modules-workload.js";
import { awsReadme } from "./readme.js";

export type Workload = ServiceModel | JobModel;

/** The app's shape on AWS, read from the first environment (every environment has the same shape). */
export interface AwsShape {
  app: AppModel;
  envs: AppModel[];
  services: ServiceModel[];
  jobs: JobModel[];
  sites: StaticModel[];
  /** Services reached through the load balancer (they have domains). */
  publicServices: ServiceModel[];
  /** Listener rule priority per public service: more specific paths first. */
  priority: Map<string, number>;
  /** Static sites that share a domain with public services, and the path patterns of those services. */
  apiOrigins: Map<string, string[]>;
  built: string[];
  secrets: string[];
  postgresClients: Map<string, string[]>;
  redisClients: Map<string, string[]>;
  kafkaClients: string[];
  hasDomains: boolean;
}

const isWorkload = (s: AnyServiceModel): s is Workload => s.type !== "static";

function pathPatterns(path: string): string[] {
  const p = path.replace(/\/+$/, "");
  return p === "" ? ["/*"] : [p, `${p}/*`];
}

export function awsShape(project: ProjectModel): AwsShape {
  const envs = project.environments;
  const app = envs[0]!;
  const all = Object.values(app.services);
  const services = all.filter((s): s is ServiceModel => s.type === "http" || s.type === "worker");
  const jobs = all.filter((s): s is JobModel => s.type === "job");
  const sites = all.filter((s): s is StaticModel => s.type === "static");
  const anyDomains = (name: string) =>
    envs.some((e) => {
      const s = e.services[name];
      return s !== undefined && s.type !== "job" && s.domains.length > 0;
    });
  const publicServices = services.filter((s) => s.type === "http" && anyDomains(s.name));
  const ordered = [...publicServices].sort(
    (a, b) => b.path.length - a.path.length || a.name.localeCompare(b.name),
  );
  const priority = new Map(ordered.map((s, i) => [s.name, (i + 1) * 10]));
  const apiOrigins = new Map<string, string[]>();
  for (const site of sites) {
    const shared = publicServices.filter((s) => s.domains.some((d) => site.domains.includes(d)));
    if (shared.length)
      apiOrigins.set(
        site.name,
        shared.flatMap((s) => pathPatterns(s.path)),
      );
  }
  const workloads = [...services, ...jobs];
  const built = workloads.filter((w) => w.build).map((w) => w.name);
  const secrets = [
    ...new Set(
      envs.flatMap((e) => Object.values(e.services).flatMap((s) => (isWorkload(s) ? s.secrets : []))),
    ),
  ].sort();
  const onePg = Object.keys(app.postgres).length === 1;
  const postgresClients = new Map(
    Object.keys(app.postgres).map((p) => [
      p,
      workloads
        .filter((w) => w.uses.includes(p) || (onePg && w.secrets.some((s) => /DATABASE/.test(s))))
        .map((w) => w.name),
    ]),
  );
  const redisClients = new Map(
    Object.keys(app.redis).map((r) => [r, workloads.filter((w) => w.uses.includes(r)).map((w) => w.name)]),
  );
  const topics = Object.keys(app.topics);
  const kafkaClients = workloads
    .filter(
      (w) =>
        w.uses.some((u) => topics.includes(u)) || (w.type !== "job" && Object.keys(w.subscribes).length > 0),
    )
    .map((w) => w.name);
  const hasDomains = envs.some((e) =>
    Object.values(e.services).some((s) => s.type !== "job" && s.domains.length > 0),
  );
  return {
    app,
    envs,
    services,
    jobs,
    sites,
    publicServices,
    priority,
    apiOrigins,
    built,
    secrets,
    postgresClients,
    redisClients,
    kafkaClients,
    hasDomains,
  };
}

/** The Route 53 zone: the spec's dns.zone, else the parent of the first domain. */
export function dnsZone(app: AppModel): string {
  if (app.dns?.zone) return app.dns.zone;
  const first = Object.values(app.services).flatMap((s) => (s.type === "job" ? [] : s.domains))[0];
  if (!first) return "";
  const labels = first.split(".");
  return labels.length > 2 ? labels.slice(-2).join(".") : first;
}

const awsOptions = (e: AppModel) => e.targets.aws ?? { region: "us-east-1", availability_zones: 2 };

// ---------------------------------------------------------------------------------------------
// Root variables

const SERVICE_TYPE = call(
  "map",
  call("object", {
    cpu: expr("number"),
    memory: expr("number"),
    desired_count: expr("number"),
    min_count: expr("number"),
    max_count: expr("number"),
    cpu_target: expr("number"),
    memory_target: expr("number"),
    domains: expr("list(string)"),
    environment: expr("map(string)"),
  }),
);

function rootVariables(shape: AwsShape): Record<string, VariableSpec> {
  const vars: Record<string, VariableSpec> = {
    project: { type: "string", description: "Name of the app (the spec's name).", default: shape.app.name },
    environment: {
      type: "string",
      description: "Environment this state holds.",
      validations: [
        {
          condition: `contains([${shape.envs.map((e) => JSON.stringify(e.environment.name)).join(", ")}], var.environment)`,
          error_message: `environment must be one of: ${shape.envs.map((e) => e.environment.name).join(", ")}.`,
        },
      ],
    },
    region: {
      type: "string",
      description: "AWS region.",
      validations: [
        {
          condition: 'can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]$", var.region))',
          error_message: "region must be an AWS region such as us-east-1.",
        },
      ],
    },
    account_id: {
      type: "string",
      description: "AWS account the environment lives in; the provider refuses any other (null: any).",
      default: null,
      validations: [
        {
          condition: 'var.account_id == null || can(regex("^[0-9]{12}$", var.account_id))',
          error_message: "account_id must be 12 digits.",
        },
      ],
    },
    availability_zones: {
      type: "number",
      description: "Availability zones to spread over.",
      validations: [
        {
          condition: "var.availability_zones >= 2 && var.availability_zones <= 6",
          error_message: "availability_zones must be between 2 and 6.",
        },
      ],
    },
    vpc_cidr: {
      type: "string",
      description: "CIDR block of the VPC.",
      default: "10.0.0.0/16",
      validations: [
        {
          condition: "can(cidrnetmask(var.vpc_cidr))",
          error_message: "vpc_cidr must be an IPv4 CIDR block.",
        },
      ],
    },
    single_nat_gateway: {
      type: "bool",
      description: "One NAT gateway instead of one per zone (cheaper, not zone-redundant).",
    },
    deletion_protection: {
      type: "bool",
      description:
        "Deletion protection on the database and the load balancer, and final snapshots (production).",
    },
    log_retention_days: {
      type: "number",
      description: "Days CloudWatch keeps logs.",
      validations: [
        {
          condition: `contains([${LOG_RETENTION_DAYS.join(", ")}], var.log_retention_days)`,
          error_message:
            "log_retention_days must be a CloudWatch retention period (1, 3, 5, 7, 14, 30, 60, 90, ...).",
        },
      ],
    },
    tags: {
      type: "map(string)",
      description: "Tags on every resource (Environment, Project, Owner, CostCenter).",
      default: {},
    },
    image_tag: {
      type: "string",
      description:
        "Image tag of the first deployment; afterwards the pipeline registers new task definition revisions (sha-<short>).",
      default: "latest",
      validations: [
        {
          condition: 'can(regex("^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$", var.image_tag))',
          error_message: "image_tag must be a valid image tag.",
        },
      ],
    },
    alerts: {
      type: "map(object({ metric = string, above = number, minutes = number, severity = string, services = list(string) }))",
      description:
        "Alarm rules by name: metric error_rate (% 5xx), latency_p95 (ms), cpu or memory (%), above a threshold for some minutes; services empty means all.",
      default: {},
      validations: [
        {
          condition:
            'alltrue([for a in values(var.alerts) : contains(["error_rate", "latency_p95", "cpu", "memory"], a.metric)])',
          error_message: "alert metrics must be error_rate, latency_p95, cpu or memory.",
        },
      ],
    },
    alert_emails: { type: "list(string)", description: "Addresses the alert topic e-mails.", default: [] },
    availability: {
      type: "object({ enabled = bool, interval = number, failures = number, checks = map(object({ fqdn = string, path = string })) })",
      description:
        "Availability checks of the public endpoints: on or off, seconds between requests (10 or 30), failures before alarming, and the endpoints.",
      default: { enabled: false, interval: 30, failures: 3, checks: {} },
    },
    budget: {
      type: "object({ monthly_usd = number, thresholds = list(number), emails = list(string) })",
      description: "Monthly budget with notification thresholds in percent (null: no budget).",
      default: null,
    },
  };
  if (shape.hasDomains)
    vars.dns_zone = {
      type: "string",
      description: "Route 53 public hosted zone that holds the domains (it must exist).",
    };
  if (shape.services.length) {
    vars.services = {
      type: SERVICE_TYPE,
      description:
        "Per service: Fargate cpu units and memory (MiB), task counts, autoscaling targets (%), domains and plain environment variables.",
      validations: [
        {
          condition:
            "alltrue([for s in values(var.services) : s.min_count <= s.desired_count && s.desired_count <= s.max_count])",
          error_message: "Each service needs min_count <= desired_count <= max_count.",
        },
        {
          condition:
            "alltrue([for s in values(var.services) : s.cpu_target > 0 && s.cpu_target <= 100 && s.memory_target > 0 && s.memory_target <= 100])",
          error_message: "Autoscaling targets are percentages between 1 and 100.",
        },
      ],
    };
  }
  if (shape.jobs.length)
    vars.jobs = {
      type: "map(object({ cpu = number, memory = number, environment = map(string) }))",
      description: "Per scheduled job: Fargate cpu units, memory (MiB) and plain environment variables.",
    };
  if (shape.sites.length)
    vars.static_sites = {
      type: "map(object({ domains = list(string), price_class = string }))",
      description: "Per static site: the domains it is served at and the CloudFront price class.",
    };
  if (Object.keys(shape.app.postgres).length) {
    vars.postgres = {
      type: "map(object({ engine_version = string, instance_class = string, allocated_storage = number, multi_az = bool, backup_retention_days = number, geo_redundant = bool }))",
      description:
        "Per PostgreSQL server: version, instance class, storage (GiB), Multi-AZ, days of backups (point-in-time recovery window) and whether backups are replicated to backup_region.",
      validations: [
        {
          condition: "alltrue([for p in values(var.postgres) : p.allocated_storage >= 20])",
          error_message: "RDS needs at least 20 GiB of storage.",
        },
      ],
    };
  }
  if (Object.keys(shape.app.postgres).length) {
    vars.backup_region = {
      type: "string",
      description: "Region that holds replicated database backups (postgres.*.geo_redundant).",
      validations: [
        {
          condition: "var.backup_region != var.region",
          error_message: "backup_region must differ from region.",
        },
      ],
    };
  }
  if (Object.keys(shape.app.redis).length) {
    vars.redis = {
      type: "map(object({ engine_version = string, node_type = string, replicas = number, snapshot_retention_days = number, maxmemory_policy = string }))",
      description:
        "Per Redis cache: version, node type, replicas (1 or more for failover), days of snapshots and the eviction policy.",
    };
  }
  if (shape.app.ci.repository) {
    vars.create_github_oidc_provider = {
      type: "bool",
      description: "Create the account's GitHub OIDC provider (one per account).",
    };
    vars.state_bucket = {
      type: "string",
      description:
        "Bucket of the Terraform state (as in environments/<env>.s3.tfbackend); the deploy role may read this environment's outputs from it.",
    };
  }
  return vars;
}

// ---------------------------------------------------------------------------------------------
// Per-environment values

function serviceValues(s: ServiceModel): HclValue {
  const size = fargateSize(s.resources.limits.cpu, s.resources.limits.memory);
  return {
    cpu: size.cpu,
    memory: size.memory,
    desired_count: s.scale.min,
    min_count: s.scale.min,
    max_count: Math.max(s.scale.max, s.scale.min),
    cpu_target: s.scale.cpu,
    memory_target: s.scale.memory ?? 80,
    domains: [...s.domains],
    environment: sortedRecord(s.env),
  };
}

function sortedRecord(r: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(r).sort(([a], [b]) => a.localeCompare(b)));
}

/** The region paired with each region for replicated backups (same continent, another area). */
export function backupRegion(region: string): string {
  const pairs: Record<string, string> = {
    "us-east-1": "us-west-2",
    "us-east-2": "us-west-2",
    "us-west-1": "us-east-1",
    "us-west-2": "us-east-1",
    "ca-central-1": "us-east-1",
    "eu-west-1": "eu-central-1",
    "eu-west-2": "eu-west-1",
    "eu-west-3": "eu-central-1",
    "eu-central-1": "eu-west-1",
    "eu-north-1": "eu-central-1",
    "ap-southeast-1": "ap-southeast-2",
    "ap-southeast-2": "ap-southeast-1",
    "ap-northeast-1": "ap-northeast-3",
    "ap-south-1": "ap-southeast-1",
    "sa-east-1": "us-east-1",
  };
  return pairs[region] ?? (region === "us-east-1" ? "us-west-2" : "us-east-1");
}

const ALARM_METRICS = new Set(["error_rate", "latency_p95", "cpu", "memory"]);

function tfvars(shape: AwsShape, e: AppModel, index: number): HclFile {
  const opts = awsOptions(e);
  const prod = e.environment.tier === "production";
  const items: { name: string; value: HclValue | undefined }[] = [
    { name: "environment", value: e.environment.name },
    { name: "region", value: opts.region },
    { name: "account_id", value: opts.account_id },
    { name: "availability_zones", value: opts.availability_zones },
    { name: "vpc_cidr", value: `10.${index * 16}.0.0/16` },
    { name: "single_nat_gateway", value: !prod },
    { name: "deletion_protection", value: prod },
    { name: "log_retention_days", value: cloudWatchRetention(e.monitoring.log_retention_days) },
    {
      name: "backup_region",
      value: Object.keys(shape.app.postgres).length ? backupRegion(opts.region) : undefined,
    },
    { name: "dns_zone", value: shape.hasDomains ? dnsZone(e) : undefined },
    { name: "create_github_oidc_provider", value: e.ci.repository ? index === 0 : undefined },
    { name: "state_bucket", value: e.ci.repository ? stateBucket(e) : undefined },
    { name: "tags", value: sortedRecord(e.tags) },
  ];
  if (shape.services.length) {
    items.push({
      name: "services",
      value: Object.fromEntries(
        shape.services.map((s) => [
          s.name,
          serviceValues((e.services[s.name] as ServiceModel | undefined) ?? s),
        ]),
      ),
    });
  }
  if (shape.jobs.length) {
    items.push({
      name: "jobs",
      value: Object.fromEntries(
        shape.jobs.map((j0) => {
          const j = (e.services[j0.name] as JobModel | undefined) ?? j0;
          const size = fargateSize(j.resources.limits.cpu, j.resources.limits.memory);
          return [j.name, { cpu: size.cpu, memory: size.memory, environment: sortedRecord(j.env) }];
        }),
      ),
    });
  }
  if (shape.sites.length) {
    items.push({
      name: "static_sites",
      value: Object.fromEntries(
        shape.sites.map((s0) => [
          s0.name,
          {
            domains: [...((e.services[s0.name] as StaticModel | undefined) ?? s0).domains],
            price_class: prod ? "PriceClass_All" : "PriceClass_100",
          },
        ]),
      ),
    });
  }
  if (Object.keys(shape.app.postgres).length) {
    items.push({
      name: "postgres",
      value: Object.fromEntries(
        Object.keys(shape.app.postgres).map((name) => {
          const p = e.postgres[name] ?? shape.app.postgres[name]!;
          return [
            name,
            {
              engine_version: String(p.version),
              instance_class: SIZES[p.size].awsPostgres,
              allocated_storage: Math.max(20, p.storage_gb),
              multi_az: p.ha,
              backup_retention_days: p.backups.enabled
                ? Math.min(35, Math.max(1, p.backups.retention_days))
                : 1,
              geo_redundant: p.backups.enabled && p.backups.geo_redundant,
            },
          ];
        }),
      ),
    });
  }
  if (Object.keys(shape.app.redis).length) {
    items.push({
      name: "redis",
      value: Object.fromEntries(
        Object.keys(shape.app.redis).map((name) => {
          const r = e.redis[name] ?? shape.app.redis[name]!;
          return [
            name,
            {
              engine_version: r.version >= 7 ? "7.1" : "6.2",
              node_type: SIZES[r.size].awsRedis,
              replicas: r.ha ? 1 : 0,
              snapshot_retention_days: r.persistence === "none" ? 0 : prod ? 7 : 1,
              maxmemory_policy: r.eviction,
            },
          ];
        }),
      ),
    });
  }
  const alerts = Object.entries(e.monitoring.alerts)
    .filter(([, a]) => ALARM_METRICS.has(a.metric))
    .sort(([a], [b]) => a.localeCompare(b))
    .map(
      ([k, a]) =>
        [
          k,
          {
            metric: a.metric,
            above: a.metric === "latency_p95" ? a.above : a.above,
            minutes: Math.max(1, Math.ceil(seconds(a.for) / 60)),
            severity: a.severity,
            services: [...a.services],
          },
        ] as const,
    );
  items.push({ name: "alerts", value: Object.fromEntries(alerts) });
  const emails = [
    ...new Set(Object.values(e.monitoring.channels).flatMap((c) => (c.type === "email" ? c.to : []))),
  ].sort();
  items.push({ name: "alert_emails", value: emails });
  const checks: Record<string, HclValue> = {};
  for (const s0 of [...shape.publicServices, ...shape.sites]) {
    const svc = e.services[s0.name];
    if (!svc || svc.type === "job") continue;
    const path =
      svc.type === "static"
        ? "/"
        : publicHealthPath(svc.path, svc.health?.readiness ?? svc.health?.liveness ?? "/");
    svc.domains.forEach(
      (d, i) =>
        (checks[i === 0 ? svc.name : `${svc.name}-${i}`] = {
          fqdn: d,
          path: svc.type === "static" ? "/" : path,
        }),
    );
  }
  const interval = seconds(e.monitoring.availability.interval) >= 30 ? 30 : 10;
  items.push({
    name: "availability",
    value: {
      enabled: e.monitoring.availability.enabled && Object.keys(checks).length > 0,
      interval,
      failures: Math.min(10, Math.max(1, e.monitoring.availability.failures)),
      checks,
    },
  });
  if (e.budget)
    items.push({
      name: "budget",
      value: {
        monthly_usd: e.budget.monthly_usd,
        thresholds: [...e.budget.thresholds],
        emails: [...e.budget.notify],
      },
    });
  return {
    header: [
      `Values of the ${e.environment.name} environment (${e.environment.tier}). Generated by Gantry from the application spec.`,
    ],
    items: items
      .filter((i) => i.value !== undefined)
      .map((i) => ({ kind: "attr" as const, name: i.name, value: i.value! })),
  };
}

// ---------------------------------------------------------------------------------------------
// Root module

const M = (name: string) => `module.${name}`;
const svcModule = (name: string) => `service_${tfName(name)}`;
const jobModuleName = (name: string) => `job_${tfName(name)}`;
const siteModule = (name: string) => `site_${tfName(name)}`;
const pgModule = (name: string) => `postgres_${tfName(name)}`;
const redisModuleName = (name: string) => `redis_${tfName(name)}`;
const bucketModuleName = (name: string) => `bucket_${tfName(name)}`;
const q = (s: string) => JSON.stringify(s);

/** Environment variables and secrets that connect a workload to what it uses. */
function wiring(
  shape: AwsShape,
  w: Workload,
): { env: Record<string, HclValue>; secrets: Record<string, HclValue>; statements: HclValue[] } {
  const app = shape.app;
  const env: Record<string, HclValue> = {};
  const secrets: Record<string, HclValue> = {};
  const statements: HclValue[] = [];
  const pgNames = Object.keys(app.postgres);
  for (const p of pgNames) {
    if (!shape.postgresClients.get(p)?.includes(w.name)) continue;
    const prefix = pgNames.length === 1 ? "DATABASE" : `${envName(p)}_DATABASE`;
    const m = M(pgModule(p));
    env[`${prefix}_HOST`] = expr(`${m}.address`);
    env[`${prefix}_PORT`] = expr(`tostring(${m}.port)`);
    env[`${prefix}_NAME`] = app.postgres[p]!.databases[0] ?? app.name.replace(/[^A-Za-z0-9]/g, "_");
    env[`${prefix}_USER`] = expr(`${m}.username`);
    env[`${prefix}_SSLMODE`] = "require";
    if (!w.secrets.includes(`${prefix}_PASSWORD`))
      secrets[`${prefix}_PASSWORD`] = tmpl(`\${${m}.master_secret_arn}:password::`);
  }
  const redisNames = Object.keys(app.redis);
  for (const r of redisNames) {
    if (!shape.redisClients.get(r)?.includes(w.name)) continue;
    env[redisNames.length === 1 ? "REDIS_URL" : `${envName(r)}_REDIS_URL`] = expr(
      `${M(redisModuleName(r))}.url`,
    );
  }
  for (const b of Object.keys(app.buckets)) {
    if (!w.uses.includes(b)) continue;
    const m = M(bucketModuleName(b));
    env[`${envName(b)}_BUCKET`] = expr(`${m}.bucket`);
    statements.push({
      actions: ["s3:ListBucket", "s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
      resources: [expr(`${m}.arn`), tmpl(`\${${m}.arn}/*`)],
    });
    statements.push({
      actions: ["kms:Decrypt", "kms:GenerateDataKey"],
      resources: [expr("module.kms.key_arn")],
    });
  }
  if (shape.kafkaClients.includes(w.name)) {
    env.KAFKA_BROKERS = expr("module.kafka.bootstrap_brokers");
    env.KAFKA_SASL_MECHANISM = "AWS_MSK_IAM";
    const topicsUsed = Object.keys(app.topics).filter(
      (t) => w.uses.includes(t) || (w.type !== "job" && t in w.subscribes),
    );
    const topicArn = (t: string) =>
      tmpl(`\${replace(module.kafka.cluster_arn, ":cluster/", ":topic/")}/${t}`);
    statements.push({
      actions: ["kafka-cluster:Connect", "kafka-cluster:DescribeCluster"],
      resources: [expr("module.kafka.cluster_arn")],
    });
    const pub = topicsUsed.filter((t) => w.uses.includes(t));
    const sub = w.type !== "job" ? topicsUsed.filter((t) => t in w.subscribes) : [];
    if (pub.length)
      statements.push({
        actions: ["kafka-cluster:DescribeTopic", "kafka-cluster:WriteData"],
        resources: pub.map(topicArn),
      });
    if (sub.length) {
      statements.push({
        actions: ["kafka-cluster:DescribeTopic", "kafka-cluster:ReadData"],
        resources: sub.map(topicArn),
      });
      statements.push({
        actions: ["kafka-cluster:AlterGroup", "kafka-cluster:DescribeGroup"],
        resources: [tmpl('${replace(module.kafka.cluster_arn, ":cluster/", ":group/")}/*')],
      });
    }
  }
  for (const s of w.secrets) secrets[s] = expr(`module.secrets.arns[${q(s)}]`);
  return { env, secrets, statements };
}

function workloadArgs(shape: AwsShape, w: Workload, varRef: string): Record<string, HclValue | undefined> {
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

function rootMain(shape: AwsShape): HclFile {
  const app = shape.app;
  const items: Block[] = [];
  const hasLb = shape.publicServices.length > 0;
  const provider = (alias?: string) =>
    new Block(
      "provider",
      ["aws"],
      [
        ...(alias ? [{ kind: "attr" as const, name: "alias", value: alias }] : []),
        { kind: "attr", name: "region", value: alias ? "us-east-1" : expr("var.region") },
        {
          kind: "attr",
          name: "allowed_account_ids",
          value: expr("var.account_id == null ? null : [var.account_id]"),
        },
        {
          kind: "block",
          block: new Block("default_tags", [], [{ kind: "attr", name: "tags", value: expr("local.tags") }]),
        },
      ],
    );
  items.push(provider());
  if (shape.sites.length) items.push(provider("us_east_1"));

  const localsInput: Record<string, HclValue> = {
    name: tmpl("${var.project}-${var.environment}"),
    tags: call("merge", expr("var.tags"), {
      Project: expr("var.project"),
      Environment: expr("var.environment"),
      ManagedBy: "gantry",
    }),
  };
  if (hasLb) {
    localsInput.static_domains = shape.sites.length
      ? expr("flatten([for s in values(var.static_sites) : s.domains])")
      : [];
    localsInput.alb_hosts = expr(
      `{ for k, s in var.services : k => [for d in s.domains : contains(local.static_domains, d) ? "origin.\${d}" : d] }`,
    );
    localsInput.alb_domains = expr("distinct(flatten(values(local.alb_hosts)))");
  }
  items.push(locals(localsInput));
  if (shape.hasDomains)
    items.push(
      top("data", ["aws_route53_zone", "this"], { name: expr("var.dns_zone"), private_zone: false }),
    );

  items.push(moduleCall("kms", { source: "./modules/kms", name: expr("local.name") }));
  items.push(
    moduleCall("network", {
      source: "./modules/network",
      name: expr("local.name"),
      cidr: expr("var.vpc_cidr"),
      az_count: expr("var.availability_zones"),
      single_nat_gateway: expr("var.single_nat_gateway"),
      flow_log_retention_days: expr("var.log_retention_days"),
      kms_key_arn: expr("module.kms.key_arn"),
    }),
  );
  const datastores: Record<string, HclValue> = {};
  for (const [p, clients] of shape.postgresClients) datastores[`postgres-${p}`] = { port: 5432, clients };
  for (const [r, clients] of shape.redisClients) datastores[`redis-${r}`] = { port: 6379, clients };
  if (Object.keys(app.topics).length) datastores.kafka = { port: 9098, clients: shape.kafkaClients };
  items.push(
    moduleCall("security", {
      source: "./modules/security",
      name: expr("local.name"),
      vpc_id: expr("module.network.vpc_id"),
      with_load_balancer: hasLb,
      services: Object.fromEntries([
        ...shape.services.map(
          (s) =>
            [
              s.name,
              {
                port: s.port ?? 0,
                public: shape.publicServices.includes(s),
                internal: s.type === "http" && !!s.port,
              },
            ] as const,
        ),
        ...shape.jobs.map((j) => [j.name, { port: 0, public: false, internal: false }] as const),
      ]),
      datastores,
    }),
  );
  if (shape.built.length)
    items.push(
      moduleCall("registry", {
        source: "./modules/registry",
        name: expr("local.name"),
        repositories: shape.built,
        kms_key_arn: expr("module.kms.key_arn"),
      }),
    );
  items.push(
    moduleCall("secrets", {
      source: "./modules/secrets",
      name: expr("local.name"),
      names: shape.secrets,
      kms_key_arn: expr("module.kms.key_arn"),
    }),
  );
  items.push(
    moduleCall("monitoring", {
      source: "./modules/monitoring",
      name: expr("local.name"),
      emails: expr("var.alert_emails"),
      kms_key_arn: expr("module.kms.key_arn"),
    }),
  );
  if (shape.publicServices.length || shape.sites.length) {
    items.push(
      moduleCall("availability", {
        source: "./modules/availability",
        count: expr("var.availability.enabled ? 1 : 0"),
        name: expr("local.name"),
        checks: expr("var.availability.checks"),
        interval: expr("var.availability.interval"),
        failures: expr("var.availability.failures"),
        emails: expr("var.alert_emails"),
      }),
    );
  }
  if (shape.services.length || shape.jobs.length)
    items.push(moduleCall("cluster", { source: "./modules/cluster", name: expr("local.name") }));
  if (hasLb) {
    items.push(
      moduleCall("load_balancer", {
        source: "./modules/load_balancer",
        name: expr("local.name"),
        vpc_id: expr("module.network.vpc_id"),
        subnet_ids: expr("module.network.public_subnet_ids"),
        security_group_id: expr("module.security.alb_security_group_id"),
        zone_id: expr("data.aws_route53_zone.this.zone_id"),
        domains: expr("local.alb_domains"),
        alias_domains: expr("local.alb_domains"),
        deletion_protection: expr("var.deletion_protection"),
      }),
    );
  }
  for (const p of Object.keys(app.postgres)) {
    const ref = `var.postgres[${q(p)}]`;
    items.push(
      moduleCall(pgModule(p), {
        source: "./modules/postgres",
        name: expr("local.name"),
        database: p,
        engine_version: expr(`${ref}.engine_version`),
        instance_class: expr(`${ref}.instance_class`),
        allocated_storage: expr(`${ref}.allocated_storage`),
        multi_az: expr(`${ref}.multi_az`),
        backup_retention_days: expr(`${ref}.backup_retention_days`),
        geo_redundant: expr(`${ref}.geo_redundant`),
        backup_region: expr("var.backup_region"),
        deletion_protection: expr("var.deletion_protection"),
        db_name: (app.postgres[p]!.databases[0] ?? app.name).replace(/[^A-Za-z0-9_]/g, "_"),
        subnet_ids: expr("module.network.private_subnet_ids"),
        security_group_id: expr(`module.security.datastore_security_group_ids[${q(`postgres-${p}`)}]`),
        kms_key_arn: expr("module.kms.key_arn"),
      }),
    );
  }
  for (const r of Object.keys(app.redis)) {
    const ref = `var.redis[${q(r)}]`;
    items.push(
      moduleCall(redisModuleName(r), {
        source: "./modules/redis",
        name: expr("local.name"),
        cache: r,
        engine_version: expr(`${ref}.engine_version`),
        node_type: expr(`${ref}.node_type`),
        replicas: expr(`${ref}.replicas`),
        snapshot_retention_days: expr(`${ref}.snapshot_retention_days`),
        maxmemory_policy: expr(`${ref}.maxmemory_policy`),
        subnet_ids: expr("module.network.private_subnet_ids"),
        security_group_id: expr(`module.security.datastore_security_group_ids[${q(`redis-${r}`)}]`),
        kms_key_arn: expr("module.kms.key_arn"),
        log_retention_days: expr("var.log_retention_days"),
      }),
    );
  }
  for (const b of Object.values(app.buckets)) {
    items.push(
      moduleCall(bucketModuleName(b.name), {
        source: "./modules/bucket",
        name: expr("local.name"),
        bucket: b.name,
        versioning: b.versioning,
        lifecycle_rules: Object.entries(b.lifecycle).map(([id, r]) => ({
          id,
          prefix: r.prefix,
          cool_after_days: r.cool_after_days ?? null,
          archive_after_days: r.archive_after_days ?? null,
          delete_after_days: r.delete_after_days ?? null,
        })),
        cors_origins: b.cors_origins.length ? [...b.cors_origins] : undefined,
        kms_key_arn: expr("module.kms.key_arn"),
      }),
    );
  }
  if (Object.keys(app.topics).length) {
    items.push(
      moduleCall("kafka", {
        source: "./modules/kafka",
        name: expr("local.name"),
        subnet_ids: expr("module.network.private_subnet_ids"),
        security_group_id: expr('module.security.datastore_security_group_ids["kafka"]'),
      }),
    );
  }
  for (const s of shape.services) {
    const ref = `var.services[${q(s.name)}]`;
    const args = workloadArgs(shape, s, ref);
    const isPublic = shape.publicServices.includes(s);
    items.push(
      moduleCall(svcModule(s.name), {
        ...args,
        desired_count: expr(`${ref}.desired_count`),
        min_count: expr(`${ref}.min_count`),
        max_count: expr(`${ref}.max_count`),
        cpu_target: expr(`${ref}.cpu_target`),
        memory_target: expr(`${ref}.memory_target`),
        service_connect: s.type === "http" && !!s.port,
        target: isPublic
          ? {
              vpc_id: expr("module.network.vpc_id"),
              listener_arn: expr("module.load_balancer.https_listener_arn"),
              load_balancer_arn_suffix: expr("module.load_balancer.arn_suffix"),
              priority: shape.priority.get(s.name) ?? 100,
              hosts: expr(`local.alb_hosts[${q(s.name)}]`),
              paths: pathPatterns(s.path),
              health_check_path: s.health?.readiness ?? s.health?.liveness ?? "/",
              deregistration_delay: Math.max(5, seconds(s.shutdown.drain) + 5),
            }
          : undefined,
        alerts: expr(
          `{ for k, a in var.alerts : k => { metric = a.metric, above = a.above, minutes = a.minutes, severity = a.severity } if length(a.services) == 0 || contains(a.services, ${q(s.name)}) }`,
        ),
        alarm_topic_arn: expr("module.monitoring.topic_arn"),
        cluster_name: expr("module.cluster.cluster_name"),
      }),
    );
  }
  for (const j of shape.jobs) {
    const args = workloadArgs(shape, j, `var.jobs[${q(j.name)}]`);
    items.push(
      moduleCall(jobModuleName(j.name), {
        ...args,
        schedule: eventBridgeCron(j.schedule),
        timezone: j.timezone,
        retries: Math.min(j.retries, 185),
      }),
    );
  }
  for (const site of shape.sites) {
    const ref = `var.static_sites[${q(site.name)}]`;
    const api = shape.apiOrigins.get(site.name);
    items.push(
      moduleCall(siteModule(site.name), {
        source: "./modules/static_site",
        providers: expr("{ aws = aws, aws.us_east_1 = aws.us_east_1 }"),
        name: expr("local.name"),
        site: site.name,
        domains: expr(`${ref}.domains`),
        zone_id: shape.hasDomains ? expr("data.aws_route53_zone.this.zone_id") : undefined,
        spa: site.spa,
        price_class: expr(`${ref}.price_class`),
        api_origin: api ? { domain: tmpl(`origin.\${${ref}.domains[0]}`), paths: api } : undefined,
      }),
    );
  }
  if (app.ci.repository) {
    const roleArns = [
      ...shape.services.map((s) => svcModule(s.name)),
      ...shape.jobs.map((j) => jobModuleName(j.name)),
    ].flatMap((m) => [expr(`module.${m}.task_role_arn`), expr(`module.${m}.execution_role_arn`)]);
    items.push(
      moduleCall("ci", {
        source: "./modules/ci",
        name: expr("local.name"),
        github_owner: app.ci.repository.split("/")[0] ?? app.ci.repository,
        github_repo: app.ci.repository.split("/")[1] ?? app.ci.repository,
        branch: app.ci.default_branch,
        github_environment: expr("var.environment"),
        state_bucket: expr("var.state_bucket"),
        state_key: tmpl("${var.project}/${var.environment}/terraform.tfstate"),
        create_oidc_provider: expr("var.create_github_oidc_provider"),
        ecr_repository_arns: shape.built.length ? expr("values(module.registry.repository_arns)") : [],
        cluster_arn: shape.services.length || shape.jobs.length ? expr("module.cluster.cluster_arn") : "",
        pass_role_arns: roleArns,
        site_bucket_arns: shape.sites.length
          ? shape.sites.map((s) => expr(`module.${siteModule(s.name)}.bucket_arn`))
          : undefined,
        distribution_arns: shape.sites.length
          ? shape.sites.map((s) => expr(`module.${siteModule(s.name)}.distribution_arn`))
          : undefined,
      }),
    );
  }
  items.push(
    moduleCall("budget", {
      source: "./modules/budget",
      count: expr("var.budget == null ? 0 : 1"),
      name: expr("local.name"),
      monthly_usd: expr("var.budget == null ? 0 : var.budget.monthly_usd"),
      thresholds: expr("var.budget == null ? [] : var.budget.thresholds"),
      emails: expr("var.budget == null ? [] : var.budget.emails"),
      topic_arn: expr("module.monitoring.topic_arn"),
      cost_filter_tag: expr('join("$", ["Environment", var.environment])'),
    }),
  );
  return file(items, [
    "The root module: wires the modules under modules/ for one environment (environments/<env>.tfvars).",
    "Generated by Gantry; regenerate with `gantry synth aws` instead of editing.",
  ]);
}

function rootOutputs(shape: AwsShape): HclFile {
  const outs: Block[] = [];
  if (shape.services.length || shape.jobs.length)
    outs.push(
      output("ecs_cluster_name", expr("module.cluster.cluster_name"), "ECS cluster the pipeline deploys to."),
    );
  for (const s of shape.services) {
    outs.push(
      output(
        `${tfName(s.name)}_service_name`,
        expr(`module.${svcModule(s.name)}.service_name`),
        `ECS service of ${s.name}.`,
      ),
    );
    outs.push(
      output(
        `${tfName(s.name)}_task_family`,
        expr(`module.${svcModule(s.name)}.task_family`),
        `Task definition family of ${s.name}.`,
      ),
    );
  }
  for (const j of shape.jobs)
    outs.push(
      output(
        `${tfName(j.name)}_task_family`,
        expr(`module.${jobModuleName(j.name)}.task_family`),
        `Task definition family of the ${j.name} job.`,
      ),
    );
  for (const s of shape.sites) {
    outs.push(
      output(
        `${tfName(s.name)}_bucket`,
        expr(`module.${siteModule(s.name)}.bucket`),
        `Bucket the pipeline uploads ${s.name} to.`,
      ),
    );
    outs.push(
      output(
        `${tfName(s.name)}_distribution_id`,
        expr(`module.${siteModule(s.name)}.distribution_id`),
        `CloudFront distribution of ${s.name} (invalidated after upload).`,
      ),
    );
  }
  outs.push(
    output(
      "ecr_repository_urls",
      shape.built.length
        ? expr('{ for k, url in module.registry.repository_urls : replace(k, "-", "_") => url }')
        : {},
      "Image repository per service (service names with - as _).",
    ),
  );
  if (shape.services.length || shape.jobs.length) {
    outs.push(
      output(
        "private_subnet_ids",
        expr("module.network.private_subnet_ids"),
        "Subnets for one-off tasks such as migrations.",
      ),
    );
    outs.push(
      output(
        "service_security_group_ids",
        expr('{ for k, id in module.security.service_security_group_ids : replace(k, "-", "_") => id }'),
        "Security group per workload (one-off tasks run with their service's).",
      ),
    );
  }
  if (shape.publicServices.length)
    outs.push(
      output(
        "load_balancer_dns_name",
        expr("module.load_balancer.dns_name"),
        "DNS name of the load balancer.",
      ),
    );
  if (shape.app.ci.repository)
    outs.push(
      output("deploy_role_arn", expr("module.ci.role_arn"), "Role GitHub Actions assume through OIDC."),
    );
  outs.push(
    output(
      "alert_topic_arn",
      expr("module.monitoring.topic_arn"),
      "SNS topic of alarms and budget notifications.",
    ),
  );
  for (const p of Object.keys(shape.app.postgres)) {
    outs.push(
      output(
        `${tfName(p)}_database_address`,
        expr(`module.${pgModule(p)}.address`),
        `Host of the ${p} database.`,
      ),
    );
    outs.push(
      output(
        `${tfName(p)}_database_secret_arn`,
        expr(`module.${pgModule(p)}.master_secret_arn`),
        `Secret holding the ${p} master password (never printed).`,
      ),
    );
  }
  if (Object.keys(shape.app.topics).length)
    outs.push(
      output(
        "kafka_bootstrap_brokers",
        expr("module.kafka.bootstrap_brokers"),
        "Kafka bootstrap brokers (SASL/IAM).",
      ),
    );
  return file(outs);
}

export function stateBucket(app: AppModel): string {
  const account = app.targets.aws?.account_id;
  return `${app.name}-terraform-state${account ? `-${account}` : ""}`;
}

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
  if (Object.keys(shape.app.postgres).length) mods.push(postgresModule());
  if (Object.keys(shape.app.redis).length) mods.push(redisModule());
  if (Object.keys(shape.app.buckets).length) mods.push(bucketModule());
  if (shape.sites.length) mods.push(staticSiteModule());
  if (Object.keys(shape.app.topics).length) mods.push(kafkaModule());
  if (shape.app.ci.repository) mods.push(ciModule());
  return mods;
}

/** The typed project (for the schema check) and its README. */
export function buildAws(project: ProjectModel, ctx: SynthContext): TerraformProject {
  const shape = awsShape(project);
  const hcl: Record<string, HclFile> = {};
  const text: Record<string, string> = {};
  const providers = { aws: AWS_PROVIDER };
  hcl["versions.tf"] = file([terraformBlock(TOFU_VERSION, providers)]);
  hcl["backend.tf"] = file(
    [
      new Block(
        "terraform",
        [],
        [
          {
            kind: "block",
            block: new Block(
              "backend",
              ["s3"],
              [
                { kind: "attr", name: "encrypt", value: true },
                { kind: "attr", name: "use_lockfile", value: true },
              ],
            ),
          },
        ],
      ),
    ],
    [
      "State in S3, encrypted, locked with an S3 lock file (no DynamoDB table needed).",
      "Bucket, key and region come per environment: tofu init -backend-config=environments/<env>.s3.tfbackend",
      "The bucket is created once, versioned and encrypted, as the README shows.",
    ],
  );
  hcl["variables.tf"] = file(Object.entries(rootVariables(shape)).map(([k, v]) => variable(k, v)));
  hcl["main.tf"] = rootMain(shape);
  hcl["outputs.tf"] = rootOutputs(shape);
  shape.envs.forEach((e, i) => {
    hcl[`environments/${e.environment.name}.tfvars`] = tfvars(shape, e, i);
    text[`environments/${e.environment.name}.s3.tfbackend`] = printBackend(
      stateBucket(e),
      `${e.name}/${e.environment.name}/terraform.tfstate`,
      awsOptions(e).region,
    );
  });
  for (const m of awsModules(shape)) {
    const f = moduleFiles(m);
    Object.assign(hcl, f.hcl);
  }
  text["README.md"] = awsReadme(shape, ctx);
  return { hcl, text };
}

function printBackend(bucket: string, key: string, region: string): string {
  const w = Math.max("bucket".length, "key".length, "region".length);
  return [
    `# S3 backend of one environment: tofu init -backend-config=<this file>`,
    `${"bucket".padEnd(w)} = ${q(bucket)}`,
    `${"key".padEnd(w)} = ${q(key)}`,
    `${"region".padEnd(w)} = ${q(region)}`,
    "",
  ].join("\n");
}

function check(project: ProjectModel): TargetProblem[] {
  const problems: TargetProblem[] = [];
  const first = project.environments[0];
  if (!first) return problems;
  const names = (e: AppModel) =>
    JSON.stringify([
      Object.keys(e.services).sort(),
      Object.keys(e.postgres).sort(),
      Object.keys(e.redis).sort(),
      Object.keys(e.topics).sort(),
      Object.keys(e.buckets).sort(),
    ]);
  for (const e of project.environments.slice(1)) {
    if (names(e) !== names(first))
      problems.push({
        env: e.environment.name,
        path: "environments",
        message:
          "every environment must have the same services and data stores: one Terraform module tree serves them all",
      });
  }
  for (const e of project.environments) {
    for (const s of Object.values(e.services)) {
      if (
        s.type === "http" &&
        s.domains.length === 0 &&
        Object.values(first.services).some(
          (x) => x.name === s.name && x.type === "http" && x.domains.length > 0,
        )
      ) {
        problems.push({
          env: e.environment.name,
          path: `services.${s.name}.domain`,
          message: `${s.name} has domains in ${first.environment.name} but none here: the load balancer needs a domain for HTTPS`,
        });
      }
    }
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
  }
  if (!first.ci.repository)
    problems.push({
      path: "ci.repository",
      severity: "warning",
      message: "no ci.repository: no GitHub deploy role is generated",
    });
  return problems;
}

export const awsTarget: Target = {
  name: "aws",
  description:
    "Terraform for AWS: VPC, ECS Fargate behind an ALB, RDS, ElastiCache, S3 + CloudFront, MSK Serverless, alarms, budget, GitHub OIDC deploy role.",
  defaultOut: "infrastructure/aws",
  ownsOutput: true,
  check: (project) => check(project),
  render: (project, ctx): FileTree => printProject(buildAws(project, ctx)),
};
