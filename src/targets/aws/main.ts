// main.tf of the AWS stack: the providers, the locals and one module call per concern, workload,
// site and data store, wired to each other's outputs. Everything that differs per environment is
// a variable, so one main.tf serves them all.
import { Block, call, comment, expr, tmpl, type HclValue } from "../../format/hcl.js";
import { data, ephemeral, moduleCall, resource } from "../terraform/blocks.js";
import type { StackMain } from "../terraform/stack.js";
import { dashboardBlocks } from "./dashboard.js";
import { DRILL_MODULE, drilledIn } from "./drill-module.js";
import { moduleName, q } from "./names.js";
import { countOf, isPartial, moduleRef } from "./presence.js";
import { secretNamesArg, securityArgs } from "./root-values.js";
import { arg } from "./settings.js";
import type { AwsShape } from "./shape.js";
import { valueOf } from "./supply.js";
import { composedSecrets, type ComposedBlock } from "./wiring.js";
import { conditionalTargets, wiredLocal, workloadCalls } from "./workload-call.js";
const NAME = expr("local.name");
const KMS = expr("module.kms.key_arn");
const PRIVATE_SUBNETS = expr("module.network.private_subnet_ids");
const CREDENTIALS_VERSION = expr("var.credentials_version");

export function awsMain(shape: AwsShape): StackMain {
  return {
    providers: [
      provider(),
      ...(shape.sites.length ? [provider("us_east_1", "us-east-1")] : []),
      ...(shape.built.length ? [provider("registry", expr("var.registry_region"))] : []),
    ],
    locals: rootLocals(shape),
    blocks: [
      ...(shape.hasDomains
        ? [
            data("aws_route53_zone", "this", {
              count: countOf(shape, "dns_zone"),
              name: expr("var.dns_zone"),
              private_zone: false,
            }),
          ]
        : []),
      ...networkCalls(shape),
      ...platformCalls(shape),
      ...dataStoreCalls(shape),
      ...composedSecretBlocks(shape, composedSecrets(shape)),
      ...workloadCalls(shape),
      ...siteCalls(shape),
      ...(shape.app.ci.repository ? [ciCall(shape, shape.app.ci.repository)] : []),
      ...drillCall(shape),
      budgetCall(),
      ...dashboardBlocks(shape),
    ],
  };
}

/**
 * The environment's region; us-east-1 for what CloudFront needs there (certificates); the region of
 * the image repositories the bootstrap stack creates once for every environment.
 */
