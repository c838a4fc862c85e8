// main.tf and outputs.tf of the DigitalOcean stack: the provider, the locals and one module call
// per concern, wired to each other's outputs; what the pipelines and people read afterwards.
import { Block, call, expr, tmpl, type HclValue } from "../../format/hcl.js";
import { data, moduleCall, output } from "../terraform/blocks.js";
import type { StackMain } from "../terraform/stack.js";
import { appSecretLocals, appSecretOutput } from "./app-secret.js";
import type { DoShape } from "./shape.js";

const NAME = expr("local.name");

export function doMain(shape: DoShape): StackMain {
  return {
    providers: [
      new Block(
        "provider",
        ["digitalocean"],
        [
          {
            kind: "comment",
            text: "Token from DIGITALOCEAN_TOKEN; Spaces keys from SPACES_ACCESS_KEY_ID / SPACES_SECRET_ACCESS_KEY.",
          },
        ],
      ),
    ],
    locals: {
      tags: expr('concat(var.tags, ["gantry", var.project, var.environment])'),
      ...(shape.sharesCluster ? SHARED_CLUSTER_LOCALS : {}),
      ...appSecretLocals(shape),
    },
    blocks: [
      ...platformCalls(shape),
      ...databaseCalls(shape),
      ...storageCalls(shape),
      ...watchCalls(shape),
      projectCall(shape),
    ],
  };
}

/**
 * Where the cluster's values come from: its module, or, where environments share a cluster, the
 * module in the environment that creates it and a lookup by name in the others.
 */
const SHARED = "data.digitalocean_kubernetes_cluster.shared[0]";
const SHARED_CLUSTER_LOCALS: Record<string, HclValue> = {
  cluster_id: expr(`var.create_cluster ? module.cluster[0].cluster_id : ${SHARED}.id`),
  vpc_id: expr(`var.create_cluster ? module.network[0].vpc_id : ${SHARED}.vpc_uuid`),
};
const refs = (shape: DoShape) =>
  shape.sharesCluster
    ? {
        clusterId: expr("local.cluster_id"),
        vpcId: expr("local.vpc_id"),
        clusterName: expr("var.cluster_name"),
        nodeTag: tmpl("${var.cluster_name}-nodes"),
        // A resource belongs to one project: the creating environment's.
        clusterUrns: "(var.create_cluster ? [module.cluster[0].cluster_urn] : [])",
      }
    : {
        clusterId: expr("module.cluster.cluster_id"),
        vpcId: expr("module.network.vpc_id"),
        clusterName: expr("module.cluster.cluster_name"),
        nodeTag: expr("module.cluster.node_tag"),
        clusterUrns: "[module.cluster.cluster_urn]",
      };

/** The VPC, the cluster in it, and the registry (created by one environment per account). */
function platformCalls(shape: DoShape): Block[] {
  const shared = shape.sharesCluster;
  const created = shared ? { count: expr("var.create_cluster ? 1 : 0") } : {};
  return [
    ...(shared
      ? [
          data("digitalocean_kubernetes_cluster", "shared", {
            count: expr("var.create_cluster ? 0 : 1"),
            name: expr("var.cluster_name"),
          }),
        ]
      : []),
    moduleCall("network", {
      source: "./modules/network",
      ...created,
      name: shared ? expr("var.cluster_name") : NAME,
      region: expr("var.region"),
      ip_range: expr("var.vpc_ip_range"),
    }),
    moduleCall("cluster", {
      source: "./modules/cluster",
      ...created,
      name: shared ? expr("var.cluster_name") : NAME,
      region: expr("var.region"),
      vpc_id: shared ? expr("module.network[0].vpc_id") : expr("module.network.vpc_id"),
      kubernetes_version: expr("var.kubernetes_version"),
      node_size: expr("var.node_size"),
      min_nodes: expr("var.min_nodes"),
      max_nodes: expr("var.max_nodes"),
      ha: expr("var.ha_control_plane"),
      tags: expr("local.tags"),
    }),
    moduleCall("registry", {
      source: "./modules/registry",
      count: expr("var.create_registry ? 1 : 0"),
      registry_name: expr("var.registry_name"),
      tier: expr("var.registry_tier"),
      region: expr("var.region"),
    }),
  ];
}

/** PostgreSQL, Redis and Kafka through the one database module. */
function databaseCalls(shape: DoShape): Block[] {
  const cluster: Record<string, HclValue> = {
    name: NAME,
    region: expr("var.region"),
    vpc_id: refs(shape).vpcId,
    cluster_id: refs(shape).clusterId,
    tags: expr("local.tags"),
  };
  const calls: Block[] = [];
  const each = (engine: string, extra: Record<string, HclValue>): Record<string, HclValue> => ({
    database: expr("each.key"),
    engine,
    engine_version: expr("each.value.version"),
    size: expr("each.value.size"),
    node_count: expr("each.value.node_count"),
    ...extra,
  });
  if (shape.postgres.length)
    calls.push(
      moduleCall("postgres", {
        source: "./modules/database",
        for_each: expr("var.postgres"),
        ...cluster,
        ...each("pg", { databases: expr("each.value.databases") }),
      }),
    );
  if (shape.redis.length)
    calls.push(
      moduleCall("redis", {
        source: "./modules/database",
        for_each: expr("var.redis"),
        ...cluster,
        ...each("redis", {
          redis_eviction_policy: expr("each.value.eviction_policy"),
          redis_persistence: expr("each.value.persistence"),
        }),
      }),
    );
  if (shape.hasTopics)
    calls.push(
      moduleCall("kafka", {
        source: "./modules/database",
        count: expr("var.kafka == null ? 0 : 1"),
        ...cluster,
        database: "kafka",
        engine: "kafka",
        engine_version: expr("var.kafka.version"),
        size: expr("var.kafka.size"),
        node_count: expr("var.kafka.node_count"),
        topics: expr("var.kafka.topics"),
      }),
    );
  return calls;
}

