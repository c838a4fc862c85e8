// environments/<env>.tfvars of the AWS stack: what differs per environment (sizes, counts,
// retention, domains, alerts, budget), in the units AWS takes.
import type { HclValue } from "../../format/hcl.js";
import type { AppModel, JobModel, PostgresModel, ServiceModel, StaticModel } from "../../model/types.js";
import { seconds } from "../../util/duration.js";
import { alertChannels, alertEmails, dnsZone, healthEndpoints } from "../terraform/values.js";
import { cloudWatchRetention, fargateSize } from "../terraform/units.js";
import type { Collection } from "./names.js";
import { presentIn } from "./presence.js";
import { rootTfvars } from "./root-values.js";
import { bucketsVariable, tfvarsFields } from "./settings.js";
import { awsOptions, stateBucket, type AwsShape } from "./shape.js";
import { AWS_SIZES } from "./sizes.js";
import { hasPartial, wiringOf } from "./wiring.js";

type Values = Record<string, HclValue | undefined>;

/** The values of one environment after `environment`; `index` is its place in the spec. */
export function awsTfvars(shape: AwsShape, e: AppModel, index: number): Values {
  return {
    ...accountValues(shape, e, index),
    ...workloadValues(shape, e),
    ...dataValues(shape, e),
    ...alertValues(shape, e),
    ...rootTfvars(shape, e),
  };
}

