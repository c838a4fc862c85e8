// environments/<env>.tfvars of the DigitalOcean stack: what differs per environment (nodes,
// managed data stores, DNS records, alerts, uptime checks), in the units DigitalOcean takes.
import type { HclValue } from "../../format/hcl.js";
import type { AppModel, ServiceModel, StaticModel } from "../../model/types.js";
import { seconds } from "../../util/duration.js";
import { alertEmails, dnsZone, healthEndpoints } from "../terraform/values.js";
import { clusterName, createsCluster, doOptions, spacesRegion, type DoShape } from "./shape.js";
import { DO_SIZES } from "./sizes.js";
import { brokerTopics } from "../kubernetes/topics.js";

type Values = Record<string, HclValue | undefined>;

/** The values of one environment after `environment`; `index` is its place in the spec. */
export function doTfvars(shape: DoShape, e: AppModel, index: number): Values {
  return {
    ...clusterValues(shape, e, index),
    ...dataValues(shape, e),
    ...(shape.hasDns ? dnsValues(e, index) : {}),
    ...alertValues(e),
  };
}

const PROJECT_ENVIRONMENT = { development: "Development", staging: "Staging", production: "Production" };

function clusterValues(shape: DoShape, e: AppModel, index: number): Values {
  const o = doOptions(e);
  return {
    project_environment: PROJECT_ENVIRONMENT[e.environment.tier],
    region: o.region,
    spaces_region: shape.buckets.length ? spacesRegion(o.region) : undefined,
    vpc_ip_range: `10.${100 + index * 10}.0.0/20`,
    kubernetes_version: o.kubernetes_version,
    node_size: o.node_size,
    min_nodes: o.nodes.min,
    max_nodes: Math.max(o.nodes.max, o.nodes.min),
    ha_control_plane: e.environment.tier === "production",
    ...(shape.sharesCluster
      ? { cluster_name: clusterName(e), create_cluster: createsCluster(shape.envs, e) }
      : {}),
    create_registry: index === 0,
    registry_name: e.name,
    registry_tier: "basic",
    tags: Object.entries(e.tags)
      .map(([k, val]) => `${k}:${val}`.toLowerCase().replace(/[^a-z0-9:_-]/g, "-"))
      .sort(),
  };
}

/** Managed clusters only: a data store that runs in the Kubernetes cluster here is left out. */
function dataValues(shape: DoShape, e: AppModel): Values {
  const values: Values = {};
  if (shape.postgres.length)
    values.postgres = Object.fromEntries(
      Object.values(e.postgres)
        .filter((p) => p.hosting === "managed")
        .map((p) => [
          p.name,
          {
            version: String(p.version),
            size: DO_SIZES[p.size].database,
            node_count: p.ha ? 2 : 1,
            databases: p.databases.length ? [...p.databases] : [e.name],
          },
        ]),
    );
  if (shape.redis.length)
    values.redis = Object.fromEntries(
      Object.values(e.redis)
        .filter((r) => r.hosting === "managed")
        .map((r) => [
          r.name,
          {
            version: String(r.version),
            size: DO_SIZES[r.size].database,
            node_count: r.ha ? 2 : 1,
            eviction_policy: r.eviction.replace(/-/g, "_"),
            persistence: r.persistence === "none" ? "off" : "rdb",
          },
        ]),
    );
  if (shape.hasTopics) values.kafka = kafkaValues(e);
  if (shape.buckets.length) values.buckets = bucketValues(e);
  return values;
}

function kafkaValues(e: AppModel): HclValue {
  const topics = brokerTopics(e);
  // An external broker (the reference system's shared Kafka) needs no cluster here.
  if (!topics.length || doOptions(e).kafka === "external") return null;
  return {
    version: "3.7",
    size: e.environment.tier === "production" ? "db-s-4vcpu-8gb" : "db-s-2vcpu-2gb",
    node_count: 3,
    topics: Object.fromEntries(
      topics.map((t) => [
        t.name,
        {
          partitions: t.partitions,
          replication: Math.min(3, Math.max(2, t.replication)),
          retention_ms: seconds(t.retention) * 1000,
        },
      ]),
    ),
  };
}

function bucketValues(e: AppModel): HclValue {
  return Object.fromEntries(
    Object.values(e.buckets).map((b) => [
      b.name,
      {
        versioning: b.versioning,
        expire: Object.fromEntries(
          Object.entries(b.lifecycle)
            .filter(([, r]) => r.delete_after_days !== undefined)
            .map(([k, r]) => [k, { prefix: r.prefix, days: r.delete_after_days! }]),
        ),
        cors_origins: [...b.cors_origins],
      },
    ]),
  );
}

/** The zone, whether this environment creates it, and the records that point at the ingress. */
function dnsValues(e: AppModel, index: number): Values {
  const zone = dnsZone(e);
  const domains = [
    ...new Set(Object.values(e.services).flatMap((s) => (s.type === "job" ? [] : s.domains))),
  ].filter((d) => d === zone || d.endsWith(`.${zone}`));
  return {
    dns_zone: zone,
    create_dns_zone: index === 0,
    dns_records: domains.map((d) => (d === zone ? "@" : d.slice(0, -zone.length - 1))).sort(),
  };
}

const WINDOWS = ["5m", "10m", "30m", "1h"];

/** The addresses of the named channels that are e-mail channels, sorted. */
const channelEmails = (e: AppModel, names: readonly string[]): string[] =>
  [
    ...new Set(
      names.flatMap((n) => {
        const c = e.monitoring.channels[n];
        return c?.type === "email" ? c.to : [];
      }),
    ),
  ].sort();

/** The named channels that are Slack channels (DigitalOcean posts to Slack itself), sorted. */
const slackChannels = (e: AppModel, names: readonly string[]): string[] =>
  names.filter((n) => e.monitoring.channels[n]?.type === "slack").sort();

/** Node alerts (DigitalOcean watches droplets, not requests), e-mail addresses and uptime checks. */
function alertValues(e: AppModel): Values {
  const windowOf = (d: string) => WINDOWS.find((w) => seconds(w) >= seconds(d)) ?? "1h";
  const checked = e.monitoring.availability.enabled
    ? Object.values(e.services).filter(
        (s): s is ServiceModel | StaticModel => s.type === "http" || s.type === "static",
      )
    : [];
  return {
    alerts: Object.fromEntries(
      Object.entries(e.monitoring.alerts)
        .filter(([, a]) => a.metric === "cpu" || a.metric === "memory")
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([k, a]) => [
          k,
          {
            metric: a.metric,
            above: a.above,
            window: windowOf(a.for),
            emails: channelEmails(e, a.channels),
            slack: slackChannels(e, a.channels),
          },
        ]),
    ),
    alert_emails: alertEmails(e),
    alert_slack: slackChannels(e, Object.keys(e.monitoring.channels)),
    uptime_checks: Object.fromEntries(
      healthEndpoints(checked).map((c) => [c.key, `https://${c.fqdn}${c.path}`]),
    ),
  };
}
