// The app's data and what it sends: PostgreSQL servers, Redis caches, topics (with who publishes and
// who receives each), buckets and e-mail, with the schema's defaults and those of the tier.
import { BucketSchema, PostgresSchema, RedisSchema, TopicSchema } from "../spec/schema-data.js";
import { EmailSchema } from "../spec/schema-edges.js";
import { filled, TIER_DEFAULTS, withDefaults } from "./defaults.js";
import {
  mapByName,
  type BucketInput,
  type EmailInput,
  type PostgresInput,
  type RedisInput,
  type TopicInput,
} from "./input.js";
import type {
  AnyServiceModel,
  BucketModel,
  EmailModel,
  PostgresModel,
  RedisModel,
  Tier,
  TopicModel,
} from "./types.js";

export function postgresModels(servers: Record<string, PostgresInput> | undefined, tier: Tier) {
  return mapByName(servers, (server, name): PostgresModel => {
    const at = `postgres.${name}`;
    const backups = server.backups ?? {};
    const pg = filled(
      withDefaults(PostgresSchema, {
        ...server,
        size: server.size ?? TIER_DEFAULTS.size[tier],
        backups: {
          ...backups,
          retention_days: backups.retention_days ?? TIER_DEFAULTS.backup_retention_days[tier],
          geo_redundant: backups.geo_redundant ?? TIER_DEFAULTS.geo_redundant_backups[tier],
        },
      }),
      ["version", "size", "storage_gb", "ha", "hosting", "backups", "public_access"],
      at,
    );
    return {
      name,
      ...pg,
      backups: filled(pg.backups, ["enabled", "retention_days", "pitr", "geo_redundant"], `${at}.backups`),
      // One database named like the server unless the spec lists them.
      databases: pg.databases ?? [name.replace(/-/g, "_")],
    };
  });
}

export function redisModels(caches: Record<string, RedisInput> | undefined, tier: Tier) {
  return mapByName(caches, (cache, name): RedisModel => {
    const r = withDefaults(RedisSchema, { ...cache, size: cache.size ?? TIER_DEFAULTS.size[tier] });
    return {
      name,
      ...filled(r, ["version", "size", "persistence", "tls", "ha", "eviction", "hosting"], `redis.${name}`),
    };
  });
}

/** Topics, with the services that receive each (`subscribes`) and publish to it (`uses`). */
export function topicModels(
  topics: Record<string, TopicInput> | undefined,
  services: Record<string, AnyServiceModel>,
) {
  const list = Object.values(services);
  return mapByName(topics, (input, name): TopicModel => {
    const at = `topics.${name}`;
    const t = filled(withDefaults(TopicSchema, input), ["partitions", "retention", "replication"], at);
    return {
      name,
      partitions: t.partitions,
      retention: t.retention,
      replication: t.replication,
      ...(t.idempotency ? { idempotency: filled(t.idempotency, ["ttl"], `${at}.idempotency`) } : {}),
      subscribers: list
        .filter((m) => m.type !== "static" && m.type !== "job" && name in m.subscribes)
        .map((m) => m.name),
      publishers: list.filter((m) => m.type !== "static" && m.uses.includes(name)).map((m) => m.name),
    };
  });
}

export function bucketModels(buckets: Record<string, BucketInput> | undefined) {
  return mapByName(buckets, (bucket, name): BucketModel => {
    const at = `buckets.${name}`;
    const b = filled(withDefaults(BucketSchema, bucket), ["versioning"], at);
    return {
      name,
      ...b,
      lifecycle: mapInOrder(b.lifecycle ?? {}, (rule, ruleName) =>
        filled(rule, ["prefix"], `${at}.lifecycle.${ruleName}`),
      ),
      cors_origins: b.cors_origins ?? [],
    };
  });
}

/** E-mail from the app's domain; DMARC reports go to dmarc@<domain> unless the spec says otherwise. */
export function emailModel(input: EmailInput | undefined): EmailModel | undefined {
  if (!input) return undefined;
  const email = filled(withDefaults(EmailSchema, { ...input, dmarc: input.dmarc ?? {} }), ["dmarc"], "email");
  const dmarc = filled(email.dmarc, ["policy"], "email.dmarc");
  return { ...email, dmarc: { ...dmarc, report_to: dmarc.report_to ?? `dmarc@${email.domain}` } };
}

/** A map with each value turned into what the model holds, in the spec's order. */
function mapInOrder<T, U>(map: Record<string, T>, to: (value: T, name: string) => U): Record<string, U> {
  return Object.fromEntries(Object.entries(map).map(([k, v]) => [k, to(v, k)]));
}
