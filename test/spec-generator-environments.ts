// The spec generator's environments. Each environment is generated as the whole spec it should
// resolve to (the top level with entries removed and fields changed), made consistent, and then
// written as the override that gives it under docs/spec.md's merge (maps merge, lists replace, `null`
// removes). So the generator knows, for every environment, what that environment must deploy.
import { inferType } from "../src/model/cross-checks.js";
import type { JsonSchema } from "../src/spec/check-schema.js";
import { OVERRIDABLE_KEYS, SpecSchema } from "../src/spec/schema.js";
import { EnvironmentSchema } from "../src/spec/schema-environments.js";
import { isPlain, nodeAt, sample, type Plain, type Rng } from "./spec-generator-schema.js";
import {
  DEFINING,
  KIND_FIELDS,
  SCHEDULES,
  command,
  commandVariables,
  setField,
  usable,
  type Kind,
  type Names,
  type ServiceContext,
} from "./spec-generator-services.js";

const SPEC = SpecSchema as unknown as JsonSchema;
export const NAMED_MAPS = ["services", "postgres", "redis", "topics", "buckets"] as const;
const SECTIONS = ["email", "dns", "monitoring", "budget", "tags", "targets", "cost", "recovery"] as const;
const ENV_ONLY = ["tier", "deploy", "region", "namespace", "resource_group"] as const;

export const mapOf = (v: unknown): Plain => (isPlain(v) ? v : {});
export const kindOf = (svc: Plain): Kind => inferType(svc);

/** What a spec offers its services, read from the spec itself. */
export function namesOf(spec: Plain, zone: string): Names {
  return {
    postgres: Object.keys(mapOf(spec.postgres)),
    redis: Object.keys(mapOf(spec.redis)),
    topics: Object.keys(mapOf(spec.topics)),
    buckets: Object.keys(mapOf(spec.buckets)),
    email: spec.email !== undefined,
    zone,
  };
}

export interface GeneratedEnvironment {
  /** What the spec writes under `environments.<name>`. */
  entry: Plain;
  /** The spec this environment resolves to (without `environments`). */
  effective: Plain;
}

/** One environment of `base`: entries removed, fields changed, its own settings. */
export function generateEnvironment(base: Plain, r: Rng, zone: string): GeneratedEnvironment {
  const effective = structuredClone(base);
  for (const group of NAMED_MAPS) {
    const items = mapOf(effective[group]);
    for (const name of Object.keys(items)) if (r.chance(0.15)) Reflect.deleteProperty(items, name);
  }
  // A spec may remove every service in an environment; rarely, so that the rest gets covered too.
  const services = mapOf(effective.services);
  const baseServices = mapOf(base.services);
  if (!Object.keys(services).length && Object.keys(baseServices).length && r.chance(0.8)) {
    const keep = r.pick(Object.keys(baseServices));
    services[keep] = structuredClone(baseServices[keep]);
  }
  changeServices(effective, r, zone);
  changeStores(effective, r);
  changeSections(effective, r);
  repair(effective, r, zone);
  const entry: Plain = {};
  for (const key of ENV_ONLY) if (r.chance(0.3)) entry[key] = sample(nodeAt(EnvironmentSchema, key), r, key);
  Object.assign(entry, overrideOf(overridable(base), overridable(effective)));
  return { entry, effective };
}

const overridable = (spec: Plain): Plain =>
  Object.fromEntries(
    Object.entries(spec).filter(([k]) => (OVERRIDABLE_KEYS as readonly string[]).includes(k)),
  );

function changeServices(spec: Plain, r: Rng, zone: string): void {
  const services = mapOf(spec.services);
  const ports = new Set(
    Object.values(services).flatMap((s) => (isPlain(s) && typeof s.port === "number" ? [s.port] : [])),
  );
  const ctx = { r, names: namesOf(spec, zone), ports };
  for (const [name, svc] of Object.entries(services)) {
    if (!isPlain(svc) || !r.chance(0.6)) continue;
    // Now and then an environment changes what a service is: a worker that listens, a service that does not.
    if (svc.type === undefined && r.chance(0.08)) changeKind(svc, name, ctx);
    const kind = kindOf(svc);
    const fields = KIND_FIELDS[kind];
    // Values each environment is likely to have of its own, as real specs do.
    const own =
      kind === "static"
        ? ["domain", "env"]
        : kind === "job"
          ? ["command", "schedule", "env"]
          : ["command", "env", "scale", "domain"];
    for (const field of [...r.some(own, 0.5), ...r.some(fields, 0.1)]) {
      if (!fields.includes(field)) continue;
      if (!DEFINING[kind].includes(field) && r.chance(0.2)) {
        Reflect.deleteProperty(svc, field);
        continue;
      }
      if (field === "schedule") svc.schedule = r.pick(SCHEDULES.filter((s) => s !== svc.schedule));
      else setField(svc, name, kind, field, ctx);
    }
  }
}

/** A worker becomes an HTTP service (a port), or an HTTP service a worker (no port, domain, path or request_timeout). */
function changeKind(svc: Plain, name: string, ctx: ServiceContext): void {
  const kind = kindOf(svc);
  if (kind === "worker") setField(svc, name, kind, "port", ctx);
  else if (kind === "http")
    for (const key of ["port", "domain", "path", "request_timeout"]) Reflect.deleteProperty(svc, key);
}

function changeStores(spec: Plain, r: Rng): void {
  for (const group of ["postgres", "redis", "topics", "buckets"] as const) {
    for (const [name, item] of Object.entries(mapOf(spec[group]))) {
      if (!isPlain(item) || !r.chance(0.4)) continue;
      const node = nodeAt(SPEC, `${group}.*`);
      for (const key of r.some(Object.keys(node.properties ?? {}), 0.3))
        item[key] = sample(node.properties![key]!, r, `${group}.${name}.${key}`);
    }
  }
}

