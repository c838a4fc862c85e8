// Defaults come from the schema's `default` keywords (so the docs and the editor show them), plus a
// small table of defaults that depend on the environment's tier, documented in docs/spec.md.
import type { JsonSchema } from "../spec/check-schema.js";
import { jsonType } from "../spec/check-schema.js";
import { isPlainObject } from "./merge.js";
import type { DeployModel, Size, Tier } from "./types.js";

/** Fills every missing property that has a schema default, recursively. Mutates `value`. */
export function applyDefaults(schema: JsonSchema, value: unknown): unknown {
  if (schema.anyOf) {
    const t = jsonType(value);
    const branch = schema.anyOf.find(
      (b) =>
        b.type === t ||
        (Array.isArray(b.type) && b.type.includes(t)) ||
        (t === "integer" && b.type === "number"),
    );
    return branch ? applyDefaults(branch, value) : value;
  }
  if (isPlainObject(value)) {
    for (const [k, ps] of Object.entries(schema.properties ?? {})) {
      if (value[k] === undefined && ps.default !== undefined) value[k] = structuredClone(ps.default);
      if (value[k] !== undefined) applyDefaults(ps, value[k]);
    }
    if (typeof schema.additionalProperties === "object") {
      for (const v of Object.values(value)) applyDefaults(schema.additionalProperties, v);
    }
  } else if (Array.isArray(value) && schema.items) {
    for (const item of value) applyDefaults(schema.items, item);
  }
  return value;
}

/** A copy of `value` with every default of `schema` (the schema of that value) filled in. */
export function withDefaults<T>(schema: JsonSchema, value: T): T {
  const copy = structuredClone(value);
  applyDefaults(schema, copy);
  return copy;
}

/** `T` with the fields `K` set: those the schema's defaults fill or the spec's checks require. */
export type Filled<T, K extends keyof T> = T & { [P in K]-?: NonNullable<T[P]> };

/**
 * `value`, with `keys` known to be set: fields that the schema's defaults fill (after withDefaults) or
 * that the spec's checks require, at spec path `path`. One missing is a bug in Gantry, not a mistake
 * in the spec, so it fails loudly and names the field.
 */
export function filled<T extends object, K extends keyof T>(
  value: T,
  keys: readonly K[],
  path: string,
): Filled<T, K> {
  if (!hasFields(value, keys)) {
    const missing = keys.filter((k) => value[k] == null).map((k) => `${path}.${String(k)}`);
    throw new Error(`${missing.join(", ")} not set after the spec's checks and defaults`);
  }
  return value;
}

/** One value that the schema's defaults fill or the checks require (see filled). */
export function given<T>(value: T | undefined, path: string): T {
  if (value === undefined) throw new Error(`${path} not set after the spec's checks and defaults`);
  return value;
}

function hasFields<T extends object, K extends keyof T>(value: T, keys: readonly K[]): value is Filled<T, K> {
  return keys.every((k) => value[k] != null);
}

/**
 * The words of environment names that say their tier; a name is read word by word (`eu-prod-2`:
 * eu, prod, 2, with digits after a word ignored) and the first word found here decides.
 */
export const TIER_WORDS: Record<Tier, readonly string[]> = {
  production: ["prod", "prd", "production", "live"],
  staging: ["staging", "stage", "stg", "preprod", "preproduction", "uat", "qa", "test"],
  development: ["dev", "development", "local"],
};
const TIER_ORDER: readonly Tier[] = ["production", "staging", "development"];

export function tierFromName(name: string): Tier {
  // `pre-prod` is one word: the environment before production.
  const words = name.replace(/(^|-)pre-(?=prod)/g, "$1pre").split("-");
  for (const word of words.map((w) => w.replace(/[0-9]+$/, ""))) {
    const tier = TIER_ORDER.find((t) => TIER_WORDS[t].includes(word));
    if (tier) return tier;
  }
  return "development";
}

