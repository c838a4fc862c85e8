// The Gantry spec: the single source of truth for validation, the published JSON Schema
// (schema/gantry.schema.json) and the field reference (docs/spec.md). Every description here is read
// by people in their editor and in the docs, so it says what the field does, not how it is stored.
// Each section of the spec has a file of its own (schema-services.ts, schema-data.ts, schema-edges.ts,
// schema-monitoring.ts, schema-recovery.ts, schema-targets.ts, schema-environments.ts); this one is the top level.
import { MapOf, Obj, Str, Text, nameKey, type Static } from "./schema-kit.js";
import { ServiceSchema } from "./schema-services.js";
import { BucketSchema, PostgresSchema, RedisSchema, TopicSchema } from "./schema-data.js";
import { DnsSchema, EmailSchema } from "./schema-edges.js";
import { BudgetSchema, MonitoringSchema } from "./schema-monitoring.js";
import { CiSchema, TargetsSchema } from "./schema-targets.js";
import { EnvironmentSchema, overridable } from "./schema-environments.js";
import { ChecksSchema } from "./schema-checks.js";
import { CostSchema } from "./schema-cost.js";
import { RecoverySchema } from "./schema-recovery.js";

export const SpecSchema = Obj(
  {
    name: Str({
      description:
        "The app's name: lower-case letters, digits and '-', at most 40 characters. Used in resource names.",
      format: "name",
    }),
    description: Str({ description: "What the app is.", maxLength: 1000 }),
    services: MapOf(ServiceSchema, {
      description: "Services: HTTP services, workers, static frontends and scheduled jobs, by name.",
      ...nameKey,
    }),
    postgres: MapOf(PostgresSchema, { description: "PostgreSQL servers by name.", ...nameKey }),
    redis: MapOf(RedisSchema, { description: "Redis caches by name.", ...nameKey }),
    topics: MapOf(TopicSchema, { description: "Event topics by name.", ...nameKey }),
    buckets: MapOf(BucketSchema, { description: "Object storage buckets by name.", ...nameKey }),
    email: EmailSchema,
    dns: DnsSchema,
    monitoring: MonitoringSchema,
    budget: BudgetSchema,
    cost: CostSchema,
    recovery: RecoverySchema,
    tags: MapOf(Text({ description: "Tag value.", maxLength: 256 }), {
      description: "Tags on every resource. Environment and Project are always added.",
      keyFormat: "tag-name",
    }),
    ci: CiSchema,
    targets: TargetsSchema,
    checks: ChecksSchema,
    environments: MapOf(EnvironmentSchema, {
      description:
        "Environments by name (dev, staging, production or any names). Default: one named `production`.",
      ...nameKey,
    }),
  },
  {
    description: "A Gantry application spec (gantry.yaml).",
    required: ["name"],
    $id: "https://gantry.dev/schema/gantry.schema.json",
    title: "Gantry application spec",
  },
);

export type SpecInput = Static<typeof SpecSchema>;
export type ServiceInput = Static<typeof ServiceSchema>;

/** The top-level keys an environment may override, in the order they are documented. */
export const OVERRIDABLE_KEYS = Object.keys(overridable) as (keyof typeof overridable)[];
