// main.tf of the AWS stack: the providers, the locals and one module call per concern, workload,
// site and data store, wired to each other's outputs. Everything that differs per environment is
// a variable, so one main.tf serves them all.
import { appDatabase } from "../../model/queries.js";
import { Block, call, comment, expr, tmpl, type HclValue } from "../../format/hcl.js";
import { seconds } from "../../util/duration.js";
import { data, ephemeral, moduleCall, resource } from "../terraform/blocks.js";
import type { StackMain } from "../terraform/stack.js";
import { eventBridgeCron } from "../terraform/units.js";
import { moduleName, pathPatterns, type AwsShape } from "./shape.js";
import { valueOf, type ComposedSecret } from "./supply.js";
import { composedSecrets, workloadArgs } from "./wiring.js";

const q = (s: string) => JSON.stringify(s);
const NAME = expr("local.name");
const KMS = expr("module.kms.key_arn");
const PRIVATE_SUBNETS = expr("module.network.private_subnet_ids");
const CREDENTIALS_VERSION = expr("var.credentials_version");

export function awsMain(shape: AwsShape): StackMain {
  return {
    providers: shape.sites.length ? [provider(), provider("us_east_1")] : [provider()],
    locals: rootLocals(shape),
    blocks: [
      ...(shape.hasDomains
        ? [data("aws_route53_zone", "this", { name: expr("var.dns_zone"), private_zone: false })]
        : []),
      ...networkCalls(shape),
      ...platformCalls(shape),
      ...dataStoreCalls(shape),
      ...composedSecretBlocks(composedSecrets(shape)),
      ...workloadCalls(shape),
      ...siteCalls(shape),
      ...(shape.app.ci.repository ? [ciCall(shape, shape.app.ci.repository)] : []),
      budgetCall(),
    ],
  };
}