function changeSections(spec: Plain, r: Rng): void {
  for (const key of SECTIONS) {
    const value = spec[key];
    if (value === undefined) continue;
    if (key !== "tags" && key !== "targets" && r.chance(0.05)) {
      Reflect.deleteProperty(spec, key);
      continue;
    }
    if (!isPlain(value) || !r.chance(0.25)) continue;
    const node = nodeAt(SPEC, key);
    // Channels and alerts refer to each other and to services, and schedules must be cron: the top
    // level generates them whole.
    const whole = ["channels", "alerts", "drill", "base_backup"];
    const props = Object.keys(node.properties ?? {}).filter((p) => !whole.includes(p));
    const field = props.length ? r.pick(props) : r.pick(Object.keys(value).concat("Extra"));
    value[field] = sample(
      node.properties?.[field] ?? (node.additionalProperties as JsonSchema),
      r,
      `${key}.${field}`,
    );
  }
}

/** Makes a spec agree with itself after entries were removed and fields changed. */
export function repair(spec: Plain, r: Rng, zone: string): void {
  const names = namesOf(spec, zone);
  const services = mapOf(spec.services);
  const ports = new Set<number>();
  for (const svc of Object.values(services)) if (isPlain(svc)) repairService(svc, names, ports, r);
  const monitoring = mapOf(spec.monitoring);
  const channels = Object.keys(mapOf(monitoring.channels));
  for (const rule of Object.values(mapOf(monitoring.alerts))) {
    if (!isPlain(rule)) continue;
    keepListed(rule, "services", Object.keys(services));
    keepListed(rule, "channels", channels);
  }
  for (const topic of Object.values(mapOf(spec.topics))) {
    if (!isPlain(topic) || !isPlain(topic.idempotency)) continue;
    const stores = [...names.postgres, ...names.redis];
    if (!stores.includes(topic.idempotency.store as string)) {
      if (stores.length) topic.idempotency.store = r.pick(stores);
      else delete topic.idempotency;
    }
  }
  const nodes = mapOf(mapOf(spec.targets).digitalocean).nodes;
  if (
    isPlain(nodes) &&
    typeof nodes.min === "number" &&
    typeof nodes.max === "number" &&
    nodes.min > nodes.max
  )
    nodes.max = nodes.min;
}

function keepListed(owner: Plain, key: string, known: string[]): void {
  const list = owner[key];
  if (!Array.isArray(list)) return;
  const kept = list.filter((x) => known.includes(x as string));
  if (kept.length) owner[key] = kept;
  else Reflect.deleteProperty(owner, key);
}

function repairService(svc: Plain, names: Names, ports: Set<number>, r: Rng): void {
  const kind = kindOf(svc);
  keepListed(svc, "uses", usable(names));
  if (Array.isArray(svc.subscribes)) keepListed(svc, "subscribes", names.topics);
  else if (isPlain(svc.subscribes)) {
    for (const t of Object.keys(svc.subscribes))
      if (!names.topics.includes(t)) Reflect.deleteProperty(svc.subscribes, t);
    if (!Object.keys(svc.subscribes).length) delete svc.subscribes;
  }
  const uses = Array.isArray(svc.uses) ? (svc.uses as string[]) : [];
  const env = mapOf(svc.env);
  for (const [k, v] of Object.entries(env)) {
    const refs =
      typeof v === "string"
        ? [...v.matchAll(/(?<!\$)\$\{([a-z][a-z0-9-]*)\.[a-z_]+\}/g)].map((m) => m[1]!)
        : [];
    if (refs.some((ref) => !uses.includes(ref))) Reflect.deleteProperty(env, k);
  }
  if (svc.env !== undefined && !Object.keys(env).length) delete svc.env;
  if (Array.isArray(svc.secrets)) {
    keepListed(
      svc,
      "secrets",
      (svc.secrets as string[]).filter((s) => !(s in env)),
    );
  }
  const vars = commandVariables(svc, kind);
  const named = (line: string) => [...line.matchAll(/\$\{?([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1]!);
  if (typeof svc.command === "string" && named(svc.command).some((v) => !vars.includes(v)))
    svc.command = command(r, vars, r.token("mk"));
  const migrations = isPlain(svc.migrations) ? svc.migrations : undefined;
  const line = migrations ? migrations.command : svc.migrations;
  if (typeof line === "string" && named(line).some((v) => !vars.includes(v))) {
    const fixed = command(r, vars, r.token("mk"));
    if (migrations) migrations.command = fixed;
    else svc.migrations = fixed;
  }
  if (typeof svc.port === "number") {
    let port = svc.port;
    while (ports.has(port)) port = (port % 9000) + 1024;
    ports.add(port);
    svc.port = port;
  }
  if (isPlain(svc.scale) && typeof svc.scale.min === "number" && typeof svc.scale.max === "number")
    if (svc.scale.min > svc.scale.max) svc.scale.max = svc.scale.min || 1;
}

/** The override that turns `base` into `target` under the merge: maps merge, lists replace, `null` removes. */
export function overrideOf(base: Plain, target: Plain): Plain {
  const out: Plain = {};
  for (const k of Object.keys(base)) if (!(k in target)) out[k] = null;
  for (const [k, v] of Object.entries(target)) {
    const b = base[k];
    if (isPlain(b) && isPlain(v)) {
      const d = overrideOf(b, v);
      if (Object.keys(d).length) out[k] = d;
    } else if (JSON.stringify(b) !== JSON.stringify(v)) out[k] = v;
  }
  return out;
}
