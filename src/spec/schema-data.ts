// The spec's data: `postgres` servers, `redis` caches, event `topics` and object storage `buckets`.
import { Bool, Duration, Enum, Int, List, MapOf, nameKey, Obj, SizeClass, Str } from "./schema-kit.js";

export const PostgresSchema = Obj(
  {
    version: Int({
      description: "PostgreSQL major version.",
      minimum: 13,
      maximum: 17,
      default: 16,
      "x-expected": "a PostgreSQL major version from 13 to 17",
    }),
    size: SizeClass,
    storage_gb: Int({ description: "Storage in GiB.", minimum: 5, maximum: 16384, default: 32 }),
    ha: Bool({
      description:
        "High availability: a standby in another zone (zone-redundant HA, Multi-AZ, standby nodes).",
      default: false,
    }),
    databases: List(
      Str({
        description: "Database name.",
        format: "database",
      }),
      {
        description:
          "Databases to create; apps connect to the first. Default: one named like this entry (with - as _).",
        minItems: 1,
        uniqueItems: true,
      },
    ),
    hosting: Enum(["managed", "cluster"], {
      description:
        "Where it runs on Kubernetes targets: the cloud's managed service, or a StatefulSet in the cluster (for development).",
      default: "managed",
    }),
    backups: Obj(
      {
        enabled: Bool({ description: "Automated backups.", default: true }),
        retention_days: Int({ description: "Days backups are kept.", minimum: 1, maximum: 35, default: 7 }),
        pitr: Bool({ description: "Point-in-time restore.", default: true }),
        geo_redundant: Bool({ description: "Copy backups to another region.", default: false }),
      },
      { description: "Automated backups.", default: {} },
    ),
    public_access: Bool({
      description:
        "Reachable from the internet (behind the firewall). Default false: only the app's network.",
      default: false,
    }),
  },
  { description: "A PostgreSQL server." },
);

export const RedisSchema = Obj(
  {
    version: Int({ description: "Redis major version.", minimum: 6, maximum: 7, default: 7 }),
    size: SizeClass,
    persistence: Enum(["none", "rdb", "aof"], {
      description: "Durability: none (cache only), rdb (periodic snapshots) or aof (append-only file).",
      default: "none",
    }),
    tls: Bool({ description: "Require TLS 1.2+ and turn the plain port off.", default: true }),
    ha: Bool({ description: "A replica in another zone.", default: false }),
    eviction: Enum(
      ["noeviction", "allkeys-lru", "volatile-lru", "allkeys-lfu", "volatile-lfu", "volatile-ttl"],
      { description: "What happens when memory is full.", default: "volatile-lru" },
    ),
    hosting: Enum(["managed", "cluster"], {
      description: "Managed service, or a StatefulSet in the cluster (for development).",
      default: "managed",
    }),
  },
  { description: "A Redis cache." },
);

export const TopicSchema = Obj(
  {
    partitions: Int({
      description: "Partitions (the most consumers of one group working at once).",
      minimum: 1,
      maximum: 1000,
      default: 3,
    }),
    retention: Duration("How long events are kept.", "7d"),
    replication: Int({
      description: "Copies of each partition on the broker.",
      minimum: 1,
      maximum: 5,
      default: 3,
    }),
    idempotency: Obj(
      {
        store: Str({
          description: "The PostgreSQL or Redis entry that records processed event ids.",
          format: "name",
        }),
        ttl: Duration("How long processed ids are remembered.", "24h"),
      },
      {
        description:
          "Idempotent consumers: a state store that records processed events so a redelivered event is processed once.",
        required: ["store"],
      },
    ),
  },
  {
    description:
      "An event topic on a Kafka-compatible broker (Redpanda, Event Hubs, MSK) or Redis Streams locally.",
  },
);

const LifecycleRule = Obj(
  {
    prefix: Str({ description: "Only objects under this prefix.", default: "" }),
    cool_after_days: Int({
      description: "Move to the cool / infrequent-access tier after this many days.",
      minimum: 1,
      maximum: 36500,
    }),
    archive_after_days: Int({
      description: "Move to the archive tier after this many days.",
      minimum: 1,
      maximum: 36500,
    }),
    delete_after_days: Int({ description: "Delete after this many days.", minimum: 1, maximum: 36500 }),
  },
  { description: "An object lifecycle rule." },
);

export const BucketSchema = Obj(
  {
    versioning: Bool({ description: "Keep previous versions of objects.", default: true }),
    lifecycle: MapOf(LifecycleRule, { description: "Lifecycle rules by name.", ...nameKey }),
    cors_origins: List(
      Str({
        description: "Origin such as https://app.example.com.",
        format: "origin",
      }),
      { description: "Origins allowed to use the bucket from a browser.", uniqueItems: true },
    ),
  },
  { description: "An object storage bucket. Never public." },
);
