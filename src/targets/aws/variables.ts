// The root variables of the AWS stack: typed and validated, so a wrong tfvars value fails at plan
// time with a message rather than deep inside a provider call.
import { call, expr } from "../../format/hcl.js";
import type { VariableSpec } from "../terraform/blocks.js";
import { LOG_RETENTION_DAYS } from "../terraform/units.js";
import { CREDENTIALS_VERSION } from "./credentials.js";
import type { Collection } from "./names.js";
import { isPartial } from "./presence.js";
import { rootVariables } from "./root-values.js";
import { bucketsVariable, FIELD_TYPES, varyingFields } from "./settings.js";
import type { AwsShape } from "./shape.js";
import { hasPartial, wiringOf } from "./wiring.js";

/** Every root variable after `project` and `environment`, in the order variables.tf lists them. */
export function awsVariables(shape: AwsShape): Record<string, VariableSpec> {
  return { ...ACCOUNT_VARIABLES, ...ALERT_VARIABLES, ...shapeVariables(shape), ...rootVariables(shape) };
}

/**
 * The fields an entry of a tfvars map may add where environments differ: its settings
 * (settings.ts) and, for workloads, the keys of `local.wired` it takes (wiring.ts).
 */
function extraFields(shape: AwsShape, collection: Collection): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of varyingFields(shape, collection)) out[f] = `optional(${FIELD_TYPES[f]!})`;
  const workloads = collection === "services" ? shape.services : collection === "jobs" ? shape.jobs : [];
  if (workloads.some((w) => hasPartial(wiringOf(shape, w)))) out.wired = "optional(list(string), [])";
  return out;
}

/** `map(object({ ... }))` of the given attributes and the entry's extra fields. */
function entryMap(shape: AwsShape, collection: Collection, attrs: Record<string, string>): string {
  const all = { ...attrs, ...extraFields(shape, collection) };
  const body = Object.entries(all).map(([k, t]) => `${k} = ${t}`);
  return `map(object({${body.length ? ` ${body.join(", ")} ` : ""}}))`;
}

const ACCOUNT_VARIABLES: Record<string, VariableSpec> = {
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
      { condition: "can(cidrnetmask(var.vpc_cidr))", error_message: "vpc_cidr must be an IPv4 CIDR block." },
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
};

const ALERT_VARIABLES: Record<string, VariableSpec> = {
  alerts: {
    type: "map(object({ metric = string, above = number, minutes = number, severity = string, services = list(string), channels = list(string) }))",
    description:
      "Alarm rules by name: metric error_rate (% 5xx), latency_p95 (ms), cpu or memory (%), above a threshold for some minutes; services empty means all; the channels (of alert_channels) notified.",
    default: {},
    validations: [
      {
        condition:
          'alltrue([for a in values(var.alerts) : contains(["error_rate", "latency_p95", "cpu", "memory"], a.metric)])',
        error_message: "alert metrics must be error_rate, latency_p95, cpu or memory.",
      },
    ],
  },
  alert_emails: {
    type: "list(string)",
    description: "Addresses the availability alarms e-mail (every e-mail channel's).",
    default: [],
  },
  alert_channels: {
    type: "map(object({ type = string, emails = list(string) }))",
    description:
      "The spec's alert channels: type email, slack, teams or webhook, and an e-mail channel's addresses.",
    default: {},
  },
  chat_channels: {
    type: "map(object({ team_id = string, channel_id = string, tenant_id = optional(string) }))",
    description:
      "Per Slack or Teams channel of alert_channels, its ids from the AWS Chatbot console (Slack: workspace id as team_id and channel id; Teams: team, channel and tenant ids). The infrastructure workflow passes the GitHub variable ALERT_CHAT_CHANNELS (JSON; an environment's own overrides the repository's).",
    default: {},
  },
  alert_webhook_urls: {
    type: "map(string)",
    description:
      "Per webhook channel of alert_channels, the HTTPS URL alarms are posted to: a secret, set by the infrastructure workflow from the GitHub secret the channel's webhook_secret names, never in a file.",
    default: {},
    sensitive: true,
  },
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

const services = (extra: Record<string, string>): VariableSpec => ({
  type: call(
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
      ...Object.fromEntries(Object.entries(extra).map(([k, t]) => [k, expr(t)])),
    }),
  ),
  description:
    "Per service: Fargate cpu units and memory (MiB), task counts, autoscaling targets (%), domains and the literal environment variables of this environment (main.tf adds the rest).",
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
});

const postgres = (type: string): VariableSpec => ({
  type,
  description:
    "Per PostgreSQL server: version, instance class, storage (GiB), Multi-AZ, days of backups (point-in-time recovery window) and whether backups are replicated to backup_region.",
  validations: [
    {
      condition: "alltrue([for p in values(var.postgres) : p.allocated_storage >= 20])",
      error_message: "RDS needs at least 20 GiB of storage.",
    },
  ],
});

const POSTGRES_ATTRS = {
  engine_version: "string",
  instance_class: "string",
  allocated_storage: "number",
  multi_az: "bool",
  backup_retention_days: "number",
  geo_redundant: "bool",
};

/** Variables only an app of this shape needs: per workload, site and data store, DNS, the deploy role. */
function shapeVariables(shape: AwsShape): Record<string, VariableSpec> {
  const vars: Record<string, VariableSpec> = {};
  if (shape.built.length)
    vars.registry_region = {
      type: "string",
      description: "Region of the image repositories the bootstrap stack creates (the first environment's).",
      validations: [
        {
          condition: 'can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]$", var.registry_region))',
          error_message: "registry_region must be an AWS region such as us-east-1.",
        },
      ],
    };
  if (shape.hasDomains)
    vars.dns_zone = {
      type: "string",
      description: isPartial(shape, "dns_zone")
        ? "Route 53 public hosted zone that holds the domains (it must exist); null in an environment without domains."
        : "Route 53 public hosted zone that holds the domains (it must exist).",
    };
  if (shape.services.length) vars.services = services(extraFields(shape, "services"));
  if (shape.jobs.length)
    vars.jobs = {
      type: entryMap(shape, "jobs", { cpu: "number", memory: "number", environment: "map(string)" }),
      description:
        "Per scheduled job: Fargate cpu units, memory (MiB) and the literal environment variables of this environment (main.tf adds the rest).",
    };
  if (shape.sites.length)
    vars.static_sites = {
      type: entryMap(shape, "static_sites", { domains: "list(string)", price_class: "string" }),
      description: "Per static site: the domains it is served at and the CloudFront price class.",
    };
  if (shape.postgres.length) {
    vars.postgres = postgres(entryMap(shape, "postgres", POSTGRES_ATTRS));
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
  if (shape.postgres.length || shape.redis.length) vars.credentials_version = CREDENTIALS_VERSION;
  if (shape.redis.length)
    vars.redis = {
      type: "map(object({ engine_version = string, node_type = string, replicas = number, snapshot_retention_days = number, maxmemory_policy = string }))",
      description:
        "Per Redis cache: version, node type, replicas (1 or more for failover), days of snapshots and the eviction policy.",
    };
  if (bucketsVariable(shape))
    vars.buckets = {
      type: entryMap(shape, "buckets", {}),
      description:
        "The buckets of this environment, with the settings that differ between environments (the others are in main.tf).",
    };
  if (shape.app.ci.repository) {
    vars.state_bucket = {
      type: "string",
      description:
        "Bucket of the Terraform state (as in environments/<env>.s3.tfbackend); the deploy role may read this environment's outputs from it.",
    };
  }
  return vars;
}
