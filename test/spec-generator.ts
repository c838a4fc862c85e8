// A generator of Gantry specs, seeded and deterministic: the same seed gives the same spec on every
// machine. It walks the spec's JSON Schema (src/spec/schema*.ts) for the shape and values of every
// section (spec-generator-schema.ts), knows what ties the sections together (spec-generator-services.ts)
// and writes several environments that remove entries with `null` and override fields
// (spec-generator-environments.ts). Besides the YAML text it returns what each environment must
// resolve to, so a test can look for each environment's own values in that environment's files.
import { stringify } from "yaml";
import type { JsonSchema } from "../src/spec/check-schema.js";
import { DEFAULT_ALERTS } from "../src/model/defaults.js";
import { SpecSchema } from "../src/spec/schema.js";
import {
  generateEnvironment,
  namesOf,
  repair,
  type GeneratedEnvironment,
} from "./spec-generator-environments.js";
import { Rng, nodeAt, sample, type Plain } from "./spec-generator-schema.js";
import { KINDS, SCHEDULES, generateService } from "./spec-generator-services.js";

export { Rng };
export type { Plain };

const SPEC = SpecSchema as unknown as JsonSchema;
const SERVICE_NAMES = [
  "api",
  "web",
  "worker",
  "nightly",
  "admin",
  "indexer",
  "mailer",
  "gateway",
  "site",
  "cleanup",
];
const STORE_NAMES = {
  postgres: ["db", "main", "analytics"],
  redis: ["cache", "sessions"],
  topics: ["events", "orders", "audit-log"],
  buckets: ["files", "uploads", "exports"],
} as const;
const ENVIRONMENT_NAMES = ["dev", "staging", "prd", "production", "qa", "preview", "live", "uat", "sandbox"];

export interface GeneratedSpec {
  seed: number;
  /** The spec as a user would write it (gantry.yaml). */
  text: string;
  spec: Plain;
  /** What each environment resolves to, by name, in spec order. */
  environments: Record<string, Plain>;
}

export function generateSpec(seed: number): GeneratedSpec {
  const r = new Rng(seed);
  const name = `${r.pick(["shop", "blog", "crm", "ledger"])}-${r.token("")}`;
  const zone = `${name}.example.com`;
  const spec: Plain = { name };
  if (r.chance(0.3)) spec.description = sample(nodeAt(SPEC, "description"), r, "description");
  for (const [group, names] of Object.entries(STORE_NAMES)) {
    const chosen = r.some(names, 0.35);
    if (chosen.length)
      spec[group] = Object.fromEntries(
        chosen.map((n) => [n, sample(nodeAt(SPEC, `${group}.*`), r, `${group}.${n}`)]),
      );
  }
  if (r.chance(0.35))
    spec.email = {
      ...(sample(nodeAt(SPEC, "email"), r, "email") as Plain),
      domain: r.chance(0.5) ? zone : `mail.${zone}`,
    };
  if (r.chance(0.4)) spec.dns = { ...(sample(nodeAt(SPEC, "dns"), r, "dns") as Plain), zone };
  const names = namesOf(spec, zone);
  const services: Plain = {};
  const ports = new Set<number>();
  for (const svcName of r
    .some(SERVICE_NAMES, 0.3)
    .slice(0, 5)
    .concat(SERVICE_NAMES[0]!)
    .filter((n, i, a) => a.indexOf(n) === i))
    services[svcName] = generateService(svcName, r.pick(KINDS), { r, names, ports });
  spec.services = services;
  // Now and then a field the kind may not have, as a user would write it: loadSpec says why not.
  if (r.chance(0.15)) {
    const [svcName, svc] = r.pick(Object.entries(services)) as [string, Plain];
    const field = r.pick(Object.keys(nodeAt(SPEC, "services.*").properties ?? {}));
    svc[field] = sample(nodeAt(SPEC, `services.*.${field}`), r, `services.${svcName}.${field}`);
  }
  if (r.chance(0.5)) spec.monitoring = monitoring(r, Object.keys(services));
  for (const key of ["budget", "tags", "ci", "targets", "checks", "cost"] as const)
    if (r.chance(key === "targets" ? 0.7 : 0.4))
      spec[key] = sample(nodeAt(SPEC, key), r, key, { optional: 0.5 });
  if (r.chance(0.4)) spec.recovery = recovery(r);
  repair(spec, r, zone);

  const environments: Record<string, Plain> = {};
  const entries: Record<string, GeneratedEnvironment> = {};
  for (const env of r.some(ENVIRONMENT_NAMES, 0.3).slice(0, 4)) {
    entries[env] = generateEnvironment(spec, r, zone);
    environments[env] = entries[env].effective;
  }
  if (Object.keys(entries).length)
    spec.environments = Object.fromEntries(Object.entries(entries).map(([k, e]) => [k, e.entry]));
  else environments.production = spec;
  return { seed, text: stringify(spec, { lineWidth: 0 }), spec, environments };
}

/** Recovery objectives with schedules the cron reader accepts (sample() writes free text). */
function recovery(r: Rng): Plain {
  const out = sample(nodeAt(SPEC, "recovery"), r, "recovery", { optional: 0.5 }) as Plain;
  if ("drill" in out) out.drill = r.pick([...SCHEDULES, "@weekly", "@monthly", "none"]);
  if ("base_backup" in out) out.base_backup = r.pick([...SCHEDULES, "@daily"]);
  return out;
}

/** Channels of every type with what each needs, and alerts: built-in ones changed, new ones complete. */
function monitoring(r: Rng, services: string[]): Plain {
  const out = sample(nodeAt(SPEC, "monitoring"), r, "monitoring", { optional: 0.3 }) as Plain;
  const channels: Plain = {};
  for (const type of r.some(["email", "slack", "teams", "webhook"], 0.4))
    channels[`${type}-ch`] =
      type === "email"
        ? { type, to: ["ops@example.com"] }
        : { type, webhook_secret: `${type.toUpperCase()}_WEBHOOK_URL` };
  if (Object.keys(channels).length) out.channels = channels;
  else delete out.channels;
  const alerts: Plain = {};
  const rule = nodeAt(SPEC, "monitoring.alerts.*");
  for (const alert of r.some([...Object.keys(DEFAULT_ALERTS), "custom-1", "custom-2"], 0.25)) {
    const value = sample(rule, r, `monitoring.alerts.${alert}`) as Plain;
    if (alert.startsWith("custom")) {
      value.metric ??= r.pick(rule.properties!.metric!.enum as string[]);
      value.above ??= r.int(1, 90);
    }
    if (Array.isArray(value.services)) value.services = r.some(services, 0.5);
    if (Array.isArray(value.channels)) value.channels = r.some(Object.keys(channels), 0.5);
    alerts[alert] = value;
  }
  if (Object.keys(alerts).length) out.alerts = alerts;
  else delete out.alerts;
  return out;
}