function provider(alias?: string, region: HclValue = expr("var.region")): Block {
  return new Block(
    "provider",
    ["aws"],
    [
      ...(alias ? [{ kind: "attr" as const, name: "alias", value: alias }] : []),
      { kind: "attr", name: "region", value: region },
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
  const wired = wiredLocal(shape);
  if (wired) values.wired = wired;
  if (!shape.publicServices.length) return values;
  values.static_domains = shape.sites.length
    ? expr("flatten([for s in values(var.static_sites) : s.domains])")
    : [];
  values.alb_hosts = expr(
    `{ for k, s in var.services : k => [for d in s.domains : contains(local.static_domains, d) ? "origin.\${d}" : d] }`,
  );
  values.alb_domains = expr("distinct(flatten(values(local.alb_hosts)))");
  const targets = conditionalTargets(shape);
  if (targets) values.lb_targets = targets;
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
  // The repositories are the bootstrap stack's (bootstrap/): build.yml pushes each image once and
  // every environment runs it. Reading them here fails the plan until the bootstrap is applied.
  if (shape.built.length)
    calls.push(
      data("aws_ecr_repository", "image", {
        provider: expr("aws.registry"),
        for_each: call("toset", shape.built),
        name: tmpl("${var.project}/${each.key}"),
      }),
    );
  calls.push(
    moduleCall("secrets", {
      source: "./modules/secrets",
      name: NAME,
      names: secretNamesArg(shape),
      kms_key_arn: KMS,
    }),
    moduleCall("monitoring", {
      source: "./modules/monitoring",
      name: NAME,
      channels: expr("var.alert_channels"),
      chat_channels: expr("var.chat_channels"),
      webhook_urls: expr("var.alert_webhook_urls"),
      availability_topic_arn:
        shape.publicServices.length || shape.sites.length
          ? expr("one(module.availability[*].topic_arn)")
          : undefined,
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
        webhook_urls: expr("var.alert_webhook_urls"),
      }),
    );
  if (shape.services.length || shape.jobs.length)
    calls.push(moduleCall("cluster", { source: "./modules/cluster", name: NAME }));
  if (shape.publicServices.length)
    calls.push(
      moduleCall("load_balancer", {
        source: "./modules/load_balancer",
        count: countOf(shape, "load_balancer"),
        name: NAME,
        vpc_id: expr("module.network.vpc_id"),
        subnet_ids: expr("module.network.public_subnet_ids"),
        security_group_id: expr("module.security.alb_security_group_id"),
        zone_id: expr(`${zoneRef(shape)}.zone_id`),
        domains: expr("local.alb_domains"),
        alias_domains: expr("local.alb_domains"),
        deletion_protection: expr("var.deletion_protection"),
      }),
    );
  return calls;
}

/** The DNS zone's data source, at `[0]` where some environments have no domains (read where they do). */
const zoneRef = (shape: AwsShape) =>
  isPartial(shape, "dns_zone") ? "data.aws_route53_zone.this[0]" : "data.aws_route53_zone.this";

/** Who may reach whom: one entry per workload and per data store with the workloads that use it. */
function securityCall(shape: AwsShape): Block {
  return moduleCall("security", {
    source: "./modules/security",
    name: NAME,
    vpc_id: expr("module.network.vpc_id"),
    ...securityArgs(shape),
  });
}

const datastoreGroup = (key: string) => expr(`module.security.datastore_security_group_ids[${q(key)}]`);

function dataStoreCalls(shape: AwsShape): Block[] {
  return [...postgresCalls(shape), ...redisCalls(shape), ...bucketCalls(shape), ...kafkaCalls(shape)];
}

function postgresCalls(shape: AwsShape): Block[] {
  return shape.postgres.map(({ name: p }) => {
    const ref = (field: string) => expr(`var.postgres[${q(p)}].${field}`);
    const module = moduleName.postgres(p);
    return moduleCall(module, {
      source: "./modules/postgres",
      count: countOf(shape, module),
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
      db_name: arg(shape, "postgres", p, "db_name"),
      subnet_ids: PRIVATE_SUBNETS,
      security_group_id: datastoreGroup(`postgres-${p}`),
      kms_key_arn: KMS,
      credentials_version: CREDENTIALS_VERSION,
    });
  });
}

function redisCalls(shape: AwsShape): Block[] {
  return shape.redis.map(({ name: r }) => {
    const ref = (field: string) => expr(`var.redis[${q(r)}].${field}`);
    const module = moduleName.redis(r);
    return moduleCall(module, {
      source: "./modules/redis",
      count: countOf(shape, module),
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
function composedSecretBlocks(shape: AwsShape, composed: readonly ComposedBlock[]): Block[] {
  const reads = [...new Set(composed.flatMap((c) => c.secret.connections))].sort().map((m) =>
    ephemeral("aws_secretsmanager_secret_version", m, {
      count: countOf(shape, m),
      secret_id: expr(`${moduleRef(shape, m)}.connection_secret_arn`),
    }),
  );
  return [
    ...reads,
    ...composed.flatMap(({ secret: c, count }) => {
      const text = c.pieces.map((p) => (typeof p === "string" ? p : `\${${p.text}}`)).join("");
      const self = `aws_secretsmanager_secret.${c.resource}${count ? "[0]" : ""}`;
      return [
        resource("aws_secretsmanager_secret", c.resource, {
          count,
          name: tmpl(`\${local.name}/${c.workload}/${c.variable}`),
          description: `${c.variable} of ${c.workload}, composed by Terraform from the spec's env template.`,
          kms_key_id: KMS,
          recovery_window_in_days: 7,
        }),
        resource("aws_secretsmanager_secret_version", c.resource, {
          count,
          secret_id: expr(`${self}.id`),
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
  return shape.buckets.map(({ name: b }) => {
    const module = moduleName.bucket(b);
    return moduleCall(module, {
      source: "./modules/bucket",
      count: countOf(shape, module),
      name: NAME,
      bucket: b,
      versioning: arg(shape, "buckets", b, "versioning"),
      lifecycle_rules: arg(shape, "buckets", b, "lifecycle_rules"),
      cors_origins: arg(shape, "buckets", b, "cors_origins"),
      kms_key_arn: KMS,
    });
  });
}

function kafkaCalls(shape: AwsShape): Block[] {
  return shape.topics.length
    ? [
        moduleCall("kafka", {
          source: "./modules/kafka",
          count: countOf(shape, "kafka"),
          name: NAME,
          subnet_ids: PRIVATE_SUBNETS,
          security_group_id: datastoreGroup("kafka"),
        }),
      ]
    : [];
}

function siteCalls(shape: AwsShape): Block[] {
  return shape.sites.map((site) => {
    const ref = `var.static_sites[${q(site.name)}]`;
    const module = moduleName.site(site.name);
    return moduleCall(module, {
      source: "./modules/static_site",
      count: countOf(shape, module),
      providers: expr("{ aws = aws, aws.us_east_1 = aws.us_east_1 }"),
      name: NAME,
      site: site.name,
      domains: expr(`${ref}.domains`),
      zone_id: shape.hasDomains
        ? expr(
            isPartial(shape, "dns_zone")
              ? "one(data.aws_route53_zone.this[*].zone_id)"
              : "data.aws_route53_zone.this.zone_id",
          )
        : undefined,
      spa: arg(shape, "static_sites", site.name, "spa"),
      price_class: expr(`${ref}.price_class`),
      api_origin: apiOrigin(shape, site.name),
    });
  });
}

/**
 * The load balancer as a second origin of a site for the paths of the APIs on its domain; where
 * only some environments share the domain, those environments' tfvars list the paths.
 */
function apiOrigin(shape: AwsShape, site: string): HclValue | undefined {
  const ref = `var.static_sites[${q(site)}]`;
  const paths = arg(shape, "static_sites", site, "api_paths");
  const origin = (p: HclValue) => ({ domain: tmpl(`origin.\${${ref}.domains[0]}`), paths: p });
  if (Array.isArray(paths)) return paths.length ? origin(paths) : undefined;
  return expr(
    `length(${ref}.api_paths) > 0 ? { domain = "origin.\${${ref}.domains[0]}", paths = ${ref}.api_paths } : null`,
  );
}

/** One output of each module, leaving out the modules an environment lacks. */
function outputsOf(shape: AwsShape, modules: readonly string[], outputs: readonly string[]): HclValue {
  const refs = modules.flatMap((m) =>
    outputs.map((o) => expr(isPartial(shape, m) ? `module.${m}[*].${o}` : `module.${m}.${o}`)),
  );
  return modules.some((m) => isPartial(shape, m)) ? call("flatten", refs) : refs;
}

/** The deploy role of `owner/repo`'s environment, allowed to deploy and upload exactly this app. */
function ciCall(shape: AwsShape, repository: string): Block {
  const workloads = [
    ...shape.services.map((s) => moduleName.service(s.name)),
    ...shape.jobs.map((j) => moduleName.job(j.name)),
  ];
  const sites = shape.sites.map((s) => moduleName.site(s.name));
  return moduleCall("ci", {
    source: "./modules/ci",
    name: NAME,
    ...githubRepo(repository),
    github_environment: expr("var.environment"),
    state_bucket: expr("var.state_bucket"),
    state_key: tmpl("${var.project}/${var.environment}/terraform.tfstate"),
    cluster_arn: shape.services.length || shape.jobs.length ? expr("module.cluster.cluster_arn") : "",
    pass_role_arns: outputsOf(shape, workloads, ["task_role_arn", "execution_role_arn"]),
    site_bucket_arns: sites.length ? outputsOf(shape, sites, ["bucket_arn"]) : undefined,
    distribution_arns: sites.length ? outputsOf(shape, sites, ["distribution_arn"]) : undefined,
  });
}

/** `ci.repository` as the modules' `github_owner` and `github_repo` inputs. */
const githubRepo = (repository: string) => ({
  github_owner: repository.split("/")[0] ?? repository,
  github_repo: repository.split("/")[1] ?? repository,
});

/** What dr-drill.yml needs in the VPC, created only in the environment it restores (var.dr_drill). */
function drillCall(shape: AwsShape): Block[] {
  const repository = shape.app.ci.repository;
  if (!drilledIn(shape.envs) || !repository) return [];
  const major = Math.max(...shape.postgres.map((p) => p.version));
  return [
    moduleCall(DRILL_MODULE, {
      source: `./modules/${DRILL_MODULE}`,
      count: expr("var.dr_drill ? 1 : 0"),
      name: NAME,
      vpc_id: expr("module.network.vpc_id"),
      cluster_arn: expr("module.cluster.cluster_arn"),
      postgres_version: String(major),
      kms_key_arn: KMS,
      log_retention_days: expr("var.log_retention_days"),
      ...githubRepo(repository),
      github_branch: shape.app.ci.default_branch,
    }),
  ];
}

function budgetCall(): Block {
  return moduleCall("budget", {
    source: "./modules/budget",
    count: expr("var.budget == null ? 0 : 1"),
    name: NAME,
    monthly_usd: expr("var.budget == null ? 0 : var.budget.monthly_usd"),
    thresholds: expr("var.budget == null ? [] : var.budget.thresholds"),
    emails: expr("var.budget == null ? [] : var.budget.emails"),
    cost_filter_tag: expr('join("$", ["Environment", var.environment])'),
  });
}