/** The environment's region, or us-east-1 for what CloudFront needs there (certificates). */
function provider(alias?: string): Block {
  return new Block(
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
}

/**
 * The tags, and the load balancer's host names: a domain a static site also serves is reached
 * through CloudFront, so the load balancer answers it as `origin.<domain>`.
 */
function rootLocals(shape: AwsShape): Record<string, HclValue> {
  const values: Record<string, HclValue> = {
    tags: call("merge", expr("var.tags"), {
      Project: expr("var.project"),
      Environment: expr("var.environment"),
      ManagedBy: "gantry",
    }),
  };
  if (!shape.publicServices.length) return values;
  values.static_domains = shape.sites.length
    ? expr("flatten([for s in values(var.static_sites) : s.domains])")
    : [];
  values.alb_hosts = expr(
    `{ for k, s in var.services : k => [for d in s.domains : contains(local.static_domains, d) ? "origin.\${d}" : d] }`,
  );
  values.alb_domains = expr("distinct(flatten(values(local.alb_hosts)))");
  return values;
}

/** The key, the network and the security groups every app gets. */
function networkCalls(shape: AwsShape): Block[] {
  return [
    moduleCall("kms", { source: "./modules/kms", name: NAME }),
    moduleCall("network", {
      source: "./modules/network",
      name: NAME,
      cidr: expr("var.vpc_cidr"),
      az_count: expr("var.availability_zones"),
      single_nat_gateway: expr("var.single_nat_gateway"),
      flow_log_retention_days: expr("var.log_retention_days"),
      kms_key_arn: KMS,
    }),
    securityCall(shape),
  ];
}

/** Registry, secrets, alerting, cluster and load balancer, as far as the app needs them. */
function platformCalls(shape: AwsShape): Block[] {
  const calls: Block[] = [];
  if (shape.built.length)
    calls.push(
      moduleCall("registry", {
        source: "./modules/registry",
        name: NAME,
        repositories: shape.built,
        kms_key_arn: KMS,
      }),
    );
  calls.push(
    moduleCall("secrets", {
      source: "./modules/secrets",
      name: NAME,
      names: shape.secrets,
      kms_key_arn: KMS,
    }),
    moduleCall("monitoring", {
      source: "./modules/monitoring",
      name: NAME,
      emails: expr("var.alert_emails"),
      kms_key_arn: KMS,
    }),
  );
  if (shape.publicServices.length || shape.sites.length)
    calls.push(
      moduleCall("availability", {
        source: "./modules/availability",
        count: expr("var.availability.enabled ? 1 : 0"),
        name: NAME,
        checks: expr("var.availability.checks"),
        interval: expr("var.availability.interval"),
        failures: expr("var.availability.failures"),
        emails: expr("var.alert_emails"),
      }),
    );
  if (shape.services.length || shape.jobs.length)
    calls.push(moduleCall("cluster", { source: "./modules/cluster", name: NAME }));
  if (shape.publicServices.length)
    calls.push(
      moduleCall("load_balancer", {
        source: "./modules/load_balancer",
        name: NAME,
        vpc_id: expr("module.network.vpc_id"),
        subnet_ids: expr("module.network.public_subnet_ids"),
        security_group_id: expr("module.security.alb_security_group_id"),
        zone_id: expr("data.aws_route53_zone.this.zone_id"),
        domains: expr("local.alb_domains"),
        alias_domains: expr("local.alb_domains"),
        deletion_protection: expr("var.deletion_protection"),
      }),
    );
  return calls;
}

/** Who may reach whom: one entry per workload and per data store with the workloads that use it. */
function securityCall(shape: AwsShape): Block {
  const datastores: Record<string, HclValue> = {};
  for (const [p, clients] of shape.postgresClients) datastores[`postgres-${p}`] = { port: 5432, clients };
  for (const [r, clients] of shape.redisClients) datastores[`redis-${r}`] = { port: 6379, clients };
  if (Object.keys(shape.app.topics).length) datastores.kafka = { port: 9098, clients: shape.kafkaClients };
  const services: [string, HclValue][] = [
    ...shape.services.map((s): [string, HclValue] => [
      s.name,
      {
        port: s.port ?? 0,
        public: shape.publicServices.includes(s),
        internal: s.type === "http" && !!s.port,
      },
    ]),
    ...shape.jobs.map((j): [string, HclValue] => [j.name, { port: 0, public: false, internal: false }]),
  ];
  return moduleCall("security", {
    source: "./modules/security",
    name: NAME,
    vpc_id: expr("module.network.vpc_id"),
    with_load_balancer: shape.publicServices.length > 0,
    services: Object.fromEntries(services),
    datastores,
  });
}

const datastoreGroup = (key: string) => expr(`module.security.datastore_security_group_ids[${q(key)}]`);

function dataStoreCalls(shape: AwsShape): Block[] {
  return [...postgresCalls(shape), ...redisCalls(shape), ...bucketCalls(shape), ...kafkaCalls(shape)];
}

function postgresCalls(shape: AwsShape): Block[] {
  const app = shape.app;
  return Object.keys(app.postgres).map((p) => {
    const ref = (field: string) => expr(`var.postgres[${q(p)}].${field}`);
    return moduleCall(moduleName.postgres(p), {
      source: "./modules/postgres",
      name: NAME,
      database: p,
      engine_version: ref("engine_version"),
      instance_class: ref("instance_class"),
      allocated_storage: ref("allocated_storage"),
      multi_az: ref("multi_az"),
      backup_retention_days: ref("backup_retention_days"),
      geo_redundant: ref("geo_redundant"),
      backup_region: expr("var.backup_region"),
      deletion_protection: expr("var.deletion_protection"),
      db_name: appDatabase(app.postgres[p]!),
      subnet_ids: PRIVATE_SUBNETS,
      security_group_id: datastoreGroup(`postgres-${p}`),
      kms_key_arn: KMS,
      credentials_version: CREDENTIALS_VERSION,
    });
  });
}

function redisCalls(shape: AwsShape): Block[] {
  return Object.keys(shape.app.redis).map((r) => {
    const ref = (field: string) => expr(`var.redis[${q(r)}].${field}`);
    return moduleCall(moduleName.redis(r), {
      source: "./modules/redis",
      name: NAME,
      cache: r,
      engine_version: ref("engine_version"),
      node_type: ref("node_type"),
      replicas: ref("replicas"),
      snapshot_retention_days: ref("snapshot_retention_days"),
      maxmemory_policy: ref("maxmemory_policy"),
      subnet_ids: PRIVATE_SUBNETS,
      security_group_id: datastoreGroup(`redis-${r}`),
      kms_key_arn: KMS,
      log_retention_days: expr("var.log_retention_days"),
      credentials_version: CREDENTIALS_VERSION,
    });
  });
}

/** A stable number of a template's text: a changed template makes a new secret version. */
function templateNumber(text: string): number {
  let h = 0x811c9dc5;
  for (const c of text) h = Math.imul(h ^ c.codePointAt(0)!, 0x01000193) >>> 0;
  return h % 1000000;
}

/**
 * The secrets Terraform composes from `env` templates that hold a credential: each data store's
 * connection secret is read (ephemeral, never stored) and the whole value written write-only.
 */
function composedSecretBlocks(composed: readonly ComposedSecret[]): Block[] {
  const reads = [...new Set(composed.flatMap((c) => c.connections))].sort().map((m) =>
    ephemeral("aws_secretsmanager_secret_version", m, {
      secret_id: expr(`module.${m}.connection_secret_arn`),
    }),
  );
  return [
    ...reads,
    ...composed.flatMap((c) => {
      const text = c.pieces.map((p) => (typeof p === "string" ? p : `\${${p.text}}`)).join("");
      return [
        resource("aws_secretsmanager_secret", c.resource, {
          name: tmpl(`\${local.name}/${c.workload}/${c.variable}`),
          description: `${c.variable} of ${c.workload}, composed by Terraform from the spec's env template.`,
          kms_key_id: KMS,
          recovery_window_in_days: 7,
        }),
        resource("aws_secretsmanager_secret_version", c.resource, {
          secret_id: expr(`aws_secretsmanager_secret.${c.resource}.id`),
          secret_string_wo: valueOf(c.pieces),
          "#version": comment(
            "Written again when the passwords change (credentials_version) or the template does (the second term).",
          ),
          secret_string_wo_version: expr(`var.credentials_version * 1000000 + ${templateNumber(text)}`),
        }),
      ];
    }),
  ];
}

function bucketCalls(shape: AwsShape): Block[] {
  return Object.values(shape.app.buckets).map((b) =>
    moduleCall(moduleName.bucket(b.name), {
      source: "./modules/bucket",
      name: NAME,
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
      kms_key_arn: KMS,
    }),
  );
}

function kafkaCalls(shape: AwsShape): Block[] {
  return Object.keys(shape.app.topics).length
    ? [
        moduleCall("kafka", {
          source: "./modules/kafka",
          name: NAME,
          subnet_ids: PRIVATE_SUBNETS,
          security_group_id: datastoreGroup("kafka"),
        }),
      ]
    : [];
}

function workloadCalls(shape: AwsShape): Block[] {
  const services = shape.services.map((s) => {
    const ref = `var.services[${q(s.name)}]`;
    return moduleCall(moduleName.service(s.name), {
      ...workloadArgs(shape, s),
      desired_count: expr(`${ref}.desired_count`),
      min_count: expr(`${ref}.min_count`),
      max_count: expr(`${ref}.max_count`),
      cpu_target: expr(`${ref}.cpu_target`),
      memory_target: expr(`${ref}.memory_target`),
      service_connect: s.type === "http" && !!s.port,
      target: shape.publicServices.includes(s)
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
    });
  });
  const jobs = shape.jobs.map((j) =>
    moduleCall(moduleName.job(j.name), {
      ...workloadArgs(shape, j),
      schedule: eventBridgeCron(j.schedule),
      timezone: j.timezone,
      retries: Math.min(j.retries, 185),
    }),
  );
  return [...services, ...jobs];
}

function siteCalls(shape: AwsShape): Block[] {
  return shape.sites.map((site) => {
    const ref = `var.static_sites[${q(site.name)}]`;
    const api = shape.apiOrigins.get(site.name);
    return moduleCall(moduleName.site(site.name), {
      source: "./modules/static_site",
      providers: expr("{ aws = aws, aws.us_east_1 = aws.us_east_1 }"),
      name: NAME,
      site: site.name,
      domains: expr(`${ref}.domains`),
      zone_id: shape.hasDomains ? expr("data.aws_route53_zone.this.zone_id") : undefined,
      spa: site.spa,
      price_class: expr(`${ref}.price_class`),
      api_origin: api ? { domain: tmpl(`origin.\${${ref}.domains[0]}`), paths: api } : undefined,
    });
  });
}

/** The deploy role of `owner/repo`, allowed to push, deploy and upload exactly this app. */
function ciCall(shape: AwsShape, repository: string): Block {
  const roleArns = [
    ...shape.services.map((s) => moduleName.service(s.name)),
    ...shape.jobs.map((j) => moduleName.job(j.name)),
  ].flatMap((m) => [expr(`module.${m}.task_role_arn`), expr(`module.${m}.execution_role_arn`)]);
  const siteOutputs = (output: string) =>
    shape.sites.length
      ? shape.sites.map((s) => expr(`module.${moduleName.site(s.name)}.${output}`))
      : undefined;
  return moduleCall("ci", {
    source: "./modules/ci",
    name: NAME,
    github_owner: repository.split("/")[0] ?? repository,
    github_repo: repository.split("/")[1] ?? repository,
    branch: shape.app.ci.default_branch,
    github_environment: expr("var.environment"),
    state_bucket: expr("var.state_bucket"),
    state_key: tmpl("${var.project}/${var.environment}/terraform.tfstate"),
    create_oidc_provider: expr("var.create_github_oidc_provider"),
    ecr_repository_arns: shape.built.length ? expr("values(module.registry.repository_arns)") : [],
    cluster_arn: shape.services.length || shape.jobs.length ? expr("module.cluster.cluster_arn") : "",
    pass_role_arns: roleArns,
    site_bucket_arns: siteOutputs("bucket_arn"),
    distribution_arns: siteOutputs("distribution_arn"),
  });
}

function budgetCall(): Block {
  return moduleCall("budget", {
    source: "./modules/budget",
    count: expr("var.budget == null ? 0 : 1"),
    name: NAME,
    monthly_usd: expr("var.budget == null ? 0 : var.budget.monthly_usd"),
    thresholds: expr("var.budget == null ? [] : var.budget.thresholds"),
    emails: expr("var.budget == null ? [] : var.budget.emails"),
    topic_arn: expr("module.monitoring.topic_arn"),
    cost_filter_tag: expr('join("$", ["Environment", var.environment])'),
  });
}