/** The rule of tierFromName in words, for docs/spec.md. */
export function tierRuleDocs(): string {
  const words = (t: Tier) => TIER_WORDS[t].map((w) => `\`${w}\``).join(", ");
  return [
    "The tier comes from `environments.<name>.tier`, or from the name, read word by word (`eu-prod-2` is eu, prod,",
    "2; digits after a word are ignored) where the first word that names a tier decides:",
    `${words("production")} → production; ${words("staging")} (and \`pre-prod\`) → staging;`,
    `${words("development")} and any other name → development. Set \`tier\` when the name says otherwise.`,
  ].join("\n");
}

/** Defaults that depend on the tier. Each row is documented in docs/spec.md. */
export const TIER_DEFAULTS: {
  size: Record<Tier, Size>;
  backup_retention_days: Record<Tier, number>;
  geo_redundant_backups: Record<Tier, boolean>;
  log_retention_days: Record<Tier, number>;
  sampling_percent: Record<Tier, number>;
  daily_cap_gb: Record<Tier, number>;
  deploy_on: Record<Tier, DeployModel["on"]>;
  approval: Record<Tier, DeployModel["approval"]>;
  slot: Record<Tier, boolean>;
  rpo: Record<Tier, string>;
  rto: Record<Tier, string>;
  drill: Record<Tier, string>;
} = {
  size: { development: "xs", staging: "s", production: "m" },
  backup_retention_days: { development: 7, staging: 7, production: 30 },
  geo_redundant_backups: { development: false, staging: false, production: true },
  log_retention_days: { development: 7, staging: 30, production: 90 },
  sampling_percent: { development: 100, staging: 100, production: 10 },
  daily_cap_gb: { development: 0, staging: 1, production: 5 },
  deploy_on: { development: "push", staging: "push", production: "release" },
  approval: { development: "none", staging: "none", production: "required" },
  slot: { development: false, staging: true, production: true },
  // Production's are the reference system's objectives (RPO 15 minutes, RTO 1 hour); every target
  // Gantry writes can meet them.
  rpo: { development: "24h", staging: "1h", production: "15m" },
  rto: { development: "24h", staging: "4h", production: "1h" },
  drill: { development: "none", staging: "none", production: "@monthly" },
};

export const TIER_DEFAULT_DOCS: { field: string; row: keyof typeof TIER_DEFAULTS }[] = [
  { field: "postgres.*.size, redis.*.size", row: "size" },
  { field: "postgres.*.backups.retention_days", row: "backup_retention_days" },
  { field: "postgres.*.backups.geo_redundant", row: "geo_redundant_backups" },
  { field: "monitoring.log_retention_days", row: "log_retention_days" },
  { field: "monitoring.sampling_percent", row: "sampling_percent" },
  { field: "monitoring.daily_cap_gb (0 = no cap)", row: "daily_cap_gb" },
  { field: "environments.*.deploy.on", row: "deploy_on" },
  { field: "environments.*.deploy.approval", row: "approval" },
  { field: "environments.*.deploy.slot (Azure)", row: "slot" },
  { field: "recovery.rpo", row: "rpo" },
  { field: "recovery.rto", row: "rto" },
  { field: "recovery.drill", row: "drill" },
];

/** Alert rules every app gets unless it turns them off; thresholds from the reference systems. */
export const DEFAULT_ALERTS = {
  "high-error-rate": { metric: "error_rate", above: 5, for: "5m", severity: "warning" },
  "critical-error-rate": { metric: "error_rate", above: 15, for: "2m", severity: "critical" },
  "high-latency": { metric: "latency_p95", above: 500, for: "5m", severity: "critical" },
  "high-cpu": { metric: "cpu", above: 80, for: "10m", severity: "warning" },
  "high-memory": { metric: "memory", above: 80, for: "10m", severity: "warning" },
  "crash-loop": { metric: "crash_loop", above: 0.2, for: "5m", severity: "critical" },
} as const;

/** Default port of services that do not set one (Gantry passes it as $PORT). */
export const DEFAULT_PORT = 8080;
