// The spec as the resolver reads it: the types TypeBox derives from the schema (src/spec/schema*.ts),
// with the object forms of the short forms (`health: /healthz`, `scale: 3`, `build: ./api`) named,
// and the helpers that walk its maps in name order, as the model lists everything.
import type { Static } from "../spec/schema-kit.js";
import type { ServiceInput, SpecInput } from "../spec/schema.js";
import type { BucketSchema, PostgresSchema, RedisSchema, TopicSchema } from "../spec/schema-data.js";
import type { DnsSchema, EmailSchema } from "../spec/schema-edges.js";
import type { EnvironmentSchema } from "../spec/schema-environments.js";
import type { BudgetSchema, MonitoringSchema } from "../spec/schema-monitoring.js";
import type { CiSchema, TargetsSchema } from "../spec/schema-targets.js";
import type { RecoverySchema } from "../spec/schema-recovery.js";

export type { ServiceInput, SpecInput };
export type PostgresInput = Static<typeof PostgresSchema>;
export type RedisInput = Static<typeof RedisSchema>;
export type TopicInput = Static<typeof TopicSchema>;
export type BucketInput = Static<typeof BucketSchema>;
export type EmailInput = Static<typeof EmailSchema>;
export type DnsInput = Static<typeof DnsSchema>;
export type MonitoringInput = Static<typeof MonitoringSchema>;
export type AlertRuleInput = NonNullable<MonitoringInput["alerts"]>[string];
export type BudgetInput = Static<typeof BudgetSchema>;
export type RecoveryInput = Static<typeof RecoverySchema>;
export type CiInput = Static<typeof CiSchema>;
export type TargetsInput = Static<typeof TargetsSchema>;
export type EnvironmentInput = Static<typeof EnvironmentSchema>;

/** The object form of a field that may also be written short (a string, a number or a list). */
type ObjectForm<T> = Exclude<NonNullable<T>, string | number | readonly unknown[]>;

export type BuildInput = ObjectForm<ServiceInput["build"]>;
export type HealthInput = ObjectForm<ServiceInput["health"]>;
export type ScaleInput = ObjectForm<ServiceInput["scale"]>;
export type MetricsInput = ObjectForm<ServiceInput["metrics"]>;
export type MigrationsInput = ObjectForm<ServiceInput["migrations"]>;
export type SubscriptionsInput = ObjectForm<ServiceInput["subscribes"]>;

/** The entries of a map, sorted by name. */
export function byName<T>(map: Record<string, T> | undefined): [string, T][] {
  return Object.entries(map ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** A map with its keys sorted, each value turned into what the model holds. */
export function mapByName<T, U>(map: Record<string, T> | undefined, to: (value: T, name: string) => U) {
  const out: Record<string, U> = {};
  for (const [name, value] of byName(map)) out[name] = to(value, name);
  return out;
}