/** Spaces buckets and the DNS records that point at the ingress. */
function storageCalls(shape: DoShape): Block[] {
  const calls: Block[] = [];
  if (shape.buckets.length)
    calls.push(
      moduleCall("bucket", {
        source: "./modules/bucket",
        for_each: expr("var.buckets"),
        name: NAME,
        bucket: expr("each.key"),
        region: expr("var.spaces_region"),
        versioning: expr("each.value.versioning"),
        expire_after_days: expr("each.value.expire"),
        cors_origins: expr("each.value.cors_origins"),
      }),
    );
  if (shape.hasDns)
    calls.push(
      moduleCall("dns", {
        source: "./modules/dns",
        zone: expr("var.dns_zone"),
        create_zone: expr("var.create_dns_zone"),
        records: expr("var.dns_records"),
        ingress_ip: expr("var.ingress_ip"),
      }),
    );
  return calls;
}

/** The managed database clusters the database alerts watch, by `<engine>-<name>`. */
function watchedDatabases(shape: DoShape): HclValue | undefined {
  const maps: HclValue[] = [];
  if (shape.postgres.length) maps.push(expr('{ for k, m in module.postgres : "postgres-${k}" => m.id }'));
  if (shape.redis.length) maps.push(expr('{ for k, m in module.redis : "redis-${k}" => m.id }'));
  if (shape.hasTopics) maps.push(expr('{ for m in module.kafka : "kafka" => m.id }'));
  return maps.length ? call("merge", ...maps) : undefined;
}

/** Node and database alerts and uptime checks, to the e-mail and Slack channels. */
function watchCalls(shape: DoShape): Block[] {
  const slack = {
    slack_channels: expr("var.alert_slack_channels"),
    slack_urls: expr("var.alert_slack_urls"),
  };
  return [
    moduleCall("alerts", {
      source: "./modules/alerts",
      name: NAME,
      node_tag: refs(shape).nodeTag,
      alerts: expr("var.alerts"),
      databases: watchedDatabases(shape),
      emails: expr("var.alert_emails"),
      slack: expr("var.alert_slack"),
      ...slack,
    }),
    moduleCall("uptime", {
      source: "./modules/uptime",
      name: NAME,
      checks: expr("var.uptime_checks"),
      emails: expr("var.alert_emails"),
      slack: expr("var.alert_slack"),
      ...slack,
    }),
  ];
}

/** The project groups every resource that has a URN in the control panel. */
function projectCall(shape: DoShape): Block {
  const urns: string[] = [refs(shape).clusterUrns];
  if (shape.postgres.length) urns.push("[for m in module.postgres : m.urn]");
  if (shape.redis.length) urns.push("[for m in module.redis : m.urn]");
  if (shape.hasTopics) urns.push("[for m in module.kafka : m.urn]");
  if (shape.buckets.length) urns.push("[for m in module.bucket : m.urn]");
  if (shape.hasDns) urns.push("[module.dns.zone_urn]");
  const description = (shape.app.description ?? shape.app.name)
    .replace(/\$\{/g, "$$${")
    .replace(/%\{/g, "%%{");
  return moduleCall("project", {
    source: "./modules/project",
    name: NAME,
    description: tmpl(`${description} (\${var.environment})`),
    environment: expr("var.project_environment"),
    resources: expr(`concat(${urns.join(", ")})`),
  });
}

export function doOutputs(shape: DoShape): Block[] {
  const outs: Block[] = [
    output(
      "cluster_name",
      refs(shape).clusterName,
      "DOKS cluster: doctl kubernetes cluster kubeconfig save <name>.",
    ),
    output("cluster_id", refs(shape).clusterId, "ID of the DOKS cluster."),
    output(
      "registry_endpoint",
      expr(
        `var.create_registry ? module.registry[0].endpoint : "registry.digitalocean.com/\${var.registry_name}"`,
      ),
      "Where images are pushed.",
    ),
    output("project_id", expr("module.project.project_id"), "DigitalOcean project of the environment."),
  ];
  if (shape.postgres.length)
    outs.push(
      output(
        "postgres_hosts",
        expr('{ for k, m in module.postgres : replace(k, "-", "_") => m.private_host }'),
        "Private host of each managed PostgreSQL cluster.",
      ),
    );
  if (shape.redis.length)
    outs.push(
      output(
        "redis_hosts",
        expr('{ for k, m in module.redis : replace(k, "-", "_") => m.private_host }'),
        "Private host of each managed Redis cluster.",
      ),
    );
  outs.push(...appSecretOutput(shape));
  if (shape.hasTopics)
    outs.push(
      output(
        "kafka_host",
        expr("var.kafka == null ? null : module.kafka[0].private_host"),
        "Private host of the Kafka cluster.",
      ),
    );
  return outs;
}
