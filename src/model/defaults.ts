// Defaults come from the schema's `default` keywords (so the docs and the editor show them), plus a
// small table of defaults that depend on the environment's tier, documented in docs/spec.md.
import type { JsonSchema } from "../spec/check-schema.js";
import { jsonType } from "../spec/check-schema.js";
import { isPlainObject } from "./merge.js";
import type { Size, Tier } from "./types.js";

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

export function tierFromName(name: string): Tier {
  if (/^prod/.test(name) || name === "live") return "production";
  if (/^(stag|stage|preprod|uat|qa)/.test(name)) return "staging";
  return "development";
}

/** Defaults that depend on the tier. Each row is documented in docs/spec.md. */
export const TIER_DEFAULTS = {
  size: { development: "xs", staging: "s", production: "m" } as Record<Tier, Size>,
  backup_retention_days: { development: 7, staging: 7, production: 30 } as Record<Tier, number>,
  geo_redundant_backups: { development: false, staging: false, production: true } as Record<Tier, boolean>,
  log_retention_days: { development: 7, staging: 30, production: 90 } as Record<Tier, number>,
  sampling_percent: { development: 100, staging: 100, production: 10 } as Record<Tier, number>,
  daily_cap_gb: { development: 0, staging: 1, production: 5 } as Record<Tier, number>,
  deploy_on: { development: "push", staging: "push", production: "release" } as Record<
    Tier,
    "push" | "release" | "manual"
  >,
  approval: { development: "none", staging: "none", production: "required" } as Record<
    Tier,
    "none" | "required"
  >,
  slot: { development: false, staging: true, production: true } as Record<Tier, boolean>,
} as const;

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