function accountValues(shape: AwsShape, e: AppModel, index: number): Values {
  const opts = awsOptions(e);
  const prod = e.environment.tier === "production";
  return {
    region: opts.region,
    account_id: opts.account_id,
    availability_zones: opts.availability_zones,
    vpc_cidr: `10.${index * 16}.0.0/16`,
    single_nat_gateway: !prod,
    deletion_protection: prod,
    log_retention_days: cloudWatchRetention(e.monitoring.log_retention_days),
    backup_region: shape.postgres.length ? backupRegion(opts.region) : undefined,
    // Where some environments have no domains, theirs reads no zone.
    dns_zone: !shape.hasDomains ? undefined : presentIn(shape, "dns_zone", e) ? dnsZone(e) : null,
    registry_region: shape.built.length ? awsOptions(shape.app).region : undefined,
    state_bucket: e.ci.repository ? stateBucket(e) : undefined,
    tags: sortedRecord(e.tags),
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

/** Per service, job and site this environment runs (the others are not in its maps). */
function workloadValues(shape: AwsShape, e: AppModel): Values {
  const values: Values = {};
  const all = Object.values(e.services);
  if (shape.services.length)
    values.services = Object.fromEntries(
      all
        .filter((s): s is ServiceModel => s.type === "http" || s.type === "worker")
        .map((s) => [
          s.name,
          { ...serviceValues(shape, e, s), ...entryFields(shape, "services", s.name, e) },
        ]),
    );
  if (shape.jobs.length)
    values.jobs = Object.fromEntries(
      all
        .filter((s): s is JobModel => s.type === "job")
        .map((j) => {
          const size = fargateSize(j.resources.limits.cpu, j.resources.limits.memory);
          const env = wiringOf(shape, j).byEnv.get(e.environment.name)!;
          const fields = entryFields(shape, "jobs", j.name, e);
          return [j.name, { cpu: size.cpu, memory: size.memory, environment: env.literals, ...fields }];
        }),
    );
  const priceClass = e.environment.tier === "production" ? "PriceClass_All" : "PriceClass_100";
  if (shape.sites.length)
    values.static_sites = Object.fromEntries(
      all
        .filter((s): s is StaticModel => s.type === "static")
        .map((s) => [
          s.name,
          {
            domains: [...s.domains],
            price_class: priceClass,
            ...entryFields(shape, "static_sites", s.name, e),
          },
        ]),
    );
  return values;
}

/**
 * The fields of an entry that differ between environments (settings.ts), and for a workload that
 * takes some of `local.wired` (wiring.ts), the keys this environment takes.
 */
function entryFields(
  shape: AwsShape,
  collection: Collection,
  name: string,
  e: AppModel,
): Record<string, HclValue> {
  const fields: Record<string, HclValue> = tfvarsFields(shape, collection, name, e);
  if (collection !== "services" && collection !== "jobs") return fields;
  const w = [...shape.services, ...shape.jobs].find(
    (x) => x.name === name && (collection === "jobs") === (x.type === "job"),
  )!;
  const wiring = wiringOf(shape, w);
  return hasPartial(wiring) ? { ...fields, wired: wiring.byEnv.get(e.environment.name)!.wired } : fields;
}

function serviceValues(shape: AwsShape, e: AppModel, s: ServiceModel): Record<string, HclValue> {
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
    environment: wiringOf(shape, s).byEnv.get(e.environment.name)!.literals,
  };
}

/** Days of automated backups: the spec's within RDS's 1 to 35, and 1 when the spec turns them off. */
export function rdsBackupDays(p: PostgresModel): number {
  return p.backups.enabled ? Math.min(35, Math.max(1, p.backups.retention_days)) : 1;
}

/** Whether RDS copies the backups to the replica region: only backups that are kept are copied. */
export const rdsGeoRedundant = (p: PostgresModel): boolean => p.backups.enabled && p.backups.geo_redundant;

function dataValues(shape: AwsShape, e: AppModel): Values {
  const prod = e.environment.tier === "production";
  const values: Values = {};
  if (shape.postgres.length)
    values.postgres = Object.fromEntries(
      Object.values(e.postgres).map((p) => {
        const server = {
          engine_version: String(p.version),
          instance_class: AWS_SIZES[p.size].postgres,
          allocated_storage: Math.max(20, p.storage_gb),
          multi_az: p.ha,
          backup_retention_days: rdsBackupDays(p),
          geo_redundant: rdsGeoRedundant(p),
          ...tfvarsFields(shape, "postgres", p.name, e),
        };
        return [p.name, server];
      }),
    );
  if (shape.redis.length)
    values.redis = Object.fromEntries(
      Object.values(e.redis).map((r) => {
        const cache = {
          engine_version: r.version >= 7 ? "7.1" : "6.2",
          node_type: AWS_SIZES[r.size].redis,
          replicas: r.ha ? 1 : 0,
          snapshot_retention_days: r.persistence === "none" ? 0 : prod ? 7 : 1,
          maxmemory_policy: r.eviction,
        };
        return [r.name, cache];
      }),
    );
  if (bucketsVariable(shape))
    values.buckets = Object.fromEntries(
      Object.keys(e.buckets).map((b) => [b, tfvarsFields(shape, "buckets", b, e)]),
    );
  return values;
}

/** The metrics CloudWatch alarms watch; the runbooks and `aws/alert-route` say what the others become. */
export const ALARM_METRICS: ReadonlySet<string> = new Set(["error_rate", "latency_p95", "cpu", "memory"]);

function alertValues(shape: AwsShape, e: AppModel): Values {
  const alerts = Object.entries(e.monitoring.alerts)
    .filter(([, a]) => ALARM_METRICS.has(a.metric))
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, a]): [string, HclValue] => {
      const minutes = Math.max(1, Math.ceil(seconds(a.for) / 60));
      return [
        k,
        {
          metric: a.metric,
          above: a.above,
          minutes,
          severity: a.severity,
          services: [...a.services],
          channels: [...a.channels].sort(),
        },
      ];
    });
  const checked = [...shape.publicServices, ...shape.sites].flatMap((s0) => {
    const svc = e.services[s0.name];
    return svc && svc.type !== "job" ? [svc] : [];
  });
  const checks = Object.fromEntries(
    healthEndpoints(checked).map((c) => [c.key, { fqdn: c.fqdn, path: c.path }]),
  );
  const { availability } = e.monitoring;
  return {
    alerts: Object.fromEntries(alerts),
    alert_emails: alertEmails(e),
    alert_channels: alertChannels(e),
    availability: {
      enabled: availability.enabled && Object.keys(checks).length > 0,
      interval: seconds(availability.interval) >= 30 ? 30 : 10,
      failures: Math.min(10, Math.max(1, availability.failures)),
      checks,
    },
    budget: e.budget
      ? {
          monthly_usd: e.budget.monthly_usd,
          thresholds: [...e.budget.thresholds],
          emails: [...e.budget.notify],
        }
      : undefined,
  };
}
